package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slackaudit/auditlogs/auditlogstest"
	"github.com/slackaudit/auditlogs/internal/jsonsplit"
)

// verifyOut is verify's --format json output, as a script reads it: written
// out apart from verifyReport on purpose, so that a renamed member fails.
type verifyOut struct {
	Oldest          string   `json:"oldest"`
	Latest          string   `json:"latest"`
	Complete        bool     `json:"complete"`
	APIEvents       int      `json:"api_events"`
	FileEvents      int      `json:"file_events"`
	Outside         int      `json:"outside"`
	MissingCount    int      `json:"missing_count"`
	DuplicatedCount int      `json:"duplicated_count"`
	ExtraCount      int      `json:"extra_count"`
	UnparsableCount int      `json:"unparsable_count"`
	Missing         []string `json:"missing"`
	Duplicated      []string `json:"duplicated"`
	Extra           []string `json:"extra"`
	Unparsable      []struct {
		File  string `json:"file"`
		Count int    `json:"count"`
		Lines []int  `json:"lines"`
	} `json:"unparsable"`
}

// verifyFixture is a fake Slack and a range of its events to verify.
type verifyFixture struct {
	env            map[string]string
	all            []json.RawMessage // every entry of the server, newest first
	in             []json.RawMessage // the entries of the range, newest first
	oldest, latest string            // the range, as Unix seconds
	dir            string
}

func newVerifyFixture(t *testing.T, opts ...auditlogstest.Option) *verifyFixture {
	t.Helper()
	srv, env := newServer(t, 600, opts...)
	fx := &verifyFixture{env: env, all: srv.Entries(), dir: t.TempDir()}
	// The range runs from the 450th entry to the 100th: the files hold
	// events on both sides of it, which verify must leave out.
	latest, oldest := parse(t, fx.all[100]).DateCreate, parse(t, fx.all[450]).DateCreate
	fx.oldest, fx.latest = itoa(oldest), itoa(latest)
	fx.in = filter(t, fx.all, func(f fields) bool { return f.DateCreate >= oldest && f.DateCreate <= latest })
	if len(fx.in) < 300 || len(fx.in) == len(fx.all) {
		t.Fatalf("%d of %d entries in the range", len(fx.in), len(fx.all))
	}
	return fx
}

