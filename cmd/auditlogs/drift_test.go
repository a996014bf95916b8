package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slackaudit/auditlogs/auditlogstest"
)

// driftOut is drift's --format json output.
type driftOut struct {
	Entries  int `json:"entries"`
	Findings []struct {
		Kind      string   `json:"kind"`
		Path      string   `json:"path"`
		Seen      []string `json:"seen"`
		Spec      []string `json:"spec"`
		Count     int      `json:"count"`
		ExampleID string   `json:"example_id"`
	} `json:"findings"`
}

func parseDrift(t *testing.T, stdout string) driftOut {
	t.Helper()
	var out driftOut
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&out); err != nil {
		t.Fatalf("output is not the drift object: %v\n%s", err, stdout)
	}
	if dec.More() {
		t.Fatalf("more than one object:\n%s", stdout)
	}
	for _, f := range out.Findings {
		if f.Seen == nil || f.Spec == nil {
			t.Errorf("%s %s: seen or spec is null, not an array", f.Kind, f.Path)
		}
	}
	return out
}

func writeLines(t *testing.T, lines ...string) string {
	t.Helper()
	name := filepath.Join(t.TempDir(), "entries.jsonl")
	if err := os.WriteFile(name, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return name
}

// TestDriftFrom: entries with new fields, a new entity type, a new actor
// type and retyped fields are reported at their paths with their kinds,
// and drift exits 3; clean entries (the fake's own, minus its deliberate
// drift) exit 0.
func TestDriftFrom(t *testing.T) {
	t.Parallel()
	file := writeLines(t,
		`{"id":"e1","date_create":1718893200,"action":"user_login","zz_new_field":1,`+
			`"actor":{"type":"user","user":{"id":"W1","zz_pronouns":"they"}},`+
			`"entity":{"type":"channel","channel":{"id":"C1","is_shared":"yes"}},`+
			`"context":{"zz_device_id":"D1","session_id":{"a":1}},`+
			`"details":{"rules_checked":[{"title":"t"},{"title":7,"zz_new_field":[]}]}}`,
		``,
		`{"id":"e2","date_create":"2025-01-01","action":"x","actor":{"type":"zz_robot","zz_robot":{"id":"R1"}},`+
			`"entity":{"zz_gadget":{"id":"G1","anything":true},"type":"zz_gadget"},"context":{"zz_device_id":"D2"}}`,
	)
	r := runCLI(t, nil, "drift", "--from", file, "--format", "json")
	if r.code != exitDrift {
		t.Fatalf("exit %d, want %d: %s", r.code, exitDrift, r.stderr)
	}
	out := parseDrift(t, r.stdout)
	if out.Entries != 2 {
		t.Errorf("entries = %d, want 2", out.Entries)
	}
	type key struct{ kind, path string }
	got := map[key]string{} // to "seen count example"
	for _, f := range out.Findings {
		got[key{f.Kind, f.Path}] = strings.Join(f.Seen, ",") + " " + string(rune('0'+f.Count)) + " " + f.ExampleID
	}
	want := map[key]string{
		{"unknown_type", "entity.zz_gadget"}:                      "object 1 e2",
		{"unknown_type", "actor.zz_robot"}:                        "object 1 e2",
		{"unknown_field", "zz_new_field"}:                         "integer 1 e1",
		{"unknown_field", "actor.user.zz_pronouns"}:               "string 1 e1",
		{"unknown_field", "context.zz_device_id"}:                 "string 2 e1",
		{"unknown_field", "details.rules_checked[].zz_new_field"}: "array 1 e1",
		{"unexpected_type", "entity.channel.is_shared"}:           "string 1 e1",
		{"unexpected_type", "context.session_id"}:                 "object 1 e1",
		{"unexpected_type", "details.rules_checked[].title"}:      "integer 1 e1",
		{"unexpected_type", "date_create"}:                        "string 1 e2",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s at %s: %q, want %q", k.kind, k.path, got[k], w)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected finding %s at %s", k.kind, k.path)
		}
	}
	for _, f := range out.Findings {
		if f.Kind == "unexpected_type" && len(f.Spec) == 0 {
			t.Errorf("%s: no spec types", f.Path)
		}
	}

	// The table: one row a finding, a summary, the same exit code.
	r = runCLI(t, nil, "drift", "--from", file)
	if r.code != exitDrift || !strings.Contains(r.stdout, "KIND") ||
		!strings.Contains(r.stdout, "entity.zz_gadget") || !strings.Contains(r.stdout, "2 events checked; 10 findings.") {
		t.Errorf("table: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// Clean entries: the fake's, without the ones carrying its deliberate
	// drift (an unknown entity type, unknown fields marked by schema_version).
	var clean []string
	for _, e := range auditlogstest.Synthetic(300, 9) {
		if !bytes.Contains(e, []byte(`"schema_version"`)) && !bytes.Contains(e, []byte(`"salesforce_record"`)) {
			clean = append(clean, string(e))
		}
	}
	r = runCLI(t, nil, "drift", "--from", writeLines(t, clean...), "--format", "json")
	if out := parseDrift(t, r.stdout); r.code != 0 || out.Entries != len(clean) || len(out.Findings) != 0 {
		t.Errorf("clean entries: exit %d, %+v: %s", r.code, out, r.stderr)
	}
	r = runCLI(t, nil, "drift", "--from", writeLines(t, clean...))
	if r.code != 0 || !strings.Contains(r.stdout, "the spec describes everything in them") {
		t.Errorf("clean entries, table: exit %d\n%s", r.code, r.stdout)
	}
}

// TestDriftStdinAndBadLines: --from - reads stdin; a bad line stops drift
// with exit 1 and names the line.
func TestDriftStdinAndBadLines(t *testing.T) {
	t.Parallel()
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"drift", "--from", "-", "--format", "json"},
		strings.NewReader(`{"id":"s1","zz_from_stdin":true}`+"\n"), &out, &errb, func(string) string { return "" })
	if code != exitDrift || !strings.Contains(out.String(), `"path":"zz_from_stdin"`) {
		t.Errorf("stdin: exit %d\n%s%s", code, out.String(), errb.String())
	}
	tests := []struct{ content, msg string }{
		{`{"id":"a"}` + "\n" + `{"id":"b",` + "\n", "line 2: invalid JSON"},
		{`{"id":"a"}` + "\n\n" + `[1,2]` + "\n", "line 3: invalid JSON at byte 0: an entry must be a JSON object, not an array"},
		{"oops\n", "line 1: invalid JSON at byte 0: unexpected character 'o'"},
	}
	for _, tt := range tests {
		name := filepath.Join(t.TempDir(), "bad.jsonl")
		if err := os.WriteFile(name, []byte(tt.content), 0o600); err != nil {
			t.Fatal(err)
		}
		r := runCLI(t, nil, "drift", "--from", name)
		if r.code != exitError || !strings.Contains(r.stderr, tt.msg) || r.stdout != "" {
			t.Errorf("%q: exit %d, stderr %q, stdout %q; want 1 and %q", tt.content, r.code, r.stderr, r.stdout, tt.msg)
		}
	}
	r := runCLI(t, nil, "drift", "--from", filepath.Join(t.TempDir(), "missing.jsonl"))
	if r.code != exitError || !strings.Contains(r.stderr, "cannot read --from") {
		t.Errorf("missing file: exit %d, %q", r.code, r.stderr)
	}
}

