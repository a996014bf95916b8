package auditlogs

import (
	"context"
	"sync"
	"time"
)

// limiter is a token bucket shared by every call of one Client: it keeps the
// client under Slack's Tier 3 budget so that a bulk pull spends no calls on
// 429s, and it holds every call back while Slack's Retry-After runs.
type limiter struct {
	mu       sync.Mutex
	interval time.Duration // time to earn one token
	burst    float64
	tokens   float64
	last     time.Time // when tokens was last brought up to date
	resumeAt time.Time // no call before this (a Retry-After in force)
	now      func() time.Time
	waited   time.Duration // total time calls spent waiting here
}

// jitterMargin is how much slower than the budget the limiter paces calls.
// The server counts a call when it arrives, so a call that travels faster
// than the one before it would otherwise arrive a hair early and be refused.
const jitterMargin = 1.02

// newLimiter returns a limiter allowing perMinute calls a minute with bursts
// of burst calls, or nil (no limit) if perMinute is not positive.
func newLimiter(perMinute, burst int) *limiter {
	if perMinute <= 0 {
		return nil
	}
	return &limiter{
		interval: time.Duration(float64(time.Minute) / float64(perMinute) * jitterMargin),
		burst:    float64(max(burst, 1)),
		tokens:   float64(max(burst, 1)),
		now:      time.Now,
	}
}

// wait blocks until a call may be made, or ctx is done.
func (l *limiter) wait(ctx context.Context) error {
	if l == nil {
		return ctx.Err()
	}
	l.mu.Lock()
	now := l.now()
	// Tokens are counted from base: now, or the end of a Retry-After pause.
	base := now
	if l.resumeAt.After(base) {
		base = l.resumeAt
	}
	if l.last.IsZero() {
		l.last = base
	}
	if earned := base.Sub(l.last); earned > 0 {
		l.tokens = min(l.burst, l.tokens+float64(earned)/float64(l.interval))
		l.last = base
	}
	// Take the token now, even if it is only earned later: callers queue in
	// the order they arrived, each behind the one before. Tokens are counted
	// as of l.last, which a late call (see delayed) may have moved past now.
	l.tokens--
	ready := l.last
	if l.tokens < 0 {
		ready = ready.Add(time.Duration(-l.tokens * float64(l.interval)))
	}
	d := ready.Sub(now)
	l.waited += d
	l.mu.Unlock()
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		l.mu.Lock()
		l.tokens++ // give back the token this call will not use
		l.mu.Unlock()
		return ctx.Err()
	}
}

// delayed tells the limiter that a call reached the wire d after its turn
// (a new connection, a TLS handshake). The server counted it that much
// later, so its budget refills that much later: the limiter earns tokens
// from then on too. At the cap this changes nothing.
func (l *limiter) delayed(d time.Duration) {
	if l == nil || d <= 0 {
		return
	}
	l.mu.Lock()
	if l.tokens < l.burst {
		l.last = l.last.Add(d)
	}
	l.mu.Unlock()
}

// pause holds every call back until t, as a Retry-After asked.
func (l *limiter) pause(t time.Time) {
	if l == nil {
		return
	}
	l.mu.Lock()
	if t.After(l.resumeAt) {
		l.resumeAt = t
	}
	// Slack's budget is spent: earn nothing during the pause, and do not
	// spend a burst right after it.
	if t.After(l.last) {
		l.last = t
	}
	l.tokens = min(l.tokens, 1)
	l.mu.Unlock()
}

// totalWait returns the time calls have spent waiting on the limiter.
func (l *limiter) totalWait() time.Duration {
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.waited
}
