package tests

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slackaudit/auditlogs"
)

// calls runs each way of reading /logs against the client, returning the
// error of each.
func calls(ctx context.Context, c *auditlogs.Client) map[string]error {
	errs := map[string]error{}
	_, errs["Logs"] = c.Logs(ctx, auditlogs.LogsParams{})
	for _, err := range c.Pages(ctx, auditlogs.LogsParams{}) {
		errs["Pages"] = err
	}
	for _, err := range c.AllLogs(ctx, auditlogs.LogsParams{}) {
		errs["AllLogs"] = err
	}
	for _, err := range c.RawPages(ctx, auditlogs.LogsParams{}) {
		errs["RawPages"] = err
	}
	return errs
}

// TestNotAPageIsNeverAPage: a 2xx body that is not a /logs page is never
// taken for an empty last page (issue 16, row 1). "ok": false with a code is
// an *APIError with that code, not retried; anything else is
// ErrMalformedResponse, retried like a body cut short. The same holds for
// /schemas and /actions, whose member is required.
func TestNotAPageIsNeverAPage(t *testing.T) {
	tests := []struct {
		body     string
		code     string // the *APIError's, or "" for ErrMalformedResponse
		sentinel error
	}{
		{`{"ok":false,"error":"invalid_auth"}`, "invalid_auth", auditlogs.ErrUnauthorized},
		{`{"ok":false,"error":"token_revoked","entries":[]}`, "token_revoked", auditlogs.ErrUnauthorized},
		{`{"ok":false,"error":"missing_scope","needed":"auditlogs:read"}`, "missing_scope", auditlogs.ErrForbidden},
		{`{}`, "", auditlogs.ErrMalformedResponse},
		{`[]`, "", auditlogs.ErrMalformedResponse},
		{`{"entries":{}}`, "", auditlogs.ErrMalformedResponse},
		{`{"entries":null,"response_metadata":{"next_cursor":""}}`, "", auditlogs.ErrMalformedResponse},
		{`"ok"`, "", auditlogs.ErrMalformedResponse},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			rec := newRecorder(t, jsonBody(http.StatusOK, tt.body))
			c := fastClient(t, rec.URL, auditlogs.WithRetryMax(2))
			wantCalls := 3 // retried
			if tt.code != "" {
				wantCalls = 1
			}
			for name, err := range calls(context.Background(), c) {
				if !errors.Is(err, tt.sentinel) {
					t.Errorf("%s: err = %v, want %v", name, err, tt.sentinel)
				}
				var apiErr *auditlogs.APIError
				if isAPI := errors.As(err, &apiErr); isAPI != (tt.code != "") || (isAPI && (apiErr.Code != tt.code || apiErr.Attempts != 1)) {
					t.Errorf("%s: err = %#v, want an *APIError with code %q after one attempt: %v", name, apiErr, tt.code, isAPI)
				}
			}
			if got := rec.count(); got != 4*wantCalls {
				t.Errorf("%d requests for 4 calls, want %d each", got, wantCalls)
			}

			_, errS := c.Schemas(context.Background())
			_, errA := c.Actions(context.Background())
			for _, err := range []error{errS, errA} {
				if !errors.Is(err, tt.sentinel) {
					t.Errorf("schemas or actions: err = %v, want %v", err, tt.sentinel)
				}
			}
		})
	}
}

// TestLongRetryAfterHoldsNoOtherCall: a Retry-After over WithMaxRetryAfter
// fails that call at once with the wait on the *APIError (saturated, never
// negative), and holds back no later call: they proceed (issue 16, row 2).
// RateLimitWait counts no wait that did not happen.
func TestLongRetryAfterHoldsNoOtherCall(t *testing.T) {
	for _, ra := range []string{"3600", "99999999999", "Fri, 31 Dec 9999 23:59:59 GMT"} {
		t.Run(ra, func(t *testing.T) {
			rec := newRecorder(t, jsonBody(429, `{"ok":false,"error":"ratelimited"}`, "Retry-After", ra), page("", "a"))
			c := fastClient(t, rec.URL, auditlogs.WithRateLimit(6000, 10), auditlogs.WithMaxRetryAfter(time.Minute))
			_, err := c.Logs(context.Background(), auditlogs.LogsParams{})
			var apiErr *auditlogs.APIError
			if !errors.As(err, &apiErr) || apiErr.RetryAfter < time.Hour || rec.count() != 1 {
				t.Fatalf("err = %v after %d requests, want a 429 *APIError with RetryAfter of an hour or more", err, rec.count())
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if _, err := c.Logs(ctx, auditlogs.LogsParams{}); err != nil {
				t.Fatalf("the next call: %v, want it to proceed", err)
			}
			if w := c.RateLimitWait(); w < 0 || w > 5*time.Second {
				t.Errorf("RateLimitWait = %v, want what was waited (about nothing)", w)
			}
		})
	}
}

// TestRetryAfterWaitCountsOnlyWhatWasWaited: calls held by a Retry-After
// within the cap return when their context is done, and RateLimitWait adds
// only the time they waited, not the pause they were scheduled for.
func TestRetryAfterWaitCountsOnlyWhatWasWaited(t *testing.T) {
	rec := newRecorder(t, jsonBody(429, `{"ok":false,"error":"ratelimited"}`, "Retry-After", "30"))
	c := fastClient(t, rec.URL, auditlogs.WithRateLimit(6000, 10), auditlogs.WithMaxRetryAfter(time.Minute))
	for i := range 2 { // the first call meets the 429, the second the pause it set
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		start := time.Now()
		_, err := c.Logs(ctx, auditlogs.LogsParams{})
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
			t.Fatalf("call %d: %v after %v, want the context's error at once", i, err, time.Since(start))
		}
	}
	if rec.count() != 1 {
		t.Errorf("%d requests, want 1: the second call waits for the pause", rec.count())
	}
	if w := c.RateLimitWait(); w > 5*time.Second {
		t.Errorf("RateLimitWait = %v after waits cut short at 100ms", w)
	}
}

