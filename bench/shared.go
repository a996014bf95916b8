package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slackaudit/auditlogs"
	"github.com/slackaudit/auditlogs/auditlogstest"
)

// The shared-budget scenario: Slack counts Tier 3 per organization, so two
// collectors of one organization (a second collector, a vendor's SIEM
// connector) share one budget while each paces itself for the whole of it.
// Here two clients, each with its limiter at the full Tier 3 rate, page
// through the same corpus at the same time on one fake Tier 3 bucket (the
// scaled-down one of tier3.go); and, for comparison, one client alone.

// Targets of the scenario (issue 11).
const (
	sharedMax429  = 0.03 // at most this share of the calls answered 429, two clients together
	sharedMaxOver = 0.25 // two clients finish within 25% of the minimum the shared budget allows
	aloneMaxOver  = 0.05 // one alone within 5% of its minimum, with no 429
	// sharedStagger is how long after the first client the second one
	// starts: a second collector joining one already running.
	sharedStagger = 5 * time.Second // the default of -shared-stagger
	// sharedPer is the scenario's time scale: tier3Calls calls per
	// sharedPer. Less compressed than tier3Per, since Slack's Retry-After
	// is whole seconds (at least 1) whatever the scale: at 50 calls a
	// second, one 429 would cost 50 calls of the budget, at 50 per 10
	// seconds it costs 5 (at Slack's 50 a minute, about 1 a second).
	sharedPer = 10 * time.Second
)

// sharedResult is one run of the scenario.
type sharedResult struct {
	Clients    int
	PagesEach  int
	Seconds    float64 // until the last client is done
	MinSeconds float64 // the least the budget allows for all the calls: the burst at once, then one per interval
	Calls      int64   // /logs requests the server received, 429s included
	Status429  int64
	Each       []float64 // seconds each client took
	Each429    []int64   // 429 answers each client got
}

// count429 is a transport that counts the 429 answers one client gets.
type count429 struct {
	rt http.RoundTripper
	n  *atomic.Int64
}

func (c count429) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.rt.RoundTrip(req)
	if err == nil && resp.StatusCode == http.StatusTooManyRequests {
		c.n.Add(1)
	}
	return resp, err
}

func (r sharedResult) over() float64 { return r.Seconds/r.MinSeconds - 1 }

func (r sharedResult) share429() float64 { return float64(r.Status429) / float64(r.Calls) }

// runShared runs clients clients, each paging through pages pages of
// tier3Limit entries, on one fake Tier 3 bucket.
func runShared(ctx context.Context, clients, pages int, stagger time.Duration, seed int64) (sharedResult, error) {
	res := sharedResult{Clients: clients, PagesEach: pages, Each: make([]float64, clients), Each429: make([]int64, clients)}
	counts := make([]atomic.Int64, clients)
	srv := auditlogstest.NewServer(
		auditlogstest.WithSynthetic(pages*tier3Limit, seed),
		auditlogstest.WithRateLimit(tier3Calls, sharedPer, tier3Burst))
	defer srv.Close()
	perMinute := int(tier3Calls * time.Minute / sharedPer) // each believes the whole budget is its own
	errs := make([]error, clients)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range clients {
		wg.Go(func() {
			if i > 0 && stagger > 0 {
				time.Sleep(time.Duration(i) * stagger)
			}
			hc := &http.Client{Transport: count429{http.DefaultTransport.(*http.Transport).Clone(), &counts[i]}}
			c, err := auditlogs.New(auditlogstest.DefaultToken, auditlogs.WithHTTPClient(hc),
				auditlogs.WithBaseURL(srv.URL), auditlogs.WithRateLimit(perMinute, tier3Burst))
			if err != nil {
				errs[i] = err
				return
			}
			got := 0
			for p, err := range c.Pages(ctx, auditlogs.LogsParams{Limit: tier3Limit}) {
				if err != nil {
					errs[i] = err
					return
				}
				got += len(p.Entries)
			}
			res.Each[i] = time.Since(start).Seconds()
			if got != pages*tier3Limit {
				errs[i] = fmt.Errorf("client %d got %d entries, want %d", i, got, pages*tier3Limit)
			}
		})
	}
	wg.Wait()
	res.Seconds = time.Since(start).Seconds()
	for _, err := range errs {
		if err != nil {
			return res, err
		}
	}
	for i := range counts {
		res.Each429[i] = counts[i].Load()
	}
	st := srv.Stats()
	res.Calls, res.Status429 = st.LogsRequests, st.RateLimited
	rate := float64(tier3Calls) / sharedPer.Seconds()
	res.MinSeconds = float64(max(clients*pages-tier3Burst, 0)) / rate
	return res, nil
}

