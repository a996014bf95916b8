package auditlogs

import (
	"bytes"
	stdgzip "compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slackaudit/auditlogs/auditlogstest"
	"github.com/slackaudit/auditlogs/internal/inflate"
	"github.com/slackaudit/auditlogs/internal/pagestore"
)

// gz compresses b with compress/gzip, as a server would.
func gz(tb testing.TB, b []byte) []byte {
	tb.Helper()
	var out bytes.Buffer
	zw := stdgzip.NewWriter(&out)
	if _, err := zw.Write(b); err != nil {
		tb.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return out.Bytes()
}

// answer is one scripted response: the status, the Content-Encoding (none
// if ""), the body, whether to send a Content-Length, and, if cut > 0, how
// many bytes of the body to send before cutting the connection (with the
// whole body's Content-Length).
type answer struct {
	status   int
	encoding string
	body     []byte
	chunked  bool
	cut      int
}

// scripted serves answers in turn (the last one again once they run out)
// and records each request's Accept-Encoding.
type scripted struct {
	mu       sync.Mutex
	answers  []answer
	n        int
	accepted []string
}

func (s *scripted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	a := s.answers[min(s.n, len(s.answers)-1)]
	s.n++
	s.accepted = append(s.accepted, r.Header.Get("Accept-Encoding"))
	s.mu.Unlock()
	h := w.Header()
	h.Set("Content-Type", "application/json")
	if a.encoding != "" {
		h.Set("Content-Encoding", a.encoding)
	}
	if !a.chunked {
		h.Set("Content-Length", strconv.Itoa(len(a.body)))
	}
	w.WriteHeader(a.status)
	if a.cut > 0 {
		_, _ = w.Write(a.body[:a.cut])
		_ = http.NewResponseController(w).Flush()
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			_ = conn.Close()
		}
		return
	}
	if a.chunked {
		// Two writes with a flush between: chunked transfer, no length.
		half := len(a.body) / 2
		_, _ = w.Write(a.body[:half])
		_ = http.NewResponseController(w).Flush()
		_, _ = w.Write(a.body[half:])
		return
	}
	_, _ = w.Write(a.body)
}

func (s *scripted) calls() int { s.mu.Lock(); defer s.mu.Unlock(); return s.n }

