package auditlogs_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/slackaudit/auditlogs"
	"github.com/slackaudit/auditlogs/auditlogstest"
)

// demoClient returns a client for a fake Slack holding a few synthetic
// entries; the examples run against it.
func demoClient() (*auditlogs.Client, func()) {
	srv := auditlogstest.NewServer(auditlogstest.WithSynthetic(25, 1))
	c, err := auditlogs.New(auditlogstest.DefaultToken, auditlogs.WithBaseURL(srv.URL))
	if err != nil {
		log.Fatal(err)
	}
	return c, srv.Close
}

func ExampleNew() {
	c, err := auditlogs.New("xoxp-your-token",
		auditlogs.WithRetryMax(6),
		auditlogs.WithRateLimit(25, 2), // half the Tier 3 budget: another collector shares the org
		auditlogs.WithUserAgent("", "siem-bridge/1.4"),
	)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c)
	// Output: auditlogs.Client{baseURL: "https://api.slack.com/audit/v1/"}
}

func ExampleClient_AllLogs() {
	c, done := demoClient()
	defer done()

	logins := 0
	for e, err := range c.AllLogs(context.Background(), auditlogs.LogsParams{Limit: 10}) {
		if err != nil {
			log.Fatal(err)
		}
		if e.Action == "user_login" {
			logins++
		}
		_ = e.Raw() // the exact JSON Slack sent: store this in your SIEM
	}
	fmt.Println(logins > 0)
	// Output: true
}

// Checkpoint after each page and resume from the saved cursor, with the
// same filters, after a restart.
func ExampleClient_Pages() {
	c, done := demoClient()
	defer done()
	ctx := context.Background()
	params := auditlogs.LogsParams{Limit: 10, Oldest: time.Unix(1_700_000_000, 0)}

	var checkpoint string // in real life: a file or a database row
	seen := 0
	for page, err := range c.Pages(ctx, params) {
		if err != nil {
			log.Fatal(err)
		}
		seen += len(page.Entries) // handle the entries first...
		checkpoint = page.NextCursor
		break // ...then save the cursor; here the process "stops" after one page
	}

	resumed := params
	resumed.Cursor = checkpoint
	for e, err := range c.AllLogs(ctx, resumed) {
		if err != nil {
			log.Fatal(err)
		}
		_ = e
		seen++
	}
	fmt.Println(seen)
	// Output: 25
}

func ExampleAPIError() {
	c, done := demoClient()
	defer done()
	bad, _ := auditlogs.New("xoxp-wrong", auditlogs.WithBaseURL(c.BaseURL()))

	_, err := bad.Logs(context.Background(), auditlogs.LogsParams{})
	var apiErr *auditlogs.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Code)
	}
	switch {
	case errors.Is(err, auditlogs.ErrUnauthorized):
		fmt.Println("check the token")
	case errors.Is(err, auditlogs.ErrRateLimited):
		fmt.Println("retry after", apiErr.RetryAfter)
	}
	// Output:
	// 401 invalid_auth
	// check the token
}

// Lookup reaches what the typed view does not know: here a details field
// the spec lacks, and an entity's payload whatever its type.
func ExampleEntry_Lookup() {
	var e auditlogs.Entry
	raw := `{"id":"a1","action":"x_new_action","entity":{"type":"gizmo","gizmo":{"id":"G1"}},"details":{"x_new_field":[1,2]}}`
	if err := e.UnmarshalJSON([]byte(raw)); err != nil {
		log.Fatal(err)
	}
	v, ok := e.Lookup("details", "x_new_field")
	fmt.Println(string(v), ok)
	payload, _ := e.Lookup("entity", e.Entity.Type)
	fmt.Println(string(payload))
	_, ok = e.Lookup("details", "missing")
	fmt.Println(ok)
	// Output:
	// [1,2] true
	// {"id":"G1"}
	// false
}
