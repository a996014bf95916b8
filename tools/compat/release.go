package main

import (
	"archive/tar"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// runRelease implements `compat release`.
func runRelease(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("release", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	root := rootFlag(fs)
	from := fs.String("from", "HEAD", "the commit to snapshot")
	date := fs.String("date", time.Now().UTC().Format(time.DateOnly), "the release date")
	rebuild := fs.Bool("rebuild", false, "rewrite the last release's snapshot from its commit, nothing else")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if *rebuild {
		if fs.NArg() != 0 {
			return fmt.Errorf("%w: release -rebuild takes no version", errUsage)
		}
		dir, err := root()
		if err != nil {
			return err
		}
		return rebuildSnapshot(dir, stdout)
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("%w: release takes one argument, the version", errUsage)
	}
	version := strings.TrimPrefix(fs.Arg(0), "v")
	if !semverRE.MatchString(version) {
		return fmt.Errorf("%w: %q is not a semantic version (X.Y.Z)", errUsage, fs.Arg(0))
	}
	if _, err := time.Parse(time.DateOnly, *date); err != nil {
		return fmt.Errorf("%w: -date %q is not YYYY-MM-DD", errUsage, *date)
	}
	dir, err := root()
	if err != nil {
		return err
	}
	return release(dir, version, *from, *date, stdout, realCheckers)
}

// release cuts version from the commit rev of the repository at root.
func release(root, version, rev, date string, w io.Writer, ck checkers) error {
	log, problems, err := readChangelog(root)
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		return fmt.Errorf("fix %s first:\n  %s", changelogMD, strings.Join(problems, "\n  "))
	}
	if len(log.Unreleased.Entries) == 0 {
		return fmt.Errorf("nothing to release: the Unreleased section of %s is empty", changelogMD)
	}
	if len(log.Releases) > 0 {
		last := log.Releases[0]
		if compareSemver(version, last.Version) <= 0 {
			return fmt.Errorf("%s is not newer than the last release, %s", version, last.Version)
		}
		if date < last.Date {
			return fmt.Errorf("%s is dated before the last release (%s)", date, last.Date)
		}
	}
	commit, err := git(root, "rev-parse", "--verify", rev+"^{commit}")
	if err != nil {
		return err
	}
	commit = strings.TrimSpace(commit)
	head, err := git(root, "rev-parse", "--verify", "HEAD^{commit}")
	if err != nil {
		return err
	}

	old, err := readBaseline(root)
	switch {
	case err == nil && commit == strings.TrimSpace(head):
		// The gate must pass on the commit being released.
		status, err := git(root, "status", "--porcelain", "--untracked-files=no")
		if err != nil {
			return err
		}
		for line := range strings.SplitSeq(strings.TrimSpace(status), "\n") {
			if line != "" && !strings.HasSuffix(line, " "+changelogMD) {
				return fmt.Errorf("the working tree has uncommitted changes (%s): commit them, or cut from another commit with -from", strings.TrimSpace(line))
			}
		}
		var report bytes.Buffer
		if err := check(root, &report, ck); err != nil {
			w.Write(report.Bytes())
			return fmt.Errorf("the compatibility gate fails on %.12s: %w", commit, err)
		}
		if n := strings.Count(report.String(), "  BREAKING "); n > 0 && !majorBump(old.Version, version) {
			fmt.Fprintf(w, "warning: %d breaking change(s) since %s, yet %s is not a new major version;\n"+
				"semantic versioning (and, for the Go module, a /v%s module path) calls for a major release\n",
				n, old.Version, version, strings.SplitN(version, ".", 2)[0])
		}
	case err == nil:
		fmt.Fprintf(w, "note: -from %s is not HEAD, so the gate is not run on it here\n", rev)
	default:
		fmt.Fprintf(w, "no previous baseline (%v): this is the first release\n", err)
	}

	versionFile, err := findVersion(root)
	if err != nil {
		return err
	}
	if err := snapshot(root, commit, version); err != nil {
		return err
	}
	if err := (baseline{Version: version, Date: date, Commit: commit}).write(root); err != nil {
		return err
	}
	if err := writeVersion(filepath.Join(root, versionFile), version); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(root, changelogMD), []byte(log.cut(version, date)), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(w, "release %s of %s cut from commit %.12s:\n", version, date, commit)
	fmt.Fprintf(w, "  %s, %s, %s written; %s's Unreleased entries moved to [%s]; Version in %s set to %s\n",
		releaseFile, specSnapshot, apiSnapshot, changelogMD, version, versionFile, version)
	fmt.Fprintf(w, "next: review, then git add %s %s %s && git commit -m 'Release %s' (a tag v%s is optional: nothing reads tags)\n",
		releaseDir, changelogMD, versionFile, version, version)
	return nil
}

// rebuildSnapshot rewrites release/'s snapshot from the commit the last
// release was cut from, for when a bump of the pinned apidiff can no longer
// read the old export data. It needs that commit in the clone's history.
func rebuildSnapshot(root string, w io.Writer) error {
	b, err := readBaseline(root)
	if err != nil {
		return err
	}
	if _, err := git(root, "cat-file", "-e", b.Commit+"^{commit}"); err != nil {
		return fmt.Errorf("commit %.12s of release %s is not in this clone (a shallow clone? fetch it first): %w", b.Commit, b.Version, err)
	}
	if err := snapshot(root, b.Commit, b.Version); err != nil {
		return err
	}
	fmt.Fprintf(w, "rebuilt %s and %s of release %s from commit %.12s\n", specSnapshot, apiSnapshot, b.Version, b.Commit)
	return nil
}

// majorBump reports whether next starts a new major version after prev (or,
// before 1.0.0, a new minor one).
func majorBump(prev, next string) bool {
	p := semverRE.FindStringSubmatch(prev)
	n := semverRE.FindStringSubmatch(next)
	if p[1] == "0" && n[1] == "0" {
		return p[2] != n[2]
	}
	return p[1] != n[1]
}

// snapshot writes the spec and the Go API of commit into release/, with the
// library's Version constant set to version (unless ""), as the release
// commit will have it: the constant's new value is then no change to the
// next gate. It works on an extracted copy of the commit, so uncommitted
// changes never enter it;
// apidiff's module-mode export data holds no file paths, so the snapshot does
// not depend on where the copy was.
func snapshot(root, commit, version string) error {
	tmp, err := os.MkdirTemp("", "auditlogs-release-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := extract(root, commit, tmp); err != nil {
		return err
	}
	if name, err := findVersion(tmp); err == nil && version != "" {
		if err := writeVersion(filepath.Join(tmp, name), version); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(filepath.Join(root, releaseDir), 0o755); err != nil {
		return err
	}
	spec, err := os.ReadFile(filepath.Join(tmp, specFile))
	if err != nil {
		return fmt.Errorf("commit %.12s has no %s: %w", commit, specFile, err)
	}
	if err := os.WriteFile(filepath.Join(root, specSnapshot), spec, 0o644); err != nil {
		return err
	}
	mod, err := modulePath(tmp)
	if err != nil {
		return err
	}
	out := filepath.Join(root, apiSnapshot)
	if _, err := goTool(root, tmp, "apidiff", "-m", "-w", out+".tmp", mod); err != nil {
		return err
	}
	return os.Rename(out+".tmp", out)
}

// extract writes the tree of commit into dir.
func extract(root, commit, dir string) error {
	data, err := command(root, "git", "archive", "--format=tar", commit)
	if err != nil {
		return err
	}
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		name := filepath.Join(dir, filepath.FromSlash(h.Name))
		if !strings.HasPrefix(name, dir+string(filepath.Separator)) {
			return fmt.Errorf("git archive holds a path outside the tree: %q", h.Name)
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(name, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
				return err
			}
			body, err := io.ReadAll(tr)
			if err != nil {
				return err
			}
			if err := os.WriteFile(name, body, 0o644); err != nil {
				return err
			}
		}
	}
}

// git runs git in root and returns its standard output.
func git(root string, args ...string) (string, error) {
	out, err := command(root, "git", args...)
	return string(out), err
}

// cut returns the changelog with the Unreleased entries moved into a new
// section for version, and Unreleased left empty.
func (c *changelog) cut(version, date string) string {
	u := c.Unreleased
	body := c.Lines[u.Line : u.End-1]
	for len(body) > 0 && strings.TrimSpace(body[0]) == "" {
		body = body[1:]
	}
	for len(body) > 0 && strings.TrimSpace(body[len(body)-1]) == "" {
		body = body[:len(body)-1]
	}
	var out []string
	out = append(out, c.Lines[:u.Line]...)
	out = append(out, "", fmt.Sprintf("## [%s] - %s", version, date), "")
	out = append(out, body...)
	if rest := c.Lines[u.End-1:]; len(rest) > 0 {
		out = append(out, "")
		out = append(out, rest...)
	}
	return strings.Join(out, "\n") + "\n"
}

// versionConst is the declaration of the library's Version constant, which
// the User-Agent and 'auditlogs version' show.
var versionConst = regexp.MustCompile(`(?m)^const Version = "[^"\n]*"$`)

// findVersion returns the name of the root package's file that declares
// Version, relative to root: there must be exactly one.
func findVersion(root string) (string, error) {
	names, err := filepath.Glob(filepath.Join(root, "*.go"))
	if err != nil {
		return "", err
	}
	var found []string // one name for each declaration
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		b, err := os.ReadFile(name)
		if err != nil {
			return "", err
		}
		for range versionConst.FindAllIndex(b, -1) {
			found = append(found, filepath.Base(name))
		}
	}
	if len(found) != 1 {
		return "", fmt.Errorf("want one line `const Version = \"X.Y.Z\"` in the root package, found %d %q", len(found), found)
	}
	return found[0], nil
}

// writeVersion sets the Version constant of the file name to version.
func writeVersion(name, version string) error {
	b, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	b = versionConst.ReplaceAll(b, []byte(fmt.Sprintf("const Version = %q", version)))
	return os.WriteFile(name, b, 0o644)
}
