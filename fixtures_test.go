package auditlogs

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	jsonv2 "github.com/go-json-experiment/json"

	"github.com/slackaudit/auditlogs/gen"
)

// fixtureEntries reads the entries of the /logs bodies in api/testdata/logs,
// which hold every shape the fact sheet documents (the tools module checks
// them against the spec), by id.
func fixtureEntries(t *testing.T) map[string]json.RawMessage {
	t.Helper()
	paths, err := filepath.Glob("api/testdata/logs/*.json")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixtures (%v)", err)
	}
	out := map[string]json.RawMessage{}
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
		for _, raw := range page.Entries {
			var id struct {
				ID string `json:"id"`
			}
			if err := json.Unmarshal(raw, &id); err != nil || id.ID == "" || out[id.ID] != nil {
				t.Fatalf("%s: an entry without an id of its own (%v): %s", p, err, raw)
			}
			out[id.ID] = raw
		}
	}
	return out
}

// TestFixturesDecode: both decoders read every fixture entry, strictly (no
// member of an unexpected type), and agree; the fast one does not give up on
// any of them, so these shapes stay on the fast path.
func TestFixturesDecode(t *testing.T) {
	for id, raw := range fixtureEntries(t) {
		var fast, general gen.AuditEntry
		if !newFastDecoder().decode(raw, &fast) {
			t.Errorf("%s: the fast decoder gave up", id)
		}
		if err := jsonv2.Unmarshal(raw, &general, strictOptions); err != nil {
			t.Errorf("%s: the general decoder refuses it: %v", id, err)
		}
		if !reflect.DeepEqual(fast, general) {
			t.Errorf("%s: the decoders differ:\nfast    %+v\ngeneral %+v", id, fast, general)
		}
		var e Entry
		if err := e.UnmarshalJSON(raw); err != nil {
			t.Errorf("%s: %v", id, err)
		}
		if !bytes.Equal(e.Raw(), raw) {
			t.Errorf("%s: Raw is not what was sent", id)
		}
	}
}

// TestNullIsMissing: in the typed view, a member sent as null reads as the
// same member left out, in both decoders; for session_id, which real
// entries send as null, and for the other typed members too. (Free-form
// members, json.RawMessage, keep a null as the bytes "null": see
// TestFreeFormKeepsNull.)
func TestNullIsMissing(t *testing.T) {
	entries := fixtureEntries(t)
	cases := []struct {
		name string
		id   string   // the fixture entry
		path []string // the member set to null, then removed
		zero bool     // the fixture has it null or "": removing it changes nothing
	}{
		{"session_id, null in the fixture", "a1b2c3d4-0001-4e5f-8a9b-0c1d2e3f4a01", []string{"context", "session_id"}, true},
		{"session_id, a number in the fixture", "a1b2c3d4-0003-4e5f-8a9b-0c1d2e3f4a03", []string{"context", "session_id"}, false},
		{"session_id, a string in the fixture", "a1b2c3d4-0004-4e5f-8a9b-0c1d2e3f4a04", []string{"context", "session_id"}, false},
		{"ua", "a1b2c3d4-0004-4e5f-8a9b-0c1d2e3f4a04", []string{"context", "ua"}, false},
		{"ip_address", "a1b2c3d4-0004-4e5f-8a9b-0c1d2e3f4a04", []string{"context", "ip_address"}, false},
		{"action_timestamp", "b2c3d4e5-0001-4f60-9a0b-1c2d3e4f5b01", []string{"details", "action_timestamp"}, false},
		{"reason", "b2c3d4e5-0001-4f60-9a0b-1c2d3e4f5b01", []string{"details", "reason"}, false},
		{"ip_address_details", "b2c3d4e5-0001-4f60-9a0b-1c2d3e4f5b01", []string{"details", "ip_address_details"}, false},
		{"detected_client", "b2c3d4e5-0002-4f60-9a0b-1c2d3e4f5b02", []string{"details", "detected_client"}, false},
		{"detected_os, empty in the fixture", "b2c3d4e5-0002-4f60-9a0b-1c2d3e4f5b02", []string{"details", "detected_os"}, true},
		{"new_value", "d4e5f607-0003-4b82-9c2d-3e4f5a6b7d03", []string{"details", "new_value"}, false},
		{"succeeded_users", "d4e5f607-0002-4b82-9c2d-3e4f5a6b7d02", []string{"details", "succeeded_users"}, false},
		{"agent_message", "c3d4e5f6-0002-4a71-8b1c-2d3e4f5a6c02", []string{"context", "agent_message"}, false},
		{"details", "b2c3d4e5-0001-4f60-9a0b-1c2d3e4f5b01", []string{"details"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			raw := entries[c.id]
			if raw == nil {
				t.Fatalf("no fixture entry %s", c.id)
			}
			withNull := editMember(t, raw, c.path, true)
			without := editMember(t, raw, c.path, false)
			for _, dec := range []struct {
				name   string
				decode func([]byte) (gen.AuditEntry, bool)
			}{
				{"fast", func(b []byte) (v gen.AuditEntry, ok bool) { return v, newFastDecoder().decode(b, &v) }},
				{"general", func(b []byte) (v gen.AuditEntry, ok bool) { return v, jsonv2.Unmarshal(b, &v, strictOptions) == nil }},
			} {
				a, okA := dec.decode(withNull)
				b, okB := dec.decode(without)
				if !okA || !okB {
					t.Fatalf("%s decoder: null decodes %v, missing decodes %v", dec.name, okA, okB)
				}
				if !reflect.DeepEqual(a, b) {
					t.Errorf("%s decoder: null and missing differ:\nnull    %+v\nmissing %+v", dec.name, a, b)
				}
			}
			if !c.zero && reflect.DeepEqual(decodeFast(t, raw), decodeFast(t, without)) {
				t.Errorf("removing %v changes nothing: the case tests nothing", c.path)
			}
		})
	}
}

