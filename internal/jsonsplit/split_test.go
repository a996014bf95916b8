package jsonsplit

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"testing"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/slackaudit/auditlogs/internal/synthetic"
)

// referenceOptions take Slack's JSON as sent, duplicate names and invalid
// UTF-8 included, as SplitPage does.
var referenceOptions = jsonv2.JoinOptions(jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))

// referenceSplit is SplitPage written with jsontext, the general decoder:
// the oracle the fuzz test compares splitPage with.
func referenceSplit(body []byte) (entries [][]byte, cursor string, err error) {
	entries, cursor, _, err = referenceSplitAll(body)
	return entries, cursor, err
}

// refEnvelope is what referenceSplitAll finds beside the entries.
type refEnvelope struct {
	hasEntries, notOK bool
	code              string
}

// referenceSplitAll is referenceSplit, with the envelope's "entries" array,
// "ok": false and "error" code.
func referenceSplitAll(body []byte) (entries [][]byte, cursor string, env refEnvelope, err error) {
	dec := jsontext.NewDecoder(bytes.NewBuffer(body), referenceOptions)
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return nil, "", env, errors.New("not an object")
	}
	for dec.PeekKind() != '}' {
		tok, err := dec.ReadToken()
		if err != nil {
			return nil, "", env, err
		}
		name := tok.String()
		if name == "entries" && dec.PeekKind() == '[' {
			dec.ReadToken()
			env.hasEntries = true
			for dec.PeekKind() != ']' {
				v, err := dec.ReadValue()
				if err != nil {
					return nil, "", env, err
				}
				entries = append(entries, bytes.Clone(v))
			}
			if _, err := dec.ReadToken(); err != nil {
				return nil, "", env, err
			}
			continue
		}
		v, err := dec.ReadValue()
		if err != nil {
			return nil, "", env, err
		}
		switch name {
		case "ok":
			env.notOK = string(v) == "false"
		case "error":
			_ = json.Unmarshal(v, &env.code)
		}
		if name == "response_metadata" {
			var meta struct {
				NextCursor string `json:"next_cursor"`
			}
			_ = json.Unmarshal(v, &meta)
			cursor = meta.NextCursor
		}
	}
	if _, err := dec.ReadToken(); err != nil {
		return nil, "", env, err
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		return nil, "", env, errors.New("trailing data")
	}
	return entries, cursor, env, nil
}

func TestSplitPage(t *testing.T) {
	tests := []struct {
		body    string
		entries []string
		cursor  string
		ok      bool
	}{
		{`{"entries":[{"id":"a"},{"id":"b","x":[1,2.5e-3,true,null]}],"response_metadata":{"next_cursor":"c2=="}}`,
			[]string{`{"id":"a"}`, `{"id":"b","x":[1,2.5e-3,true,null]}`}, "c2==", true},
		{` { "entries" : [ 1 , "x\u00e9\n\"" ] , "warning" : "w" } `, []string{`1`, `"x\u00e9\n\""`}, "", true},
		{`{"entries":[]}`, nil, "", true},
		{`{}`, nil, "", true},
		{`{"entries":{"id":"a"},"response_metadata":[]}`, nil, "", true},
		{`{"entr\u0069es":[{"id":"a"}]}`, []string{`{"id":"a"}`}, "", true},
		{`{"entries":[{"id":"a"}],"entries":[{"id":"b"}]}`, []string{`{"id":"a"}`, `{"id":"b"}`}, "", true},
		{`{"entries":[{"id":"a"`, nil, "", false},
		{`{"entries":[{"id":"a"}]`, nil, "", false},
		{`{"entries":[{"id":"a"},]}`, nil, "", false},
		{`{"entries":[01]}`, nil, "", false},
		{`{"entries":[1.]}`, nil, "", false},
		{`{"entries":[-]}`, nil, "", false},
		{`{"entries":["\x"]}`, nil, "", false},
		{`{"entries":["\u12G4"]}`, nil, "", false},
		{"{\"entries\":[\"tab\there\"]}", nil, "", false},
		{`{"entries":[tru]}`, nil, "", false},
		{`{"a":1} {}`, nil, "", false},
		{`[{"id":"a"}]`, nil, "", false},
		{``, nil, "", false},
	}
	for _, tt := range tests {
		var page Page
		err := SplitPage([]byte(tt.body), &page)
		if (err == nil) != tt.ok {
			t.Errorf("SplitPage(%s) error = %v, want ok=%v", tt.body, err, tt.ok)
			continue
		}
		if !tt.ok {
			continue
		}
		var got []string
		for _, e := range page.Entries {
			got = append(got, string(e))
		}
		if len(got) != len(tt.entries) || page.NextCursor != tt.cursor {
			t.Errorf("SplitPage(%s) = %q cursor %q, want %q cursor %q", tt.body, got, page.NextCursor, tt.entries, tt.cursor)
			continue
		}
		for i := range got {
			if got[i] != tt.entries[i] {
				t.Errorf("SplitPage(%s) entry %d = %s, want %s", tt.body, i, got[i], tt.entries[i])
			}
		}
	}
	deep := `{"entries":[` + string(bytes.Repeat([]byte("["), maxDepth+1)) + string(bytes.Repeat([]byte("]"), maxDepth+1)) + `]}`
	if err := SplitPage([]byte(deep), &Page{}); err == nil {
		t.Error("splitPage accepted nesting deeper than maxDepth")
	}
}

// FuzzSplitPage compares splitPage with the general decoder on any input:
// they must accept the same bodies and find the same entries and cursor.
func FuzzSplitPage(f *testing.F) {
	f.Add([]byte(`{"entries":[{"id":"a","n":-1.5E+3,"s":"\ud800\"x"}],"response_metadata":{"next_cursor":"c="}}`))
	f.Add([]byte(`{"entries":[[],{},"",0,false,null],"warning":1}`))
	f.Add([]byte(`{"entries":[1,2`))
	f.Add([]byte("{\"entries\":[\"\xff\xfe\"]}"))
	f.Add([]byte(`{"ok":false,"error":"invalid_auth","\u0065ntries":null,"ok":true,"error":1}`))
	f.Add([]byte(`{"\u006fk":false,"\u0065rror":"x","entries":{}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var page Page
		err := SplitPage(body, &page)
		want, cursor, env, refErr := referenceSplitAll(body)
		if (err == nil) != (refErr == nil) {
			t.Fatalf("splitPage error %v, reference error %v, on %q", err, refErr, body)
		}
		if err != nil {
			return
		}
		if page.HasEntries != env.hasEntries || page.NotOK != env.notOK || page.Error != env.code {
			t.Fatalf("splitPage: entries array %v, not ok %v, error %q; reference %v, %v, %q, in %q",
				page.HasEntries, page.NotOK, page.Error, env.hasEntries, env.notOK, env.code, body)
		}
		if len(page.Entries) != len(want) || page.NextCursor != cursor {
			t.Fatalf("splitPage found %d entries (cursor %q), reference %d (%q) in %q", len(page.Entries), page.NextCursor, len(want), cursor, body)
		}
		for i := range want {
			if !bytes.Equal(page.Entries[i], want[i]) {
				t.Fatalf("entry %d: %q, reference %q", i, page.Entries[i], want[i])
			}
		}
	})
}

func BenchmarkSplitPage(b *testing.B) {
	body := synthetic.Body(synthetic.Corpus(9999, 1), "dXNlcjpVMEc5V0ZYTlo=")
	b.Run("splitter", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if err := SplitPage(body, &Page{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("jsontext", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if _, _, err := referenceSplit(body); err != nil {
				b.Fatal(err)
			}
		}
	})
}
