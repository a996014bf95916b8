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
	"github.com/slackaudit/auditlogs/internal/filesink"
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
		{"lagging", []string{"--state", state, "--max-lag", "1h"}, exitLagging, []string{"status           lagging: the watermark"}, "more than --max-lag 1h\n"},
		{"lagging json", []string{"--state", state, "--max-lag", "1h", "--format", "json"}, exitLagging, []string{`"ok": false`, `"entries_written": 100`, `"max_lag_seconds": 3600`}, "lagging"},
		{"missing", []string{"--state", filepath.Join(dir, "none.json")}, exitNoState, []string{"no state file"}, "has tail run with this --state?"},
		{"missing json", []string{"--state", filepath.Join(dir, "none.json"), "--format", "json"}, exitNoState, []string{`"ok": false`, `"problem": "no state file`}, "no state file"},
		{"not JSON", []string{"--state", notJSON}, exitNoState, nil, "is not valid JSON"},
		{"unreadable", []string{"--state", dir}, exitNoState, nil, "cannot read state file"},
		{"no --state", nil, exitUsage, nil, "--state FILE is required"},
		{"bad --max-lag", []string{"--state", state, "--max-lag", "-1m"}, exitUsage, nil, `invalid value "-1m" for --max-lag: a duration must not be negative`},
		{"bad --format", []string{"--state", state, "--format", "xml"}, exitUsage, nil, `invalid value "xml" for --format: unknown format: use table or json`},
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
	// The last error is newer than the last checkpoint: not OK.
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != exitUnhealthy || !strings.Contains(rep.Problem, "failing: the last error") {
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

// healthState is a state file for TestStatusHealth.
type healthState struct {
	lag          time.Duration // of the watermark
	windows      int64         // completed
	checkpointed time.Duration // ago; 0: never
	errAgo       time.Duration // the last error, ago; 0: none
	schedule     string        // the "schedule" member; "": none (an older tail)
}

func (h healthState) write(t *testing.T, path string, now time.Time) {
	t.Helper()
	m := map[string]any{"version": 2, "filters": map[string]any{}, "endpoint": "", "org": "",
		"start": "2025-01-01T00:00:00Z", "output": nil, "clean_stop": false, "entries_written": 5,
		"checkpoint": map[string]any{"version": 1, "watermark": now.Add(-h.lag).Unix(), "spans": []any{}, "filters": map[string]any{},
			"stats": map[string]any{"windows": h.windows}}}
	if h.checkpointed > 0 {
		m["checkpointed"] = now.Add(-h.checkpointed).UTC().Format(time.RFC3339)
	}
	if h.errAgo > 0 {
		m["last_error"] = map[string]any{"time": now.Add(-h.errAgo).UTC().Format(time.RFC3339), "message": "Slack failed (503)", "fatal": false}
	}
	if h.schedule != "" {
		m["schedule"] = json.RawMessage(h.schedule)
	}
	b, _ := json.Marshal(m)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestStatusHealth: without --max-lag, a collection that never completed a
// window or whose last error is newer than its last checkpoint is not OK
// (exit 7), and the lag is bounded by twice --settle plus --interval plus
// 10m, from the schedule the state records; --max-lag judges by the lag
// alone.
func TestStatusHealth(t *testing.T) {
	t.Parallel()
	const sched = `{"settle_seconds":120,"interval_seconds":60,"lookback_seconds":1800,"max_window_seconds":86400,"once":false}`
	const schedOnce = `{"settle_seconds":120,"interval_seconds":60,"lookback_seconds":1800,"max_window_seconds":86400,"once":true}`
	now := time.Now()
	cases := []struct {
		name   string
		st     healthState
		args   []string
		code   int
		want   string // in stdout
		stderr string // in stderr
	}{
		{"ok", healthState{3 * time.Minute, 4, time.Minute, 0, sched}, nil, exitOK, "lag bound        16m (from tail's --settle and --interval)", ""},
		{"old error", healthState{3 * time.Minute, 4, time.Minute, 5 * time.Minute, sched}, nil, exitOK, "status           ok", ""},
		{"never completed a window", healthState{3 * time.Minute, 0, time.Minute, 0, sched}, nil, exitUnhealthy, "windows done     0", "starting: tail has not completed a window yet"},
		{"never checkpointed", healthState{3 * time.Minute, 0, 0, 0, sched}, nil, exitUnhealthy, "last checkpoint  none yet", "starting:"},
		{"error after the checkpoint", healthState{3 * time.Minute, 4, 5 * time.Minute, time.Minute, sched}, nil, exitUnhealthy, "status           failing", "failing: the last error"},
		{"error, never checkpointed", healthState{3 * time.Minute, 0, 0, time.Minute, sched}, nil, exitUnhealthy, "", "failing: the last error"},
		{"lagging past the schedule's bound", healthState{17 * time.Minute, 4, time.Minute, 0, sched}, nil, exitLagging, "lagging", "more than the bound from tail's --settle and --interval 16m"},
		{"once: no bound", healthState{12 * time.Hour, 4, time.Hour, 0, schedOnce}, nil, exitOK, "lag bound        none (see --max-lag)", ""},
		{"older state: no bound", healthState{12 * time.Hour, 4, time.Hour, 0, ""}, nil, exitOK, "schedule         not recorded", ""},
		{"--max-lag judges alone", healthState{3 * time.Minute, 0, 0, time.Minute, sched}, []string{"--max-lag", "10m"}, exitOK, "lag bound        10m (--max-lag)", ""},
		{"--max-lag lagging", healthState{12 * time.Minute, 4, time.Minute, 0, sched}, []string{"--max-lag", "10m"}, exitLagging, "", "more than --max-lag 10m"},
		{"--max-lag 0: no lag check", healthState{12 * time.Hour, 4, time.Minute, 0, sched}, []string{"--max-lag", "0"}, exitOK, "lag bound        none", ""},
		{"json", healthState{3 * time.Minute, 4, time.Minute, 0, sched}, []string{"--format", "json"}, exitOK, `"max_lag_from": "schedule"`, ""},
		{"json bound", healthState{3 * time.Minute, 4, time.Minute, 0, sched}, []string{"--format", "json"}, exitOK, `"max_lag_seconds": 960`, ""},
		{"json schedule", healthState{3 * time.Minute, 4, time.Minute, 0, sched}, []string{"--format", "json"}, exitOK, `"settle": "2m"`, ""},
		{"json unhealthy", healthState{3 * time.Minute, 0, 0, 0, sched}, []string{"--format", "json"}, exitUnhealthy, `"windows_completed": 0`, "starting"},
		{"text, the old name of table", healthState{3 * time.Minute, 4, time.Minute, 0, sched}, []string{"--format", "text"}, exitOK, "status           ok", ""},
		{"table", healthState{3 * time.Minute, 4, time.Minute, 0, sched}, []string{"--format", "table"}, exitOK, "status           ok", ""},
		{"schedule not tail's", healthState{3 * time.Minute, 4, time.Minute, 0, `{"settle_seconds":-5}`}, nil, exitNoState, "", `field "schedule" has a negative duration`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "state.json")
			c.st.write(t, path, now)
			r := runCLI(t, nil, append([]string{"status", "--state", path}, c.args...)...)
			if r.code != c.code || !strings.Contains(r.stdout, c.want) || !strings.Contains(r.stderr, c.stderr) || (c.stderr == "" && r.stderr != "") {
				t.Fatalf("exit %d (want %d), stderr %q (want %q), stdout:\n%s\nwant %q", r.code, c.code, r.stderr, c.stderr, r.stdout, c.want)
			}
		})
	}
}