// testClient is a client of url that retries at once, with opts.
func testClient(t *testing.T, url string, opts ...Option) *Client {
	t.Helper()
	opts = append([]Option{WithBaseURL(url), WithRateLimit(0, 0), WithRetryWait(0, 0), WithRetryMax(2)}, opts...)
	c, err := New(auditlogstest.DefaultToken, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestGzipBodies: a 2xx body is read the same whatever its encoding, and
// one the client cannot decode fails clearly, with the right number of
// attempts and the right error.
func TestGzipBodies(t *testing.T) {
	body := auditlogstest.LogsBody(auditlogstest.Synthetic(300, 1), "")
	z := gz(t, body)
	corrupt := bytes.Clone(z)
	corrupt[len(corrupt)/2] ^= 0xff // flips bits in the deflate data
	badSum := bytes.Clone(z)
	badSum[len(badSum)-6] ^= 0xff // in the CRC-32 of the trailer
	bomb := gz(t, bytes.Repeat([]byte(" "), 4<<20))
	multi := append(gz(t, body[:len(body)/3]), gz(t, body[len(body)/3:])...)
	ok := answer{status: 200, encoding: "gzip", body: z}

	tests := []struct {
		name     string
		answers  []answer
		opts     []Option
		wantErr  error  // errors.Is; nil: success
		wantText string // in the error
		calls    int
	}{
		{"gzip", []answer{ok}, nil, nil, "", 1},
		{"gzip, chunked: no length", []answer{{status: 200, encoding: "gzip", body: z, chunked: true}}, nil, nil, "", 1},
		{"x-gzip in capitals", []answer{{status: 200, encoding: "X-GZIP", body: z}}, nil, nil, "", 1},
		{"two gzip members", []answer{{status: 200, encoding: "gzip", body: multi}}, nil, nil, "", 1},
		{"plain", []answer{{status: 200, body: body}}, nil, nil, "", 1},
		{"identity", []answer{{status: 200, encoding: "identity", body: body}}, nil, nil, "", 1},
		{"cut mid-stream, then whole", []answer{{status: 200, encoding: "gzip", body: z, cut: len(z) / 2}, ok}, nil, nil, "", 2},
		{"stream ends early, whole HTTP body", []answer{{status: 200, encoding: "gzip", body: z[:len(z)-100]}}, nil,
			nil, "unexpected EOF (after 3 attempts)", 3},
		{"only the gzip header", []answer{{status: 200, encoding: "gzip", body: z[:10]}}, nil, nil, "unexpected EOF", 3},
		{"empty body labelled gzip", []answer{{status: 200, encoding: "gzip", body: []byte{}}}, nil, nil, "unexpected EOF", 3},
		{"corrupt deflate data", []answer{{status: 200, encoding: "gzip", body: corrupt}}, nil, ErrMalformedResponse, "gzip", 3},
		{"bad checksum", []answer{{status: 200, encoding: "gzip", body: badSum}}, nil, ErrMalformedResponse, "checksum", 3},
		{"not gzip at all", []answer{{status: 200, encoding: "gzip", body: body}}, nil, ErrMalformedResponse, "header", 3},
		{"corrupt once, then whole", []answer{{status: 200, encoding: "gzip", body: corrupt}, ok}, nil, nil, "", 2},
		{"brotli", []answer{{status: 200, encoding: "br", body: body}}, nil, ErrContentEncoding, `"br"`, 1},
		{"two codings", []answer{{status: 200, encoding: "gzip, gzip", body: body}}, nil, ErrContentEncoding, "gzip, gzip", 1},
		{"gzip bomb over the limit", []answer{{status: 200, encoding: "gzip", body: bomb}}, []Option{WithMaxResponseBytes(1 << 20)},
			ErrResponseTooLarge, "", 1},
		{"inflated size at the limit", []answer{ok}, []Option{WithMaxResponseBytes(int64(len(body)))}, nil, "", 1},
		{"inflated size one over the limit", []answer{ok}, []Option{WithMaxResponseBytes(int64(len(body) - 1))}, ErrResponseTooLarge, "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := &scripted{answers: tt.answers}
			ts := httptest.NewServer(srv)
			defer ts.Close()
			c := testClient(t, ts.URL, tt.opts...)
			page, err := c.Logs(context.Background(), LogsParams{})
			if got := srv.calls(); got != tt.calls {
				t.Errorf("%d calls, want %d", got, tt.calls)
			}
			if tt.wantErr == nil && tt.wantText == "" {
				if err != nil {
					t.Fatal(err)
				}
				if len(page.Entries) != 300 || !bytes.Equal(page.Raw(), body) {
					t.Fatalf("%d entries; raw body of %d bytes, want %d", len(page.Entries), len(page.Raw()), len(body))
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("error %q, want %q", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error %q, want it to say %q", err, tt.wantText)
			}
			if strings.Contains(err.Error(), auditlogstest.DefaultToken) || strings.Contains(err.Error(), ts.URL) {
				t.Errorf("error %q names the token or the URL", err)
			}
		})
	}
}

// TestGzipRequest: the client asks for gzip on every endpoint, unless the
// caller asks for something else with WithHeader.
func TestGzipRequest(t *testing.T) {
	tests := []struct {
		name string
		opts []Option
		want string
	}{
		{"default", nil, "gzip"},
		{"caller asks for plain bodies", []Option{WithHeader("Accept-Encoding", "identity")}, "identity"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := &scripted{answers: []answer{{status: 200, body: []byte(`{"entries":[],"schemas":[],"actions":{}}`)}}}
			ts := httptest.NewServer(srv)
			defer ts.Close()
			c := testClient(t, ts.URL, tt.opts...)
			ctx := context.Background()
			if _, err := c.Logs(ctx, LogsParams{}); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Schemas(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Actions(ctx); err != nil {
				t.Fatal(err)
			}
			for i, got := range srv.accepted {
				if got != tt.want {
					t.Errorf("call %d: Accept-Encoding %q, want %q", i, got, tt.want)
				}
			}
		})
	}
}

// TestGzipErrorBody: an error answer in gzip is inflated, so that its
// Slack error code still counts.
func TestGzipErrorBody(t *testing.T) {
	tests := []struct {
		name     string
		encoding string
		body     []byte
		code     string
	}{
		{"gzip", "gzip", gz(t, []byte(`{"ok":false,"error":"missing_scope","needed":"auditlogs:read"}`)), "missing_scope"},
		{"plain", "", []byte(`{"ok":false,"error":"missing_scope"}`), "missing_scope"},
		{"corrupt gzip", "gzip", []byte("not gzip"), ""},
		{"brotli", "br", []byte{0x1b, 0x2c}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := httptest.NewServer(&scripted{answers: []answer{{status: 403, encoding: tt.encoding, body: tt.body}}})
			defer ts.Close()
			_, err := testClient(t, ts.URL).Logs(context.Background(), LogsParams{})
			var apiErr *APIError
			if !errors.As(err, &apiErr) || !errors.Is(err, ErrForbidden) {
				t.Fatalf("error %v, want a 403 *APIError", err)
			}
			if apiErr.Code != tt.code {
				t.Errorf("code %q, want %q", apiErr.Code, tt.code)
			}
		})
	}
}

// inflatingTransport is a caller's RoundTripper that asks for gzip and
// inflates by itself, as some middleware does: the client then gets a plain
// body without Content-Encoding.
type inflatingTransport struct{ sawGzip bool }

func (t *inflatingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil || resp.Header.Get("Content-Encoding") != "gzip" {
		return resp, err
	}
	t.sawGzip = true
	zr, err := stdgzip.NewReader(resp.Body)
	if err != nil {
		resp.Body.Close()
		return nil, err
	}
	b, err := io.ReadAll(zr)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Header.Del("Content-Encoding")
	resp.Header.Del("Content-Length")
	resp.ContentLength, resp.Uncompressed = -1, true
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp, nil
}

// TestGzipWithHTTPClient: against the fake, which compresses, every way of
// giving the client a transport reads every entry, once.
func TestGzipWithHTTPClient(t *testing.T) {
	const n = 1200
	srv := auditlogstest.NewServer(auditlogstest.WithSynthetic(n, 3))
	defer srv.Close()
	inflating := &inflatingTransport{}
	tests := []struct {
		name string
		opts []Option
	}{
		{"default client", nil},
		{"caller's http.Transport", []Option{WithHTTPClient(&http.Client{Transport: &http.Transport{}})}},
		{"caller's transport without compression", []Option{WithHTTPClient(&http.Client{Transport: &http.Transport{DisableCompression: true}})}},
		{"caller's transport inflates by itself", []Option{WithHTTPClient(&http.Client{Transport: inflating})}},
		{"plain bodies asked for", []Option{WithHeader("Accept-Encoding", "identity")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testClient(t, srv.URL, tt.opts...)
			before := srv.Stats()
			ids := map[string]bool{}
			for e, err := range c.AllLogs(context.Background(), LogsParams{Limit: 400}) {
				if err != nil {
					t.Fatal(err)
				}
				ids[e.ID] = true
			}
			if len(ids) != n {
				t.Fatalf("%d distinct entries, want %d", len(ids), n)
			}
			zipped := srv.Stats().Gzipped - before.Gzipped
			if want := int64(3); tt.name == "plain bodies asked for" {
				if zipped != 0 {
					t.Errorf("%d answers gzipped, want none", zipped)
				}
			} else if zipped != want {
				t.Errorf("%d answers gzipped, want %d", zipped, want)
			}
		})
	}
	if !inflating.sawGzip {
		t.Error("the inflating transport never saw gzip")
	}
}

// TestGzipUnderFaults: pages cut mid-stream by the fake are retried, and a
// pull ends with every entry once, on the raw path (the CLI's) and the
// decoding one.
func TestGzipUnderFaults(t *testing.T) {
	const n = 1500
	srv := auditlogstest.NewServer(auditlogstest.WithSynthetic(n, 4),
		auditlogstest.WithFaults(auditlogstest.Faults{Seed: 5, ResetMidBody: 0.3}))
	defer srv.Close()
	noKeepAlive := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	c := testClient(t, srv.URL, WithHTTPClient(noKeepAlive), WithRetryMax(20))
	ctx := context.Background()
	got := 0
	for page, err := range c.RawPages(ctx, LogsParams{Limit: 250}) {
		if err != nil {
			t.Fatal(err)
		}
		for _, raw := range page.Entries {
			if !json.Valid(raw) {
				t.Fatalf("entry %.80q is not valid JSON", raw)
			}
			got++
		}
	}
	ids := map[string]bool{}
	for e, err := range c.AllLogs(ctx, LogsParams{Limit: 250}) {
		if err != nil {
			t.Fatal(err)
		}
		ids[e.ID] = true
	}
	st := srv.Stats()
	if got != n || len(ids) != n {
		t.Fatalf("RawPages %d entries, AllLogs %d distinct, want %d", got, len(ids), n)
	}
	if st.Resets == 0 || st.Gzipped < 12 {
		t.Errorf("stats %+v: want cuts, and every answer gzipped", st)
	}
}

// TestInflateReusesStorage: pages inflated one after another into one store
// land in the same storage once it is large enough, and the inflater is
// recycled.
func TestInflateReusesStorage(t *testing.T) {
	body := auditlogstest.LogsBody(auditlogstest.Synthetic(2000, 1), "")
	z := gz(t, body)
	c := testClient(t, "http://127.0.0.1:1/")
	store := &pagestore.Store{}
	var first *byte
	for i := range 3 {
		resp := &http.Response{StatusCode: 200, Header: http.Header{"Content-Encoding": {"gzip"}},
			Body: io.NopCloser(bytes.NewReader(z)), ContentLength: int64(len(z))}
		b, err := c.readResponse(resp, store)
		if err != nil || !bytes.Equal(b, body) {
			t.Fatalf("page %d: %d bytes, %v", i, len(b), err)
		}
		if i == 0 {
			first = &b[0]
		} else if &b[0] != first {
			t.Errorf("page %d was read into new storage", i)
		}
	}
	var want inflate.Ratio
	want.Observe(int64(len(z)), int64(len(body)))
	if got, want := c.ratio.Hint(1000, 1<<30), want.Hint(1000, 1<<30); got != want {
		t.Errorf("after these pages, a body of 1000 bytes is expected to inflate to %d, want %d", got, want)
	}
	if len(c.inflaters) != 1 {
		t.Errorf("%d idle inflaters after three pages one after another, want the one, recycled", len(c.inflaters))
	}
}

// FuzzInflate feeds arbitrary bytes to the client as a gzip body: it must
// never panic, must inflate exactly what compress/gzip inflates, must refuse
// what compress/gzip refuses, and must hold the limit on the inflated size.
func FuzzInflate(f *testing.F) {
	f.Add(gz(f, []byte(`{"entries":[{"id":"a"}]}`)), int64(1<<20))
	f.Add(gz(f, bytes.Repeat([]byte("x"), 5000)), int64(100))
	f.Add(append(gz(f, []byte("ab")), gz(f, []byte("cd"))...), int64(1<<20))
	f.Add(gz(f, nil)[:12], int64(1<<20))
	f.Add([]byte("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff garbage"), int64(1<<20))
	f.Fuzz(func(t *testing.T, z []byte, limit int64) {
		if limit <= 0 || limit > 1<<22 {
			limit = 1 << 22
		}
		c := &Client{maxBody: limit, inflaters: inflate.NewPool(), ratio: new(inflate.Ratio)}
		resp := &http.Response{StatusCode: 200, Header: http.Header{"Content-Encoding": {"gzip"}},
			Body: io.NopCloser(bytes.NewReader(z)), ContentLength: int64(len(z))}
		got, err := c.readResponse(resp, &pagestore.Store{})

		var want []byte
		var wantErr error
		zr, wantErr := stdgzip.NewReader(bytes.NewReader(z))
		if wantErr == nil {
			want, wantErr = io.ReadAll(io.LimitReader(zr, limit+1))
		}
		var be *bodyError
		failed := errors.Is(err, ErrResponseTooLarge) || (errors.As(err, &be) && be.retryable)
		switch {
		case wantErr == nil && int64(len(want)) <= limit && int64(len(z)) <= limit:
			if err != nil && errors.Is(err, stdgzip.ErrHeader) && reservedFlags(z) {
				return // RFC 1952 forbids them: klauspost refuses them, compress/gzip does not
			}
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("inflated %d bytes (%v), compress/gzip %d", len(got), err, len(want))
			}
		case wantErr == nil && int64(len(want)) > limit:
			// Over the limit: ErrResponseTooLarge, or, if the stream also
			// turns corrupt right after the limit (compress/gzip stopped
			// reading before it), the error of that.
			if !failed {
				t.Fatalf("%d bytes inflated over a limit of %d: error %v", len(want), limit, err)
			}
		case int64(len(z)) > limit:
			// The compressed bytes alone are over the limit: refused, or
			// inflated whole if the stream ends before the limit does.
			if err != nil && !failed || err == nil && !bytes.Equal(got, want) {
				t.Fatalf("%d compressed bytes over a limit of %d: %d bytes, error %v", len(z), limit, len(got), err)
			}
		default:
			if !failed || errors.Is(err, ErrResponseTooLarge) {
				t.Fatalf("compress/gzip: %v; client: %v, want a retryable error", wantErr, err)
			}
		}
	})
}

// reservedFlags reports whether a member of the gzip stream z has reserved
// flag bits set.
func reservedFlags(z []byte) bool {
	br := bytes.NewReader(z) // a ByteReader: compress/gzip reads no further than a member
	for br.Len() > 3 {
		if pos := len(z) - br.Len(); z[pos+3]>>5 != 0 {
			return true
		}
		zr, err := stdgzip.NewReader(br)
		if err != nil {
			return false
		}
		zr.Multistream(false)
		if _, err := io.Copy(io.Discard, zr); err != nil {
			return false
		}
	}
	return false
}

// BenchmarkInflatePage inflates one page of 1,000 or 9,999 entries,
// compressed as the fake does, with compress/gzip (what Go's transport
// uses) and with the client's path (klauspost/compress into a reused
// store), to compare the two inflaters:
//
//	go test -run '^$' -bench InflatePage -count 6 -cpu 1 .
func BenchmarkInflatePage(b *testing.B) {
	for _, n := range []int{1000, 9999} {
		body := pageBody(b, n)
		z := gz(b, body)
		b.Run(fmt.Sprintf("entries=%d/impl=compress-gzip", n), func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			zr, err := stdgzip.NewReader(bytes.NewReader(z))
			if err != nil {
				b.Fatal(err)
			}
			buf := bytes.NewBuffer(make([]byte, 0, len(body)+1))
			for b.Loop() {
				buf.Reset()
				if err := zr.Reset(bytes.NewReader(z)); err != nil {
					b.Fatal(err)
				}
				if _, err := buf.ReadFrom(zr); err != nil || buf.Len() != len(body) {
					b.Fatalf("%d bytes, %v", buf.Len(), err)
				}
			}
		})
		b.Run(fmt.Sprintf("entries=%d/impl=client", n), func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			c := &Client{maxBody: DefaultMaxResponseBytes, inflaters: inflate.NewPool(), ratio: new(inflate.Ratio)}
			store := &pagestore.Store{}
			for b.Loop() {
				resp := &http.Response{StatusCode: 200, Header: http.Header{"Content-Encoding": {"gzip"}},
					Body: io.NopCloser(bytes.NewReader(z)), ContentLength: int64(len(z))}
				if got, err := c.readResponse(resp, store); err != nil || len(got) != len(body) {
					b.Fatalf("%d bytes, %v", len(got), err)
				}
			}
		})
	}
}
