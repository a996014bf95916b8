package ratelimit

import (
	"context"
	"math"
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
	l := New(60, 3) // one a second (and the jitter margin), bursts of 3
	l.now = clock.now
	var got []time.Duration
	for range 6 {
		got = append(got, reserveWait(l))
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
	l := New(60, 2)
	l.now = clock.now
	reserve := func() time.Duration { return reserveWait(l) }
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
	l := New(60, 5)
	l.now = clock.now
	l.Pause(clock.t.Add(30 * time.Second))
	if w := reserveWait(l); w != 30*time.Second {
		t.Fatalf("wait during a 30s pause = %v", w)
	}
}

func TestLimiterRealTime(t *testing.T) {
	l := New(6000, 1) // one call every 10ms
	start := time.Now()
	for range 5 {
		if err := l.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	// 1 from the burst, then 4 more at 10ms each: at least 40ms.
	if el := time.Since(start); el < 35*time.Millisecond {
		t.Fatalf("5 calls at 100/s took %v", el)
	}
	var nilLimiter *Limiter
	if err := nilLimiter.Wait(context.Background()); err != nil || nilLimiter.TotalWait() != 0 {
		t.Fatal("a nil limiter must not limit")
	}
}

func TestLimiterCancelledWaitReturnsAtOnce(t *testing.T) {
	l := New(1, 1) // one a minute
	_ = l.Wait(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := l.Wait(ctx); err == nil {
		t.Fatal("wait returned nil after its context expired")
	}
	if el := time.Since(start); el > 15*time.Second {
		t.Fatalf("cancelled wait took %v", el)
	}
}

func TestLimiterDelayedCall(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	l := New(60, 1)
	l.now = clock.now
	reserveWait(l) // the burst's one call: no wait
	// It reached the wire 300ms after its turn (a TLS handshake, say): the
	// server's budget refills from then, and so does the limiter's.
	l.Delayed(300 * time.Millisecond)
	want := 300*time.Millisecond + time.Duration(float64(time.Second)*jitterMargin)
	if got := reserveWait(l); got != want {
		t.Fatalf("next call waits %v, want %v", got, want)
	}
	// At the cap, a late call changes nothing.
	clock.t = clock.t.Add(time.Hour)
	l2 := New(60, 3)
	l2.now = clock.now
	l2.Delayed(time.Second)
	if w := reserveWait(l2); w != 0 {
		t.Fatalf("a full bucket waited %v", w)
	}
}

// TestLimiterCountsOnlyWhatWasWaited: a wait cut short by its context adds
// only the time it lasted to TotalWait, not the wait it was scheduled for
// (issue 16, row 2), and the total saturates instead of overflowing.
func TestLimiterCountsOnlyWhatWasWaited(t *testing.T) {
	l := New(60, 1)
	l.Pause(time.Now().Add(time.Hour))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := l.Wait(ctx); err == nil {
		t.Fatal("a wait of an hour returned nil within 20ms")
	}
	if w := l.TotalWait(); w <= 0 || w > time.Minute {
		t.Errorf("TotalWait = %v after a wait cut short at 20ms", w)
	}
	l.addWaited(math.MaxInt64 - time.Second)
	l.addWaited(time.Hour)
	if w := l.TotalWait(); w != math.MaxInt64 {
		t.Errorf("TotalWait = %v, want it saturated at the largest duration", w)
	}
}
