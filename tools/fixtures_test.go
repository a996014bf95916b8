package tools

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// fixturesGlob holds the project's own /logs response bodies, one per file,
// covering every shape the fact sheet documents (api/testdata/README.md).
const fixturesGlob = "../api/testdata/logs/*.json"

// newLogsValidator returns a check of a body as the 200 answer of GET /logs,
// the way a middleware built on kin-openapi does it: the route is found from
// the spec's server URL, the body decoded and validated against the
// response schema.
func newLogsValidator(t *testing.T, specPath string) func(body []byte) error {
	t.Helper()
	doc := loadSpecAt(t, specPath)
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatalf("router: %v", err)
	}
	req, err := http.NewRequest(http.MethodGet, doc.Servers[0].URL+"/logs?limit=200", nil)
	if err != nil {
		t.Fatal(err)
	}
	route, params, err := router.FindRoute(req)
	if err != nil {
		t.Fatalf("find the /logs route: %v", err)
	}
	if route.Operation.OperationID != "getLogs" {
		t.Fatalf("the route found is %s, not getLogs", route.Operation.OperationID)
	}
	header := http.Header{"Content-Type": {"application/json"}}
	return func(body []byte) error {
		input := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
			Status:                 http.StatusOK,
			Header:                 header,
			Options:                &openapi3filter.Options{MultiError: true, IncludeResponseStatus: true},
		}
		input.SetBodyBytes(body)
		return openapi3filter.ValidateResponse(context.Background(), input)
	}
}

func readFixtures(t *testing.T) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob(fixturesGlob)
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixtures match %s (%v)", fixturesGlob, err)
	}
	out := map[string][]byte{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(p)] = b
	}
	return out
}

// TestFixturesValidate: every fixture is a valid 200 answer of GET /logs,
// in both editions of the spec (the 3.1 one as JSON Schema 2020-12).
func TestFixturesValidate(t *testing.T) {
	for _, path := range editions {
		t.Run(path[len("../"):], func(t *testing.T) { testFixturesValidate(t, path) })
	}
}

func testFixturesValidate(t *testing.T, specPath string) {
	validate := newLogsValidator(t, specPath)
	entries := 0
	for name, body := range readFixtures(t) {
		t.Run(name, func(t *testing.T) {
			if err := validate(body); err != nil {
				t.Errorf("%s does not validate as a /logs 200 response:\n%v", name, err)
			}
			var page struct{ Entries []json.RawMessage }
			if err := json.Unmarshal(body, &page); err != nil || len(page.Entries) == 0 {
				t.Fatalf("%s holds no entries (%v)", name, err)
			}
			entries += len(page.Entries)
		})
	}
	t.Logf("%d entries validated", entries)
}

// TestFixturesCoverFactSheet: the fixtures hold every shape the fact sheet
// documents, so that the validation above proves the spec accepts them.
func TestFixturesCoverFactSheet(t *testing.T) {
	seen := map[string]bool{}
	for _, body := range readFixtures(t) {
		var page map[string]any
		if err := json.Unmarshal(body, &page); err != nil {
			t.Fatal(err)
		}
		switch rm, ok := page["response_metadata"]; {
		case !ok:
			seen["response_metadata missing"] = true
		case len(rm.(map[string]any)) == 0:
			seen["response_metadata {}"] = true
		case rm.(map[string]any)["next_cursor"] == "":
			seen["next_cursor empty"] = true
		}
		if page["ok"] == false {
			seen["ok false on success"] = true
		}
		for _, e := range page["entries"].([]any) {
			for _, shape := range shapesOf(e.(map[string]any)) {
				seen[shape] = true
			}
		}
	}
	for _, want := range []string{
		"session_id null", "session_id number", "session_id string", "session_id missing",
		"ua empty", "ip_address empty", "previous_ip_address empty", "previous_ua empty",
		"file filetype empty", "file title empty",
		"action_timestamp microseconds", "action_timestamp milliseconds",
		"reason list", "reason string", "ip_address_details", "user_agent_change_details",
		"detected_client", "detected_os empty", "api_call_method", "anomaly location",
		"actor USLACKUSER", "actor USLACKSECURITY", "actor USLACKBOT", "acting_agent", "agent_message",
		"unknown entity type", "unknown field",
		"succeeded_users array", "succeeded_users JSON string", "new_value string", "new_value object", "previous_value array",
		"integer beyond 32 bits", "non-UUID id",
		"response_metadata missing", "response_metadata {}", "next_cursor empty", "ok false on success",
	} {
		if !seen[want] {
			t.Errorf("no fixture has: %s", want)
		}
	}
}

