package main

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/slackaudit/auditlogs/auditlogstest"
	"github.com/slackaudit/auditlogs/internal/filesink"
)

// maxAmplification bounds the bytes tail writes to disk (output and state,
// every write(2) of the file sink) over the bytes of output.
const maxAmplification = 2.5

// writes is what the file sink of a run of tail in this process wrote: as
// it closed, and after its first and last pages.
type writes struct {
	sync.Mutex
	total filesink.Written   // as the run closed
	pages []filesink.Written // after each page
}

// measureWrites makes the runs of tail in this process report to the
// returned writes until the test ends. The tests using it are not
// parallel.
func measureWrites(t *testing.T) *writes {
	w := &writes{}
	sinkWrote = func(got filesink.Written, closed bool) {
		w.Lock()
		defer w.Unlock()
		if closed {
			w.total = got
		} else {
			w.pages = append(w.pages, got)
		}
	}
	t.Cleanup(func() { sinkWrote = nil })
	return w
}

// TestTailWriteAmplification measures the bytes the file sink writes
// (output, state; there is no journal) against the bytes of output, in a
// backfill (big pages, and the re-reads of the lookback) and in a steady
// state (a window a second, with one new event each: the state is saved
// once the pages since the last save hold as many bytes as the state).
func TestTailWriteAmplification(t *testing.T) {
	// Not parallel: the measure hooks the runs of tail in this process.
	t.Run("backfill", func(t *testing.T) {
		for _, limit := range []string{"100", "9999"} {
			srv, env := newServer(t, 3000)
			all := srv.Entries()
			c := collection{start: parse(t, all[len(all)-1]).DateCreate, end: parse(t, all[0]).DateCreate}
			dir := t.TempDir()
			state, out := filepath.Join(dir, "state.json"), filepath.Join(dir, "out.jsonl")
			w := measureWrites(t)
			r := runCLI(t, env, append([]string{"tail", "--state", state, "--out", out, "--once", "--limit", limit}, c.args()...)...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			b, _ := os.ReadFile(out)
			checkExactlyOnce(t, b, c.want(t, all))
			checkAmplification(t, "backfill --limit "+limit+" (whole run)", w.total, int64(len(b)), len(w.pages))
		}
	})
	t.Run("steady", func(t *testing.T) {
		if testing.Short() {
			t.Skip("takes 8 s of wall clock: events arrive in real time")
		}
		// One event a second arrives, after 200 already there.
		_, env := newServer(t, 200, auditlogstest.WithLive(nil, time.Minute, time.Second))
		dir := t.TempDir()
		state, out := filepath.Join(dir, "state.json"), filepath.Join(dir, "out.jsonl")
		start := time.Now().Add(-2 * time.Minute).Unix()
		args := []string{"--state", state, "--out", out, "--start", itoa(start), "--settle", "0s", "--interval", "1s", "--rate", "0"}
		// The catch-up first, apart.
		if r := runCLI(t, env, append([]string{"tail", "--once"}, args...)...); r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		w := measureWrites(t)
		cancel, done := startTail(t, env, args...)
		time.Sleep(8 * time.Second)
		cancel()
		if r := <-done; r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		// From the first save after a page to the last one: the saves of
		// the start and the stop are no part of a steady state.
		var saves []filesink.Written
		for i, p := range w.pages {
			if i > 0 && p.Saves > w.pages[i-1].Saves {
				saves = append(saves, p)
			}
		}
		if len(saves) < 2 {
			t.Fatalf("%d saves in %d pages: too few to measure", len(saves), len(w.pages))
		}
		first, last := saves[0], saves[len(saves)-1]
		mid := filesink.Written{Output: last.Output - first.Output, State: last.State - first.State, Saves: last.Saves - first.Saves}
		checkAmplification(t, "steady state (between the first save and the last)", mid, mid.Output, len(w.pages))
		t.Logf("the whole run, with the saves of its start and stop: %.2fx", float64(w.total.Output+w.total.State)/float64(w.total.Output))
	})
}

func checkAmplification(t *testing.T, what string, w filesink.Written, out int64, pages int) {
	t.Helper()
	ratio := float64(w.Output+w.State) / float64(out)
	t.Logf("%s: %d bytes of output, %d written to it, %d to the state in %d saves, %d pages: %.2fx",
		what, out, w.Output, w.State, w.Saves, pages, ratio)
	if w.Output < out {
		t.Errorf("%s: the sink counts %d bytes written to the output, which holds %d", what, w.Output, out)
	}
	if ratio > maxAmplification {
		t.Errorf("%s: %.2fx the output written to disk, more than %.1fx", what, ratio, maxAmplification)
	}
}
