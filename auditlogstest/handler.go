package auditlogstest

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/slackaudit/auditlogs/gen"
	"github.com/slackaudit/auditlogs/internal/genserver"
)

// The paths the API serves.
const (
	logsPath    = BasePath + "logs"
	schemasPath = BasePath + "schemas"
	actionsPath = BasePath + "actions"
)

// api implements the generated genserver.ServerInterface, so that the fake serves
// what the spec describes and no more: the generated router binds the query
// parameters, and a parameter of the wrong type never reaches GetLogs.
type api struct{ s *Server }

var _ genserver.ServerInterface = (*api)(nil)

// newHandler wraps the generated router in what Slack does before the API
// proper: routing errors, latency, injected faults, the rate limit and, for
// /logs, authentication.
func (s *Server) newHandler() http.Handler {
	router := genserver.HandlerWithOptions(&api{s}, genserver.StdHTTPServerOptions{
		BaseURL: strings.TrimSuffix(BasePath, "/"),
		ErrorHandlerFunc: func(w http.ResponseWriter, _ *http.Request, _ error) {
			writeError(w, http.StatusBadRequest, "invalid_arguments")
		},
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.serve(w, r, router)
	})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, router http.Handler) {
	s.stats.requests.Add(1)
	if s.gz != nil {
		w.Header().Set("Vary", "Accept-Encoding")
		if acceptsGzip(r) {
			w = &gzipResponse{ResponseWriter: w, s: s}
		}
	}
	if !s.sleep(r.Context(), s.cfg.latency) {
		abort(w)
		return
	}
	path := r.URL.Path
	if path != logsPath && path != schemasPath && path != actionsPath {
		writeError(w, http.StatusNotFound, "unknown_method")
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed")
		return
	}
	logs := path == logsPath
	if logs {
		s.stats.logsRequests.Add(1)
	}

	d := s.draw()
	if !s.sleep(r.Context(), d.slow) {
		abort(w)
		return
	}
	switch {
	case d.resetBefore:
		s.cut(w)
		return
	case d.serverError:
		s.writeServerError(w)
		return
	case d.rateLimited:
		s.writeRateLimited(w, d.retryAfter)
		return
	}
	if s.limiter != nil {
		if ok, wait := s.limiter.take(time.Now()); !ok {
			s.writeRateLimited(w, wait)
			return
		}
	}
	if logs && !s.authorized(w, r, d.emptyBody401) {
		return
	}
	router.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), decisionKey{}, d)))
}

// sleep waits d, and reports false if the request was canceled or the server
// closed first (the caller then drops the connection rather than answer).
func (s *Server) sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-s.closed:
		return false
	}
}

// authorized checks the bearer token of a /logs request, answering 401 if it
// is missing (not_authed) or wrong (invalid_auth).
func (s *Server) authorized(w http.ResponseWriter, r *http.Request, emptyBody bool) bool {
	scheme, token, _ := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	token = strings.TrimSpace(token)
	code := ""
	switch {
	case !strings.EqualFold(scheme, "Bearer") || token == "":
		code = "not_authed"
	case subtle.ConstantTimeCompare([]byte(token), []byte(s.cfg.token)) != 1:
		code = "invalid_auth"
	default:
		return true
	}
	s.stats.unauthorized.Add(1)
	if emptyBody {
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusUnauthorized)
		return false
	}
	writeError(w, http.StatusUnauthorized, code)
	return false
}

// GetActions serves GET /actions.
func (a *api) GetActions(w http.ResponseWriter, r *http.Request) {
	a.s.writeStatic(w, r, actionsJSON)
}

// GetSchemas serves GET /schemas.
func (a *api) GetSchemas(w http.ResponseWriter, r *http.Request) {
	a.s.writeStatic(w, r, schemasJSON)
}

func (s *Server) writeStatic(w http.ResponseWriter, r *http.Request, body []byte) {
	if d, _ := r.Context().Value(decisionKey{}).(decision); d.resetMidBody {
		s.writePartial(w, body, len(body)/2)
		return
	}
	writeKeyed(w, http.StatusOK, "application/json", body, r.URL.Path, 0)
}

// filter is what a /logs request asks for, beyond the position.
type filter struct {
	actions        []string
	actor, entity  string
	latest, oldest int64
	hasLatest      bool
	hasOldest      bool
	hidden         func(*record) bool // with WithLateEvents: the events not yet visible, not served
}

func (f *filter) selective() bool {
	return f.actions != nil || f.actor != "" || f.entity != "" || f.hidden != nil
}

