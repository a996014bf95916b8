package auditlogs

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/slackaudit/auditlogs/flex"
	"github.com/slackaudit/auditlogs/internal/genclient"
)

// Schema is one object type of GET /schemas: its type name and its fields,
// each with Slack's description of its type ("string", "bool",
// "Optional: vec<string>", ...). A type may appear several times with
// different field sets.
type Schema struct {
	Type   string
	Fields map[string]string
}

// SchemaList is the answer of GET /schemas.
type SchemaList struct {
	Schemas []Schema
	raw     []byte
}

// Raw returns the body exactly as the server sent it.
func (s *SchemaList) Raw() json.RawMessage { return s.raw }

// ActionList is the answer of GET /actions: action names by category.
type ActionList struct {
	Actions map[string][]string
	raw     []byte
}

// Raw returns the body exactly as the server sent it.
func (a *ActionList) Raw() json.RawMessage { return a.raw }

// Schemas returns the object types the API knows and their fields. It needs
// no token scope.
func (c *Client) Schemas(ctx context.Context) (*SchemaList, error) {
	req, err := genclient.NewGetSchemasRequest(c.baseURL)
	if err != nil {
		return nil, fmt.Errorf("auditlogs: get schemas: %w", err)
	}
	out := &SchemaList{}
	body, err := c.do(ctx, "get schemas", req, nil, func(b []byte) error {
		var err error
		out.Schemas, err = decodeSchemas(b)
		return err
	})
	if err != nil {
		return nil, err
	}
	out.raw = body
	return out, nil
}

// decodeSchemas reads {"schemas": [{"type": T, T: {field: description}}]}
// tolerantly: a field description that is not a string is kept as its JSON
// text, and an element that is not an object is skipped.
func decodeSchemas(body []byte) ([]Schema, error) {
	if err := checkEnvelope(body, "schemas", '['); err != nil {
		return nil, err
	}
	var env struct {
		Schemas []map[string]json.RawMessage `json:"schemas"`
	}
	if err := json.Unmarshal(body, &env); err != nil && !isTypeError(err) {
		return nil, &bodyError{err: fmt.Errorf("%w: %w", ErrMalformedResponse, err), retryable: true}
	}
	out := make([]Schema, 0, len(env.Schemas))
	for _, m := range env.Schemas {
		var s Schema
		if json.Unmarshal(m["type"], &s.Type) != nil || s.Type == "" {
			continue // not an object with a type
		}
		var fields map[string]json.RawMessage
		_ = json.Unmarshal(m[s.Type], &fields)
		s.Fields = make(map[string]string, len(fields))
		for name, v := range fields {
			var text string
			if json.Unmarshal(v, &text) != nil {
				text = string(v)
			}
			s.Fields[name] = text
		}
		out = append(out, s)
	}
	return out, nil
}

// Actions returns the action names the API knows, by category. It needs no
// token scope.
func (c *Client) Actions(ctx context.Context) (*ActionList, error) {
	req, err := genclient.NewGetActionsRequest(c.baseURL)
	if err != nil {
		return nil, fmt.Errorf("auditlogs: get actions: %w", err)
	}
	out := &ActionList{}
	body, err := c.do(ctx, "get actions", req, nil, func(b []byte) error {
		if err := checkEnvelope(b, "actions", '{'); err != nil {
			return err
		}
		var env struct {
			Actions map[string]json.RawMessage `json:"actions"`
		}
		if err := json.Unmarshal(b, &env); err != nil && !isTypeError(err) {
			return &bodyError{err: fmt.Errorf("%w: %w", ErrMalformedResponse, err), retryable: true}
		}
		out.Actions = make(map[string][]string, len(env.Actions))
		for cat, v := range env.Actions {
			var names flex.Strings // tolerant: a non-string name is kept as its JSON text
			if json.Unmarshal(v, &names) == nil && names != nil {
				out.Actions[cat] = names
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out.raw = body
	return out, nil
}

// checkEnvelope decides, as checkPage does for /logs, whether a 2xx body is
// the answer of /schemas or /actions: a JSON object whose member (schemas,
// actions) is required, of the JSON type that kind ('[' or '{') begins. A
// body that says "ok": false with an "error" code is errNotOK (an
// *APIError, not retried); any other body is ErrMalformedResponse, retried.
func checkEnvelope(body []byte, member string, kind byte) error {
	var env map[string]json.RawMessage
	if err := json.Unmarshal(body, &env); err != nil {
		return &bodyError{err: fmt.Errorf("%w: %w", ErrMalformedResponse, err), retryable: true}
	}
	var code string
	if string(env["ok"]) == "false" && json.Unmarshal(env["error"], &code) == nil && code != "" {
		return &bodyError{err: errNotOK}
	}
	if v := env[member]; len(v) == 0 || v[0] != kind {
		want := "array"
		if kind == '{' {
			want = "object"
		}
		return &bodyError{err: fmt.Errorf("%w: no %q %s", ErrMalformedResponse, member, want), retryable: true}
	}
	return nil
}
