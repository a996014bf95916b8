// Package drift reports what in audit entries the API description
// (api/openapi.yaml) does not describe: members it does not name, JSON types
// it does not allow, and entity or actor types it has no payload for.
//
// Its knowledge of the spec is spec_gen.go, which tools/gendrift writes from
// api/openapi.yaml at go generate time: a table of nodes, one for each place
// of an entry (the items of the /logs response's entries). Checking is a
// single pass over the entry's bytes with a hand-written scanner that also
// validates the JSON; nothing is unmarshalled.
package drift

import (
	"slices"
	"strings"
	"sync"
)

// Types is a set of JSON types.
type Types uint8

// The JSON types. An integer is a number without a fractional part (3 and
// 3.0 are integers, 1.5 is not); an integer is allowed where the spec says
// number.
const (
	TypeString Types = 1 << iota
	TypeInteger
	TypeNumber
	TypeBoolean
	TypeArray
	TypeObject
	TypeNull
)

var typeNames = [...]string{"string", "integer", "number", "boolean", "array", "object", "null"}

// List returns the names of the types in t, in a fixed order (string,
// integer, number, boolean, array, object, null); never nil.
func (t Types) List() []string {
	out := []string{}
	for i, name := range typeNames {
		if t&(1<<i) != 0 {
			out = append(out, name)
		}
	}
	return out
}

// String returns the names of the types in t joined by commas.
func (t Types) String() string { return strings.Join(t.List(), ",") }

// allows reports whether a value of the single type seen may sit where t is
// allowed.
func (t Types) allows(seen Types) bool {
	return t&seen != 0 || (seen == TypeInteger && t&TypeNumber != 0)
}

// The kinds of findings.
const (
	// KindUnknownField: a member the spec does not describe.
	KindUnknownField = "unknown_field"
	// KindUnexpectedType: a JSON type the spec does not allow there.
	KindUnexpectedType = "unexpected_type"
	// KindUnknownType: an entity.type or actor.type whose payload the spec
	// does not describe, reported at entity.<type> or actor.<type>.
	KindUnknownType = "unknown_type"
	// KindSchemaUnknownType: a type GET /schemas lists that the spec has no
	// entity payload for.
	KindSchemaUnknownType = "schema_unknown_type"
	// KindSchemaUnknownField: a field GET /schemas lists for a type whose
	// payload in the spec does not name it.
	KindSchemaUnknownField = "schema_unknown_field"
)

// kindOrder is the order findings are listed in.
var kindOrder = map[string]int{
	KindUnknownType: 0, KindUnknownField: 1, KindUnexpectedType: 2,
	KindSchemaUnknownType: 3, KindSchemaUnknownField: 4,
}

// Finding is one kind of drift at one place, over all the entries checked.
type Finding struct {
	Kind string
	// Path is the place: member names from the entry's root joined by dots,
	// with [] for the elements of an array (details.rules_checked[].title).
	Path string
	// Seen is the JSON types found there (for the schema kinds: Slack's
	// type descriptions, such as "Optional: vec<string>").
	Seen []string
	// Spec is the JSON types the spec allows there; empty for the kinds
	// where the spec has nothing at that place.
	Spec []string
	// Count is the number of entries with this finding (for the schema
	// kinds: the number of /schemas elements).
	Count int
	// ExampleID is the id of the first entry with this finding ("" if it
	// had none, and for the schema kinds).
	ExampleID string
}

// node is what the spec says about one place of an entry. spec_gen.go holds
// the nodes of api/openapi.yaml.
type node struct {
	types Types // the JSON types allowed here
	// free: anything goes here (a schema such as {} or FreeForm): no check,
	// no descent.
	free bool
	// keyed: an object whose payload sits under the member named by its
	// "type" member (entity, actor).
	keyed bool
	// open: members the spec does not name are allowed, unchecked
	// (additionalProperties: true, or an object schema naming none).
	open    bool
	members map[string]int32 // the members the spec names, to their node
	values  int32            // additionalProperties: the node of every other member, or -1
	items   int32            // the node of an array's items, or -1 (anything)
}

// spec is a table of nodes; nodes[0] is the entry.
type spec []node

