package auditlogs

import (
	"math"
	"testing"
	"time"
)

// TestBackoffSaturates: for every attempt from 0 to 100, the backoff is a
// random wait between zero and min(max, min*2^attempt), computed here in
// floating point: the doubling saturates at max, never overflowing into
// back-to-back retries (issue 16, row 18: WithRetryWait(5s, 10m) with 32
// or more retries).
func TestBackoffSaturates(t *testing.T) {
	tests := []struct{ waitMin, waitMax time.Duration }{
		{5 * time.Second, 10 * time.Minute},
		{DefaultRetryWaitMin, DefaultRetryWaitMax},
		{time.Nanosecond, time.Duration(math.MaxInt64)},
		{time.Hour, time.Duration(math.MaxInt64)},
		{time.Duration(math.MaxInt64 / 3), time.Duration(math.MaxInt64)},
		{time.Millisecond, time.Millisecond},
		{0, time.Second},
	}
	for _, tt := range tests {
		p := &retryPolicy{waitMin: tt.waitMin, waitMax: tt.waitMax, now: time.Now}
		for attempt := 0; attempt <= 100; attempt++ {
			want := tt.waitMax
			if f := float64(tt.waitMin) * math.Pow(2, float64(attempt)); f < float64(tt.waitMax) {
				want = time.Duration(f)
			}
			var most time.Duration
			for range 64 {
				d := p.backoff(tt.waitMin, tt.waitMax, attempt, nil)
				if d < 0 || d > want {
					t.Fatalf("WithRetryWait(%s, %s), attempt %d: backoff %s, want within [0, %s]", tt.waitMin, tt.waitMax, attempt, d, want)
				}
				most = max(most, d)
			}
			// 64 uniform draws all under a quarter of the ceiling: 4^-64.
			if most < want/4 {
				t.Fatalf("WithRetryWait(%s, %s), attempt %d: the longest of 64 backoffs is %s, want near %s", tt.waitMin, tt.waitMax, attempt, most, want)
			}
		}
	}
}