// runSharedScenario runs the scenario runs times, alone and shared, and
// writes its report; it reports whether every target was met (by the
// medians).
func runSharedScenario(ctx context.Context, w io.Writer, pages, runs int, stagger time.Duration, seed int64) (bool, error) {
	var alone, shared []sharedResult
	for i := range runs {
		a, err := runShared(ctx, 1, pages, 0, seed+int64(i))
		if err != nil {
			return false, fmt.Errorf("alone: %w", err)
		}
		s, err := runShared(ctx, 2, pages, stagger, seed+int64(i))
		if err != nil {
			return false, fmt.Errorf("shared: %w", err)
		}
		alone, shared = append(alone, a), append(shared, s)
	}
	pick := func(rs []sharedResult, f func(sharedResult) float64) []float64 {
		out := make([]float64, len(rs))
		for i, r := range rs {
			out[i] = f(r)
		}
		return out
	}
	aloneOver := median(pick(alone, sharedResult.over))
	var alone429 int64
	for _, a := range alone {
		alone429 += a.Status429
	}
	sharedOver := median(pick(shared, sharedResult.over))
	shared429 := median(pick(shared, sharedResult.share429))
	ok := aloneOver <= aloneMaxOver && alone429 == 0 && sharedOver <= sharedMaxOver && shared429 <= sharedMax429

	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	p("## Shared Tier 3 budget: two clients, one bucket\n\n")
	p("Server: `auditlogstest.WithRateLimit(%d, %d, %s)`. Each client: `auditlogs.WithRateLimit(%d, %d)`, the whole budget, "+
		"paging through %d pages of %d entries; two, the second starting %s after the first, or one alone. "+
		"Minimum = (all calls − burst) / rate. %d runs, medians.\n\n",
		tier3Calls, tier3Burst, sharedPer, int(tier3Calls*time.Minute/sharedPer), tier3Burst, pages, tier3Limit, stagger, runs)
	p("| target | result | verdict |\n|---|---|---|\n")
	p("| alone: within %.0f%% of the minimum | %+.1f%% (runs: %s) | %s |\n", 100*aloneMaxOver, 100*aloneOver,
		fmtList(scalePct(pick(alone, sharedResult.over)), "%+.1f%%"), verdict(aloneOver <= aloneMaxOver))
	p("| alone: no 429 | %d over %d runs | %s |\n", alone429, runs, verdict(alone429 == 0))
	p("| two clients: within %.0f%% of the minimum | %+.1f%% (runs: %s) | %s |\n", 100*sharedMaxOver, 100*sharedOver,
		fmtList(scalePct(pick(shared, sharedResult.over)), "%+.1f%%"), verdict(sharedOver <= sharedMaxOver))
	p("| two clients: at most %.0f%% of calls 429 | %.1f%% (runs: %s) | %s |\n\n", 100*sharedMax429, 100*shared429,
		fmtList(scalePct(pick(shared, sharedResult.share429)), "%.1f%%"), verdict(shared429 <= sharedMax429))
	p("| run | clients | total s | minimum s | over | calls | 429 | each client: s (429s) |\n|---:|---:|---:|---:|---:|---:|---:|---|\n")
	for i := range runs {
		for _, r := range []sharedResult{alone[i], shared[i]} {
			each := make([]string, len(r.Each))
			for j := range each {
				each[j] = fmt.Sprintf("%.3f (%d)", r.Each[j], r.Each429[j])
			}
			p("| %d | %d | %.3f | %.3f | %+.1f%% | %d | %d | %s |\n", i+1, r.Clients, r.Seconds, r.MinSeconds, 100*r.over(),
				r.Calls, r.Status429, strings.Join(each, ", "))
		}
	}
	p("\n")
	return ok, nil
}
