package tests

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/slackaudit/auditlogs"
	"github.com/slackaudit/auditlogs/auditlogstest"
)

var soak = flag.Duration("soak", 0, "run TestSoak for this long (e.g. 1m); 0 skips it")

// idsOf returns the ids of raw entries, in order.
func idsOf(t *testing.T, entries []json.RawMessage) []string {
	t.Helper()
	ids := make([]string, len(entries))
	for i, e := range entries {
		var v struct{ ID string }
		if err := json.Unmarshal(e, &v); err != nil {
			t.Fatal(err)
		}
		ids[i] = v.ID
	}
	return ids
}

// noKeepAlive is a transport that opens a connection per request: Go's
// transport silently retries a GET on a reused connection closed before any
// reply, which would hide the fake's reset-before-response fault.
func noKeepAlive() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DisableKeepAlives = true
	return &http.Client{Transport: t, Timeout: 10 * time.Second}
}

// pullAll pages through everything with c, returning ids in order and the
// raw bytes by id.
func pullAll(t *testing.T, c *auditlogs.Client, p auditlogs.LogsParams) ([]string, map[string]string) {
	t.Helper()
	var ids []string
	raw := map[string]string{}
	for e, err := range c.AllLogs(context.Background(), p) {
		if err != nil {
			t.Fatalf("after %d entries: %v", len(ids), err)
		}
		ids = append(ids, e.ID)
		raw[e.ID] = string(e.Raw())
	}
	return ids, raw
}

// TestExactlyOnceUnderFaults pulls a corpus across many pages while the fake
// injects every fault at once: each entry arrives exactly once, in order,
// byte for byte as stored. Pages of 2,500 entries (about 1.7 MB) are big
// enough for AllLogs to read them outside the Go heap; the first two
// answers are cut short mid-body, and the page is read again.
func TestExactlyOnceUnderFaults(t *testing.T) {
	for _, tc := range []struct {
		limit  int
		faults auditlogstest.Faults
	}{
		{50, auditlogstest.Faults{
			Seed: 3, RateLimited: 0.08, RetryAfter: -1, ServerError: 0.08, ResetBeforeResponse: 0.05,
			ResetMidBody: 0.08, Slow: 0.05, SlowDelay: 5 * time.Millisecond,
		}},
		{2500, auditlogstest.Faults{ResetMidBody: 1, FirstN: 2}},
	} {
		limit := tc.limit
		t.Run(fmt.Sprintf("limit=%d", limit), func(t *testing.T) {
			srv := auditlogstest.NewServer(auditlogstest.WithToken(testToken), auditlogstest.WithSynthetic(6000, 7), auditlogstest.WithFaults(tc.faults))
			defer srv.Close()
			c := fastClient(t, srv.URL, auditlogs.WithHTTPClient(noKeepAlive()), auditlogs.WithRetryMax(12))
			ids, raw := pullAll(t, c, auditlogs.LogsParams{Limit: limit})

			want := srv.Entries()
			wantIDs := idsOf(t, want)
			if len(ids) != len(wantIDs) {
				t.Fatalf("got %d entries, want %d", len(ids), len(wantIDs))
			}
			for i := range ids {
				if ids[i] != wantIDs[i] {
					t.Fatalf("entry %d is %s, want %s", i, ids[i], wantIDs[i])
				}
				if raw[ids[i]] != string(want[i]) {
					t.Fatalf("entry %s changed on the way:\n got %s\nwant %s", ids[i], raw[ids[i]], want[i])
				}
			}
			st := srv.Stats()
			if limit == 50 && (st.RateLimited == 0 || st.ServerErrors == 0 || st.Resets == 0) {
				t.Errorf("faults did not all fire: %+v", st)
			}
			if limit == 2500 && st.Resets != 2 {
				t.Errorf("%d pages cut short, want 2: %+v", st.Resets, st)
			}
			t.Logf("%d entries over %d requests: %+v", len(ids), st.LogsRequests, st)
		})
	}
}

