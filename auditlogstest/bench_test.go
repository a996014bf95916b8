package auditlogstest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"

	"github.com/slackaudit/auditlogs/auditlogstest"
)

var (
	bigOnce sync.Once
	big     *auditlogstest.Server
)

// bigServer is a handler (no listener) holding 200,000 synthetic entries,
// built once for all benchmarks.
func bigServer() *auditlogstest.Server {
	bigOnce.Do(func() { big = auditlogstest.NewHandler(auditlogstest.WithSynthetic(200_000, 1)) })
	return big
}

// discard is a ResponseWriter that throws the body away.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}

// BenchmarkHandlerPage9999 measures building one page of 9999 entries, in
// process.
func BenchmarkHandlerPage9999(b *testing.B) {
	h := bigServer().Handler()
	req := httptest.NewRequest(http.MethodGet, "/audit/v1/logs?limit=9999&oldest=1766000000", nil)
	req.Header.Set("Authorization", "Bearer "+auditlogstest.DefaultToken)
	w := &discard{h: http.Header{}}
	h.ServeHTTP(w, req)
	n, _ := strconv.Atoi(w.h.Get("Content-Length"))
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, req)
	}
}

// BenchmarkPull200k pages through all 200,000 entries at limit 9999 over a
// loopback connection, as the project's benchmarks do.
func BenchmarkPull200k(b *testing.B) {
	fake := bigServer()
	ts := httptest.NewServer(fake.Handler())
	defer ts.Close()
	client := ts.Client()
	var total int64
	for b.Loop() {
		total = 0
		cursor := ""
		for {
			q := url.Values{"limit": {"9999"}}
			if cursor != "" {
				q.Set("cursor", cursor)
			}
			req, _ := http.NewRequest(http.MethodGet, ts.URL+"/audit/v1/logs?"+q.Encode(), nil)
			req.Header.Set("Authorization", "Bearer "+auditlogstest.DefaultToken)
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != 200 {
				b.Fatal(resp.StatusCode, err)
			}
			total += int64(len(body))
			var meta struct {
				ResponseMetadata struct {
					NextCursor string `json:"next_cursor"`
				} `json:"response_metadata"`
			}
			// Only the tail holds the cursor: decode that, not the entries.
			tail := body[max(0, len(body)-200):]
			if i := indexOf(tail, `"response_metadata"`); i >= 0 {
				_ = json.Unmarshal(append([]byte("{"), tail[i:]...), &meta)
			}
			if cursor = meta.ResponseMetadata.NextCursor; cursor == "" {
				break
			}
		}
	}
	b.SetBytes(total)
}

func indexOf(b []byte, s string) int {
	for i := 0; i+len(s) <= len(b); i++ {
		if string(b[i:i+len(s)]) == s {
			return i
		}
	}
	return -1
}

// BenchmarkSynthetic measures generating the corpus.
func BenchmarkSynthetic10k(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		auditlogstest.Synthetic(10_000, 1)
	}
}
