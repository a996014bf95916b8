package auditlogstest_test

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/slackaudit/auditlogs/auditlogstest"
)

func TestSyntheticIsDeterministic(t *testing.T) {
	a, b := auditlogstest.Synthetic(300, 77), auditlogstest.Synthetic(300, 77)
	equalEntries(t, a, b)
	c := auditlogstest.Synthetic(300, 78)
	if bytes.Equal(a[0], c[0]) && bytes.Equal(a[299], c[299]) {
		t.Error("different seeds give the same entries")
	}
	// What the server serves is the same corpus.
	srv := auditlogstest.NewHandler(auditlogstest.WithSynthetic(300, 77))
	equalEntries(t, srv.Entries(), a)
	if got := auditlogstest.Synthetic(0, 1); got == nil || len(got) != 0 {
		t.Errorf("Synthetic(0) = %v", got)
	}
	if got := auditlogstest.Synthetic(-3, 1); got == nil || len(got) != 0 {
		t.Errorf("Synthetic(-3) = %v", got)
	}
}

// synthetic is the shape of a synthetic entry as far as the tests look.
type synthetic struct {
	ID         string `json:"id"`
	DateCreate int64  `json:"date_create"`
	Action     string `json:"action"`
	Actor      struct {
		Type string                     `json:"type"`
		User map[string]json.RawMessage `json:"user"`
	} `json:"actor"`
	Entity  map[string]json.RawMessage `json:"entity"`
	Context map[string]json.RawMessage `json:"context"`
	Details map[string]json.RawMessage `json:"details"`
	Extra   map[string]json.RawMessage `json:"-"`
}

var (
	uuidish  = regexp.MustCompile(`^[0-9a-z]{8}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{12}$`)
	realUUID = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
)

var knownTop = map[string]bool{"id": true, "date_create": true, "action": true, "actor": true, "entity": true, "context": true, "details": true}
var knownUser = map[string]bool{"id": true, "name": true, "email": true, "team": true}
var knownContext = map[string]bool{"location": true, "ua": true, "ip_address": true, "session_id": true, "app": true}

