package auditlogs_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/slackaudit/auditlogs"
	"github.com/slackaudit/auditlogs/auditlogstest"
)

// actionOf reads an entry's action the slow, sure way.
func actionOf(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var e struct {
		Action string `json:"action"`
	}
	if err := json.Unmarshal(raw, &e); err != nil {
		t.Fatal(err)
	}
	return e.Action
}

func TestExcludeActions(t *testing.T) {
	srv := auditlogstest.NewServer(auditlogstest.WithSynthetic(600, 5))
	defer srv.Close()
	c, err := auditlogs.New(auditlogstest.DefaultToken, auditlogs.WithBaseURL(srv.URL), auditlogs.WithRateLimit(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	all := srv.Entries()
	exclude := []string{actionOf(t, all[0]), actionOf(t, all[1]), "no_such_action"}
	var want []string
	for _, raw := range all {
		if !slices.Contains(exclude, actionOf(t, raw)) {
			want = append(want, string(raw))
		}
	}
	if len(want) == len(all) || len(want) == 0 {
		t.Fatalf("a useless test corpus: %d of %d kept", len(want), len(all))
	}
	ctx := context.Background()
	p := auditlogs.LogsParams{Limit: 70, ExcludeActions: exclude}

	var got []string
	for e, err := range c.AllLogs(ctx, p) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(e.Raw()))
	}
	if !slices.Equal(got, want) {
		t.Errorf("AllLogs: %d entries, want %d", len(got), len(want))
	}

	got, excluded := nil, 0
	for page, err := range c.Pages(ctx, p) {
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Entries {
			got = append(got, string(e.Raw()))
		}
		excluded += page.Excluded
	}
	if !slices.Equal(got, want) || excluded != len(all)-len(want) {
		t.Errorf("Pages: %d entries and %d excluded, want %d and %d", len(got), excluded, len(want), len(all)-len(want))
	}

	got, excluded = nil, 0
	for page, err := range c.RawPages(ctx, p) {
		if err != nil {
			t.Fatal(err)
		}
		for _, raw := range page.Entries {
			got = append(got, string(raw))
		}
		excluded += page.Excluded
	}
	if !slices.Equal(got, want) || excluded != len(all)-len(want) {
		t.Errorf("RawPages: %d entries and %d excluded, want %d and %d", len(got), excluded, len(want), len(all)-len(want))
	}

	page, err := c.Logs(ctx, auditlogs.LogsParams{Limit: 600, ExcludeActions: exclude})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Entries) != len(want) || page.Excluded != len(all)-len(want) {
		t.Errorf("Logs: %d entries, %d excluded", len(page.Entries), page.Excluded)
	}
	var body struct {
		Entries []json.RawMessage `json:"entries"`
	}
	if err := json.Unmarshal(page.Raw(), &body); err != nil || len(body.Entries) != len(all) {
		t.Errorf("Page.Raw lost the excluded entries: %d of %d, %v", len(body.Entries), len(all), err)
	}

	if _, err := c.Logs(ctx, auditlogs.LogsParams{ExcludeActions: []string{"user_login", ""}}); !errors.Is(err, auditlogs.ErrInvalidParams) {
		t.Errorf("an empty excluded name: %v", err)
	}
}

// TestExcludeActionEscapes: the action is compared decoded, so an escaped
// name in the JSON is excluded too, and an entry without an action is kept.
func TestExcludeActionEscapes(t *testing.T) {
	entries := []json.RawMessage{
		json.RawMessage(`{"id":"a","date_create":3,"action":"user_\u006cogin"}`),
		json.RawMessage(`{"id":"b","date_create":2,"action":"file_downloaded"}`),
		json.RawMessage(`{"id":"c","date_create":1,"details":{"action":"user_login"}}`),
	}
	srv := auditlogstest.NewServer(auditlogstest.WithEntries(entries))
	defer srv.Close()
	c, _ := auditlogs.New(auditlogstest.DefaultToken, auditlogs.WithBaseURL(srv.URL), auditlogs.WithRateLimit(0, 0))
	page, err := c.Logs(context.Background(), auditlogs.LogsParams{ExcludeActions: []string{"user_login"}})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range page.Entries {
		ids = append(ids, e.ID)
	}
	if !slices.Equal(ids, []string{"b", "c"}) || page.Excluded != 1 {
		t.Fatalf("kept %v, excluded %d", ids, page.Excluded)
	}
}
