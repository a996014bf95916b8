package tests

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/slackaudit/auditlogs"
	"github.com/slackaudit/auditlogs/flex"
)

// slackExample is the user_login event of Slack's documentation, with
// unknown fields added at every level.
const slackExample = `{"id":"0123a45b-6c7d-8900-e12f-3456789gh0i1","date_create":1521214343,"action":"user_login",` +
	`"actor":{"type":"user","user":{"id":"W123AB456","name":"Charlie Parker","email":"bird@slack.com","x_actor":1}},` +
	`"entity":{"type":"user","user":{"id":"W123AB456","name":"Charlie Parker","email":"bird@slack.com"},"x_entity":[1,2]},` +
	`"context":{"location":{"type":"enterprise","id":"E1701NCCA","name":"Birdland","domain":"birdland","x_loc":true},` +
	`"ua":"Mozilla/5.0","ip_address":"1.23.45.678","session_id":847288190092,"x_ctx":{"a":"b"}},` +
	`"details":{"x_new_detail":"kept"},"x_top":null}`

func decode(t *testing.T, s string) auditlogs.Entry {
	t.Helper()
	var e auditlogs.Entry
	if err := json.Unmarshal([]byte(s), &e); err != nil {
		t.Fatalf("Unmarshal(%s): %v", s, err)
	}
	return e
}

func TestEntryTypedView(t *testing.T) {
	e := decode(t, slackExample)
	if e.ID != "0123a45b-6c7d-8900-e12f-3456789gh0i1" || e.Action != "user_login" || e.DateCreate != 1521214343 {
		t.Errorf("top level: %q %q %d", e.ID, e.Action, e.DateCreate)
	}
	if e.Time().Unix() != 1521214343 {
		t.Errorf("Time() = %v", e.Time())
	}
	if e.Actor.Type != "user" || e.Actor.User == nil || e.Actor.User.Email != "bird@slack.com" {
		t.Errorf("actor: %+v", e.Actor)
	}
	if e.Entity.Type != "user" || e.Entity.User == nil || e.Entity.User.ID != "W123AB456" {
		t.Errorf("entity: %+v", e.Entity)
	}
	if e.Context.Location == nil || e.Context.Location.Domain != "birdland" || e.Context.IPAddress != "1.23.45.678" {
		t.Errorf("context: %+v", e.Context)
	}
	if n, ok := e.Context.SessionID.Int64(); !ok || n != 847288190092 || !e.Context.SessionID.IsNumber() {
		t.Errorf("session_id = %v", e.Context.SessionID)
	}
}

func TestEntryLossless(t *testing.T) {
	e := decode(t, slackExample)
	if !bytes.Equal(e.Raw(), []byte(slackExample)) {
		t.Errorf("Raw() = %s", e.Raw())
	}
	out, err := json.Marshal(e)
	if err != nil || string(out) != slackExample {
		t.Errorf("json.Marshal(e) = %s, %v", out, err)
	}
	// Through a pointer and inside a slice, too.
	out, _ = json.Marshal([]*auditlogs.Entry{&e})
	if string(out) != "["+slackExample+"]" {
		t.Errorf("json.Marshal([]*Entry) = %s", out)
	}
	for _, path := range [][]string{{"x_top"}, {"actor", "user", "x_actor"}, {"entity", "x_entity"},
		{"context", "location", "x_loc"}, {"context", "x_ctx"}, {"details", "x_new_detail"}} {
		if _, ok := e.Lookup(path...); !ok {
			t.Errorf("Lookup(%v) found nothing", path)
		}
	}
	if v, ok := e.Lookup("details", "x_new_detail"); !ok || string(v) != `"kept"` {
		t.Errorf("Lookup(details, x_new_detail) = %s, %v", v, ok)
	}
	if _, ok := e.Lookup("nope"); ok {
		t.Error("Lookup of a missing field found something")
	}
	// The raw bytes are a copy: changing the input does not change the entry.
	in := []byte(slackExample)
	var e2 auditlogs.Entry
	_ = json.Unmarshal(in, &e2)
	in[2] = 'X'
	if !bytes.Equal(e2.Raw(), []byte(slackExample)) {
		t.Error("Entry keeps the caller's buffer instead of a copy")
	}
}

