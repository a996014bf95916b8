package auditlogstest_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slackaudit/auditlogs/auditlogstest"
)

// freshClient opens a new connection for every request, so that Go's
// Transport does not silently retry a request whose reused connection was
// closed. It asks for plain bodies, whose lengths the tests check.
func freshClient() *http.Client {
	return &http.Client{Transport: &http.Transport{DisableKeepAlives: true, DisableCompression: true}}
}

func TestRateLimit(t *testing.T) {
	for _, dates := range []bool{false, true} {
		t.Run("date "+strconv.FormatBool(dates), func(t *testing.T) {
			// 10 calls a second, in bursts of 3.
			srv := auditlogstest.NewServer(auditlogstest.WithSynthetic(5, 1),
				auditlogstest.WithRateLimit(5, 500*time.Millisecond, 3), auditlogstest.WithRetryAfterDate(dates))
			defer srv.Close()
			paths := []string{"logs", "schemas", "actions"} // all share the budget
			for i := range 3 {
				if resp, body := get(t, http.DefaultClient, srv.URL+paths[i], auditlogstest.DefaultToken); resp.StatusCode != 200 {
					t.Fatalf("call %d: %d %s", i, resp.StatusCode, body)
				}
			}
			before := time.Now()
			resp, body := get(t, http.DefaultClient, srv.URL+"logs", auditlogstest.DefaultToken)
			errorCode(t, resp, body, http.StatusTooManyRequests, "ratelimited")
			ra := resp.Header.Get("Retry-After")
			if dates {
				when, err := http.ParseTime(ra)
				if err != nil {
					t.Fatalf("Retry-After %q is not an HTTP date: %v", ra, err)
				}
				if when.Before(before.Truncate(time.Second)) || when.After(before.Add(2*time.Second)) {
					t.Errorf("Retry-After %q, now %v", ra, before.UTC())
				}
			} else if ra != "1" {
				t.Errorf("Retry-After %q, want 1 (a wait under a second, rounded up)", ra)
			}
			if st := srv.Stats(); st.RateLimited != 1 || st.Requests != 4 {
				t.Errorf("stats %+v", st)
			}
			time.Sleep(150 * time.Millisecond) // a token is back after 100ms
			if resp, body := get(t, http.DefaultClient, srv.URL+"logs", auditlogstest.DefaultToken); resp.StatusCode != 200 {
				t.Errorf("after waiting: %d %s", resp.StatusCode, body)
			}
		})
	}
}

