package auditlogs_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/slackaudit/auditlogs"
	"github.com/slackaudit/auditlogs/auditlogstest"
)

// The README's example: the logins of the last day, with who and from
// where. It runs against a fake Slack whose events end a minute ago (the
// live clock); against Slack, build the client with
// auditlogs.New(os.Getenv("SLACK_AUDIT_TOKEN")) alone.
func Example() {
	srv := auditlogstest.NewServer(auditlogstest.WithSynthetic(2000, 1), auditlogstest.WithLive(nil, time.Minute, time.Hour))
	defer srv.Close()
	ctx := context.Background()

	c, err := auditlogs.New(auditlogstest.DefaultToken, auditlogs.WithBaseURL(srv.URL))
	if err != nil {
		log.Fatal(err)
	}
	n := 0
	for e, err := range c.AllLogs(ctx, auditlogs.LogsParams{Action: "user_login", Oldest: time.Now().Add(-24 * time.Hour)}) {
		if err != nil {
			log.Fatal(err)
		}
		who := e.Actor.Type // not every actor is a user: check before reading User
		if u := e.Actor.User; u != nil {
			who = u.Email
		}
		if n < 3 {
			fmt.Println(e.Action, who, e.Context.IPAddress) // and e.Time(); e.Raw() holds the exact bytes Slack sent
		}
		n++
	}
	fmt.Println(n > 3)
	// Output:
	// user_login wanjiru.juarez@acmecorp.example 192.0.2.215
	// user_login liam.vargas@acmecorp.example 203.0.113.118
	// user_login priya.patel@acmecorp.example 203.0.113.118
	// true
}

// TestREADMEQuotesExample: the README's library example is Example's body,
// so that what the README shows is what go test runs.
func TestREADMEQuotesExample(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(readme), "This is the package's\n`Example`")
	if !ok {
		t.Fatal("README.md does not introduce the example")
	}
	_, after, _ = strings.Cut(after, "```go\n")
	quoted, _, _ := strings.Cut(after, "```\n")

	src, err := os.ReadFile("example_readme_test.go")
	if err != nil {
		t.Fatal(err)
	}
	_, body, _ := strings.Cut(string(src), "func Example() {\n")
	body, _, _ = strings.Cut(body, "\n}\n")
	var want strings.Builder
	for line := range strings.SplitSeq(body, "\n") {
		want.WriteString(strings.TrimPrefix(line, "\t") + "\n")
	}
	if quoted != want.String() {
		t.Errorf("README.md's example differs from Example:\n%s\nwant\n%s", quoted, want.String())
	}
}
