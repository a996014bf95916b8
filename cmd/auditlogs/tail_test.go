package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slackaudit/auditlogs/auditlogstest"
	"github.com/slackaudit/auditlogs/collect"
	"github.com/slackaudit/auditlogs/internal/filesink"
)

// collection describes a tail run over a fixed corpus: from start to end,
// where end is reached by a --settle that puts "now minus settle" just
// after the corpus (the synthetic corpus is fixed in time, long ago).
type collection struct {
	start, end int64
}

// args are the tail flags that make the windows span [start, end].
func (c collection) args() []string {
	settle := time.Since(time.Unix(c.end, 0)).Truncate(time.Second)
	return []string{"--oldest", itoa(c.start), "--settle", settle.String(), "--rate", "0"}
}

// want returns the server's entries a collection must write.
func (c collection) want(t *testing.T, entries []json.RawMessage) []json.RawMessage {
	return filter(t, entries, func(f fields) bool { return f.DateCreate >= c.start && f.DateCreate <= c.end })
}

// checkExactlyOnce asserts that out holds every entry of want exactly once,
// each line byte for byte as the server sent it, in any order.
func checkExactlyOnce(t *testing.T, out []byte, want []json.RawMessage) {
	t.Helper()
	if len(out) > 0 && out[len(out)-1] != '\n' {
		t.Fatalf("output does not end with a line break: %q", out[max(0, len(out)-80):])
	}
	got := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(out) == 0 {
		got = nil
	}
	wantLines := make([]string, len(want))
	for i, w := range want {
		wantLines[i] = string(w)
	}
	slices.Sort(got)
	slices.Sort(wantLines)
	if slices.Equal(got, wantLines) {
		return
	}
	counts := map[string]int{}
	for _, g := range got {
		counts[g]++
	}
	dups, missing := 0, 0
	for _, w := range wantLines {
		switch counts[w] {
		case 0:
			missing++
		case 1:
		default:
			dups++
		}
		delete(counts, w)
	}
	t.Fatalf("output has %d lines, want %d: %d duplicated, %d missing, %d not from the server",
		len(got), len(wantLines), dups, missing, len(counts))
}

// testState is a state file as the tests read it: the file sink's state
// and the checkpoint in it.
type testState struct {
	filesink.State
	CP *collect.Checkpoint
}

func readState(t *testing.T, path string) testState {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var st testState
	if err := json.Unmarshal(b, &st.State); err != nil {
		t.Fatal(err)
	}
	if st.CP, err = checkpointOf(st.State.Checkpoint); err != nil {
		t.Fatal(err)
	}
	return st
}

// boundaryEntries builds a corpus whose entries crowd the seconds where
// hourly windows from t0 meet, plus one just before t0 that must not be
// collected.
func boundaryEntries(t0 int64) []json.RawMessage {
	var out []json.RawMessage
	add := func(id string, date int64) {
		out = append(out, json.RawMessage(fmt.Sprintf(`{"id":%q,"date_create":%d,"action":"user_login",`+
			`"actor":{"type":"user","user":{"id":"W1","email":"a@example.com"}},"entity":{"type":"user","user":{"id":"W1"}},"context":{}}`, id, date)))
	}
	add("before", t0-1)
	for h := int64(0); h <= 6; h++ {
		b := t0 + h*3600
		for k := range 3 {
			add(fmt.Sprintf("b%d-%d", h, k), b) // at the boundary second
		}
		add(fmt.Sprintf("m%d", h), b+1800) // inside a window
		add(fmt.Sprintf("e%d", h), b-1)    // last second before the boundary
	}
	return out
}

