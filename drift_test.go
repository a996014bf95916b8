package auditlogs_test

import (
	"encoding/json"
	"fmt"
	"log"
	"slices"
	"strings"
	"testing"

	"github.com/slackaudit/auditlogs"
	"github.com/slackaudit/auditlogs/auditlogstest"
)

func ExampleCheckDrift() {
	raw := []byte(`{"id":"e1","date_create":1718893200,"action":"user_login",
		"actor":{"type":"zz_robot","zz_robot":{"id":"R1"}},
		"entity":{"type":"channel","channel":{"id":"C1","is_shared":"no","zz_color":"teal"}},
		"context":{"zz_device_id":"D1"}}`)
	findings, err := auditlogs.CheckDrift(raw)
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range findings {
		fmt.Println(f.Kind, f.Path, f.Seen, f.Spec)
	}
	// Output:
	// unknown_type actor.zz_robot [object] []
	// unknown_field context.zz_device_id [string] []
	// unknown_field entity.channel.zz_color [string] []
	// unexpected_type entity.channel.is_shared [string] [boolean]
}

// TestCheckDrift: the Raw of decoded entries checks; every finding is
// complete; bad JSON is an error that names the function; an unknown
// member in several array elements is one finding with the types merged.
func TestCheckDrift(t *testing.T) {
	entries := auditlogstest.Synthetic(200, 3)
	found := 0
	for i, raw := range entries {
		var e auditlogs.Entry
		if err := json.Unmarshal(raw, &e); err != nil {
			t.Fatal(err)
		}
		fs, err := auditlogs.CheckDrift(e.Raw())
		if err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
		for _, f := range fs {
			if f.Path == "" || f.Kind == "" || f.Seen == nil || f.Spec == nil {
				t.Errorf("entry %d: incomplete finding %+v", i, f)
			}
		}
		found += len(fs)
	}
	if found == 0 {
		t.Error("no finding in a corpus that carries unknown fields and an unknown entity type")
	}
	for _, bad := range []string{``, `[]`, `{"id":`} {
		_, err := auditlogs.CheckDrift([]byte(bad))
		if err == nil || !strings.HasPrefix(err.Error(), "auditlogs: check drift: ") {
			t.Errorf("CheckDrift(%q) = %v", bad, err)
		}
	}
	fs, err := auditlogs.CheckDrift([]byte(`{"id":"x","details":{"rules_checked":[{"zz":1},{"zz":"a"}]}}`))
	want := []auditlogs.DriftFinding{{Kind: "unknown_field", Path: "details.rules_checked[].zz", Seen: []string{"string", "integer"}, Spec: []string{}}}
	if err != nil || !slices.EqualFunc(fs, want, func(a, b auditlogs.DriftFinding) bool {
		return a.Kind == b.Kind && a.Path == b.Path && slices.Equal(a.Seen, b.Seen) && slices.Equal(a.Spec, b.Spec)
	}) {
		t.Errorf("got %+v, %v; want %+v", fs, err, want)
	}
}
