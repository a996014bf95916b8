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

// steadyRun follows a fake for d in steady state, with the default settle,
// interval and lookback: perHour events an hour, evenly spread, 2% of them
// 1 to 20 minutes late, a run of WithOnce every minute, as from cron. It
// returns the pages of first reads and of re-reads, the /logs calls the
// server saw, and the size of the last checkpoint.
func steadyRun(t testing.TB, d time.Duration, perHour int) (first, reread, calls int64, cpBytes int) {
	clock := newClock(time.Date(2027, 3, 14, 0, 0, 0, 0, time.UTC))
	start := clock.Now()
	var entries []json.RawMessage
	from, n := start.Unix()-3600, int((d+time.Hour)/time.Hour)*perHour
	for i := range n {
		entries = append(entries, entry(fmt.Sprintf("ev-%07d", i), from+int64(i)*3600/int64(perHour)))
	}
	srv := auditlogstest.NewServer(auditlogstest.WithEntries(entries), auditlogstest.WithClock(clock.Now),
		auditlogstest.WithLateEvents(0.02, time.Minute, 20*time.Minute))
	defer srv.Close()
	sink := &memSink{}
	col := collect.New(newClient(t, srv), sink, collect.WithClock(clock.Now), collect.WithOnce(true), collect.WithStart(start))
	for end := start.Add(d); clock.Now().Before(end); clock.Add(collect.DefaultInterval) {
		if err := col.Run(context.Background(), sink.checkpoint(t, false)); err != nil {
			t.Fatal(err)
		}
	}
	st := sink.checkpoint(t, false).Stats
	if st.Late == 0 {
		t.Fatal("no late event found")
	}
	return st.FirstPages, st.RereadPages, srv.Stats().LogsRequests, len(sink.cp)
}

// TestRereadCost checks that re-reads cost at most as many calls as first
// reads, over three hours in steady state, and that the checkpoint holds
// the events of about one lookback, not of the history.
func TestRereadCost(t *testing.T) {
	first, reread, calls, cpBytes := steadyRun(t, 3*time.Hour, 900)
	if reread > first || calls != first+reread {
		t.Errorf("%d calls: %d pages of first reads, %d of re-reads", calls, first, reread)
	}
	// 900 events an hour: 2,700 in 3 hours, 600 in 40 minutes (lookback,
	// merging, settle), 9.33 bytes of base64 each, and some for the rest.
	if limit := 600*28/3 + 2000; cpBytes > limit {
		t.Errorf("the checkpoint takes %d bytes after 3 hours, over %d", cpBytes, limit)
	}
	t.Logf("3 hours: %d calls, %d for first reads, %d for re-reads (%.2f); a checkpoint of %d bytes", calls, first, reread,
		float64(reread)/float64(first), cpBytes)
}

// BenchmarkRereadCost reports what re-reads cost in steady state: calls
// and re-read calls per first-read call, over a simulated day at 900 events
// an hour (windows merged for their re-read), and over 3 hours at 100,000
// (too many events for that: one re-read a window).
func BenchmarkRereadCost(b *testing.B) {
	for _, bc := range []struct {
		d       time.Duration
		perHour int
	}{{24 * time.Hour, 900}, {3 * time.Hour, 100_000}} {
		b.Run(fmt.Sprintf("%s/%d-an-hour", bc.d, bc.perHour), func(b *testing.B) {
			for b.Loop() {
				first, reread, calls, cpBytes := steadyRun(b, bc.d, bc.perHour)
				b.ReportMetric(float64(cpBytes), "checkpoint-bytes")
				b.ReportMetric(float64(calls), "calls")
				b.ReportMetric(float64(first), "first-calls")
				b.ReportMetric(float64(reread)/float64(first), "reread/first")
			}
		})
	}
}
