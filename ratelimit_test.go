package auditlogs

import (
	"context"
	"testing"
	"time"

	"github.com/slackaudit/auditlogs/auditlogstest"
)

// TestClientSlowsDownOn429: the client tells its limiter of every 429 it
// gets, and of nothing else.
func TestClientSlowsDownOn429(t *testing.T) {
	for _, tt := range []struct {
		name   string
		faults auditlogstest.Faults
		lo, hi float64 // the rate the limiter allows after the call
	}{
		{"a 429 halves the rate", auditlogstest.Faults{RateLimited: 1, RetryAfter: -1, FirstN: 1}, 0.5, 0.6},
		{"a 5xx is not the budget", auditlogstest.Faults{ServerError: 1, FirstN: 1}, 1, 1},
	} {
		srv := auditlogstest.NewServer(auditlogstest.WithSynthetic(30, 1), auditlogstest.WithFaults(tt.faults))
		c, err := New(auditlogstest.DefaultToken, WithBaseURL(srv.URL), WithRateLimit(6000, 5), WithRetryWait(0, time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Logs(context.Background(), LogsParams{}); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if r := c.limiter.Rate(); r < tt.lo || r > tt.hi {
			t.Errorf("%s: rate after the call = %v, want %v to %v", tt.name, r, tt.lo, tt.hi)
		}
		if st := srv.Stats(); st.Requests < 2 {
			t.Errorf("%s: %d requests: the fault was not served", tt.name, st.Requests)
		}
		srv.Close()
	}
}