// TestFreeFormKeepsNull: a free-form member (json.RawMessage) keeps a null
// as it came, the bytes "null", in both decoders; a missing one is empty.
func TestFreeFormKeepsNull(t *testing.T) {
	raw := fixtureEntries(t)["b2c3d4e5-0004-4f60-9a0b-1c2d3e4f5b04"]
	for name, b := range map[string][]byte{
		"null":    editMember(t, raw, []string{"details", "user_agent_change_details"}, true),
		"missing": editMember(t, raw, []string{"details", "user_agent_change_details"}, false),
	} {
		fast := decodeFast(t, b)
		var general gen.AuditEntry
		if err := jsonv2.Unmarshal(b, &general, strictOptions); err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"null": "null", "missing": ""}[name]
		for dec, v := range map[string]gen.AuditEntry{"fast": fast, "general": general} {
			if got := string(v.Details.UserAgentChangeDetails); got != want {
				t.Errorf("%s decoder, %s: user_agent_change_details = %q, want %q", dec, name, got, want)
			}
		}
	}
}

func decodeFast(t *testing.T, raw []byte) gen.AuditEntry {
	t.Helper()
	var v gen.AuditEntry
	if !newFastDecoder().decode(raw, &v) {
		t.Fatalf("the fast decoder gave up on %s", raw)
	}
	return v
}

