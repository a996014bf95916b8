package drift

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/slackaudit/auditlogs/internal/synthetic"
)

// specAt returns the node of the spec at path (dotted, [] for items), as
// the generated table says: tests take what the spec allows from there, not
// from a list of their own.
func specAt(t *testing.T, path string) *node {
	t.Helper()
	n := &defaultSpec[0]
	for part := range strings.SplitSeq(path, ".") {
		name, items := strings.CutSuffix(part, "[]")
		i, ok := n.members[name]
		if !ok {
			t.Fatalf("the spec has nothing at %s (%s)", path, name)
		}
		n = &defaultSpec[i]
		for items {
			if n.items < 0 {
				t.Fatalf("the spec has no items at %s", path)
			}
			n = &defaultSpec[n.items]
			name, items = strings.CutSuffix(name, "[]")
		}
	}
	return n
}

// base is an entry the spec describes fully, made of members every version
// of the spec has; cases change one place of it.
func base() map[string]any {
	return map[string]any{
		"id":          "e-base",
		"date_create": 1718893200,
		"action":      "user_login",
		"actor":       map[string]any{"type": "user", "user": map[string]any{"id": "W1", "name": "n", "email": "e@example.com", "team": "T1"}},
		"entity":      map[string]any{"type": "channel", "channel": map[string]any{"id": "C1", "name": "general", "is_shared": false}},
		"context":     map[string]any{"location": map[string]any{"type": "workspace", "id": "T1"}, "ua": "", "ip_address": "", "session_id": 1234},
		"details": map[string]any{
			"rules_checked": []any{
				map[string]any{"id": "R1", "title": "t", "condition": map[string]any{"values": []any{map[string]any{"field": "f", "values": []any{"a"}}}}},
				map[string]any{"id": "R2"},
			},
		},
	}
}

func encode(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// at returns the object at the dotted path of m (numbers index arrays).
func at(m map[string]any, path string) map[string]any {
	var cur any = m
	for part := range strings.SplitSeq(path, ".") {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[part]
		case []any:
			var i int
			fmt.Sscan(part, &i)
			cur = c[i]
		}
	}
	return cur.(map[string]any)
}

type want struct {
	kind, path string
	seen       []string
	spec       []string // nil: take the spec's types at path
}

