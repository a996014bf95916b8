package entrydecode

import (
	"errors"
	"reflect"
	"testing"

	jsonv2 "github.com/go-json-experiment/json"

	"github.com/slackaudit/auditlogs/gen"
	"github.com/slackaudit/auditlogs/internal/synthetic"
)

// fastDecodeCases are entries whose shapes the synthetic corpus may not
// hold: nulls everywhere, duplicate members, escapes, edge numbers, and
// inputs the fast decoder must leave to the general one.
var fastDecodeCases = []string{
	`{}`,
	`{"id":null,"action":null,"date_create":null,"actor":null,"entity":null,"context":null,"details":null}`,
	`{"actor":{"type":"user"},"actor":{"user":{"id":"U1"}}}`,
	`{"actor":{"type":"user","user":{"id":"U1"}},"actor":{"user":null}}`,
	`{"details":{"succeeded_users":null,"attributes":[],"new_value":null,"is_internal_integration":true}}`,
	`{"details":{"attributes":null,"rules_checked":[{"id":"R1"},{}]}}`,
	`{"entity":{"external_auth_oauth2_token":null}}`,
	`{"entity":{"external_auth_oauth2_token": {"a" : [1, {"b":null}]} }}`,
	`{"context":{"session_id":null}}`,
	`{"context":{"session_id":12345678901234567890}}`,
	`{"id":"a\u00e9\/\n\"\\ \ud83d\ude00"}`,
	`{"id":"\ud800"}`,
	"{\"id\":\"a\xff\"}",
	"{\"id\":\"caf\xc3\xa9\"}",
	`{"date_create":1e3}`,
	`{"date_create":-0}`,
	`{"date_create":1.0}`,
	`{"date_create":9223372036854775807}`,
	`{"date_create":-9223372036854775808}`,
	`{"date_create":9223372036854775808}`,
	`{"date_create":-9223372036854775809}`,
	`{"date_create":"1"}`,
	`{"ID":"x","Action":"y"}`,
	`{"i\u0064":"x"}`,
	`{"id":"x","unknown":{"deep":[[[{"a":null}]]]},"action":"y"}`,
	` { "id" : "x" , "actor" : { "type" : "user" } } `,
	`{"details":{"new_value":{"a":["b"]},"previous_value":["x"],"reason":5}}`,
	`{"details":{"channels":["C1",null]}}`,
	`{"details":{"channels":["C1",2]}}`,
	`{"id":"x",}`,
	`{"id":"x"}x`,
	`{"id" "x"}`,
	`[]`,
	`null`,
	``,
}

// TestFastDecodeMatches: wherever the fast decoder succeeds, it decodes
// exactly what the general decoder does; and it succeeds on every entry of
// the synthetic corpus, which holds every field of the spec, so that pulls
// of ordinary data take the fast path.
func TestFastDecodeMatches(t *testing.T) {
	for _, raw := range synthetic.Corpus(3000, 7) {
		if !checkFastDecode(t, raw) {
			t.Fatalf("the fast decoder gave up on a synthetic entry: %s", raw)
		}
	}
	for _, c := range fastDecodeCases {
		checkFastDecode(t, []byte(c))
	}
}

// checkFastDecode compares the fast decoder with the general one on raw and
// reports whether the fast one succeeded.
func checkFastDecode(t *testing.T, raw []byte) bool {
	t.Helper()
	var fast, general gen.AuditEntry
	ok := New().Fast(raw, &fast)
	err := jsonv2.Unmarshal(raw, &general, strict)
	switch {
	case !ok:
		return false
	case err != nil:
		t.Errorf("fast decoder accepted what the general one refuses (%v): %s", err, raw)
	case !reflect.DeepEqual(fast, general):
		t.Errorf("fast and general decoders differ on %s:\nfast    %+v\ngeneral %+v", raw, fast, general)
	}
	return true
}

// FuzzFastDecode: on any input, the fast decoder either gives up or agrees
// with the general decoder.
func FuzzFastDecode(f *testing.F) {
	for _, c := range fastDecodeCases {
		f.Add([]byte(c))
	}
	for _, raw := range synthetic.Corpus(20, 3) {
		f.Add([]byte(raw))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		checkFastDecode(t, raw)
	})
}

// BenchmarkDecodeEntry decodes the entries of a page one after another on
// one goroutine: the generated decoder, with and without its cache of
// strings, against go-json-experiment.
func BenchmarkDecodeEntry(b *testing.B) {
	raws := synthetic.Corpus(1000, 1)
	var size int
	for _, r := range raws {
		size += len(r)
	}
	generated := func(d *Decoder) func([]byte, *gen.AuditEntry) error {
		return func(raw []byte, v *gen.AuditEntry) error {
			if !d.Fast(raw, v) {
				return errors.New("the generated decoder gave up")
			}
			return nil
		}
	}
	for _, impl := range []struct {
		name   string
		decode func([]byte, *gen.AuditEntry) error
	}{
		{"generated", generated(New())},
		{"generated-nocache", generated(&Decoder{})},
		{"go-json-experiment", func(raw []byte, v *gen.AuditEntry) error { return jsonv2.Unmarshal(raw, v, strict) }},
	} {
		b.Run("impl="+impl.name, func(b *testing.B) {
			b.SetBytes(int64(size / len(raws)))
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				var v gen.AuditEntry
				if err := impl.decode(raws[i%len(raws)], &v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
