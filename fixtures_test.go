package auditlogs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/slackaudit/auditlogs"
	"github.com/slackaudit/auditlogs/auditlogstest"
)

// fixtureEntries pages through a fake serving the entries of the /logs
// bodies in api/testdata/logs, which hold every shape the fact sheet
// documents (the tools module checks them against the spec), and returns
// what AllLogs yields, by id.
func fixtureEntries(t *testing.T) map[string]auditlogs.Entry {
	t.Helper()
	paths, err := filepath.Glob("api/testdata/logs/*.json")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixtures (%v)", err)
	}
	var raws []json.RawMessage
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var page struct {
			Entries []json.RawMessage `json:"entries"`
		}
		if err := json.Unmarshal(b, &page); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		raws = append(raws, page.Entries...)
	}
	srv := auditlogstest.NewServer(auditlogstest.WithEntries(raws))
	defer srv.Close()
	c, err := auditlogs.New(auditlogstest.DefaultToken, auditlogs.WithBaseURL(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]auditlogs.Entry{}
	for e, err := range c.AllLogs(context.Background(), auditlogs.LogsParams{Limit: 7}) {
		if err != nil {
			t.Fatal(err)
		}
		if _, dup := out[e.ID]; dup || e.ID == "" {
			t.Fatalf("an entry without an id of its own: %s", e.Raw())
		}
		out[e.ID] = e
	}
	if len(out) != len(raws) {
		t.Fatalf("AllLogs yielded %d of the %d fixture entries", len(out), len(raws))
	}
	return out
}

