package auditlogstest

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestGzipCacheHits: with WithGzipCache, a page asked for again is served
// from the cache (the same bytes, counted again), pages at other positions
// or with other filters get entries of their own, and the cache stops
// adding at its size.
func TestGzipCacheHits(t *testing.T) {
	tests := []struct {
		name      string
		maxBytes  int64
		wantPages int
	}{
		{"room for all", 1 << 20, 3},
		{"room for none", 100, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewHandler(WithSynthetic(300, 1), WithGzipCache(tt.maxBytes))
			h := s.Handler()
			serve := func(query string) []byte {
				req := httptest.NewRequest(http.MethodGet, logsPath+"?"+query, nil)
				req.Header.Set("Authorization", "Bearer "+DefaultToken)
				req.Header.Set("Accept-Encoding", "gzip")
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != 200 || w.Header().Get("Content-Encoding") != "gzip" {
					t.Fatalf("%s: %d %q", query, w.Code, w.Header().Get("Content-Encoding"))
				}
				return w.Body.Bytes()
			}
			first := serve("limit=100")
			again := serve("limit=100")
			serve("limit=100&action=user_login")
			serve("limit=50")
			if !bytes.Equal(first, again) {
				t.Error("the page asked for again differs")
			}
			if len(s.gz.cache) != tt.wantPages || s.gz.size > tt.maxBytes {
				t.Errorf("%d pages in the cache (%d bytes), want %d", len(s.gz.cache), s.gz.size, tt.wantPages)
			}
			if st := s.Stats(); st.EntriesServed < 250 || st.Gzipped != 4 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}