func TestTailBoundarySecondsOnce(t *testing.T) {
	t.Parallel()
	t0 := auditlogstest.SyntheticEpoch - 10*86400
	srv, env := newServer(t, 0, auditlogstest.WithEntries(boundaryEntries(t0)))
	dir := t.TempDir()
	state, out := filepath.Join(dir, "state.json"), filepath.Join(dir, "out.jsonl")
	c := collection{start: t0, end: t0 + 6*3600 + 1800}
	args := append([]string{"tail", "--state", state, "--out", out, "--once", "--max-window", "1h", "--limit", "2"}, c.args()...)
	r := runCLI(t, env, args...)
	if r.code != 0 || r.stderr != "" || r.stdout != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	b, _ := os.ReadFile(out)
	checkExactlyOnce(t, b, c.want(t, srv.Entries()))
	st := readState(t, state)
	if _, _, mid := st.CP.InProgress(); mid || st.Output.Offset != int64(len(b)) || !st.CleanStop || st.Entries != int64(len(c.want(t, srv.Entries()))) {
		t.Errorf("final state: %+v", st)
	}

	// A second run finds nothing new and writes nothing.
	r = runCLI(t, env, args...)
	b2, _ := os.ReadFile(out)
	if r.code != 0 || !bytes.Equal(b, b2) {
		t.Fatalf("second run: exit %d, %q; output changed", r.code, r.stderr)
	}
}

func TestTailStdoutAndFilters(t *testing.T) {
	t.Parallel()
	srv, env := newServer(t, 400)
	all := srv.Entries()
	c := collection{start: parse(t, all[300]).DateCreate, end: parse(t, all[0]).DateCreate}
	state := filepath.Join(t.TempDir(), "state.json")
	args := append([]string{"tail", "--state", state, "--once", "--max-window", "72h", "--limit", "5"}, c.args()...)
	r := runCLI(t, env, args...)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	checkExactlyOnce(t, []byte(r.stdout), c.want(t, all))

	// A state made with other filters is refused.
	r = runCLI(t, env, append(args, "--action", "user_login")...)
	if r.code != 2 || !strings.Contains(r.stderr, "other filters") || !strings.Contains(r.stderr, `--action "user_login"`) {
		t.Fatalf("filters changed: exit %d, %q", r.code, r.stderr)
	}

	// Filters are sent with every page of every window.
	state2 := filepath.Join(t.TempDir(), "state.json")
	r = runCLI(t, env, append([]string{"tail", "--state", state2, "--once", "--max-window", "72h", "--limit", "3",
		"--action", "user_login"}, c.args()...)...)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	want := filter(t, c.want(t, all), func(f fields) bool { return f.Action == "user_login" })
	checkExactlyOnce(t, []byte(r.stdout), want)
}

// startTail runs tail in-process in the background; cancel stops it as a
// signal would.
func startTail(t *testing.T, env map[string]string, args ...string) (cancel func(), done <-chan result) {
	t.Helper()
	ctx, cancelFn := context.WithCancel(context.Background())
	ch := make(chan result, 1)
	go func() {
		var out, errb bytes.Buffer
		code := run(ctx, append([]string{"tail"}, args...), strings.NewReader(""), &out, &errb, func(k string) string { return env[k] })
		ch <- result{code, out.String(), errb.String()}
	}()
	return cancelFn, ch
}

// waitForBytes waits until file holds at least n bytes.
func waitForBytes(t *testing.T, file string, n int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if fi, err := os.Stat(file); err == nil && fi.Size() >= n {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("%s never reached %d bytes", file, n)
}

func TestTailSignalThenRefusedCursor(t *testing.T) {
	t.Parallel()
	srv, env := newServer(t, 300, auditlogstest.WithLatency(15*time.Millisecond))
	all := srv.Entries()
	c := collection{start: parse(t, all[len(all)-1]).DateCreate, end: parse(t, all[0]).DateCreate}
	dir := t.TempDir()
	state, out := filepath.Join(dir, "state.json"), filepath.Join(dir, "out.jsonl")
	args := append([]string{"--state", state, "--out", out, "--max-window", "2000h", "--limit", "6"}, c.args()...)

	// A signal (here: the context) in the middle of the window: the page in
	// hand is finished and checkpointed, and tail exits 0.
	cancel, done := startTail(t, env, args...)
	waitForBytes(t, out, 1)
	cancel()
	r := <-done
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("stopped: exit %d, %q", r.code, r.stderr)
	}
	st := readState(t, state)
	fi, _ := os.Stat(out)
	if _, _, mid := st.CP.InProgress(); !st.CleanStop || !mid || st.Output.Offset != fi.Size() {
		t.Fatalf("state after the signal: %+v, mid-window %v, file %d bytes", st, mid, fi.Size())
	}

	// Slack refuses the saved cursor: the window is read again, from a file
	// cut back to the window's start.
	srv.SetFaults(auditlogstest.Faults{RefuseCursor: 1, FirstN: 1})
	r = runCLI(t, env, append([]string{"tail", "--once"}, args...)...)
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("resumed: exit %d, %q", r.code, r.stderr)
	}
	if srv.Stats().InvalidCursors != 1 {
		t.Errorf("the server refused %d cursors, want 1", srv.Stats().InvalidCursors)
	}
	b, _ := os.ReadFile(out)
	checkExactlyOnce(t, b, c.want(t, all))
}

