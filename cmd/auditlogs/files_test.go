//go:build unix

package main

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/slackaudit/auditlogs/auditlogstest"
)

// TestTailFilesProcess covers what operators do to tail's files, on the
// real binary: each case failed before internal/filesink.
func TestTailFilesProcess(t *testing.T) {
	t.Parallel()
	bin := buildCLI(t)
	srv, _ := newServer(t, 400, auditlogstest.WithLatency(3*time.Millisecond))
	all := srv.Entries()
	c := collection{start: parse(t, all[len(all)-1]).DateCreate, end: parse(t, all[0]).DateCreate}
	want := c.want(t, all)
	base := func(state, out string) []string {
		return append([]string{"--state", state, "--out", out, "--max-window", "2000h", "--limit", "5", "--interval", "1h"}, c.args()...)
	}

	t.Run("deleted out", func(t *testing.T) {
		// Row 4: rm of --out while tail runs. The events written after it
		// go to a new file at the path, not into the deleted inode.
		t.Parallel()
		dir := t.TempDir()
		state, out := filepath.Join(dir, "state.json"), filepath.Join(dir, "out.jsonl")
		p := startProc(t, tailCmd(bin, srv, base(state, out)...))
		waitForBytes(t, out, 1)
		held, err := os.Open(out) // to read what the deleted file held
		if err != nil {
			t.Fatal(err)
		}
		defer held.Close()
		if err := os.Remove(out); err != nil {
			t.Fatal(err)
		}
		atRemoval, _ := held.Stat()
		waitForBytes(t, out, 1)
		p.cmd.Process.Signal(syscall.SIGTERM)
		if code := p.wait(t, 10*time.Second); code != 0 {
			t.Fatalf("exit %d: %s", code, p.stderr)
		}
		if r, err := tailCmd(bin, srv, append(base(state, out), "--once")...).CombinedOutput(); err != nil {
			t.Fatalf("final run: %v: %s", err, r)
		}
		var gone bytes.Buffer
		gone.ReadFrom(held)
		if int64(gone.Len()) != atRemoval.Size() {
			t.Errorf("%d bytes went into the deleted file after it was deleted", int64(gone.Len())-atRemoval.Size())
		}
		now, _ := os.ReadFile(out)
		checkExactlyOnce(t, append(gone.Bytes(), now...), want)
		if !strings.Contains(p.stderr.String(), "--out was deleted") {
			t.Errorf("tail did not say the output was deleted: %s", p.stderr)
		}
		if st := readState(t, state); st.Reopened != 1 {
			t.Errorf("the state counts %d reopened outputs, want 1", st.Reopened)
		}
	})

	t.Run("state names another file", func(t *testing.T) {
		// Row 5: the state's output path edited to name another file: that
		// file is not the one the state recorded, and is left alone.
		t.Parallel()
		dir := t.TempDir()
		state, out := filepath.Join(dir, "state.json"), filepath.Join(dir, "out.jsonl")
		if b, err := tailCmd(bin, srv, append(base(state, out), "--once")...).CombinedOutput(); err != nil {
			t.Fatalf("first run: %v: %s", err, b)
		}
		victim := filepath.Join(dir, "victim.txt")
		precious := []byte("32 bytes an operator cares for.\n")
		os.WriteFile(victim, precious, 0o600)
		editState(t, state, func(m map[string]any) {
			m["output"].(map[string]any)["path"] = victim
		})
		other := filepath.Join(dir, "other.jsonl")
		if b, err := tailCmd(bin, srv, append(base(state, other), "--once")...).CombinedOutput(); err != nil {
			t.Fatalf("second run: %v: %s", err, b)
		}
		if got, _ := os.ReadFile(victim); !bytes.Equal(got, precious) {
			t.Fatalf("the file the state was edited to name now holds %q", got)
		}
		// Resuming into it as --out appends after its last line.
		if b, err := tailCmd(bin, srv, append(base(state, victim), "--once")...).CombinedOutput(); err != nil {
			t.Fatalf("third run: %v: %s", err, b)
		}
		if got, _ := os.ReadFile(victim); !bytes.HasPrefix(got, precious) {
			t.Fatalf("the file was cut: %q", got[:min(len(got), 40)])
		}
	})

	t.Run("out is a symlink", func(t *testing.T) {
		// Row 6: --out through a symbolic link is refused, naming the
		// target; the target (without a final newline) is untouched.
		t.Parallel()
		dir := t.TempDir()
		state, target, link := filepath.Join(dir, "state.json"), filepath.Join(dir, "target.jsonl"), filepath.Join(dir, "link.jsonl")
		os.WriteFile(target, []byte("{\"id\":\"x\"}\nno final newline"), 0o600)
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
		b, err := tailCmd(bin, srv, append(base(state, link), "--once")...).CombinedOutput()
		if code := exitCode(t, err); code != exitUsage || !strings.Contains(string(b), "is a symbolic link (to "+target+")") {
			t.Fatalf("exit %d: %s", code, b)
		}
		if got, _ := os.ReadFile(target); string(got) != "{\"id\":\"x\"}\nno final newline" {
			t.Fatalf("the target changed: %q", got)
		}
		// A plain file without a final newline gets one, and keeps its
		// last line.
		b, err = tailCmd(bin, srv, append(base(state, target), "--once")...).CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %s", err, b)
		}
		got, _ := os.ReadFile(target)
		prefix := "{\"id\":\"x\"}\nno final newline\n"
		if !bytes.HasPrefix(got, []byte(prefix)) {
			t.Fatalf("the file now starts %q", got[:min(len(got), 60)])
		}
		checkExactlyOnce(t, got[len(prefix):], want)
	})

	t.Run("state through a symlink", func(t *testing.T) {
		// Row 7: the same state through a symbolic link: the second tail is
		// refused, since the lock is on the file, not the name.
		t.Parallel()
		dir := t.TempDir()
		state, alias, out := filepath.Join(dir, "state.json"), filepath.Join(dir, "alias.json"), filepath.Join(dir, "out.jsonl")
		p := startProc(t, tailCmd(bin, srv, base(state, out)...))
		waitForBytes(t, out, 1)
		os.Symlink(state, alias)
		b, err := tailCmd(bin, srv, append(base(alias, out), "--once")...).CombinedOutput()
		if code := exitCode(t, err); code != exitError || !strings.Contains(string(b), "another auditlogs tail is using this state file") {
			t.Fatalf("second tail through a symlink: exit %d: %s", code, b)
		}
		p.cmd.Process.Signal(syscall.SIGTERM)
		if code := p.wait(t, 10*time.Second); code != 0 {
			t.Fatalf("exit %d: %s", code, p.stderr)
		}
		if b, err := tailCmd(bin, srv, append(base(alias, out), "--once")...).CombinedOutput(); err != nil {
			t.Fatalf("through the symlink, alone: %v: %s", err, b)
		}
		if fi, err := os.Lstat(alias); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Fatalf("the save replaced the symlink: %v", err)
		}
		got, _ := os.ReadFile(out)
		checkExactlyOnce(t, got, want)
	})

	t.Run("two states one out", func(t *testing.T) {
		// Row 8: two state files, one --out: the second is refused.
		t.Parallel()
		dir := t.TempDir()
		s1, s2, out := filepath.Join(dir, "s1.json"), filepath.Join(dir, "s2.json"), filepath.Join(dir, "out.jsonl")
		p := startProc(t, tailCmd(bin, srv, base(s1, out)...))
		waitForBytes(t, out, 1)
		b, err := tailCmd(bin, srv, append(base(s2, out), "--once")...).CombinedOutput()
		if code := exitCode(t, err); code != exitError || !strings.Contains(string(b), "another auditlogs tail writes to this output file") {
			t.Fatalf("second tail on the same --out: exit %d: %s", code, b)
		}
		p.cmd.Process.Signal(syscall.SIGTERM)
		p.wait(t, 10*time.Second)
		if b, err := tailCmd(bin, srv, append(base(s1, out), "--once")...).CombinedOutput(); err != nil {
			t.Fatalf("final run: %v: %s", err, b)
		}
		got, _ := os.ReadFile(out)
		checkExactlyOnce(t, got, want)
	})

	t.Run("full disk", func(t *testing.T) {
		// Row 13: the output cannot be written, or the state cannot be
		// saved: the message says so, never "cannot reach the API".
		t.Parallel()
		if _, err := os.Stat("/dev/full"); err != nil {
			t.Skip("no /dev/full")
		}
		dir := t.TempDir()
		state := filepath.Join(dir, "state.json")
		b, err := tailCmd(bin, srv, append(base(state, "/dev/full"), "--once")...).CombinedOutput()
		if code := exitCode(t, err); code != exitError || !strings.Contains(string(b), "write output /dev/full: no space left on device") ||
			strings.Contains(string(b), "reach") {
			t.Fatalf("output on a full disk: exit %d: %s", code, b)
		}
		// The state's temporary file cannot be made (a directory is in the
		// way): saving fails.
		state2, out := filepath.Join(dir, "state2.json"), filepath.Join(dir, "out.jsonl")
		if b, err := tailCmd(bin, srv, append(base(state2, out), "--once")...).CombinedOutput(); err != nil {
			t.Fatalf("first run: %v: %s", err, b)
		}
		os.MkdirAll(filepath.Join(state2+".tmp", "x"), 0o700)
		b, err = tailCmd(bin, srv, append(base(state2, out), "--once")...).CombinedOutput()
		if code := exitCode(t, err); code != exitError || !strings.Contains(string(b), "save state "+state2+": ") ||
			strings.Contains(string(b), "reach") {
			t.Fatalf("state that cannot be saved: exit %d: %s", code, b)
		}
	})

	t.Run("states tail did not write", func(t *testing.T) {
		// Row 15: refused, naming the file and the field.
		t.Parallel()
		dir := t.TempDir()
		out := filepath.Join(dir, "out.jsonl")
		future := time.Now().Add(48 * time.Hour).Unix()
		for _, tc := range []struct {
			name, body, want string
		}{
			{"version 1 alone", `{"version":1}`, `field "watermark" or "boundary_ids" is missing`},
			{"version 2 alone", `{"version":2}`, `field "filters" is missing`},
			{"no checkpoint", `{"version":2,"filters":{},"start":"2025-01-01T00:00:00Z","output":null,"clean_stop":true,"entries_written":0}`, `field "checkpoint" is missing`},
			{"start before 2018", `{"version":2,"filters":{},"start":"1970-01-01T00:00:00Z","checkpoint":null,"output":null,"clean_stop":true,"entries_written":0}`, `field "start" is 1970-01-01T00:00:00Z, before the API's first events`},
			{"watermark in the future", fmt.Sprintf(`{"version":2,"filters":{},"start":"2025-01-01T00:00:00Z","checkpoint":{"version":1,"watermark":%d,"spans":[],"filters":{}},"output":null,"clean_stop":true,"entries_written":0}`, future), `field "checkpoint" is invalid (watermark`},
			{"watermark before 2018", `{"version":2,"filters":{},"start":"2025-01-01T00:00:00Z","checkpoint":{"version":1,"watermark":5,"spans":[],"filters":{}},"output":null,"clean_stop":true,"entries_written":0}`, `is before 2018-03-01`},
			{"v1 watermark in 1970", `{"version":1,"filters":{},"watermark":0,"boundary_ids":[]}`, `is before 2018-03-01`},
		} {
			state := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".json")
			os.WriteFile(state, []byte(tc.body), 0o600)
			b, err := tailCmd(bin, srv, append(base(state, out), "--once")...).CombinedOutput()
			if code := exitCode(t, err); code != exitError || !strings.Contains(string(b), "state file "+state) || !strings.Contains(string(b), tc.want) {
				t.Errorf("%s: exit %d: %s", tc.name, code, b)
			}
		}
		if fi, err := os.Stat(out); err == nil && fi.Size() > 0 {
			t.Errorf("a refused state wrote %d bytes", fi.Size())
		}
		// status flags the watermark in the future.
		state := filepath.Join(dir, "watermark_in_the_future.json")
		b, err := exec.Command(bin, "status", "--state", state).CombinedOutput()
		if code := exitCode(t, err); code != exitNoState || !strings.Contains(string(b), "in the future") {
			t.Errorf("status of a watermark in the future: exit %d: %s", code, b)
		}
	})

	t.Run("version 1 adopted", func(t *testing.T) {
		// A state of version 1 (before the file sink) is adopted: its
		// watermark and boundary IDs go on.
		t.Parallel()
		dir := t.TempDir()
		state, out := filepath.Join(dir, "state.json"), filepath.Join(dir, "out.jsonl")
		mid := parse(t, want[len(want)/2]).DateCreate
		var before []byte
		var ids []string
		for _, e := range want {
			f := parse(t, e)
			if f.DateCreate < mid {
				before = append(append(before, e...), '\n')
			} else if f.DateCreate == mid {
				before = append(append(before, e...), '\n')
				ids = append(ids, fmt.Sprintf("%q", f.ID))
			}
		}
		os.WriteFile(out, before, 0o600)
		fi, _ := os.Stat(out)
		st := fi.Sys().(*syscall.Stat_t)
		v1 := fmt.Sprintf(`{"version":1,"filters":{"action":"","actor":"","entity":""},"watermark":%d,"boundary_ids":[%s],`+
			`"output":{"path":%q,"offset":%d,"window_offset":%d,"dev":%d,"ino":%d},"clean_stop":true,"entries_written":3}`,
			mid, strings.Join(ids, ","), out, len(before), len(before), st.Dev, st.Ino)
		os.WriteFile(state, []byte(v1), 0o600)
		if b, err := tailCmd(bin, srv, append(base(state, out), "--once")...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %s", err, b)
		}
		got, _ := os.ReadFile(out)
		checkExactlyOnce(t, got, want)
		if s := readState(t, state); s.Version != 2 {
			t.Errorf("the state was not rewritten as version 2: %d", s.Version)
		}
	})
}

