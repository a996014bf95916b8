package collect_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/slackaudit/auditlogs"
	"github.com/slackaudit/auditlogs/auditlogstest"
	"github.com/slackaudit/auditlogs/collect"
)

// TestCrashResume makes the sink fail at random pages, in every way a crash
// can leave it, and resumes each time from the last checkpoint it stored,
// against a fake with late events: a sink that cuts back to its checkpoint
// gets every event exactly once; one that does not, at least once.
func TestCrashResume(t *testing.T) {
	cases := []struct {
		name    string
		cutBack bool
		rate    float64 // of failures per page
		reread  bool    // fail only in re-reads
		modes   []failMode
	}{
		{"transactional, at random pages", true, 0.15, false, []failMode{failBefore, failBetween, failAfter}},
		{"transactional, in re-reads", true, 0.4, true, []failMode{failBefore, failBetween, failAfter}},
		{"at least once", false, 0.15, false, []failMode{failBefore, failBetween, failAfter}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			clock := newClock(time.Date(2027, 3, 14, 12, 0, 0, 0, time.UTC))
			start := clock.Now().Unix()
			srv := auditlogstest.NewServer(auditlogstest.WithEntries(lateEntries(start-60, 700)), auditlogstest.WithClock(clock.Now),
				auditlogstest.WithLateEvents(0.1, 4*time.Second, 20*time.Second))
			defer srv.Close()
			crashes, inReread := 0, 0
			sink := &memSink{fail: func(b *collect.Batch) failMode {
				if (tc.reread && !b.Reread) || rng.Float64() >= tc.rate {
					return ok
				}
				crashes++
				if b.Reread {
					inReread++
				}
				return tc.modes[rng.IntN(len(tc.modes))]
			}}
			opts := []collect.Option{collect.WithClock(clock.Now), collect.WithOnce(true), collect.WithLookback(30 * time.Second),
				collect.WithStart(time.Unix(start, 0)), collect.WithFilters(auditlogsParams(7)), collect.WithSettle(time.Second)}
			col := collect.New(newClient(t, srv), sink, opts...)
			runUntil := func(end time.Time, step time.Duration) {
				for clock.Now().Before(end) {
					err := col.Run(context.Background(), sink.checkpoint(t, tc.cutBack))
					var se *collect.SinkError
					switch {
					case errors.As(err, &se) && errors.Is(err, errSinkFailed):
						continue // a crash: resume from the checkpoint stored, at the same time
					case err != nil:
						t.Fatal(err)
					}
					clock.Add(step)
				}
			}
			runUntil(clock.Now().Add(6*time.Minute), 3*time.Second)
			sink.fail = nil
			clock.Add(time.Hour)
			col = collect.New(newClient(t, srv), sink, append(opts, collect.WithSettle(59*time.Minute+55*time.Second))...)
			if err := col.Run(context.Background(), sink.checkpoint(t, tc.cutBack)); err != nil {
				t.Fatal(err)
			}
			cp := sink.checkpoint(t, tc.cutBack)
			want := wantIDs(t, srv, start, cp.Watermark().Unix())
			missing, dup, extra := compare(want, sink.counts())
			if len(missing) > 0 || len(extra) > 0 || (tc.cutBack && len(dup) > 0) {
				t.Errorf("%d wanted, %d crashes (%d in re-reads): missing %v, duplicated %v, not wanted %v",
					len(want), crashes, inReread, missing, dup, extra)
			}
			if crashes < 10 || (tc.reread && inReread < 5) || cp.Stats.Late == 0 {
				t.Errorf("%d crashes, %d in re-reads, %d late events: the test tests too little", crashes, inReread, cp.Stats.Late)
			}
			t.Logf("%d events, %d crashes (%d in re-reads), %d late, %d duplicates", len(want), crashes, inReread, cp.Stats.Late, len(dup))
		})
	}
}

// TestRefusedCursor has Slack refuse cursors mid-window: the window goes on
// from the lowest second delivered, and even a sink that cannot cut back
// gets no duplicate.
func TestRefusedCursor(t *testing.T) {
	for _, lookback := range []time.Duration{30 * time.Second, 0} {
		t.Run("lookback "+lookback.String(), func(t *testing.T) { testRefusedCursor(t, lookback) })
	}
}

