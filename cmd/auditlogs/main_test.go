package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slackaudit/auditlogs"
	"github.com/slackaudit/auditlogs/auditlogstest"
)

// secret is the token tests use: it must never show in any output.
const secret = "xoxp-SECRET-4242-do-not-print"

func TestMain(m *testing.M) {
	// Faults without Retry-After (5xx, cut connections) would otherwise wait
	// the library's default backoff, a second or more.
	testClientOptions = []auditlogs.Option{auditlogs.WithRetryWait(time.Millisecond, 5*time.Millisecond)}
	code := m.Run()
	removeCLI()
	os.Exit(code)
}

type result struct {
	code           int
	stdout, stderr string
}

// runCLI runs the command line in-process with env as the environment.
func runCLI(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	return runCLIContext(t, context.Background(), env, args...)
}

func runCLIContext(t *testing.T, ctx context.Context, env map[string]string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(ctx, args, strings.NewReader(""), &out, &errb, func(k string) string { return env[k] })
	r := result{code, out.String(), errb.String()}
	if strings.Contains(r.stdout, secret) || strings.Contains(r.stderr, secret) {
		t.Fatalf("the token shows in the output of %q", args)
	}
	return r
}

// newServer starts a fake Slack with n synthetic entries that accepts
// secret, and returns it with the environment to reach it.
func newServer(t *testing.T, n int, opts ...auditlogstest.Option) (*auditlogstest.Server, map[string]string) {
	t.Helper()
	srv := auditlogstest.NewServer(append([]auditlogstest.Option{
		auditlogstest.WithSynthetic(n, 7), auditlogstest.WithToken(secret),
	}, opts...)...)
	t.Cleanup(srv.Close)
	return srv, map[string]string{"SLACK_AUDIT_TOKEN": secret, "SLACK_AUDIT_BASE_URL": srv.URL}
}

// joinLines is what jsonl output of these entries must be.
func joinLines(entries []json.RawMessage) string {
	var b strings.Builder
	for _, e := range entries {
		b.Write(e)
		b.WriteByte('\n')
	}
	return b.String()
}

// fields reads what the filters look at from an entry.
type fields struct {
	ID         string `json:"id"`
	DateCreate int64  `json:"date_create"`
	Action     string `json:"action"`
	Actor      struct {
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	} `json:"actor"`
}

func parse(t *testing.T, raw json.RawMessage) fields {
	t.Helper()
	var f fields
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	return f
}

func filter(t *testing.T, entries []json.RawMessage, keep func(fields) bool) []json.RawMessage {
	var out []json.RawMessage
	for _, e := range entries {
		if keep(parse(t, e)) {
			out = append(out, e)
		}
	}
	return out
}

func TestLogsJSONLExactWithFaults(t *testing.T) {
	t.Parallel()
	srv, env := newServer(t, 1000, auditlogstest.WithFaults(auditlogstest.Faults{
		Seed: 3, RateLimited: 0.1, RetryAfter: -1, ServerError: 0.1, ResetMidBody: 0.1, ResetBeforeResponse: 0.05,
	}))
	r := runCLI(t, env, "logs", "--limit", "37", "--retries", "12", "--rate", "0")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if want := joinLines(srv.Entries()); r.stdout != want {
		t.Fatalf("output differs from the server's entries: %d bytes, want %d", len(r.stdout), len(want))
	}
	if r.stderr != "" {
		t.Errorf("stderr not empty without a terminal or --debug: %q", r.stderr)
	}
	st := srv.Stats()
	if st.RateLimited == 0 || st.ServerErrors == 0 || st.Resets == 0 {
		t.Errorf("faults were not met: %+v", st)
	}
}

