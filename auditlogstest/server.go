package auditlogstest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/slackaudit/auditlogs/internal/synthetic"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultToken is the token /logs accepts unless WithToken says otherwise.
const DefaultToken = "xoxp-auditlogstest"

// BasePath is the path the API is served under; Server.URL ends with it.
const BasePath = "/audit/v1/"

// DefaultPageSize is how many entries the fake puts in a /logs page when the
// request has no limit parameter. (The auditlogs client always sends one.)
const DefaultPageSize = 100

// DefaultMaxLimit is the largest page /logs returns unless WithMaxLimit says
// otherwise (the largest limit Slack accepts).
const DefaultMaxLimit = 9999

// Server is a fake of Slack's Audit Logs API, in the spirit of
// net/http/httptest. NewServer starts one on a loopback address; NewHandler
// builds one without a listener, to mount Handler in an http.Server of one's
// own. A Server is safe for concurrent use.
type Server struct {
	// URL is the base URL of the API, ending in "/audit/v1/", such as
	// "http://127.0.0.1:PORT/audit/v1/": append "logs", "schemas" or
	// "actions". It is empty for a Server made by NewHandler.
	URL string

	cfg     config
	records []record // newest first; never changed after construction
	handler http.Handler
	ts      *httptest.Server
	stats   counters
	limiter *bucket
	gz      *gzipper // nil with WithGzip(false)

	faultMu    sync.Mutex
	faults     Faults
	faultRNG   *synthetic.RNG
	faultCount int
	fault5xx   atomic.Int64 // alternates 500 and 503

	closeOnce sync.Once
	closed    chan struct{}
}

// record is one stored entry with what the filters read from it.
type record = synthetic.Event

// Stats counts what a Server has done. All counters start at zero.
type Stats struct {
	Requests       int64 // every request the handler received, whatever the path
	LogsRequests   int64 // requests for /logs
	RateLimited    int64 // 429 answers, injected or from the WithRateLimit bucket
	ServerErrors   int64 // injected 500 and 503 answers
	Resets         int64 // connections cut by ResetBeforeResponse or ResetMidBody
	InvalidCursors int64 // 400 invalid_cursor answers, injected or for a bad cursor
	Unauthorized   int64 // 401 answers
	EntriesServed  int64 // entries in /logs pages sent in full
	Gzipped        int64 // answers sent gzip-compressed (see WithGzip), whole or cut short
}

type counters struct {
	requests, logsRequests, rateLimited, serverErrors, resets, invalidCursors, unauthorized, entriesServed, gzipped atomic.Int64
}

// Option configures a Server; pass options to NewServer or NewHandler.
type Option func(*config)

type config struct {
	token          string
	entries        []json.RawMessage
	synthN         int
	synthSeed      int64
	synthetic      bool
	faults         Faults
	ratePer        int
	rateBurst      int
	rateWindow     time.Duration
	retryAfterDate bool
	maxLimit       int
	latency        time.Duration
	gzipOff        bool
	gzipLevel      int
	gzipLevelSet   bool
	gzipCache      int64
	liveNow        func() time.Time // WithLive
	liveLag        time.Duration
	liveEvery      time.Duration
	okField        bool             // WithOK
	late           lateConfig       // WithLateEvents
	clock          func() time.Time // WithClock
}

// WithToken sets the token /logs accepts as "Authorization: Bearer <token>".
// The default is DefaultToken.
func WithToken(token string) Option { return func(c *config) { c.token = token } }

// WithEntries makes the server serve exactly these entries (the default is
// none). They may come in any order: the server sorts them newest first by
// date_create, ties by id descending, and serves each one's bytes verbatim.
// Each should have "id" and "date_create"; an entry of another shape is still
// served, and the filters use what can be read from it (a missing date_create
// counts as 0, so it sorts last). Every entry must be valid JSON, or NewServer
// and NewHandler panic. The server keeps its own copy. WithEntries and
// WithSynthetic replace each other: the last one given wins.
func WithEntries(entries []json.RawMessage) Option {
	return func(c *config) { c.entries, c.synthetic = entries, false }
}

// WithSynthetic makes the server serve Synthetic(n, seed): n realistic
// entries, the same for the same seed. It is faster than
// WithEntries(Synthetic(n, seed)). WithEntries and WithSynthetic replace each
// other: the last one given wins.
func WithSynthetic(n int, seed int64) Option {
	return func(c *config) { c.synthN, c.synthSeed, c.synthetic, c.entries = n, seed, true, nil }
}

// WithFaults sets the faults injected from the start (the default is none);
// SetFaults changes them later.
func WithFaults(f Faults) Option { return func(c *config) { c.faults = f } }

