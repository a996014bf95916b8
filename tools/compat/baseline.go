package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

// The baseline, "the last release", lives in these files, relative to the
// repository root. They are committed, so that a fresh (even shallow) clone
// without tags or network has them.
const (
	releaseDir   = "release"
	releaseFile  = "release/RELEASE"       // version, date and commit of the last release
	specSnapshot = "release/openapi.yaml"  // api/openapi.yaml as released
	apiSnapshot  = "release/go-api.export" // apidiff -m export data of the module as released
	toolsModfile = "tools/compat/go.mod"   // pins oasdiff and apidiff
	changelogMD  = "CHANGELOG.md"          // Keep a Changelog 1.1.0
	specFile     = "api/openapi.yaml"      // the spec of the working tree
	releaseNote  = "# The last release: the baseline .ci/compat compares the working tree against.\n# Written by .ci/release; do not edit by hand.\n"
)

// baseline describes the last release.
type baseline struct {
	Version string // such as 1.0.0, without a leading v
	Date    string // YYYY-MM-DD
	Commit  string // the full hash of the commit the snapshot was taken from
}

var (
	semverRE = regexp.MustCompile(`^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$`)
	dateRE   = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
	commitRE = regexp.MustCompile(`^[0-9a-f]{40}$`)
)

// readBaseline reads and checks release/RELEASE.
func readBaseline(root string) (baseline, error) {
	var b baseline
	data, err := os.ReadFile(filepath.Join(root, releaseFile))
	if os.IsNotExist(err) {
		return b, fmt.Errorf("no baseline: %s is missing; cut the first release with .ci/release", releaseFile)
	}
	if err != nil {
		return b, err
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, value, ok := strings.Cut(line, ":")
		value = strings.TrimSpace(value)
		switch {
		case !ok:
			return b, fmt.Errorf("%s:%d: want \"key: value\"", releaseFile, n)
		case key == "version":
			b.Version = value
		case key == "date":
			b.Date = value
		case key == "commit":
			b.Commit = value
		default:
			return b, fmt.Errorf("%s:%d: unknown key %q", releaseFile, n, key)
		}
	}
	switch {
	case !semverRE.MatchString(b.Version):
		return b, fmt.Errorf("%s: version %q is not a semantic version", releaseFile, b.Version)
	case !dateRE.MatchString(b.Date):
		return b, fmt.Errorf("%s: date %q is not YYYY-MM-DD", releaseFile, b.Date)
	case !commitRE.MatchString(b.Commit):
		return b, fmt.Errorf("%s: commit %q is not a full commit hash", releaseFile, b.Commit)
	}
	for _, f := range []string{specSnapshot, apiSnapshot} {
		if _, err := os.Stat(filepath.Join(root, f)); err != nil {
			return b, fmt.Errorf("baseline %s is incomplete: %s is missing", b.Version, f)
		}
	}
	return b, nil
}

// write stores b as release/RELEASE.
func (b baseline) write(root string) error {
	text := fmt.Sprintf("%sversion: %s\ndate: %s\ncommit: %s\n", releaseNote, b.Version, b.Date, b.Commit)
	return os.WriteFile(filepath.Join(root, releaseFile), []byte(text), 0o644)
}

// goTool runs one of the pinned checkers, `go tool -modfile=tools/compat/go.mod
// args...`, in dir and returns its standard output.
func goTool(root, dir string, args ...string) ([]byte, error) {
	return command(dir, "go", append([]string{"tool", "-modfile=" + filepath.Join(root, toolsModfile)}, args...)...)
}

// command runs name with args in dir and returns its standard output. On
// failure the error carries the tail of its standard error.
func command(dir, name string, args ...string) ([]byte, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		what := name + " " + args[0]
		if name == "go" && len(args) > 2 {
			what = "go tool " + args[2]
		}
		return out, fmt.Errorf("%s: %w\n%s", what, err, tail(stderr.String(), 20))
	}
	return out, nil
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// modulePath returns the module path declared in root's go.mod.
func modulePath(root string) (string, error) {
	data, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return "", err
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`), nil
		}
	}
	return "", fmt.Errorf("go.mod declares no module path")
}