// file writes lines (entries, or any text) to a file of the fixture, gzipped
// if gz (under a name that does not say so: verify looks at the bytes).
func (fx *verifyFixture) file(t *testing.T, name string, gz bool, lines ...[]byte) string {
	t.Helper()
	var b bytes.Buffer
	for _, l := range lines {
		b.Write(l)
		b.WriteByte('\n')
	}
	data := b.Bytes()
	if gz {
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		zw.Write(data)
		zw.Close()
		data = z.Bytes()
	}
	path := filepath.Join(fx.dir, name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func raws(entries []json.RawMessage) [][]byte {
	out := make([][]byte, len(entries))
	for i, e := range entries {
		out[i] = e
	}
	return out
}

func ids(t *testing.T, entries ...json.RawMessage) []string {
	out := []string{}
	for _, e := range entries {
		out = append(out, parse(t, e).ID)
	}
	return out
}

func TestVerify(t *testing.T) {
	t.Parallel()
	fx := newVerifyFixture(t)
	in, all := fx.in, fx.all
	without := func(drop ...int) []json.RawMessage {
		var out []json.RawMessage
		for i, e := range in {
			if !slices.Contains(drop, i) {
				out = append(out, e)
			}
		}
		return out
	}
	reencoded := bytes.Replace(in[7], []byte(`"id":"`+parse(t, in[7]).ID[:1]), []byte(`"id":"\u00`+hex2(parse(t, in[7]).ID[0])), 1)
	inUserLogin := filter(t, in, func(f fields) bool { return f.Action == "user_login" })
	notUserLogin := filter(t, in, func(f fields) bool { return f.Action != "user_login" })
	anActor := parse(t, in[3]).Actor.User.ID
	byActor := filter(t, in, func(f fields) bool { return f.Actor.User.ID == anActor })

	for _, tc := range []struct {
		name  string
		files func(t *testing.T) []string
		flags []string
		code  int
		want  verifyOut // the counts and arrays compared; the rest checked below
	}{
		{"clean, one file with events outside the range", func(t *testing.T) []string {
			return []string{fx.file(t, "all.jsonl", false, raws(all)...)}
		}, nil, 0, verifyOut{Complete: true, APIEvents: len(in), FileEvents: len(in), Outside: len(all) - len(in)}},
		{"clean, gzip and plain files in any order", func(t *testing.T) []string {
			return []string{
				fx.file(t, "audit.jsonl", false, raws(in[:100])...),
				fx.file(t, "audit.jsonl.2", true, raws(in[250:])...), // gzip, named without .gz
				fx.file(t, "audit.jsonl.1.gz", true, raws(in[100:250])...),
			}
		}, nil, 0, verifyOut{Complete: true, APIEvents: len(in), FileEvents: len(in)}},
		{"clean, a gzip file of two members (cat a.gz b.gz)", func(t *testing.T) []string {
			a := fx.file(t, "a.gz", true, raws(in[:200])...)
			b := fx.file(t, "b.gz", true, raws(in[200:])...)
			ab := filepath.Join(fx.dir, "ab")
			if err := os.WriteFile(ab, append(readFile(t, a), readFile(t, b)...), 0o600); err != nil {
				t.Fatal(err)
			}
			return []string{ab}
		}, nil, 0, verifyOut{Complete: true, APIEvents: len(in), FileEvents: len(in)}},
		{"missing", func(t *testing.T) []string {
			return []string{fx.file(t, "a.jsonl", false, raws(without(0, 42, len(in)-1))...)}
		}, nil, 3, verifyOut{APIEvents: len(in), FileEvents: len(in) - 3, MissingCount: 3,
			Missing: ids(t, in[0], in[42], in[len(in)-1])}},
		{"duplicated in one file and across files", func(t *testing.T) []string {
			return []string{
				fx.file(t, "a.jsonl", false, raws(append(slices.Clone(in), in[5]))...),
				fx.file(t, "b.jsonl", true, in[9], in[5]),
			}
		}, nil, 3, verifyOut{APIEvents: len(in), FileEvents: len(in) + 3, DuplicatedCount: 2,
			Duplicated: sorted(parse(t, in[5]).ID, parse(t, in[9]).ID)}},
		{"unparsable lines", func(t *testing.T) []string {
			lines := raws(in)
			lines = slices.Insert(lines, 4, []byte(`{"id":"x"`), []byte(`not json`), []byte(``), []byte(`{"id":7,"date_create":1}`))
			lines = append(lines, []byte(`{"id":"torn","date_cre`))
			return []string{fx.file(t, "a.jsonl", false, lines...)}
		}, nil, 3, verifyOut{APIEvents: len(in), FileEvents: len(in), UnparsableCount: 4}},
		{"extra", func(t *testing.T) []string {
			fake := []byte(`{"id":"not-from-slack","date_create":` + fx.latest + `,"action":"user_login"}`)
			return []string{fx.file(t, "a.jsonl", false, append(raws(in), fake)...)}
		}, nil, 3, verifyOut{APIEvents: len(in), FileEvents: len(in) + 1, ExtraCount: 1, Extra: []string{"not-from-slack"}}},
		{"ids compared as sent: a re-encoded id is another id", func(t *testing.T) []string {
			lines := raws(in)
			lines[7] = reencoded
			return []string{fx.file(t, "a.jsonl", false, lines...)}
		}, nil, 3, verifyOut{APIEvents: len(in), FileEvents: len(in), MissingCount: 1, ExtraCount: 1,
			Missing: ids(t, in[7]), Extra: ids(t, in[7])}},
		{"--action: the other events are outside", func(t *testing.T) []string {
			return []string{fx.file(t, "a.jsonl", false, raws(in)...)}
		}, []string{"--action", "user_login"}, 0, verifyOut{Complete: true, APIEvents: len(inUserLogin), FileEvents: len(inUserLogin), Outside: len(notUserLogin)}},
		{"--action, one missing", func(t *testing.T) []string {
			return []string{fx.file(t, "a.jsonl", false, raws(inUserLogin[1:])...)}
		}, []string{"--action", "user_login"}, 3, verifyOut{APIEvents: len(inUserLogin), FileEvents: len(inUserLogin) - 1, MissingCount: 1, Missing: ids(t, inUserLogin[0])}},
		{"--exclude-action: the events left out are outside", func(t *testing.T) []string {
			return []string{fx.file(t, "a.jsonl", false, raws(in)...)}
		}, []string{"--exclude-action", "user_login"}, 0, verifyOut{Complete: true, APIEvents: len(notUserLogin), FileEvents: len(notUserLogin), Outside: len(inUserLogin)}},
		{"--actor", func(t *testing.T) []string {
			return []string{fx.file(t, "a.jsonl", false, raws(all)...)}
		}, []string{"--actor", anActor}, 0, verifyOut{Complete: true, APIEvents: len(byActor), FileEvents: len(byActor), Outside: len(all) - len(byActor)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"verify", "--oldest", fx.oldest, "--latest", fx.latest, "--format", "json", "--rate", "0", "--limit", "97"}
			for _, f := range tc.files(t) {
				args = append(args, "--from", f)
			}
			r := runCLI(t, fx.env, append(args, tc.flags...)...)
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d: %s %s", r.code, tc.code, r.stdout, r.stderr)
			}
			var got verifyOut
			if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
				t.Fatalf("%v: %q", err, r.stdout)
			}
			if got.Missing == nil || got.Duplicated == nil || got.Extra == nil || got.Unparsable == nil {
				t.Errorf("arrays must be [] when empty: %s", r.stdout)
			}
			if got.MissingCount != len(got.Missing) || got.DuplicatedCount != len(got.Duplicated) || got.ExtraCount != len(got.Extra) {
				t.Errorf("counts differ from the arrays: %s", r.stdout)
			}
			if got.Oldest == "" || got.Latest == "" {
				t.Errorf("no range: %s", r.stdout)
			}
			w := tc.want
			if got.Complete != w.Complete || got.APIEvents != w.APIEvents || got.FileEvents != w.FileEvents ||
				(w.Outside != 0 && got.Outside != w.Outside) || got.MissingCount != w.MissingCount ||
				got.DuplicatedCount != w.DuplicatedCount || got.ExtraCount != w.ExtraCount || got.UnparsableCount != w.UnparsableCount {
				t.Errorf("got  %+v\nwant %+v", got, w)
			}
			for _, c := range []struct {
				name      string
				got, want []string
			}{{"missing", got.Missing, w.Missing}, {"duplicated", got.Duplicated, w.Duplicated}, {"extra", got.Extra, w.Extra}} {
				if c.want != nil && !slices.Equal(c.got, c.want) {
					t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
				}
			}
			if w.UnparsableCount > 0 {
				if len(got.Unparsable) != 1 || !slices.Equal(got.Unparsable[0].Lines, []int{5, 6, 8, len(in) + 5}) {
					t.Errorf("unparsable = %+v, want lines 5, 6, 8 and %d", got.Unparsable, len(in)+5)
				}
			}
		})
	}
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func hex2(c byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[c>>4], digits[c&15]})
}