func TestFaults(t *testing.T) {
	tests := []struct {
		name   string
		faults auditlogstest.Faults
		opts   []auditlogstest.Option
		path   string
		check  func(t *testing.T, srv *auditlogstest.Server, u string)
	}{
		{"rate limited", auditlogstest.Faults{RateLimited: 1, RetryAfter: 2500 * time.Millisecond}, nil, "logs", func(t *testing.T, srv *auditlogstest.Server, u string) {
			resp, body := get(t, http.DefaultClient, u, auditlogstest.DefaultToken)
			errorCode(t, resp, body, 429, "ratelimited")
			if ra := resp.Header.Get("Retry-After"); ra != "3" {
				t.Errorf("Retry-After %q, want 3", ra)
			}
			if srv.Stats().RateLimited != 1 {
				t.Error("not counted")
			}
		}},
		{"rate limited, default wait", auditlogstest.Faults{RateLimited: 1}, nil, "actions", func(t *testing.T, _ *auditlogstest.Server, u string) {
			resp, body := get(t, http.DefaultClient, u, "")
			errorCode(t, resp, body, 429, "ratelimited")
			if ra := resp.Header.Get("Retry-After"); ra != "1" {
				t.Errorf("Retry-After %q, want 1", ra)
			}
		}},
		{"rate limited, no wait", auditlogstest.Faults{RateLimited: 1, RetryAfter: -1}, nil, "logs", func(t *testing.T, _ *auditlogstest.Server, u string) {
			resp, _ := get(t, http.DefaultClient, u, auditlogstest.DefaultToken)
			if ra := resp.Header.Get("Retry-After"); ra != "0" {
				t.Errorf("Retry-After %q, want 0", ra)
			}
		}},
		{"rate limited, HTTP date", auditlogstest.Faults{RateLimited: 1, RetryAfter: 30 * time.Second}, []auditlogstest.Option{auditlogstest.WithRetryAfterDate(true)}, "logs", func(t *testing.T, _ *auditlogstest.Server, u string) {
			resp, body := get(t, http.DefaultClient, u, auditlogstest.DefaultToken)
			errorCode(t, resp, body, 429, "ratelimited")
			when, err := http.ParseTime(resp.Header.Get("Retry-After"))
			if d := time.Until(when); err != nil || d < 28*time.Second || d > 31*time.Second {
				t.Errorf("Retry-After %q (%v from now, %v)", resp.Header.Get("Retry-After"), d, err)
			}
		}},
		{"server error", auditlogstest.Faults{ServerError: 1}, nil, "logs", func(t *testing.T, srv *auditlogstest.Server, u string) {
			for i, want := range []int{503, 500, 503} {
				resp, body := get(t, http.DefaultClient, u, auditlogstest.DefaultToken)
				if resp.StatusCode != want || !strings.HasPrefix(string(body), "<html><body><h1>"+strconv.Itoa(want)+" ") || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
					t.Errorf("call %d: %d %q %q", i, resp.StatusCode, resp.Header.Get("Content-Type"), body)
				}
			}
			if srv.Stats().ServerErrors != 3 {
				t.Error("not counted")
			}
		}},
		{"server error on schemas", auditlogstest.Faults{ServerError: 1}, nil, "schemas", func(t *testing.T, _ *auditlogstest.Server, u string) {
			resp, body := get(t, http.DefaultClient, u, "")
			if resp.StatusCode != 503 || string(body) != "<html><body><h1>503 Service Unavailable</h1></body></html>" {
				t.Errorf("%d %q", resp.StatusCode, body)
			}
		}},
		{"reset before response", auditlogstest.Faults{ResetBeforeResponse: 1}, nil, "logs", func(t *testing.T, srv *auditlogstest.Server, u string) {
			req, _ := http.NewRequest(http.MethodGet, u, nil)
			req.Header.Set("Authorization", "Bearer "+auditlogstest.DefaultToken)
			resp, err := freshClient().Do(req)
			if err == nil {
				resp.Body.Close()
				t.Fatalf("got a response (%d), want a transport error", resp.StatusCode)
			}
			if srv.Stats().Resets != 1 {
				t.Errorf("stats %+v", srv.Stats())
			}
		}},
		{"reset mid body", auditlogstest.Faults{ResetMidBody: 1}, nil, "logs?limit=50", func(t *testing.T, srv *auditlogstest.Server, u string) {
			req, _ := http.NewRequest(http.MethodGet, u, nil)
			req.Header.Set("Authorization", "Bearer "+auditlogstest.DefaultToken)
			resp, err := freshClient().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != 200 || resp.ContentLength < 10000 {
				t.Fatalf("status %d, Content-Length %d", resp.StatusCode, resp.ContentLength)
			}
			body, err := io.ReadAll(resp.Body)
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("reading the body: %v, want unexpected EOF", err)
			}
			if int64(len(body)) >= resp.ContentLength || !strings.HasPrefix(string(body), `{"entries":[{"id":`) {
				t.Errorf("got %d of %d bytes: %.60s", len(body), resp.ContentLength, body)
			}
			if st := srv.Stats(); st.Resets != 1 || st.EntriesServed != 0 {
				t.Errorf("stats %+v", st)
			}
		}},
		{"reset mid body on actions", auditlogstest.Faults{ResetMidBody: 1}, nil, "actions", func(t *testing.T, _ *auditlogstest.Server, u string) {
			resp, err := freshClient().Get(u)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if _, err := io.ReadAll(resp.Body); !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("reading the body: %v", err)
			}
		}},
		{"slow", auditlogstest.Faults{Slow: 1, SlowDelay: 150 * time.Millisecond}, nil, "logs", func(t *testing.T, _ *auditlogstest.Server, u string) {
			start := time.Now()
			if resp, _ := get(t, http.DefaultClient, u, auditlogstest.DefaultToken); resp.StatusCode != 200 {
				t.Fatal(resp.StatusCode)
			}
			if d := time.Since(start); d < 150*time.Millisecond {
				t.Errorf("answered in %v", d)
			}
		}},
		{"latency", auditlogstest.Faults{}, []auditlogstest.Option{auditlogstest.WithLatency(100 * time.Millisecond)}, "schemas", func(t *testing.T, _ *auditlogstest.Server, u string) {
			start := time.Now()
			get(t, http.DefaultClient, u, "")
			if d := time.Since(start); d < 100*time.Millisecond {
				t.Errorf("answered in %v", d)
			}
		}},
		{"refuse cursor", auditlogstest.Faults{RefuseCursor: 1}, nil, "logs?limit=5", func(t *testing.T, srv *auditlogstest.Server, u string) {
			first := logs(t, srv, url.Values{"limit": {"5"}}) // no cursor: served
			resp, body := get(t, http.DefaultClient, u+"&cursor="+url.QueryEscape(first.nextCursor()), auditlogstest.DefaultToken)
			errorCode(t, resp, body, 400, "invalid_cursor")
			if srv.Stats().InvalidCursors != 1 {
				t.Error("not counted")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := auditlogstest.NewServer(append([]auditlogstest.Option{auditlogstest.WithSynthetic(120, 1), auditlogstest.WithFaults(tt.faults)}, tt.opts...)...)
			defer srv.Close()
			tt.check(t, srv, srv.URL+tt.path)
		})
	}
}

