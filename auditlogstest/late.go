package auditlogstest

import (
	"hash/fnv"
	"math"
	"time"
)

// WithLateEvents makes the server index a share of its events late, as
// eventually consistent audit APIs do: a late event is served by /logs only
// once the server's clock has reached its date_create plus a delay between
// minDelay and maxDelay. Which events are late, and how late, is decided by
// each event's id alone (the same ids are late by the same delays in every
// run), so a test is reproducible. share is clamped to [0, 1]; a maxDelay
// below minDelay counts as minDelay. The clock is the one WithClock gives,
// else WithLive's, else time.Now. The default is no late event.
//
// With the option on, a punctual event too is served only once the clock
// reaches its date_create. A late event sits at its place in the newest-first order once it shows
// up, so a client that paged past that place before misses it unless it
// reads the range again. Server.Entries still returns every entry.
func WithLateEvents(share float64, minDelay, maxDelay time.Duration) Option {
	return func(c *config) {
		c.late = lateConfig{share: min(max(share, 0), 1), minDelay: max(minDelay, 0), maxDelay: max(maxDelay, minDelay, 0)}
	}
}

// WithClock sets the clock the server judges late events by (see
// WithLateEvents) when it is not live. The default is WithLive's clock if
// given, else time.Now.
func WithClock(now func() time.Time) Option {
	return func(c *config) { c.clock = now }
}

// lateConfig is what WithLateEvents set.
type lateConfig struct {
	share              float64
	minDelay, maxDelay time.Duration
}

func (l *lateConfig) on() bool { return l.share > 0 }

// lateDelay returns how long after its date_create the event with this id
// becomes visible: zero for a punctual event.
func (l *lateConfig) lateDelay(id string) time.Duration {
	h := fnv.New64a()
	_, _ = h.Write([]byte("auditlogstest late "))
	_, _ = h.Write([]byte(id))
	x := splitmix(h.Sum64())
	if float64(x>>11)/(1<<53) >= l.share {
		return 0
	}
	span := l.maxDelay - l.minDelay
	frac := float64(splitmix(x)>>11) / (1 << 53)
	return l.minDelay + time.Duration(math.Round(frac*float64(span)))
}

// splitmix is one step of SplitMix64: it spreads the bits of x.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// lateHidden returns whether an event is not yet visible now, by the
// clock of late events.
func (s *Server) lateHidden() func(*record) bool {
	now := s.lateClock()
	return func(rec *record) bool {
		return time.Unix(rec.Date, 0).Add(s.cfg.late.lateDelay(rec.ID)).After(now)
	}
}

// lateClock is the clock late events are judged by.
func (s *Server) lateClock() time.Time {
	switch {
	case s.cfg.clock != nil:
		return s.cfg.clock()
	case s.cfg.liveNow != nil:
		return s.cfg.liveNow()
	}
	return time.Now()
}
