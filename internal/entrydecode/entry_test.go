package entrydecode

import (
	"testing"

	"github.com/slackaudit/auditlogs/gen"
)

// TestDecode: every path of Decode, the generated decoders, the general
// decoder and its tolerant mode, gives the typed view, and only JSON that
// is not an object is an error.
func TestDecode(t *testing.T) {
	tests := []struct {
		name, raw  string
		id, action string
		err        bool
	}{
		{name: "fast", raw: `{"id":"a","action":"x"}`, id: "a", action: "x"},
		{name: "general: escaped name", raw: `{"i\u0064":"a","action":"x"}`, id: "a", action: "x"},
		{name: "tolerant: id of another type", raw: `{"id":5,"action":"x"}`, action: "x"},
		{name: "tolerant: actor of another type", raw: `{"id":"a","actor":[1],"action":"x"}`, id: "a", action: "x"},
		{name: "null session", raw: `{"id":"a","context":{"session_id":null}}`, id: "a"},
		{name: "cut short", raw: `{"id":"a"`, err: true},
		{name: "not JSON", raw: `x`, err: true},
	}
	for _, d := range []*Decoder{nil, New()} {
		for _, tt := range tests {
			v := gen.AuditEntry{ID: "stale", Action: "stale"}
			err := Decode([]byte(tt.raw), &v, d)
			if (err != nil) != tt.err {
				t.Errorf("%s: err = %v, want error %v", tt.name, err, tt.err)
				continue
			}
			if !tt.err && (v.ID != tt.id || v.Action != tt.action) {
				t.Errorf("%s: id %q action %q, want %q %q", tt.name, v.ID, v.Action, tt.id, tt.action)
			}
		}
	}
}