func TestFaultsFirstN(t *testing.T) {
	srv := auditlogstest.NewServer(auditlogstest.WithSynthetic(10, 1),
		auditlogstest.WithFaults(auditlogstest.Faults{ServerError: 1, FirstN: 3}))
	defer srv.Close()
	var got []int
	for range 5 {
		resp, _ := get(t, http.DefaultClient, srv.URL+"logs", auditlogstest.DefaultToken)
		got = append(got, resp.StatusCode)
	}
	if want := []int{503, 500, 503, 200, 200}; !slices.Equal(got, want) {
		t.Errorf("statuses %v, want %v", got, want)
	}
	// SetFaults starts the count again.
	srv.SetFaults(auditlogstest.Faults{RateLimited: 1, FirstN: 1})
	got = got[:0]
	for range 3 {
		resp, _ := get(t, http.DefaultClient, srv.URL+"schemas", "")
		got = append(got, resp.StatusCode)
	}
	if want := []int{429, 200, 200}; !slices.Equal(got, want) {
		t.Errorf("after SetFaults: statuses %v, want %v", got, want)
	}
	if st := srv.Stats(); st.ServerErrors != 3 || st.RateLimited != 1 || st.Requests != 8 {
		t.Errorf("stats %+v", st)
	}
}

func TestFaultsAreReproducible(t *testing.T) {
	run := func(seed int64) []int {
		srv := auditlogstest.NewServer(auditlogstest.WithSynthetic(10, 1), auditlogstest.WithFaults(auditlogstest.Faults{
			Seed: seed, RateLimited: 0.2, ServerError: 0.2, RefuseCursor: 0.5,
		}))
		defer srv.Close()
		cursor := logsUntilOK(t, srv)
		var got []int
		for range 40 {
			resp, _ := get(t, http.DefaultClient, srv.URL+"logs?limit=2&cursor="+url.QueryEscape(cursor), auditlogstest.DefaultToken)
			got = append(got, resp.StatusCode)
		}
		return got
	}
	a, b, c := run(42), run(42), run(43)
	if !slices.Equal(a, b) {
		t.Errorf("same seed, different faults:\n%v\n%v", a, b)
	}
	if slices.Equal(a, c) {
		t.Errorf("different seeds, same faults: %v", a)
	}
	kinds := map[int]int{}
	for _, s := range a {
		kinds[s]++
	}
	if len(kinds) != 5 && len(kinds) != 4 { // 200, 400, 429, 500 and/or 503
		t.Errorf("statuses %v", kinds)
	}
}

