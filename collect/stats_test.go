package collect

import (
	"testing"
	"time"
)

func TestLateLast24h(t *testing.T) {
	t0 := time.Date(2027, 1, 1, 0, 30, 0, 0, time.UTC)
	var s Stats
	s.addLate(t0, 5*time.Second)
	s.addLate(t0.Add(time.Hour), time.Minute)
	s.addLate(t0.Add(time.Hour), 2*time.Second)
	for _, tc := range []struct {
		at   time.Duration
		want int64
	}{{0, 1}, {time.Hour, 3}, {23 * time.Hour, 3}, {24 * time.Hour, 2}, {25 * time.Hour, 0}, {100 * time.Hour, 0}} {
		if got := s.LateLast24h(t0.Add(tc.at)); got != tc.want {
			t.Errorf("%s later: %d late in the last 24h, want %d", tc.at, got, tc.want)
		}
	}
	if s.Late != 3 || s.MaxLateness != time.Minute {
		t.Errorf("late %d, max %s", s.Late, s.MaxLateness)
	}
	// A day and a half later the old hours are forgotten.
	s.addLate(t0.Add(36*time.Hour), time.Second)
	if got := s.LateLast24h(t0.Add(36 * time.Hour)); got != 1 {
		t.Errorf("after a day and a half: %d, want 1", got)
	}
	if s.Late != 4 {
		t.Errorf("late %d in total, want 4", s.Late)
	}
}
