package filesink

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestMarshalSplicesCheckpoints: the state marshal writes holds both
// checkpoints byte for byte, reads back as json.Marshal's would, and keeps
// no placeholder, also when a string of the state looks like one.
func TestMarshalSplicesCheckpoints(t *testing.T) {
	cp := json.RawMessage(`{"version":1,"watermark":1767225600,"spans":[{"ids":"AAECAwQFBg=="}],"note":"<&>"}`)
	prev := json.RawMessage(`{"version":1,"watermark":1767225000}`)
	now := time.Date(2026, 12, 6, 5, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		st   State
	}{
		{"both", State{Version: 2, Checkpoint: cp, Previous: &Previous{Checkpoint: prev, Gen: 1, Offset: 10}}},
		{"no previous", State{Version: 2, Checkpoint: cp}},
		{"no checkpoint", State{Version: 2}},
		{"a filter spelled like a placeholder", State{Version: 2, Checkpoint: cp,
			Filters: Filters{Action: "\x00checkpoint", Actor: `"checkpoint":"\u0000checkpoint"`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := tt.st
			b, err := marshal(&st, now)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasSuffix(b, []byte("\n")) || !json.Valid(b) {
				t.Fatalf("not one JSON document and a line break: %s", b)
			}
			if strings.Contains(string(b), `"checkpoint":"\u0000`) {
				t.Errorf("a placeholder is left: %s", b)
			}
			if len(st.Checkpoint) > 0 && !bytes.Contains(b, append([]byte(`"checkpoint":`), st.Checkpoint...)) {
				t.Errorf("the checkpoint is not there byte for byte: %s", b)
			}
			want, _ := json.Marshal(&st)
			var got, ref any
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatal(err)
			}
			_ = json.Unmarshal(want, &ref)
			if !reflect.DeepEqual(got, ref) {
				t.Errorf("reads back otherwise than json.Marshal's:\n got %s\nwant %s", b, want)
			}
			st.Updated = time.Time{} // the one field marshal sets
			if !reflect.DeepEqual(st, tt.st) {
				t.Errorf("marshal changed the state: %+v", st)
			}
		})
	}
}
