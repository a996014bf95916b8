package collect_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
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

// TestLateLogged checks what is logged of a late event, and the warning
// when one comes late by half the lookback or more.
func TestLateLogged(t *testing.T) {
	const s = int64(1_900_000_000)
	clock := newClock(time.Unix(s+35, 0))
	srv := auditlogstest.NewServer(auditlogstest.WithEntries([]json.RawMessage{entry("early", s+5), entry("late", s+10)}),
		auditlogstest.WithClock(clock.Now), auditlogstest.WithLateEvents(1, 30*time.Second, 30*time.Second))
	defer srv.Close()
	var logs bytes.Buffer
	sink := &memSink{}
	col := collect.New(newClient(t, srv), sink, collect.WithClock(clock.Now), collect.WithOnce(true),
		collect.WithStart(time.Unix(s, 0)), collect.WithSettle(time.Second), collect.WithLookback(40*time.Second),
		collect.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	// At s+35 the first read of [s, s+34] does not see "late" (visible at
	// s+10 + its delay); at s+100 the re-read of that window finds it.
	for _, at := range []int64{35, 100} {
		clock.Set(time.Unix(s+at, 0))
		if err := col.Run(context.Background(), sink.checkpoint(t, false)); err != nil {
			t.Fatal(err)
		}
	}
	var late []collect.LateEvent
	for _, b := range sink.batches {
		late = append(late, b.late...)
	}
	if len(late) != 1 || late[0].ID != "late" || late[0].Lateness != 25*time.Second || late[0].DateCreate.Unix() != s+10 ||
		late[0].Window != (collect.Window{Oldest: time.Unix(s, 0).UTC(), Latest: time.Unix(s+34, 0).UTC()}) {
		t.Fatalf("late events %+v, want \"late\", 25s late, in the window [s, s+34]", late)
	}
	want := `level=INFO msg="collect: late event found" id=late date_create=2030-03-17T17:46:50.000Z lateness=25s window_oldest=2030-03-17T17:46:40.000Z window_latest=2030-03-17T17:47:14.000Z`
	if !strings.Contains(logs.String(), want) {
		t.Errorf("log lacks\n%s\nin\n%s", want, logs.String())
	}
	if n := strings.Count(logs.String(), "level=WARN msg=\"collect: an event came late by half the lookback"); n != 1 {
		t.Errorf("%d warnings of a lateness close to the lookback, want 1:\n%s", n, logs.String())
	}
	cp := sink.checkpoint(t, false)
	if cp.Stats.Late != 1 || cp.Stats.MaxLateness != 25*time.Second || cp.Stats.LateLast24h(clock.Now()) != 1 {
		t.Errorf("stats %+v", cp.Stats)
	}
}