func TestCheckEntries(t *testing.T) {
	// A free-form member of details, found in the table.
	free := ""
	for _, name := range slices.Sorted(mapKeys32(specAt(t, "details").members)) {
		if defaultSpec[specAt(t, "details").members[name]].free {
			free = name
			break
		}
	}
	if free == "" {
		t.Fatal("no free-form member in details")
	}
	tests := []struct {
		name   string
		change func(e map[string]any)
		raw    string // instead of change: the entry's JSON
		want   []want
	}{
		{name: "the base entry", change: func(map[string]any) {}},
		{name: "unknown field at the root", change: func(e map[string]any) { e["zz_new_field"] = "x" },
			want: []want{{KindUnknownField, "zz_new_field", []string{"string"}, []string{}}}},
		{name: "unknown field in context", change: func(e map[string]any) { at(e, "context")["zz_device_id"] = 42 },
			want: []want{{KindUnknownField, "context.zz_device_id", []string{"integer"}, []string{}}}},
		{name: "unknown object is reported once, not its members", change: func(e map[string]any) {
			at(e, "context")["zz_device"] = map[string]any{"a": 1, "b": []any{1}}
		}, want: []want{{KindUnknownField, "context.zz_device", []string{"object"}, []string{}}}},
		{name: "unknown field in array elements: once per entry, types merged", change: func(e map[string]any) {
			at(e, "details.rules_checked.0")["zz_score"] = 1
			at(e, "details.rules_checked.1")["zz_score"] = "high"
		}, want: []want{{KindUnknownField, "details.rules_checked[].zz_score", []string{"string", "integer"}, []string{}}}},
		{name: "nested arrays", change: func(e map[string]any) {
			at(e, "details.rules_checked.0.condition.values.0")["zz_new_field"] = true
		}, want: []want{{KindUnknownField, "details.rules_checked[].condition.values[].zz_new_field", []string{"boolean"}, []string{}}}},
		{name: "retyped in an array", change: func(e map[string]any) {
			at(e, "details.rules_checked.0.condition.values.0")["values"] = []any{"a", 7, nil}
		}, want: []want{{KindUnexpectedType, "details.rules_checked[].condition.values[].values[]", []string{"integer", "null"}, nil}}},
		{name: "retyped boolean", change: func(e map[string]any) { at(e, "entity.channel")["is_shared"] = "yes" },
			want: []want{{KindUnexpectedType, "entity.channel.is_shared", []string{"string"}, nil}}},
		{name: "retyped object: reported, not looked into", change: func(e map[string]any) { e["context"] = []any{map[string]any{"zz": 1}} },
			want: []want{{KindUnexpectedType, "context", []string{"array"}, nil}}},
		{name: "null where the spec has no nullable", change: func(e map[string]any) { e["date_create"] = nil },
			want: []want{{KindUnexpectedType, "date_create", []string{"null"}, nil}}},
		{name: "a number with a fraction where an integer is expected", raw: `{"id":"e","date_create":1.5}`,
			want: []want{{KindUnexpectedType, "date_create", []string{"number"}, nil}}},
		{name: "integral numbers are integers", raw: `{"id":"e","date_create":1.0,"entity":{"type":"huddle","huddle":{"date_start":17e8,"date_end":-0}}}`},
		{name: "unknown entity type", change: func(e map[string]any) {
			e["entity"] = map[string]any{"type": "zz_thing", "zz_thing": map[string]any{"id": "Z1", "zz_field": 1}}
		}, want: []want{{KindUnknownType, "entity.zz_thing", []string{"object"}, []string{}}}},
		{name: "unknown entity type, payload before type", raw: `{"entity":{"zz_thing":{"id":"Z1"},"type":"zz_thing"}}`,
			want: []want{{KindUnknownType, "entity.zz_thing", []string{"object"}, []string{}}}},
		{name: "unknown entity type without payload", raw: `{"entity":{"type":"zz_thing"}}`,
			want: []want{{KindUnknownType, "entity.zz_thing", []string{}, []string{}}}},
		{name: "unknown actor type", change: func(e map[string]any) {
			e["actor"] = map[string]any{"type": "zz_bot", "zz_bot": map[string]any{"id": "B1"}}
		}, want: []want{{KindUnknownType, "actor.zz_bot", []string{"object"}, []string{}}}},
		{name: "known type, unknown member beside it", change: func(e map[string]any) { at(e, "entity")["zz_extra"] = 1 },
			want: []want{{KindUnknownField, "entity.zz_extra", []string{"integer"}, []string{}}}},
		{name: "known payload, unknown field in it", change: func(e map[string]any) { at(e, "entity.channel")["zz_new_flag"] = false },
			want: []want{{KindUnknownField, "entity.channel.zz_new_flag", []string{"boolean"}, []string{}}}},
		{name: "retyped type member", raw: `{"entity":{"type":7}}`,
			want: []want{{KindUnexpectedType, "entity.type", []string{"integer"}, nil}}},
		{name: "a oneOf place takes each alternative", raw: `[{"context":{"session_id":"847288190092"}},{"context":{"session_id":847288190092}}]`},
		{name: "a oneOf place refuses the rest", change: func(e map[string]any) { at(e, "context")["session_id"] = map[string]any{} },
			want: []want{{KindUnexpectedType, "context.session_id", []string{"object"}, nil}}},
		{name: "free-form places are silent", change: func(e map[string]any) {
			at(e, "details")[free] = map[string]any{"zz": []any{1, "a", nil, map[string]any{"deep": true}}}
		}},
		{name: "escaped member names are decoded", raw: `{"\u007a\u007a_new":1,"entity":{"\u0074ype":"zz_thing","zz_\u0074hing":{}}}`,
			want: []want{
				{KindUnknownType, "entity.zz_thing", []string{"object"}, []string{}},
				{KindUnknownField, "zz_new", []string{"integer"}, []string{}},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			entries := [][]byte{[]byte(tt.raw)}
			if tt.change != nil {
				e := base()
				tt.change(e)
				entries[0] = encode(t, e)
			} else if strings.HasPrefix(tt.raw, "[") {
				var list []json.RawMessage
				if err := json.Unmarshal([]byte(tt.raw), &list); err != nil {
					t.Fatal(err)
				}
				entries = nil
				for _, e := range list {
					entries = append(entries, e)
				}
			}
			c := NewChecker()
			for _, e := range entries {
				if err := c.Check(e); err != nil {
					t.Fatalf("Check(%s): %v", e, err)
				}
			}
			var wants []Finding
			for _, w := range tt.want {
				spec := w.spec
				if spec == nil {
					spec = specAt(t, w.path).types.List()
				}
				wants = append(wants, Finding{Kind: w.kind, Path: w.path, Seen: w.seen, Spec: spec, Count: len(entries), ExampleID: exampleID(entries[0])})
			}
			got := c.Findings()
			if !findingsEqual(got, wants) {
				t.Errorf("findings of %s\n got %+v\nwant %+v", entries[0], got, wants)
			}
		})
	}
}