// TestTailSIGHUPAtStart: a SIGHUP right after tail starts (logrotate's
// postrotate, racing a restart) does not kill it (row 16): sent while tail
// waits for its token on stdin, before any file or request, and again
// during its first pages. (A SIGHUP before main runs at all, during the Go
// runtime's start, still kills it: no Go program can catch that one.)
func TestTailSIGHUPAtStart(t *testing.T) {
	t.Parallel()
	bin := buildCLI(t)
	srv, _ := newServer(t, 50)
	all := srv.Entries()
	c := collection{start: parse(t, all[len(all)-1]).DateCreate, end: parse(t, all[0]).DateCreate}
	for i := 1; i <= 3; i++ {
		dir := t.TempDir()
		state, out := filepath.Join(dir, "state.json"), filepath.Join(dir, "out.jsonl")
		// --token-file - makes tail read stdin first: SIGHUP arrives while
		// it waits there, before any file or request.
		cmd := exec.Command(bin, append([]string{"tail", "--base-url", srv.URL, "--token-file", "-", "--state", state, "--out", out,
			"--max-window", "2000h", "--interval", "1h"}, c.args()...)...)
		stdin, _ := cmd.StdinPipe()
		p := startProc(t, cmd)
		waitReadingStdin(t, p.cmd.Process.Pid)
		time.Sleep(time.Duration(i*10) * time.Millisecond)
		p.cmd.Process.Signal(syscall.SIGHUP)
		time.Sleep(20 * time.Millisecond)
		fmt.Fprintln(stdin, secret)
		stdin.Close()
		waitForBytes(t, out, 1)
		p.cmd.Process.Signal(syscall.SIGHUP)
		p.cmd.Process.Signal(syscall.SIGTERM)
		if code := p.wait(t, 10*time.Second); code != 0 {
			t.Fatalf("exit %d after SIGHUP at start: %s", code, p.stderr)
		}
	}
}

