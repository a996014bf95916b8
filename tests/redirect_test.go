package tests

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/slackaudit/auditlogs"
)

// sentLog is a RoundTripper that records where every request went and
// whether it carried a credential.
type sentLog struct {
	rt   http.RoundTripper
	mu   sync.Mutex
	sent []string // "scheme://host/path auth" of each request
	// idleCloses counts CloseIdleConnections calls.
	idleCloses atomic.Int32
	// edit, if set, changes each request's headers as a hook might.
	edit func(http.Header)
}

func (s *sentLog) RoundTrip(req *http.Request) (*http.Response, error) {
	auth := "no-auth"
	if req.Header.Get("Authorization") != "" {
		auth = "auth"
	}
	s.mu.Lock()
	s.sent = append(s.sent, req.URL.Scheme+"://"+req.URL.Host+req.URL.Path+" "+auth)
	s.mu.Unlock()
	if s.edit != nil {
		s.edit(req.Header)
	}
	return s.rt.RoundTrip(req)
}

func (s *sentLog) CloseIdleConnections() { s.idleCloses.Add(1) }

func (s *sentLog) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.sent...)
}

// TestRedirectKeepsToken: the token goes only to the base URL's scheme,
// host and port, redirects included (issue 16, row 12). A redirect anywhere
// else fails the call with ErrRedirectRefused, naming the target without its
// query, and is not followed nor retried; one within the origin is followed.
func TestRedirectKeepsToken(t *testing.T) {
	other := newRecorder(t, page("", "x")) // plain http, another port
	var target atomic.Value
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/moved/logs" {
			page("", "a")(w, r)
			return
		}
		http.Redirect(w, r, target.Load().(string), http.StatusFound)
	}))
	t.Cleanup(srv.Close)
	tlsURL, _ := url.Parse(srv.URL)
	otherURL, _ := url.Parse(other.URL)
	tests := []struct {
		name   string
		target string // where the server redirects
		follow bool
	}{
		{"https to http, same host and port", "http://" + tlsURL.Host + "/v1/logs?cursor=abc&token=x", false},
		{"another port", "http://" + otherURL.Host + "/logs?cursor=abc", false},
		{"https, another port", "https://" + otherURL.Host + "/logs?cursor=abc", false},
		{"another host name", "https://localhost:" + tlsURL.Port() + "/v1/logs?cursor=abc", false},
		{"same origin, another path", srv.URL + "/v1/moved/logs?cursor=abc", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target.Store(tt.target)
			log := &sentLog{rt: srv.Client().Transport}
			theirs := &http.Client{Transport: log}
			c := fastClient(t, srv.URL+"/v1/", auditlogs.WithHTTPClient(theirs))
			before := other.count()
			page, err := c.Logs(context.Background(), auditlogs.LogsParams{})
			sent := log.requests()
			if tt.follow {
				if err != nil || len(page.Entries) != 1 {
					t.Fatalf("a redirect within the origin: page %v, err %v", page, err)
				}
				return
			}
			if !errors.Is(err, auditlogs.ErrRedirectRefused) {
				t.Fatalf("err = %v, want ErrRedirectRefused", err)
			}
			for _, s := range sent {
				if !strings.HasPrefix(s, srv.URL+"/") {
					t.Errorf("a request went to %s", s)
				}
			}
			if len(sent) != 1 || other.count() != before {
				t.Errorf("requests %q (and %d to the other server): want the first one only, not retried", sent, other.count()-before)
			}
			u, _ := url.Parse(tt.target)
			msg := err.Error()
			if !strings.Contains(msg, u.Scheme+"://"+u.Host+u.Path) || strings.Contains(msg, "cursor") || strings.Contains(msg, testToken) {
				t.Errorf("error %q: want the target %s without its query, and no token", msg, u.Scheme+"://"+u.Host+u.Path)
			}
		})
	}
}

// TestRedirectDefaultClient: with the client's own HTTP client too, a
// redirect to another port of the same host is refused before anything is
// sent there.
func TestRedirectDefaultClient(t *testing.T) {
	other := newRecorder(t, page("", "x"))
	rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/logs", http.StatusTemporaryRedirect)
	})
	c := fastClient(t, rec.URL)
	if _, err := c.Logs(context.Background(), auditlogs.LogsParams{}); !errors.Is(err, auditlogs.ErrRedirectRefused) {
		t.Fatalf("err = %v, want ErrRedirectRefused", err)
	}
	if other.count() != 0 || rec.count() != 1 {
		t.Errorf("%d requests to the redirect's target, %d to the base URL: want 0 and 1", other.count(), rec.count())
	}
}