func exampleID(entry []byte) string {
	var e struct{ ID string }
	_ = json.Unmarshal(entry, &e)
	return e.ID
}

func findingsEqual(a, b []Finding) bool {
	return slices.EqualFunc(a, b, func(x, y Finding) bool {
		return x.Kind == y.Kind && x.Path == y.Path && slices.Equal(x.Seen, y.Seen) && slices.Equal(x.Spec, y.Spec) &&
			x.Count == y.Count && x.ExampleID == y.ExampleID
	})
}

func mapKeys32(m map[string]int32) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// TestSemantics checks the rules of the table on a spec built here:
// nullable, number and integer, maps, open and free objects, nested arrays.
func TestSemantics(t *testing.T) {
	s := spec{
		0: {types: TypeObject, values: -1, items: -1, members: map[string]int32{
			"num": 1, "int": 2, "opt": 3, "map": 4, "open": 5, "free": 6, "grid": 7, "id": 10,
		}},
		1:  {types: TypeNumber, values: -1, items: -1},
		2:  {types: TypeInteger, values: -1, items: -1},
		3:  {types: TypeString | TypeNull, values: -1, items: -1},
		4:  {types: TypeObject, values: 2, items: -1},
		5:  {types: TypeObject, open: true, values: -1, items: -1},
		6:  {free: true, values: -1, items: -1},
		7:  {types: TypeArray, values: -1, items: 8},
		8:  {types: TypeArray, values: -1, items: 9},
		9:  {types: TypeObject, values: -1, items: -1, members: map[string]int32{"x": 10}},
		10: {types: TypeString, values: -1, items: -1},
	}
	tests := []struct {
		entry string
		want  []Finding
	}{
		{`{"num":3,"int":3,"opt":"a","map":{"a":1,"b":2},"open":{"any":[1]},"free":[{"x":1}],"grid":[[{"x":"a"}],[]]}`, nil},
		{`{"num":1.5,"int":-2e2,"opt":null}`, nil},
		{`{"int":1.5}`, []Finding{{Kind: KindUnexpectedType, Path: "int", Seen: []string{"number"}, Spec: []string{"integer"}, Count: 1}}},
		{`{"num":"1"}`, []Finding{{Kind: KindUnexpectedType, Path: "num", Seen: []string{"string"}, Spec: []string{"number"}, Count: 1}}},
		{`{"map":{"a":"1"}}`, []Finding{{Kind: KindUnexpectedType, Path: "map.a", Seen: []string{"string"}, Spec: []string{"integer"}, Count: 1}}},
		{`{"grid":[[{"x":"a","y":1}],[{"x":null}]],"id":"E1"}`, []Finding{
			{Kind: KindUnknownField, Path: "grid[][].y", Seen: []string{"integer"}, Spec: []string{}, Count: 1, ExampleID: "E1"},
			{Kind: KindUnexpectedType, Path: "grid[][].x", Seen: []string{"null"}, Spec: []string{"string"}, Count: 1, ExampleID: "E1"},
		}},
		{`{"free":null,"open":{}}`, nil},
		{`{"open":null}`, []Finding{{Kind: KindUnexpectedType, Path: "open", Seen: []string{"null"}, Spec: []string{"object"}, Count: 1}}},
	}
	for _, tt := range tests {
		c := newChecker(s)
		if err := c.Check([]byte(tt.entry)); err != nil {
			t.Errorf("%s: %v", tt.entry, err)
			continue
		}
		if got := c.Findings(); !findingsEqual(got, tt.want) {
			t.Errorf("%s\n got %+v\nwant %+v", tt.entry, got, tt.want)
		}
	}
}

// TestCounts: findings count entries and keep the first entry's id, even
// when the id comes after the finding.
func TestCounts(t *testing.T) {
	c := NewChecker()
	for _, e := range []string{
		`{"zz_new":1,"id":"first"}`,
		`{"id":"second","zz_new":"a","zz_other":true}`,
		`{"id":"third"}`,
	} {
		if err := c.Check([]byte(e)); err != nil {
			t.Fatal(err)
		}
	}
	want := []Finding{
		{Kind: KindUnknownField, Path: "zz_new", Seen: []string{"string", "integer"}, Spec: []string{}, Count: 2, ExampleID: "first"},
		{Kind: KindUnknownField, Path: "zz_other", Seen: []string{"boolean"}, Spec: []string{}, Count: 1, ExampleID: "second"},
	}
	if got := c.Findings(); !findingsEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	if c.Entries() != 3 {
		t.Errorf("Entries() = %d, want 3", c.Entries())
	}
}