func TestTailRefusedCursorMidWindow(t *testing.T) {
	t.Parallel()
	// Requests 2 and 4 carry a cursor and are refused, after a page of the
	// window was written each time.
	srv, env := newServer(t, 200, auditlogstest.WithFaults(auditlogstest.Faults{RefuseCursor: 1, FirstN: 4}))
	all := srv.Entries()
	c := collection{start: parse(t, all[len(all)-1]).DateCreate, end: parse(t, all[0]).DateCreate}
	dir := t.TempDir()
	state, out := filepath.Join(dir, "state.json"), filepath.Join(dir, "out.jsonl")
	r := runCLI(t, env, append([]string{"tail", "--state", state, "--out", out, "--once", "--max-window", "2000h", "--limit", "9"}, c.args()...)...)
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("exit %d, %q", r.code, r.stderr)
	}
	if n := srv.Stats().InvalidCursors; n != 2 {
		t.Errorf("the server refused %d cursors, want 2", n)
	}
	b, _ := os.ReadFile(out)
	checkExactlyOnce(t, b, c.want(t, all))
}

func TestTailRotation(t *testing.T) {
	t.Parallel()
	srv, env := newServer(t, 300, auditlogstest.WithLatency(10*time.Millisecond))
	all := srv.Entries()
	c := collection{start: parse(t, all[len(all)-1]).DateCreate, end: parse(t, all[0]).DateCreate}
	dir := t.TempDir()
	state, out := filepath.Join(dir, "state.json"), filepath.Join(dir, "out.jsonl")
	args := append([]string{"--state", state, "--out", out, "--max-window", "240h", "--limit", "8"}, c.args()...)
	cancel, done := startTail(t, env, args...)
	waitForBytes(t, out, 1)
	cancel()
	if r := <-done; r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	// Rotate: move the file away, start again with the same --out.
	if err := os.Rename(out, out+".1"); err != nil {
		t.Fatal(err)
	}
	// The restart says what it found, and starts a new file.
	if r := runCLI(t, env, append([]string{"tail", "--once"}, args...)...); r.code != 0 ||
		!strings.HasPrefix(r.stderr, "auditlogs: --out was moved or replaced while tail was stopped: starting a new file") {
		t.Fatalf("after rotation: exit %d, %q", r.code, r.stderr)
	}
	// Switch to another file: that works too.
	out2 := filepath.Join(dir, "other.jsonl")
	args2 := slices.Clone(args)
	args2[3] = out2
	if r := runCLI(t, env, append([]string{"tail", "--once"}, args2...)...); r.code != 0 || r.stderr != "" {
		t.Fatalf("another --out: exit %d, %q", r.code, r.stderr)
	}
	b1, _ := os.ReadFile(out + ".1")
	b2, _ := os.ReadFile(out)
	b3, _ := os.ReadFile(out2)
	if len(b1) == 0 || len(b2) == 0 || len(b3) != 0 {
		t.Fatalf("sizes %d, %d, %d", len(b1), len(b2), len(b3))
	}
	checkExactlyOnce(t, append(b1, b2...), c.want(t, all))
}

