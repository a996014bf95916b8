package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestGate proves the gate on temporary copies of the repository: it edits
// the spec there, runs go generate, and runs .ci/compat, the entry point CI
// calls, asserting its exit code and what it names. The variants that only
// change CHANGELOG.md reuse that run's checker output in-process. -short
// skips it.
func TestGate(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go generate and the checkers on copies of the repository")
	}
	src, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}

	removed := cleanCopy(t, src)
	editSpec(t, removed, func(spec string) string { return removeProperty(t, spec, "Channel", "is_shared") })
	generate(t, removed)
	ck := once(t, removed)

	t.Run("a removed field fails and is named", func(t *testing.T) {
		out := compat(t, removed, 1)
		mustContain(t, out,
			"BREAKING `entity.channel.is_shared` (NOT RECORDED)",
			"response-optional-property-removed",
			"BREAKING `gen.Channel.IsShared` (NOT RECORDED)",
			"2 breaking change(s) not recorded",
			"- `entity.channel.is_shared`: ")
	})

	t.Run("recording one of two still fails on the other", func(t *testing.T) {
		recordInUnreleased(t, removed, "### Removed\n\n- `entity.channel.is_shared`: Slack no longer sends it.\n")
		out := checkIn(t, removed, ck, errGateFailed)
		mustContain(t, out,
			"BREAKING `entity.channel.is_shared` (recorded in CHANGELOG.md)",
			"BREAKING `gen.Channel.IsShared` (NOT RECORDED)",
			"1 breaking change(s) not recorded")
	})

	t.Run("a malformed changelog fails", func(t *testing.T) {
		recordInUnreleased(t, removed, "### Breaking\n\n- `entity.channel.is_shared`, `gen.Channel.IsShared`.\n")
		out := checkIn(t, removed, ck, errGateFailed)
		mustContain(t, out, "does not follow Keep a Changelog 1.1.0", `"Breaking" is not a Keep a Changelog type`)
	})

	t.Run("a recorded breaking change passes", func(t *testing.T) {
		recordInUnreleased(t, removed, "### Removed\n\n- `entity.channel.is_shared` and with it\n  `gen.Channel.IsShared`: Slack no longer sends it.\n")
		out := checkIn(t, removed, ck, nil)
		mustContain(t, out, "BREAKING `gen.Channel.IsShared` (recorded in CHANGELOG.md)", "compat: ok")
	})

	t.Run("a release moves the baseline", func(t *testing.T) {
		commitAll(t, removed)
		var out strings.Builder
		if err := release(removed, "1.1.0", "HEAD", "2099-01-02", &out, ck); err != nil {
			t.Fatalf("release: %v\n%s", err, out.String())
		}
		mustContain(t, out.String(), "warning: 2 breaking change(s) since", "release 1.1.0 of 2099-01-02 cut from commit")
		b, err := readBaseline(removed)
		if err != nil || b.Version != "1.1.0" || b.Date != "2099-01-02" {
			t.Fatalf("baseline after the release: %+v, %v", b, err)
		}
		if src, err := os.ReadFile(filepath.Join(removed, "client.go")); err != nil || !strings.Contains(string(src), "\nconst Version = \"1.1.0\"\n") {
			t.Errorf("the release did not set the library's Version to 1.1.0 (%v)", err)
		}
		log, problems, err := readChangelog(removed)
		if err != nil || len(problems) > 0 || log.Releases[0].Version != "1.1.0" || len(log.Unreleased.Entries) != 0 {
			t.Fatalf("changelog after the release: %+v, %q, %v", log, problems, err)
		}
		// The real checkers, through the entry point, against the new baseline.
		mustContain(t, compat(t, removed, 0), "baseline: release 1.1.0 of 2099-01-02", "0 breaking, 0 compatible")

		// A snapshot holds no path of the copy it was made in: rebuilt from
		// another, it is the same to the byte.
		before, err := os.ReadFile(filepath.Join(removed, apiSnapshot))
		if err != nil {
			t.Fatal(err)
		}
		out.Reset()
		if err := rebuildSnapshot(removed, &out); err != nil {
			t.Fatal(err)
		}
		after, err := os.ReadFile(filepath.Join(removed, apiSnapshot))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(before, after) || bytes.Contains(after, []byte(removed)) {
			t.Errorf("the rebuilt snapshot differs (%d bytes, then %d) or holds the path %s", len(before), len(after), removed)
		}
	})

	t.Run("an added optional field passes", func(t *testing.T) {
		dir := cleanCopy(t, src)
		editSpec(t, dir, func(spec string) string { return addProperty(t, spec, "Details", "compat_probe", "string") })
		generate(t, dir)
		out := compat(t, dir, 0)
		mustContain(t, out,
			"ok       `details.compat_probe`: [response-optional-property-added]",
			"ok       `gen.Details.CompatProbe`: ./gen.Details.CompatProbe: added",
			"compat: ok")
		if strings.Contains(out, "BREAKING") {
			t.Errorf("an addition was called breaking:\n%s", out)
		}
	})
}

