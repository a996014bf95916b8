package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const goodLog = `# Changelog

Notes before the first version are allowed.

## [Unreleased]

### Changed

- ` + "`context.session_id`" + ` may be null; ` + "`gen.SessionID`" + ` is now
  ` + "`gen.Scalar`" + `, spelled over two lines.

### Added

- ` + "`details.detected_os`" + `.

### Deprecated

- ` + "`auditlogs.Old`" + ` (a deprecation records nothing).

## [1.1.0] - 2026-12-20

### Removed

- ` + "`entity.channel.is_shared`" + `.

## [1.0.0] - 2026-12-01

### Added

- The first release.
`

func TestParseChangelogGood(t *testing.T) {
	c, problems := parseChangelog(goodLog)
	if len(problems) > 0 {
		t.Fatalf("problems in a good changelog: %q", problems)
	}
	if c.Unreleased == nil || len(c.Releases) != 2 || c.Releases[0].Version != "1.1.0" || c.Releases[1].Date != "2026-12-01" {
		t.Fatalf("parsed %+v", c)
	}
	got := c.recorded()
	for _, want := range []string{"context.session_id", "gen.SessionID", "gen.Scalar"} {
		if !got[want] {
			t.Errorf("recorded() lacks %q: %v", want, got)
		}
	}
	// Only Unreleased's Changed and Removed record: not Added, Deprecated or a release's entries.
	for _, not := range []string{"details.detected_os", "auditlogs.Old", "entity.channel.is_shared"} {
		if got[not] {
			t.Errorf("recorded() holds %q", not)
		}
	}
}

func TestParseChangelogProblems(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"no title", "## [Unreleased]\n", `first line must be "# Changelog"`},
		{"empty", "", "the file is empty"},
		{"no unreleased", "# Changelog\n\n## [1.0.0] - 2026-12-01\n\n### Added\n\n- x\n", `"## [Unreleased]" must come before the first release`},
		{"unreleased after a release", "# Changelog\n\n## [1.0.0] - 2026-12-01\n\n### Added\n\n- x\n\n## [Unreleased]\n", "must come once, before every release"},
		{"bad version heading", "# Changelog\n\n## [Unreleased]\n\n## 1.0.0 (2026-12-01)\n", `want "## [Unreleased]" or "## [X.Y.Z] - YYYY-MM-DD"`},
		{"not semver", "# Changelog\n\n## [Unreleased]\n\n## [1.0] - 2026-12-01\n\n### Added\n\n- x\n", `"1.0" is not a semantic version`},
		{"not a date", "# Changelog\n\n## [Unreleased]\n\n## [1.0.0] - 2026-13-01\n\n### Added\n\n- x\n", `"2026-13-01" is not a date`},
		{"unknown type", "# Changelog\n\n## [Unreleased]\n\n### Breaking\n\n- x\n", `"Breaking" is not a Keep a Changelog type`},
		{"duplicate type", "# Changelog\n\n## [Unreleased]\n\n### Added\n\n- x\n\n### Added\n\n- y\n", `a second "### Added"`},
		{"empty type", "# Changelog\n\n## [Unreleased]\n\n### Removed\n", `"### Removed" of Unreleased has no entries`},
		{"entry outside a type", "# Changelog\n\n## [Unreleased]\n\n- x\n", "an entry outside any"},
		{"prose in a section", "# Changelog\n\n## [Unreleased]\n\n### Added\n\nsome prose\n", `want an entry ("- ...", continued by indented lines)`},
		{"release without entries", "# Changelog\n\n## [Unreleased]\n\n## [1.0.0] - 2026-12-01\n", "release 1.0.0 has no entries"},
		{"versions out of order", "# Changelog\n\n## [Unreleased]\n\n## [1.0.0] - 2026-12-01\n\n### Added\n\n- x\n\n## [1.1.0] - 2026-12-02\n\n### Added\n\n- y\n", "1.1.0 is listed below 1.0.0"},
		{"dates out of order", "# Changelog\n\n## [Unreleased]\n\n## [1.1.0] - 2026-11-01\n\n### Added\n\n- x\n\n## [1.0.0] - 2026-12-01\n\n### Added\n\n- y\n", "is dated 2026-12-01, after 1.1.0's 2026-11-01"},
		{"text after links", "# Changelog\n\n## [Unreleased]\n\n[unreleased]: https://example.com/x\ntrailing\n", "text after the link definitions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, problems := parseChangelog(tt.text)
			joined := strings.Join(problems, "\n")
			if !strings.Contains(joined, tt.want) {
				t.Errorf("problems %q lack %q", problems, tt.want)
			}
			if !strings.HasPrefix(joined, "CHANGELOG.md:") {
				t.Errorf("problems %q do not start with the file and line", problems)
			}
		})
	}
}

