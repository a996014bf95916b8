package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/slackaudit/auditlogs/auditlogstest"
)

// TestTailLateEventsKill9 runs tail against a fake on today's clock where a
// share of the events show up in /logs 3 to 6 s after their date_create,
// kills it with SIGKILL at random moments while the events arrive, and
// checks that --out holds every event exactly once; with --lookback 0, a
// run while some late events are not there yet loses them for good, which
// is what the lookback prevents.
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

	run := func(t *testing.T, lookback string, kill bool) (out []byte, kills int) {
		dir := t.TempDir()
		state, outPath := filepath.Join(dir, "state.json"), filepath.Join(dir, "out.jsonl")
		args := []string{"--state", state, "--out", outPath, "--start", itoa(t0 - 2), "--settle", "1s", "--interval", "100ms",
			"--lookback", lookback, "--rate", "0", "--limit", "3"}
		seed := uint64(time.Now().UnixNano())
		rng := rand.New(rand.NewPCG(seed, 3))
		t.Logf("seed %d", seed)
		if !kill {
			// One run in the middle, while some late events of the seconds it
			// reads are not there yet (however slow the machine, the last
			// seconds' ones), then the last run.
			time.Sleep(time.Until(time.Unix(t0+4, 0)))
			if b, err := tailCmd(bin, srv, append(args, "--once", "--settle", "0s")...).CombinedOutput(); err != nil {
				t.Fatalf("run: %v: %s", err, b)
			}
		}
		// Kill and restart until the last event has been visible for a
		// while and its window is a lookback old.
		deadline := time.Unix(end, 0).Add(6*time.Second + 2*time.Second)
		for kill && time.Now().Before(deadline) {
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
		} else if lookback != "0" && !strings.Contains(string(b), "late event recovered") && kills == 0 {
			t.Logf("final run: %s", b)
		}
		out, _ = os.ReadFile(outPath)
		return out, kills
	}

	t.Run("lookback", func(t *testing.T) {
		t.Parallel()
		out, kills := run(t, "8s", true)
		checkExactlyOnce(t, out, entries)
		t.Logf("%d kills, %d entries exactly once", kills, len(entries))
	})
	t.Run("no lookback", func(t *testing.T) {
		t.Parallel()
		out, _ := run(t, "0", false)
		got := map[string]int{}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			got[line]++
		}
		missing := 0
		for _, e := range entries {
			switch got[string(e)] {
			case 0:
				missing++
			case 1:
			default:
				t.Errorf("written %d times: %s", got[string(e)], e)
			}
		}
		if missing == 0 {
			t.Fatal("no late event was lost without the lookback: the test shows nothing")
		}
		t.Logf("without the lookback %d of %d events were lost", missing, len(entries))
	})
}
