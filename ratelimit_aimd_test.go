package auditlogs

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/slackaudit/auditlogs/auditlogstest"
)

// reserveWait takes a turn on l with a cancelled context: it returns the
// wait the call would have had, without sleeping.
func reserveWait(l *limiter) time.Duration {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	before := l.totalWait()
	_ = l.wait(ctx)
	return l.totalWait() - before
}

func TestLimiterSlowsDownAfter429(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	l := newLimiter(60, 3)
	l.now = clock.now
	sec := time.Duration(float64(time.Second) * jitterMargin)

	reserveWait(l)
	l.throttled()
	if r := l.rate(); r != 0.5 {
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
	before := l.rate()
	l.throttled()
	l.throttled()
	if r := l.rate(); r != before {
		t.Fatalf("rate after a crowd of 429s = %v, want %v as before them", r, before)
	}
	// A 429 once the hold is over is a new signal.
	clock.t = clock.t.Add(decreaseHold * 2 * sec)
	before = l.rate()
	l.throttled()
	if r := l.rate(); math.Abs(r-before/2) > 1e-9 {
		t.Fatalf("rate after a later 429 = %v, want %v", r, before/2)
	}
}

func TestLimiterRecoversSlowly(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	l := newLimiter(60, 5)
	l.now = clock.now
	interval := l.interval
	reserveWait(l)
	l.throttled() // half rate
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
		if r := l.rate(); math.Abs(r-tc.want) > 1e-6 {
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
	l := newLimiter(60, 5)
	l.now = clock.now
	for range 20 {
		l.decreased = time.Time{} // each one a signal of its own, at once
		l.throttled()
	}
	if r := l.rate(); r != 1.0/maxSlow {
		t.Fatalf("rate after many 429s = %v, want about 1/%d", r, maxSlow)
	}
	var nilLimiter *limiter
	nilLimiter.throttled() // no limiter, nothing to slow down
	if nilLimiter.rate() != 1 {
		t.Fatal("a nil limiter has a rate")
	}
}

// TestClientSlowsDownOn429: the client tells its limiter of every 429 it
// gets, and of nothing else.
func TestClientSlowsDownOn429(t *testing.T) {
	srv := auditlogstest.NewServer(auditlogstest.WithSynthetic(30, 1),
		auditlogstest.WithFaults(auditlogstest.Faults{RateLimited: 1, RetryAfter: -1, FirstN: 1}))
	defer srv.Close()
	c, err := New(auditlogstest.DefaultToken, WithBaseURL(srv.URL), WithRateLimit(6000, 5), WithRetryWait(0, time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Logs(context.Background(), LogsParams{}); err != nil {
		t.Fatal(err)
	}
	if r := c.limiter.rate(); r >= 0.6 || r < 0.5 {
		t.Fatalf("rate after a 429 = %v, want about 0.5", r)
	}
	srv.SetFaults(auditlogstest.Faults{ServerError: 1, FirstN: 1}) // a 5xx is not the budget
	c.limiter.slow = 1
	if _, err := c.Logs(context.Background(), LogsParams{}); err != nil {
		t.Fatal(err)
	}
	if r := c.limiter.rate(); r != 1 {
		t.Fatalf("rate after a 5xx = %v, want 1", r)
	}
}