func TestChangelogCut(t *testing.T) {
	c, problems := parseChangelog(goodLog + "\n[1.0.0]: https://example.com/releases/1.0.0\n")
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	out := c.cut("2.0.0", "2027-01-02")
	after, problems := parseChangelog(out)
	if len(problems) > 0 {
		t.Fatalf("the cut changelog has problems %q:\n%s", problems, out)
	}
	if len(after.Unreleased.Entries) != 0 {
		t.Errorf("Unreleased keeps entries: %v", after.Unreleased.Entries)
	}
	if len(after.Releases) != 3 || after.Releases[0].Version != "2.0.0" || after.Releases[0].Date != "2027-01-02" {
		t.Fatalf("releases after the cut: %+v", after.Releases)
	}
	for typ, entries := range c.Unreleased.Entries {
		if strings.Join(after.Releases[0].Entries[typ], "|") != strings.Join(entries, "|") {
			t.Errorf("%s moved as %q, want %q", typ, after.Releases[0].Entries[typ], entries)
		}
	}
	if !strings.HasSuffix(out, "\n[1.0.0]: https://example.com/releases/1.0.0\n") {
		t.Errorf("the link definitions did not stay at the end:\n%s", out)
	}
}

func TestCompareSemver(t *testing.T) {
	tests := []struct {
		a, b string
		sign int
	}{
		{"1.0.0", "1.0.0", 0},
		{"1.0.1", "1.0.0", 1},
		{"1.10.0", "1.9.0", 1},
		{"2.0.0", "10.0.0", -1},
		{"1.0.0-rc.1", "1.0.0", -1},
		{"1.0.0", "1.0.0-rc.1", 1},
		{"1.0.0-alpha", "1.0.0-beta", -1},
	}
	for _, tt := range tests {
		got := compareSemver(tt.a, tt.b)
		if (got > 0) != (tt.sign > 0) || (got < 0) != (tt.sign < 0) {
			t.Errorf("compareSemver(%s, %s) = %d, want sign %d", tt.a, tt.b, got, tt.sign)
		}
	}
	if !majorBump("1.4.0", "2.0.0") || majorBump("1.4.0", "1.5.0") || !majorBump("0.3.0", "0.4.0") || majorBump("0.3.0", "0.3.1") {
		t.Error("majorBump is wrong")
	}
}

func TestReadBaseline(t *testing.T) {
	good := "# comment\nversion: 1.2.3\ndate: 2026-12-01\ncommit: 79951c1d24899c232357c343e11814022706ae85\n"
	tests := []struct {
		name, release string
		snapshots     bool
		want          string // "" for success
	}{
		{"good", good, true, ""},
		{"missing", "", false, "no baseline"},
		{"no snapshots", good, false, "is incomplete"},
		{"bad version", strings.Replace(good, "1.2.3", "v1.2", 1), true, "not a semantic version"},
		{"short commit", strings.Replace(good, "79951c1d24899c232357c343e11814022706ae85", "79951c1", 1), true, "not a full commit hash"},
		{"unknown key", good + "tag: v1.2.3\n", true, `unknown key "tag"`},
		{"not key value", good + "junk\n", true, `want "key: value"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			if err := os.MkdirAll(filepath.Join(root, releaseDir), 0o755); err != nil {
				t.Fatal(err)
			}
			if tt.release != "" {
				if err := os.WriteFile(filepath.Join(root, releaseFile), []byte(tt.release), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if tt.snapshots {
				for _, f := range []string{specSnapshot, apiSnapshot} {
					if err := os.WriteFile(filepath.Join(root, f), []byte("x"), 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
			b, err := readBaseline(root)
			switch {
			case tt.want == "" && err != nil:
				t.Fatal(err)
			case tt.want == "":
				if b.Version != "1.2.3" || b.Date != "2026-12-01" || !strings.HasPrefix(b.Commit, "79951c1") {
					t.Errorf("got %+v", b)
				}
				// write and read again give the same baseline.
				if err := b.write(root); err != nil {
					t.Fatal(err)
				}
				if again, err := readBaseline(root); err != nil || again != b {
					t.Errorf("after write: %+v, %v", again, err)
				}
			case err == nil || !strings.Contains(err.Error(), tt.want):
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestWriteVersion(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("client.go", "package x\n\n// Version is the version.\nconst Version = \"0.1.0\"\n\nconst Other = \"0.1.0\"\n")
	write("client_test.go", "package x\n\nconst Version = \"9.9.9\"\n")
	name, err := findVersion(dir)
	if err != nil || name != "client.go" {
		t.Fatalf("findVersion = %q, %v", name, err)
	}
	if err := writeVersion(filepath.Join(dir, name), "1.2.3"); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "client.go"))
	if want := "package x\n\n// Version is the version.\nconst Version = \"1.2.3\"\n\nconst Other = \"0.1.0\"\n"; string(b) != want {
		t.Errorf("after writeVersion:\n%s\nwant\n%s", b, want)
	}
	write("version.go", "package x\n\nconst Version = \"0.2.0\"\n")
	if _, err := findVersion(dir); err == nil || !strings.Contains(err.Error(), "found 2") {
		t.Errorf("two declarations: %v", err)
	}
	if _, err := findVersion(t.TempDir()); err == nil || !strings.Contains(err.Error(), "found 0") {
		t.Errorf("none: %v", err)
	}
}