// defaultSpec is the spec of api/openapi.yaml.
var defaultSpec = spec(specNodes)

// aggregate is a finding being counted.
type aggregate struct {
	kind      string
	path      string
	seen      Types
	spec      Types
	descs     []string // schema kinds: Slack's type descriptions
	count     int
	exampleID string
	first     int64 // the order of the entry exampleID is from
}

// pending is a finding of the entry being checked, before it is counted.
type pending struct {
	kind       string
	start, end int // its path in Checker.arena
	seen, spec Types
}

// Checker checks entries and counts what it finds. The zero value is not
// usable: call NewChecker. A Checker is not safe for concurrent use.
type Checker struct {
	spec    spec
	entries int
	order   int64                            // of the next entry: which one came first, across merges
	found   map[string]map[string]*aggregate // kind, path
	// Scratch of the entry being checked.
	sc      scanner
	path    []byte
	arena   []byte
	pending []pending
	id      []byte // the entry's id
	name    []byte // a member name with escapes, decoded
	scratch []byte
	types   []byte // the names of unknown types of the keyed objects being checked
}

// NewChecker returns a Checker for the spec of api/openapi.yaml.
func NewChecker() *Checker { return newChecker(defaultSpec) }

func newChecker(s spec) *Checker {
	return &Checker{spec: s, found: map[string]map[string]*aggregate{}}
}

// Check checks one entry: the JSON of one audit event. It returns an error,
// and counts nothing, if entry is not a well-formed JSON object.
func (c *Checker) Check(entry []byte) error {
	c.path, c.arena, c.pending, c.id, c.types = c.path[:0], c.arena[:0], c.pending[:0], c.id[:0], c.types[:0]
	c.sc = scanner{data: entry}
	if err := c.sc.validUTF8(); err != nil {
		return err
	}
	c.sc.ws()
	if c.sc.pos < len(c.sc.data) && c.sc.data[c.sc.pos] != '{' {
		t, err := c.sc.skip(0)
		if err != nil {
			return err
		}
		return &SyntaxError{Offset: 0, Msg: "an entry must be a JSON object, not " + article(t)}
	}
	if err := c.value(0, 0, true); err != nil {
		return err
	}
	c.sc.ws()
	if c.sc.pos != len(c.sc.data) {
		return c.sc.errorf("data after the entry's closing brace")
	}
	c.entries++
	order := c.order
	c.order++
	for i, p := range c.pending {
		if c.seenBefore(i) {
			continue
		}
		path := c.arena[p.start:p.end]
		byPath := c.found[p.kind]
		if byPath == nil {
			byPath = map[string]*aggregate{}
			c.found[p.kind] = byPath
		}
		a := byPath[string(path)]
		if a == nil {
			a = &aggregate{kind: p.kind, path: string(path), exampleID: string(c.id), first: order}
			byPath[a.path] = a
		}
		a.seen |= p.seen
		a.spec |= p.spec
		a.count++
	}
	return nil
}

// seenBefore reports whether the entry's pending finding i repeats an
// earlier one (the same kind at the same path, as in the elements of an
// array), and folds its types into that one.
func (c *Checker) seenBefore(i int) bool {
	p := c.pending[i]
	for j := range i {
		q := &c.pending[j]
		if q.kind == p.kind && string(c.arena[q.start:q.end]) == string(c.arena[p.start:p.end]) {
			// The first of them is counted already (pending findings are
			// counted in order): fold p's types into its aggregate.
			c.found[q.kind][string(c.arena[q.start:q.end])].seen |= p.seen
			return true
		}
	}
	return false
}

// merge adds what w counted to c; w is not used after.
func (c *Checker) merge(w *Checker) {
	c.entries += w.entries
	for kind, byPath := range w.found {
		mine := c.found[kind]
		if mine == nil {
			c.found[kind] = byPath
			continue
		}
		for path, a := range byPath {
			m := mine[path]
			if m == nil {
				mine[path] = a
				continue
			}
			m.seen |= a.seen
			m.spec |= a.spec
			m.count += a.count
			if a.first < m.first {
				m.first, m.exampleID = a.first, a.exampleID
			}
		}
	}
}

