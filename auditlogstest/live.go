package auditlogstest

import (
	"bytes"
	"github.com/slackaudit/auditlogs/internal/synthetic"
	"slices"
	"strconv"
	"time"
)

// WithLive puts the synthetic corpus on the clock now (time.Now if nil), for
// demos: the entries of WithSynthetic are moved in time so that the newest
// sits lag before the moment the server is made, and more synthetic events
// (from seed+1) come after that moment, one every every, for a day (every is
// taken in whole seconds); /logs serves an entry
// only once now has reached its date_create, so a client polling the server
// sees new events keep arriving. A fixed or hand-moved clock makes it
// deterministic. Every date_create is rewritten, nothing else (dates inside
// details stay as synthesized). Entries returns them all, arrived or not.
// It has no effect without WithSynthetic; every <= 0 means 30 seconds.
func WithLive(now func() time.Time, lag, every time.Duration) Option {
	return func(c *config) {
		if now == nil {
			now = time.Now
		}
		if every <= 0 {
			every = 30 * time.Second
		}
		c.liveNow, c.liveLag, c.liveEvery = now, lag, every
	}
}

// liveHorizon is how long a live corpus keeps new events coming.
const liveHorizon = 24 * time.Hour

// liveRecords returns the synthetic records of cfg moved onto its clock,
// with the events still to come, sorted newest first.
func liveRecords(cfg *config) []record {
	base := synthetic.Generate(cfg.synthN, cfg.synthSeed)
	created := cfg.liveNow().Unix()
	start := created - int64(cfg.liveLag/time.Second)
	n := int(liveHorizon / cfg.liveEvery)
	future := synthetic.Generate(n, cfg.synthSeed+1)
	recs := make([]record, 0, len(base)+len(future))
	if len(base) > 0 {
		shift := start - base[0].Date
		for _, r := range base {
			recs = append(recs, redate(r, r.Date+shift))
		}
	}
	// future is newest first: its last entry comes first, every after the
	// server was made.
	step := max(int64(cfg.liveEvery/time.Second), 1)
	for i, r := range future {
		recs = append(recs, redate(r, created+int64(len(future)-i)*step))
	}
	slices.SortStableFunc(recs, synthetic.Compare)
	return recs
}

// redate returns r with date_create set to date, in its record and in its
// bytes.
func redate(r record, date int64) record {
	key := []byte(`"date_create":`)
	i := bytes.Index(r.Raw, key)
	if i < 0 {
		return r
	}
	j := i + len(key)
	k := j
	for k < len(r.Raw) && (r.Raw[k] == '-' || r.Raw[k] >= '0' && r.Raw[k] <= '9') {
		k++
	}
	raw := make([]byte, 0, len(r.Raw)+4)
	raw = append(append(append(raw, r.Raw[:j]...), strconv.FormatInt(date, 10)...), r.Raw[k:]...)
	r.Raw, r.Date = raw, date
	return r
}

// visibleFrom returns the index of the first record a live server may serve
// now (records are newest first): 0 for a server that is not live.
func (s *Server) visibleFrom(recs []record) int {
	if s.cfg.liveNow == nil {
		return 0
	}
	now := s.cfg.liveNow().Unix()
	lo, hi := 0, len(recs)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if recs[m].Date > now {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}