// TestNoFalsePositives: every shape the spec's examples and the fake's
// synthetic corpus hold stays silent, but for the drift the fake puts in on
// purpose (see synthetic.Generate): an entity type no spec describes
// (salesforce_record) and, in a few entries marked by a root schema_version,
// members nobody knows yet.
func TestNoFalsePositives(t *testing.T) {
	for _, ex := range specExamples {
		fs, err := Check([]byte(ex.entry))
		if err != nil || len(fs) > 0 {
			t.Errorf("spec example %s: %v, %+v", ex.name, err, fs)
		}
	}
	if len(specExamples) == 0 {
		t.Fatal("no spec examples")
	}
	deliberate := func(f Finding) bool {
		switch f.Path {
		case "entity.salesforce_record":
			return f.Kind == KindUnknownType
		case "schema_version", "region", "actor.user.pronouns", "context.device", "details.risk_score", "details.x_labels":
			return f.Kind == KindUnknownField
		}
		return f.Kind == KindUnknownField && strings.HasPrefix(f.Path, "entity.") && strings.HasSuffix(f.Path, ".x_display_id")
	}
	marked, unknownTypes := 0, 0
	for i, e := range synthetic.Corpus(3000, 11) {
		fs, err := Check(e)
		if err != nil {
			t.Fatalf("synthetic entry %d: %v", i, err)
		}
		var probe struct {
			SchemaVersion *int `json:"schema_version"`
			Entity        struct{ Type string }
		}
		if err := json.Unmarshal(e, &probe); err != nil {
			t.Fatal(err)
		}
		isMarked := probe.SchemaVersion != nil || probe.Entity.Type == "salesforce_record"
		if isMarked {
			marked++
		}
		for _, f := range fs {
			if !isMarked || !deliberate(f) {
				t.Errorf("synthetic entry %d: %+v\n%s", i, f, e)
			}
			if f.Kind == KindUnknownType {
				unknownTypes++
			}
		}
		if isMarked && len(fs) == 0 {
			t.Errorf("synthetic entry %d has the fake's drift, but nothing was found:\n%s", i, e)
		}
	}
	if marked == 0 || unknownTypes == 0 {
		t.Errorf("the corpus has %d marked entries, %d unknown types: the test checks nothing", marked, unknownTypes)
	}
}

func TestCheckErrors(t *testing.T) {
	tests := []struct{ entry, msg string }{
		{``, "unexpected end of input"},
		{`   `, "unexpected end of input"},
		{`[1]`, "must be a JSON object, not an array"},
		{`"x"`, "must be a JSON object, not a string"},
		{`{"id":}`, "unexpected character"},
		{`{"id":"a"} {}`, "data after the entry"},
		{`{"id":"a",}`, "expected an object member's name"},
		{`{"id" "a"}`, "expected :"},
		{`{"id":"a"`, "unexpected end of input after an object member"},
		{`{"a":[1 2]}`, "expected , or ]"},
		{`{"a":01}`, "expected , or }"},
		{`{"a":-}`, "a digit must follow the minus sign"},
		{`{"a":1.}`, "a digit must follow the decimal point"},
		{`{"a":1e}`, "a digit must follow the exponent"},
		{`{"a":tru}`, "invalid literal"},
		{"{\"a\":\"\x01\"}", "control character"},
		{`{"a":"\x"}`, "invalid escape"},
		{`{"a":"\u12"}`, "invalid \\u escape"},
		{`{"a":"\ud800"}`, "invalid surrogate pair"},
		{"{\"a\":\"\xff\"}", "invalid UTF-8"},
		{`{"a":` + strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1) + `}`, "nested deeper"},
		{`{"entity":{"type":"channel","channel":{"id":"C1"` + strings.Repeat(" ", 3), "unexpected end of input"},
		{`{"entity":{"zz":[,],"type":"zz"}}`, "unexpected character"},
	}
	for _, tt := range tests {
		c := NewChecker()
		err := c.Check([]byte(tt.entry))
		var se *SyntaxError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("Check(%q) = %v, want a SyntaxError with %q", tt.entry, err, tt.msg)
		}
		if c.Entries() != 0 || len(c.Findings()) != 0 {
			t.Errorf("Check(%q) counted a bad entry", tt.entry)
		}
	}
}