func testRefusedCursor(t *testing.T, lookback time.Duration) {
	clock := newClock(time.Date(2027, 3, 14, 12, 0, 0, 0, time.UTC))
	start := clock.Now().Unix()
	srv := auditlogstest.NewServer(auditlogstest.WithEntries(lateEntries(start-60, 700)), auditlogstest.WithClock(clock.Now),
		auditlogstest.WithLateEvents(0.1, 4*time.Second, 20*time.Second),
		auditlogstest.WithFaults(auditlogstest.Faults{RefuseCursor: 0.3, Seed: 5}))
	defer srv.Close()
	sink := &memSink{}
	opts := []collect.Option{collect.WithClock(clock.Now), collect.WithOnce(true), collect.WithLookback(lookback),
		collect.WithStart(time.Unix(start, 0)), collect.WithFilters(auditlogsParams(5)), collect.WithSettle(time.Second),
		collect.WithMaxWindow(20 * time.Second)}
	col := collect.New(newClient(t, srv), sink, opts...)
	gaveUp := 0
	for end := clock.Now().Add(6 * time.Minute); clock.Now().Before(end); clock.Add(10 * time.Second) {
		for {
			err := col.Run(context.Background(), sink.checkpoint(t, false))
			if errors.Is(err, auditlogs.ErrInvalidCursor) {
				gaveUp++ // refused four times in a row: WithOnce returns it
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	srv.SetFaults(auditlogstest.Faults{})
	clock.Add(time.Hour)
	col = collect.New(newClient(t, srv), sink, append(opts, collect.WithSettle(59*time.Minute+55*time.Second))...)
	if err := col.Run(context.Background(), sink.checkpoint(t, false)); err != nil {
		t.Fatal(err)
	}
	cp := sink.checkpoint(t, false)
	want := wantIDs(t, srv, start, cp.Watermark().Unix())
	missing, dup, extra := compare(want, sink.counts())
	if lookback == 0 {
		missing = nil // late events are lost without lookback
	}
	if len(missing)+len(dup)+len(extra) > 0 {
		t.Errorf("%d wanted: missing %v, duplicated %v, not wanted %v", len(want), missing, dup, extra)
	}
	if cp.Stats.Restarts < 10 || srv.Stats().InvalidCursors < 10 {
		t.Errorf("%d restarts, %d cursors refused: the test tests too little", cp.Stats.Restarts, srv.Stats().InvalidCursors)
	}
	t.Logf("%d events, %d restarts, %d gave up, %d late", len(want), cp.Stats.Restarts, gaveUp, cp.Stats.Late)
}

// TestRefusedCursorNoProgress has every cursor refused in a window whose
// first page cannot move it on (all its events share a second): Run gives
// up after three restarts instead of looping, and delivers nothing twice.
func TestRefusedCursorNoProgress(t *testing.T) {
	const s = int64(1_900_000_000)
	var entries []json.RawMessage
	for i := range 12 {
		entries = append(entries, entry(fmt.Sprintf("ev-%02d", i), s+5))
	}
	srv := auditlogstest.NewServer(auditlogstest.WithEntries(entries), auditlogstest.WithFaults(auditlogstest.Faults{RefuseCursor: 1}))
	defer srv.Close()
	sink := &memSink{}
	err := collect.New(newClient(t, srv), sink, collect.WithClock(newClock(time.Unix(s+600, 0)).Now), collect.WithOnce(true),
		collect.WithStart(time.Unix(s, 0)), collect.WithFilters(auditlogsParams(5))).Run(context.Background(), nil)
	if !errors.Is(err, auditlogs.ErrInvalidCursor) {
		t.Errorf("Run returned %v, want ErrInvalidCursor", err)
	}
	if n := srv.Stats().LogsRequests; n != 8 { // 4 first pages, 4 refused cursors
		t.Errorf("%d requests, want 8", n)
	}
	cp := sink.checkpoint(t, false)
	if _, dup, _ := compare(nil, sink.counts()); len(dup) > 0 || cp.Stats.Restarts != 3 || len(sink.ids) != 5 {
		t.Errorf("duplicates %v, %d restarts, %d delivered", dup, cp.Stats.Restarts, len(sink.ids))
	}
}
