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
	return []string{"--start", itoa(c.start), "--settle", settle.String(), "--rate", "0"}
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