func TestSyntheticCorpus(t *testing.T) {
	for _, n := range []int{64, 2000} {
		entries := auditlogstest.Synthetic(n, 1)
		if len(entries) != n {
			t.Fatalf("%d entries, want %d", len(entries), n)
		}
		seen := map[string]bool{}
		ids := map[string]bool{}
		total := 0
		var prev synthetic
		for i, raw := range entries {
			total += len(raw)
			var compact bytes.Buffer
			if err := json.Compact(&compact, raw); err != nil {
				t.Fatalf("entry %d is not valid JSON: %v\n%s", i, err, raw)
			}
			if !bytes.Equal(compact.Bytes(), raw) {
				t.Fatalf("entry %d is not compact:\n%s", i, raw)
			}
			var e synthetic
			if err := json.Unmarshal(raw, &e); err != nil {
				t.Fatalf("entry %d: %v", i, err)
			}
			var top map[string]json.RawMessage
			_ = json.Unmarshal(raw, &top)

			if ids[e.ID] {
				t.Errorf("id %s twice", e.ID)
			}
			ids[e.ID] = true
			if !uuidish.MatchString(e.ID) {
				t.Errorf("id %q does not look like a UUID", e.ID)
			}
			if !realUUID.MatchString(e.ID) {
				seen["non-UUID id"] = true
			}
			if e.DateCreate > auditlogstest.SyntheticEpoch || e.DateCreate < auditlogstest.SyntheticEpoch-31*24*3600 {
				t.Errorf("date_create %d is not within the 30 days before the epoch", e.DateCreate)
			}
			if i > 0 {
				if e.DateCreate > prev.DateCreate || e.DateCreate == prev.DateCreate && e.ID >= prev.ID {
					t.Errorf("entry %d is not older than entry %d", i, i-1)
				}
				if e.DateCreate == prev.DateCreate {
					seen["tie"] = true
				}
			}
			prev = e
			if e.Action == "" || e.Actor.Type != "user" || len(e.Actor.User) == 0 || len(e.Context["location"]) == 0 {
				t.Errorf("entry %d lacks the basics: %s", i, raw)
			}

			var typ string
			if err := json.Unmarshal(e.Entity["type"], &typ); err != nil || len(e.Entity[typ]) == 0 {
				t.Errorf("entity without a payload under its type: %s", raw)
			}
			seen["entity "+typ] = true

			var actorID string
			_ = json.Unmarshal(e.Actor.User["id"], &actorID)
			if actorID == "USLACKUSER" {
				seen["USLACKUSER"] = true
			}
			switch s, ok := e.Context["session_id"]; {
			case !ok:
				seen["session_id missing"] = true
			case string(s) == "null":
				seen["session_id null"] = true
			case len(s) > 0 && s[0] == '"':
				seen["session_id string"] = true
			case len(s) > 0:
				seen["session_id number"] = true
			}
			if string(e.Context["ip_address"]) == `""` {
				seen["empty ip_address"] = true
			}
			if string(e.Context["ua"]) == `""` {
				seen["empty ua"] = true
			}
			if len(e.Context["acting_agent"]) > 0 && len(e.Context["agent_message"]) > 0 {
				seen["acting_agent with agent_message"] = true
			}
			if actorID == "USLACKSECURITY" {
				seen["USLACKSECURITY"] = true
			}
			if file := e.Entity["file"]; len(file) > 0 && bytes.Contains(file, []byte(`"filetype":"","title":""`)) {
				seen["file without filetype and title"] = true
			}
			if ts := e.Details["action_timestamp"]; len(ts) > 0 {
				seen[map[int]string{13: "action_timestamp in ms", 16: "action_timestamp in µs"}[len(ts)]] = true
			}
			for _, k := range []string{"ip_address_details", "user_agent_change_details", "detected_client", "api_call_method"} {
				if len(e.Details[k]) > 0 {
					seen[k] = true
				}
			}
			for _, k := range []string{"previous_ip_address", "previous_ua"} {
				if string(e.Details[k]) == `""` {
					seen["empty "+k] = true
				}
			}
			if v := e.Details["reason"]; len(v) > 0 && v[0] == '"' {
				seen["reason string"] = true
			}
			if e.Details == nil {
				seen["no details"] = true
			}
			for _, k := range []string{"succeeded_users", "new_value", "previous_value"} {
				if v := e.Details[k]; len(v) > 0 {
					seen[k+" "+jsonKind(v)] = true
				}
			}
			if v := e.Details["exporting_team_id"]; len(v) > 0 {
				var n int64
				if json.Unmarshal(v, &n) == nil && n > 1<<32 {
					seen["exporting_team_id beyond 32 bits"] = true
				}
			}
			if v := e.Details["reason"]; len(v) > 0 && v[0] == '[' {
				if ts := e.Details["action_timestamp"]; len(ts) > 0 && ts[0] != '"' {
					seen["anomaly with reason array and integer action_timestamp"] = true
				}
			}

			// Unknown fields, at every level.
			for k := range top {
				if !knownTop[k] {
					seen["unknown top-level field"] = true
				}
			}
			for k := range e.Actor.User {
				if !knownUser[k] {
					seen["unknown actor.user field"] = true
				}
			}
			for k := range e.Context {
				if !knownContext[k] {
					seen["unknown context field"] = true
				}
			}
			var payload map[string]json.RawMessage
			_ = json.Unmarshal(e.Entity[typ], &payload)
			if _, ok := payload["x_display_id"]; ok {
				seen["unknown entity payload field"] = true
			}
			if _, ok := e.Details["risk_score"]; ok {
				seen["unknown details field"] = true
			}
		}
		var missing []string
		for _, want := range []string{
			"entity user", "entity workspace", "entity enterprise", "entity channel", "entity file", "entity app",
			"entity message", "entity workflow", "entity workflow_v2", "entity usergroup", "entity account_type_role",
			"entity role", "entity barrier", "entity huddle", "entity list", "entity function", "entity canvas",
			"entity template", "entity legal_hold_policy", "entity external_auth_oauth2_token", "entity salesforce_record",
			"non-UUID id", "tie", "USLACKUSER", "session_id string", "session_id number", "empty ip_address", "no details",
			"succeeded_users array", "succeeded_users string",
			"new_value string", "new_value array", "new_value object", "previous_value string", "previous_value array", "previous_value object",
			"exporting_team_id beyond 32 bits", "anomaly with reason array and integer action_timestamp",
			"session_id null", "session_id missing", "empty ua", "acting_agent with agent_message", "USLACKSECURITY",
			"file without filetype and title", "action_timestamp in ms", "action_timestamp in µs",
			"ip_address_details", "user_agent_change_details", "detected_client", "api_call_method",
			"empty previous_ip_address", "empty previous_ua", "reason string",
			"unknown top-level field", "unknown actor.user field", "unknown context field", "unknown entity payload field", "unknown details field",
		} {
			if !seen[want] {
				missing = append(missing, want)
			}
		}
		if len(missing) > 0 {
			t.Errorf("n=%d: the corpus lacks: %s", n, strings.Join(missing, "; "))
		}
		if avg := total / n; n >= 1000 && (avg < 500 || avg > 900) {
			t.Errorf("n=%d: entries average %d bytes, want 500-900", n, avg)
		}
	}
}

func jsonKind(v json.RawMessage) string {
	switch v[0] {
	case '"':
		return "string"
	case '[':
		return "array"
	case '{':
		return "object"
	}
	return "other"
}