// Entries returns the number of entries checked without error.
func (c *Checker) Entries() int { return c.entries }

// Findings returns what was found so far, by kind (unknown_type,
// unknown_field, unexpected_type, then the schema kinds) and path.
func (c *Checker) Findings() []Finding {
	var out []Finding
	for _, byPath := range c.found {
		for _, a := range byPath {
			f := Finding{Kind: a.kind, Path: a.path, Seen: a.seen.List(), Spec: a.spec.List(), Count: a.count, ExampleID: a.exampleID}
			if a.descs != nil {
				f.Seen = slices.Clone(a.descs)
			}
			out = append(out, f)
		}
	}
	slices.SortFunc(out, func(a, b Finding) int {
		if d := kindOrder[a.Kind] - kindOrder[b.Kind]; d != 0 {
			return d
		}
		return strings.Compare(a.Path, b.Path)
	})
	return out
}

// report records a finding of the entry being checked at the current path,
// or at the current path plus "." and name if name is not nil.
func (c *Checker) report(kind string, name []byte, seen, spec Types) {
	start := len(c.arena)
	c.arena = append(c.arena, c.path...)
	if name != nil {
		if len(c.path) > 0 {
			c.arena = append(c.arena, '.')
		}
		c.arena = append(c.arena, name...)
	}
	c.pending = append(c.pending, pending{kind: kind, start: start, end: len(c.arena), seen: seen, spec: spec})
}

// value checks the value at the scanner's position against node n; depth
// is the nesting so far, and root says it is the entry itself.
func (c *Checker) value(n int32, depth int, root bool) error {
	nd := &c.spec[n]
	if nd.free {
		_, err := c.sc.skip(depth)
		return err
	}
	if !c.sc.more() {
		return c.sc.errorf("unexpected end of input where a value was expected")
	}
	var t Types
	switch c.sc.data[c.sc.pos] {
	case '{':
		t = TypeObject
	case '[':
		t = TypeArray
	default:
		var err error
		if t, err = c.sc.skip(depth); err != nil {
			return err
		}
		if !nd.types.allows(t) {
			c.report(KindUnexpectedType, nil, t, nd.types)
		}
		return nil
	}
	if !nd.types.allows(t) {
		c.report(KindUnexpectedType, nil, t, nd.types)
		_, err := c.sc.skip(depth)
		return err
	}
	if t == TypeObject {
		return c.object(nd, depth+1, root)
	}
	return c.array(nd, depth+1)
}

// array checks an array (at the scanner's position) whose items node nd
// describes; depth counts the array.
func (c *Checker) array(nd *node, depth int) error {
	if nd.items < 0 {
		_, err := c.sc.skip(depth - 1)
		return err
	}
	if depth > maxDepth {
		return c.sc.errorf("nested deeper than %d levels", maxDepth)
	}
	mark := len(c.path)
	c.path = append(c.path, "[]"...)
	defer func() { c.path = c.path[:mark] }()
	c.sc.pos++ // [
	c.sc.ws()
	if c.sc.more() && c.sc.data[c.sc.pos] == ']' {
		c.sc.pos++
		return nil
	}
	for {
		c.sc.ws()
		if err := c.value(nd.items, depth, false); err != nil {
			return err
		}
		if done, err := c.sc.next(']'); done || err != nil {
			return err
		}
	}
}

