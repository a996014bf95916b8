package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/slackaudit/auditlogs/auditlogstest"
)

// TestTailLateEventsKill9 runs tail against a fake on today's clock where a
// share of the events show up in /logs 3 to 6 s after their date_create,
// kills it with SIGKILL at random moments while the events arrive, and
// checks that --out holds every event exactly once (the loss without the
// lookback: TestTailLookbackFindsLateEvents).
func TestTailLateEventsKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("takes about 15 s of wall clock: events arrive in real time")
	}
	t.Parallel()
	bin := buildCLI(t)
	// Events from 2 s from now on, for 8 s, about 4 a second, all sharing
	// a second; half of them late by 3 to 6 s.
	t0 := time.Now().Add(2 * time.Second).Unix()
	var entries []json.RawMessage
	for i := range 32 {
		d := t0 + int64(i)/4
		entries = append(entries, json.RawMessage(fmt.Sprintf(`{"id":"late-%03d","date_create":%d,"action":"user_login",`+
			`"actor":{"type":"user","user":{"id":"W1","email":"a@example.com"}},"entity":{"type":"user","user":{"id":"W1"}},"context":{}}`, i, d)))
	}
	srv, _ := newServer(t, 0, auditlogstest.WithEntries(entries), auditlogstest.WithLateEvents(0.5, 3*time.Second, 6*time.Second))
	end := t0 + 8

	dir := t.TempDir()
	state, outPath := filepath.Join(dir, "state.json"), filepath.Join(dir, "out.jsonl")
	args := []string{"--state", state, "--out", outPath, "--start", itoa(t0 - 2), "--settle", "1s", "--interval", "100ms",
		"--lookback", "8s", "--rate", "0", "--limit", "3"}
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 3))
	t.Logf("seed %d", seed)
	// Kill and restart until the last event has been visible for a while
	// and its window is nearly a lookback old.
	kills := 0
	deadline := time.Unix(end, 0).Add(6*time.Second + 2*time.Second)
	for time.Now().Before(deadline) {
		p := startProc(t, tailCmd(bin, srv, args...))
		time.Sleep(time.Duration(50+rng.IntN(600)) * time.Millisecond)
		p.cmd.Process.Signal(syscall.SIGKILL)
		p.wait(t, 10*time.Second)
		kills++
	}
	// A last run reads what is settled, and the re-reads due.
	time.Sleep(time.Until(time.Unix(end, 0).Add(9 * time.Second)))
	if b, err := tailCmd(bin, srv, append(args, "--once")...).CombinedOutput(); err != nil {
		t.Fatalf("final run: %v: %s", err, b)
	}
	out, _ := os.ReadFile(outPath)
	checkExactlyOnce(t, out, entries)
	if st := readState(t, state); st.CP.Stats.Late == 0 {
		t.Errorf("no late event counted: the test did not need the lookback")
	} else {
		t.Logf("%d kills, %d entries exactly once, %d of them found late", kills, len(entries), st.CP.Stats.Late)
	}
}

// TestTailLookbackFindsLateEvents: the fake's clock is held where some
// events are not there yet while tail reads their window; once they are,
// tail with a lookback writes them, exactly once, and with --lookback 0 it
// never does: the loss the lookback prevents.
func TestTailLookbackFindsLateEvents(t *testing.T) {
	t.Parallel()
	t0 := time.Now().Add(-2 * time.Minute).Unix()
	var entries []json.RawMessage
	for i := range 40 {
		entries = append(entries, json.RawMessage(fmt.Sprintf(`{"id":"late-%03d","date_create":%d,"action":"user_login",`+
			`"actor":{"type":"user","user":{"id":"W1","email":"a@example.com"}},"entity":{"type":"user","user":{"id":"W1"}},"context":{}}`, i, t0+int64(i)/4)))
	}
	for _, tc := range []struct {
		lookback string
		lost     bool
	}{{"2s", false}, {"0", true}} {
		t.Run("lookback "+tc.lookback, func(t *testing.T) {
			t.Parallel()
			var at atomic.Int64 // the fake's clock
			at.Store(t0 + 5)
			_, env := newServer(t, 0, auditlogstest.WithEntries(entries), auditlogstest.WithLateEvents(0.5, 3*time.Second, 20*time.Second),
				auditlogstest.WithClock(func() time.Time { return time.Unix(at.Load(), 0) }))
			dir := t.TempDir()
			state, out := filepath.Join(dir, "state.json"), filepath.Join(dir, "out.jsonl")
			// The first run reads up to now with the fake at t0+5; the
			// second, a lookback later, with every event there.
			args := []string{"tail", "--state", state, "--out", out, "--once", "--start", itoa(t0), "--settle", "0s",
				"--lookback", tc.lookback, "--rate", "0"}
			r := runCLI(t, env, args...)
			first, _ := os.ReadFile(out)
			if r.code != 0 || len(first) == 0 || len(first) == len(joinLines(entries)) {
				t.Fatalf("first run: exit %d, %d bytes: %s", r.code, len(first), r.stderr)
			}
			at.Store(t0 + 60) // every event is there now
			time.Sleep(2100 * time.Millisecond)
			r = runCLI(t, env, args...)
			if r.code != 0 {
				t.Fatalf("second run: exit %d: %s", r.code, r.stderr)
			}
			b, _ := os.ReadFile(out)
			if !tc.lost {
				checkExactlyOnce(t, b, entries)
				if n := strings.Count(r.stderr, "late event recovered"); n == 0 {
					t.Errorf("no late event logged: %s", r.stderr)
				}
				rep, _ := statusOf(state, 0, time.Now())
				if rep.Late == nil || rep.Late.Total == 0 || rep.Late.Last24h != rep.Late.Total || rep.Late.MaxLatenessSeconds < 3 {
					t.Errorf("status: %+v", rep.Late)
				}
				return
			}
			got, want := strings.Count(string(b), "\n"), len(entries)
			if got >= want {
				t.Fatalf("with --lookback 0, %d of %d events written: nothing lost", got, want)
			}
			t.Logf("with --lookback 0, %d of %d events were lost", want-got, want)
			checkExactlyOnce(t, b, filter(t, entries, func(f fields) bool { return strings.Contains(string(first), f.ID) }))
		})
	}
}
