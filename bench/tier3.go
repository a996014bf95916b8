package main

import (
	"context"
	"fmt"
	"time"

	"github.com/slackaudit/auditlogs"
	"github.com/slackaudit/auditlogs/auditlogstest"
)

// The Tier 3 scenario, scaled down in time: Slack allows about 50 calls a
// minute with short bursts; the fake allows 50 calls per tier3Per (a
// second), in bursts of tier3Burst, and the client's limiter is set to the
// same rate (50 * time.Minute / tier3Per calls a minute, so 3000).
const (
	tier3Calls = 50
	tier3Per   = time.Second
	tier3Burst = 5
	tier3Limit = 100 // entries per page: many pages from a small corpus
)

// tier3Result is one pass of the scenario.
type tier3Result struct {
	ClientLimiter bool
	Pages         int
	Entries       int
	Seconds       float64
	// MinSeconds is the least time the server's limit allows for Pages
	// calls: the first tier3Burst at once, then one per interval.
	MinSeconds   float64
	Status429    int64 // 429 answers the server sent
	LogsRequests int64 // /logs requests the server received (429s included)
	LimiterWait  time.Duration
}

// runTier3 pages through pages pages of tier3Limit entries from a fake
// limited like Tier 3, with the client's limiter set to the same rate, or
// off.
func runTier3(ctx context.Context, pages int, clientLimiter bool, seed int64) (tier3Result, error) {
	res := tier3Result{ClientLimiter: clientLimiter}
	srv := auditlogstest.NewServer(
		auditlogstest.WithSynthetic(pages*tier3Limit, seed),
		auditlogstest.WithRateLimit(tier3Calls, tier3Per, tier3Burst))
	defer srv.Close()
	perMinute := 0 // off: only the server's 429s and Retry-After hold it back
	if clientLimiter {
		perMinute = int(tier3Calls * time.Minute / tier3Per)
	}
	c, err := auditlogs.New(auditlogstest.DefaultToken,
		auditlogs.WithBaseURL(srv.URL),
		auditlogs.WithRateLimit(perMinute, tier3Burst))
	if err != nil {
		return res, err
	}
	start := time.Now()
	for p, err := range c.Pages(ctx, auditlogs.LogsParams{Limit: tier3Limit}) {
		if err != nil {
			return res, err
		}
		res.Pages++
		res.Entries += len(p.Entries)
	}
	res.Seconds = time.Since(start).Seconds()
	if res.Pages != pages || res.Entries != pages*tier3Limit {
		return res, fmt.Errorf("got %d entries in %d pages, want %d in %d", res.Entries, res.Pages, pages*tier3Limit, pages)
	}
	st := srv.Stats()
	res.Status429, res.LogsRequests = st.RateLimited, st.LogsRequests
	res.LimiterWait = c.RateLimitWait()
	rate := float64(tier3Calls) / tier3Per.Seconds()
	res.MinSeconds = float64(max(res.Pages-tier3Burst, 0)) / rate
	return res, nil
}
