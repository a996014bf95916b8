package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// oas builds one entry of oasdiff's JSON changelog. The texts in the tests
// are copied from oasdiff v1.11.8's output on edits of api/openapi.yaml.
func oas(level int, id, op, path, text string) oasChange {
	return oasChange{ID: id, Level: level, Operation: op, Path: path, Text: text, Section: "paths"}
}

func TestParseOasdiff(t *testing.T) {
	tests := []struct {
		name     string
		in       []oasChange
		want     string // the change's name
		alt      []string
		breaking bool
	}{
		{"optional property removed is breaking (WARN)",
			[]oasChange{oas(oasWARN, "response-optional-property-removed", "GET", "/logs",
				"removed the optional property 'entries/items/entity/channel/is_shared' from the response with the '200' status")},
			"entity.channel.is_shared", []string{"entries[].entity.channel.is_shared"}, true},
		{"became nullable is breaking (ERR)",
			[]oasChange{oas(oasERR, "response-property-became-nullable", "GET", "/logs",
				"the response property 'entries/items/context/session_id' became nullable for the status '200'")},
			"context.session_id", []string{"entries[].context.session_id"}, true},
		{"type changed: the property comes before its check",
			[]oasChange{oas(oasERR, "response-property-type-changed", "GET", "/logs",
				"the 'entries/items/entity/huddle/date_start' response's property type/format changed from 'integer'/'int64' to 'string'/'' for status '200'")},
			"entity.huddle.date_start", []string{"entries[].entity.huddle.date_start"}, true},
		{"a schema reference is not the property",
			[]oasChange{oas(oasINFO, "response-property-all-of-added", "GET", "/logs",
				"added '#/components/schemas/SessionID' to the 'entries/items/context/session_id' response property 'allOf' list for the response status '200'")},
			"context.session_id", []string{"entries[].context.session_id"}, false},
		{"an added optional property is compatible",
			[]oasChange{oas(oasINFO, "response-optional-property-added", "GET", "/logs",
				"added the optional property 'entries/items/details/detected_os' to the response with the '200' status")},
			"details.detected_os", []string{"entries[].details.detected_os"}, false},
		{"an error body's property, in many responses, is one change",
			[]oasChange{
				oas(oasWARN, "response-optional-property-removed", "GET", "/logs", "removed the optional property 'needed' from the response with the '401' status"),
				oas(oasWARN, "response-optional-property-removed", "GET", "/logs", "removed the optional property 'needed' from the response with the '403' status"),
				oas(oasWARN, "response-optional-property-removed", "GET", "/schemas", "removed the optional property 'needed' from the response with the '500' status"),
			},
			"needed", nil, true},
		{"another operation keeps the full path",
			[]oasChange{oas(oasWARN, "response-optional-property-removed", "GET", "/schemas",
				"removed the optional property 'schemas/items/type' from the response with the '200' status")},
			"schemas[].type", nil, true},
		{"a parameter",
			[]oasChange{oas(oasWARN, "request-parameter-removed", "GET", "/logs", "deleted the 'query' request parameter 'latest'")},
			"GET /logs?latest", nil, true},
		{"a response header",
			[]oasChange{oas(oasWARN, "optional-response-header-removed", "GET", "/logs", "the optional response header 'Retry-After' removed for the status '429'")},
			"GET /logs Retry-After", nil, true},
		{"an operation",
			[]oasChange{oas(oasERR, "api-path-removed-without-deprecation", "GET", "/actions", "api path removed without deprecation")},
			"GET /actions", nil, true},
		{"a component",
			[]oasChange{{ID: "api-schema-removed", Level: oasINFO, Section: "components", Text: "removed the schema 'SessionID'"}},
			"SessionID", nil, false},
		{"a branch of a oneOf is named by its property",
			[]oasChange{oas(oasERR, "response-property-became-nullable", "GET", "/logs", "the response property 'entries/items/context/session_id/oneOf[subschema #2]/' became nullable for the status '200'")},
			"context.session_id", []string{"entries[].context.session_id"}, true},
		{"INFO then WARN for one name is breaking",
			[]oasChange{
				oas(oasINFO, "response-property-one-of-removed", "GET", "/logs", "removed 'subschema #1, subschema #2' from the 'entries/items/context/session_id' response property 'oneOf' list for the response status '200'"),
				oas(oasERR, "response-property-became-nullable", "GET", "/logs", "the response property 'entries/items/context/session_id' became nullable for the status '200'"),
			},
			"context.session_id", []string{"entries[].context.session_id"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := json.Marshal(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			got, err := parseOasdiff(data)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 {
				t.Fatalf("got %d changes, want 1: %+v", len(got), got)
			}
			c := got[0]
			if c.Name != tt.want || !slices.Equal(c.Alt, tt.alt) || c.Breaking != tt.breaking || c.Checker != "spec" {
				t.Errorf("got name %q alt %q breaking %v, want %q %q %v", c.Name, c.Alt, c.Breaking, tt.want, tt.alt, tt.breaking)
			}
			if !strings.Contains(c.Detail, "["+tt.in[0].ID+"]") || !strings.Contains(c.Detail, tt.in[0].Text) {
				t.Errorf("detail %q lacks the check and oasdiff's text", c.Detail)
			}
		})
	}
}

func TestParseOasdiffEdges(t *testing.T) {
	for _, empty := range []string{"", "null", "[]", " \n"} {
		got, err := parseOasdiff([]byte(empty))
		if err != nil || len(got) != 0 {
			t.Errorf("parseOasdiff(%q) = %v, %v; want nothing", empty, got, err)
		}
	}
	for _, bad := range []string{"{", `[{"id":"x","level":7}]`, `[{"id":"x","level":0}]`} {
		if _, err := parseOasdiff([]byte(bad)); err == nil {
			t.Errorf("parseOasdiff(%q) gave no error", bad)
		}
	}
}

func TestParseApidiff(t *testing.T) {
	// Real reports of apidiff -m, trimmed.
	out := "Incompatible changes:\n" +
		"- ./flex.Scalar.String: removed\n" +
		"- ./gen.Channel.IsShared: removed\n" +
		"- Scalar: removed\n" +
		"Compatible changes:\n" +
		"- ./flex.Scalar.Str: added\n" +
		"- ./gen.Details.DetectedOs: added\n" +
		"- ScalarX: added\n"
	got, err := parseApidiff([]byte(out), "auditlogs")
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name     string
		breaking bool
		detail   string
	}{
		{"flex.Scalar.String", true, "./flex.Scalar.String: removed"},
		{"gen.Channel.IsShared", true, "./gen.Channel.IsShared: removed"},
		{"auditlogs.Scalar", true, "Scalar: removed"},
		{"flex.Scalar.Str", false, "./flex.Scalar.Str: added"},
		{"gen.Details.DetectedOs", false, "./gen.Details.DetectedOs: added"},
		{"auditlogs.ScalarX", false, "ScalarX: added"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d changes, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		if got[i].Name != w.name || got[i].Breaking != w.breaking || got[i].Detail != w.detail || got[i].Checker != "go" {
			t.Errorf("change %d = %+v, want %+v", i, got[i], w)
		}
	}
	if got, err := parseApidiff(nil, "auditlogs"); err != nil || len(got) != 0 {
		t.Errorf("empty report: %v, %v", got, err)
	}
	for _, bad := range []string{"something else\n", "- no separator\n"} {
		if _, err := parseApidiff([]byte(bad), "auditlogs"); err == nil {
			t.Errorf("parseApidiff(%q) gave no error", bad)
		}
	}
}
