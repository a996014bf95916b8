package ratelimit

import (
	"math"
	"testing"
	"time"
)

// reserveWait takes a turn on l as a call with a cancelled context does: it
// returns the wait the call would have had, without sleeping (a call that
// would wait gives its token back, as Wait does when cancelled).
func reserveWait(l *Limiter) time.Duration {
	d, _ := l.take()
	if d <= 0 {
		return 0
	}
	l.giveBack()
	return d
}

func TestLimiterSlowsDownAfter429(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	l := New(60, 3)
	l.now = clock.now
	sec := time.Duration(float64(time.Second) * jitterMargin)

	reserveWait(l)
	l.Throttled()
	if r := l.Rate(); r != 0.5 {
		t.Fatalf("rate after a 429 = %v, want 0.5", r)
	}
	// The 429 took the tokens: the next call waits twice the interval.
	if d := reserveWait(l); d != 2*sec {
		t.Fatalf("the call after a 429 waits %v, want %v", d, 2*sec)
	}
	// Refilled, the bucket holds one call, not a burst of 3, and calls
	// come at twice the interval (a cancelled wait gives its token back,
	// so each reservation sees the same queue).
	clock.t = clock.t.Add(10 * sec)
	if d := reserveWait(l); d != 0 {
		t.Fatalf("first call after a refill waits %v", d)
	}
	// Ten seconds recovered a little of the rate (see TestLimiterRecoversSlowly).
	want := time.Duration(float64(l.interval) * l.slow)
	if want < 18*sec/10 || want >= 2*sec {
		t.Fatalf("interval after 10s = %v, want a little under %v", want, 2*sec)
	}
	if d := reserveWait(l); d != want {
		t.Fatalf("second call after a refill waits %v, want %v (no burst while slowed down)", d, want)
	}

	// More 429s soon after (calls sent before the first came back, or
	// during its Retry-After) are the same signal: no second decrease.
	before := l.Rate()
	l.Throttled()
	l.Throttled()
	if r := l.Rate(); r != before {
		t.Fatalf("rate after a crowd of 429s = %v, want %v as before them", r, before)
	}
	// A 429 once the hold is over is a new signal.
	clock.t = clock.t.Add(decreaseHold * 2 * sec)
	before = l.Rate()
	l.Throttled()
	if r := l.Rate(); math.Abs(r-before/2) > 1e-9 {
		t.Fatalf("rate after a later 429 = %v, want %v", r, before/2)
	}
}

func TestLimiterRecoversSlowly(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	l := New(60, 5)
	l.now = clock.now
	interval := l.interval
	reserveWait(l)
	l.Throttled() // half rate
	for _, tc := range []struct {
		after time.Duration
		want  float64
	}{
		{0, 0.5},
		{interval * recoverCalls / 4, 0.75}, // linear: a quarter of the full rate per recoverCalls/4 intervals
		{interval * recoverCalls / 8, 0.875},
		{interval * recoverCalls / 8, 1},
		{interval * recoverCalls, 1}, // never above the configured rate
	} {
		clock.t = clock.t.Add(tc.after)
		if r := l.Rate(); math.Abs(r-tc.want) > 1e-6 {
			t.Fatalf("rate %v later = %v, want %v", tc.after, r, tc.want)
		}
	}
	// Back at full rate, the burst is back too.
	clock.t = clock.t.Add(time.Minute)
	for i := range 5 {
		if d := reserveWait(l); d != 0 {
			t.Fatalf("burst call %d waits %v after recovery", i, d)
		}
	}
}

func TestLimiterFloor(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	l := New(60, 5)
	l.now = clock.now
	for range 20 {
		l.decreased = time.Time{} // each one a signal of its own, at once
		l.Throttled()
	}
	if r := l.Rate(); r != 1.0/maxSlow {
		t.Fatalf("rate after many 429s = %v, want about 1/%d", r, maxSlow)
	}
	var nilLimiter *Limiter
	nilLimiter.Throttled() // no limiter, nothing to slow down
	if nilLimiter.Rate() != 1 {
		t.Fatal("a nil limiter has a rate")
	}
}