// WithRateLimit limits all three endpoints together (like Slack's Tier 3,
// counted per organization) with a token bucket: calls calls in each period
// (normally time.Minute, as WithRateLimit(50, time.Minute, 5) is Slack's
// Tier 3; tests scale it down, such as 50 calls per 500ms), in bursts of at
// most burst calls (burst < 1 means 1). The bucket starts full.
// A call over the limit gets 429 {"ok":false,"error":"ratelimited"} with a
// Retry-After header saying when the next call will be allowed: whole
// seconds, rounded up, at least 1 (or an HTTP date with WithRetryAfterDate).
// calls <= 0 means no limit, the default; period <= 0 means time.Minute.
func WithRateLimit(calls int, period time.Duration, burst int) Option {
	return func(c *config) { c.ratePer, c.rateBurst, c.rateWindow = calls, burst, period }
}

// WithRetryAfterDate makes 429 answers (from WithRateLimit and from
// Faults.RateLimited) send Retry-After as an HTTP date, such as "Thu, 01 Jan
// 2026 00:00:05 GMT", instead of a number of seconds (the default, as Slack
// does). The date is rounded up to the next whole second.
func WithRetryAfterDate(on bool) Option { return func(c *config) { c.retryAfterDate = on } }

// WithMaxLimit caps the number of entries per /logs page, whatever limit the
// request asks for (Slack may return fewer entries than limit). The default is
// DefaultMaxLimit (9999); n <= 0 means the default.
func WithMaxLimit(n int) Option { return func(c *config) { c.maxLimit = n } }

// WithOK(true) makes /logs pages start with "ok":true, as in
// {"ok":true,"entries":[...],"response_metadata":{...}}: the layout of
// Slack's Web API, which the fake used before it followed the Audit Logs
// API. The default, WithOK(false), lays pages out as Slack's Audit Logs API
// does: {"entries":[...],"response_metadata":{"next_cursor":"..."}}, with
// no "ok" member. A client should accept both, since success is decided by
// the HTTP status alone. /schemas and /actions have no "ok" member either
// way, as Slack sends them.
func WithOK(on bool) Option { return func(c *config) { c.okField = on } }

// WithLatency delays every response by d (the default is 0), on top of any
// Faults.Slow delay.
func WithLatency(d time.Duration) Option { return func(c *config) { c.latency = d } }

// NewServer starts a Server on a loopback address (127.0.0.1:0, through
// net/http/httptest) and returns it. Call Close when done. It panics if an
// entry given by WithEntries is not valid JSON, or if it cannot listen.
func NewServer(opts ...Option) *Server {
	s := NewHandler(opts...)
	s.ts = httptest.NewServer(s.handler)
	s.URL = s.ts.URL + BasePath
	return s
}

// NewHandler builds a Server without starting a listener (its URL is empty),
// for mounting Handler in an http.Server of one's own, as the CLI's --demo
// mode does. Close still ends its injected delays. It panics if an entry given
// by WithEntries is not valid JSON.
func NewHandler(opts ...Option) *Server {
	cfg := config{token: DefaultToken, maxLimit: DefaultMaxLimit}
	for _, opt := range opts {
		opt(&cfg)
	}
	if cfg.maxLimit <= 0 {
		cfg.maxLimit = DefaultMaxLimit
	}
	s := &Server{cfg: cfg, closed: make(chan struct{})}
	switch {
	case cfg.synthetic && cfg.liveNow != nil:
		s.records = liveRecords(&s.cfg)
	case cfg.synthetic:
		s.records = synthetic.Generate(cfg.synthN, cfg.synthSeed)
	default:
		s.cfg.liveNow = nil // WithLive needs WithSynthetic
		s.records = loadEntries(cfg.entries)
	}
	s.cfg.entries = nil // not needed any more; the records hold a copy
	if cfg.ratePer > 0 {
		s.limiter = newBucket(cfg.ratePer, cfg.rateBurst, cfg.rateWindow)
	}
	s.setFaults(cfg.faults)
	if !cfg.gzipOff {
		level := DefaultGzipLevel
		if cfg.gzipLevelSet {
			level = cfg.gzipLevel
		}
		s.gz = newGzipper(level, cfg.gzipCache)
	}
	s.handler = s.newHandler()
	return s
}

// Close shuts the server down. For a Server from NewServer it closes the
// listener and waits for the requests in flight to finish (cutting injected
// delays short) so that no goroutine is left behind; for one from NewHandler
// it only cuts injected delays short. Close may be called more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.closed)
		if s.ts != nil {
			s.ts.Close()
		}
	})
}

