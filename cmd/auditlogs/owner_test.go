package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slackaudit/auditlogs/auditlogstest"
)

// exitCode returns the exit code of a finished command.
func exitCode(t *testing.T, err error) int {
	t.Helper()
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return ee.ExitCode()
}

// editState rewrites some fields of a state file.
func editState(t *testing.T, path string, edit func(m map[string]any)) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	b, _ = json.Marshal(m)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// setWatermark makes a state's checkpoint start the next window at wm.
func setWatermark(m map[string]any, wm int64) {
	m["checkpoint"] = map[string]any{"version": 1, "watermark": wm, "spans": []any{}, "filters": map[string]any{}, "stats": map[string]any{}}
}

// TestTailOtherEndpointProcess runs the binary: a state collected from one
// endpoint is refused against another (exit 6, nothing written), accepted
// with --same-org, and a state from before endpoints were recorded adopts
// one.
func TestTailOtherEndpointProcess(t *testing.T) {
	t.Parallel()
	bin := buildCLI(t)
	srvA, _ := newServer(t, 150)
	srvB, _ := newServer(t, 150)
	all := srvA.Entries()
	c := collection{start: parse(t, all[len(all)-1]).DateCreate, end: parse(t, all[0]).DateCreate}
	dir := t.TempDir()
	state, out := filepath.Join(dir, "state.json"), filepath.Join(dir, "out.jsonl")
	args := append([]string{"--state", state, "--out", out, "--once", "--max-window", "2000h"}, c.args()...)
	if b, err := tailCmd(bin, srvA, args...).CombinedOutput(); err != nil {
		t.Fatalf("first run: %v: %s", err, b)
	}
	st := readState(t, state)
	if st.Endpoint != srvA.URL || st.Org != "E0ORG1234" {
		t.Fatalf("the state records endpoint %q and organization %q", st.Endpoint, st.Org)
	}
	outBefore, _ := os.ReadFile(out)

	// Another endpoint: refused before anything is read or written.
	editState(t, state, func(m map[string]any) { setWatermark(m, c.start) })
	stateBefore, _ := os.ReadFile(state)
	b, err := tailCmd(bin, srvB, args...).CombinedOutput()
	if code := exitCode(t, err); code != exitStateMismatch || !strings.Contains(string(b), "was collected from "+srvA.URL+", not from "+srvB.URL) {
		t.Fatalf("another endpoint: exit %d, %s", code, b)
	}
	outAfter, _ := os.ReadFile(out)
	stateAfter, _ := os.ReadFile(state)
	if !bytes.Equal(outBefore, outAfter) || !bytes.Equal(stateBefore, stateAfter) {
		t.Fatal("a refused run changed the output or the state")
	}
	if srvB.Stats().Requests != 0 {
		t.Errorf("a refused run sent %d requests", srvB.Stats().Requests)
	}

	// --same-org: the state moves to the other endpoint (same organization).
	editState(t, state, func(m map[string]any) { setWatermark(m, c.end) })
	b, err = tailCmd(bin, srvB, append(args, "--same-org")...).CombinedOutput()
	if exitCode(t, err) != 0 || !strings.Contains(string(b), "--same-org: the state now follows another endpoint") {
		t.Fatalf("--same-org: %v: %s", err, b)
	}
	if st := readState(t, state); st.Endpoint != srvB.URL {
		t.Fatalf("after --same-org the state records %q", st.Endpoint)
	}

	// A state without endpoint and organization (an older auditlogs) adopts
	// them.
	editState(t, state, func(m map[string]any) { delete(m, "endpoint"); delete(m, "org") })
	if b, err := tailCmd(bin, srvA, args...).CombinedOutput(); err != nil || len(b) != 0 {
		t.Fatalf("old state: %v: %s", err, b)
	}
	if st := readState(t, state); st.Endpoint != srvA.URL {
		t.Fatalf("an old state adopted endpoint %q", st.Endpoint)
	}
}

func TestTailOtherOrganization(t *testing.T) {
	t.Parallel()
	srvA, env := newServer(t, 150)
	all := srvA.Entries()
	other := make([]json.RawMessage, len(all))
	for i, e := range all {
		other[i] = bytes.ReplaceAll(e, []byte("E0ORG1234"), []byte("E0OTHER99"))
	}
	srvB := auditlogstest.NewServer(auditlogstest.WithEntries(other), auditlogstest.WithToken(secret))
	t.Cleanup(srvB.Close)
	c := collection{start: parse(t, all[len(all)-1]).DateCreate, end: parse(t, all[0]).DateCreate}
	dir := t.TempDir()
	state, out := filepath.Join(dir, "state.json"), filepath.Join(dir, "out.jsonl")
	args := append([]string{"tail", "--state", state, "--out", out, "--once", "--max-window", "2000h", "--limit", "20"}, c.args()...)
	if r := runCLI(t, env, args...); r.code != 0 {
		t.Fatalf("first run: exit %d: %s", r.code, r.stderr)
	}
	outBefore, _ := os.ReadFile(out)
	// The endpoint now serves another organization.
	editState(t, state, func(m map[string]any) {
		m["endpoint"] = srvB.URL
		setWatermark(m, c.start)
	})
	envB := map[string]string{"SLACK_AUDIT_TOKEN": secret, "SLACK_AUDIT_BASE_URL": srvB.URL}
	r := runCLI(t, envB, args...)
	if r.code != exitStateMismatch || !strings.Contains(r.stderr, "belongs to organization E0ORG1234") ||
		!strings.Contains(r.stderr, "serves events of E0OTHER99") {
		t.Fatalf("another organization: exit %d, %q", r.code, r.stderr)
	}
	if outAfter, _ := os.ReadFile(out); !bytes.Equal(outBefore, outAfter) {
		t.Fatal("a page of another organization was written")
	}
	if st := readState(t, state); st.Org != "E0ORG1234" || st.CP.Watermark().Unix() != c.start {
		t.Fatalf("the refused run moved the state: org %q, watermark %v", st.Org, st.CP.Watermark())
	}
	// --same-org accepts it and records the new ID.
	r = runCLI(t, envB, append(args, "--same-org")...)
	if r.code != 0 || !strings.Contains(r.stderr, "now follows another organization") {
		t.Fatalf("--same-org: exit %d, %q", r.code, r.stderr)
	}
	if st := readState(t, state); st.Org != "E0OTHER99" {
		t.Fatalf("after --same-org the state records %q", st.Org)
	}
}