// TestFixtureShapes: what the typed view gives for each shape of the
// fixtures.
func TestFixtureShapes(t *testing.T) {
	entries := fixtureEntries(t)
	type want struct {
		sessionZero   bool
		sessionNumber bool
		session       string
		ua, ip        string
		tsDigits      int // action_timestamp
		reason        []string
		ipDetails     []string
		actorID       string
		check         func(t *testing.T, e *auditlogs.Entry)
	}
	cases := []struct {
		name string
		id   string
		want want
	}{
		{"session_id null", "a1b2c3d4-0001-4e5f-8a9b-0c1d2e3f4a01", want{sessionZero: true, ua: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", ip: "198.51.100.20", actorID: "W0AB12CD3"}},
		{"Slack's own event: null session, empty ua and ip", "a1b2c3d4-0002-4e5f-8a9b-0c1d2e3f4a02", want{sessionZero: true, actorID: "USLACKUSER", check: func(t *testing.T, e *auditlogs.Entry) {
			if d := e.Details; d == nil || d.PreviousIPAddress != "" || d.PreviousUA != "" {
				t.Errorf("details = %+v", d)
			}
		}}},
		{"session_id a number; empty filetype and title", "a1b2c3d4-0003-4e5f-8a9b-0c1d2e3f4a03", want{sessionNumber: true, session: "5123456789012", ua: "Slack/4.41.105 (darwin)", ip: "2001:db8:4f::17", actorID: "W0AB12CD3", check: func(t *testing.T, e *auditlogs.Entry) {
			if f := e.Entity.File; f == nil || f.ID != "F0FIX0001" || f.Filetype != "" || f.Title != "" {
				t.Errorf("file = %+v", f)
			}
		}}},
		{"session_id a string", "a1b2c3d4-0004-4e5f-8a9b-0c1d2e3f4a04", want{session: "847288190092", ua: "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15", ip: "203.0.113.41", actorID: "W0CD34EF5"}},
		{"session_id missing", "a1b2c3d4-0005-4e5f-8a9b-0c1d2e3f4a05", want{sessionZero: true, ua: "Slack/4.41.105 (win32)", ip: "192.0.2.77", actorID: "W0CD34EF5"}},
		{"anomaly in microseconds", "b2c3d4e5-0001-4f60-9a0b-1c2d3e4f5b01", want{sessionNumber: true, session: "6234567890123", ua: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", ip: "203.0.113.200", tsDigits: 16, reason: []string{"ip_address"}, ipDetails: []string{"new-asn", "in-ioc-list"}, actorID: "W0EF56GH7", check: func(t *testing.T, e *auditlogs.Entry) {
			if n, _ := e.Details.ActionTimestamp.Int64(); n/1_000_000 < e.DateCreate-3600 || n/1_000_000 > e.DateCreate {
				t.Errorf("action_timestamp %d µs is not within the hour before date_create %d s", n, e.DateCreate)
			}
			if e.Details.Location != "Tokyo, JP" {
				t.Errorf("location = %q", e.Details.Location)
			}
		}}},
		{"anomaly in milliseconds, unexpected client", "b2c3d4e5-0002-4f60-9a0b-1c2d3e4f5b02", want{session: "6234567890124", ua: "curl/8.5.0", ip: "203.0.113.201", tsDigits: 13, reason: []string{"unexpected_client", "asn"}, ipDetails: []string{"cloud-asn"}, actorID: "W0EF56GH7", check: func(t *testing.T, e *auditlogs.Entry) {
			if n, _ := e.Details.ActionTimestamp.Int64(); n/1000 < e.DateCreate-3600 || n/1000 > e.DateCreate {
				t.Errorf("action_timestamp %d ms is not within the hour before date_create %d s", n, e.DateCreate)
			}
			if d := e.Details; d.DetectedClient != "curl" || d.DetectedOS != "" || d.PreviousIPAddress != "" || d.PreviousUA != "" {
				t.Errorf("details = %+v", d)
			}
		}}},
		{"anomaly with an API method", "b2c3d4e5-0003-4f60-9a0b-1c2d3e4f5b03", want{sessionNumber: true, session: "6234567890125", ua: "Slack-API-Client/2.0", ip: "192.0.2.150", tsDigits: 16, reason: []string{"unexpected_api_call_volume"}, actorID: "W0GH78IJ9", check: func(t *testing.T, e *auditlogs.Entry) {
			if e.Details.APICallMethod != "conversations.history" {
				t.Errorf("api_call_method = %q", e.Details.APICallMethod)
			}
		}}},
		{"anomaly with user agent changes and a reason not known yet", "b2c3d4e5-0004-4f60-9a0b-1c2d3e4f5b04", want{sessionNumber: true, session: "6234567890126", ua: "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", ip: "192.0.2.151", tsDigits: 13, reason: []string{"user_agent", "session_fingerprint", "a_reason_not_known_yet"}, actorID: "W0GH78IJ9", check: func(t *testing.T, e *auditlogs.Entry) {
			if got := string(e.Details.UserAgentChangeDetails); got != `["browser", "os"]` {
				t.Errorf("user_agent_change_details = %s", got)
			}
		}}},
		{"USLACKSECURITY, reason a string", "c3d4e5f6-0001-4a71-8b1c-2d3e4f5a6c01", want{sessionZero: true, reason: []string{"credentials found in a public leak"}, actorID: "USLACKSECURITY"}},
		{"Slackbot acting for a user", "c3d4e5f6-0002-4a71-8b1c-2d3e4f5a6c02", want{sessionNumber: true, session: "7345678901234", ua: "Slack/4.41.105 (darwin)", ip: "198.51.100.61", actorID: "W0IJ90KL1", check: func(t *testing.T, e *auditlogs.Entry) {
			if e.Context.ActingAgent != "Slackbot" || e.Context.AgentMessage == nil || e.Context.AgentMessage.ChannelID != "D0FIX0001" {
				t.Errorf("context = %+v", e.Context)
			}
		}}},
		{"USLACKBOT", "c3d4e5f6-0003-4a71-8b1c-2d3e4f5a6c03", want{sessionZero: true, actorID: "USLACKBOT"}},
		{"unknown entity type and fields", "0123a45b-6c7d-8900-e12f-3456789gh0i1", want{sessionNumber: true, session: "8456789012345", ua: "Slack-API-Client/2.0", ip: "198.51.100.88", actorID: "W0MN34OP5", check: func(t *testing.T, e *auditlogs.Entry) {
			payload, ok := e.Lookup("entity", e.Entity.Type)
			if e.Entity.Type != "salesforce_record" || !ok || !bytes.Contains(payload, []byte(`"object_type": "Account"`)) {
				t.Errorf("entity %q, payload %s", e.Entity.Type, payload)
			}
			if v, ok := e.Lookup("details", "risk_score"); !ok || string(v) != "0.73" {
				t.Errorf("details.risk_score = %s, %v", v, ok)
			}
		}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, ok := entries[c.id]
			if !ok {
				t.Fatalf("no fixture entry %s", c.id)
			}
			w := c.want
			s := e.Context.SessionID
			if s.IsZero() != w.sessionZero || s.IsNumber() != w.sessionNumber || s.String() != w.session {
				t.Errorf("session_id: zero %v, number %v, %q; want %v, %v, %q", s.IsZero(), s.IsNumber(), s.String(), w.sessionZero, w.sessionNumber, w.session)
			}
			if e.Context.UA != w.ua || e.Context.IPAddress != w.ip {
				t.Errorf("ua %q, ip_address %q; want %q, %q", e.Context.UA, e.Context.IPAddress, w.ua, w.ip)
			}
			if e.Actor.User == nil || e.Actor.User.ID != w.actorID {
				t.Errorf("actor = %+v, want user %s", e.Actor.User, w.actorID)
			}
			var d auditlogs.Details
			if e.Details != nil {
				d = *e.Details
			}
			ts := d.ActionTimestamp
			if w.tsDigits == 0 && !ts.IsZero() || w.tsDigits > 0 && (!ts.IsNumber() || len(ts.String()) != w.tsDigits) {
				t.Errorf("action_timestamp %q (number %v), want %d digits", ts.String(), ts.IsNumber(), w.tsDigits)
			}
			if !slices.Equal(d.Reason, w.reason) || !slices.Equal(d.IPAddressDetails, w.ipDetails) {
				t.Errorf("reason %q, ip_address_details %q; want %q, %q", d.Reason, d.IPAddressDetails, w.reason, w.ipDetails)
			}
			if w.check != nil {
				w.check(t, &e)
			}
		})
	}
	if len(cases) < len(entries)*3/5 {
		t.Errorf("%d cases for %d fixture entries", len(cases), len(entries))
	}
}