// waitReadingStdin waits until the process pid reads its standard input
// (a thread of it is in read(2) on fd 0): main has run, and its signal
// handling is set up. Where /proc does not say, it waits a little.
func waitReadingStdin(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/syscall", pid))
		if err != nil || len(tasks) == 0 {
			time.Sleep(200 * time.Millisecond)
			return
		}
		for _, task := range tasks {
			// "0 0x0 ...": read(2) on fd 0.
			if b, err := os.ReadFile(task); err == nil && strings.HasPrefix(string(b), "0 0x0 ") {
				return
			}
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatal("the process never read its standard input")
}

// TestTailStopsPromptly: SIGTERM stops tail within 5 s in every state, with
// a state it can resume from (row 3).
func TestTailStopsPromptly(t *testing.T) {
	t.Parallel()
	bin := buildCLI(t)
	corpus, _ := newServer(t, 30)
	page := corpus.Entries()
	body := []byte(`{"entries":[` + string(bytes.Join(func() [][]byte {
		var b [][]byte
		for _, e := range page {
			b = append(b, e)
		}
		return b
	}(), []byte(","))) + `],"response_metadata":{"next_cursor":"more"}}`)
	c := collection{start: parse(t, page[len(page)-1]).DateCreate, end: parse(t, page[0]).DateCreate}
	for _, tc := range []struct {
		name  string
		serve func(w http.ResponseWriter, r *http.Request, n int64)
		args  []string
		ready int64 // requests before tail is in the state to stop in
	}{
		{"request in flight", func(w http.ResponseWriter, r *http.Request, n int64) {
			<-r.Context().Done()
		}, nil, 1},
		{"slow body", func(w http.ResponseWriter, r *http.Request, n int64) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", fmt.Sprint(len(body)))
			for i := range body {
				if _, err := w.Write(body[i : i+1]); err != nil {
					return
				}
				w.(http.Flusher).Flush()
				select {
				case <-r.Context().Done():
					return
				case <-time.After(time.Second):
				}
			}
		}, nil, 1},
		{"backoff", func(w http.ResponseWriter, r *http.Request, n int64) {
			w.WriteHeader(http.StatusServiceUnavailable)
		}, []string{"--retries", "10"}, 2},
		{"retry-after", func(w http.ResponseWriter, r *http.Request, n int64) {
			w.Header().Set("Retry-After", "60")
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprint(w, `{"ok":false,"error":"ratelimited"}`)
		}, nil, 1},
		{"tail's own backoff", func(w http.ResponseWriter, r *http.Request, n int64) {
			w.WriteHeader(http.StatusInternalServerError)
		}, []string{"--retries", "0", "--interval", "1h"}, 1},
		{"rate-limit wait", func(w http.ResponseWriter, r *http.Request, n int64) {
			w.Header().Set("Content-Type", "application/json")
			w.Write(body)
		}, []string{"--rate", "1"}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var requests atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				tc.serve(w, r, requests.Add(1))
			}))
			t.Cleanup(srv.Close)
			dir := t.TempDir()
			state, out := filepath.Join(dir, "state.json"), filepath.Join(dir, "out.jsonl")
			args := []string{"tail", "--base-url", srv.URL, "--state", state, "--out", out, "--max-window", "2000h"}
			base := c.args()
			if slices.Contains(tc.args, "--rate") {
				base = base[:len(base)-2] // c.args ends with --rate 0
			}
			args = append(append(args, base...), tc.args...)
			cmd := exec.Command(bin, args...)
			cmd.Env = append(os.Environ(), "SLACK_AUDIT_TOKEN="+secret)
			p := startProc(t, cmd)
			deadline := time.Now().Add(10 * time.Second)
			for requests.Load() < tc.ready && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			time.Sleep(100 * time.Millisecond) // into the wait
			sent := time.Now()
			p.cmd.Process.Signal(syscall.SIGTERM)
			code := p.wait(t, 5*time.Second)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, p.stderr)
			}
			st := readState(t, state)
			fi, _ := os.Stat(out)
			if !st.CleanStop || st.Output == nil || st.Output.Offset != fi.Size() {
				t.Fatalf("state after SIGTERM: clean %v, output %+v, file %d bytes", st.CleanStop, st.Output, fi.Size())
			}
			t.Logf("stopped %s after SIGTERM, %d requests", time.Since(sent).Round(time.Millisecond), requests.Load())
		})
	}
}
