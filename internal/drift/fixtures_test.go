package drift

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestFixtures: the project's fixtures of every documented shape
// (api/testdata/logs, which CI also validates against the spec with
// kin-openapi) raise nothing, but for the one file that carries, on
// purpose, what the spec does not describe; each of those is found at its
// path.
func TestFixtures(t *testing.T) {
	files, err := filepath.Glob("../../api/testdata/logs/*.json")
	if err != nil || len(files) < 2 {
		t.Fatalf("fixtures: %v, %d files", err, len(files))
	}
	wantUnknown := map[string]string{
		"entity.salesforce_record": KindUnknownType,
		"schema_version":           KindUnknownField,
		"actor.user.pronouns":      KindUnknownField,
		"context.device":           KindUnknownField,
		"context.location.region":  KindUnknownField,
		"details.risk_score":       KindUnknownField,
		"details.x_labels":         KindUnknownField,
	}
	for _, file := range files {
		body, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var page struct{ Entries []json.RawMessage }
		if err := json.Unmarshal(body, &page); err != nil || len(page.Entries) == 0 {
			t.Fatalf("%s: %v, %d entries", file, err, len(page.Entries))
		}
		got := map[string]string{}
		for _, e := range page.Entries {
			fs, err := Check(e)
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			for _, f := range fs {
				got[f.Path] = f.Kind
			}
		}
		want := map[string]string{}
		if filepath.Base(file) == "unknown-and-varying.json" {
			want = wantUnknown
		}
		if len(got) != len(want) {
			t.Errorf("%s: found %v, want %v", filepath.Base(file), got, want)
			continue
		}
		for p, kind := range want {
			if got[p] != kind {
				t.Errorf("%s: %s is %q, want %q", filepath.Base(file), p, got[p], kind)
			}
		}
	}
}