// TestVerifyText: the report for a person says whether the files are
// complete and lists what is wrong, by id and line.
func TestVerifyText(t *testing.T) {
	t.Parallel()
	fx := newVerifyFixture(t)
	clean := fx.file(t, "clean.jsonl", false, raws(fx.in)...)
	r := runCLI(t, fx.env, "verify", "--from", clean, "--oldest", fx.oldest, "--latest", fx.latest, "--rate", "0")
	if r.code != 0 || !strings.Contains(r.stdout, ": complete") || !strings.Contains(r.stdout, "missing     0") || r.stderr != "" {
		t.Errorf("clean: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	lines := raws(fx.in[1:])
	lines = append(lines, fx.in[2], []byte("garbage"))
	bad := fx.file(t, "bad.jsonl", false, lines...)
	r = runCLI(t, fx.env, "verify", "--from", bad, "--oldest", fx.oldest, "--latest", fx.latest, "--rate", "0")
	for _, want := range []string{"NOT complete", "missing     1", "duplicated  1", "unparsable  1 line",
		"missing:\n  " + parse(t, fx.in[0]).ID, "duplicated:\n  " + parse(t, fx.in[2]).ID, "bad.jsonl: 1 line, line " + itoa(int64(len(fx.in)+1))} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("no %q in\n%s", want, r.stdout)
		}
	}
	if r.code != exitIncomplete {
		t.Errorf("exit %d, want 3", r.code)
	}
}

// TestVerifyWithFaults: 429s, 5xx and cut bodies are retried, and the
// result is the same.
func TestVerifyWithFaults(t *testing.T) {
	t.Parallel()
	fx := newVerifyFixture(t, auditlogstest.WithFaults(auditlogstest.Faults{
		Seed: 5, RateLimited: 0.15, RetryAfter: -1, ServerError: 0.15, ResetMidBody: 0.1,
	}))
	f := fx.file(t, "a.jsonl", true, raws(fx.in)...)
	r := runCLI(t, fx.env, "verify", "--from", f, "--oldest", fx.oldest, "--latest", fx.latest, "--rate", "0", "--limit", "31", "--retries", "12")
	if r.code != 0 {
		t.Fatalf("exit %d: %s %s", r.code, r.stdout, r.stderr)
	}
}