// once runs the real checkers on dir once and returns checkers that give
// their output again, for the variants that change only CHANGELOG.md.
func once(t *testing.T, dir string) checkers {
	t.Helper()
	spec, err := specChanges(dir)
	if err != nil {
		t.Fatal(err)
	}
	goAPI, err := goChanges(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(spec) == 0 || len(goAPI) == 0 {
		t.Fatalf("the checkers found nothing: spec %v, go %v", spec, goAPI)
	}
	return checkers{
		spec:  func(string) ([]change, error) { return spec, nil },
		goAPI: func(string) ([]change, error) { return goAPI, nil },
	}
}

// checkIn runs check in-process with ck and wants the error want (nil for
// success); it returns the report.
func checkIn(t *testing.T, dir string, ck checkers, want error) string {
	t.Helper()
	var out strings.Builder
	err := check(dir, &out, ck)
	if !errors.Is(err, want) || (want == nil && err != nil) {
		t.Fatalf("check: %v, want %v\n%s", err, want, out.String())
	}
	return out.String()
}

// copyRepo copies the files git knows in src (tracked and untracked but not
// ignored, so uncommitted work is tested too) into a temporary directory.
func copyRepo(t *testing.T, src string) string {
	t.Helper()
	list, err := command(src, "git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	if err != nil {
		t.Fatalf("listing the repository's files: %v", err)
	}
	dst := t.TempDir()
	for name := range strings.SplitSeq(strings.TrimRight(string(list), "\x00"), "\x00") {
		from := filepath.Join(src, filepath.FromSlash(name))
		info, err := os.Lstat(from)
		if errors.Is(err, os.ErrNotExist) || (err == nil && !info.Mode().IsRegular()) {
			continue // deleted in the working tree, or not a regular file
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		to := filepath.Join(dst, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(to, data, info.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// compat runs .ci/compat in dir, checks its exit code and returns its output.
func compat(t *testing.T, dir string, wantCode int) string {
	t.Helper()
	return script(t, dir, ".ci/compat", wantCode)
}

// script runs one of the repository's bash scripts in dir, checks its exit
// code and returns its standard output and error.
func script(t *testing.T, dir, name string, wantCode int, args ...string) string {
	t.Helper()
	cmd := exec.Command("bash", append([]string{filepath.Join(dir, name)}, args...)...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	code := 0
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatalf("%s: %v", name, err)
	}
	if code != wantCode {
		t.Fatalf("%s exited %d, want %d:\n%s", name, code, wantCode, out.String())
	}
	return out.String()
}

// mustContain fails unless out holds every one of wants.
func mustContain(t *testing.T, out string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(out, w) {
			t.Errorf("the output lacks %q:\n%s", w, out)
		}
	}
}

// editSpec rewrites dir's api/openapi.yaml with edit.
func editSpec(t *testing.T, dir string, edit func(string) string) {
	t.Helper()
	path := filepath.Join(dir, specFile)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(edit(string(data))), 0o644); err != nil {
		t.Fatal(err)
	}
}

// schemaBlock returns the start and end offsets of components.schemas.name.
func schemaBlock(t *testing.T, spec, name string) (int, int) {
	t.Helper()
	start := strings.Index(spec, "\n    "+name+":\n")
	if start < 0 {
		t.Fatalf("the spec has no schema %s", name)
	}
	start++
	end := start + len("    "+name+":\n")
	for end < len(spec) {
		next := strings.IndexByte(spec[end:], '\n')
		line := spec[end:]
		if next >= 0 {
			line = spec[end : end+next]
		}
		if strings.TrimSpace(line) != "" && !strings.HasPrefix(line, "     ") {
			break // the next schema, or the end of components.schemas
		}
		if next < 0 {
			end = len(spec)
			break
		}
		end += next + 1
	}
	return start, end
}

// removeProperty deletes the property prop of schema from spec.
func removeProperty(t *testing.T, spec, schema, prop string) string {
	t.Helper()
	start, end := schemaBlock(t, spec, schema)
	block := spec[start:end]
	at := strings.Index(block, "\n        "+prop+":\n")
	if at < 0 {
		t.Fatalf("schema %s has no property %s", schema, prop)
	}
	at++
	stop := at + len("        "+prop+":\n")
	for stop < len(block) && strings.HasPrefix(block[stop:], "          ") {
		stop += strings.IndexByte(block[stop:], '\n') + 1
	}
	return spec[:start] + block[:at] + block[stop:] + spec[end:]
}

// addProperty adds an optional property of the given type to schema.
func addProperty(t *testing.T, spec, schema, prop, typ string) string {
	t.Helper()
	start, end := schemaBlock(t, spec, schema)
	block := spec[start:end]
	const props = "      properties:\n"
	at := strings.Index(block, props)
	if at < 0 {
		t.Fatalf("schema %s has no properties", schema)
	}
	at += len(props)
	add := "        " + prop + ":\n          type: " + typ + "\n          description: A field the gate's test adds.\n"
	return spec[:start] + block[:at] + add + block[at:] + spec[end:]
}

// generate runs go generate in dir, as a maintainer does after editing the spec.
func generate(t *testing.T, dir string) {
	t.Helper()
	if out, err := command(dir, "go", "generate", "./..."); err != nil {
		t.Fatalf("go generate: %v\n%s", err, out)
	}
}

// recordInUnreleased replaces the Unreleased section's body with entries.
func recordInUnreleased(t *testing.T, dir, entries string) {
	t.Helper()
	path := filepath.Join(dir, changelogMD)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	log, _ := parseChangelog(string(data)) // a test may have left it malformed
	u := log.Unreleased
	if u == nil {
		t.Fatalf("%s has no Unreleased section", changelogMD)
	}
	lines := append([]string{}, log.Lines[:u.Line]...)
	lines = append(lines, "", strings.TrimRight(entries, "\n"), "")
	lines = append(lines, log.Lines[u.End-1:]...)
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// cleanCopy copies the repository and makes the copy's baseline its own
// tree, so that each case sees only the changes it makes, whatever the
// working tree holds since the last release.
func cleanCopy(t *testing.T, src string) string {
	t.Helper()
	dir := copyRepo(t, src)
	commitAll(t, dir)
	if err := snapshot(dir, "HEAD", ""); err != nil {
		t.Fatalf("snapshot of the copy: %v", err)
	}
	return dir
}

// commitAll makes dir a git repository with one commit of everything.
func commitAll(t *testing.T, dir string) {
	t.Helper()
	for _, args := range [][]string{
		{"init", "-q"},
		{"add", "-A"},
		{"-c", "user.name=compat test", "-c", "user.email=compat@test.invalid", "commit", "-q", "-m", "test tree"},
	} {
		if _, err := command(dir, "git", args...); err != nil {
			t.Fatal(err)
		}
	}
}
