package entrydecode

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	jsonv2 "github.com/go-json-experiment/json"

	"github.com/slackaudit/auditlogs/gen"
)

// fixtureEntries reads the entries of the /logs bodies in api/testdata/logs,
// which hold every shape the fact sheet documents (the tools module checks
// them against the spec), by id.
func fixtureEntries(t *testing.T) map[string]json.RawMessage {
	t.Helper()
	paths, err := filepath.Glob("../../api/testdata/logs/*.json")
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
		if !New().Fast(raw, &fast) {
			t.Errorf("%s: the fast decoder gave up", id)
		}
		if err := jsonv2.Unmarshal(raw, &general, strict); err != nil {
			t.Errorf("%s: the general decoder refuses it: %v", id, err)
		}
		if !reflect.DeepEqual(fast, general) {
			t.Errorf("%s: the decoders differ:\nfast    %+v\ngeneral %+v", id, fast, general)
		}
		var v gen.AuditEntry
		if err := Decode(raw, &v, nil); err != nil || !reflect.DeepEqual(v, general) {
			t.Errorf("%s: Decode: %v\n%+v", id, err, v)
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
				{"fast", func(b []byte) (v gen.AuditEntry, ok bool) { return v, New().Fast(b, &v) }},
				{"general", func(b []byte) (v gen.AuditEntry, ok bool) { return v, jsonv2.Unmarshal(b, &v, strict) == nil }},
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
		if err := jsonv2.Unmarshal(b, &general, strict); err != nil {
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
	if !New().Fast(raw, &v) {
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