// TestStatusScheduleFromTail: tail records its schedule in the state, and
// status bounds the lag by it.
func TestStatusScheduleFromTail(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "audit.jsonl")
	cancel, done := startTail(t, nil, "--demo", "--out", out, "--settle", "1m", "--interval", "20ms", "--lookback", "1h")
	waitForBytes(t, out, 1)
	cancel()
	if r := <-done; r.code != 0 {
		t.Fatalf("tail: exit %d: %s", r.code, r.stderr)
	}
	want := filesink.Schedule{Settle: 60, Interval: 0, Lookback: 3600, MaxWindow: 86400}
	if s := readState(t, out+".state.json").Schedule; s == nil || *s != want {
		t.Fatalf("schedule %+v, want %+v", s, want)
	}
	r := runCLI(t, nil, "status", "--state", out+".state.json", "--format", "json")
	var rep statusReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != exitOK || rep.MaxLagSeconds != 2*60+600 || rep.MaxLagFrom != "schedule" {
		t.Fatalf("status: exit %d, %v, %+v: %s", r.code, err, rep, r.stderr)
	}
	// A run with --once records it: no bound then.
	if r := runCLI(t, nil, "tail", "--demo", "--once", "--out", out, "--settle", "1m"); r.code != 0 {
		t.Fatalf("tail --once: exit %d: %s", r.code, r.stderr)
	}
	if s := readState(t, out+".state.json").Schedule; s == nil || !s.Once {
		t.Fatalf("schedule %+v after --once", s)
	}
}

