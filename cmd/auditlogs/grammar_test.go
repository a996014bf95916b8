package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slackaudit/auditlogs/auditlogstest"
)

// ttyBuffer is a buffer that stands for a terminal (see isTerminal).
type ttyBuffer struct{ bytes.Buffer }

func (*ttyBuffer) IsTerminal() bool { return true }

// runTTY runs the command line with stderr, and stdout if stdoutTTY, on a
// "terminal".
func runTTY(t *testing.T, env map[string]string, stdoutTTY bool, args ...string) result {
	t.Helper()
	var out bytes.Buffer
	var tout, errb ttyBuffer
	var stdout interface {
		Write([]byte) (int, error)
		String() string
	} = &out
	if stdoutTTY {
		stdout = &tout
	}
	code := run(context.Background(), args, strings.NewReader(""), stdout, &errb, func(k string) string { return env[k] })
	return result{code, stdout.String(), errb.String()}
}

func TestParseDuration(t *testing.T) {
	good := []struct {
		in   string
		want time.Duration
	}{
		{"0", 0},
		{"90s", 90 * time.Second},
		{"15m", 15 * time.Minute},
		{"1h30m", 90 * time.Minute},
		{"1.5h", 90 * time.Minute},
		{"7d", 7 * 24 * time.Hour},
		{"1d12h", 36 * time.Hour},
		{"2w", 14 * 24 * time.Hour},
		{"250ms", 250 * time.Millisecond},
	}
	for _, c := range good {
		if got, err := parseDuration(c.in); err != nil || got != c.want {
			t.Errorf("parseDuration(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	bad := []struct{ in, msg string }{
		{"1", "a duration needs a unit: 1s, 1m, 1h or 1d"},
		{"", "empty duration"},
		{"-5m", "must not be negative"},
		{"5x", "not a duration: give a number and a unit"},
		{"h", "not a duration"},
		{"1h30", "not a duration"},
		{"1000000w", "too long"},
	}
	for _, c := range bad {
		if _, err := parseDuration(c.in); err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("parseDuration(%q): %v; want %q", c.in, err, c.msg)
		}
	}
	for _, d := range []time.Duration{time.Minute, 90 * time.Minute, 36 * time.Hour, 2*time.Minute + 500*time.Millisecond} {
		if back, err := parseDuration(formatDuration(d)); err != nil || back != d {
			t.Errorf("formatDuration(%v) = %q, which reads back as %v, %v", d, formatDuration(d), back, err)
		}
	}
}

// TestDurationFlags: every duration flag of every command reads the same
// syntax (one registered with flag.Duration too: see goDuration).
func TestDurationFlags(t *testing.T) {
	t.Parallel()
	_, env := newServer(t, 20)
	state := filepath.Join(t.TempDir(), "none.json")
	cases := []struct {
		args []string
		code int
		want string // in stderr
	}{
		{[]string{"logs", "--timeout", "1m30s", "--oldest", "1d12h"}, exitOK, ""},
		{[]string{"logs", "--timeout", "1"}, exitUsage, `invalid value "1" for --timeout: a duration needs a unit: 1s, 1m, 1h or 1d`},
		{[]string{"logs", "--timeout", "soon"}, exitUsage, "such as 90s, 15m, 1h30m, 7d or 2w"},
		{[]string{"status", "--state", state, "--max-lag", "1d"}, exitNoState, "no state file"},
		{[]string{"status", "--state", state, "--max-lag", "1"}, exitUsage, `invalid value "1" for --max-lag: a duration needs a unit`},
		{[]string{"tail", "--demo", "--once", "--interval", "1d", "--settle", "1w", "--max-window", "1d"}, exitOK, ""},
		{[]string{"tail", "--demo", "--once", "--interval", "1"}, exitUsage, `invalid value "1" for --interval: a duration needs a unit`},
		{[]string{"tail", "--demo", "--once", "--settle", "1d12"}, exitUsage, `for --settle: not a duration`},
		{[]string{"drift", "--demo", "--oldest", "2w", "--max", "5", "--schemas=false"}, exitOK, ""},
	}
	for _, c := range cases {
		r := runCLI(t, env, c.args...)
		if r.code != c.code || !strings.Contains(r.stderr, c.want) || (c.want == "" && r.stderr != "") {
			t.Errorf("%q: exit %d, stderr %q; want %d and %q", c.args, r.code, r.stderr, c.code, c.want)
		}
	}
}

// TestIntFlags: 0, negative numbers, too large numbers and words are
// explained the same way, for every int flag.
func TestIntFlags(t *testing.T) {
	t.Parallel()
	_, env := newServer(t, 20)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"logs", "--limit", "0"}, `invalid value "0" for --limit: give a whole number from 1 to 9999`},
		{[]string{"logs", "--limit", "-1"}, `invalid value "-1" for --limit: give a whole number from 1 to 9999`},
		{[]string{"logs", "--limit", "10000"}, `invalid value "10000" for --limit: give a whole number from 1 to 9999`},
		{[]string{"logs", "--limit", "abc"}, `invalid value "abc" for --limit: give a whole number from 1 to 9999`},
		{[]string{"drift", "--demo", "--limit", "abc"}, `invalid value "abc" for --limit: give a whole number from 1 to 9999`},
		{[]string{"tail", "--demo", "--limit", "0"}, `invalid value "0" for --limit: give a whole number from 1 to 9999`},
		{[]string{"logs", "--max", "-3"}, `invalid value "-3" for --max: give a whole number, 0 or more`},
		{[]string{"logs", "--max", "ten"}, `invalid value "ten" for --max: give a whole number, 0 or more`},
		{[]string{"logs", "--retries", "-1"}, `invalid value "-1" for --retries: give a whole number from 0 to 1000`},
		{[]string{"logs", "--rate", "x"}, `invalid value "x" for --rate: give a whole number, 0 or more`},
	}
	for _, c := range cases {
		r := runCLI(t, env, c.args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", c.args, r.code, r.stderr, c.want)
		}
	}
	if r := runCLI(t, env, "logs", "--limit", "1", "--max", "3"); r.code != 0 || strings.Count(r.stdout, "\n") != 3 {
		t.Errorf("--limit 1 --max 3: exit %d, %q", r.code, r.stderr)
	}
}