func TestLogsRetryAfterOneSecond(t *testing.T) {
	t.Parallel()
	srv, env := newServer(t, 120, auditlogstest.WithFaults(auditlogstest.Faults{RateLimited: 1, RetryAfter: time.Second, FirstN: 1}))
	start := time.Now()
	r := runCLI(t, env, "logs", "--limit", "50", "--rate", "0")
	if r.code != 0 || r.stdout != joinLines(srv.Entries()) {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	if d := time.Since(start); d < 900*time.Millisecond {
		t.Errorf("took %s: Retry-After 1 was not waited out", d)
	}
}

func TestLogsFilters(t *testing.T) {
	t.Parallel()
	srv, env := newServer(t, 800)
	all := srv.Entries()
	mid := parse(t, all[200]).DateCreate
	old := parse(t, all[500]).DateCreate
	actor := parse(t, all[10]).Actor.User.ID
	cases := []struct {
		name string
		args []string
		keep func(fields) bool
	}{
		{"action", []string{"--action", "user_login"}, func(f fields) bool { return f.Action == "user_login" }},
		{"actor", []string{"--actor", actor}, func(f fields) bool { return f.Actor.User.ID == actor }},
		{"window", []string{"--oldest", itoa(old), "--latest", time.Unix(mid, 0).UTC().Format(time.RFC3339)},
			func(f fields) bool { return f.DateCreate >= old && f.DateCreate <= mid }},
		{"window+action", []string{"--oldest", itoa(old), "--latest", itoa(mid), "--action", "file_downloaded"},
			func(f fields) bool {
				return f.DateCreate >= old && f.DateCreate <= mid && f.Action == "file_downloaded"
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := filter(t, all, c.keep)
			if len(want) == 0 {
				t.Fatal("the case matches nothing: a useless test")
			}
			r := runCLI(t, env, append([]string{"logs", "--limit", "9", "--rate", "0"}, c.args...)...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			if r.stdout != joinLines(want) {
				t.Fatalf("got %d lines, want %d", strings.Count(r.stdout, "\n"), len(want))
			}
		})
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestLogsMax(t *testing.T) {
	t.Parallel()
	srv, env := newServer(t, 300)
	for _, args := range [][]string{{"--max", "25"}, {"--max", "25", "--limit", "10"}} {
		r := runCLI(t, env, append([]string{"logs", "--rate", "0"}, args...)...)
		if r.code != 0 || r.stdout != joinLines(srv.Entries()[:25]) {
			t.Fatalf("%v: exit %d, %d lines", args, r.code, strings.Count(r.stdout, "\n"))
		}
	}
}

func TestLogsOutFile(t *testing.T) {
	t.Parallel()
	srv, env := newServer(t, 150)
	out := filepath.Join(t.TempDir(), "out.jsonl")
	r := runCLI(t, env, "logs", "--out", out, "--limit", "40", "--rate", "0")
	if r.code != 0 || r.stdout != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	b, _ := os.ReadFile(out)
	if string(b) != joinLines(srv.Entries()) {
		t.Fatal("--out file differs from the server's entries")
	}
	if fi, _ := os.Stat(out); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
}

func TestLogsTable(t *testing.T) {
	t.Parallel()
	srv, env := newServer(t, 200)
	r := runCLI(t, env, "logs", "--format", "table", "--limit", "60", "--rate", "0")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(lines) != 201 || !strings.HasPrefix(lines[0], "TIME") || !strings.Contains(lines[0], "ACTION") {
		t.Fatalf("%d lines, first %q", len(lines), lines[0])
	}
	first := parse(t, srv.Entries()[0])
	if !strings.HasPrefix(lines[1], time.Unix(first.DateCreate, 0).UTC().Format(time.RFC3339)) ||
		!strings.Contains(lines[1], first.Action) {
		t.Errorf("first row %q does not show %+v", lines[1], first)
	}
	if strings.ContainsAny(r.stdout, "\x1b\r\t") {
		t.Error("table holds control characters")
	}
}

func TestLogsCSV(t *testing.T) {
	t.Parallel()
	srv, env := newServer(t, 300)
	r := runCLI(t, env, "logs", "--format", "csv", "--limit", "70", "--rate", "0")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	rows, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rows[0], csvHeader) {
		t.Fatalf("header %q", rows[0])
	}
	entries := srv.Entries()
	if len(rows) != len(entries)+1 {
		t.Fatalf("%d rows, want %d", len(rows)-1, len(entries))
	}
	for i, e := range entries {
		f := parse(t, e)
		row := rows[i+1]
		if row[0] != itoa(f.DateCreate) || row[2] != f.ID || row[3] != f.Action || row[4] != f.Actor.User.ID {
			t.Fatalf("row %d = %q, entry %s", i, row, e)
		}
	}
}

func TestCatalog(t *testing.T) {
	t.Parallel()
	srv, env := newServer(t, 1)
	delete(env, "SLACK_AUDIT_TOKEN") // no token needed
	raws := map[string]string{}
	for _, name := range []string{"schemas", "actions"} {
		resp, err := http.Get(srv.URL + name)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			t.Fatal(resp.Status, err)
		}
		raws[name] = string(raw)
	}
	srv.SetFaults(auditlogstest.Faults{Seed: 5, ServerError: 0.3, ResetMidBody: 0.3, FirstN: 6})
	for _, name := range []string{"schemas", "actions"} {
		raw := raws[name]
		r := runCLI(t, env, name, "--json", "--retries", "10")
		if r.code != 0 || r.stdout != string(raw) {
			t.Fatalf("%s --json: exit %d, stderr %q; output differs from the server's answer", name, r.code, r.stderr)
		}
		r = runCLI(t, env, name, "--retries", "10")
		if r.code != 0 || r.stdout == "" || strings.HasPrefix(r.stdout, "{") {
			t.Fatalf("%s: exit %d, stderr %q, stdout %.80q", name, r.code, r.stderr, r.stdout)
		}
	}
	r := runCLI(t, env, "actions")
	var body struct{ Actions map[string][]string }
	if err := json.Unmarshal([]byte(raws["actions"]), &body); err != nil {
		t.Fatal(err)
	}
	var cats []string
	for c := range body.Actions {
		cats = append(cats, c)
	}
	slices.Sort(cats)
	var got []string
	for _, line := range strings.Split(r.stdout, "\n") {
		if line != "" && !strings.HasPrefix(line, " ") {
			got = append(got, strings.Fields(line)[0])
		}
	}
	if !slices.Equal(got, cats) {
		t.Errorf("categories %q, want sorted %q", got, cats)
	}
	if !strings.Contains(r.stdout, "\n  user_login\n") {
		t.Error("user_login is not listed")
	}
	r = runCLI(t, env, "schemas")
	if !strings.Contains(r.stdout, "channel (") || !strings.Contains(r.stdout, "  id ") {
		t.Errorf("schemas output: %.200q", r.stdout)
	}
}

// TestDemo runs the demo on a fixed clock (so not in parallel: it sets the
// command's clock).
func TestDemo(t *testing.T) {
	fixed := time.Date(2027, 3, 14, 12, 0, 0, 0, time.UTC)
	defer setClock(func() time.Time { return fixed })()
	env := map[string]string{} // no token, no base URL
	r := runCLI(t, env, "logs", "--demo")
	if r.code != 0 || strings.Count(r.stdout, "\n") != demoEntries {
		t.Fatalf("logs --demo: exit %d, %d lines, stderr %q", r.code, strings.Count(r.stdout, "\n"), r.stderr)
	}
	// The demo corpus, moved to end demoLag before now.
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	for i, raw := range auditlogstest.Synthetic(demoEntries, demoSeed) {
		got, want := parse(t, json.RawMessage(lines[i])), parse(t, raw)
		if got.ID != want.ID || got.Action != want.Action {
			t.Fatalf("line %d is %s %s, want %s %s", i, got.ID, got.Action, want.ID, want.Action)
		}
	}
	if newest := parse(t, json.RawMessage(lines[0])).DateCreate; newest != fixed.Add(-demoLag).Unix() {
		t.Errorf("the newest demo event is at %d, want %d", newest, fixed.Add(-demoLag).Unix())
	}
	r = runCLI(t, env, "logs", "--demo", "--oldest", "24h")
	if n := strings.Count(r.stdout, "\n"); r.code != 0 || n < 20 || n >= demoEntries {
		t.Fatalf("logs --demo --oldest 24h: exit %d, %d lines", r.code, n)
	}
	r = runCLI(t, env, "logs", "--demo", "--format", "table", "--max", "5")
	if r.code != 0 || strings.Count(r.stdout, "\n") != 6 {
		t.Fatalf("logs --demo --format table: exit %d, %q", r.code, r.stdout)
	}
	for _, cmd := range []string{"schemas", "actions"} {
		if r := runCLI(t, env, cmd, "--demo"); r.code != 0 || r.stdout == "" {
			t.Fatalf("%s --demo: exit %d, %q", cmd, r.code, r.stderr)
		}
	}
	r = runCLI(t, env, "tail", "--demo", "--once", "--start", "31d", "--max-window", "720h")
	if r.code != 0 || strings.Count(r.stdout, "\n") != demoEntries {
		t.Fatalf("tail --demo --once: exit %d, %d lines, stderr %q", r.code, strings.Count(r.stdout, "\n"), r.stderr)
	}
	r = runCLI(t, map[string]string{"SLACK_AUDIT_BASE_URL": "http://127.0.0.1:1/"}, "logs", "--demo", "--base-url", "http://x/")
	if r.code != exitUsage {
		t.Errorf("--demo with --base-url: exit %d", r.code)
	}
}

// setClock sets the command's clock and returns what puts it back.
func setClock(now func() time.Time) func() {
	old := clock
	clock = now
	return func() { clock = old }
}

func TestParseTime(t *testing.T) {
	now := time.Date(2025, 6, 15, 12, 30, 45, 500, time.UTC)
	good := []struct {
		in   string
		want time.Time
	}{
		{"2025-01-31T08:00:00Z", time.Date(2025, 1, 31, 8, 0, 0, 0, time.UTC)},
		{"2025-01-31T09:00:00+01:00", time.Date(2025, 1, 31, 8, 0, 0, 0, time.UTC)},
		{"2025-01-31", time.Date(2025, 1, 31, 0, 0, 0, 0, time.UTC)},
		{"1738310400", time.Unix(1738310400, 0)},
		{"0", time.Unix(0, 0)},
		{"24h", now.Add(-24 * time.Hour).Truncate(time.Second)},
		{"90m", now.Add(-90 * time.Minute).Truncate(time.Second)},
		{"1h30m", now.Add(-90 * time.Minute).Truncate(time.Second)},
		{"7d", now.AddDate(0, 0, -7).Truncate(time.Second)},
		{"2w", now.AddDate(0, 0, -14).Truncate(time.Second)},
		{"now", now.Truncate(time.Second)},
	}
	for _, c := range good {
		got, err := parseTime(c.in, now)
		if err != nil || !got.Equal(c.want) {
			t.Errorf("parseTime(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	for _, in := range []string{"", "yesterday", "-5h", "1738310400000", "2025-01-31T08:00", "7x", "d", "2025-13-01"} {
		if _, err := parseTime(in, now); err == nil {
			t.Errorf("parseTime(%q) did not fail", in)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	_, env := newServer(t, 10)
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"logs", "--oldest", "yesterday"}, 2, "invalid value \"yesterday\" for --oldest"},
		{[]string{"logs", "--latest", "1738310400000"}, 2, "milliseconds"},
		{[]string{"logs", "--oldest", "1d", "--latest", "2d"}, 2, "is after --latest"},
		{[]string{"logs", "--bogus"}, 2, "unknown flag --bogus"},
		{[]string{"logs", "--format", "xml"}, 2, `invalid value "xml" for --format: unknown format: use json, table or csv`},
		{[]string{"logs", "--limit", "10000"}, 2, `invalid value "10000" for --limit: give a whole number from 1 to 9999`},
		{[]string{"logs", "extra"}, 2, "unexpected argument \"extra\""},
		{[]string{"frobnicate"}, 2, "unknown command \"frobnicate\""},
		{[]string{"--demo"}, 2, "the command comes first"},
		{[]string{}, 2, "Usage:"},
		{[]string{"tail"}, 2, "--state FILE is required"},
		{[]string{"logs", "--token", secret}, 2, "there is no --token flag"},
		{[]string{"tail", "--state", "s", "--token=" + secret}, 2, "shows in ps and in shell history"},
		{[]string{"schemas", "-token", "x"}, 2, "there is no --token flag"},
		{[]string{"logs", "--token-file", secret}, 2, "not the token itself"},
		{[]string{secret}, 2, "looks like a Slack token"},
	}
	for _, c := range cases {
		r := runCLI(t, env, c.args...)
		if r.code != c.code || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%q: exit %d, stderr %q; want exit %d and %q", c.args, r.code, r.stderr, c.code, c.want)
		}
		if r.stdout != "" {
			t.Errorf("%q: stdout %q", c.args, r.stdout)
		}
		if len(c.args) > 0 && !strings.HasPrefix(r.stderr, "auditlogs: ") {
			t.Errorf("%q: message not prefixed: %q", c.args, r.stderr)
		}
	}
}

func TestHelp(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}} {
		r := runCLI(t, nil, args...)
		if r.code != 0 || !strings.Contains(r.stdout, "Exit codes:") || !strings.Contains(r.stdout, "tail") {
			t.Errorf("%q: exit %d, %q", args, r.code, r.stdout)
		}
	}
	for _, cmd := range []string{"logs", "tail", "verify", "schemas", "actions", "version"} {
		for _, args := range [][]string{{cmd, "--help"}, {"help", cmd}} {
			r := runCLI(t, nil, args...)
			if r.code != 0 || !strings.Contains(r.stdout, "Usage:\n  auditlogs "+cmd) || r.stderr != "" {
				t.Errorf("%q: exit %d, %q %q", args, r.code, r.stdout, r.stderr)
			}
			if cmd != "version" && (!strings.Contains(r.stdout, "Examples:") || !strings.Contains(r.stdout, "--demo")) {
				t.Errorf("%q: no examples or global flags", args)
			}
		}
	}
	r := runCLI(t, nil, "version")
	if r.code != 0 || !strings.Contains(r.stdout, auditlogs.Version) || !strings.Contains(r.stdout, "go1.") {
		t.Errorf("version: %q", r.stdout)
	}
}