// TestStatusHelp: status's help in the style, its exit codes listed here
// and in the main help.
func TestStatusHelp(t *testing.T) {
	t.Parallel()
	r := runCLI(t, nil, "status", "--help")
	for _, want := range []string{"[--max-lag DURATION] [--format table|json]", "--max-lag DURATION", "--format table|json",
		"also accepted: text for table", "\n  7    no window completed yet", "\n  4    lagging"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("status --help lacks %q", want)
		}
	}
	if m := runCLI(t, nil, "help"); !strings.Contains(m.stdout, "\n  7    status (without --max-lag)") {
		t.Error("the main help does not list exit 7")
	}
}

// TestStatusRecoveredAfterError: a collection with nothing new to write
// that met an error and recovered is OK again at once: tail saves the first
// page after an error, empty or not, so the last checkpoint is newer than
// the error.
func TestStatusRecoveredAfterError(t *testing.T) {
	t.Parallel()
	srv, env := newServer(t, 30)
	all := srv.Entries()
	c := collection{start: parse(t, all[len(all)-1]).DateCreate, end: parse(t, all[0]).DateCreate}
	dir := t.TempDir()
	state, out := filepath.Join(dir, "state.json"), filepath.Join(dir, "out.jsonl")
	args := append([]string{"--state", state, "--out", out, "--retries", "0"}, c.args()...)
	if r := runCLI(t, env, append([]string{"tail", "--once", "--max-window", "2000h"}, args...)...); r.code != 0 {
		t.Fatalf("tail --once: exit %d: %s", r.code, r.stderr)
	}
	// Nothing new: every page now is empty. The first call fails, the retry
	// succeeds.
	srv.SetFaults(auditlogstest.Faults{ServerError: 1, FirstN: 1})
	cancel, done := startTail(t, env, append(args, "--interval", "10ms")...)
	defer func() {
		cancel()
		if r := <-done; r.code != 0 {
			t.Errorf("tail: exit %d: %s", r.code, r.stderr)
		}
	}()
	deadline := time.Now().Add(15 * time.Second)
	for {
		st := readState(t, state)
		if e := st.LastError; e != nil && !e.Time.After(st.Checkpointed) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the state never showed a checkpoint after the error: %+v, checkpointed %s", st.LastError, st.Checkpointed)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if rep, code := statusOf(state, lagDefault, time.Now()); code != exitOK {
		t.Fatalf("status after recovering: exit %d: %s", code, rep.Problem)
	}
}
