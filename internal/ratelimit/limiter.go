// Package ratelimit paces a client's calls under Slack's per-organization
// budget: a token bucket that also yields to the organization's other apps
// after a 429 (see Limiter).
package ratelimit

import (
	"context"
	"math"
	"sync"
	"time"
)

// Limiter is a token bucket shared by every call of one Client: it keeps the
// client under Slack's Tier 3 budget so that a bulk pull spends no calls on
// 429s, and it holds every call back while Slack's Retry-After runs.
//
// Slack counts the budget per organization, and other apps of the
// organization spend it too, so a 429 also means "others are here": the
// limiter then halves its rate (multiplicative decrease, down to 1/64 of
// the configured one) and earns it back slowly, linearly over
// recoverCalls calls' worth of time at the configured rate (additive
// increase), without bursts until it is back at full rate. Two clients of
// one organization thus settle near a fair share of the budget, instead of
// both pacing themselves for the whole of it and taking turns at 429s.
type Limiter struct {
	mu        sync.Mutex
	interval  time.Duration // time to earn one token at the configured rate
	slow      float64       // the current interval is interval*slow: 1, or more after 429s
	adjusted  time.Time     // when slow was last brought up to date
	decreased time.Time     // when a 429 last slowed it down
	burst     float64
	tokens    float64
	last      time.Time // when tokens was last brought up to date
	resumeAt  time.Time // no call before this (a Retry-After in force)
	now       func() time.Time
	waited    time.Duration // total time calls spent waiting here
}

// The shape of the slowdown after a 429 (see Limiter).
const (
	decreaseFactor = 2   // a 429 divides the rate by this
	maxSlow        = 64  // never slower than this many times the configured interval
	recoverCalls   = 300 // from zero, the configured rate comes back over this many intervals (6 minutes at 50 a minute)
	decreaseHold   = 8   // after a decrease, 429s within this many (current) intervals do not decrease again
)

// jitterMargin is how much slower than the budget the limiter paces calls.
// The server counts a call when it arrives, so a call that travels faster
// than the one before it would otherwise arrive a hair early and be refused.
const jitterMargin = 1.02

// New returns a limiter allowing perMinute calls a minute with bursts
// of burst calls, or nil (no limit) if perMinute is not positive.
func New(perMinute, burst int) *Limiter {
	if perMinute <= 0 {
		return nil
	}
	return &Limiter{
		interval: time.Duration(float64(time.Minute) / float64(perMinute) * jitterMargin),
		slow:     1,
		burst:    float64(max(burst, 1)),
		tokens:   float64(max(burst, 1)),
		now:      time.Now,
	}
}

// Wait blocks until a call may be made, or ctx is done: it returns as soon
// as ctx is done, whatever it was waiting for (its turn, or a pause). Only
// the time actually waited counts in TotalWait.
func (l *Limiter) Wait(ctx context.Context) error {
	if l == nil {
		return ctx.Err()
	}
	d, now := l.take()
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		l.addWaited(d)
		return nil
	case <-ctx.Done():
		l.giveBack()
		l.addWaited(min(l.now().Sub(now), d))
		return ctx.Err()
	}
}

// take takes a token, possibly one earned only later, and returns how long
// to wait for it, from now (also returned).
func (l *Limiter) take() (time.Duration, time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	// Tokens are counted from base: now, or the end of a Retry-After pause.
	base := now
	if l.resumeAt.After(base) {
		base = l.resumeAt
	}
	if l.last.IsZero() {
		l.last = base
	}
	l.recover(now)
	interval := time.Duration(float64(l.interval) * l.slow)
	if earned := base.Sub(l.last); earned > 0 {
		l.tokens = min(l.cap(), l.tokens+float64(earned)/float64(interval))
		l.last = base
	}
	// Take the token now, even if it is only earned later: callers queue in
	// the order they arrived, each behind the one before. Tokens are counted
	// as of l.last, which a late call (see Delayed) may have moved past now.
	l.tokens--
	ready := l.last
	if l.tokens < 0 {
		ready = ready.Add(time.Duration(-l.tokens * float64(interval)))
	}
	return ready.Sub(now), now
}

// giveBack returns the token of a call that will not use it.
func (l *Limiter) giveBack() {
	l.mu.Lock()
	l.tokens++
	l.mu.Unlock()
}

// addWaited adds d, time a call actually spent waiting, to the total,
// saturating rather than overflowing.
func (l *Limiter) addWaited(d time.Duration) {
	if d <= 0 {
		return
	}
	l.mu.Lock()
	if l.waited > math.MaxInt64-d {
		l.waited = math.MaxInt64
	} else {
		l.waited += d
	}
	l.mu.Unlock()
}

// cap is how many tokens the bucket holds: the burst at the configured
// rate, one while slowed down.
func (l *Limiter) cap() float64 {
	if l.slow > 1 {
		return 1
	}
	return l.burst
}

// recover earns back rate since the last adjustment: the rate (1/slow of
// the configured one) grows by 1/recoverCalls of the configured rate per
// configured interval.
func (l *Limiter) recover(now time.Time) {
	if l.slow > 1 && now.After(l.adjusted) {
		gained := float64(now.Sub(l.adjusted)) / (float64(l.interval) * recoverCalls)
		l.slow = max(1, 1/(1/l.slow+gained))
	}
	l.adjusted = now
}

// Throttled tells the limiter that the server answered 429: the budget is
// spent, by this client or by others of the organization, so the limiter
// slows down (see Limiter).
func (l *Limiter) Throttled() {
	if l == nil {
		return
	}
	l.mu.Lock()
	now := l.now()
	l.recover(now)
	// The 429s of one crowded moment (calls sent before the first one came
	// back, or during its Retry-After) are one signal, not several.
	if now.Sub(l.decreased) >= decreaseHold*time.Duration(float64(l.interval)*l.slow) && !now.Before(l.resumeAt) {
		l.slow = min(maxSlow, l.slow*decreaseFactor)
		l.decreased = now
	}
	l.tokens = min(l.tokens, 0)
	l.mu.Unlock()
}

// Rate returns the share of the configured rate the limiter allows now.
func (l *Limiter) Rate() float64 {
	if l == nil {
		return 1
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.recover(l.now())
	return 1 / l.slow
}

// Delayed tells the limiter that a call reached the wire d after its turn
// (a new connection, a TLS handshake). The server counted it that much
// later, so its budget refills that much later: the limiter earns tokens
// from then on too. At the cap this changes nothing.
func (l *Limiter) Delayed(d time.Duration) {
	if l == nil || d <= 0 {
		return
	}
	l.mu.Lock()
	if l.tokens < l.cap() {
		l.last = l.last.Add(d)
	}
	l.mu.Unlock()
}

// Pause holds every call back until t, as a Retry-After asked.
func (l *Limiter) Pause(t time.Time) {
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

// TotalWait returns the time calls have actually spent waiting on the
// limiter (a wait cut short by its context counts as far as it went). It
// saturates at the largest time.Duration.
func (l *Limiter) TotalWait() time.Duration {
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.waited
}