// TestDriftPull: without --from, drift pulls /logs (at most --max events,
// with the filters, the token never shown) and reads /schemas.
func TestDriftPull(t *testing.T) {
	t.Parallel()
	entries := []json.RawMessage{
		json.RawMessage(`{"id":"p3","date_create":30,"action":"user_login","actor":{"type":"user","user":{"id":"W1"}},"entity":{"type":"user","user":{"id":"W1"}},"context":{"zz_third":1}}`),
		json.RawMessage(`{"id":"p2","date_create":20,"action":"user_login","actor":{"type":"user","user":{"id":"W1"}},"entity":{"type":"user","user":{"id":"W1"}},"context":{"zz_second":1}}`),
		json.RawMessage(`{"id":"p1","date_create":10,"action":"file_uploaded","actor":{"type":"user","user":{"id":"W1"}},"entity":{"type":"user","user":{"id":"W1"}},"context":{"zz_first":1}}`),
	}
	_, env := newServer(t, 0, auditlogstest.WithEntries(entries))
	r := runCLI(t, env, "drift", "--max", "2", "--limit", "1", "--format", "json")
	out := parseDrift(t, r.stdout)
	if r.code != exitDrift || out.Entries != 2 || len(out.Findings) != 2 ||
		out.Findings[0].Path != "context.zz_second" || out.Findings[1].Path != "context.zz_third" {
		t.Errorf("--max 2: exit %d, %+v: %s", r.code, out, r.stderr)
	}
	r = runCLI(t, env, "drift", "--action", "file_uploaded", "--format", "json")
	out = parseDrift(t, r.stdout)
	if r.code != exitDrift || out.Entries != 1 || len(out.Findings) != 1 || out.Findings[0].ExampleID != "p1" {
		t.Errorf("--action: exit %d, %+v: %s", r.code, out, r.stderr)
	}
	// /schemas listing a type and a field the spec lacks.
	fake, _ := url.Parse(env["SLACK_AUDIT_BASE_URL"])
	proxy := httputil.NewSingleHostReverseProxy(fake)
	catalog := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/schemas") {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"schemas":[{"type":"zz_gadget","zz_gadget":{"id":"string"}},`+
				`{"type":"channel","channel":{"id":"string","zz_color":"Optional: vec<string>"}}]}`)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(catalog.Close)
	r = runCLI(t, map[string]string{"SLACK_AUDIT_TOKEN": secret, "SLACK_AUDIT_BASE_URL": catalog.URL}, "drift", "--action", "file_uploaded", "--format", "json")
	out = parseDrift(t, r.stdout)
	if r.code != exitDrift || len(out.Findings) != 3 ||
		out.Findings[1].Kind != "schema_unknown_type" || out.Findings[1].Path != "entity.zz_gadget" ||
		out.Findings[2].Kind != "schema_unknown_field" || out.Findings[2].Path != "entity.channel.zz_color" ||
		strings.Join(out.Findings[2].Seen, "") != "Optional: vec<string>" || out.Findings[2].Count != 1 {
		t.Errorf("/schemas: exit %d, %+v: %s", r.code, out, r.stderr)
	}
	if !strings.Contains(r.stdout, `"Optional: vec<string>"`) {
		t.Errorf("HTML-escaped output: %s", r.stdout)
	}
	r = runCLI(t, map[string]string{"SLACK_AUDIT_TOKEN": secret, "SLACK_AUDIT_BASE_URL": catalog.URL}, "drift", "--action", "file_uploaded", "--schemas=false", "--format", "json")
	if out := parseDrift(t, r.stdout); len(out.Findings) != 1 {
		t.Errorf("--schemas=false: %+v", out)
	}

	// A refused token: exit 1, as for logs.
	env["SLACK_AUDIT_TOKEN"] = "xoxp-wrong"
	if r := runCLI(t, env, "drift"); r.code != exitError || r.stdout != "" {
		t.Errorf("wrong token: exit %d, %q", r.code, r.stdout)
	}
}

