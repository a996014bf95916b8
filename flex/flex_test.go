package flex

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

func TestScalar(t *testing.T) {
	tests := []struct {
		in       string
		text     string
		number   bool
		n        int64
		intOK    bool
		marshals string
	}{
		{`"abc"`, "abc", false, 0, false, `"abc"`},
		{`"123"`, "123", false, 123, true, `"123"`},
		{`1234567890123456789`, "1234567890123456789", true, 1234567890123456789, true, `1234567890123456789`},
		{`-7`, "-7", true, -7, true, `-7`},
		{`1.5`, "1.5", true, 0, false, `1.5`},
		{`null`, "", false, 0, false, `null`},
		{`true`, "", false, 0, false, `null`},
		{`{"a":1}`, "", false, 0, false, `null`},
		{`[1]`, "", false, 0, false, `null`},
	}
	for _, tt := range tests {
		var s Scalar
		if err := json.Unmarshal([]byte(tt.in), &s); err != nil {
			t.Errorf("Unmarshal(%s): %v", tt.in, err)
			continue
		}
		if s.String() != tt.text || s.IsNumber() != tt.number {
			t.Errorf("Unmarshal(%s) = %q number=%v, want %q number=%v", tt.in, s.String(), s.IsNumber(), tt.text, tt.number)
		}
		if n, ok := s.Int64(); n != tt.n || ok != tt.intOK {
			t.Errorf("Unmarshal(%s).Int64() = %d, %v; want %d, %v", tt.in, n, ok, tt.n, tt.intOK)
		}
		out, err := json.Marshal(s)
		if err != nil || string(out) != tt.marshals {
			t.Errorf("Marshal(Unmarshal(%s)) = %s, %v; want %s", tt.in, out, err, tt.marshals)
		}
	}
	if ScalarInt(42).String() != "42" || !ScalarInt(42).IsNumber() || ScalarString("x").IsNumber() {
		t.Error("constructors disagree with accessors")
	}
}

func TestStrings(t *testing.T) {
	tests := []struct {
		in   string
		want Strings
	}{
		{`["U1","U2"]`, Strings{"U1", "U2"}},
		{`"[\"U1\",\"U2\"]"`, Strings{"U1", "U2"}},
		{`"U1"`, Strings{"U1"}},
		{`""`, nil},
		{`[]`, Strings{}},
		{`["U1",2,{"a":1}]`, Strings{"U1", "2", `{"a":1}`}},
		{`"[not json"`, Strings{"[not json"}},
		{`null`, nil},
		{`42`, nil},
		{`{"a":"b"}`, nil},
	}
	for _, tt := range tests {
		var l Strings
		if err := json.Unmarshal([]byte(tt.in), &l); err != nil {
			t.Errorf("Unmarshal(%s): %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(l, tt.want) {
			t.Errorf("Unmarshal(%s) = %#v, want %#v", tt.in, l, tt.want)
		}
	}
}

func TestValue(t *testing.T) {
	tests := []struct {
		in   string
		want Value
	}{
		{`"on"`, Value{Kind: KindString, String: "on"}},
		{`["a","b"]`, Value{Kind: KindStrings, Strings: []string{"a", "b"}}},
		{`{"type":["ADMIN"],"user":["U1"]}`, Value{Kind: KindObject, Object: map[string][]string{"type": {"ADMIN"}, "user": {"U1"}}}},
		{`{"enabled":true}`, Value{Kind: KindOther}},
		{`[1,2]`, Value{Kind: KindOther}},
		{`7`, Value{Kind: KindOther}},
		{`null`, Value{}},
	}
	for _, tt := range tests {
		var v Value
		if err := json.Unmarshal([]byte(tt.in), &v); err != nil {
			t.Errorf("Unmarshal(%s): %v", tt.in, err)
			continue
		}
		if tt.want.Kind != KindNone {
			tt.want.Raw = json.RawMessage(tt.in)
		}
		if !reflect.DeepEqual(v, tt.want) {
			t.Errorf("Unmarshal(%s) = %#v, want %#v", tt.in, v, tt.want)
		}
		out, _ := json.Marshal(v)
		if tt.want.Kind != KindNone && string(out) != tt.in {
			t.Errorf("Marshal(Unmarshal(%s)) = %s", tt.in, out)
		}
	}
	out, _ := json.Marshal(Value{Kind: KindStrings, Strings: []string{"x"}})
	if string(out) != `["x"]` {
		t.Errorf("Marshal of a built Value = %s", out)
	}
}

// FuzzDecode checks that no input makes a flex type fail or panic.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{`"a"`, `12`, `["a",1]`, `"[\"a\"]"`, `{"a":["b"]}`, `null`, `{`, `"\u0000"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var s Scalar
		var l Strings
		var v Value
		for _, p := range []json.Unmarshaler{&s, &l, &v} {
			if err := p.UnmarshalJSON(data); err != nil {
				t.Fatalf("%T.UnmarshalJSON(%q) = %v", p, data, err)
			}
		}
		if _, err := json.Marshal(s); err != nil {
			t.Fatalf("Marshal(%#v): %v", s, err)
		}
		// Scalar agrees with encoding/json on what it holds.
		var str string
		if json.Unmarshal(data, &str) == nil && (s.String() != str || s.IsNumber()) {
			t.Fatalf("Scalar(%q) = %q, encoding/json says %q", data, s.String(), str)
		}
		var num json.Number
		if d := json.NewDecoder(bytes.NewReader(data)); json.Valid(data) && d.Decode(&num) == nil && num != "" && bytes.TrimSpace(data)[0] != '"' &&
			(!s.IsNumber() || s.String() != string(bytes.TrimSpace(data))) {
			t.Fatalf("Scalar(%q) = %q (number %v), want the number", data, s.String(), s.IsNumber())
		}
	})
}