func (f *filter) match(rec *record) bool {
	if f.hidden != nil && f.hidden(rec) {
		return false
	}
	if f.actor != "" && rec.Actor != f.actor {
		return false
	}
	if f.entity != "" && rec.Entity != f.entity {
		return false
	}
	if f.actions == nil {
		return true
	}
	for _, a := range f.actions {
		if rec.Action == a {
			return true
		}
	}
	return false
}

// GetLogs serves GET /logs: the stored entries matching the filters, newest
// first, from the cursor's position on.
func (a *api) GetLogs(w http.ResponseWriter, r *http.Request, params gen.GetLogsParams) {
	s := a.s
	d, _ := r.Context().Value(decisionKey{}).(decision)
	limit := DefaultPageSize
	if params.Limit != nil {
		if v := *params.Limit; v < 1 || v > DefaultMaxLimit {
			writeError(w, http.StatusBadRequest, "invalid_arguments")
			return
		}
		limit = int(*params.Limit)
	}
	limit = min(limit, s.cfg.maxLimit)

	var f filter
	if params.Latest != nil {
		f.latest, f.hasLatest = *params.Latest, true
	}
	if params.Oldest != nil {
		f.oldest, f.hasOldest = *params.Oldest, true
	}
	if f.hasLatest && f.latest < 0 || f.hasOldest && f.oldest < 0 {
		writeError(w, http.StatusBadRequest, "invalid_arguments")
		return
	}
	for _, name := range strings.Split(optString(params.Action), ",") {
		if name = strings.TrimSpace(name); name != "" {
			f.actions = append(f.actions, name)
		}
	}
	f.actor = optString(params.Actor)
	f.entity = optString(params.Entity)
	if s.cfg.late.on() {
		f.hidden = s.lateHidden()
	}

	recs := s.records
	start, end := s.visibleFrom(recs), len(recs) // a live server's events to come are not served yet
	if cursor := optString(params.Cursor); cursor != "" {
		if d.refuseCursor {
			s.stats.invalidCursors.Add(1)
			writeError(w, http.StatusBadRequest, "invalid_cursor")
			return
		}
		date, id, ok := decodeCursor(cursor)
		if !ok {
			s.stats.invalidCursors.Add(1)
			writeError(w, http.StatusBadRequest, "invalid_cursor")
			return
		}
		start = max(start, sort.Search(len(recs), func(i int) bool {
			return recs[i].Date < date || recs[i].Date == date && recs[i].ID < id
		}))
	}
	if f.hasLatest {
		start = max(start, sort.Search(len(recs), func(i int) bool { return recs[i].Date <= f.latest }))
	}
	if f.hasOldest {
		end = sort.Search(len(recs), func(i int) bool { return recs[i].Date < f.oldest })
	}

	// The page is the same for the same position, limit and filters: with
	// WithGzipCache, its gzip is kept under that key.
	key := ""
	if s.gz != nil && s.gz.maxBytes > 0 && !d.resetMidBody && f.hidden == nil {
		key = fmt.Sprintf("logs %d %d %d %q %q %q", start, end, limit, f.actions, f.actor, f.entity)
		if _, ok := compressing(w); ok {
			if c, ok := s.gz.cached(key); ok {
				s.stats.entriesServed.Add(int64(c.entries))
				if writeKeyed(w, http.StatusOK, "application/json", nil, key, c.entries) != nil {
					s.stats.entriesServed.Add(-int64(c.entries))
				}
				return
			}
		}
	}

	bp := pagePool.Get().(*[]byte)
	defer func() {
		if cap(*bp) <= maxPooledPage {
			pagePool.Put(bp)
		}
	}()
	prefix := s.pagePrefix()
	buf := append((*bp)[:0], prefix...)
	n, last, more := 0, -1, false
	if !f.selective() {
		if start < end {
			last = min(end, start+limit) - 1
			more = last+1 < end
			for i := start; i <= last; i++ {
				if i > start {
					buf = append(buf, ',')
				}
				buf = append(buf, recs[i].Raw...)
			}
			n = last - start + 1
		}
	} else {
		for i := start; i < end; i++ {
			rec := &recs[i]
			if !f.match(rec) {
				continue
			}
			if n == limit {
				more = true
				break
			}
			if n > 0 {
				buf = append(buf, ',')
			}
			buf = append(buf, rec.Raw...)
			n++
			last = i
		}
	}
	entriesEnd := len(buf)
	buf = append(buf, ']')
	switch {
	case more:
		buf = append(buf, `,"response_metadata":{"next_cursor":"`...)
		buf = appendCursor(buf, recs[last].Date, recs[last].ID)
		buf = append(buf, `"}`...)
	default:
		// The last page: Slack marks it in three ways, all of which occur.
		switch s.lastPageStyle(start, n) {
		case 0:
			buf = append(buf, `,"response_metadata":{"next_cursor":""}`...)
		case 1:
			buf = append(buf, `,"response_metadata":{}`...)
		}
	}
	buf = append(buf, '}')
	*bp = buf

	if d.resetMidBody {
		s.writePartial(w, buf, len(prefix)+(entriesEnd-len(prefix))/2)
		return
	}
	// Counted before the write, so that a client that has read the whole
	// page finds it counted; taken back if the write fails.
	s.stats.entriesServed.Add(int64(n))
	if writeKeyed(w, http.StatusOK, "application/json", buf, key, n) != nil {
		s.stats.entriesServed.Add(-int64(n))
	}
}

