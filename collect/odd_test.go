package collect_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slackaudit/auditlogs"
	"github.com/slackaudit/auditlogs/collect"
)

// TestOddDates has a server answer every window with entries whose
// date_create is missing, zero, negative, a string, a float or outside the
// window, on both of its pages: each is delivered once, counted and warned
// of once a window.
func TestOddDates(t *testing.T) {
	const s = int64(1_900_000_000)
	odd := []string{
		`{"id":"no-date"}`,
		`{"id":"zero","date_create":0}`,
		`{"id":"negative","date_create":-5}`,
		`{"id":"string","date_create":"1900000005"}`,
		`{"id":"float","date_create":1900000005.5}`,
		`{"id":"outside","date_create":1999999999}`,
	}
	// Page 1: a normal entry and the odd ones; page 2: the odd ones again
	// and another normal one. Only the window holding s+5 gets them.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		oldest, _ := strconv.ParseInt(q.Get("oldest"), 10, 64)
		latest, _ := strconv.ParseInt(q.Get("latest"), 10, 64)
		var entries []string
		next := ""
		if oldest <= s+5 && s+5 <= latest {
			if q.Get("cursor") == "" {
				entries = append([]string{fmt.Sprintf(`{"id":"n1","date_create":%d}`, s+5)}, odd...)
				next = "page2"
			} else {
				entries = append(odd, fmt.Sprintf(`{"id":"n2","date_create":%d}`, s+4))
			}
		}
		fmt.Fprintf(w, `{"ok":true,"entries":[%s],"response_metadata":{"next_cursor":%q}}`, strings.Join(entries, ","), next)
	}))
	defer srv.Close()
	client, err := auditlogs.New("xoxp-test", auditlogs.WithBaseURL(srv.URL+"/"), auditlogs.WithRateLimit(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	for _, lookback := range []time.Duration{time.Hour, 0} {
		logs.Reset()
		sink := &memSink{}
		col := collect.New(client, sink, collect.WithClock(newClock(time.Unix(s+30, 0)).Now), collect.WithOnce(true),
			collect.WithStart(time.Unix(s, 0)), collect.WithSettle(0), collect.WithMaxWindow(10*time.Second),
			collect.WithLookback(lookback), collect.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
		if err := col.Run(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
		counts := sink.counts()
		for _, e := range append(odd, `{"id":"n1"}`, `{"id":"n2"}`) {
			var v struct{ ID json.RawMessage }
			_ = json.Unmarshal([]byte(e), &v)
			if n := counts[string(v.ID)]; n != 1 {
				t.Errorf("lookback %s: %s delivered %d times, want once", lookback, v.ID, n)
			}
		}
		cp := sink.checkpoint(t, false)
		batchOdd := 0
		for _, b := range sink.batches {
			batchOdd += b.odd
		}
		if cp.Stats.Odd != int64(len(odd)) || batchOdd != len(odd) || cp.Stats.Entries != int64(len(odd)+2) {
			t.Errorf("lookback %s: stats count %d odd (batches %d) of %d entries, want %d of %d", lookback, cp.Stats.Odd, batchOdd,
				cp.Stats.Entries, len(odd), len(odd)+2)
		}
		if n := strings.Count(logs.String(), "outside its window"); n != 1 {
			t.Errorf("lookback %s: %d warnings of odd entries, want 1:\n%s", lookback, n, logs.String())
		}
	}
}