func TestCheckLines(t *testing.T) {
	c := NewChecker()
	long := `{"id":"long","zz_pad":"` + strings.Repeat("x", 3<<20) + `"}`
	in := "{\"id\":\"a\"}\r\n\n  \n" + long + "\n{\"id\":\"b\",\"zz\":1}"
	if err := c.CheckLines(strings.NewReader(in)); err != nil {
		t.Fatal(err)
	}
	if c.Entries() != 3 {
		t.Errorf("entries = %d, want 3", c.Entries())
	}
	err := c.CheckLines(strings.NewReader("{\"id\":\"a\"}\n\n{\"id\":\n"))
	var le *LineError
	if !errors.As(err, &le) || le.Line != 3 || !strings.HasPrefix(err.Error(), "line 3: invalid JSON at byte 7") {
		t.Errorf("err = %v, want line 3", err)
	}
}

func TestCheckSchemas(t *testing.T) {
	c := NewChecker()
	c.CheckSchemas([]SchemaType{
		{Type: "zz_thing", Fields: map[string]string{"id": "string"}},
		{Type: "channel", Fields: map[string]string{"id": "string", "zz_field": "Optional: vec<string>"}},
		{Type: "channel", Fields: map[string]string{"zz_field": "array"}},
		{Type: "user", Fields: map[string]string{"id": "string"}},
		{Type: ""},
	})
	want := []Finding{
		{Kind: KindSchemaUnknownType, Path: "entity.zz_thing", Seen: []string{}, Spec: []string{}, Count: 1},
		{Kind: KindSchemaUnknownField, Path: "entity.channel.zz_field", Seen: []string{"Optional: vec<string>", "array"}, Spec: []string{}, Count: 2},
	}
	if got := c.Findings(); !findingsEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

func TestTypesList(t *testing.T) {
	if got := (TypeNull | TypeString | TypeInteger).String(); got != "string,integer,null" {
		t.Errorf("got %q", got)
	}
	if got := Types(0).List(); got == nil || len(got) != 0 {
		t.Errorf("empty list = %#v, want non-nil empty", got)
	}
}

// TestCheckLinesInParallel: over many batches, CheckLines counts what
// checking the lines one by one counts, example ids included, and reports
// the first bad line whichever worker finds it.
func TestCheckLinesInParallel(t *testing.T) {
	corpus := synthetic.Corpus(5*batchLines+17, 4)
	var in strings.Builder
	one := NewChecker()
	for i, e := range corpus {
		in.Write(e)
		in.WriteString("\n")
		if i%100 == 0 {
			in.WriteString("\n") // blank lines count as lines
		}
		if err := one.Check(e); err != nil {
			t.Fatal(err)
		}
	}
	lines := NewChecker()
	if err := lines.CheckLines(strings.NewReader(in.String())); err != nil {
		t.Fatal(err)
	}
	if lines.Entries() != one.Entries() || !findingsEqual(lines.Findings(), one.Findings()) || len(one.Findings()) == 0 {
		t.Errorf("CheckLines: %d entries, %+v\none by one: %d entries, %+v", lines.Entries(), lines.Findings(), one.Entries(), one.Findings())
	}
	// A second file adds to the counts; its entries come after the first's.
	if err := lines.CheckLines(strings.NewReader(string(corpus[0]) + "\n")); err != nil {
		t.Fatal(err)
	}
	if err := one.Check(corpus[0]); err != nil {
		t.Fatal(err)
	}
	if !findingsEqual(lines.Findings(), one.Findings()) {
		t.Error("a second CheckLines does not add up like Check")
	}

	text := strings.Split(in.String(), "\n")
	for _, bad := range [][]int{{3 * batchLines}, {4*batchLines + 2, 40}, {2, 5 * batchLines}} {
		mangled := slices.Clone(text)
		for _, l := range bad {
			mangled[l-1] = `{"id":`
		}
		err := NewChecker().CheckLines(strings.NewReader(strings.Join(mangled, "\n")))
		var le *LineError
		if !errors.As(err, &le) || le.Line != slices.Min(bad) {
			t.Errorf("bad lines %v: %v, want line %d", bad, err, slices.Min(bad))
		}
	}
}

// TestMerge: merged counts add up, and the example is the earliest entry's.
func TestMerge(t *testing.T) {
	late, early := NewChecker(), NewChecker()
	late.order, early.order = 5, 2
	if late.Check([]byte(`{"id":"late","zz":1}`)) != nil || early.Check([]byte(`{"id":"early","zz":"a"}`)) != nil {
		t.Fatal("check failed")
	}
	c := NewChecker()
	c.merge(late)
	c.merge(early)
	want := []Finding{{Kind: KindUnknownField, Path: "zz", Seen: []string{"string", "integer"}, Spec: []string{}, Count: 2, ExampleID: "early"}}
	if got := c.Findings(); !findingsEqual(got, want) || c.Entries() != 2 {
		t.Errorf("got %+v, %d entries; want %+v", got, c.Entries(), want)
	}
}
