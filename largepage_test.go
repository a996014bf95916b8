package auditlogs

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/slackaudit/auditlogs/auditlogstest"
)

// TestLargePageOfUnknownSize: a gzip page of unknown length larger than
// the size from which storage grows in chunks (16 MiB) reads whole in every
// way of reading /logs, its chunks joined in order.
func TestLargePageOfUnknownSize(t *testing.T) {
	// 200 entries, one of them with a 17 MiB string in the middle.
	entries := auditlogstest.Synthetic(200, 1)
	entries[100] = json.RawMessage(`{"id":"big","action":"x","details":{"note":"` + strings.Repeat("n", 17<<20) + `"}}`)
	body := auditlogstest.LogsBody(entries, "")
	const want = 200
	srv := httptest.NewServer(&scripted{answers: []answer{{status: http.StatusOK, encoding: "gzip", body: gz(t, body), chunked: true}}})
	defer srv.Close()
	c := testClient(t, srv.URL)
	ctx := context.Background()
	page, err := c.Logs(ctx, LogsParams{})
	if err != nil || len(page.Entries) != want || string(page.Raw()) != string(body) {
		t.Fatalf("Logs: %v, want the page whole", err)
	}
	n := 0
	for rp, err := range c.RawPages(ctx, LogsParams{}) {
		if err != nil {
			t.Fatal(err)
		}
		n += len(rp.Entries)
		break
	}
	for _, err := range c.AllLogs(ctx, LogsParams{}) {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 2*want {
			break
		}
	}
	if n != 2*want {
		t.Errorf("%d entries from RawPages and AllLogs, want %d each", n, want)
	}
}