// TestFormats: --format on every command that prints, json everywhere, the
// old spellings still working.
func TestFormats(t *testing.T) {
	t.Parallel()
	srv, env := newServer(t, 30)
	jsonLines := func(s string) error {
		lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
		if len(lines) != len(srv.Entries()) {
			return fmt.Errorf("%d lines, want %d", len(lines), len(srv.Entries()))
		}
		for _, l := range lines {
			if !json.Valid([]byte(l)) {
				return fmt.Errorf("not JSON: %q", l)
			}
		}
		return nil
	}
	oneDoc := func(s string) error {
		if !json.Valid([]byte(s)) || !strings.HasPrefix(s, "{") {
			return fmt.Errorf("not one JSON document: %.80q", s)
		}
		return nil
	}
	prefix := func(p string) func(string) error {
		return func(s string) error {
			if !strings.HasPrefix(s, p) {
				return fmt.Errorf("does not start with %q: %.80q", p, s)
			}
			return nil
		}
	}
	from := writeLines(t, string(srv.Entries()[0]))
	cases := []struct {
		args  []string
		check func(string) error
	}{
		{[]string{"logs", "--format", "json"}, jsonLines},
		{[]string{"logs", "--format", "jsonl"}, jsonLines},
		{[]string{"logs"}, jsonLines}, // not a terminal
		{[]string{"logs", "--format", "table"}, prefix("TIME")},
		{[]string{"logs", "--format", "csv"}, prefix("date_create,")},
		{[]string{"drift", "--from", from, "--format", "json"}, oneDoc},
		{[]string{"drift", "--from", from, "--format", "table"}, func(s string) error { return nil }},
		{[]string{"schemas", "--format", "json"}, oneDoc},
		{[]string{"schemas", "--json"}, oneDoc},
		{[]string{"schemas", "--format", "table"}, func(s string) error {
			if strings.HasPrefix(s, "{") {
				return errors.New("json, not a table")
			}
			return nil
		}},
		{[]string{"actions", "--format", "json"}, oneDoc},
		{[]string{"actions", "--json", "--format", "json"}, oneDoc},
		{[]string{"actions", "--format", "table"}, prefix("")},
	}
	for _, c := range cases {
		r := runCLI(t, env, c.args...)
		if r.code != 0 && r.code != exitDrift {
			t.Errorf("%q: exit %d: %s", c.args, r.code, r.stderr)
			continue
		}
		if err := c.check(r.stdout); err != nil {
			t.Errorf("%q: %v", c.args, err)
		}
	}
	// On a terminal, logs defaults to the table.
	if r := runTTY(t, env, true, "logs"); r.code != 0 || !strings.HasPrefix(r.stdout, "TIME") {
		t.Errorf("logs on a terminal: exit %d, %.60q", r.code, r.stdout)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"drift", "--from", from, "--format", "csv"}, "unknown format: use table or json"},
		{[]string{"actions", "--format", "csv"}, "unknown format: use table or json"},
		{[]string{"actions", "--json", "--format", "table"}, "--json and --format table disagree"},
		{[]string{"logs", "--format", "json", "--format", "csv"}, `--format given twice ("json", then "csv")`},
	} {
		if r := runCLI(t, env, c.args...); r.code != exitUsage || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%q: exit %d, %q; want 2 and %q", c.args, r.code, r.stderr, c.want)
		}
	}
}