func TestVerifyUsageAndErrors(t *testing.T) {
	t.Parallel()
	fx := newVerifyFixture(t)
	f := fx.file(t, "a.jsonl", false, raws(fx.in)...)
	rng := []string{"--oldest", fx.oldest, "--latest", fx.latest}
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		code int
		msg  string
	}{
		{"no --from", fx.env, rng, 2, "--from FILE is required"},
		{"no --oldest", fx.env, []string{"--from", f, "--latest", fx.latest}, 2, "--oldest and --latest are both required"},
		{"no --latest", fx.env, []string{"--from", f, "--oldest", fx.oldest}, 2, "--oldest and --latest are both required"},
		{"oldest after latest", fx.env, []string{"--from", f, "--oldest", fx.latest, "--latest", fx.oldest}, 2, "is after --latest"},
		{"bad format", fx.env, append([]string{"--from", f, "--format", "csv"}, rng...), 2, `invalid value "csv" for --format`},
		{"bad time", fx.env, []string{"--from", f, "--oldest", "yesterday", "--latest", "now"}, 2, "--oldest"},
		{"empty --from", fx.env, append([]string{"--from", ""}, rng...), 2, "an empty file: give FILE[,FILE...]"},
		{"stdin twice", fx.env, append([]string{"--from", "-", "--from", "-"}, rng...), 2, "only once"},
		{"bad --limit", fx.env, append([]string{"--from", f, "--limit", "10000"}, rng...), 2, "--limit"},
		{"argument", fx.env, append([]string{"--from", f, "extra"}, rng...), 2, "unexpected argument"},
		{"no token", map[string]string{"SLACK_AUDIT_BASE_URL": fx.env["SLACK_AUDIT_BASE_URL"]}, append([]string{"--from", f}, rng...), 2, "no token"},
		{"no such file", fx.env, append([]string{"--from", filepath.Join(fx.dir, "nope.jsonl")}, rng...), 1, "cannot read --from"},
		{"corrupt gzip", fx.env, append([]string{"--from", fx.file(t, "bad.gz", false, []byte("\x1f\x8b\x08\x00garbage"))}, rng...), 1, "cannot read --from"},
		{"refused token", map[string]string{"SLACK_AUDIT_TOKEN": "xoxp-wrong", "SLACK_AUDIT_BASE_URL": fx.env["SLACK_AUDIT_BASE_URL"]}, append([]string{"--from", f}, rng...), 1, "refused the token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, tc.env, append([]string{"verify", "--rate", "0", "--retries", "0"}, tc.args...)...)
			if r.code != tc.code || !strings.Contains(r.stderr, tc.msg) || r.stdout != "" {
				t.Errorf("exit %d, want %d; stderr %q, want %q; stdout %q", r.code, tc.code, r.stderr, tc.msg, r.stdout)
			}
		})
	}
}

// TestVerifyStdin: --from - reads stdin, with the other files.
func TestVerifyStdin(t *testing.T) {
	t.Parallel()
	fx := newVerifyFixture(t)
	f := fx.file(t, "a.jsonl", false, raws(fx.in[10:])...)
	var out, errb bytes.Buffer
	code := run(t.Context(), []string{"verify", "--from", f, "--from", "-", "--oldest", fx.oldest, "--latest", fx.latest, "--rate", "0"},
		strings.NewReader(joinLines(fx.in[:10])), &out, &errb, func(k string) string { return fx.env[k] })
	if code != 0 {
		t.Errorf("exit %d: %s %s", code, out.String(), errb.String())
	}
}