func logsUntilOK(t *testing.T, srv *auditlogstest.Server) string {
	for range 50 {
		resp, body := get(t, http.DefaultClient, srv.URL+"logs?limit=2", auditlogstest.DefaultToken)
		if resp.StatusCode == 200 {
			var p page
			if err := json.Unmarshal(body, &p); err != nil {
				t.Fatal(err)
			}
			return p.nextCursor()
		}
	}
	t.Fatal("never a 200")
	return ""
}

// TestConcurrentUse pages through the store from several goroutines while
// the faults change; run with -race.
func TestConcurrentUse(t *testing.T) {
	srv := auditlogstest.NewServer(auditlogstest.WithSynthetic(500, 6), auditlogstest.WithRateLimit(1000, time.Second, 1000))
	defer srv.Close()
	want := srv.Entries()
	var wg sync.WaitGroup
	for g := range 6 {
		wg.Go(func() {
			n, err := countAll(srv, 20+g)
			if err != nil || n != len(want) {
				t.Errorf("goroutine %d: %d entries, %v", g, n, err)
			}
		})
	}
	wg.Go(func() {
		for i := range 50 {
			srv.SetFaults(auditlogstest.Faults{Seed: int64(i), Slow: 0.1, SlowDelay: time.Millisecond})
			_ = srv.Stats()
		}
	})
	wg.Wait()
	if st := srv.Stats(); st.EntriesServed != 6*500 {
		t.Errorf("stats %+v", st)
	}
}

// TestCloseLeavesNoGoroutines closes a server with requests in flight,
// including cut connections and a long injected delay.
func TestCloseLeavesNoGoroutines(t *testing.T) {
	tr := &http.Transport{}
	client := &http.Client{Transport: tr}
	before := runtime.NumGoroutine()

	srv := auditlogstest.NewServer(auditlogstest.WithSynthetic(50, 1))
	for _, f := range []auditlogstest.Faults{{ResetMidBody: 1}, {ResetBeforeResponse: 1}, {}} {
		srv.SetFaults(f)
		if resp, err := client.Get(srv.URL + "actions"); err == nil {
			_, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
	}
	srv.SetFaults(auditlogstest.Faults{Slow: 1, SlowDelay: time.Hour})
	done := make(chan error)
	go func() {
		resp, err := client.Get(srv.URL + "schemas")
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	time.Sleep(50 * time.Millisecond) // let the slow request arrive
	start := time.Now()
	srv.Close()
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Close took %v", d)
	}
	srv.Close() // twice is fine
	if err := <-done; err == nil {
		t.Error("the request cut short by Close got an answer")
	}
	tr.CloseIdleConnections()

	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines before, %d after Close:\n%s", before, n, buf[:runtime.Stack(buf, true)])
	}
}

// countAll pages through the store and counts the entries, without calling
// t.Fatal (it runs in goroutines).
func countAll(srv *auditlogstest.Server, limit int) (int, error) {
	n, cursor := 0, ""
	for {
		q := url.Values{"limit": {strconv.Itoa(limit)}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"logs?"+q.Encode(), nil)
		req.Header.Set("Authorization", "Bearer "+auditlogstest.DefaultToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return n, err
		}
		var p page
		err = json.NewDecoder(resp.Body).Decode(&p)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			return n, fmt.Errorf("status %d: %v", resp.StatusCode, err)
		}
		n += len(p.Entries)
		if cursor = p.nextCursor(); cursor == "" {
			return n, nil
		}
	}
}

// TestCloseCutsDelaysOfAHandler checks that Close ends the injected delays of
// a Server mounted in another http.Server, which it does not own.
func TestCloseCutsDelaysOfAHandler(t *testing.T) {
	fake := auditlogstest.NewHandler(auditlogstest.WithLatency(time.Hour))
	ts := httptest.NewServer(fake.Handler())
	defer ts.Close()
	done := make(chan error)
	go func() {
		resp, err := freshClient().Get(ts.URL + "/audit/v1/actions")
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	fake.Close()
	select {
	case err := <-done:
		if err == nil {
			t.Error("the delayed request got an answer")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not end the delay")
	}
}
