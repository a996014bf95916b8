package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"gopkg.in/yaml.v3"
)

// doc wraps schemas and a parameter into a small OpenAPI 3.0 document.
func doc(schemas string) string {
	return `# the source's own comment, which the edition drops
openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /x:
    get:
      parameters:
        - name: limit
          in: query
          schema: {type: integer, minimum: 1, example: 5}
          example: 200
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {type: object}
              example: {nullable: true, example: 1}
components:
  schemas:
` + schemas
}

// converted returns the edition of src, as a generic value.
func converted(t *testing.T, src string) (map[string]any, []byte) {
	t.Helper()
	out, err := convert([]byte(src))
	if err != nil {
		t.Fatalf("convert: %v", err)
	}
	var v map[string]any
	if err := yaml.Unmarshal(out, &v); err != nil {
		t.Fatalf("the edition is not YAML: %v\n%s", err, out)
	}
	return v, out
}

func at(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			v = v.(map[string]any)[k]
		case int:
			v = v.([]any)[k]
		}
	}
	return v
}

func TestConvert(t *testing.T) {
	cases := []struct {
		name    string
		schemas string
		path    []any // into components.schemas
		want    string
	}{
		{
			name: "a nullable union branch becomes a null branch of the union",
			schemas: `    S:
      description: d
      anyOf:
        - {type: integer, format: int64}
        - {type: string, nullable: true, description: s}
`,
			path: []any{"S"},
			want: `{"anyOf":[{"format":"int64","type":"integer"},{"description":"s","type":"string"},{"type":"null"}],"description":"d"}`,
		},
		{
			name: "a nullable oneOf branch too",
			schemas: `    S:
      oneOf:
        - {type: array, items: {type: string}}
        - {type: string, nullable: true}
`,
			path: []any{"S"},
			want: `{"oneOf":[{"items":{"type":"string"},"type":"array"},{"type":"string"},{"type":"null"}]}`,
		},
		{
			name: "a nullable plain schema becomes an anyOf of its typed part and null",
			schemas: `    S:
      type: object
      properties:
        p:
          type: string
          format: date
          nullable: true
          description: kept outside
          x-ext: kept outside
          example: "2026-01-02"
`,
			path: []any{"S", "properties", "p"},
			want: `{"anyOf":[{"examples":["2026-01-02"],"format":"date","type":"string"},{"type":"null"}],"description":"kept outside","x-ext":"kept outside"}`,
		},
		{
			name: "a nullable anyOf gains a null branch",
			schemas: `    S:
      nullable: true
      anyOf: [{type: integer}, {type: string}]
`,
			path: []any{"S"},
			want: `{"anyOf":[{"type":"integer"},{"type":"string"},{"type":"null"}]}`,
		},
		{
			name: "nullable false is dropped, and so is nullable without a type",
			schemas: `    S:
      type: object
      properties:
        a: {type: string, nullable: false}
        b: {description: any, nullable: true}
`,
			path: []any{"S", "properties"},
			want: `{"a":{"type":"string"},"b":{"description":"any"}}`,
		},
		{
			name: "a schema example becomes examples, in items and additionalProperties too",
			schemas: `    S:
      type: array
      example: [[1]]
      items:
        type: object
        additionalProperties: {type: integer, example: 3}
`,
			path: []any{"S"},
			want: `{"examples":[[[1]]],"items":{"additionalProperties":{"examples":[3],"type":"integer"},"type":"object"},"type":"array"}`,
		},
		{
			name: "a property named nullable or example is a name, not a keyword",
			schemas: `    S:
      type: object
      properties:
        nullable: {type: boolean}
        example: {type: string}
`,
			path: []any{"S", "properties"},
			want: `{"example":{"type":"string"},"nullable":{"type":"boolean"}}`,
		},
		{
			name: "boolean exclusive bounds become numbers",
			schemas: `    S:
      type: number
      minimum: 0
      exclusiveMinimum: true
      maximum: 10
      exclusiveMaximum: false
`,
			path: []any{"S"},
			want: `{"exclusiveMinimum":0,"maximum":10,"type":"number"}`,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, out := converted(t, doc(c.schemas))
			got := at(v, append([]any{"components", "schemas"}, c.path...)...)
			if g := jsonOf(t, got); g != c.want {
				t.Errorf("got  %s\nwant %s\nedition:\n%s", g, c.want, out)
			}
			if at(v, "openapi") != "3.1.0" {
				t.Errorf("openapi is %v", at(v, "openapi"))
			}
			// What is not a schema stays: the example of a parameter and
			// of a media type (data, even when it looks like keywords).
			if p := at(v, "paths", "/x", "get", "parameters", 0); at(p, "example") != 200 || jsonOf(t, at(p, "schema")) != `{"examples":[5],"minimum":1,"type":"integer"}` {
				t.Errorf("the parameter changed: %s", jsonOf(t, p))
			}
			if ex := at(v, "paths", "/x", "get", "responses", "200", "content", "application/json", "example"); jsonOf(t, ex) != `{"example":1,"nullable":true}` {
				t.Errorf("the media type's example changed: %s", jsonOf(t, ex))
			}
			if !bytes.HasPrefix(out, []byte("# Code generated by tools/gen31 from api/openapi.yaml. DO NOT EDIT.\n")) {
				t.Errorf("the edition does not start with the generated-code header:\n%s", out)
			}
			if bytes.Contains(out, []byte("the source's own comment")) {
				t.Error("the source's leading comment was carried over")
			}
			loadEdition(t, out)
		})
	}
}

