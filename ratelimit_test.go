package auditlogs

import (
	"context"
	"sync"
	"testing"
	"time"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// TestLimiterSchedule reads the waits the limiter asks for, on a fake clock,
// without sleeping.
func TestLimiterSchedule(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	l := newLimiter(60, 3) // one a second (and the jitter margin), bursts of 3
	l.now = clock.now
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // waits return at once; the schedule is still recorded

	var got []time.Duration
	prev := time.Duration(0)
	for range 6 {
		_ = l.wait(ctx)
		got = append(got, l.totalWait()-prev)
		prev = l.totalWait()
	}
	// A cancelled wait gives its token back: so with ctx cancelled each call
	// after the burst asks for the same one-second wait.
	sec := time.Duration(float64(time.Second) * jitterMargin)
	want := []time.Duration{0, 0, 0, sec, sec, sec}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("waits = %v, want %v", got, want)
		}
	}
}

func TestLimiterQueuesAndRefills(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	l := newLimiter(60, 2)
	l.now = clock.now
	// With a cancelled context, wait records the wait it would need and
	// returns at once (giving back a token it did not get in time).
	done, cancel := context.WithCancel(context.Background())
	cancel()
	reserve := func() time.Duration {
		before := l.totalWait()
		_ = l.wait(done)
		return l.totalWait() - before
	}
	if d := reserve(); d != 0 {
		t.Fatalf("first call waits %v", d)
	}
	if d := reserve(); d != 0 {
		t.Fatalf("second call (burst) waits %v", d)
	}
	sec := time.Duration(float64(time.Second) * jitterMargin)
	if d := reserve(); d != sec {
		t.Fatalf("third call waits %v, want %v", d, sec)
	}
	clock.t = clock.t.Add(10 * time.Second) // refills to the burst, no more
	for i, want := range []time.Duration{0, 0, sec} {
		if d := reserve(); d != want {
			t.Fatalf("after refill, call %d waits %v, want %v", i, d, want)
		}
	}
}

func TestLimiterPause(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	l := newLimiter(60, 5)
	l.now = clock.now
	l.pause(clock.t.Add(30 * time.Second))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_ = l.wait(ctx)
	if w := l.totalWait(); w != 30*time.Second {
		t.Fatalf("wait during a 30s pause = %v", w)
	}
}

func TestLimiterRealTime(t *testing.T) {
	l := newLimiter(6000, 1) // one call every 10ms
	start := time.Now()
	for range 5 {
		if err := l.wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	// 1 from the burst, then 4 more at 10ms each: at least 40ms.
	if el := time.Since(start); el < 35*time.Millisecond {
		t.Fatalf("5 calls at 100/s took %v", el)
	}
	var nilLimiter *limiter
	if err := nilLimiter.wait(context.Background()); err != nil || nilLimiter.totalWait() != 0 {
		t.Fatal("a nil limiter must not limit")
	}
}

func TestLimiterCancelledWaitReturnsAtOnce(t *testing.T) {
	l := newLimiter(1, 1) // one a minute
	_ = l.wait(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := l.wait(ctx); err == nil {
		t.Fatal("wait returned nil after its context expired")
	}
	if el := time.Since(start); el > time.Second {
		t.Fatalf("cancelled wait took %v", el)
	}
}

func TestLimiterDelayedCall(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	l := newLimiter(60, 1)
	l.now = clock.now
	done, cancel := context.WithCancel(context.Background())
	cancel()
	_ = l.wait(done) // the burst's one call: no wait
	// It reached the wire 300ms after its turn (a TLS handshake, say): the
	// server's budget refills from then, and so does the limiter's.
	l.delayed(300 * time.Millisecond)
	before := l.totalWait()
	_ = l.wait(done)
	want := 300*time.Millisecond + time.Duration(float64(time.Second)*jitterMargin)
	if got := l.totalWait() - before; got != want {
		t.Fatalf("next call waits %v, want %v", got, want)
	}
	// At the cap, a late call changes nothing.
	clock.t = clock.t.Add(time.Hour)
	l2 := newLimiter(60, 3)
	l2.now = clock.now
	l2.delayed(time.Second)
	if _ = l2.wait(done); l2.totalWait() != 0 {
		t.Fatalf("a full bucket waited %v", l2.totalWait())
	}
}