func TestTokenErrors(t *testing.T) {
	t.Parallel()
	srv, env := newServer(t, 10)

	// No token at all.
	r := runCLI(t, map[string]string{"SLACK_AUDIT_BASE_URL": srv.URL}, "logs")
	if r.code != 2 || !strings.Contains(r.stderr, "SLACK_AUDIT_TOKEN") || !strings.Contains(r.stderr, "--token-file") ||
		!strings.Contains(r.stderr, "--demo") {
		t.Errorf("no token: exit %d, %q", r.code, r.stderr)
	}

	// A token the server refuses; the token is in the environment, and must
	// not show even with --debug.
	other := auditlogstest.NewServer(auditlogstest.WithSynthetic(5, 1), auditlogstest.WithToken("xoxp-the-right-one"))
	defer other.Close()
	for _, debug := range []bool{false, true} {
		args := []string{"logs", "--base-url", other.URL}
		if debug {
			args = append(args, "--debug")
		}
		r = runCLI(t, env, args...)
		if r.code != 1 || !strings.Contains(r.stderr, "auditlogs: Slack refused the token (401 invalid_auth)") ||
			!strings.Contains(r.stderr, "xoxp-") || !strings.Contains(r.stderr, "auditlogs:read") ||
			!strings.Contains(r.stderr, "Enterprise Grid organization") {
			t.Errorf("refused token (debug %v): exit %d, %q", debug, r.code, r.stderr)
		}
		if debug && !strings.Contains(r.stderr, "level=DEBUG") {
			t.Errorf("--debug logged nothing: %q", r.stderr)
		}
		if !debug && strings.Count(r.stderr, "\n") > 2 {
			t.Errorf("message longer than two lines: %q", r.stderr)
		}
	}

	// 401 with an empty body.
	other.SetFaults(auditlogstest.Faults{EmptyBody401: true})
	r = runCLI(t, env, "logs", "--base-url", other.URL)
	if r.code != 1 || !strings.Contains(r.stderr, "refused the token (401 unauthorized)") {
		t.Errorf("empty 401: exit %d, %q", r.code, r.stderr)
	}

	// The token from a file, trimmed, and from stdin.
	file := filepath.Join(t.TempDir(), "token")
	os.WriteFile(file, []byte("  "+secret+"\n"), 0o600)
	r = runCLI(t, map[string]string{"SLACK_AUDIT_BASE_URL": srv.URL}, "logs", "--token-file", file, "--max", "1")
	if r.code != 0 || strings.Count(r.stdout, "\n") != 1 {
		t.Errorf("--token-file: exit %d, %q", r.code, r.stderr)
	}
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"logs", "--token-file", "-", "--max", "2", "--base-url", srv.URL},
		strings.NewReader(secret+"\n"), &out, &errb, func(string) string { return "" })
	if code != 0 || strings.Count(out.String(), "\n") != 2 {
		t.Errorf("--token-file -: exit %d, %q", code, errb.String())
	}
	r = runCLI(t, nil, "logs", "--token-file", filepath.Join(t.TempDir(), "missing"))
	if r.code != 2 || !strings.Contains(r.stderr, "cannot read --token-file") {
		t.Errorf("missing token file: exit %d, %q", r.code, r.stderr)
	}
}