// Handler returns the server's whole http.Handler. It serves the paths under
// /audit/v1/ (so mount it there, or at "/"), answers 404 unknown_method for
// any other path and 405 method_not_allowed for a method other than GET or
// HEAD.
func (s *Server) Handler() http.Handler { return s.handler }

// Stats returns a snapshot of the server's counters. It is safe to call while
// requests are being served.
func (s *Server) Stats() Stats {
	c := &s.stats
	return Stats{
		Requests:       c.requests.Load(),
		LogsRequests:   c.logsRequests.Load(),
		RateLimited:    c.rateLimited.Load(),
		ServerErrors:   c.serverErrors.Load(),
		Resets:         c.resets.Load(),
		InvalidCursors: c.invalidCursors.Load(),
		Unauthorized:   c.unauthorized.Load(),
		EntriesServed:  c.entriesServed.Load(),
		Gzipped:        c.gzipped.Load(),
	}
}

// Entries returns the stored entries in the order the server serves them
// (newest first; ties by id descending), each exactly as served. The slice
// and the bytes are the caller's own copy.
func (s *Server) Entries() []json.RawMessage {
	size := 0
	for i := range s.records {
		size += len(s.records[i].Raw)
	}
	arena := make([]byte, 0, size)
	out := make([]json.RawMessage, len(s.records))
	for i := range s.records {
		start := len(arena)
		arena = append(arena, s.records[i].Raw...)
		out[i] = arena[start:len(arena):len(arena)]
	}
	return out
}

// SetFaults replaces the injected faults, as if the server had started with
// WithFaults(f): the fault generator is reseeded from f.Seed and the FirstN
// count starts again. It is safe to call while requests are being served.
func (s *Server) SetFaults(f Faults) { s.setFaults(f) }

func (s *Server) setFaults(f Faults) {
	seed := f.Seed
	if seed == 0 {
		seed = 1
	}
	s.faultMu.Lock()
	s.faults, s.faultRNG, s.faultCount = f, synthetic.NewRNG(seed), 0
	s.faultMu.Unlock()
}

// loadEntries copies the entries into one arena and reads their filter keys.
func loadEntries(entries []json.RawMessage) []record {
	size := 0
	for _, e := range entries {
		size += len(e)
	}
	arena := make([]byte, 0, size)
	recs := make([]record, len(entries))
	for i, e := range entries {
		if !json.Valid(e) {
			panic(fmt.Sprintf("auditlogstest: entry %d given to WithEntries is not valid JSON: %.80q", i, e))
		}
		start := len(arena)
		arena = append(arena, e...)
		recs[i] = readRecord(arena[start:len(arena):len(arena)])
	}
	slices.SortStableFunc(recs, synthetic.Compare)
	return recs
}

// readRecord reads the filter keys of one entry, as far as its shape allows.
func readRecord(raw json.RawMessage) record {
	rec := record{Raw: raw}
	var e struct {
		ID         json.RawMessage `json:"id"`
		DateCreate json.RawMessage `json:"date_create"`
		Action     json.RawMessage `json:"action"`
		Actor      json.RawMessage `json:"actor"`
		Entity     json.RawMessage `json:"entity"`
	}
	if json.Unmarshal(raw, &e) != nil {
		return rec // not an object
	}
	rec.ID = scalar(e.ID)
	rec.Date, _ = strconv.ParseInt(scalar(e.DateCreate), 10, 64)
	if rec.Date == 0 {
		if f, err := strconv.ParseFloat(scalar(e.DateCreate), 64); err == nil {
			rec.Date = int64(f)
		}
	}
	rec.Action = scalar(e.Action)
	var actor struct {
		User struct {
			ID json.RawMessage `json:"id"`
		} `json:"user"`
	}
	if json.Unmarshal(e.Actor, &actor) == nil {
		rec.Actor = scalar(actor.User.ID)
	}
	var entity map[string]json.RawMessage
	if json.Unmarshal(e.Entity, &entity) == nil {
		var payload struct {
			ID json.RawMessage `json:"id"`
		}
		if json.Unmarshal(entity[scalar(entity["type"])], &payload) == nil {
			rec.Entity = scalar(payload.ID)
		}
	}
	return rec
}

// scalar returns a JSON string's value or a JSON number's digits, and "" for
// anything else.
func scalar(v json.RawMessage) string {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return ""
	}
	switch c := v[0]; {
	case c == '"':
		var s string
		if json.Unmarshal(v, &s) == nil {
			return s
		}
	case c == '-' || c >= '0' && c <= '9':
		return string(v)
	}
	return ""
}
