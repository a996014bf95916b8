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
// interval and lookback: an event every 4 s, 2% of them 1 to 20 minutes late, a
// run of WithOnce every minute, as from cron. It returns the pages of first
// reads and of re-reads, and the /logs calls the server saw.
func steadyRun(t testing.TB, d time.Duration) (first, reread, calls int64) {
	clock := newClock(time.Date(2027, 3, 14, 0, 0, 0, 0, time.UTC))
	start := clock.Now()
	var entries []json.RawMessage
	for s, i := start.Unix()-3600, 0; s <= start.Add(d).Unix(); s, i = s+4, i+1 {
		entries = append(entries, entry(fmt.Sprintf("ev-%06d", i), s))
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
	return st.FirstPages, st.RereadPages, srv.Stats().LogsRequests
}

// TestRereadCost checks that re-reads cost at most as many calls as first
// reads, over three hours in steady state.
func TestRereadCost(t *testing.T) {
	first, reread, calls := steadyRun(t, 3*time.Hour)
	if reread > first || calls != first+reread {
		t.Errorf("%d calls: %d pages of first reads, %d of re-reads", calls, first, reread)
	}
	t.Logf("3 hours: %d calls, %d for first reads, %d for re-reads (%.2f)", calls, first, reread, float64(reread)/float64(first))
}

// BenchmarkRereadCost reports what re-reads cost over a simulated day in
// steady state: calls a day and re-read calls per first-read call.
func BenchmarkRereadCost(b *testing.B) {
	for b.Loop() {
		first, reread, calls := steadyRun(b, 24*time.Hour)
		b.ReportMetric(float64(calls), "calls/day")
		b.ReportMetric(float64(first), "first-calls/day")
		b.ReportMetric(float64(reread)/float64(first), "reread/first")
	}
}
