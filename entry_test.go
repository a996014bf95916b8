package auditlogs

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/slackaudit/auditlogs/auditlogstest"
)

// lookupByMaps is how Entry.Lookup used to work, decoding each object on
// the path into a map: the reference FuzzLookup compares it with.
func lookupByMaps(raw []byte, path ...string) (json.RawMessage, bool) {
	cur := json.RawMessage(raw)
	for _, key := range path {
		var obj map[string]json.RawMessage
		if json.Unmarshal(cur, &obj) != nil {
			return nil, false
		}
		next, ok := obj[key]
		if !ok {
			return nil, false
		}
		cur = next
	}
	return cur, len(cur) > 0
}

// FuzzLookup: Entry.Lookup finds what decoding each object on the path into
// a map finds, duplicate and escaped names and invalid JSON included.
func FuzzLookup(f *testing.F) {
	f.Add([]byte(`{"entity":{"type":"x","x":{"id":1}},"details":{"a":[1,2]}}`), "entity", "x")
	f.Add([]byte(`{"a":{"b":1},"a":{"c":2}}`), "a", "b")
	f.Add([]byte(`{"a":{"b":1},"a":{"c":2}}`), "a", "c")
	f.Add([]byte(`{"\u0061":{"b\n":true}}`), "a", "b\n")
	f.Add([]byte("{\"a\xff\":1}"), "a\ufffd", "")
	f.Add([]byte(`{"a":{"b":1}} x`), "a", "b")
	f.Add([]byte(`{"a":{"b":1,}}`), "a", "b")
	f.Add([]byte(`[{"a":1}]`), "a", "")
	f.Fuzz(func(t *testing.T, raw []byte, k1, k2 string) {
		e := Entry{raw: raw}
		for _, path := range [][]string{{k1}, {k1, k2}} {
			got, ok := e.Lookup(path...)
			want, wantOK := lookupByMaps(raw, path...)
			if ok != wantOK || !bytes.Equal(got, want) {
				t.Fatalf("Lookup(%q) in %q = %q, %v; decoding into maps finds %q, %v", path, raw, got, ok, want, wantOK)
			}
		}
	})
}

// BenchmarkLookup finds each synthetic entry's entity payload, as the CLI's
// table and CSV do: Entry.Lookup against decoding into maps.
func BenchmarkLookup(b *testing.B) {
	var entries []Entry
	for _, raw := range auditlogstest.Synthetic(1000, 1) {
		var e Entry
		if err := e.decode(raw); err != nil {
			b.Fatal(err)
		}
		entries = append(entries, e)
	}
	for _, impl := range []string{"scan", "maps"} {
		b.Run("impl="+impl, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				e := &entries[i%len(entries)]
				var ok bool
				if impl == "scan" {
					_, ok = e.Lookup("entity", e.Entity.Type)
				} else {
					_, ok = lookupByMaps(e.raw, "entity", e.Entity.Type)
				}
				if !ok && e.Entity.Type != "" {
					b.Fatalf("no payload for entity type %q", e.Entity.Type)
				}
			}
		})
	}
}
