// Command gendrift writes internal/drift/spec_gen.go: what api/openapi.yaml
// says about every place of an audit entry (the items of the entries of the
// GET /logs response), as a table of nodes for the drift check. It also
// writes internal/drift/examples_gen_test.go, the entries of the spec's
// /logs examples, which the drift tests check produce no finding.
//
// Each node holds the JSON types allowed at its place (nullable adds null),
// the members an object names, the node of an array's items, the node of
// additionalProperties, and whether anything goes there (a schema with no
// type, or x-go-type json.RawMessage). The alternatives of oneOf and anyOf,
// and the parts of allOf, are merged into one node: a value is accepted if
// some alternative accepts its type, and a member if some alternative names
// it. The members named by -keyed (entity and actor) hold their payload
// under a key named after their type member.
//
// It lives in the tools module, with kin-openapi, so that neither reaches
// the main module's graph. generate.go runs it as
//
//	go run -C tools ./gendrift
//
// so its default paths are relative to tools/.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"go/format"
	"log"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

func main() {
	specPath := flag.String("spec", "../api/openapi.yaml", "the OpenAPI document to read")
	out := flag.String("o", "../internal/drift/spec_gen.go", "the Go file to write")
	examplesOut := flag.String("examples", "../internal/drift/examples_gen_test.go", "the Go test file to write the /logs examples' entries to")
	keyed := flag.String("keyed", "entity,actor", "the entry's members whose payload sits under a key named after their type, comma-separated")
	flag.Parse()

	doc, err := load(*specPath)
	if err != nil {
		log.Fatalf("gendrift: %v", err)
	}
	src, err := generate(doc, strings.Split(*keyed, ","))
	if err != nil {
		log.Fatalf("gendrift: %v", err)
	}
	examples, err := generateExamples(doc)
	if err != nil {
		log.Fatalf("gendrift: %v", err)
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		log.Fatalf("gendrift: %v", err)
	}
	if err := os.WriteFile(*examplesOut, examples, 0o644); err != nil {
		log.Fatalf("gendrift: %v", err)
	}
}

// load reads and validates the document.
func load(path string) (*openapi3.T, error) {
	doc, err := openapi3.NewLoader().LoadFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("validate %s: %w", path, err)
	}
	return doc, nil
}

// logsContent returns the JSON content of the 200 response of GET /logs.
func logsContent(doc *openapi3.T) (*openapi3.MediaType, error) {
	item := doc.Paths.Find("/logs")
	if item == nil || item.Get == nil {
		return nil, errors.New("no GET /logs in the document")
	}
	resp := item.Get.Responses.Status(200)
	if resp == nil || resp.Value == nil {
		return nil, errors.New("GET /logs has no 200 response")
	}
	mt := resp.Value.Content.Get("application/json")
	if mt == nil || mt.Schema == nil || mt.Schema.Value == nil {
		return nil, errors.New("the 200 response of GET /logs has no application/json schema")
	}
	return mt, nil
}

// entrySchema returns the schema of one entry: the items of the entries
// of the 200 response of GET /logs.
func entrySchema(doc *openapi3.T) (*openapi3.Schema, error) {
	mt, err := logsContent(doc)
	if err != nil {
		return nil, err
	}
	entries := mt.Schema.Value.Properties["entries"]
	if entries == nil || entries.Value == nil || entries.Value.Items == nil || entries.Value.Items.Value == nil {
		return nil, errors.New("the /logs response schema has no entries array with items")
	}
	return entries.Value.Items.Value, nil
}

// The JSON type bits, as internal/drift defines them.
var typeBits = []struct {
	name, constant string
}{
	{"string", "TypeString"}, {"integer", "TypeInteger"}, {"number", "TypeNumber"},
	{"boolean", "TypeBoolean"}, {"array", "TypeArray"}, {"object", "TypeObject"}, {"null", "TypeNull"},
}

func typeBit(name string) (uint8, bool) {
	for i, t := range typeBits {
		if t.name == name {
			return 1 << i, true
		}
	}
	return 0, false
}

// gnode is a node being built; see node in internal/drift.
type gnode struct {
	path    string // the first place it was found at, for a comment
	types   uint8
	free    bool
	keyed   bool
	open    bool
	members map[string]int
	values  int
	items   int
}

type builder struct {
	nodes []*gnode
	memo  map[string]int // a set of schemas, to its node
}

