package jsonsplit

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/slackaudit/auditlogs/internal/synthetic"
)

// lookupByMaps is how Entry.Lookup used to work, decoding each object on
// the path into a map: the reference FuzzLookup compares Lookup with.
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

// lookupValue is Lookup's result as the value's bytes.
func lookupValue(raw []byte, path ...string) (json.RawMessage, bool) {
	start, end, ok := Lookup(raw, path...)
	if !ok {
		return nil, false
	}
	return raw[start:end], true
}

func TestLookup(t *testing.T) {
	tests := []struct {
		raw  string
		path []string
		want string // "" for not found
	}{
		{`{"entity":{"type":"x","x":{"id":1}}}`, []string{"entity", "x"}, `{"id":1}`},
		{`{"a":{"b":1},"a":{"c":2}}`, []string{"a", "c"}, `2`},
		{`{"a":{"b":1},"a":{"c":2}}`, []string{"a", "b"}, ``},
		{`{"\u0061":{"b\n":true}}`, []string{"a", "b\n"}, `true`},
		{` { "a" : [1, 2] } `, []string{"a"}, `[1, 2]`},
		{`{"a":1} x`, []string{"a"}, ``},
		{`{"a":{"b":1,}}`, []string{"a", "b"}, ``},
		{`[{"a":1}]`, []string{"a"}, ``},
		{`{"a":1}`, []string{"b"}, ``},
	}
	for _, tt := range tests {
		got, ok := lookupValue([]byte(tt.raw), tt.path...)
		if ok != (tt.want != "") || string(got) != tt.want {
			t.Errorf("Lookup(%s, %q) = %s, %v; want %s", tt.raw, tt.path, got, ok, tt.want)
		}
	}
}

// FuzzLookup: Lookup finds what decoding each object on the path into a
// map finds, duplicate and escaped names and invalid JSON included.
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
		for _, path := range [][]string{{k1}, {k1, k2}} {
			got, ok := lookupValue(raw, path...)
			want, wantOK := lookupByMaps(raw, path...)
			if ok != wantOK || !bytes.Equal(got, want) {
				t.Fatalf("Lookup(%q) in %q = %q, %v; decoding into maps finds %q, %v", path, raw, got, ok, want, wantOK)
			}
		}
	})
}

// BenchmarkLookup finds each synthetic entry's entity payload, as the CLI's
// table and CSV do: Lookup against decoding into maps.
func BenchmarkLookup(b *testing.B) {
	raws := synthetic.Corpus(1000, 1)
	types := make([]string, len(raws))
	for i, raw := range raws {
		var e struct {
			Entity struct {
				Type string `json:"type"`
			} `json:"entity"`
		}
		if err := json.Unmarshal(raw, &e); err != nil {
			b.Fatal(err)
		}
		types[i] = e.Entity.Type
	}
	for _, impl := range []string{"scan", "maps"} {
		b.Run("impl="+impl, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				raw, typ := raws[i%len(raws)], types[i%len(raws)]
				var ok bool
				if impl == "scan" {
					_, ok = lookupValue(raw, "entity", typ)
				} else {
					_, ok = lookupByMaps(raw, "entity", typ)
				}
				if !ok && typ != "" {
					b.Fatalf("no payload for entity type %q", typ)
				}
			}
		})
	}
}
