package main

import (
	"errors"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/slackaudit/auditlogs/auditlogstest"
)

// server is the fake Audit Logs API on loopback, in the runner's own
// process, wrapped to count the bytes of the /logs bodies it sends.
type server struct {
	fake *auditlogstest.Server
	http *http.Server
	// URL is the API's base URL, ending in /audit/v1/.
	URL string

	logsBytes atomic.Int64 // bytes of /logs response bodies
	maxPage   atomic.Int64 // the largest /logs body
	inFlight  atomic.Int64 // requests whose handler has not returned
}

// serverStats is a snapshot of the counters.
type serverStats struct {
	auditlogstest.Stats
	LogsBytes int64
	MaxPage   int64
}

func newServer(opts ...auditlogstest.Option) (*server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &server{fake: auditlogstest.NewHandler(opts...)}
	h := s.fake.Handler()
	s.http = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.inFlight.Add(1)
		defer s.inFlight.Add(-1)
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
	})}
	go func() {
		if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			panic(err)
		}
	}()
	s.URL = "http://" + ln.Addr().String() + auditlogstest.BasePath
	return s, nil
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
	_ = s.http.Close()
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