// shapesOf names the documented shapes one entry shows.
func shapesOf(e map[string]any) []string {
	var out []string
	add := func(s string) { out = append(out, s) }
	obj := func(v any) map[string]any { m, _ := v.(map[string]any); return m }
	ctx, details := obj(e["context"]), obj(e["details"])
	switch v, ok := ctx["session_id"]; {
	case !ok:
		add("session_id missing")
	case v == nil:
		add("session_id null")
	default:
		add("session_id " + kindOf(v))
	}
	for _, k := range []string{"ua", "ip_address"} {
		if ctx[k] == "" {
			add(k + " empty")
		}
	}
	for _, k := range []string{"acting_agent", "agent_message"} {
		if ctx[k] != nil {
			add(k)
		}
	}
	for _, k := range []string{"previous_ip_address", "previous_ua", "detected_os"} {
		if v, ok := details[k]; ok && v == "" {
			add(k + " empty")
		}
	}
	for _, k := range []string{"ip_address_details", "user_agent_change_details", "detected_client", "api_call_method"} {
		if details[k] != nil {
			add(k)
		}
	}
	if ts, ok := details["action_timestamp"].(float64); ok {
		switch len(strconv.FormatFloat(ts, 'f', -1, 64)) {
		case 16:
			add("action_timestamp microseconds")
		case 13:
			add("action_timestamp milliseconds")
		}
	}
	if e["action"] == "anomaly" && details["location"] != nil {
		add("anomaly location")
	}
	switch details["reason"].(type) {
	case []any:
		add("reason list")
	case string:
		add("reason string")
	}
	if users, ok := details["succeeded_users"].(string); ok && strings.HasPrefix(users, "[") {
		add("succeeded_users JSON string")
	} else if _, ok := details["succeeded_users"].([]any); ok {
		add("succeeded_users array")
	}
	for _, k := range []string{"new_value", "previous_value"} {
		if v, ok := details[k]; ok {
			add(k + " " + kindOf(v))
		}
	}
	if id, _ := obj(obj(e["actor"])["user"])["id"].(string); strings.HasPrefix(id, "USLACK") {
		add("actor " + id)
	}
	entity := obj(e["entity"])
	typ, _ := entity["type"].(string)
	if !knownEntityType(typ) {
		add("unknown entity type")
	}
	if typ == "file" {
		for _, k := range []string{"filetype", "title"} {
			if obj(entity["file"])[k] == "" {
				add("file " + k + " empty")
			}
		}
	}
	for k := range e {
		if !slices.Contains([]string{"id", "date_create", "action", "actor", "entity", "context", "details"}, k) {
			add("unknown field")
		}
	}
	if id, _ := e["id"].(string); strings.ContainsAny(id, "ghijklmnopqrstuvwxyz") {
		add("non-UUID id")
	}
	var big func(v any) bool
	big = func(v any) bool {
		switch v := v.(type) {
		case float64:
			return v > 1<<32 && v < 1e13 // not a session id or a timestamp in ms or µs
		case map[string]any:
			for _, x := range v {
				if big(x) {
					return true
				}
			}
		}
		return false
	}
	if big(details) || big(entity) {
		add("integer beyond 32 bits")
	}
	return out
}

func kindOf(v any) string {
	switch v.(type) {
	case float64:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "other"
}

func knownEntityType(typ string) bool { return slices.Contains(factSheetEntityTypes, typ) }

// TestFixturesRejectWrongShapes proves the validation above can fail: each
// case breaks one field of a valid fixture entry, and the validator must
// reject the body, naming that field. It runs on both editions.
func TestFixturesRejectWrongShapes(t *testing.T) {
	for _, path := range editions {
		t.Run(path[len("../"):], func(t *testing.T) { testFixturesRejectWrongShapes(t, path) })
	}
}

func testFixturesRejectWrongShapes(t *testing.T, specPath string) {
	validate := newLogsValidator(t, specPath)
	base := readFixtures(t)["anomaly.json"]
	cases := []struct {
		name  string
		path  string // dotted, from the first entry; "" for the page
		value any    // deleteIt removes the member instead
	}{
		{"session_id a boolean", "context.session_id", true},
		{"session_id an object", "context.session_id", map[string]any{"id": 1}},
		{"session_id a fraction", "context.session_id", 1.5},
		{"ua null: no real entry sends one, and nullable is not everywhere", "context.ua", nil},
		{"date_create a string", "date_create", "1733100500"},
		{"date_create missing", "date_create", deleteIt},
		{"action_timestamp a fraction", "details.action_timestamp", 1733100471.5},
		{"action_timestamp null", "details.action_timestamp", nil},
		{"reason a number", "details.reason", 5},
		{"reason a list of numbers", "details.reason", []any{1, 2}},
		{"ip_address_details a string", "details.ip_address_details", "new-asn"},
		{"location a number", "details.location", 35.68},
		{"actor without a type", "actor.type", deleteIt},
		{"entity a string", "entity", "user"},
		{"id a number", "id", 7},
		{"entries missing", "entries", deleteIt},
	}
	if err := validate(base); err != nil {
		t.Fatalf("the base fixture must validate: %v", err)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var page map[string]any
			if err := json.Unmarshal(base, &page); err != nil {
				t.Fatal(err)
			}
			target, path := page, c.path
			if path != "entries" {
				target = page["entries"].([]any)[0].(map[string]any)
			}
			setPath(t, target, strings.Split(path, "."), c.value)
			body, err := json.Marshal(page)
			if err != nil {
				t.Fatal(err)
			}
			err = validate(body)
			if err == nil {
				t.Fatalf("a body with %s validates", c.name)
			}
			last := path[strings.LastIndex(path, ".")+1:]
			if !strings.Contains(err.Error(), last) {
				t.Errorf("rejected, but the error does not name %q:\n%v", last, err)
			}
		})
	}
}

// deleteIt, as a case's value, removes the member.
var deleteIt = &struct{}{}

func setPath(t *testing.T, m map[string]any, path []string, value any) {
	t.Helper()
	for _, k := range path[:len(path)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			t.Fatalf("no object at %q", k)
		}
		m = next
	}
	k := path[len(path)-1]
	if _, ok := m[k]; !ok {
		t.Fatalf("the base fixture has no %q to change", k)
	}
	if value == deleteIt {
		delete(m, k)
		return
	}
	m[k] = value
}