func TestConvertRefuses(t *testing.T) {
	for _, c := range []struct{ name, src, want string }{
		{"not 3.0", "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {}\n", "not an OpenAPI 3.0 document"},
		{"not a mapping", "- a\n", "not an OpenAPI document"},
		{"nullable beside $ref", doc("    S: {$ref: '#/components/schemas/T', nullable: true}\n    T: {type: string}\n"), "S: nullable beside $ref"},
		{"nullable beside allOf", doc("    S: {allOf: [{type: string}], nullable: true}\n"), "S: nullable beside oneOf or allOf"},
		{"an exclusive bound without its bound", doc("    S: {type: number, exclusiveMaximum: true}\n"), "S: exclusiveMaximum without maximum"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := convert([]byte(c.src))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
}

// TestEditionOfTheSpec converts api/openapi.yaml: the edition must be the
// committed api/openapi-3.1.yaml (CI's regeneration check says so too),
// valid OpenAPI 3.1, without nullable, and session_id must take null
// through a null branch.
func TestEditionOfTheSpec(t *testing.T) {
	src, err := os.ReadFile("../../api/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out, err := convert(src)
	if err != nil {
		t.Fatal(err)
	}
	committed, err := os.ReadFile("../../api/openapi-3.1.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, committed) {
		t.Error("api/openapi-3.1.yaml is stale: run go generate ./...")
	}
	if bytes.Contains(out, []byte("nullable:")) {
		t.Error("the edition still says nullable")
	}
	doc := loadEdition(t, out)
	sid := doc.Components.Schemas["SessionID"].Value
	for _, v := range []any{nil, 847288190092.0, "847288190092"} {
		if err := sid.VisitJSON(v, openapi3.EnableJSONSchema2020()); err != nil {
			t.Errorf("SessionID refuses %v: %v", v, err)
		}
	}
	for _, v := range []any{true, 1.5, map[string]any{}} {
		if err := sid.VisitJSON(v, openapi3.EnableJSONSchema2020()); err == nil {
			t.Errorf("SessionID accepts %v", v)
		}
	}
}

func loadEdition(t *testing.T, b []byte) *openapi3.T {
	t.Helper()
	d, err := openapi3.NewLoader().LoadFromData(b)
	if err != nil {
		t.Fatalf("load the edition: %v", err)
	}
	if !d.IsOpenAPI31OrLater() {
		t.Fatalf("the edition is OpenAPI %s", d.OpenAPI)
	}
	if err := d.Validate(context.Background(), openapi3.EnableExamplesValidation()); err != nil {
		t.Fatalf("the edition is not valid: %v", err)
	}
	return d
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
