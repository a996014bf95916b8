package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/slackaudit/auditlogs/auditlogstest"
)

// The two modes of the wire. In gzip mode the fake compresses every /logs
// body for a client that accepts gzip, as Slack does (all contenders do:
// ours asks for it itself, Go's transport asks for slack-go and the floors).
// In plain mode the fake never compresses: the runner's listener removes
// the request's Accept-Encoding before the fake sees it, so a client asking
// for gzip gets plain JSON, as from a server that does not compress.
const (
	modePlain = "plain"
	modeGzip  = "gzip"
)

// gzipCacheBytes bounds the fake's cache of compressed pages
// (auditlogstest.WithGzipCache): every page of the corpora measured fits.
const gzipCacheBytes = 1 << 30

// server is the fake Audit Logs API on loopback, in the runner's own
// process, on two listeners (one per mode) sharing one corpus, wrapped to
// count the bytes of the /logs bodies it sends.
type server struct {
	fake  *auditlogstest.Server
	https []*http.Server
	// URL and GzipURL are the API's base URLs, ending in /audit/v1/, of
	// the plain and gzip modes.
	URL, GzipURL string

	logsBytes atomic.Int64 // bytes of /logs response bodies, as sent (compressed in gzip mode)
	maxPage   atomic.Int64 // the largest /logs body, as sent
	inFlight  atomic.Int64 // requests whose handler has not returned
}

// serverStats is a snapshot of the counters.
type serverStats struct {
	auditlogstest.Stats
	LogsBytes int64
	MaxPage   int64
}

// newServer starts the fake with opts; its gzip answers come from a cache
// of compressed pages once compressed (see warm), so that compressing is
// not what the runs measure.
func newServer(opts ...auditlogstest.Option) (*server, error) {
	s := &server{fake: auditlogstest.NewHandler(append(opts, auditlogstest.WithGzipCache(gzipCacheBytes))...)}
	for _, mode := range []string{modePlain, modeGzip} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			s.close()
			return nil, err
		}
		hs := &http.Server{Handler: s.counting(mode == modePlain)}
		s.https = append(s.https, hs)
		go func() {
			if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				panic(err)
			}
		}()
		u := "http://" + ln.Addr().String() + auditlogstest.BasePath
		if mode == modePlain {
			s.URL = u
		} else {
			s.GzipURL = u
		}
	}
	return s, nil
}

// url is the base URL of a mode.
func (s *server) url(mode string) string {
	if mode == modeGzip {
		return s.GzipURL
	}
	return s.URL
}

// counting wraps the fake's handler: it counts the /logs bodies, and in
// plain mode it hides the request's Accept-Encoding from the fake.
func (s *server) counting(plain bool) http.Handler {
	h := s.fake.Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.inFlight.Add(1)
		defer s.inFlight.Add(-1)
		if plain {
			r.Header.Del("Accept-Encoding")
		}
		if !strings.HasSuffix(r.URL.Path, "/logs") {
			h.ServeHTTP(w, r)
			return
		}
		cw := &countingWriter{ResponseWriter: w}
		h.ServeHTTP(cw, r)
		s.logsBytes.Add(cw.n)
		for {
			cur := s.maxPage.Load()
			if cw.n <= cur || s.maxPage.CompareAndSwap(cur, cw.n) {
				break
			}
		}
	})
}

// warm pages once through the corpus at a page size in gzip mode, so that
// the fake compresses and caches every page before anything is measured,
// and returns the largest page's JSON (inflated) size.
func (s *server) warm(ctx context.Context, limit int) (int64, error) {
	hc := &http.Client{} // Go's transport: asks for gzip, inflates
	var buf bytes.Buffer
	var largest int64
	cursor := ""
	for {
		err := get(ctx, hc, s.GzipURL, limit, cursor, func(r *http.Response) error {
			if !r.Uncompressed {
				return errors.New("warming the cache: the fake did not compress a page")
			}
			buf.Reset()
			_, err := buf.ReadFrom(r.Body)
			return err
		})
		if err != nil {
			return 0, err
		}
		largest = max(largest, int64(buf.Len()))
		if cursor = nextCursor(buf.Bytes()); cursor == "" {
			return largest, nil
		}
	}
}

// stats returns the counters once no request is being handled: a client
// may have read the last byte of a body before the handler has returned and
// counted it.
func (s *server) stats() serverStats {
	for deadline := time.Now().Add(5 * time.Second); s.inFlight.Load() != 0 && time.Now().Before(deadline); {
		time.Sleep(100 * time.Microsecond)
	}
	return serverStats{Stats: s.fake.Stats(), LogsBytes: s.logsBytes.Load(), MaxPage: s.maxPage.Load()}
}

// resetMaxPage starts a new count of the largest page (at a new page size).
func (s *server) resetMaxPage() { s.maxPage.Store(0) }

func (s *server) close() {
	for _, hs := range s.https {
		_ = hs.Close()
	}
	s.fake.Close()
}

// countingWriter counts the body bytes of a 200 answer.
type countingWriter struct {
	http.ResponseWriter
	status int
	n      int64
}

func (w *countingWriter) WriteHeader(status int) {
	w.status = status
	w.ResponseWriter.WriteHeader(status)
}

func (w *countingWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	if w.status == http.StatusOK {
		w.n += int64(n)
	}
	return n, err
}

// Unwrap lets http.ResponseController reach the connection.
func (w *countingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