// TestCallerHTTPClientUntouched: New does not modify the *http.Client given
// to WithHTTPClient, and the client never closes its idle connections
// (go-retryablehttp does so on the client it holds after every failed
// call); its own CheckRedirect still runs, after the origin check.
func TestCallerHTTPClientUntouched(t *testing.T) {
	rec := newRecorder(t, jsonBody(503, `{"ok":false,"error":"service_unavailable"}`))
	log := &sentLog{rt: http.DefaultTransport}
	theirs := &http.Client{Transport: log}
	c := fastClient(t, rec.URL, auditlogs.WithHTTPClient(theirs))
	for range 3 {
		if _, err := c.Logs(context.Background(), auditlogs.LogsParams{}); err == nil {
			t.Fatal("no error from a 503")
		}
	}
	if theirs.CheckRedirect != nil || theirs.Transport != log {
		t.Error("New modified the caller's http.Client")
	}
	if n := log.idleCloses.Load(); n != 0 {
		t.Errorf("the caller's transport had its idle connections closed %d times", n)
	}

	var theirCheck atomic.Int32
	redirecting := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/elsewhere", http.StatusFound)
	}, page("", "a"))
	theirs = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
		theirCheck.Add(1)
		return nil
	}}
	c = fastClient(t, redirecting.URL, auditlogs.WithHTTPClient(theirs))
	if _, err := c.Logs(context.Background(), auditlogs.LogsParams{}); err != nil || theirCheck.Load() != 1 {
		t.Errorf("err %v, the caller's CheckRedirect ran %d times: want nil and 1", err, theirCheck.Load())
	}
}

// TestHeadersNotShared: a header set with WithHeader is the request's own
// copy: a transport that edits it does not change the next request's.
func TestHeadersNotShared(t *testing.T) {
	rec := newRecorder(t, page("", "a"))
	log := &sentLog{rt: http.DefaultTransport, edit: func(h http.Header) {
		if v := h["X-Trace"]; len(v) > 0 {
			v[0] = "edited"
		}
	}}
	c := fastClient(t, rec.URL, auditlogs.WithHTTPClient(&http.Client{Transport: log}), auditlogs.WithHeader("X-Trace", "t1"))
	for range 2 {
		if _, err := c.Logs(context.Background(), auditlogs.LogsParams{}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 2 {
		if got := rec.request(i).Header.Get("X-Trace"); got != "edited" {
			t.Errorf("request %d: X-Trace %q, want the transport's edit of its own copy", i, got)
		}
	}
	log.edit = nil
	if _, err := c.Logs(context.Background(), auditlogs.LogsParams{}); err != nil {
		t.Fatal(err)
	}
	if got := rec.request(2).Header.Get("X-Trace"); got != "t1" {
		t.Errorf("X-Trace %q after earlier requests' edits, want t1", got)
	}
}

// TestTransportErrorType: a call that cannot reach the API is a
// *TransportError, which an answer of the API's is not.
func TestTransportErrorType(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL
	srv.Close()
	var te *auditlogs.TransportError
	_, err := fastClient(t, base, auditlogs.WithRetryMax(1)).Logs(context.Background(), auditlogs.LogsParams{})
	if !errors.As(err, &te) || te.Op != "get logs" {
		t.Errorf("connection refused: %v (%T), want a *TransportError of get logs", err, err)
	}
	rec := newRecorder(t, truncated)
	_, err = fastClient(t, rec.URL, auditlogs.WithRetryMax(1)).Logs(context.Background(), auditlogs.LogsParams{})
	if !errors.As(err, &te) || !strings.HasPrefix(err.Error(), "auditlogs: get logs: reading response") {
		t.Errorf("body cut short: %v (%T), want a *TransportError", err, err)
	}
	rec = newRecorder(t, jsonBody(500, `<html>`))
	_, err = fastClient(t, rec.URL, auditlogs.WithRetryMax(0)).Logs(context.Background(), auditlogs.LogsParams{})
	if err == nil || errors.As(err, &te) {
		t.Errorf("a 500: %v, want an error that is no *TransportError", err)
	}
}