func TestForbiddenAndRateLimited(t *testing.T) {
	t.Parallel()
	forbidden := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, `{"ok":false,"error":"missing_scope","needed":"auditlogs:read","provided":"admin,users:read"}`)
	}))
	defer forbidden.Close()
	env := map[string]string{"SLACK_AUDIT_TOKEN": secret, "SLACK_AUDIT_BASE_URL": forbidden.URL}
	r := runCLI(t, env, "logs", "--debug")
	if r.code != 1 || !strings.Contains(r.stderr, "auditlogs: the token lacks the auditlogs:read scope (it has admin,users:read) (403 missing_scope)") ||
		!strings.Contains(r.stderr, "Enterprise Grid") {
		t.Errorf("forbidden: exit %d, %q", r.code, r.stderr)
	}

	_, env = newServer(t, 10, auditlogstest.WithFaults(auditlogstest.Faults{RateLimited: 1, RetryAfter: -1}))
	r = runCLI(t, env, "logs", "--retries", "2")
	if r.code != 1 || !strings.Contains(r.stderr, "auditlogs: Slack kept answering 429 rate limited, 3 attempts did not help") {
		t.Errorf("rate limited: exit %d, %q", r.code, r.stderr)
	}

	_, env = newServer(t, 10, auditlogstest.WithFaults(auditlogstest.Faults{ServerError: 1}))
	r = runCLI(t, env, "logs", "--retries", "1")
	if r.code != 1 || !strings.HasPrefix(r.stderr, "auditlogs: Slack failed (") || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("server error: exit %d, %q", r.code, r.stderr)
	}

	r = runCLI(t, map[string]string{"SLACK_AUDIT_TOKEN": secret}, "logs", "--base-url", "http://127.0.0.1:1/audit/v1/", "--retries", "0")
	if r.code != 1 || !strings.HasPrefix(r.stderr, "auditlogs: cannot reach the API at 127.0.0.1:1") {
		t.Errorf("unreachable: exit %d, %q", r.code, r.stderr)
	}
}

func TestCell(t *testing.T) {
	for in, want := range map[string]string{
		"plain":             "plain",
		"tab\there":         `tab\there`,
		"esc\x1b[31mred":    `esc\x1b[31mred`,
		"bidi\u202egnp.exe": `bidi\u202egnp.exe`,
		"bad\xffutf8":       "bad\uFFFDutf8",
		"Søren Zoë 👩‍💻":     "Søren Zoë 👩‍💻",
	} {
		if got := cell(in); got != want {
			t.Errorf("cell(%q) = %q, want %q", in, got, want)
		}
	}
}
