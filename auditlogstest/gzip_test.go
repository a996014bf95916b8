package auditlogstest_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/slackaudit/auditlogs/auditlogstest"
)

// rawGet sends a GET with the token and the given Accept-Encoding (none if
// ""), through a transport that inflates nothing, and returns the answer
// with its body as sent.
func rawGet(t *testing.T, u, acceptEncoding string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+auditlogstest.DefaultToken)
	if acceptEncoding != "" {
		req.Header.Set("Accept-Encoding", acceptEncoding)
	}
	resp, err := plainClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	body, err := readAll(resp)
	if err != nil {
		t.Fatalf("GET %s: reading the body: %v", u, err)
	}
	return resp, body
}

// inflate returns the gzip stream z inflated, or fails the test.
func inflate(t *testing.T, z []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(z))
	if err != nil {
		t.Fatalf("not gzip: %v", err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("inflating: %v", err)
	}
	return b
}

// TestGzipAnswers: the fake compresses exactly the answers whose request
// accepts gzip, on every path and for errors too, unless WithGzip(false);
// an answer inflates to the plain answer, byte for byte.
func TestGzipAnswers(t *testing.T) {
	paths := []string{"logs?limit=20", "schemas", "actions", "logs?limit=0", "nope"}
	tests := []struct {
		name   string
		opts   []auditlogstest.Option
		accept string
		want   bool
	}{
		{"gzip", nil, "gzip", true},
		{"x-gzip", nil, "x-gzip", true},
		{"any", nil, "*", true},
		{"gzip among others", nil, "br;q=1.0, gzip;q=0.5", true},
		{"gzip with q=0", nil, "gzip;q=0", false},
		{"identity", nil, "identity", false},
		{"nothing", nil, "", false},
		{"off", []auditlogstest.Option{auditlogstest.WithGzip(false)}, "gzip", false},
		{"best speed", []auditlogstest.Option{auditlogstest.WithGzipLevel(gzip.BestSpeed)}, "gzip", true},
		{"stored blocks", []auditlogstest.Option{auditlogstest.WithGzipLevel(gzip.NoCompression)}, "gzip", true},
		{"cached", []auditlogstest.Option{auditlogstest.WithGzipCache(1 << 20)}, "gzip", true},
		{"cache too small to hold a page", []auditlogstest.Option{auditlogstest.WithGzipCache(10)}, "gzip", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := auditlogstest.NewServer(append([]auditlogstest.Option{auditlogstest.WithSynthetic(100, 1)}, tt.opts...)...)
			defer srv.Close()
			for _, path := range paths {
				_, plain := rawGet(t, srv.URL+path, "")
				for range 2 { // twice: the second may come from the cache
					resp, body := rawGet(t, srv.URL+path, tt.accept)
					zipped := resp.Header.Get("Content-Encoding") == "gzip"
					if zipped != tt.want {
						t.Fatalf("%s: Content-Encoding %q, want gzip: %v", path, resp.Header.Get("Content-Encoding"), tt.want)
					}
					if zipped {
						body = inflate(t, body)
					}
					if !bytes.Equal(body, plain) {
						t.Fatalf("%s: the answer differs from the plain one:\n%.200s\n%.200s", path, body, plain)
					}
					if !slices.Contains(resp.Header.Values("Vary"), "Accept-Encoding") && !strings.Contains(tt.name, "off") {
						t.Errorf("%s: no Vary: Accept-Encoding", path)
					}
				}
			}
			st := srv.Stats()
			wantZipped := int64(0)
			if tt.want {
				wantZipped = int64(2 * len(paths))
			}
			if st.Gzipped != wantZipped || st.EntriesServed != 3*20 {
				t.Errorf("stats %+v: want %d gzipped and %d entries served", st, wantZipped, 3*20) // logs?limit=20 three times
			}
		})
	}
}

// TestGzipLevels: the level changes the stream, and stored blocks are
// larger than the best compression.
func TestGzipLevels(t *testing.T) {
	size := map[int]int{}
	for _, level := range []int{gzip.NoCompression, gzip.BestSpeed, gzip.DefaultCompression, gzip.BestCompression} {
		srv := auditlogstest.NewServer(auditlogstest.WithSynthetic(500, 1), auditlogstest.WithGzipLevel(level))
		_, body := rawGet(t, srv.URL+"logs?limit=500", "gzip")
		srv.Close()
		size[level] = len(body)
		if plain := len(inflate(t, body)); level == gzip.NoCompression && size[level] <= plain {
			t.Errorf("stored blocks: %d bytes for %d of JSON", size[level], plain)
		}
	}
	if !(size[gzip.BestCompression] <= size[gzip.DefaultCompression] && size[gzip.DefaultCompression] < size[gzip.BestSpeed] &&
		size[gzip.BestSpeed] < size[gzip.NoCompression]) {
		t.Errorf("sizes by level: %v", size)
	}
	defer func() {
		if recover() == nil {
			t.Error("WithGzipLevel(10) did not panic")
		}
	}()
	auditlogstest.NewHandler(auditlogstest.WithGzipLevel(10))
}

// TestGzipCutMidBody: a compressed page cut short sends part of its gzip,
// with the whole stream's Content-Length; what it holds inflates to the
// start of the page.
func TestGzipCutMidBody(t *testing.T) {
	srv := auditlogstest.NewServer(auditlogstest.WithSynthetic(200, 1),
		auditlogstest.WithFaults(auditlogstest.Faults{ResetMidBody: 1}))
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"logs?limit=200", nil)
	req.Header.Set("Authorization", "Bearer "+auditlogstest.DefaultToken)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := freshClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Content-Encoding") != "gzip" || resp.ContentLength < 1000 {
		t.Fatalf("Content-Encoding %q, Content-Length %d", resp.Header.Get("Content-Encoding"), resp.ContentLength)
	}
	z, err := io.ReadAll(resp.Body)
	if !errors.Is(err, io.ErrUnexpectedEOF) || int64(len(z)) >= resp.ContentLength {
		t.Fatalf("read %d of %d bytes: %v, want a body cut short", len(z), resp.ContentLength, err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(z))
	if err != nil {
		t.Fatal(err)
	}
	start, err := io.ReadAll(zr)
	if !errors.Is(err, io.ErrUnexpectedEOF) || !strings.HasPrefix(string(start), `{"entries":[{"id":`) {
		t.Fatalf("inflated %d bytes (%v): %.60s", len(start), err, start)
	}
	if st := srv.Stats(); st.Resets != 1 || st.EntriesServed != 0 || st.Gzipped != 1 {
		t.Errorf("stats %+v", st)
	}
}