func TestTailLockedAndBadState(t *testing.T) {
	t.Parallel()
	_, env := newServer(t, 10)
	dir := t.TempDir()
	state := filepath.Join(dir, "state.json")
	sink, err := filesink.Open(filesink.Config{StatePath: state}, &filesink.State{Start: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, env, "tail", "--state", state, "--once")
	sink.Close(true)
	if r.code != 1 || !strings.Contains(r.stderr, "another auditlogs tail is using this state file") {
		t.Errorf("locked: exit %d, %q", r.code, r.stderr)
	}
	os.WriteFile(state, []byte("{not json"), 0o600)
	r = runCLI(t, env, "tail", "--state", state, "--once")
	if r.code != 1 || !strings.Contains(r.stderr, "not valid JSON") {
		t.Errorf("bad state: exit %d, %q", r.code, r.stderr)
	}
	os.WriteFile(state, []byte(`{"version": 99}`), 0o600)
	r = runCLI(t, env, "tail", "--state", state, "--once")
	if r.code != 1 || !strings.Contains(r.stderr, "version 99") {
		t.Errorf("future state: exit %d, %q", r.code, r.stderr)
	}
}

func TestTailRidesOutServerErrors(t *testing.T) {
	t.Parallel()
	// Each call is tried twice (--retries 1): the first three calls fail.
	srv, env := newServer(t, 100, auditlogstest.WithFaults(auditlogstest.Faults{ServerError: 1, FirstN: 6}))
	all := srv.Entries()
	c := collection{start: parse(t, all[len(all)-1]).DateCreate, end: parse(t, all[0]).DateCreate}
	dir := t.TempDir()
	state, out := filepath.Join(dir, "state.json"), filepath.Join(dir, "out.jsonl")
	cancel, done := startTail(t, env, append([]string{"--state", state, "--out", out, "--max-window", "2000h",
		"--limit", "30", "--retries", "1", "--interval", "20ms"}, c.args()...)...)
	want := c.want(t, all)
	waitForBytes(t, out, int64(len(joinLines(want))))
	cancel()
	r := <-done
	if r.code != 0 || strings.Count(r.stderr, "auditlogs: warning: Slack failed") != 3 {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	b, _ := os.ReadFile(out)
	checkExactlyOnce(t, b, want)

	// With --once, the same failure is an error.
	srv.SetFaults(auditlogstest.Faults{ServerError: 1})
	state2 := filepath.Join(dir, "state2.json")
	r = runCLI(t, env, append([]string{"tail", "--state", state2, "--once", "--retries", "1"}, c.args()...)...)
	if r.code != 1 || !strings.HasPrefix(r.stderr, "auditlogs: Slack failed") {
		t.Fatalf("--once: exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestTailGrammar: tail's range, durations, --log-format and help in the
// grammar of the other commands.
func TestTailGrammar(t *testing.T) {
	t.Parallel()
	now := time.Now()
	cases := []struct {
		name   string
		args   []string
		code   int
		stderr string    // in stderr ("" : stderr empty)
		start  time.Time // the state's start, if not zero
	}{
		{"oldest", []string{"--oldest", "2h"}, exitOK, "", now.Add(-2 * time.Hour)},
		{"start, the hidden alias", []string{"--start", "3h"}, exitOK, "", now.Add(-3 * time.Hour)},
		{"default 24h ago", nil, exitOK, "", now.Add(-24 * time.Hour)},
		{"oldest and start", []string{"--start", "1h", "--oldest", "2h"}, exitUsage, "--start and --oldest are the same flag, given twice: give it once", time.Time{}},
		{"latest refused", []string{"--latest", "1h"}, exitUsage, "--latest: tail has no end: it collects up to now minus --settle", time.Time{}},
		{"latest alone", []string{"--latest"}, exitUsage, "--latest: tail has no end", time.Time{}},
		{"latest=", []string{"--latest=2025-01-01"}, exitUsage, "--latest: tail has no end", time.Time{}},
		{"latest names logs", []string{"--latest", "now"}, exitUsage, "'auditlogs logs --oldest TIME --latest TIME --out FILE'", time.Time{}},
		{"typo of oldest", []string{"--olddest", "1h"}, exitUsage, "unknown flag --olddest (did you mean --oldest?)", time.Time{}},
		{"bad time", []string{"--oldest", "soon"}, exitUsage, `invalid value "soon" for --oldest: not a time`, time.Time{}},
		{"durations in days", []string{"--interval", "1d", "--settle", "1h30m", "--max-window", "2w", "--lookback", "1d"}, exitOK, "", time.Time{}},
		{"lookback off", []string{"--lookback", "0"}, exitOK, "", time.Time{}},
		{"bare number", []string{"--lookback", "30"}, exitUsage, `invalid value "30" for --lookback: a duration needs a unit: 30s, 30m, 30h or 30d`, time.Time{}},
		{"negative", []string{"--settle", "-1m"}, exitUsage, `invalid value "-1m" for --settle: a duration must not be negative`, time.Time{}},
		{"interval 0", []string{"--interval", "0"}, exitUsage, "--interval must be positive, such as 30s or 1m", time.Time{}},
		{"max-window too short", []string{"--max-window", "500ms"}, exitUsage, "--max-window must be at least 1s", time.Time{}},
		{"log-format json", []string{"--log-format", "json"}, exitOK, `"msg":"window done"`, time.Time{}},
		{"log-format text", []string{"--log-format", "text"}, exitOK, `msg="window done"`, time.Time{}},
		{"log-format xml", []string{"--log-format", "xml"}, exitUsage, `invalid value "xml" for --log-format: unknown format: use text or json`, time.Time{}},
		{"log-format twice", []string{"--log-format", "json", "--log-format", "text"}, exitUsage, `--log-format given twice ("json", then "text")`, time.Time{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			state := filepath.Join(t.TempDir(), "state.json")
			r := runCLI(t, nil, append([]string{"tail", "--demo", "--once", "--state", state}, c.args...)...)
			if r.code != c.code || !strings.Contains(r.stderr, c.stderr) || (c.stderr == "" && r.stderr != "") {
				t.Fatalf("exit %d (want %d), stderr %q; want %q", r.code, c.code, r.stderr, c.stderr)
			}
			if c.start.IsZero() {
				return
			}
			if st := readState(t, state); st.Start.Sub(c.start).Abs() > time.Minute {
				t.Errorf("the state starts at %s, want about %s", st.Start, c.start)
			}
		})
	}

	r := runCLI(t, nil, "tail", "--help")
	for _, want := range []string{
		"[--oldest TIME]", "--interval DURATION", "--settle DURATION", "--lookback DURATION", "--max-window DURATION",
		"--log-format text|json", "(default 1m)", "(default 2m)", "(default 30m)", "(default 1d)",
		"tail has no --latest", "Side files:", "FILE.tmp", "flock(2)", "FILE.state.json", "--debug's",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("tail --help lacks %q", want)
		}
	}
	for _, bad := range []string{"\n  --start", "\n  --latest", " D)", "`"} {
		if strings.Contains(r.stdout, bad) {
			t.Errorf("tail --help has %q", bad)
		}
	}
}

// TestTailLogFormatDebugJSON: with --log-format json, every line on stderr
// is a JSON record: --debug's, the notice of a state beside --out, and the
// error tail exits on.
func TestTailLogFormatDebugJSON(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "audit.jsonl")
	for _, c := range []struct {
		args  []string
		code  int
		want  []string // messages among the records
		level string   // a level among the records
	}{
		{[]string{"--debug"}, exitOK, []string{"window done", "auditlogs: performing request"}, "DEBUG"},
		{[]string{"--debug", "--out", out}, exitOK, []string{"--demo without --state: the state is kept beside --out"}, "DEBUG"},
		{[]string{"--out", out, "--action", "user_login"}, exitUsage, []string{}, "ERROR"},
	} {
		r := runCLI(t, nil, append([]string{"tail", "--demo", "--once", "--log-format", "json"}, c.args...)...)
		if r.code != c.code {
			t.Fatalf("%q: exit %d, want %d: %s", c.args, r.code, c.code, r.stderr)
		}
		msgs, levels := map[string]bool{}, map[string]bool{}
		for _, line := range strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n") {
			var rec struct{ Msg, Level string }
			if err := json.Unmarshal([]byte(line), &rec); err != nil || rec.Msg == "" {
				t.Fatalf("%q: a stderr line is not a JSON record: %q", c.args, line)
			}
			msgs[rec.Msg], levels[rec.Level] = true, true
		}
		for _, m := range c.want {
			if !msgs[m] {
				t.Errorf("%q: no %q record in %s", c.args, m, r.stderr)
			}
		}
		if !levels[c.level] {
			t.Errorf("%q: no %s record in %s", c.args, c.level, r.stderr)
		}
	}
}

// TestTailDemoOutState: tail --demo --out FILE without --state keeps its
// state beside FILE and says so: a second run writes no event twice.
func TestTailDemoOutState(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "audit.jsonl")
	for run := range 2 {
		r := runCLI(t, nil, "tail", "--demo", "--once", "--out", out)
		if r.code != 0 || !strings.Contains(r.stderr, "the state is kept beside --out (state "+out+".state.json)") {
			t.Fatalf("run %d: exit %d, stderr %q", run+1, r.code, r.stderr)
		}
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for line := range strings.SplitSeq(strings.TrimSuffix(string(b), "\n"), "\n") {
		seen[parse(t, json.RawMessage(line)).ID]++
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("event %s written %d times", id, n)
		}
	}
	if st := readState(t, out+".state.json"); len(seen) == 0 || st.Entries != int64(len(seen)) {
		t.Errorf("%d events in the output, the state counts %d", len(seen), st.Entries)
	}
}

// TestTailFiltersSorted: the state records each filter list sorted and
// without duplicates, so the order of the names makes no other collection;
// a state from before that, unsorted, is resumed too.
func TestTailFiltersSorted(t *testing.T) {
	t.Parallel()
	_, env := newServer(t, 50)
	dir := t.TempDir()
	state, out := filepath.Join(dir, "state.json"), filepath.Join(dir, "out.jsonl")
	base := []string{"tail", "--state", state, "--out", out, "--once", "--max-window", "2000h", "--oldest", "2018-03-01", "--rate", "0"}
	for _, c := range []struct {
		args []string
		code int
	}{
		{[]string{"--action", "user_logout,user_login", "--exclude-action", "b,a,b"}, exitOK},
		{[]string{"--action", "user_login,user_logout", "--exclude-action", "a,b"}, exitOK},
		{[]string{"--action", "user_login", "--action", "user_logout", "--action", "user_login", "--exclude-action", "a", "--exclude-action", "b"}, exitOK},
		{[]string{"--action", "user_login", "--exclude-action", "a,b"}, exitUsage},
		{[]string{"--action", "user_login,user_logout"}, exitUsage},
	} {
		r := runCLI(t, env, append(base, c.args...)...)
		if r.code != c.code {
			t.Fatalf("%q: exit %d, want %d: %s", c.args, r.code, c.code, r.stderr)
		}
	}
	if f := readState(t, state).Filters; f.Action != "user_login,user_logout" || f.Exclude != "a,b" {
		t.Fatalf("the state's filters: %+v", f)
	}
	// A state written unsorted (by an older tail) is resumed with the same
	// names in any order.
	editState(t, state, func(m map[string]any) {
		m["filters"].(map[string]any)["action"] = "user_logout,user_login"
		m["checkpoint"].(map[string]any)["filters"].(map[string]any)["action"] = "user_logout,user_login"
	})
	if r := runCLI(t, env, append(base, "--action", "user_login,user_logout", "--exclude-action", "b,a")...); r.code != 0 {
		t.Fatalf("unsorted state: exit %d: %s", r.code, r.stderr)
	}
}