// actionServer is a fake Slack whose /logs calls are recorded, and which
// refuses more than 30 names in an action filter as Slack does.
func actionServer(t *testing.T, n int) (*auditlogstest.Server, map[string]string, func() []string) {
	t.Helper()
	srv, env := newServer(t, n)
	var mu sync.Mutex
	var calls []string
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if strings.HasSuffix(r.URL.Path, "/logs") && q.Get("cursor") == "" {
			mu.Lock()
			calls = append(calls, q.Get("action")+"|"+q.Get("actor")+"|"+q.Get("entity"))
			mu.Unlock()
		}
		if len(strings.Split(q.Get("action"), ",")) > maxActionsPerCall {
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"ok":false,"error":"invalid_arguments"}`))
			return
		}
		srv.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	env["SLACK_AUDIT_BASE_URL"] = front.URL + auditlogstest.BasePath
	return srv, env, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(calls)
	}
}

// TestListFlags: list flags take commas and repeats, and add up; more than
// 30 actions, several actors or entities make several calls whose events
// are merged newest first, none lost or repeated.
func TestListFlags(t *testing.T) {
	t.Parallel()
	srv, env, calls := actionServer(t, 600)
	all := srv.Entries()
	var actions, actors []string
	for _, raw := range all {
		f := parse(t, raw)
		if !slices.Contains(actions, f.Action) {
			actions = append(actions, f.Action)
		}
		if id := f.Actor.User.ID; id != "" && !slices.Contains(actors, id) {
			actors = append(actors, id)
		}
	}
	if len(actions) < 4 || len(actors) < 3 {
		t.Fatalf("the corpus has %d actions and %d actors: too few for the test", len(actions), len(actors))
	}
	// 40 names: the corpus's first three and made-up ones.
	many := slices.Clone(actions[:3])
	for i := len(many); i < 40; i++ {
		many = append(many, fmt.Sprintf("made_up_action_%d", i))
	}
	in := func(xs ...string) func(fields) bool {
		return func(f fields) bool { return slices.Contains(xs, f.Action) }
	}
	cases := []struct {
		name  string
		args  []string
		keep  func(fields) bool
		calls int
	}{
		{"commas and repeats add up", []string{"--action", actions[0] + "," + actions[1], "--action", actions[2]}, in(actions[:3]...), 1},
		{"more than 30 actions", []string{"--action", strings.Join(many, ",")}, in(many...), 2},
		{"actions repeated 40 times", flagEach("--action", many), in(many...), 2},
		{"two actors", []string{"--actor", actors[0], "--actor", actors[1]},
			func(f fields) bool { return f.Actor.User.ID == actors[0] || f.Actor.User.ID == actors[1] }, 2},
		{"exclusions add up", []string{"--exclude-action", actions[0], "--exclude-action", actions[1] + "," + actions[2]},
			func(f fields) bool { return !in(actions[:3]...)(f) }, 1},
		{"a name twice is one name", []string{"--actor", actors[0] + "," + actors[0]},
			func(f fields) bool { return f.Actor.User.ID == actors[0] }, 1},
	}
	for _, c := range cases {
		before := len(calls())
		r := runCLI(t, env, append([]string{"logs", "--limit", "50", "--rate", "0"}, c.args...)...)
		if r.code != 0 {
			t.Errorf("%s: exit %d: %s", c.name, r.code, r.stderr)
			continue
		}
		want := filter(t, all, c.keep)
		if len(want) == 0 {
			t.Fatalf("%s: matches nothing: a useless case", c.name)
		}
		if r.stdout != joinLines(want) {
			t.Errorf("%s: %d lines, want %d (newest first, each once)", c.name, strings.Count(r.stdout, "\n"), len(want))
		}
		if got := len(calls()) - before; got != c.calls {
			t.Errorf("%s: %d calls, want %d: %q", c.name, got, c.calls, calls()[before:])
		}
	}
	// drift pulls the same way.
	r := runCLI(t, env, "drift", "--rate", "0", "--schemas=false", "--format", "json", "--actor", actors[0]+","+actors[1])
	var rep struct{ Entries int }
	json.Unmarshal([]byte(r.stdout), &rep)
	if want := len(filter(t, all, func(f fields) bool { return f.Actor.User.ID == actors[0] || f.Actor.User.ID == actors[1] })); rep.Entries != want {
		t.Errorf("drift with two actors checked %d events, want %d (exit %d, %s)", rep.Entries, want, r.code, r.stderr)
	}

	usage := []struct {
		args []string
		want string
	}{
		{[]string{"logs", "--oldest", "1d", "--oldest", "2d"}, `--oldest given twice ("1d", then "2d"): it takes one value, give it once`},
		{[]string{"logs", "--out", "a", "--out=b"}, "--out given twice"},
		{[]string{"logs", "--demo", "--demo"}, "--demo given twice"},
		{[]string{"logs", "--action", "a,,b"}, `invalid value "a,,b" for --action: an empty name`},
		{[]string{"tail", "--demo", "--actor", "U1,U2"}, "--actor: one user here, got 2"},
		{[]string{"tail", "--demo", "--action", strings.Join(many, ",")}, "--action: at most 30 names here"},
		{append([]string{"logs", "--actor", "U1,U2,U3,U4,U5,U6,U7,U8,U9"}, flagEach("--entity", many[:8])...), "the filters take 72 calls"},
	}
	for _, c := range usage {
		if r := runCLI(t, env, c.args...); r.code != exitUsage || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%q: exit %d, %q; want 2 and %q", c.args, r.code, r.stderr, c.want)
		}
	}
}

// flagEach gives flag once for each value.
func flagEach(flag string, values []string) []string {
	var out []string
	for _, v := range values {
		out = append(out, flag, v)
	}
	return out
}

// TestLogsOutKeepsFileOnFailure: logs --out replaces the file only after a
// complete pull; a failure halfway leaves it as it was, and no temporary
// file behind.
func TestLogsOutKeepsFileOnFailure(t *testing.T) {
	t.Parallel()
	srv, env := newServer(t, 100)
	var pages sync.Map
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("cursor") != "" {
			// The second page fails, every time.
			pages.Store(r.URL.Query().Get("cursor"), true)
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		srv.Handler().ServeHTTP(w, r)
	}))
	defer front.Close()
	failing := map[string]string{"SLACK_AUDIT_TOKEN": secret, "SLACK_AUDIT_BASE_URL": front.URL + auditlogstest.BasePath}
	dir := t.TempDir()
	out := filepath.Join(dir, "week.jsonl")
	old := []byte("the previous export\n")
	os.WriteFile(out, old, 0o644)

	cases := []struct {
		name string
		env  map[string]string
		args []string
		code int
		want string // the file's content after
	}{
		{"server fails on page 2", failing, []string{"--limit", "10", "--retries", "0"}, exitError, string(old)},
		{"wrong token", map[string]string{"SLACK_AUDIT_TOKEN": "xoxp-wrong", "SLACK_AUDIT_BASE_URL": srv.URL}, nil, exitError, string(old)},
		{"success replaces", env, []string{"--limit", "30"}, exitOK, joinLines(srv.Entries())},
		{"csv too", env, []string{"--format", "csv", "--max", "1"}, exitOK, ""},
	}
	for _, c := range cases {
		r := runCLI(t, c.env, append([]string{"logs", "--rate", "0", "--out", out}, c.args...)...)
		if r.code != c.code {
			t.Errorf("%s: exit %d: %s", c.name, r.code, r.stderr)
		}
		got, err := os.ReadFile(out)
		if err != nil || (c.want != "" && string(got) != c.want) {
			t.Errorf("%s: the file holds %d bytes (%v), want %d", c.name, len(got), err, len(c.want))
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 1 {
			t.Errorf("%s: %d files in the directory, want only the output", c.name, len(entries))
		}
	}
	if fi, _ := os.Stat(out); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	if n := 0; true {
		pages.Range(func(any, any) bool { n++; return true })
		if n == 0 {
			t.Error("the failing server never failed: a useless test")
		}
	}
	r := runCLI(t, env, "logs", "--help")
	if !strings.Contains(r.stdout, "FILE is as it was") {
		t.Error("logs --help does not say what --out does on failure")
	}
	// An interrupted pull keeps the file too.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var o, e bytes.Buffer
	code := run(ctx, []string{"logs", "--out", out, "--rate", "0"}, strings.NewReader(""), &o, &e, func(k string) string { return env[k] })
	if got, _ := os.ReadFile(out); code != exitInterrupted || string(got) == "" {
		t.Errorf("interrupted: exit %d, %s; file %d bytes", code, e.String(), len(got))
	}
}

// tableColumns returns where each column of the header starts.
func tableColumns(header string) []int {
	var starts []int
	for _, m := range regexp.MustCompile(`[A-Z]+`).FindAllStringIndex(header, -1) {
		starts = append(starts, m[0])
	}
	return starts
}

// TestTableWidths: the columns are measured once, on the first page, and
// every later row lines up with them; longer cells are cut with "…".
func TestTableWidths(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 70)
	var entries []json.RawMessage
	for i := range 45 {
		action, email := "user_login", "a@example.com"
		if i == 30 {
			action = "a_much_longer_action_name_on_a_later_page_" + long // page 3 of 15
		}
		if i == 40 {
			email = long + "@example.com"
		}
		entries = append(entries, json.RawMessage(fmt.Sprintf(
			`{"id":"e%02d","date_create":%d,"action":%q,"actor":{"type":"user","user":{"id":"U1","email":%q}},"entity":{"type":"user","user":{"id":"U2"}},"context":{"ip_address":"10.0.0.%d"}}`,
			99-i, 1700000000-i, action, email, i)))
	}
	srv := auditlogstest.NewServer(auditlogstest.WithEntries(entries), auditlogstest.WithToken(secret))
	defer srv.Close()
	env := map[string]string{"SLACK_AUDIT_TOKEN": secret, "SLACK_AUDIT_BASE_URL": srv.URL}
	r := runCLI(t, env, "logs", "--format", "table", "--limit", "15", "--rate", "0")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(lines) != 46 {
		t.Fatalf("%d lines", len(lines))
	}
	starts := tableColumns(lines[0])
	for i, line := range lines[1:] {
		runes := []rune(line)
		for _, s := range starts[1:] {
			if len(runes) <= s || runes[s-1] != ' ' || runes[s-2] != ' ' || runes[s] == ' ' {
				t.Fatalf("row %d does not line up with the header:\n%s\n%s", i, lines[0], line)
			}
		}
	}
	// The first page's widths: user_login and a@example.com.
	for _, want := range []string{"  a_much_lo…  ", "  xxxxxxxxxxxx…  "} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("no cut cell %q in\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, long) {
		t.Error("a long cell was not cut")
	}
}

// TestTerminalSummary: on a terminal, stderr ends with a summary, or says
// that nothing matched; elsewhere it stays quiet.
func TestTerminalSummary(t *testing.T) {
	t.Parallel()
	srv, env := newServer(t, 120)
	all := srv.Entries()
	newest, oldest := parse(t, all[0]).DateCreate, parse(t, all[len(all)-1]).DateCreate
	cases := []struct {
		args      []string
		stdoutTTY bool
		want      string
	}{
		{[]string{"logs", "--limit", "50"}, false, fmt.Sprintf("auditlogs: 120 events, from %s to %s, 3 pages\n", unixText(oldest), unixText(newest))},
		{[]string{"logs", "--limit", "50", "--format", "table"}, true, "auditlogs: 120 events, from "},
		{[]string{"logs", "--max", "1"}, false, fmt.Sprintf("auditlogs: 1 event, from %s to %s, 1 page\n", unixText(newest), unixText(newest))},
		{[]string{"logs", "--action", "no_such_action"}, false, "auditlogs: no events match the filters (1 page read)\n"},
		{[]string{"logs", "--action", "no_such_action", "--actor", "U1,U2"}, true, "auditlogs: no events match the filters (2 pages read)\n"},
	}
	for _, c := range cases {
		r := runTTY(t, env, c.stdoutTTY, append(c.args, "--rate", "0")...)
		if r.code != 0 || !strings.HasSuffix(r.stderr, c.want) && !strings.Contains(r.stderr, c.want) {
			t.Errorf("%q: exit %d, stderr %q; want %q", c.args, r.code, r.stderr, c.want)
		}
	}
	if r := runCLI(t, env, "logs", "--action", "no_such_action"); r.code != 0 || r.stderr != "" {
		t.Errorf("not a terminal: exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestCSVInjection: a cell a spreadsheet would run as a formula gets a '
// before it.
func TestCSVInjection(t *testing.T) {
	t.Parallel()
	evil := []string{"=HYPERLINK(\"http://x\")", "+1+2", "-2+3", "@SUM(A1)", "\tx", "\rx", "plain", "a=b"}
	var entries []json.RawMessage
	for i, s := range evil {
		b, _ := json.Marshal(map[string]any{
			"id": fmt.Sprintf("e%d", 9-i), "date_create": 1700000000 - i, "action": s,
			"actor":   map[string]any{"type": "user", "user": map[string]any{"id": "U1", "email": s}},
			"entity":  map[string]any{"type": "channel", "channel": map[string]any{"id": "C1", "name": s}},
			"context": map[string]any{"ua": s, "ip_address": "1.2.3.4"},
		})
		entries = append(entries, b)
	}
	srv := auditlogstest.NewServer(auditlogstest.WithEntries(entries), auditlogstest.WithToken(secret))
	defer srv.Close()
	r := runCLI(t, map[string]string{"SLACK_AUDIT_TOKEN": secret, "SLACK_AUDIT_BASE_URL": srv.URL}, "logs", "--format", "csv")
	rows, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	if err != nil || len(rows) != len(evil)+1 {
		t.Fatalf("exit %d, %d rows, %v: %s", r.code, len(rows), err, r.stderr)
	}
	for i, s := range evil {
		want := s
		if s != "plain" && s != "a=b" {
			want = "'" + s
		}
		row := rows[i+1]
		for _, col := range []int{3, 5, 8, 11} { // action, actor_email, entity_name, user_agent
			if row[col] != want {
				t.Errorf("%q: column %s is %q, want %q", s, csvHeader[col], row[col], want)
			}
		}
	}
	if h := runCLI(t, nil, "logs", "--help"); !strings.Contains(h.stdout, "CSV injection") {
		t.Error("logs --help does not document the ' prefix")
	}
}

// TestHelpStyle walks every command's help: placeholders in capitals or
// choices, two dashes, every flag listed, exit codes with 130 and 143.
func TestHelpStyle(t *testing.T) {
	t.Parallel()
	placeholderRE := regexp.MustCompile(`^([A-Z]+(\[,[A-Z]+\.\.\.\])?|[a-z]+(\|[a-z]+)+)$`)
	flagLineRE := regexp.MustCompile(`(?m)^  --([a-z-]+)(?: (\S+))?\n    \t`)
	pending := map[string]bool{} // commands whose help is not in the style yet: none
	for _, c := range commands {
		r := runCLI(t, nil, c.name, "--help")
		h := runCLI(t, nil, "help", c.name)
		if r.code != 0 || h.code != 0 || r.stdout != h.stdout || r.stderr != "" {
			t.Errorf("%s: --help exit %d, help exit %d, or they differ", c.name, r.code, h.code)
			continue
		}
		help := r.stdout
		for _, m := range flagLineRE.FindAllStringSubmatch(help, -1) {
			if m[2] != "" && !placeholderRE.MatchString(m[2]) && !pending[c.name] {
				t.Errorf("%s --%s: placeholder %q is not in the style (FILE, N, DURATION, json|table)", c.name, m[1], m[2])
			}
		}
		for _, bad := range []string{" string\n", " int\n", " duration\n", " value\n", " VALUE\n"} {
			if strings.Contains(help, bad) && !pending[c.name] {
				t.Errorf("%s: a placeholder%q", c.name, bad)
			}
		}
		// Every flag in the synopsis is listed, with two dashes.
		usage, _, _ := strings.Cut(strings.TrimPrefix(help, "Usage:\n  "), "\n")
		for _, m := range regexp.MustCompile(`(?:^|[\s\[|])(-{1,2})([a-z][a-z-]*)`).FindAllStringSubmatch(usage, -1) {
			if m[1] != "--" {
				t.Errorf("%s: synopsis has %s%s", c.name, m[1], m[2])
			}
			if !strings.Contains(help, "\n  --"+m[2]) {
				t.Errorf("%s: synopsis names --%s, which the flags do not list", c.name, m[2])
			}
		}
		if !pending[c.name] {
			for _, m := range regexp.MustCompile(`--[a-z-]+ ([^-\s]\S*)`).FindAllStringSubmatch(usage, -1) {
				for strings.HasSuffix(m[1], "]") && strings.Count(m[1], "]") > strings.Count(m[1], "[") {
					m[1] = strings.TrimSuffix(m[1], "]")
				}
				if !placeholderRE.MatchString(m[1]) {
					t.Errorf("%s: synopsis placeholder %q", c.name, m[0])
				}
			}
		}
		_, exits, ok := strings.Cut(help, "\nExit codes:\n")
		if !ok {
			t.Errorf("%s: no exit codes", c.name)
			continue
		}
		exits, _, _ = strings.Cut(strings.TrimSuffix(exits, "\n"), "\n\n")
		for _, line := range strings.Split(exits, "\n") {
			if !regexp.MustCompile(`^  \d{1,3} +\S`).MatchString(line) {
				t.Errorf("%s: exit code line %q", c.name, line)
			}
		}
		for _, code := range []string{"\n  0 ", "\n  2 ", "\n  130 ", "\n  143 "} {
			if !strings.Contains("\n"+exits, code) && !pending[c.name] {
				t.Errorf("%s: exit code %s not listed", c.name, strings.TrimSpace(code))
			}
		}
	}
	main := runCLI(t, nil, "help")
	for _, code := range []string{"130", "143"} {
		if !strings.Contains(main.stdout, "\n  "+code+"  ") {
			t.Errorf("main help does not list %s", code)
		}
	}
}

// TestHelpAndTypos: help for help, did-you-mean for commands and flags,
// two dashes in the flag package's messages.
func TestHelpAndTypos(t *testing.T) {
	t.Parallel()
	cases := []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{[]string{"help", "--help"}, 0, "Usage:\n  auditlogs help [COMMAND]", ""},
		{[]string{"help", "-h"}, 0, "Usage:\n  auditlogs help [COMMAND]", ""},
		{[]string{"help", "help"}, 0, "Usage:\n  auditlogs help [COMMAND]", ""},
		{[]string{"help", "status"}, 0, "Usage:\n  auditlogs status", ""},
		{[]string{"help", "tial"}, 2, "", `unknown command "tial" (did you mean tail?)`},
		{[]string{"help", "logs", "tail"}, 2, "", "help takes one command"},
		{[]string{"help", "--bogus"}, 2, "", "unknown flag --bogus"},
		{[]string{"tial"}, 2, "", `auditlogs: unknown command "tial" (did you mean tail?)`},
		{[]string{"stat"}, 2, "", `(did you mean status?)`},
		{[]string{"drfit"}, 2, "", `(did you mean drift?)`},
		{[]string{"frobnicate"}, 2, "", "unknown command \"frobnicate\"\n"},
		{[]string{"logs", "--olddest", "1d"}, 2, "", "unknown flag --olddest (did you mean --oldest?)"},
		{[]string{"logs", "--fromat", "csv"}, 2, "", "unknown flag --fromat (did you mean --format?)"},
		{[]string{"tail", "--stae", "x"}, 2, "", "unknown flag --stae (did you mean --state?)"},
		{[]string{"logs", "--zzzzzz"}, 2, "", "unknown flag --zzzzzz\n"},
		{[]string{"logs", "--format"}, 2, "", "flag needs an argument: --format\n"},
		{[]string{"logs", "-format"}, 2, "", "flag needs an argument: --format\n"},
		{[]string{"drift", "--schemas=maybe"}, 2, "", `invalid value "maybe" for --schemas`},
	}
	for _, c := range cases {
		r := runCLI(t, nil, c.args...)
		if r.code != c.code || !strings.Contains(r.stdout, c.stdout) || !strings.Contains(r.stderr, c.stderr) {
			t.Errorf("%q: exit %d, stdout %.60q, stderr %q; want %d, %q, %q", c.args, r.code, r.stdout, r.stderr, c.code, c.stdout, c.stderr)
		}
		if c.code == exitUsage && regexp.MustCompile(`(^|\s)-[a-z]`).MatchString(r.stderr) {
			t.Errorf("%q: a single dash in %q", c.args, r.stderr)
		}
	}
}

// TestSignalExitCodes: an interrupted command exits 130 after SIGINT and
// 143 after SIGTERM.
func TestSignalExitCodes(t *testing.T) {
	t.Parallel()
	_, env := newServer(t, 50)
	for _, c := range []struct {
		cause error
		code  int
	}{{context.Canceled, exitInterrupted}, {errTerminated, exitTerminated}} {
		ctx, cancel := context.WithCancelCause(context.Background())
		cancel(c.cause)
		for _, args := range [][]string{{"logs"}, {"actions"}, {"drift", "--schemas=false"}} {
			var o, e bytes.Buffer
			code := run(ctx, args, strings.NewReader(""), &o, &e, func(k string) string { return env[k] })
			if code != c.code || !strings.Contains(e.String(), "interrupted") {
				t.Errorf("%q after %v: exit %d, %q; want %d", args, c.cause, code, e.String(), c.code)
			}
		}
	}
}

// failingWriter fails every write, like a full disk.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, os.ErrClosed }

// TestOutputErrorIsNotNetwork: a failing output is reported as such, not
// as a network error.
func TestOutputErrorIsNotNetwork(t *testing.T) {
	t.Parallel()
	_, env := newServer(t, 50)
	for _, f := range []string{"json", "csv", "table"} {
		var e bytes.Buffer
		code := run(context.Background(), []string{"logs", "--format", f}, strings.NewReader(""), failingWriter{}, &e,
			func(k string) string { return env[k] })
		if code != exitError || !strings.Contains(e.String(), "auditlogs: cannot write the output: file already closed") {
			t.Errorf("%s: exit %d, %q", f, code, e.String())
		}
	}
}

// TestDebugLogsInLogFormat: with --debug and a --log-format logger (as tail
// makes it), the client's debug records come in that format, not as text
// lines in a JSON stream.
func TestDebugLogsInLogFormat(t *testing.T) {
	t.Parallel()
	_, vars := newServer(t, 10, auditlogstest.WithFaults(auditlogstest.Faults{ServerError: 1, FirstN: 1}))
	for _, debug := range []bool{true, false} {
		var stderr bytes.Buffer
		red := &redactor{w: &stderr}
		e := &env{stdout: &bytes.Buffer{}, stderr: red, getenv: func(k string) string { return vars[k] }, redact: red}
		g := &globalFlags{debug: debug, timeout: time.Minute, retries: 2, set: map[string]bool{}}
		g.opsLog = opsLogger(red, "json", debug)
		ci, code := newClient(e, g, true)
		if code != 0 {
			t.Fatalf("newClient: exit %d: %s", code, stderr.String())
		}
		if _, err := ci.Actions(context.Background()); err != nil {
			t.Fatal(err)
		}
		ci.close()
		debugLines := 0
		for _, line := range strings.Split(stderr.String(), "\n") {
			if line == "" {
				continue
			}
			var rec map[string]any
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				t.Fatalf("debug %v: not a JSON record: %q", debug, line)
			}
			if rec["level"] == "DEBUG" {
				debugLines++
			}
		}
		if (debugLines > 0) != debug {
			t.Errorf("debug %v: %d debug records in %q", debug, debugLines, stderr.String())
		}
	}
}

// FuzzParseDuration: any input is a duration, non-negative and at most
// maxDuration, or an error; never a panic.
func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"0", "90s", "1h30m", "1.5h", "7d", "2w", "1d12h", "1", "-5m", "1e9h", "9999999999999w", ".h", "1..5m"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseDuration(s)
		if err == nil && (d < 0 || d > maxDuration) {
			t.Errorf("parseDuration(%q) = %v", s, d)
		}
	})
}

// TestAliasFlag: a hidden alias (tail's --start, for --oldest) sets its
// flag, is left out of help, and counts as that flag for "given twice".
func TestAliasFlag(t *testing.T) {
	t.Parallel()
	spec := cmdSpec{name: "probe", synopsis: "[--oldest TIME]", about: "A probe."}
	now := func() time.Time { return time.Date(2025, 6, 15, 12, 0, 0, 0, time.UTC) }
	cases := []struct {
		args   []string
		ok     bool
		oldest string
		msg    string
	}{
		{[]string{"--start", "2025-01-01"}, true, "2025-01-01T00:00:00Z", ""},
		{[]string{"--oldest", "1d"}, true, "2025-06-14T12:00:00Z", ""},
		{[]string{"--start", "1d", "--oldest", "2d"}, false, "", "--start and --oldest are the same flag, given twice: give it once"},
		{[]string{"--start", "soon"}, false, "", `invalid value "soon" for --start: not a time`},
		{[]string{"--help"}, false, "", ""},
	}
	for _, c := range cases {
		var r rangeFlags
		var out, errb bytes.Buffer
		e := &env{stdout: &out, stderr: &errb}
		fs := newFlagSet(spec, nil)
		r.register(fs, now)
		aliasVar(fs, "start", "oldest")
		ok, _ := parseFlags(e, fs, spec, nil, c.args)
		if ok != c.ok || !strings.Contains(errb.String(), c.msg) || (ok && r.oldest.String() != c.oldest) {
			t.Errorf("%q: ok %v, --oldest %s, %q; want %v, %s, %q", c.args, ok, r.oldest, errb.String(), c.ok, c.oldest, c.msg)
		}
		if strings.Contains(out.String(), "--start") || (c.args[0] == "--help" && !strings.Contains(out.String(), "--oldest TIME")) {
			t.Errorf("%q: help lists the alias, or not the flag:\n%s", c.args, out.String())
		}
	}
}