// build returns the node of the schemas merged, building it if need be.
func (b *builder) build(schemas []*openapi3.Schema, path string) (int, error) {
	keys := make([]string, len(schemas))
	for i, s := range schemas {
		keys[i] = fmt.Sprintf("%p", s)
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	key := strings.Join(keys, ",")
	if i, ok := b.memo[key]; ok {
		return i, nil
	}
	n := &gnode{path: path, values: -1, items: -1}
	idx := len(b.nodes)
	b.nodes = append(b.nodes, n)
	b.memo[key] = idx

	props := map[string][]*openapi3.Schema{}
	var items, values []*openapi3.Schema
	itemsFree := false
	var visit func(s *openapi3.Schema) error
	visit = func(s *openapi3.Schema) error {
		if s.Nullable {
			n.types |= 1 << 6
		}
		if t, _ := s.Extensions["x-go-type"].(string); t == "json.RawMessage" {
			n.free = true
			return nil
		}
		composite := false
		for _, refs := range []openapi3.SchemaRefs{s.OneOf, s.AnyOf, s.AllOf} {
			for _, r := range refs {
				if r == nil || r.Value == nil {
					return fmt.Errorf("%s: an unresolved schema in oneOf, anyOf or allOf", path)
				}
				composite = true
				if err := visit(r.Value); err != nil {
					return err
				}
			}
		}
		addl := s.AdditionalProperties
		hasAddl := addl.Has != nil || addl.Schema != nil
		var types []string
		if s.Type != nil {
			types = *s.Type
		}
		if len(types) == 0 {
			switch {
			case len(s.Properties) > 0 || hasAddl:
				types = []string{"object"}
			case s.Items != nil:
				types = []string{"array"}
			case !composite:
				n.free = true // no type, nothing else: any JSON value
				return nil
			}
		}
		for _, t := range types {
			bit, ok := typeBit(t)
			if !ok {
				return fmt.Errorf("%s: unknown type %q", path, t)
			}
			n.types |= bit
			switch t {
			case "object":
				for name, p := range s.Properties {
					if p == nil || p.Value == nil {
						return fmt.Errorf("%s.%s: unresolved schema", path, name)
					}
					props[name] = append(props[name], p.Value)
				}
				switch {
				case addl.Schema != nil && addl.Schema.Value != nil:
					values = append(values, addl.Schema.Value)
				case addl.Has != nil && *addl.Has, !hasAddl && len(s.Properties) == 0:
					n.open = true // any member, unchecked
				}
			case "array":
				if s.Items != nil && s.Items.Value != nil {
					items = append(items, s.Items.Value)
				} else {
					itemsFree = true
				}
			}
		}
		return nil
	}
	for _, s := range schemas {
		if err := visit(s); err != nil {
			return 0, err
		}
	}
	if n.free {
		n.types = 0
		return idx, nil
	}
	if len(props) > 0 {
		n.members = map[string]int{}
	}
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range props {
			if !yield(k) {
				return
			}
		}
	}) {
		child, err := b.build(props[name], join(path, name))
		if err != nil {
			return 0, err
		}
		n.members[name] = child
	}
	if len(values) > 0 && !n.open {
		child, err := b.build(values, join(path, "*"))
		if err != nil {
			return 0, err
		}
		n.values = child
	}
	if len(items) > 0 && !itemsFree {
		child, err := b.build(items, path+"[]")
		if err != nil {
			return 0, err
		}
		n.items = child
	}
	return idx, nil
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// signature describes n with its children's classes, for minimizing.
func (n *gnode) signature(class []int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d %t %t %t", n.types, n.free, n.keyed, n.open)
	for _, name := range sortedKeys(n.members) {
		fmt.Fprintf(&b, " %q:%d", name, class[n.members[name]])
	}
	child := func(i int) int {
		if i < 0 {
			return -1
		}
		return class[i]
	}
	fmt.Fprintf(&b, " v%d i%d", child(n.values), child(n.items))
	return b.String()
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// minimize merges the nodes that describe the same thing (many places are
// a string array, for example) and numbers the rest in depth-first order
// from the root, members by name: the output depends on the document only.
func minimize(nodes []*gnode) []*gnode {
	class := make([]int, len(nodes)) // start: all in one class
	for {
		ids := map[string]int{}
		next := make([]int, len(nodes))
		for i, n := range nodes {
			sig := n.signature(class)
			id, ok := ids[sig]
			if !ok {
				id = len(ids)
				ids[sig] = id
			}
			next[i] = id
		}
		if slices.Equal(next, class) || len(ids) == countDistinct(class) {
			class = next
			break
		}
		class = next
	}
	// One representative per class, renumbered depth-first from node 0.
	rep := map[int]int{} // class to the new index
	var out []*gnode
	var walk func(i int) int
	walk = func(i int) int {
		if j, ok := rep[class[i]]; ok {
			return j
		}
		n := nodes[i]
		j := len(out)
		rep[class[i]] = j
		m := &gnode{path: n.path, types: n.types, free: n.free, keyed: n.keyed, open: n.open, values: -1, items: -1}
		out = append(out, m)
		if n.members != nil {
			m.members = map[string]int{}
			for _, name := range sortedKeys(n.members) {
				m.members[name] = walk(n.members[name])
			}
		}
		if n.values >= 0 {
			m.values = walk(n.values)
		}
		if n.items >= 0 {
			m.items = walk(n.items)
		}
		return j
	}
	walk(0)
	return out
}

func countDistinct(xs []int) int {
	seen := map[int]bool{}
	for _, x := range xs {
		seen[x] = true
	}
	return len(seen)
}

// generate returns the source of spec_gen.go.
func generate(doc *openapi3.T, keyed []string) ([]byte, error) {
	entry, err := entrySchema(doc)
	if err != nil {
		return nil, err
	}
	b := &builder{memo: map[string]int{}}
	if _, err := b.build([]*openapi3.Schema{entry}, ""); err != nil {
		return nil, err
	}
	root := b.nodes[0]
	for _, k := range keyed {
		k = strings.TrimSpace(k)
		if k == "" {
			continue
		}
		i, ok := root.members[k]
		if !ok {
			return nil, fmt.Errorf("-keyed: the entry schema has no member %q", k)
		}
		n := b.nodes[i]
		if n.free || n.types&(1<<5) == 0 {
			return nil, fmt.Errorf("-keyed: the entry's member %q is not an object", k)
		}
		if _, ok := n.members["type"]; !ok {
			return nil, fmt.Errorf("-keyed: the entry's member %q has no type member", k)
		}
		n.keyed = true
	}
	nodes := minimize(b.nodes)

	var src bytes.Buffer
	src.WriteString(`// Code generated by tools/gendrift from api/openapi.yaml; DO NOT EDIT.

package drift

// specNodes is what api/openapi.yaml says about every place of an audit
// entry; specNodes[0] is the entry. The comment of a node names the first
// place it describes.
var specNodes = []node{
`)
	for i, n := range nodes {
		path := n.path
		if path == "" {
			path = "(the entry)"
		}
		fmt.Fprintf(&src, "\t// %d: %s\n\t{", i, path)
		var fields []string
		if n.types != 0 {
			var names []string
			for j, t := range typeBits {
				if n.types&(1<<j) != 0 {
					names = append(names, t.constant)
				}
			}
			fields = append(fields, "types: "+strings.Join(names, " | "))
		}
		for _, f := range []struct {
			on   bool
			name string
		}{{n.free, "free"}, {n.keyed, "keyed"}, {n.open, "open"}} {
			if f.on {
				fields = append(fields, f.name+": true")
			}
		}
		src.WriteString(strings.Join(fields, ", "))
		if len(fields) > 0 {
			src.WriteString(", ")
		}
		fmt.Fprintf(&src, "values: %d, items: %d", n.values, n.items)
		if n.members != nil {
			src.WriteString(", members: map[string]int32{\n")
			for _, name := range sortedKeys(n.members) {
				fmt.Fprintf(&src, "\t\t%s: %d,\n", strconv.Quote(name), n.members[name])
			}
			src.WriteString("\t}")
		}
		src.WriteString("},\n")
	}
	src.WriteString("}\n")
	return format.Source(src.Bytes())
}

// generateExamples returns the source of examples_gen_test.go: every entry
// of every example of the 200 response of GET /logs, as compact JSON.
func generateExamples(doc *openapi3.T) ([]byte, error) {
	mt, err := logsContent(doc)
	if err != nil {
		return nil, err
	}
	type example struct {
		name  string
		value any
	}
	var list []example
	if mt.Example != nil {
		list = append(list, example{"example", mt.Example})
	}
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range mt.Examples {
			if !yield(k) {
				return
			}
		}
	}) {
		ex := mt.Examples[name]
		if ex != nil && ex.Value != nil {
			list = append(list, example{name, ex.Value.Value})
		}
	}
	var src bytes.Buffer
	src.WriteString(`// Code generated by tools/gendrift from api/openapi.yaml; DO NOT EDIT.

package drift

// specExamples are the entries of the examples of the GET /logs response in
// api/openapi.yaml, as compact JSON: the spec's own examples, which the drift
// check must accept without a finding.
var specExamples = []struct{ name, entry string }{
`)
	count := 0
	for _, ex := range list {
		body, ok := ex.value.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("the /logs example %s is not an object", ex.name)
		}
		entries, _ := body["entries"].([]any)
		for i, e := range entries {
			raw, err := json.Marshal(e)
			if err != nil {
				return nil, fmt.Errorf("the /logs example %s, entry %d: %w", ex.name, i, err)
			}
			fmt.Fprintf(&src, "\t{%s, %s},\n", strconv.Quote(fmt.Sprintf("%s/entries/%d", ex.name, i)), strconv.Quote(string(raw)))
			count++
		}
	}
	if count == 0 {
		return nil, errors.New("the /logs response has no example entries")
	}
	src.WriteString("}\n")
	return format.Source(src.Bytes())
}
