package auditlogs

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"30", 30 * time.Second, true},
		{" 2 ", 2 * time.Second, true},
		{"0", 0, true},
		{"-1", 0, false},
		{"", 0, false},
		{"soon", 0, false},
		{"1.5", 0, false},
		{"Sat, 21 Nov 2026 12:00:45 GMT", 45 * time.Second, true},
		{"Saturday, 21-Nov-26 12:01:00 GMT", time.Minute, true},
		{"Sat Nov 21 12:00:10 2026", 10 * time.Second, true},
		{"Sat, 21 Nov 2026 11:00:00 GMT", 0, true}, // in the past: no wait
		{"99999999999999999999", 0, false},
		{"9223372036854775807", time.Duration(9223372036) * time.Second, true},
	}
	for _, tt := range tests {
		got, ok := parseRetryAfter(tt.in, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"30", "Sat, 21 Nov 2026 12:00:45 GMT", "-5", "1e3", "", "18446744073709551616"} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := parseRetryAfter(s, now)
		if d < 0 || (!ok && d != 0) {
			t.Fatalf("parseRetryAfter(%q) = %v, %v", s, d, ok)
		}
	})
}

func TestNewAPIError(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name       string
		status     int
		header     http.Header
		body       string
		code       string
		retryAfter time.Duration
		is         []error
		isNot      []error
		msg        string
	}{
		{"401 json", 401, nil, `{"ok":false,"error":"invalid_authentication"}`, "invalid_authentication", 0,
			[]error{ErrUnauthorized}, []error{ErrForbidden, ErrRateLimited}, "auditlogs: 401 unauthorized: invalid_authentication"},
		{"401 empty body", 401, nil, ``, "", 0, []error{ErrUnauthorized}, []error{ErrServer}, "auditlogs: 401 unauthorized"},
		{"403 missing scope", 403, nil, `{"ok":false,"error":"missing_scope","needed":"auditlogs:read","provided":"admin"}`,
			"missing_scope", 0, []error{ErrForbidden}, []error{ErrUnauthorized},
			`auditlogs: 403 forbidden: missing_scope (needed "auditlogs:read", provided "admin")`},
		{"429 seconds", 429, http.Header{"Retry-After": {"7"}}, `{"ok":false,"error":"ratelimited"}`, "ratelimited",
			7 * time.Second, []error{ErrRateLimited}, []error{ErrServer}, "auditlogs: 429 too many requests: ratelimited (retry after 7s)"},
		{"503 html", 503, nil, `<html><body>Service Unavailable</body></html>`, "", 0, []error{ErrServer},
			[]error{ErrRateLimited}, "auditlogs: 503 service unavailable"},
		{"400 invalid cursor", 400, nil, `{"ok":false,"error":"invalid_cursor"}`, "invalid_cursor", 0,
			[]error{ErrInvalidCursor}, []error{ErrUnauthorized}, "auditlogs: 400 bad request: invalid_cursor"},
		{"error of another type", 400, nil, `{"ok":false,"error":42,"warning":"w"}`, "", 0, nil, []error{ErrInvalidCursor},
			"auditlogs: 400 bad request"},
		{"unknown status", 599, nil, `{"error":"x"}`, "x", 0, []error{ErrServer}, nil, "auditlogs: 599: x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.header
			if h == nil {
				h = http.Header{}
			}
			e := newAPIError(&http.Response{StatusCode: tt.status, Header: h}, []byte(tt.body), now)
			if e.StatusCode != tt.status || e.Code != tt.code || e.RetryAfter != tt.retryAfter {
				t.Errorf("got status %d code %q retry %v", e.StatusCode, e.Code, e.RetryAfter)
			}
			if e.Error() != tt.msg {
				t.Errorf("Error() = %q, want %q", e.Error(), tt.msg)
			}
			var err error = e
			for _, target := range tt.is {
				if !errors.Is(err, target) {
					t.Errorf("errors.Is(%v, %v) = false", err, target)
				}
			}
			for _, target := range tt.isNot {
				if errors.Is(err, target) {
					t.Errorf("errors.Is(%v, %v) = true", err, target)
				}
			}
			if string(e.Body) != tt.body {
				t.Errorf("Body = %q", e.Body)
			}
		})
	}
	big := strings.Repeat("x", 10000)
	if e := newAPIError(&http.Response{StatusCode: 500, Header: http.Header{}}, []byte(big), now); len(e.Body) != maxErrorBody {
		t.Errorf("kept %d bytes of a large body, want %d", len(e.Body), maxErrorBody)
	}
}

func FuzzNewAPIError(f *testing.F) {
	f.Add(401, []byte(`{"ok":false,"error":"invalid_auth"}`), "")
	f.Add(503, []byte(`<html>`), "Sat, 21 Nov 2026 12:00:45 GMT")
	f.Add(429, []byte(`{"error":["x"],"needed":1}`), "5")
	f.Fuzz(func(t *testing.T, status int, body []byte, retryAfter string) {
		e := newAPIError(&http.Response{StatusCode: status, Header: http.Header{"Retry-After": {retryAfter}}}, body, time.Now())
		if e.StatusCode != status || e.RetryAfter < 0 || len(e.Body) > maxErrorBody {
			t.Fatalf("bad error %+v", e)
		}
		if msg := e.Error(); !strings.HasPrefix(msg, "auditlogs: ") {
			t.Fatalf("message %q", msg)
		}
	})
}
