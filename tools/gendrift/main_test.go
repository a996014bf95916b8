package main

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// TestCommittedOutputIsCurrent: the committed files are what the generator
// writes for api/openapi.yaml now (go generate ./... refreshes them).
func TestCommittedOutputIsCurrent(t *testing.T) {
	doc, err := load("../../api/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	src, err := generate(doc, []string{"entity", "actor"})
	if err != nil {
		t.Fatal(err)
	}
	examples, err := generateExamples(doc)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string][]byte{
		"../../internal/drift/spec_gen.go":          src,
		"../../internal/drift/examples_gen_test.go": examples,
	} {
		got, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: run go generate ./...", name)
		}
	}
}

// miniSpec is a document whose entry schema is entry (YAML, indented for
// components.schemas.Entry), with other components after it.
func miniSpec(t *testing.T, entry, others string) *openapi3.T {
	t.Helper()
	src := `openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /logs:
    get:
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema:
                type: object
                properties:
                  entries:
                    type: array
                    items:
                      $ref: '#/components/schemas/Entry'
              example:
                entries:
                  - {id: a}
components:
  schemas:
    Entry:
` + entry + others
	doc, err := openapi3.NewLoader().LoadFromData([]byte(src))
	if err != nil {
		t.Fatalf("load: %v\n%s", err, src)
	}
	if err := doc.Validate(t.Context()); err != nil {
		t.Fatalf("validate: %v\n%s", err, src)
	}
	return doc
}

// node returns the node at path (dotted, [] for items, * for
// additionalProperties) of the minimized nodes.
func nodeAt(t *testing.T, nodes []*gnode, path string) *gnode {
	t.Helper()
	n := nodes[0]
	if path == "" {
		return n
	}
	for part := range strings.SplitSeq(path, ".") {
		name := strings.TrimRight(part, "[]")
		depth := (len(part) - len(name)) / 2
		switch {
		case name == "*":
			if n.values < 0 {
				t.Fatalf("%s: no additionalProperties node", path)
			}
			n = nodes[n.values]
		case name != "":
			i, ok := n.members[name]
			if !ok {
				t.Fatalf("%s: no member %s", path, name)
			}
			n = nodes[i]
		}
		for range depth {
			if n.items < 0 {
				t.Fatalf("%s: no items node", path)
			}
			n = nodes[n.items]
		}
	}
	return n
}

func buildMini(t *testing.T, entry, others string, keyed ...string) []*gnode {
	t.Helper()
	doc := miniSpec(t, entry, others)
	if _, err := generate(doc, keyed); err != nil {
		t.Fatal(err)
	}
	e, err := entrySchema(doc)
	if err != nil {
		t.Fatal(err)
	}
	b := &builder{memo: map[string]int{}}
	if _, err := b.build([]*openapi3.Schema{e}, ""); err != nil {
		t.Fatal(err)
	}
	return minimize(b.nodes)
}

func TestBuild(t *testing.T) {
	const (
		tString  = 1 << 0
		tInteger = 1 << 1
		tNumber  = 1 << 2
		tArray   = 1 << 4
		tObject  = 1 << 5
		tNull    = 1 << 6
	)
	nodes := buildMini(t, `      type: object
      properties:
        s: {type: string}
        ns: {type: string, nullable: true}
        n: {type: number}
        union:
          $ref: '#/components/schemas/Union'
        nullUnion:
          nullable: true
          allOf:
            - $ref: '#/components/schemas/Union'
        free: {}
        raw:
          type: object
          x-go-type: json.RawMessage
        map:
          type: object
          additionalProperties: {type: integer}
        open:
          type: object
          additionalProperties: true
        bare: {type: object}
        grid:
          type: array
          items:
            type: array
            items:
              $ref: '#/components/schemas/Cell'
        anyItems: {type: array, items: {}}
        inferred:
          properties:
            x: {type: string}
`, `    Union:
      oneOf:
        - type: integer
        - type: array
          items: {type: string}
        - type: object
          properties:
            a: {type: string}
        - type: object
          properties:
            b: {type: integer}
    Cell:
      type: object
      properties:
        x: {type: string}
`)
	tests := []struct {
		path          string
		types         uint8
		free, open    bool
		members       int
		values, items bool
	}{
		{path: "", types: tObject, members: 13},
		{path: "s", types: tString},
		{path: "ns", types: tString | tNull},
		{path: "n", types: tNumber},
		{path: "union", types: tInteger | tArray | tObject, members: 2, items: true},
		{path: "union[]", types: tString},
		{path: "union.b", types: tInteger},
		{path: "nullUnion", types: tInteger | tArray | tObject | tNull, members: 2, items: true},
		{path: "free", free: true},
		{path: "raw", free: true},
		{path: "map", types: tObject, values: true},
		{path: "map.*", types: tInteger},
		{path: "open", types: tObject, open: true},
		{path: "bare", types: tObject, open: true},
		{path: "grid[][]", types: tObject, members: 1},
		{path: "grid[][].x", types: tString},
		{path: "anyItems", types: tArray, items: true},
		{path: "anyItems[]", free: true},
		{path: "inferred", types: tObject, members: 1},
	}
	for _, tt := range tests {
		n := nodeAt(t, nodes, tt.path)
		if n.types != tt.types || n.free != tt.free || n.open != tt.open || len(n.members) != tt.members ||
			(n.values >= 0) != tt.values || (n.items >= 0) != tt.items {
			t.Errorf("%q: %+v, want %+v", tt.path, *n, tt)
		}
	}
	// Minimized: every string place is one node, and so is every {x: string}.
	if nodes[nodes[0].members["s"]] != nodeAt(t, nodes, "grid[][].x") {
		t.Error("s and grid[][].x are both a string but are two nodes")
	}
	if nodeAt(t, nodes, "grid[][]") != nodeAt(t, nodes, "inferred") {
		t.Error("grid[][] and inferred describe the same object but are two nodes")
	}
}

func TestKeyed(t *testing.T) {
	entry := `      type: object
      properties:
        entity:
          type: object
          properties:
            type: {type: string}
            thing: {type: object, properties: {id: {type: string}}}
        name: {type: string}
`
	doc := miniSpec(t, entry, "")
	src, err := generate(doc, []string{"entity"})
	if err != nil || !bytes.Contains(src, []byte("keyed: true")) {
		t.Errorf("keyed entity: %v\n%s", err, src)
	}
	for _, bad := range []struct{ keyed, msg string }{
		{"missing", `no member "missing"`},
		{"name", `"name" is not an object`},
	} {
		if _, err := generate(doc, []string{bad.keyed}); err == nil || !strings.Contains(err.Error(), bad.msg) {
			t.Errorf("-keyed %s: %v, want %q", bad.keyed, err, bad.msg)
		}
	}
}

func TestGenerateIsDeterministic(t *testing.T) {
	doc, err := load("../../api/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	first, err := generate(doc, []string{"entity", "actor"})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		again, err := generate(doc, []string{"entity", "actor"})
		if err != nil || !bytes.Equal(again, first) {
			t.Fatal("two runs on the same document differ")
		}
	}
}