// TestVerifyTailOutput: what tail collected proves complete, and a line
// lost from it is found.
func TestVerifyTailOutput(t *testing.T) {
	t.Parallel()
	fx := newVerifyFixture(t)
	state, out := filepath.Join(fx.dir, "state.json"), filepath.Join(fx.dir, "audit.jsonl")
	newest := parse(t, fx.all[0]).DateCreate
	settle := time.Since(time.Unix(newest, 0)).Truncate(time.Second)
	r := runCLI(t, fx.env, "tail", "--state", state, "--out", out, "--once", "--max-window", "72h", "--limit", "50",
		"--start", itoa(parse(t, fx.all[len(fx.all)-1]).DateCreate), "--settle", settle.String(), "--rate", "0")
	if r.code != 0 {
		t.Fatalf("tail: exit %d: %s", r.code, r.stderr)
	}
	verify := func(file string) result {
		return runCLI(t, fx.env, "verify", "--from", file, "--oldest", fx.oldest, "--latest", fx.latest, "--rate", "0", "--format", "json")
	}
	if r := verify(out); r.code != 0 {
		t.Fatalf("verify of tail's output: exit %d: %s %s", r.code, r.stdout, r.stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	lost := parse(t, fx.in[len(fx.in)/2])
	var kept []byte
	for line := range bytes.Lines(data) {
		if parse(t, bytes.TrimSpace(line)).ID != lost.ID {
			kept = append(kept, line...)
		}
	}
	cut := fx.file(t, "cut.jsonl", false, bytes.TrimSuffix(kept, []byte("\n")))
	r = verify(cut)
	var got verifyOut
	if err := json.Unmarshal([]byte(r.stdout), &got); r.code != 3 || err != nil || !slices.Equal(got.Missing, []string{lost.ID}) {
		t.Errorf("verify after losing %s: exit %d, %s %s", lost.ID, r.code, r.stdout, r.stderr)
	}
}

// TestVerifyBadEventFromSlack: an event of /logs without an id cannot be
// looked for in the files: exit 1, and the message says which one.
func TestVerifyBadEventFromSlack(t *testing.T) {
	t.Parallel()
	srv := auditlogstest.NewServer(auditlogstest.WithToken(secret), auditlogstest.WithEntries([]json.RawMessage{
		json.RawMessage(`{"id":"a","date_create":100,"action":"user_login"}`),
		json.RawMessage(`{"date_create":90,"action":"user_login"}`),
	}))
	defer srv.Close()
	env := map[string]string{"SLACK_AUDIT_TOKEN": secret, "SLACK_AUDIT_BASE_URL": srv.URL}
	f := filepath.Join(t.TempDir(), "a.jsonl")
	if err := os.WriteFile(f, []byte(`{"id":"a","date_create":100,"action":"user_login"}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, env, "verify", "--from", f, "--oldest", "1", "--latest", "200", "--rate", "0")
	if r.code != 1 || !strings.Contains(r.stderr, "event 2 from /logs: no string id") || r.stdout != "" {
		t.Errorf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

// BenchmarkVerifyRead measures reading a collection's file: the events a
// second and the bytes an event verify keeps.
func BenchmarkVerifyRead(b *testing.B) {
	entries := auditlogstest.Synthetic(20000, 1)
	data := []byte(joinLines(entries))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		v := newVerifier(0, 1<<40, &filterFlags{})
		if err := v.readLines(bufio.NewReader(bytes.NewReader(data)), "bench"); err != nil || v.fileEvents != len(entries) {
			b.Fatal(err, v.fileEvents)
		}
	}
	b.ReportMetric(float64(b.N*len(entries))/b.Elapsed().Seconds(), "events/s")
}

// FuzzParseEvent: a line of a --from file is untrusted. parseEvent never
// panics, and what it accepts encoding/json reads the same way.
func FuzzParseEvent(f *testing.F) {
	for _, e := range auditlogstest.Synthetic(20, 1) {
		f.Add([]byte(e))
	}
	for _, s := range []string{`{"id":"a","date_create":1}`, `{"id":"\u0061","date_create":-1,"action":"x"}`, `{"id":"a","date_create":1.5}`,
		`{"id":"a","id":7,"date_create":1}`, `{"id":"a","date_create":1} x`, `[]`, `{"id":"","date_create":1}`, `{"id":"a","date_create":1,"action":"\u00e9"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		ev, ok := parseEvent(line)
		if !ok {
			return
		}
		var m struct {
			ID         string `json:"id"`
			DateCreate int64  `json:"date_create"`
		}
		if !json.Valid(line) || json.Unmarshal(line, &m) != nil {
			t.Fatalf("accepted %q, which encoding/json does not read", line)
		}
		if m.ID == "" || m.ID != idText(string(ev.id)) || m.DateCreate != ev.date {
			t.Fatalf("%q: id %q date %d, encoding/json reads %q %d", line, ev.id, ev.date, m.ID, m.DateCreate)
		}
		var action string
		if s, e, found := jsonsplit.Lookup(line, "action"); found && line[s] == '"' && json.Unmarshal(line[s:e], &action) == nil && action != ev.action {
			t.Fatalf("%q: action %q, want %q", line, ev.action, action)
		}
	})
}
