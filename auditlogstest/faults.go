package auditlogstest

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Faults injects failures, to test how a client copes with them. Each rate is
// a probability in [0, 1] per request, drawn from a generator seeded by Seed,
// so a run that sends the same requests in the same order meets the same
// faults. They apply to /logs, /schemas and /actions alike, except
// RefuseCursor (which only /logs can meet). The zero Faults injects nothing.
//
// When several faults are drawn for one request, Slow delays it first, and
// then the first of ResetBeforeResponse, ServerError, RateLimited,
// RefuseCursor and ResetMidBody decides the answer.
//
// Note that Go's http.Transport silently retries a GET whose reused
// keep-alive connection is closed before any response byte arrives, so a
// client may never see a ResetBeforeResponse (the server still counts both
// requests); a fresh connection, or a Transport with DisableKeepAlives, sees
// the error.
type Faults struct {
	// Seed seeds the fault generator; 0 means 1.
	Seed int64

	// RateLimited is the rate of 429 {"ok":false,"error":"ratelimited"}
	// answers with a Retry-After header of RetryAfter.
	RateLimited float64
	// RetryAfter is the wait the injected 429 answers ask for (default 1s),
	// sent in whole seconds rounded up (or as an HTTP date with
	// WithRetryAfterDate). A negative value sends "Retry-After: 0".
	RetryAfter time.Duration

	// ServerError is the rate of 5xx answers, alternately 503 and 500, with
	// an HTML body such as "<html><body><h1>503 Service
	// Unavailable</h1></body></html>".
	ServerError float64

	// ResetBeforeResponse is the rate of requests whose connection is closed
	// without any answer (the client sees a transport error such as EOF).
	ResetBeforeResponse float64

	// ResetMidBody is the rate of requests answered with status 200 and the
	// full Content-Length header but only part of the body (for /logs, cut
	// inside the entries array), after which the connection is closed (the
	// client's read of the body fails with io.ErrUnexpectedEOF).
	ResetMidBody float64

	// Slow is the rate of responses delayed by SlowDelay before anything is
	// written (on top of WithLatency).
	Slow float64
	// SlowDelay is the delay of a Slow response (default 200ms).
	SlowDelay time.Duration

	// RefuseCursor is the rate of /logs requests carrying a cursor that get
	// 400 {"ok":false,"error":"invalid_cursor"}, as when Slack refuses a
	// stored cursor.
	RefuseCursor float64

	// EmptyBody401 makes authentication failures on /logs answer 401 with an
	// empty body (Slack has been seen to do this) instead of a JSON one. It
	// is a mode, not a rate: FirstN does not limit it.
	EmptyBody401 bool

	// FirstN, if positive, limits the faults to the first FirstN requests
	// for /logs, /schemas or /actions (counted from NewServer, or from the
	// last SetFaults); the server behaves after that, so a test can assert
	// that a client recovers after N faults. Zero means no limit.
	FirstN int
}

// decision is what the fault generator drew for one request.
type decision struct {
	slow                                                              time.Duration
	resetBefore, serverError, rateLimited, refuseCursor, resetMidBody bool
	retryAfter                                                        time.Duration
	emptyBody401                                                      bool
}

// decisionKey is the context key under which a request's decision reaches
// the API handlers.
type decisionKey struct{}

// draw decides the faults of one request. Every request draws the same
// number of values, so the sequence of faults does not depend on which
// faults earlier requests met.
func (s *Server) draw() decision {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	f := &s.faults
	d := decision{emptyBody401: f.EmptyBody401, retryAfter: f.RetryAfter}
	if d.retryAfter == 0 {
		d.retryAfter = time.Second
	}
	s.faultCount++
	if f.FirstN > 0 && s.faultCount > f.FirstN {
		return d
	}
	r := s.faultRNG
	if r.Chance(f.Slow) {
		d.slow = f.SlowDelay
		if d.slow <= 0 {
			d.slow = 200 * time.Millisecond
		}
	}
	d.resetBefore = r.Chance(f.ResetBeforeResponse)
	d.serverError = r.Chance(f.ServerError)
	d.rateLimited = r.Chance(f.RateLimited)
	d.refuseCursor = r.Chance(f.RefuseCursor)
	d.resetMidBody = r.Chance(f.ResetMidBody)
	return d
}

// bucket is a token bucket: rate tokens a second, at most burst of them.
type bucket struct {
	mu     sync.Mutex
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
}

func newBucket(calls, burst int, per time.Duration) *bucket {
	if per <= 0 {
		per = time.Minute
	}
	burst = max(burst, 1)
	return &bucket{rate: float64(calls) / per.Seconds(), burst: float64(burst), tokens: float64(burst), last: time.Now()}
}

// take spends a token if there is one; otherwise it says how long until
// there will be.
func (b *bucket) take(now time.Time) (ok bool, wait time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if now.After(b.last) {
		b.tokens = math.Min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / b.rate * float64(time.Second))
}

// writeRateLimited answers 429 ratelimited, asking the client to wait d.
func (s *Server) writeRateLimited(w http.ResponseWriter, d time.Duration) {
	s.stats.rateLimited.Add(1)
	w.Header().Set("Retry-After", s.retryAfter(d, time.Now()))
	writeError(w, http.StatusTooManyRequests, "ratelimited")
}

// retryAfter formats a Retry-After value for a wait of d from now: whole
// seconds rounded up (at least 1, and 0 only for a negative d), or an HTTP
// date rounded up to the second.
func (s *Server) retryAfter(d time.Duration, now time.Time) string {
	if d < 0 {
		if s.cfg.retryAfterDate {
			return now.UTC().Format(http.TimeFormat)
		}
		return "0"
	}
	secs := max(int64((d+time.Second-1)/time.Second), 1)
	if s.cfg.retryAfterDate {
		t := now.Add(d)
		if t2 := t.Truncate(time.Second); t2.Before(t) {
			t = t2.Add(time.Second)
		}
		return t.UTC().Format(http.TimeFormat)
	}
	return strconv.FormatInt(secs, 10)
}

// writeServerError answers 503 or 500, alternately, with an HTML body.
func (s *Server) writeServerError(w http.ResponseWriter) {
	s.stats.serverErrors.Add(1)
	status := http.StatusServiceUnavailable
	if s.fault5xx.Add(1)%2 == 0 {
		status = http.StatusInternalServerError
	}
	body := "<html><body><h1>" + strconv.Itoa(status) + " " + http.StatusText(status) + "</h1></body></html>"
	writeBody(w, status, "text/html", []byte(body))
}

// cut closes the request's connection without a word more, and counts it.
func (s *Server) cut(w http.ResponseWriter) {
	s.stats.resets.Add(1)
	abort(w)
}

// abort closes the request's connection, by hijacking it where the server
// allows, else by aborting the handler.
func abort(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

// writePartial answers status 200 with the whole body's Content-Length,
// writes body[:n] and cuts the connection. A compressed answer sends the
// same proportion of the body's gzip.
func (s *Server) writePartial(w http.ResponseWriter, body []byte, n int) {
	if _, ok := compressing(w); ok {
		full := len(body)
		body = encodeBody(w, body, "", 0)
		n = int(int64(len(body)) * int64(n) / int64(max(full, 1)))
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body[:n])
	_ = http.NewResponseController(w).Flush()
	s.cut(w)
}
