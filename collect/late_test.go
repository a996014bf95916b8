package collect_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/slackaudit/auditlogs/auditlogstest"
	"github.com/slackaudit/auditlogs/collect"
)

// lateEntries returns n entries from start on, 0 to 3 a second, some
// sharing a second.
func lateEntries(start int64, n int) []json.RawMessage {
	var out []json.RawMessage
	d := start
	for i := range n {
		d += int64(i*7919%4) / 2 // 0, 0, 1, 1: about two a second
		out = append(out, entry(fmt.Sprintf("ev-%05d", i), d))
	}
	return out
}

// lateRun follows a fake where 8% of the events show up 4 to 20 s after
// their date_create, with runs of WithOnce every 3 s of a fake clock for 10
// minutes, then one long after, and returns what the sink got and the range
// the collection covered.
func lateRun(t *testing.T, lookback time.Duration) (sink *memSink, srv *auditlogstest.Server, cp *collect.Checkpoint, oldest, latest int64) {
	t.Helper()
	clock := newClock(time.Date(2027, 3, 14, 12, 0, 0, 0, time.UTC))
	start := clock.Now().Unix()
	srv = auditlogstest.NewServer(auditlogstest.WithEntries(lateEntries(start-60, 1200)), auditlogstest.WithClock(clock.Now),
		auditlogstest.WithLateEvents(0.08, 4*time.Second, 20*time.Second))
	t.Cleanup(srv.Close)
	sink = &memSink{}
	opts := []collect.Option{collect.WithClock(clock.Now), collect.WithOnce(true), collect.WithLookback(lookback),
		collect.WithStart(time.Unix(start, 0)), collect.WithFilters(auditlogsParams(50))}
	col := collect.New(newClient(t, srv), sink, append(opts, collect.WithSettle(time.Second))...)
	end := clock.Now().Add(10 * time.Minute)
	for clock.Now().Before(end) {
		if err := col.Run(context.Background(), sink.checkpoint(t, true)); err != nil {
			t.Fatal(err)
		}
		clock.Add(3 * time.Second)
	}
	// An hour later, a run with a settle of nearly an hour does the
	// re-reads due and reads little more.
	clock.Add(time.Hour)
	col = collect.New(newClient(t, srv), sink, append(opts, collect.WithSettle(59*time.Minute+55*time.Second))...)
	if err := col.Run(context.Background(), sink.checkpoint(t, true)); err != nil {
		t.Fatal(err)
	}
	cp = sink.checkpoint(t, true)
	return sink, srv, cp, start, cp.Watermark().Unix()
}

func TestLookbackFindsLateEvents(t *testing.T) {
	sink, srv, cp, oldest, latest := lateRun(t, 30*time.Second)
	want := wantIDs(t, srv, oldest, latest)
	missing, dup, extra := compare(want, sink.counts())
	if len(missing) > 0 || len(dup) > 0 || len(extra) > 0 {
		t.Errorf("%d wanted: %d missing %v, %d duplicated %v, %d extra", len(want), len(missing), missing, len(dup), dup, len(extra))
	}
	st := cp.Stats
	if st.Late == 0 {
		t.Errorf("no late event found: the test does not test the lookback")
	}
	var late int
	for _, b := range sink.batches {
		late += len(b.late)
		for _, l := range b.late {
			if !b.reread || l.Lateness <= 0 || l.Window != b.window {
				t.Errorf("late event %+v in batch %+v", l, b)
			}
		}
	}
	if int64(late) != st.Late {
		t.Errorf("batches list %d late events, stats say %d", late, st.Late)
	}
	if n, _ := cp.Pending(); n != 0 {
		t.Errorf("%d windows still await a re-read", n)
	}
	t.Logf("%d events, %d late found, max lateness %s, first pages %d, re-read pages %d", len(want), st.Late, st.MaxLateness, st.FirstPages, st.RereadPages)
}

func TestNoLookbackLosesLateEvents(t *testing.T) {
	sink, srv, cp, oldest, latest := lateRun(t, 0)
	want := wantIDs(t, srv, oldest, latest)
	missing, dup, extra := compare(want, sink.counts())
	if len(dup) > 0 || len(extra) > 0 {
		t.Errorf("%d duplicated %v, %d extra", len(dup), dup, len(extra))
	}
	if len(missing) == 0 {
		t.Errorf("without lookback no event was lost: the late events do not test the lookback")
	}
	if cp.Stats.Late != 0 || cp.Stats.RereadPages != 0 {
		t.Errorf("lookback 0 re-read: %+v", cp.Stats)
	}
	t.Logf("lookback 0: %d of %d events lost", len(missing), len(want))
}
