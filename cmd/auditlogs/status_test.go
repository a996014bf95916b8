package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slackaudit/auditlogs/auditlogstest"
)

func TestStatusExitCodes(t *testing.T) {
	t.Parallel()
	srv, env := newServer(t, 100)
	all := srv.Entries()
	c := collection{start: parse(t, all[len(all)-1]).DateCreate, end: parse(t, all[0]).DateCreate}
	dir := t.TempDir()
	state, out := filepath.Join(dir, "state.json"), filepath.Join(dir, "out.jsonl")
	if r := runCLI(t, env, append([]string{"tail", "--state", state, "--out", out, "--once", "--max-window", "2000h"}, c.args()...)...); r.code != 0 {
		t.Fatalf("tail: exit %d: %s", r.code, r.stderr)
	}
	lag := time.Since(time.Unix(c.end, 0))
	notJSON := filepath.Join(dir, "bad.json")
	os.WriteFile(notJSON, []byte("{"), 0o600)
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stdout []string // substrings
		stderr string
	}{
		{"ok", []string{"--state", state}, exitOK, []string{"entries written  100", "window           none in progress", "status           ok", "organization     E0ORG1234"}, ""},
		{"within max-lag", []string{"--state", state, "--max-lag", (lag + time.Hour).String()}, exitOK, []string{"status           ok"}, ""},
		{"lagging", []string{"--state", state, "--max-lag", "1h"}, exitLagging, []string{"status           lagging: the watermark"}, "more than --max-lag 1h0m0s"},
		{"lagging json", []string{"--state", state, "--max-lag", "1h", "--format", "json"}, exitLagging, []string{`"ok": false`, `"entries_written": 100`, `"max_lag_seconds": 3600`}, "lagging"},
		{"missing", []string{"--state", filepath.Join(dir, "none.json")}, exitNoState, []string{"no state file"}, "has tail run with this --state?"},
		{"missing json", []string{"--state", filepath.Join(dir, "none.json"), "--format", "json"}, exitNoState, []string{`"ok": false`, `"problem": "no state file`}, "no state file"},
		{"not JSON", []string{"--state", notJSON}, exitNoState, nil, "is not valid JSON"},
		{"unreadable", []string{"--state", dir}, exitNoState, nil, "cannot read state file"},
		{"no --state", nil, exitUsage, nil, "--state FILE is required"},
		{"bad --max-lag", []string{"--state", state, "--max-lag", "-1m"}, exitUsage, nil, `invalid value "-1m" for --max-lag: a duration must not be negative`},
		{"bad --format", []string{"--state", state, "--format", "xml"}, exitUsage, nil, `unknown --format "xml"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, nil, append([]string{"status"}, tc.args...)...)
			if r.code != tc.code || !strings.Contains(r.stderr, tc.stderr) || (tc.stderr == "" && r.stderr != "") {
				t.Fatalf("exit %d (want %d), stderr %q", r.code, tc.code, r.stderr)
			}
			for _, s := range tc.stdout {
				if !strings.Contains(r.stdout, s) {
					t.Errorf("stdout lacks %q:\n%s", s, r.stdout)
				}
			}
			if len(tc.args) > 0 && tc.args[len(tc.args)-1] == "json" {
				var m map[string]any
				if err := json.Unmarshal([]byte(r.stdout), &m); err != nil {
					t.Errorf("--format json printed no JSON: %v\n%s", err, r.stdout)
				}
			}
		})
	}
}

func TestStatusReportsWindowAndLastError(t *testing.T) {
	t.Parallel()
	// One 5xx on the third call, retried by tail (--retries 0: tail's own
	// retry), then a run that fails for good.
	srv, env := newServer(t, 60, auditlogstest.WithLatency(5*time.Millisecond))
	all := srv.Entries()
	c := collection{start: parse(t, all[len(all)-1]).DateCreate, end: parse(t, all[0]).DateCreate}
	dir := t.TempDir()
	state, out := filepath.Join(dir, "state.json"), filepath.Join(dir, "out.jsonl")
	args := append([]string{"--state", state, "--out", out, "--max-window", "2000h", "--limit", "10", "--retries", "0"}, c.args()...)

	srv.SetFaults(auditlogstest.Faults{ServerError: 1, FirstN: 1})
	r := runCLI(t, env, append([]string{"tail", "--once"}, args...)...)
	if r.code != exitError {
		t.Fatalf("tail --once with a 5xx: exit %d: %s", r.code, r.stderr)
	}
	r = runCLI(t, nil, "status", "--state", state, "--format", "json")
	var rep statusReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != 0 {
		t.Fatalf("status: exit %d, %v: %s", r.code, err, r.stdout)
	}
	if rep.LastError == nil || !rep.LastError.Fatal || !strings.Contains(rep.LastError.Message, "Slack failed (50") {
		t.Fatalf("last error: %+v", rep.LastError)
	}

	// A transient error in a running tail is recorded as retried, and the
	// window in progress shows.
	srv.SetFaults(auditlogstest.Faults{ServerError: 1, FirstN: 2})
	cancel, done := startTail(t, env, append(args, "--interval", "10ms")...)
	waitForBytes(t, out, 1)
	cancel()
	if r := <-done; r.code != 0 {
		t.Fatalf("tail: exit %d: %s", r.code, r.stderr)
	}
	rep, code := statusOf(state, 0, time.Now())
	if code != 0 || rep.LastError == nil || rep.LastError.Fatal || rep.Checkpoint == nil || rep.Output == nil {
		t.Fatalf("status after a retried error: %d %+v", code, rep)
	}
	if rep.Window == nil && rep.EntriesWritten != int64(len(all)) {
		t.Fatalf("neither a window in progress nor done: %+v", rep)
	}
	r = runCLI(t, nil, "status", "--state", state)
	if !strings.Contains(r.stdout, "retried): Slack failed") || !strings.Contains(r.stdout, "last checkpoint  20") {
		t.Fatalf("status text:\n%s", r.stdout)
	}
}

func TestStatusProcess(t *testing.T) {
	t.Parallel()
	bin := buildCLI(t)
	dir := t.TempDir()
	state := filepath.Join(dir, "state.json")
	writeState(t, state, time.Now().Add(-3*time.Minute).Unix())
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"--state", state, "--max-lag", "10m"}, exitOK},
		{[]string{"--state", state, "--max-lag", "1m"}, exitLagging},
		{[]string{"--state", filepath.Join(dir, "none.json")}, exitNoState},
		{[]string{"--max-lag", "1m"}, exitUsage},
	} {
		err := exec.Command(bin, append([]string{"status"}, tc.args...)...).Run()
		if code := exitCode(t, err); code != tc.code {
			t.Errorf("status %v: exit %d, want %d", tc.args, code, tc.code)
		}
	}
}

// writeState writes a state file of a collection with the given watermark,
// as tail would.
func writeState(t *testing.T, path string, watermark int64) {
	t.Helper()
	st := fmt.Sprintf(`{"version":2,"filters":{"action":"","actor":"","entity":""},"endpoint":"","org":"",`+
		`"start":"2025-01-01T00:00:00Z","checkpoint":{"version":1,"watermark":%d,"spans":[],"filters":{}},"output":null,`+
		`"clean_stop":true,"entries_written":0}`, watermark)
	if err := os.WriteFile(path, []byte(st), 0o600); err != nil {
		t.Fatal(err)
	}
}
