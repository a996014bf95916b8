package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slackaudit/auditlogs/auditlogstest"
)

func TestTailLogFormat(t *testing.T) {
	t.Parallel()
	srv, env := newServer(t, 120, auditlogstest.WithFaults(auditlogstest.Faults{ServerError: 1, FirstN: 1}))
	all := srv.Entries()
	c := collection{start: parse(t, all[len(all)-1]).DateCreate, end: parse(t, all[0]).DateCreate}
	for _, tc := range []struct {
		format string
		check  func(t *testing.T, stderr string) map[string]int
	}{
		{"json", func(t *testing.T, stderr string) map[string]int {
			msgs := map[string]int{}
			for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
				var rec map[string]any
				if err := json.Unmarshal([]byte(line), &rec); err != nil {
					t.Fatalf("not a JSON record: %q", line)
				}
				msgs[rec["msg"].(string)]++
				if rec["msg"] == "page" {
					if _, ok := rec["entries"].(float64); !ok {
						t.Errorf("a page record without its entry count: %q", line)
					}
				}
			}
			return msgs
		}},
		{"text", func(t *testing.T, stderr string) map[string]int {
			msgs := map[string]int{}
			for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
				if !strings.HasPrefix(line, "time=") || !strings.Contains(line, " level=") {
					t.Fatalf("not a slog text record: %q", line)
				}
				for _, m := range []string{`msg="window start"`, "msg=page", `msg="window done"`, `msg="auditlogs: retrying request"`} {
					if strings.Contains(line, m+" ") {
						msgs[strings.Trim(strings.TrimPrefix(m, "msg="), `"`)]++
					}
				}
			}
			return msgs
		}},
	} {
		t.Run(tc.format, func(t *testing.T) {
			srv.SetFaults(auditlogstest.Faults{ServerError: 1, FirstN: 1}) // one 5xx, retried
			state := filepath.Join(t.TempDir(), "state.json")
			out := filepath.Join(t.TempDir(), "out.jsonl")
			r := runCLI(t, env, append([]string{"tail", "--state", state, "--out", out, "--once", "--max-window", "2000h",
				"--limit", "50", "--log-format", tc.format}, c.args()...)...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			msgs := tc.check(t, r.stderr)
			// tail may close the collection with a last window of a second
			// (its end is inclusive), so count windows as pairs.
			if msgs["window start"] < 1 || msgs["window start"] != msgs["window done"] ||
				msgs["page"] < 3 || msgs["page"] > 3+msgs["window start"]-1 || msgs["auditlogs: retrying request"] != 1 {
				t.Errorf("records: %v\n%s", msgs, r.stderr)
			}
		})
	}
	r := runCLI(t, env, "tail", "--state", "x", "--log-format", "xml")
	if r.code != 2 || !strings.Contains(r.stderr, `invalid value "xml" for --log-format: unknown format: use text or json`) {
		t.Errorf("bad --log-format: exit %d, %q", r.code, r.stderr)
	}
}
