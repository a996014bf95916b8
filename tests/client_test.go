package tests

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slackaudit/auditlogs"
)

const testToken = "xoxp-SECRET-TOKEN-4242"

// recorder is an httptest server that answers with a script of handlers, one
// per request (the last one repeats), and records every request.
type recorder struct {
	*httptest.Server
	mu       sync.Mutex
	requests []*http.Request
	script   []http.HandlerFunc
}

func newRecorder(t *testing.T, script ...http.HandlerFunc) *recorder {
	t.Helper()
	r := &recorder{script: script}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		n := len(r.requests)
		r.requests = append(r.requests, req.Clone(context.Background()))
		h := r.script[min(n, len(r.script)-1)]
		r.mu.Unlock()
		h(w, req)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *recorder) count() int { r.mu.Lock(); defer r.mu.Unlock(); return len(r.requests) }

func (r *recorder) request(i int) *http.Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.requests[i]
}

func jsonBody(status int, body string, headers ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}
}

func page(cursor string, ids ...string) http.HandlerFunc {
	var entries []string
	for _, id := range ids {
		entries = append(entries, fmt.Sprintf(`{"id":%q,"date_create":1700000000,"action":"user_login","actor":{"type":"user"},"entity":{"type":"user"},"context":{}}`, id))
	}
	return jsonBody(200, fmt.Sprintf(`{"ok":true,"entries":[%s],"response_metadata":{"next_cursor":%q}}`, strings.Join(entries, ","), cursor))
}

