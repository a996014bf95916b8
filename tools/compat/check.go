package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// errGateFailed reports that the working tree does not pass the gate.
var errGateFailed = errors.New("the compatibility gate failed")

// runCheck implements `compat check`.
func runCheck(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	root := rootFlag(fs)
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("%w: check takes no arguments", errUsage)
	}
	dir, err := root()
	if err != nil {
		return err
	}
	return check(dir, stdout, realCheckers)
}

// checkers runs oasdiff and apidiff on a repository; tests reuse the
// output of one run for several changelogs.
type checkers struct {
	spec  func(root string) ([]change, error)
	goAPI func(root string) ([]change, error)
}

// realCheckers runs the pinned tools.
var realCheckers = checkers{spec: specChanges, goAPI: goChanges}

// check runs the gate in the repository at root and reports to w.
func check(root string, w io.Writer, ck checkers) error {
	base, err := readBaseline(root)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "baseline: release %s of %s (commit %.12s), in %s/\n", base.Version, base.Date, base.Commit, releaseDir)

	log, problems, err := readChangelog(root)
	if err != nil {
		return err
	}
	if len(problems) == 0 && (len(log.Releases) == 0 || log.Releases[0].Version != base.Version) {
		newest := "none"
		if len(log.Releases) > 0 {
			newest = log.Releases[0].Version
		}
		problems = append(problems, fmt.Sprintf("%s: its newest release is %s, but the baseline is %s: cut releases with .ci/release", changelogMD, newest, base.Version))
	}

	spec, err := ck.spec(root)
	if err != nil {
		return err
	}
	goAPI, err := ck.goAPI(root)
	if err != nil {
		return err
	}

	recorded := log.recorded()
	var missing []change
	report := func(title string, changes []change) {
		var breaking, other []change
		for _, c := range changes {
			if c.Breaking {
				breaking = append(breaking, c)
			} else {
				other = append(other, c)
			}
		}
		fmt.Fprintf(w, "\n%s: %d breaking, %d compatible\n", title, len(breaking), len(other))
		for _, c := range breaking {
			status := "recorded in CHANGELOG.md"
			if !slices.ContainsFunc(c.names(), func(n string) bool { return recorded[n] }) {
				status = "NOT RECORDED"
				missing = append(missing, c)
			}
			fmt.Fprintf(w, "  BREAKING `%s` (%s)\n%s\n", c.Name, status, indent(c.Detail, "      "))
		}
		for _, c := range other {
			fmt.Fprintf(w, "  ok       `%s`: %s\n", c.Name, firstLine(c.Detail))
		}
	}
	report("spec, oasdiff "+pinnedVersion(root, "github.com/oasdiff/oasdiff")+" (levels ERR and WARN are breaking)", spec)
	report("Go API, apidiff "+pinnedVersion(root, "golang.org/x/exp"), goAPI)

	if len(problems) > 0 {
		fmt.Fprintf(w, "\n%s does not follow Keep a Changelog 1.1.0:\n", changelogMD)
		for _, p := range problems {
			fmt.Fprintf(w, "  %s\n", p)
		}
	}
	if len(missing) > 0 {
		fmt.Fprintf(w, "\n%d breaking change(s) not recorded. Record each in %s, under \"## [Unreleased]\",\n", len(missing), changelogMD)
		fmt.Fprintf(w, "in \"### Changed\" or \"### Removed\", naming it in backticks exactly as above, for example:\n\n")
		for _, c := range missing {
			fmt.Fprintf(w, "- `%s`: <what changed, and what an importer or client must do>\n", c.Name)
		}
	}
	if len(problems) > 0 || len(missing) > 0 {
		return errGateFailed
	}
	fmt.Fprintf(w, "\ncompat: ok, every breaking change since %s is recorded in %s\n", base.Version, changelogMD)
	return nil
}

// readChangelog parses CHANGELOG.md.
func readChangelog(root string) (*changelog, []string, error) {
	data, err := os.ReadFile(filepath.Join(root, changelogMD))
	if err != nil {
		return nil, nil, err
	}
	log, problems := parseChangelog(string(data))
	return log, problems, nil
}

// pinnedVersion returns the version tools/compat/go.mod requires of module,
// for the report.
func pinnedVersion(root, module string) string {
	data, err := os.ReadFile(filepath.Join(root, toolsModfile))
	if err != nil {
		return "(unknown version)"
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == module {
			return f[1]
		}
		if len(f) >= 3 && f[0] == "require" && f[1] == module {
			return f[2]
		}
	}
	return "(unknown version)"
}

// indent prefixes every line of s.
func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
}

// firstLine returns s up to its first newline.
func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