// TestEntryTolerant: a field of an unexpected type leaves that field zero
// and never fails the entry; every other field still decodes.
func TestEntryTolerant(t *testing.T) {
	tests := []struct {
		name  string
		json  string
		check func(t *testing.T, e auditlogs.Entry)
	}{
		{"date_create as string", `{"id":"a","date_create":"1521214343","action":"x"}`, func(t *testing.T, e auditlogs.Entry) {
			if e.DateCreate != 0 || e.ID != "a" || e.Action != "x" {
				t.Errorf("%+v", e.AuditEntry)
			}
		}},
		{"date_create overflowing int64", `{"id":"a","date_create":1e30,"action":"x"}`, func(t *testing.T, e auditlogs.Entry) {
			if e.DateCreate != 0 || e.Action != "x" {
				t.Errorf("%+v", e.AuditEntry)
			}
		}},
		{"actor as array", `{"id":"a","actor":[1],"action":"x","entity":{"type":"user","user":{"id":"U1"}}}`, func(t *testing.T, e auditlogs.Entry) {
			if e.Actor.Type != "" || e.Entity.User == nil || e.Entity.User.ID != "U1" {
				t.Errorf("%+v", e.AuditEntry)
			}
		}},
		{"bool as string", `{"id":"a","entity":{"type":"channel","channel":{"id":"C1","is_shared":"yes","name":"n"}}}`, func(t *testing.T, e auditlogs.Entry) {
			if c := e.Entity.Channel; c == nil || c.ID != "C1" || c.Name != "n" || c.IsShared {
				t.Errorf("%+v", e.Entity.Channel)
			}
		}},
		{"unknown entity type", `{"id":"a","entity":{"type":"salesforce_record","salesforce_record":{"id":"SF1","x":2}}}`, func(t *testing.T, e auditlogs.Entry) {
			p, ok := e.Lookup("entity", e.Entity.Type)
			if e.Entity.Type != "salesforce_record" || !ok || string(p) != `{"id":"SF1","x":2}` {
				t.Errorf("type %q payload %s", e.Entity.Type, p)
			}
		}},
		{"session_id as string", `{"id":"a","context":{"session_id":"abc-1"}}`, func(t *testing.T, e auditlogs.Entry) {
			if e.Context.SessionID.String() != "abc-1" || e.Context.SessionID.IsNumber() {
				t.Errorf("%v", e.Context.SessionID)
			}
		}},
		{"session_id as object", `{"id":"a","context":{"session_id":{"x":1},"ua":"u"}}`, func(t *testing.T, e auditlogs.Entry) {
			if !e.Context.SessionID.IsZero() || e.Context.UA != "u" {
				t.Errorf("%+v", e.Context)
			}
		}},
		{"succeeded_users as array", `{"id":"a","details":{"succeeded_users":["U1","U2"]}}`, func(t *testing.T, e auditlogs.Entry) {
			if !reflect.DeepEqual(e.Details.SucceededUsers, flex.Strings{"U1", "U2"}) {
				t.Errorf("%v", e.Details.SucceededUsers)
			}
		}},
		{"succeeded_users as JSON in a string", `{"id":"a","details":{"succeeded_users":"[\"U1\",\"U2\"]","failed_users":"[]"}}`, func(t *testing.T, e auditlogs.Entry) {
			if !reflect.DeepEqual(e.Details.SucceededUsers, flex.Strings{"U1", "U2"}) || len(e.Details.FailedUsers) != 0 {
				t.Errorf("%v %v", e.Details.SucceededUsers, e.Details.FailedUsers)
			}
		}},
		{"new_value shapes", `{"id":"a","details":{"new_value":{"type":["ADMIN"],"user":["U1"]},"previous_value":"everyone"}}`, func(t *testing.T, e auditlogs.Entry) {
			d := e.Details
			if d.NewValue.Kind != flex.KindObject || d.NewValue.Object["user"][0] != "U1" ||
				d.PreviousValue.Kind != flex.KindString || d.PreviousValue.String != "everyone" {
				t.Errorf("%+v %+v", d.NewValue, d.PreviousValue)
			}
		}},
		{"new_value as array", `{"id":"a","details":{"new_value":["a","b"]}}`, func(t *testing.T, e auditlogs.Entry) {
			if e.Details.NewValue.Kind != flex.KindStrings || len(e.Details.NewValue.Strings) != 2 {
				t.Errorf("%+v", e.Details.NewValue)
			}
		}},
		{"int64 beyond 32 bits", `{"id":"a","details":{"exporting_team_id":9007199254740993,"is_flagged":"true"}}`, func(t *testing.T, e auditlogs.Entry) {
			if e.Details.ExportingTeamID != 9007199254740993 || e.Details.IsFlagged != "true" {
				t.Errorf("%d %q", e.Details.ExportingTeamID, e.Details.IsFlagged)
			}
		}},
		{"reason as array, action_timestamp as integer", `{"id":"a","details":{"reason":["tor","new_ua"],"action_timestamp":1700000000123456}}`, func(t *testing.T, e auditlogs.Entry) {
			n, _ := e.Details.ActionTimestamp.Int64()
			if !reflect.DeepEqual(e.Details.Reason, flex.Strings{"tor", "new_ua"}) || n != 1700000000123456 {
				t.Errorf("%v %v", e.Details.Reason, e.Details.ActionTimestamp)
			}
		}},
		{"details as string", `{"id":"a","details":"oops","action":"x"}`, func(t *testing.T, e auditlogs.Entry) {
			if (e.Details != nil && !reflect.ValueOf(*e.Details).IsZero()) || e.Action != "x" {
				t.Errorf("%+v", e.AuditEntry)
			}
		}},
		{"entry as number", `42`, func(t *testing.T, e auditlogs.Entry) {
			if e.ID != "" || string(e.Raw()) != "42" {
				t.Errorf("%+v %s", e.AuditEntry, e.Raw())
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := decode(t, tt.json)
			tt.check(t, e)
			out, err := json.Marshal(e)
			if err != nil || string(out) != tt.json {
				t.Errorf("json.Marshal = %s, %v; want the input back", out, err)
			}
		})
	}
}

func TestEntryInvalidJSON(t *testing.T) {
	var e auditlogs.Entry
	if err := e.UnmarshalJSON([]byte(`{"id":`)); err == nil {
		t.Error("UnmarshalJSON of a truncated entry returned nil")
	}
}

func TestEntryBuiltInCode(t *testing.T) {
	var e auditlogs.Entry
	e.ID, e.Action, e.DateCreate = "x", "user_login", 5
	out, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	var back auditlogs.Entry
	if err := json.Unmarshal(out, &back); err != nil || back.ID != "x" || back.DateCreate != 5 {
		t.Errorf("round trip of a built entry: %s -> %+v, %v", out, back.AuditEntry, err)
	}
}