func TestFiltersAgainstFake(t *testing.T) {
	srv := auditlogstest.NewServer(auditlogstest.WithToken(testToken), auditlogstest.WithSynthetic(2000, 11))
	defer srv.Close()
	c := fastClient(t, srv.URL)

	all := srv.Entries()
	var newest, oldest int64
	type row struct {
		ID, Action string
		DateCreate int64 `json:"date_create"`
		Actor      struct{ User struct{ ID string } }
	}
	rows := make([]row, len(all))
	for i, e := range all {
		_ = json.Unmarshal(e, &rows[i])
	}
	newest, oldest = rows[0].DateCreate, rows[len(rows)-1].DateCreate
	window := auditlogs.LogsParams{Oldest: time.Unix(oldest+(newest-oldest)/3, 0), Latest: time.Unix(newest-(newest-oldest)/3, 0),
		Action: "user_login", Limit: 7}
	var want []string
	for _, r := range rows {
		if r.Action == "user_login" && r.DateCreate >= window.Oldest.Unix() && r.DateCreate <= window.Latest.Unix() {
			want = append(want, r.ID)
		}
	}
	got, _ := pullAll(t, c, window)
	if len(want) < 10 || strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("filtered pull: got %d entries, want %d", len(got), len(want))
	}
}

func TestInvalidCursorFromFake(t *testing.T) {
	srv := auditlogstest.NewServer(auditlogstest.WithToken(testToken), auditlogstest.WithSynthetic(100, 1))
	defer srv.Close()
	c := fastClient(t, srv.URL)
	_, err := c.Logs(context.Background(), auditlogs.LogsParams{Cursor: "bm90IGEgY3Vyc29y"})
	if !errors.Is(err, auditlogs.ErrInvalidCursor) {
		t.Fatalf("err = %v, want ErrInvalidCursor", err)
	}
}

func TestAuthAgainstFake(t *testing.T) {
	for _, empty := range []bool{false, true} {
		srv := auditlogstest.NewServer(auditlogstest.WithSynthetic(10, 1), auditlogstest.WithFaults(auditlogstest.Faults{EmptyBody401: empty}))
		c, _ := auditlogs.New("xoxp-wrong", auditlogs.WithBaseURL(srv.URL))
		_, err := c.Logs(context.Background(), auditlogs.LogsParams{})
		if !errors.Is(err, auditlogs.ErrUnauthorized) {
			t.Errorf("empty body %v: err = %v, want ErrUnauthorized", empty, err)
		}
		// /schemas and /actions need no valid token.
		if _, err := c.Schemas(context.Background()); err != nil {
			t.Errorf("Schemas with a wrong token: %v", err)
		}
		if a, err := c.Actions(context.Background()); err != nil || len(a.Actions) == 0 {
			t.Errorf("Actions with a wrong token: %v", err)
		}
		srv.Close()
	}
}

// TestTier3NoWasted429: with the client's limiter matching the server's
// budget (scaled down in time), a bulk pull gets no 429 at all.
func TestTier3NoWasted429(t *testing.T) {
	// 50 calls a "minute" of five seconds (one call every 100ms), bursts of
	// 5. A shorter scale makes the test depend on scheduling jitter: the
	// server counts a call when it handles it, and on a loaded machine that
	// can lag by more than the limiter's 2% margin of a 20ms interval.
	srv := auditlogstest.NewServer(auditlogstest.WithSynthetic(400, 2), auditlogstest.WithRateLimit(50, 5*time.Second, 5))
	defer srv.Close()
	c, err := auditlogs.New(auditlogstest.DefaultToken, auditlogs.WithBaseURL(srv.URL), auditlogs.WithRateLimit(50*60/5, 5))
	if err != nil {
		t.Fatal(err)
	}
	ids, _ := pullAll(t, c, auditlogs.LogsParams{Limit: 25})
	if len(ids) != 400 {
		t.Fatalf("%d entries", len(ids))
	}
	if st := srv.Stats(); st.RateLimited != 0 {
		t.Errorf("%d calls of %d were rate limited", st.RateLimited, st.LogsRequests)
	}
	if c.RateLimitWait() == 0 {
		t.Error("the limiter never waited: the test did not exercise it")
	}
}