// editMember returns raw with the member at path set to null (toNull) or
// removed, the rest re-encoded.
func editMember(t *testing.T, raw []byte, path []string, toNull bool) []byte {
	t.Helper()
	var root map[string]any
	if err := json.Unmarshal(raw, &root); err != nil {
		t.Fatal(err)
	}
	m := root
	for _, k := range path[:len(path)-1] {
		m = m[k].(map[string]any)
	}
	k := path[len(path)-1]
	if _, ok := m[k]; !ok {
		t.Fatalf("no member %v", path)
	}
	if toNull {
		m[k] = nil
	} else {
		delete(m, k)
	}
	out, err := json.Marshal(root)
	if err != nil {
		t.Fatal(err)
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
		check         func(t *testing.T, e *Entry)
	}
	cases := []struct {
		name string
		id   string
		want want
	}{
		{"session_id null", "a1b2c3d4-0001-4e5f-8a9b-0c1d2e3f4a01", want{sessionZero: true, ua: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", ip: "198.51.100.20", actorID: "W0AB12CD3"}},
		{"Slack's own event: null session, empty ua and ip", "a1b2c3d4-0002-4e5f-8a9b-0c1d2e3f4a02", want{sessionZero: true, actorID: "USLACKUSER", check: func(t *testing.T, e *Entry) {
			if d := e.Details; d == nil || d.PreviousIPAddress != "" || d.PreviousUA != "" {
				t.Errorf("details = %+v", d)
			}
		}}},
		{"session_id a number; empty filetype and title", "a1b2c3d4-0003-4e5f-8a9b-0c1d2e3f4a03", want{sessionNumber: true, session: "5123456789012", ua: "Slack/4.41.105 (darwin)", ip: "2001:db8:4f::17", actorID: "W0AB12CD3", check: func(t *testing.T, e *Entry) {
			if f := e.Entity.File; f == nil || f.ID != "F0FIX0001" || f.Filetype != "" || f.Title != "" {
				t.Errorf("file = %+v", f)
			}
		}}},
		{"session_id a string", "a1b2c3d4-0004-4e5f-8a9b-0c1d2e3f4a04", want{session: "847288190092", ua: "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15", ip: "203.0.113.41", actorID: "W0CD34EF5"}},
		{"session_id missing", "a1b2c3d4-0005-4e5f-8a9b-0c1d2e3f4a05", want{sessionZero: true, ua: "Slack/4.41.105 (win32)", ip: "192.0.2.77", actorID: "W0CD34EF5"}},
		{"anomaly in microseconds", "b2c3d4e5-0001-4f60-9a0b-1c2d3e4f5b01", want{sessionNumber: true, session: "6234567890123", ua: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", ip: "203.0.113.200", tsDigits: 16, reason: []string{"ip_address"}, ipDetails: []string{"new-asn", "in-ioc-list"}, actorID: "W0EF56GH7", check: func(t *testing.T, e *Entry) {
			if n, _ := e.Details.ActionTimestamp.Int64(); n/1_000_000 < e.DateCreate-3600 || n/1_000_000 > e.DateCreate {
				t.Errorf("action_timestamp %d µs is not within the hour before date_create %d s", n, e.DateCreate)
			}
			if e.Details.Location != "Tokyo, JP" {
				t.Errorf("location = %q", e.Details.Location)
			}
		}}},
		{"anomaly in milliseconds, unexpected client", "b2c3d4e5-0002-4f60-9a0b-1c2d3e4f5b02", want{session: "6234567890124", ua: "curl/8.5.0", ip: "203.0.113.201", tsDigits: 13, reason: []string{"unexpected_client", "asn"}, ipDetails: []string{"cloud-asn"}, actorID: "W0EF56GH7", check: func(t *testing.T, e *Entry) {
			if n, _ := e.Details.ActionTimestamp.Int64(); n/1000 < e.DateCreate-3600 || n/1000 > e.DateCreate {
				t.Errorf("action_timestamp %d ms is not within the hour before date_create %d s", n, e.DateCreate)
			}
			if d := e.Details; d.DetectedClient != "curl" || d.DetectedOS != "" || d.PreviousIPAddress != "" || d.PreviousUA != "" {
				t.Errorf("details = %+v", d)
			}
		}}},
		{"anomaly with an API method", "b2c3d4e5-0003-4f60-9a0b-1c2d3e4f5b03", want{sessionNumber: true, session: "6234567890125", ua: "Slack-API-Client/2.0", ip: "192.0.2.150", tsDigits: 16, reason: []string{"unexpected_api_call_volume"}, actorID: "W0GH78IJ9", check: func(t *testing.T, e *Entry) {
			if e.Details.APICallMethod != "conversations.history" {
				t.Errorf("api_call_method = %q", e.Details.APICallMethod)
			}
		}}},
		{"anomaly with user agent changes and a reason not known yet", "b2c3d4e5-0004-4f60-9a0b-1c2d3e4f5b04", want{sessionNumber: true, session: "6234567890126", ua: "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", ip: "192.0.2.151", tsDigits: 13, reason: []string{"user_agent", "session_fingerprint", "a_reason_not_known_yet"}, actorID: "W0GH78IJ9", check: func(t *testing.T, e *Entry) {
			if got := string(e.Details.UserAgentChangeDetails); got != `["browser", "os"]` {
				t.Errorf("user_agent_change_details = %s", got)
			}
		}}},
		{"USLACKSECURITY, reason a string", "c3d4e5f6-0001-4a71-8b1c-2d3e4f5a6c01", want{sessionZero: true, reason: []string{"credentials found in a public leak"}, actorID: "USLACKSECURITY"}},
		{"Slackbot acting for a user", "c3d4e5f6-0002-4a71-8b1c-2d3e4f5a6c02", want{sessionNumber: true, session: "7345678901234", ua: "Slack/4.41.105 (darwin)", ip: "198.51.100.61", actorID: "W0IJ90KL1", check: func(t *testing.T, e *Entry) {
			if e.Context.ActingAgent != "Slackbot" || e.Context.AgentMessage == nil || e.Context.AgentMessage.ChannelID != "D0FIX0001" {
				t.Errorf("context = %+v", e.Context)
			}
		}}},
		{"USLACKBOT", "c3d4e5f6-0003-4a71-8b1c-2d3e4f5a6c03", want{sessionZero: true, actorID: "USLACKBOT"}},
		{"unknown entity type and fields", "0123a45b-6c7d-8900-e12f-3456789gh0i1", want{sessionNumber: true, session: "8456789012345", ua: "Slack-API-Client/2.0", ip: "198.51.100.88", actorID: "W0MN34OP5", check: func(t *testing.T, e *Entry) {
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
			raw := entries[c.id]
			if raw == nil {
				t.Fatalf("no fixture entry %s", c.id)
			}
			var e Entry
			if err := e.UnmarshalJSON(raw); err != nil {
				t.Fatal(err)
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
			var d Details
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