// The openings of a /logs page: Slack's, and the one WithOK(true) asks for.
const (
	pagePrefix   = `{"entries":[`
	pagePrefixOK = `{"ok":true,"entries":[`
)

// pagePrefix returns the opening of the server's /logs pages (see WithOK).
func (s *Server) pagePrefix() string {
	if s.cfg.okField {
		return pagePrefixOK
	}
	return pagePrefix
}

// pagePool recycles page buffers: a page of 9999 entries is several MB.
var pagePool = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

const maxPooledPage = 32 << 20

// lastPageStyle picks, deterministically for the seed and the page, how a
// last page says so: 0 next_cursor "", 1 response_metadata {}, 2 none.
func (s *Server) lastPageStyle(start, n int) int {
	h := fnv.New32a()
	var b [24]byte
	binary.BigEndian.PutUint64(b[0:], uint64(s.cfg.synthSeed))
	binary.BigEndian.PutUint64(b[8:], uint64(start))
	binary.BigEndian.PutUint64(b[16:], uint64(n))
	_, _ = h.Write(b[:])
	return int(h.Sum32() % 3)
}

// A cursor is the std base64 (padded) of "pos:", the date_create of the last
// entry served (8 bytes, big-endian), a 4-byte checksum and that entry's id.
// It means "continue with the entries strictly older than this one in the
// newest-first order" and remembers nothing else: no filters.
const cursorMagic = "pos:"

func cursorSum(date int64, id string) uint32 {
	h := fnv.New32a()
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(date))
	_, _ = h.Write([]byte("auditlogstest"))
	_, _ = h.Write(b[:])
	_, _ = h.Write([]byte(id))
	return h.Sum32()
}

func appendCursor(dst []byte, date int64, id string) []byte {
	raw := make([]byte, 0, len(cursorMagic)+12+len(id))
	raw = append(raw, cursorMagic...)
	raw = binary.BigEndian.AppendUint64(raw, uint64(date))
	raw = binary.BigEndian.AppendUint32(raw, cursorSum(date, id))
	raw = append(raw, id...)
	return base64.StdEncoding.AppendEncode(dst, raw)
}

func decodeCursor(c string) (date int64, id string, ok bool) {
	raw, err := base64.StdEncoding.Strict().DecodeString(c)
	if err != nil || len(raw) < len(cursorMagic)+12 || string(raw[:len(cursorMagic)]) != cursorMagic {
		return 0, "", false
	}
	raw = raw[len(cursorMagic):]
	date = int64(binary.BigEndian.Uint64(raw))
	sum := binary.BigEndian.Uint32(raw[8:])
	id = string(raw[12:])
	if cursorSum(date, id) != sum {
		return 0, "", false
	}
	return date, id, true
}

// optString dereferences an optional string parameter; "" means absent.
func optString(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// writeError answers status with Slack's error body.
func writeError(w http.ResponseWriter, status int, code string) {
	writeBody(w, status, "application/json", []byte(`{"ok":false,"error":"`+code+`"}`))
}

// writeBody answers status with body, gzip-compressed if the request asked
// for it, and returns the error of writing it (a client gone).
func writeBody(w http.ResponseWriter, status int, contentType string, body []byte) error {
	return writeKeyed(w, status, contentType, body, "", 0)
}

// writeKeyed is writeBody for a body that holds entries: its gzip is
// cached under key (if not "") with WithGzipCache.
func writeKeyed(w http.ResponseWriter, status int, contentType string, body []byte, key string, entries int) error {
	body = encodeBody(w, body, key, entries)
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, err := w.Write(body)
	return err
}
