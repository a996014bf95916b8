package main

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestExcludeAction(t *testing.T) {
	t.Parallel()
	srv, env := newServer(t, 300)
	all := srv.Entries()
	a1, a2 := parse(t, all[0]).Action, ""
	for i := 1; a2 == "" || a2 == a1; i++ {
		a2 = parse(t, all[i]).Action
	}
	keep := func(f fields) bool { return f.Action != a1 && f.Action != a2 }

	r := runCLI(t, env, "logs", "--limit", "40", "--exclude-action", a1+", "+a2+","+a1)
	if r.code != 0 {
		t.Fatalf("logs: exit %d: %s", r.code, r.stderr)
	}
	if want := joinLines(filter(t, all, keep)); r.stdout != want {
		t.Fatalf("logs --exclude-action: %d bytes, want %d", len(r.stdout), len(want))
	}

	c := collection{start: parse(t, all[len(all)-1]).DateCreate, end: parse(t, all[0]).DateCreate}
	state := filepath.Join(t.TempDir(), "state.json")
	args := append([]string{"tail", "--state", state, "--once", "--max-window", "2000h", "--limit", "25"}, c.args()...)
	r = runCLI(t, env, append(args, "--exclude-action", a2+","+a1)...)
	if r.code != 0 {
		t.Fatalf("tail: exit %d: %s", r.code, r.stderr)
	}
	checkExactlyOnce(t, []byte(r.stdout), filter(t, c.want(t, all), keep))
	if st := readState(t, state); st.Filters.Exclude != strings.Join(sorted(a1, a2), ",") {
		t.Errorf("the state remembers --exclude-action as %q", st.Filters.Exclude)
	}
	// The same names in another order are the same filter; others are not.
	if r := runCLI(t, env, append(args, "--exclude-action", a1+","+a2)...); r.code != 0 {
		t.Errorf("same names, other order: exit %d: %s", r.code, r.stderr)
	}
	r = runCLI(t, env, append(args, "--exclude-action", a1)...)
	if r.code != exitUsage || !strings.Contains(r.stderr, "other filters") || !strings.Contains(r.stderr, "--exclude-action") {
		t.Errorf("other exclusions: exit %d, %q", r.code, r.stderr)
	}

	r = runCLI(t, env, "logs", "--exclude-action", "user_login,,file_downloaded")
	if r.code != exitUsage || !strings.Contains(r.stderr, `invalid value "user_login,,file_downloaded" for --exclude-action: an empty name`) {
		t.Errorf("an empty name: exit %d, %q", r.code, r.stderr)
	}
}

func sorted(a, b string) []string {
	if b < a {
		return []string{b, a}
	}
	return []string{a, b}
}