// TestDriftDemo: the demo organization is the fake's synthetic corpus,
// which carries drift on purpose (an entity type no spec has, unknown
// fields in a few entries): drift --demo finds exactly that, and nothing in
// the fake's /schemas.
func TestDriftDemo(t *testing.T) {
	t.Parallel()
	r := runCLI(t, nil, "drift", "--demo", "--format", "json")
	out := parseDrift(t, r.stdout)
	if r.code != exitDrift || out.Entries != demoEntries {
		t.Fatalf("exit %d, %d entries: %s", r.code, out.Entries, r.stderr)
	}
	sawType := false
	for _, f := range out.Findings {
		switch {
		case f.Kind == "unknown_type" && f.Path == "entity.salesforce_record":
			sawType = true
		case f.Kind == "unknown_field" && (strings.HasSuffix(f.Path, ".x_display_id") || strings.Contains(
			" schema_version region actor.user.pronouns context.device details.risk_score details.x_labels ", " "+f.Path+" ")):
		default:
			t.Errorf("a finding the fake does not put in on purpose: %+v", f)
		}
	}
	if !sawType {
		t.Error("the unknown entity type salesforce_record was not reported")
	}
	if r := runCLI(t, nil, "drift", "--demo", "--schemas=false", "--max", "1", "--action", "user_login"); r.code != 0 ||
		!strings.Contains(r.stdout, "1 event checked; the spec describes everything in them.") {
		t.Errorf("one clean demo event: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func TestDriftUsage(t *testing.T) {
	t.Parallel()
	file := writeLines(t, `{"id":"a"}`)
	tests := []struct {
		args []string
		msg  string
	}{
		{[]string{"--from", file, "--action", "user_login"}, "--action applies only when pulling"},
		{[]string{"--from", file, "--demo"}, "--demo applies only when pulling"},
		{[]string{"--from", file, "--max", "5"}, "--max applies only when pulling"},
		{[]string{"--format", "xml", "--demo"}, `invalid value "xml" for --format: unknown format: use table or json`},
		{[]string{"--max", "-1", "--demo"}, `invalid value "-1" for --max: give a whole number, 0 or more`},
		{[]string{"--limit", "10000", "--demo"}, `invalid value "10000" for --limit: give a whole number from 1 to 9999`},
		{[]string{"--from", file, "--exclude-action", "user_login"}, "--exclude-action applies only when pulling"},
		{[]string{"--oldest", "2025-02-01", "--latest", "2025-01-01", "--demo"}, "is after --latest"},
		{[]string{"extra"}, "unexpected argument"},
	}
	for _, tt := range tests {
		r := runCLI(t, nil, append([]string{"drift"}, tt.args...)...)
		if r.code != exitUsage || !strings.Contains(r.stderr, tt.msg) {
			t.Errorf("%q: exit %d, %q; want 2 and %q", tt.args, r.code, r.stderr, tt.msg)
		}
	}
	if r := runCLI(t, map[string]string{}, "drift"); r.code != exitUsage || !strings.Contains(r.stderr, "no token") {
		t.Errorf("no token: exit %d, %q", r.code, r.stderr)
	}
	r := runCLI(t, nil, "drift", "--help")
	for _, want := range []string{"Usage:\n  auditlogs drift", "--from FILE", "unknown_field", "schema_unknown_field", "\"example_id\"",
		"Exit codes:\n  0    nothing found\n  3    something found", "Examples:\n  auditlogs drift --demo"} {
		if r.code != 0 || !strings.Contains(r.stdout, want) {
			t.Errorf("help: exit %d, no %q in\n%s", r.code, want, r.stdout)
		}
	}
	r = runCLI(t, nil, "help")
	if !strings.Contains(r.stdout, "  drift ") || !strings.Contains(r.stdout, "3    drift: found something") {
		t.Errorf("main usage does not list drift and its exit code:\n%s", r.stdout)
	}
}

// TestDriftBadEventFromSlack: an event from /logs that is not a JSON
// object stops drift with exit 1, naming the event.
func TestDriftBadEventFromSlack(t *testing.T) {
	t.Parallel()
	_, env := newServer(t, 0, auditlogstest.WithEntries([]json.RawMessage{
		json.RawMessage(`{"id":"ok","date_create":2}`), json.RawMessage(`"not an object"`),
	}))
	r := runCLI(t, env, "drift")
	if r.code != exitError || !strings.Contains(r.stderr, "event 2 from /logs: invalid JSON at byte 0: an entry must be a JSON object, not a string") {
		t.Errorf("exit %d, %q", r.code, r.stderr)
	}
}