// dripping answers 200 with the start of a page, then one byte a second
// until the client goes away; started is closed once the first bytes are
// out.
func dripping(started chan struct{}, gzipped bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		var out io.Writer = w
		flush := func() { _ = http.NewResponseController(w).Flush() }
		if gzipped {
			w.Header().Set("Content-Encoding", "gzip")
			zw := gzip.NewWriter(w)
			out = zw
			flush = func() { _ = zw.Flush(); _ = http.NewResponseController(w).Flush() }
		}
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(out, `{"ok":true,"entries":[{"id":"a"}`)
		flush()
		close(started)
		for {
			select {
			case <-r.Context().Done():
				return
			case <-time.After(time.Second):
				_, _ = io.WriteString(out, " ")
				flush()
			}
		}
	}
}

// TestCancelWhileBodyDrips: a body that drips a byte a second is abandoned
// as soon as the context is cancelled, plain or gzip, in every way of
// reading /logs (issue 16, row 3, the library's side).
func TestCancelWhileBodyDrips(t *testing.T) {
	for _, gzipped := range []bool{false, true} {
		for _, call := range []string{"Logs", "AllLogs", "RawPages"} {
			t.Run(fmt.Sprintf("%s gzip=%v", call, gzipped), func(t *testing.T) {
				started := make(chan struct{})
				rec := newRecorder(t, dripping(started, gzipped))
				c := fastClient(t, rec.URL)
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				var cancelled atomic.Int64
				go func() {
					<-started
					time.Sleep(100 * time.Millisecond)
					cancelled.Store(time.Now().UnixNano())
					cancel()
				}()
				var err error
				switch call {
				case "Logs":
					_, err = c.Logs(ctx, auditlogs.LogsParams{})
				case "AllLogs":
					for _, e := range c.AllLogs(ctx, auditlogs.LogsParams{}) {
						err = e
					}
				case "RawPages":
					for _, e := range c.RawPages(ctx, auditlogs.LogsParams{}) {
						err = e
					}
				}
				late := time.Since(time.Unix(0, cancelled.Load()))
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("err = %v, want context.Canceled", err)
				}
				if late > time.Second {
					t.Errorf("returned %v after the cancel, want within 1s", late)
				}
			})
		}
	}
}

// freshCursors answers pages with a new cursor of size bytes each time;
// nonEmptyAt lists the requests (from 1) whose page holds an entry.
func freshCursors(size int, nonEmptyAt ...int) http.HandlerFunc {
	var n atomic.Int64
	return func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1))
		cursor := fmt.Sprintf("%d-", i)
		cursor += strings.Repeat("c", max(size-len(cursor), 0))
		var ids []string
		if slices.Contains(nonEmptyAt, i) {
			ids = []string{fmt.Sprint(i)}
		}
		page(cursor, ids...)(w, r)
	}
}

// TestEndlessPagingStops: a server that never ends paging is stopped
// (issue 16, row 10): MaxEmptyPages empty pages in a row with fresh cursors
// give ErrTooManyEmptyPages, a cursor over MaxCursorLen ErrCursorTooLong at
// once (not followed, nor retried), and memory stays bounded.
func TestEndlessPagingStops(t *testing.T) {
	tests := []struct {
		name      string
		handler   http.HandlerFunc
		want      error
		wantCalls int
	}{
		{"empty pages", freshCursors(20), auditlogs.ErrTooManyEmptyPages, auditlogs.MaxEmptyPages},
		{"empty pages, one with an entry", freshCursors(20, 50), auditlogs.ErrTooManyEmptyPages, 50 + auditlogs.MaxEmptyPages},
		{"1 MiB cursors", freshCursors(1 << 20), auditlogs.ErrCursorTooLong, 1},
		{"cursor one byte too long", freshCursors(auditlogs.MaxCursorLen + 1), auditlogs.ErrCursorTooLong, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t, tt.handler)
			c := fastClient(t, rec.URL)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			var err error
			pages := 0
			for p, e := range c.RawPages(context.Background(), auditlogs.LogsParams{}) {
				if e != nil {
					err = e
					break
				}
				if pages++; pages > 10*auditlogs.MaxEmptyPages {
					break // it would never end
				}
				_ = p
			}
			runtime.ReadMemStats(&after)
			if !errors.Is(err, tt.want) || rec.count() != tt.wantCalls {
				t.Fatalf("after %d pages and %d requests: err = %v; want %v after %d requests", pages, rec.count(), err, tt.want, tt.wantCalls)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
				t.Errorf("allocated %d MiB", alloc>>20)
			}
		})
	}
	// A cursor that long is refused before anything is sent.
	rec := newRecorder(t, page("", "a"))
	_, err := fastClient(t, rec.URL).Logs(context.Background(), auditlogs.LogsParams{Cursor: strings.Repeat("c", auditlogs.MaxCursorLen+1)})
	if !errors.Is(err, auditlogs.ErrInvalidParams) || rec.count() != 0 {
		t.Errorf("a cursor over MaxCursorLen: %v after %d requests, want ErrInvalidParams before any", err, rec.count())
	}
}
