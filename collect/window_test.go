package collect_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/slackaudit/auditlogs/auditlogstest"
	"github.com/slackaudit/auditlogs/collect"
)

// TestWindows reads hand-made entries with a fixed clock and checks the
// windows read and that every event settled is delivered exactly once.
func TestWindows(t *testing.T) {
	const s = int64(1_900_000_000) // the collection's start
	type ev struct {
		id   string
		date int64
	}
	cases := []struct {
		name      string
		events    []ev
		now       int64 // the clock, in seconds after s
		limit     int
		lookback  time.Duration
		maxWindow time.Duration
		windows   [][2]int64 // the first reads' [oldest, latest], after s
		want      []string   // ids delivered
	}{{
		name:   "the boundary second is read twice, delivered once",
		events: []ev{{"a", s + 3}, {"b", s + 10}, {"c", s + 10}, {"d", s + 10}, {"e", s + 11}, {"f", s + 20}},
		now:    25, limit: 2, maxWindow: 10 * time.Second,
		windows: [][2]int64{{0, 10}, {10, 20}},
		want:    []string{"a", "b", "c", "d", "e", "f"},
	}, {
		name:   "without lookback too",
		events: []ev{{"a", s + 3}, {"b", s + 10}, {"c", s + 10}, {"d", s + 10}, {"e", s + 11}, {"f", s + 20}},
		now:    25, limit: 2, maxWindow: 10 * time.Second, lookback: -1,
		windows: [][2]int64{{0, 10}, {10, 20}},
		want:    []string{"a", "b", "c", "d", "e", "f"},
	}, {
		name:   "a backfill (windows older than the lookback)",
		events: []ev{{"a", s}, {"b", s + 1200}, {"c", s + 1200}, {"d", s + 2400}, {"e", s + 2400}, {"f", s + 3595}},
		now:    3600, limit: 1, maxWindow: 20 * time.Minute, lookback: time.Minute,
		windows: [][2]int64{{0, 1200}, {1200, 2400}, {2400, 3595}},
		want:    []string{"a", "b", "c", "d", "e", "f"},
	}, {
		name:   "settle holds back the last seconds",
		events: []ev{{"a", s + 1}, {"b", s + 14}, {"c", s + 15}, {"d", s + 16}},
		now:    20, limit: 9999, maxWindow: time.Hour,
		windows: [][2]int64{{0, 15}},
		want:    []string{"a", "b", "c"},
	}, {
		name:   "many events in one second over several pages",
		events: []ev{{"a", s + 5}, {"b", s + 5}, {"c", s + 5}, {"d", s + 5}, {"e", s + 5}, {"f", s + 5}, {"g", s + 5}},
		now:    20, limit: 2, maxWindow: 5 * time.Second,
		windows: [][2]int64{{0, 5}, {5, 10}, {10, 15}},
		want:    []string{"a", "b", "c", "d", "e", "f", "g"},
	}, {
		// (On one page: the fake's cursor cannot tell such ids apart.)
		name:   "ids that differ only in invalid UTF-8 are two events",
		events: []ev{{"x\xff", s + 5}, {"x\xfe", s + 5}, {"x\xfd", s + 10}, {"x\xfc", s + 10}},
		now:    20, limit: 9999, maxWindow: 10 * time.Second,
		windows: [][2]int64{{0, 10}, {10, 15}},
		want:    []string{"x\xff", "x\xfe", "x\xfd", "x\xfc"},
	}, {
		name:   "ids that differ only in invalid UTF-8, without lookback",
		events: []ev{{"x\xff", s + 5}, {"x\xfe", s + 5}, {"x\xfd", s + 10}, {"x\xfc", s + 10}},
		now:    20, limit: 9999, maxWindow: 10 * time.Second, lookback: -1,
		windows: [][2]int64{{0, 10}, {10, 15}},
		want:    []string{"x\xff", "x\xfe", "x\xfd", "x\xfc"},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var entries []json.RawMessage
			for _, e := range tc.events {
				// Built by hand so that invalid UTF-8 reaches the server as is.
				entries = append(entries, json.RawMessage(`{"id":"`+e.id+`","date_create":`+itoa(e.date)+`}`))
			}
			srv := auditlogstest.NewServer(auditlogstest.WithEntries(entries))
			defer srv.Close()
			clock := newClock(time.Unix(s+tc.now, 0))
			lookback := tc.lookback
			switch lookback {
			case 0:
				lookback = time.Hour
			case -1:
				lookback = 0
			}
			sink := &memSink{}
			col := collect.New(newClient(t, srv), sink, collect.WithClock(clock.Now), collect.WithOnce(true),
				collect.WithStart(time.Unix(s, 0)), collect.WithSettle(5*time.Second), collect.WithMaxWindow(tc.maxWindow),
				collect.WithLookback(lookback), collect.WithFilters(auditlogsParams(tc.limit)))
			if err := col.Run(context.Background(), nil); err != nil {
				t.Fatal(err)
			}
			var windows [][2]int64
			for _, b := range sink.batches {
				w := [2]int64{b.window.Oldest.Unix() - s, b.window.Latest.Unix() - s}
				if b.reread {
					t.Errorf("a re-read of %v before its time", w)
				}
				if len(windows) == 0 || windows[len(windows)-1] != w {
					windows = append(windows, w)
				}
			}
			if !equal(windows, tc.windows) {
				t.Errorf("windows %v, want %v", windows, tc.windows)
			}
			want := map[string]bool{}
			for _, id := range tc.want {
				raw, _ := json.Marshal(id)
				if id != string([]rune(id)) { // invalid UTF-8: as sent, not as encoding/json would write it
					raw = []byte(`"` + id + `"`)
				}
				want[string(raw)] = true
			}
			missing, dup, extra := compare(want, sink.counts())
			if len(missing)+len(dup)+len(extra) > 0 {
				t.Errorf("missing %q, duplicated %q, not wanted %q", missing, dup, extra)
			}
			cp := sink.checkpoint(t, false)
			if got := cp.Stats.Entries; got != int64(len(tc.want)) {
				t.Errorf("stats count %d entries, want %d", got, len(tc.want))
			}
			if got, want := cp.Watermark().Unix()-s, tc.windows[len(tc.windows)-1][1]; got != want {
				t.Errorf("watermark at %d, want %d", got, want)
			}
		})
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

func equal(a, b [][2]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