// fastClient is a client for tests: short backoff, no rate limit.
func fastClient(t *testing.T, base string, opts ...auditlogs.Option) *auditlogs.Client {
	t.Helper()
	opts = append([]auditlogs.Option{auditlogs.WithBaseURL(base), auditlogs.WithRetryWait(time.Millisecond, 5*time.Millisecond),
		auditlogs.WithRateLimit(0, 0)}, opts...)
	c, err := auditlogs.New(testToken, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNewRefusesBadInput(t *testing.T) {
	tests := []struct {
		name  string
		token string
		opts  []auditlogs.Option
		want  string
	}{
		{"relative base URL", "t", []auditlogs.Option{auditlogs.WithBaseURL("/audit/v1")}, "base URL"},
		{"ftp base URL", "t", []auditlogs.Option{auditlogs.WithBaseURL("ftp://x/")}, "base URL"},
		{"base URL with query", "t", []auditlogs.Option{auditlogs.WithBaseURL("https://x/?a=b")}, "query"},
		{"negative retries", "t", []auditlogs.Option{auditlogs.WithRetryMax(-1)}, "negative"},
		{"nil http client", "t", []auditlogs.Option{auditlogs.WithHTTPClient(nil)}, "nil client"},
		{"authorization header", "t", []auditlogs.Option{auditlogs.WithHeader("authorization", "Bearer x")}, "Authorization"},
		{"bad retry wait", "t", []auditlogs.Option{auditlogs.WithRetryWait(time.Second, time.Millisecond)}, "min <= max"},
		{"negative rate", "t", []auditlogs.Option{auditlogs.WithRateLimit(-1, 0)}, "WithRateLimit"},
		{"zero body limit", "t", []auditlogs.Option{auditlogs.WithMaxResponseBytes(0)}, "not positive"},
		{"zero timeout", "t", []auditlogs.Option{auditlogs.WithTimeout(0)}, "not positive"},
		{"timeout beside a client", "t", []auditlogs.Option{auditlogs.WithTimeout(time.Second), auditlogs.WithHTTPClient(http.DefaultClient)}, "WithTimeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := auditlogs.New(tt.token, tt.opts...)
			if err == nil || c != nil {
				t.Fatalf("New = %v, %v; want an error", c, err)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "auditlogs: ") {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
			if !errors.Is(err, auditlogs.ErrInvalidOption) {
				t.Errorf("error %q is not ErrInvalidOption", err)
			}
		})
	}
}

// TestNoToken: a Client made without a token reads /schemas and /actions,
// sending no Authorization header, and refuses /logs calls before sending
// anything.
func TestNoToken(t *testing.T) {
	rec := newRecorder(t, jsonBody(200, `{"schemas":[]}`), jsonBody(200, `{"actions":{}}`))
	c, err := auditlogs.New("", auditlogs.WithBaseURL(rec.URL), auditlogs.WithRetryMax(0), auditlogs.WithRateLimit(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Schemas(context.Background()); err != nil {
		t.Fatalf("Schemas: %v", err)
	}
	if _, err := c.Actions(context.Background()); err != nil {
		t.Fatalf("Actions: %v", err)
	}
	for i := range rec.count() {
		if h, ok := rec.request(i).Header["Authorization"]; ok {
			t.Errorf("request %d sent Authorization %q", i, h)
		}
	}
	sent := rec.count()
	if _, err := c.Logs(context.Background(), auditlogs.LogsParams{}); !errors.Is(err, auditlogs.ErrNoToken) {
		t.Errorf("Logs: err = %v, want ErrNoToken", err)
	}
	for _, err := range c.AllLogs(context.Background(), auditlogs.LogsParams{}) {
		if !errors.Is(err, auditlogs.ErrNoToken) {
			t.Errorf("AllLogs: err = %v, want ErrNoToken", err)
		}
		break
	}
	if rec.count() != sent {
		t.Errorf("a /logs call without a token sent %d requests", rec.count()-sent)
	}
}

func TestRequestShape(t *testing.T) {
	rec := newRecorder(t, page("dXNlcjpVMEc5V0ZYTlo+/w==", "a"), page("", "b"))
	c := fastClient(t, rec.URL+"/audit/v1", auditlogs.WithHeader("X-Team", "sec"), auditlogs.WithUserAgent("collector/2", "(+ops)"))
	p := auditlogs.LogsParams{
		Oldest: time.Unix(1700000000, 0), Latest: time.Unix(1700003600, 0),
		Action: "user_login", Actor: "W123", Entity: "C456", Limit: 200,
	}
	ids, _ := pullAll(t, c, p)
	if strings.Join(ids, ",") != "a,b" || rec.count() != 2 {
		t.Fatalf("ids %v after %d requests", ids, rec.count())
	}
	for i, wantCursor := range []string{"", "dXNlcjpVMEc5V0ZYTlo+/w=="} {
		req := rec.request(i)
		if req.URL.Path != "/audit/v1/logs" || req.Method != http.MethodGet {
			t.Errorf("request %d: %s %s", i, req.Method, req.URL.Path)
		}
		q := req.URL.Query()
		want := url.Values{"oldest": {"1700000000"}, "latest": {"1700003600"}, "action": {"user_login"},
			"actor": {"W123"}, "entity": {"C456"}, "limit": {"200"}}
		if wantCursor != "" {
			want.Set("cursor", wantCursor)
		}
		if q.Encode() != want.Encode() {
			t.Errorf("request %d query = %s, want %s (every filter re-sent with the cursor)", i, q.Encode(), want.Encode())
		}
		if wantCursor != "" && !strings.Contains(req.URL.RawQuery, "cursor="+url.QueryEscape(wantCursor)) {
			t.Errorf("cursor not URL-encoded in %q", req.URL.RawQuery)
		}
		if got := req.Header.Get("Authorization"); got != "Bearer "+testToken {
			t.Errorf("Authorization = %q", got)
		}
		if req.Header.Get("Accept") != "application/json" || req.Header.Get("X-Team") != "sec" {
			t.Errorf("headers: %v", req.Header)
		}
		wantUA := "collector/2 auditlogs-go/" + auditlogs.Version + " go/" + runtime.Version() + " (+ops)"
		if ua := req.Header.Get("User-Agent"); ua != wantUA {
			t.Errorf("User-Agent = %q, want %q", ua, wantUA)
		}
	}
}

func TestZeroParamsAreNotSent(t *testing.T) {
	rec := newRecorder(t, page("", "a"))
	c := fastClient(t, rec.URL+"/audit/v1/")
	if _, err := c.Logs(context.Background(), auditlogs.LogsParams{}); err != nil {
		t.Fatal(err)
	}
	if q := rec.request(0).URL.RawQuery; q != "limit=9999" {
		t.Errorf("query of empty params = %q, want only the default limit", q)
	}
}

func TestInvalidParams(t *testing.T) {
	rec := newRecorder(t, page("", "a"))
	c := fastClient(t, rec.URL)
	for _, p := range []auditlogs.LogsParams{
		{Limit: -1}, {Limit: 10000},
		{Oldest: time.Unix(200, 0), Latest: time.Unix(100, 0)},
		{Oldest: time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC)},
	} {
		if _, err := c.Logs(context.Background(), p); !errors.Is(err, auditlogs.ErrInvalidParams) {
			t.Errorf("Logs(%+v) = %v, want ErrInvalidParams", p, err)
		}
	}
	if rec.count() != 0 {
		t.Errorf("invalid params sent %d requests", rec.count())
	}
}

func TestBaseURLForms(t *testing.T) {
	for _, prefix := range []string{"", "/", "/audit/v1", "/audit/v1/", "/proxy/slack/audit/v1"} {
		t.Run(prefix, func(t *testing.T) {
			rec := newRecorder(t, page("", "a"))
			c := fastClient(t, rec.URL+prefix)
			if _, err := c.Logs(context.Background(), auditlogs.LogsParams{}); err != nil {
				t.Fatal(err)
			}
			want := strings.TrimSuffix(prefix, "/") + "/logs"
			if got := rec.request(0).URL.Path; got != want {
				t.Errorf("path = %q, want %q", got, want)
			}
		})
	}
}

func TestRetries(t *testing.T) {
	ok := page("", "a")
	tests := []struct {
		name     string
		script   []http.HandlerFunc
		requests int
		status   int // 0: success
		code     string
	}{
		{"500 then ok", []http.HandlerFunc{jsonBody(500, `<html>oops</html>`), ok}, 2, 0, ""},
		{"503 429 then ok", []http.HandlerFunc{jsonBody(503, ``), jsonBody(429, `{"ok":false,"error":"ratelimited"}`, "Retry-After", "0"), ok}, 3, 0, ""},
		{"501 is not retried", []http.HandlerFunc{jsonBody(501, `{"ok":false,"error":"not_implemented"}`), ok}, 1, 501, "not_implemented"},
		{"400 is not retried", []http.HandlerFunc{jsonBody(400, `{"ok":false,"error":"invalid_arguments"}`), ok}, 1, 400, "invalid_arguments"},
		{"401 is not retried", []http.HandlerFunc{jsonBody(401, ``), ok}, 1, 401, ""},
		{"403 is not retried", []http.HandlerFunc{jsonBody(403, `{"ok":false,"error":"missing_scope","needed":"auditlogs:read"}`), ok}, 1, 403, "missing_scope"},
		{"5xx on every attempt", []http.HandlerFunc{jsonBody(502, `<html>bad gateway</html>`)}, 3, 502, ""},
		{"429 on every attempt", []http.HandlerFunc{jsonBody(429, `{"ok":false,"error":"ratelimited"}`, "Retry-After", "0")}, 3, 429, "ratelimited"},
		{"200 with ok false is success", []http.HandlerFunc{jsonBody(200, `{"ok":false,"entries":[{"id":"a"}]}`)}, 1, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t, tt.script...)
			c := fastClient(t, rec.URL, auditlogs.WithRetryMax(2))
			pg, err := c.Logs(context.Background(), auditlogs.LogsParams{})
			if rec.count() != tt.requests {
				t.Errorf("%d requests, want %d", rec.count(), tt.requests)
			}
			if tt.status == 0 {
				if err != nil || len(pg.Entries) != 1 {
					t.Fatalf("Logs = %v, %v", pg, err)
				}
				return
			}
			var apiErr *auditlogs.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("error %v (%T) is not an *APIError", err, err)
			}
			if apiErr.StatusCode != tt.status || apiErr.Code != tt.code || apiErr.Attempts != tt.requests {
				t.Errorf("APIError status %d code %q after %d attempts, want %d %q after %d",
					apiErr.StatusCode, apiErr.Code, apiErr.Attempts, tt.status, tt.code, tt.requests)
			}
		})
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	rec := newRecorder(t, jsonBody(429, `{"ok":false,"error":"ratelimited"}`, "Retry-After", "1"), page("", "a"))
	c := fastClient(t, rec.URL)
	start := time.Now()
	if _, err := c.Logs(context.Background(), auditlogs.LogsParams{}); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < time.Second {
		t.Errorf("retried after %v; Retry-After asked for 1s", el)
	}

	// As an HTTP date, two seconds ahead (a date has one-second precision).
	date := time.Now().Add(2 * time.Second).UTC().Format(http.TimeFormat)
	rec = newRecorder(t, jsonBody(503, ``, "Retry-After", date), page("", "a"))
	c = fastClient(t, rec.URL)
	start = time.Now()
	if _, err := c.Logs(context.Background(), auditlogs.LogsParams{}); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < time.Second {
		t.Errorf("retried after %v; Retry-After asked until %s", el, date)
	}
}

func TestRetryAfterAboveCapIsReturned(t *testing.T) {
	rec := newRecorder(t, jsonBody(429, `{"ok":false,"error":"ratelimited"}`, "Retry-After", "3600"), page("", "a"))
	c := fastClient(t, rec.URL, auditlogs.WithMaxRetryAfter(time.Minute))
	start := time.Now()
	_, err := c.Logs(context.Background(), auditlogs.LogsParams{})
	var apiErr *auditlogs.APIError
	if !errors.As(err, &apiErr) || apiErr.RetryAfter != time.Hour || !errors.Is(err, auditlogs.ErrRateLimited) {
		t.Fatalf("err = %v, want a 429 APIError with RetryAfter 1h", err)
	}
	if time.Since(start) > 15*time.Second || rec.count() != 1 {
		t.Errorf("waited %v over %d requests; a Retry-After above the cap must be returned at once", time.Since(start), rec.count())
	}
}

func TestCancelDuringBackoff(t *testing.T) {
	rec := newRecorder(t, jsonBody(429, `{"ok":false,"error":"ratelimited"}`, "Retry-After", "60"))
	c := fastClient(t, rec.URL)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for rec.count() == 0 {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(20 * time.Millisecond)
		cancel()
	}()
	start := time.Now()
	_, err := c.Logs(ctx, auditlogs.LogsParams{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if el := time.Since(start); el > 15*time.Second {
		t.Errorf("cancel during a 60s backoff returned after %v", el)
	}
}

func TestCancelDuringRateLimitWait(t *testing.T) {
	rec := newRecorder(t, page("", "a"))
	c, err := auditlogs.New(testToken, auditlogs.WithBaseURL(rec.URL), auditlogs.WithRateLimit(1, 1))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Logs(context.Background(), auditlogs.LogsParams{}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := c.Logs(ctx, auditlogs.LogsParams{}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	if el := time.Since(start); el > 15*time.Second {
		t.Errorf("cancelled rate-limit wait took %v", el)
	}
	if rec.count() != 1 {
		t.Errorf("%d requests; the second call must not have been sent", rec.count())
	}
}

// truncated answers 200 with a Content-Length larger than what it writes,
// then drops the connection: the body is cut in the middle of the entries.
func truncated(w http.ResponseWriter, _ *http.Request) {
	body := `{"ok":true,"entries":[{"id":"a","date_create":1},{"id":"b","date_c`
	w.Header().Set("Content-Length", "500")
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(200)
	_, _ = w.Write([]byte(body))
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	conn, _, err := w.(http.Hijacker).Hijack()
	if err == nil {
		conn.Close()
	}
}

func TestTruncatedBodyIsRetried(t *testing.T) {
	rec := newRecorder(t, truncated, page("c1", "a", "b"), page("", "c"))
	c := fastClient(t, rec.URL)
	ids, _ := pullAll(t, c, auditlogs.LogsParams{})
	if strings.Join(ids, ",") != "a,b,c" || rec.count() != 3 {
		t.Errorf("ids %v after %d requests; want a,b,c once each after 3", ids, rec.count())
	}
}

func TestTruncatedJSONWithoutConnectionErrorIsRetried(t *testing.T) {
	rec := newRecorder(t, jsonBody(200, `{"ok":true,"entries":[{"id":"a"`), page("", "a"))
	c := fastClient(t, rec.URL)
	pg, err := c.Logs(context.Background(), auditlogs.LogsParams{})
	if err != nil || len(pg.Entries) != 1 || rec.count() != 2 {
		t.Fatalf("Logs = %v, %v after %d requests", pg, err, rec.count())
	}
	// On every attempt: ErrMalformedResponse.
	rec = newRecorder(t, jsonBody(200, `not json`))
	c = fastClient(t, rec.URL, auditlogs.WithRetryMax(1))
	if _, err := c.Logs(context.Background(), auditlogs.LogsParams{}); !errors.Is(err, auditlogs.ErrMalformedResponse) {
		t.Fatalf("err = %v, want ErrMalformedResponse", err)
	}
}

func TestConnectionRefused(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL
	srv.Close()
	c := fastClient(t, base, auditlogs.WithRetryMax(1))
	_, err := c.Logs(context.Background(), auditlogs.LogsParams{})
	if err == nil {
		t.Fatal("no error from a closed server")
	}
	if strings.Contains(err.Error(), base) || strings.Contains(err.Error(), "http://") {
		t.Errorf("error %q names the URL", err)
	}
}

func TestTimeout(t *testing.T) {
	rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	c, err := auditlogs.New(testToken, auditlogs.WithBaseURL(rec.URL), auditlogs.WithTimeout(100*time.Millisecond),
		auditlogs.WithRetryMax(0), auditlogs.WithRateLimit(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := c.Logs(context.Background(), auditlogs.LogsParams{}); err == nil {
		t.Fatal("no error from a server slower than the timeout")
	}
	if el := time.Since(start); el > 15*time.Second {
		t.Errorf("a 100ms timeout took %v", el)
	}
}

func TestResponseTooLarge(t *testing.T) {
	rec := newRecorder(t, page("", "a", "b", "c"))
	c := fastClient(t, rec.URL, auditlogs.WithMaxResponseBytes(64))
	if _, err := c.Logs(context.Background(), auditlogs.LogsParams{}); !errors.Is(err, auditlogs.ErrResponseTooLarge) {
		t.Fatalf("err = %v, want ErrResponseTooLarge", err)
	}
	if rec.count() != 1 {
		t.Errorf("a body over the limit was retried (%d requests)", rec.count())
	}
}

func TestTokenNeverLeaks(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	rec := newRecorder(t, jsonBody(500, `<html>`), jsonBody(401, `{"ok":false,"error":"invalid_auth"}`))
	c := fastClient(t, rec.URL, auditlogs.WithLogger(logger))
	_, err := c.Logs(context.Background(), auditlogs.LogsParams{Action: "user_login"})
	if err == nil {
		t.Fatal("want an error")
	}
	var apiErr *auditlogs.APIError
	errors.As(err, &apiErr)
	printed := []string{
		err.Error(), fmt.Sprintf("%v|%+v|%#v", err, err, err), fmt.Sprintf("%+v", apiErr), fmt.Sprintf("%#v", apiErr),
		fmt.Sprint(c), fmt.Sprintf("%v|%+v|%#v|%s", c, c, c, c), fmt.Sprintf("%+v|%#v", *c, *c), logs.String(),
	}
	for _, s := range printed {
		if strings.Contains(s, "SECRET") || strings.Contains(s, "Bearer") || strings.Contains(s, "Authorization") {
			t.Errorf("token or header printed: %s", s)
		}
	}
	if !strings.Contains(logs.String(), "retrying") {
		t.Errorf("debug log has no retry line; the check above proves nothing:\n%s", logs.String())
	}
}

func TestPaginationEnds(t *testing.T) {
	tests := []struct {
		name string
		last http.HandlerFunc
	}{
		{"empty cursor", page("", "b")},
		{"empty metadata", jsonBody(200, `{"ok":true,"entries":[{"id":"b"}],"response_metadata":{}}`)},
		{"no metadata", jsonBody(200, `{"entries":[{"id":"b"}]}`)},
		{"metadata of another type", jsonBody(200, `{"entries":[{"id":"b"}],"response_metadata":[]}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t, page("c1", "a"), tt.last, page("", "never"))
			c := fastClient(t, rec.URL)
			ids, _ := pullAll(t, c, auditlogs.LogsParams{})
			if strings.Join(ids, ",") != "a,b" || rec.count() != 2 {
				t.Errorf("ids %v after %d requests", ids, rec.count())
			}
		})
	}
}

func TestRepeatedCursorStops(t *testing.T) {
	rec := newRecorder(t, page("c1", "a"), page("c2", "b"), page("c1", "c"), page("", "d"))
	c := fastClient(t, rec.URL)
	var ids []string
	var errs []error
	for e, err := range c.AllLogs(context.Background(), auditlogs.LogsParams{}) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ids = append(ids, e.ID)
	}
	if len(errs) != 1 || !errors.Is(errs[0], auditlogs.ErrRepeatedCursor) {
		t.Fatalf("errors %v, want one ErrRepeatedCursor", errs)
	}
	if strings.Join(ids, ",") != "a,b,c" || rec.count() != 3 {
		t.Errorf("ids %v after %d requests", ids, rec.count())
	}
}

func TestErrorYieldedOnceThenStops(t *testing.T) {
	rec := newRecorder(t, page("c1", "a"), jsonBody(400, `{"ok":false,"error":"invalid_cursor"}`))
	c := fastClient(t, rec.URL)
	var n, nerr int
	for _, err := range c.AllLogs(context.Background(), auditlogs.LogsParams{}) {
		if err != nil {
			nerr++
			if !errors.Is(err, auditlogs.ErrInvalidCursor) {
				t.Errorf("err = %v", err)
			}
			continue // a caller that ignores the error still gets no more
		}
		n++
	}
	if n != 1 || nerr != 1 {
		t.Errorf("%d entries and %d errors, want 1 and 1", n, nerr)
	}
}

func TestBreakStopsPaging(t *testing.T) {
	var served atomic.Int64
	rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		page(fmt.Sprintf("c%d", served.Load()), "x", "y", "z")(w, r)
	})
	hc := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	c := fastClient(t, rec.URL, auditlogs.WithHTTPClient(hc))
	before := runtime.NumGoroutine()
	n := 0
	for _, err := range c.AllLogs(context.Background(), auditlogs.LogsParams{}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		if n == 4 {
			break
		}
	}
	if rec.count() != 2 {
		t.Errorf("%d requests for 4 entries of 3-entry pages, want 2", rec.count())
	}
	// Only the idle keep-alive connection may remain: close it, and then
	// nothing the loop started may be left.
	hc.CloseIdleConnections()
	rec.CloseClientConnections()
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if after := runtime.NumGoroutine(); after > before {
		t.Errorf("goroutines: %d before, %d after breaking", before, after)
	}
}

func TestPagesAndResume(t *testing.T) {
	rec := newRecorder(t, page("c1", "a", "b"), page("c2", "c"), page("", "d"))
	c := fastClient(t, rec.URL)
	p := auditlogs.LogsParams{Action: "user_login"}
	var checkpoint string
	var ids []string
	for pg, err := range c.Pages(context.Background(), p) {
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range pg.Entries {
			ids = append(ids, e.ID)
		}
		checkpoint = pg.NextCursor
		if checkpoint == "c1" {
			break // "crash" after the first page
		}
	}
	p.Cursor = checkpoint
	for e, err := range c.AllLogs(context.Background(), p) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, e.ID)
	}
	if strings.Join(ids, ",") != "a,b,c,d" {
		t.Errorf("ids = %v", ids)
	}
	if q := rec.request(1).URL.Query(); q.Get("cursor") != "c1" || q.Get("action") != "user_login" {
		t.Errorf("resumed request query = %v", q)
	}
}

func TestConcurrentUse(t *testing.T) {
	rec := newRecorder(t, page("", "a", "b"))
	c := fastClient(t, rec.URL)
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				pg, err := c.Logs(context.Background(), auditlogs.LogsParams{})
				if err != nil || len(pg.Entries) != 2 {
					t.Errorf("Logs = %v, %v", pg, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if rec.count() != 80 {
		t.Errorf("%d requests, want 80", rec.count())
	}
}

func TestSchemasAndActions(t *testing.T) {
	rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+testToken {
			t.Errorf("no token on %s", r.URL.Path)
		}
		switch r.URL.Path {
		case "/schemas":
			jsonBody(200, `{"schemas":[{"type":"user","user":{"id":"string","email":"Optional: string","n":3}},{"type":"user","user":{"id":"string"}},"odd"]}`)(w, r)
		case "/actions":
			jsonBody(200, `{"actions":{"user":["user_login","user_logout"],"file":["file_downloaded"],"odd":5}}`)(w, r)
		}
	})
	c := fastClient(t, rec.URL)
	s, err := c.Schemas(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Schemas) != 2 || s.Schemas[0].Type != "user" || s.Schemas[0].Fields["email"] != "Optional: string" ||
		s.Schemas[0].Fields["n"] != "3" || len(s.Schemas[1].Fields) != 1 || !bytes.Contains(s.Raw(), []byte(`"odd"`)) {
		t.Errorf("schemas = %+v", s.Schemas)
	}
	a, err := c.Actions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Actions["user"]) != 2 || a.Actions["file"][0] != "file_downloaded" || len(a.Actions) != 2 || !bytes.Contains(a.Raw(), []byte(`"odd":5`)) {
		t.Errorf("actions = %+v", a.Actions)
	}
}

func TestPageKeepsWhatTheServerSent(t *testing.T) {
	body := `{"ok":true,"warning":"superfluous_charset","entries":[{"id":"a","x_new":1}],"response_metadata":{"next_cursor":""},"x_top":[1]}`
	rec := newRecorder(t, jsonBody(200, body))
	c := fastClient(t, rec.URL)
	pg, err := c.Logs(context.Background(), auditlogs.LogsParams{})
	if err != nil {
		t.Fatal(err)
	}
	if string(pg.Raw()) != body || pg.Warning != "superfluous_charset" || pg.NextCursor != "" {
		t.Errorf("page: raw %s, warning %q, cursor %q", pg.Raw(), pg.Warning, pg.NextCursor)
	}
	if len(pg.Entries) != 1 || string(pg.Entries[0].Raw()) != `{"id":"a","x_new":1}` {
		t.Errorf("entries: %+v", pg.Entries)
	}
}