// object checks an object (at the scanner's position) that nd describes;
// depth counts the object. At the root it also records the entry's id.
func (c *Checker) object(nd *node, depth int, root bool) error {
	if depth > maxDepth {
		return c.sc.errorf("nested deeper than %d levels", maxDepth)
	}
	// A keyed object (entity, actor): the payload of a type the spec does
	// not know is reported once, as unknown_type, and not looked into.
	unknownType := -1
	typeStart, typeEnd := 0, 0 // the type's name, in c.types
	if nd.keyed {
		typ, ok, err := c.sc.typeMember(&c.name, depth)
		if err != nil {
			return err
		}
		if _, known := nd.members[string(typ)]; ok && (!known || string(typ) == "type") {
			typeStart = len(c.types)
			c.types = append(c.types, typ...)
			typeEnd = len(c.types)
			defer func() { c.types = c.types[:typeStart] }()
			unknownType = len(c.pending)
			c.report(KindUnknownType, typ, 0, 0)
		}
	}
	mark := len(c.path)
	c.sc.pos++ // {
	c.sc.ws()
	if c.sc.more() && c.sc.data[c.sc.pos] == '}' {
		c.sc.pos++
		return nil
	}
	for {
		name, err := c.sc.memberName(&c.name)
		if err != nil {
			return err
		}
		child, known := nd.members[string(name)]
		switch {
		case unknownType >= 0 && string(name) == string(c.types[typeStart:typeEnd]):
			t, err := c.sc.skip(depth)
			if err != nil {
				return err
			}
			c.pending[unknownType].seen |= t
		case known || nd.values >= 0:
			if !known {
				child = nd.values
			}
			if root && string(name) == "id" && c.sc.more() && c.sc.data[c.sc.pos] == '"' {
				save := c.sc.pos
				id, err := c.sc.name(&c.scratch)
				if err != nil {
					return err
				}
				c.id = append(c.id[:0], id...)
				c.sc.pos = save
			}
			c.path = appendMember(c.path[:mark], name)
			err = c.value(child, depth, false)
			c.path = c.path[:mark]
			if err != nil {
				return err
			}
		case nd.open:
			if _, err := c.sc.skip(depth); err != nil {
				return err
			}
		default:
			t, err := c.sc.skip(depth)
			if err != nil {
				return err
			}
			c.report(KindUnknownField, name, t, 0)
		}
		if done, err := c.sc.next('}'); done || err != nil {
			return err
		}
	}
}

func appendMember(path, name []byte) []byte {
	if len(path) > 0 {
		path = append(path, '.')
	}
	return append(path, name...)
}

// SchemaType is one element of GET /schemas: a type and its fields, each
// with Slack's description of its type.
type SchemaType struct {
	Type   string
	Fields map[string]string
}

// CheckSchemas compares the types and fields GET /schemas lists with the
// entity payloads of the spec, and counts the types the spec has no payload
// for (at entity.<type>) and the fields a known payload does not name (at
// entity.<type>.<field>). Field names in /schemas do not always match the
// ones entries carry, so these findings say where to look, not that entries
// differ.
func (c *Checker) CheckSchemas(types []SchemaType) {
	root := &c.spec[0]
	ent, ok := root.members["entity"]
	if !ok {
		return
	}
	entity := &c.spec[ent]
	add := func(kind, path, desc string) {
		byPath := c.found[kind]
		if byPath == nil {
			byPath = map[string]*aggregate{}
			c.found[kind] = byPath
		}
		a := byPath[path]
		if a == nil {
			a = &aggregate{kind: kind, path: path, descs: []string{}}
			byPath[path] = a
		}
		a.count++
		if desc != "" && !slices.Contains(a.descs, desc) {
			a.descs = append(a.descs, desc)
		}
	}
	for _, st := range types {
		if st.Type == "" {
			continue
		}
		p, known := entity.members[st.Type]
		if !known || st.Type == "type" {
			add(KindSchemaUnknownType, "entity."+st.Type, "")
			continue
		}
		payload := &c.spec[p]
		if payload.free || payload.open || payload.values >= 0 {
			continue
		}
		for _, field := range slices.Sorted(mapKeys(st.Fields)) {
			if _, ok := payload.members[field]; !ok {
				add(KindSchemaUnknownField, "entity."+st.Type+"."+field, st.Fields[field])
			}
		}
	}
}

func mapKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

var pool = sync.Pool{New: func() any { return NewChecker() }}

// Check checks one entry and returns its findings, each with Count 1. It
// returns an error if entry is not a well-formed JSON object. It is safe
// for concurrent use.
func Check(entry []byte) ([]Finding, error) {
	c := pool.Get().(*Checker)
	defer func() {
		c.entries = 0
		clear(c.found)
		pool.Put(c)
	}()
	if err := c.Check(entry); err != nil {
		return nil, err
	}
	return c.Findings(), nil
}

func article(t Types) string {
	switch t {
	case TypeArray, TypeObject, TypeInteger:
		return "an " + t.String()
	}
	return "a " + t.String()
}