func TestResourceBounds(t *testing.T) {
	endless := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		_, _ = w.Write([]byte(`{"entries":[`))
		chunk := []byte(strings.Repeat(`{"id":"x","action":"y"},`, 1000))
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	defer endless.Close()
	huge := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "10000000000")
		w.WriteHeader(200)
		_, _ = w.Write([]byte(`{"entries":[`))
	}))
	defer huge.Close()
	drip := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		for r.Context().Err() == nil {
			_, _ = w.Write([]byte(" "))
			w.(http.Flusher).Flush()
			time.Sleep(20 * time.Millisecond)
		}
	}))
	defer drip.Close()
	deep := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"entries":[` + strings.Repeat("[", 200000) + strings.Repeat("]", 200000) + `]}`))
	}))
	defer deep.Close()

	tests := []struct {
		name string
		url  string
		opts []auditlogs.Option
		want error
	}{
		{"endless body", endless.URL, []auditlogs.Option{auditlogs.WithMaxResponseBytes(4 << 20)}, auditlogs.ErrResponseTooLarge},
		{"declared gigantic", huge.URL, nil, auditlogs.ErrResponseTooLarge},
		{"slow drip", drip.URL, []auditlogs.Option{auditlogs.WithHTTPClient(&http.Client{Timeout: 300 * time.Millisecond}), auditlogs.WithRetryMax(1)}, nil},
		{"deep nesting", deep.URL, []auditlogs.Option{auditlogs.WithRetryMax(0)}, auditlogs.ErrMalformedResponse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before runtime.MemStats
			runtime.ReadMemStats(&before)
			c := fastClient(t, tt.url, tt.opts...)
			start := time.Now()
			_, err := c.Logs(context.Background(), auditlogs.LogsParams{})
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if el := time.Since(start); el > 30*time.Second {
				t.Errorf("took %v", el)
			}
			var after runtime.MemStats
			runtime.ReadMemStats(&after)
			if grown := int64(after.HeapInuse) - int64(before.HeapInuse); grown > 64<<20 {
				t.Errorf("heap grew by %d MiB", grown>>20)
			}
			t.Logf("%v", err)
		})
	}
}

// TestSoak mixes every fault for a while (go test -run Soak -soak 1m):
// every pass delivers every entry exactly once, no goroutine is left
// behind, and the heap stays flat across passes.
func TestSoak(t *testing.T) {
	if *soak == 0 {
		t.Skip("run with -soak DURATION")
	}
	srv := auditlogstest.NewServer(auditlogstest.WithToken(testToken), auditlogstest.WithSynthetic(5000, 5))
	defer srv.Close()
	want := idsOf(t, srv.Entries())
	hc := noKeepAlive()
	c := fastClient(t, srv.URL, auditlogs.WithHTTPClient(hc), auditlogs.WithRetryMax(20))
	goroutines := runtime.NumGoroutine()
	var heaps []uint64
	deadline := time.Now().Add(*soak)
	for pass := 0; time.Now().Before(deadline); pass++ {
		srv.SetFaults(auditlogstest.Faults{Seed: int64(pass + 1), RateLimited: 0.05, RetryAfter: -1, ServerError: 0.05,
			ResetBeforeResponse: 0.03, ResetMidBody: 0.05, Slow: 0.03, SlowDelay: 2 * time.Millisecond})
		ids, _ := pullAll(t, c, auditlogs.LogsParams{Limit: 100 + pass%7*50})
		if strings.Join(ids, ",") != strings.Join(want, ",") {
			t.Fatalf("pass %d: %d entries, not the %d stored, exactly once, in order", pass, len(ids), len(want))
		}
		// Break out early on some passes: that must leave nothing behind either.
		n := 0
		for range c.AllLogs(context.Background(), auditlogs.LogsParams{Limit: 100}) {
			if n++; n == 150 {
				break
			}
		}
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		heaps = append(heaps, ms.HeapInuse)
	}
	hc.CloseIdleConnections()
	time.Sleep(100 * time.Millisecond)
	if g := runtime.NumGoroutine(); g > goroutines {
		t.Errorf("goroutines: %d before, %d after", goroutines, g)
	}
	if len(heaps) >= 4 {
		first, last := heaps[len(heaps)/4], heaps[len(heaps)-1]
		if last > first*3/2+(4<<20) {
			t.Errorf("heap grew from %d KiB to %d KiB over %d passes", first>>10, last>>10, len(heaps))
		}
	}
	t.Logf("%d passes; heap %d KiB at first, %d KiB at last; server: %+v", len(heaps), heaps[0]>>10, heaps[len(heaps)-1]>>10, srv.Stats())
}

// TestRetainedEntriesStayIntact keeps every entry AllLogs yields and checks
// them after the pull: page storage is reused (and, for pages of 1 MiB or
// more, unmapped when the loop ends), so an entry must own its bytes. One
// pull reads pages of 2,500 entries (about 1.7 MB) and breaks out mid-page.
func TestRetainedEntriesStayIntact(t *testing.T) {
	for _, tc := range []struct{ limit, stopAfter int }{{100, 0}, {2500, 0}, {2500, 3100}} {
		t.Run(fmt.Sprintf("limit=%d/stop-after=%d", tc.limit, tc.stopAfter), func(t *testing.T) {
			srv := auditlogstest.NewServer(auditlogstest.WithToken(testToken), auditlogstest.WithSynthetic(6000, 4))
			defer srv.Close()
			c := fastClient(t, srv.URL)
			var kept []auditlogs.Entry
			for e, err := range c.AllLogs(context.Background(), auditlogs.LogsParams{Limit: tc.limit}) {
				if err != nil {
					t.Fatal(err)
				}
				kept = append(kept, e)
				if len(kept) == tc.stopAfter {
					break
				}
			}
			runtime.GC() // nothing that still holds a page's storage may go unnoticed
			want := srv.Entries()
			if tc.stopAfter > 0 {
				want = want[:tc.stopAfter]
			}
			if len(kept) != len(want) {
				t.Fatalf("%d entries, want %d", len(kept), len(want))
			}
			wantIDs := idsOf(t, want)
			for i := range kept {
				if string(kept[i].Raw()) != string(want[i]) {
					t.Fatalf("entry %d changed after later pages were read:\n got %s\nwant %s", i, kept[i].Raw(), want[i])
				}
				if kept[i].ID != wantIDs[i] {
					t.Fatalf("entry %d: typed ID %q, want %q", i, kept[i].ID, wantIDs[i])
				}
			}
		})
	}
}

func TestRawPages(t *testing.T) {
	srv := auditlogstest.NewServer(auditlogstest.WithToken(testToken), auditlogstest.WithSynthetic(1000, 6),
		auditlogstest.WithFaults(auditlogstest.Faults{Seed: 2, ResetMidBody: 0.2, ServerError: 0.1}))
	defer srv.Close()
	c := fastClient(t, srv.URL, auditlogs.WithRetryMax(10))
	var got []string
	pages := 0
	for page, err := range c.RawPages(context.Background(), auditlogs.LogsParams{Limit: 90}) {
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, raw := range page.Entries {
			got = append(got, string(raw)) // a copy: the page's storage is reused
		}
	}
	want := srv.Entries()
	if len(got) != len(want) || pages != 12 {
		t.Fatalf("%d entries in %d pages, want %d in 12", len(got), pages, len(want))
	}
	for i := range got {
		if got[i] != string(want[i]) {
			t.Fatalf("entry %d differs from what the server sent", i)
		}
	}
}
