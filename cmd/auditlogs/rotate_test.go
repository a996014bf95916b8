package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/slackaudit/auditlogs/auditlogstest"
)

// A rotation of --out, made to a running (or killed) tail.
type rotation struct {
	name string
	// rotate rotates out; i numbers the rotation. hup sends SIGHUP to the
	// running tail (a no-op when it is not running), for the rotations
	// that signal it.
	rotate func(t *testing.T, i int, out string, hup func())
}

// TestTailRotationProcess rotates --out under the real binary, in every way
// operators do, with kill -9 just before or just after some rotations, and
// checks that the files together hold every entry once, whole lines only.
func TestTailRotationProcess(t *testing.T) {
	t.Parallel()
	bin := buildCLI(t)
	rotations := []rotation{
		{"move+SIGHUP", func(t *testing.T, i int, out string, hup func()) {
			mustRename(t, out, fmt.Sprintf("%s.moved%d", out, i))
			hup()
		}},
		{"move,no-signal", func(t *testing.T, i int, out string, hup func()) {
			// Another file appears at the path: tail notices before its next
			// page, without a signal.
			mustRename(t, out, fmt.Sprintf("%s.moved%d", out, i))
			if err := os.WriteFile(out, nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{"copytruncate-by-hand", func(t *testing.T, i int, out string, hup func()) {
			b, err := os.ReadFile(out)
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			if err := os.WriteFile(fmt.Sprintf("%s.copy%d", out, i), b, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(out, 0); err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
		}},
	}
	for _, mode := range []string{"create", "copytruncate"} {
		rotations = append(rotations, rotation{"logrotate-" + mode, logrotate(t, mode)})
	}
	for _, r := range rotations {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			testRotation(t, bin, r)
		})
	}
}

// logrotate returns a rotation running the real logrotate in mode (create
// or copytruncate), with the sample configuration of the README. Without
// logrotate the test is skipped, but not in CI.
func logrotate(t *testing.T, mode string) func(*testing.T, int, string, func()) {
	lr, err := exec.LookPath("logrotate")
	if err != nil {
		lr, err = exec.LookPath("/usr/sbin/logrotate")
	}
	return func(t *testing.T, i int, out string, hup func()) {
		if err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatal("logrotate is not installed, and CI must run this test (.ci/run installs it)")
			}
			t.Skip("logrotate is not installed (apt-get install logrotate); CI runs this test")
		}
		dir := filepath.Dir(out)
		conf := filepath.Join(dir, "logrotate.conf")
		if _, serr := os.Stat(conf); serr != nil {
			// As in the README, with rotate raised so that no file is deleted.
			body := out + " {\n    rotate 1000\n    missingok\n    notifempty\n    delaycompress\n    compress\n"
			if mode == "copytruncate" {
				body += "    copytruncate\n"
			} else {
				body += "    create 0600\n    postrotate\n        kill -HUP \"$(cat " + filepath.Join(dir, "tail.pid") + ")\" 2>/dev/null || true\n    endscript\n"
			}
			body += "}\n"
			if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		cmd := exec.Command(lr, "--force", "--state", filepath.Join(dir, "logrotate.state"), conf)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("logrotate: %v\n%s", err, b)
		}
	}
}

func mustRename(t *testing.T, from, to string) {
	t.Helper()
	if err := os.Rename(from, to); err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
}

// testRotation runs tail (not --once) over a corpus it takes a few seconds
// to page through, rotates --out a dozen times at random moments, killing
// tail with SIGKILL just before or just after a third of the rotations and
// starting it again, then lets a last run finish, and checks the files.
func testRotation(t *testing.T, bin string, r rotation) {
	srv, _ := newServer(t, 900, auditlogstest.WithLatency(4*time.Millisecond))
	all := srv.Entries()
	c := collection{start: parse(t, all[len(all)-1]).DateCreate, end: parse(t, all[0]).DateCreate}
	dir := t.TempDir()
	state, out := filepath.Join(dir, "state.json"), filepath.Join(dir, "audit.jsonl")
	args := append([]string{"--state", state, "--out", out, "--limit", "5", "--max-window", "96h", "--interval", "1h"}, c.args()...)
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 2))
	t.Logf("seed %d", seed)

	var cmd *exec.Cmd
	var exited chan error
	var stderr *bytes.Buffer
	var logs strings.Builder
	start := func() {
		started := time.Now()
		cmd = tailCmd(bin, srv, args...)
		stderr = &bytes.Buffer{}
		cmd.Stderr = stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, "tail.pid"), []byte(strconv.Itoa(cmd.Process.Pid)), 0o600)
		exited = make(chan error, 1)
		go func(c *exec.Cmd, ch chan error) { ch <- c.Wait() }(cmd, exited)
		// Signals sent before tail has set up its handlers would kill it, as
		// they would any process: wait until it saved the state, which it
		// does after that.
		waitModified(t, state, started)
	}
	stop := func(sig syscall.Signal) {
		cmd.Process.Signal(sig)
		select {
		case err := <-exited:
			if sig != syscall.SIGKILL && err != nil {
				t.Fatalf("tail after %v: %v: %s", sig, err, stderr)
			}
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("tail did not stop on %v", sig)
		}
		logs.WriteString(stderr.String())
		cmd = nil
	}
	hup := func() {
		if cmd != nil {
			cmd.Process.Signal(syscall.SIGHUP)
		}
	}
	start()
	waitForBytes(t, out, 1)
	kills := 0
	for i := 1; i <= 12; i++ {
		time.Sleep(time.Duration(20+rng.IntN(120)) * time.Millisecond)
		if cmd != nil {
			select {
			case err := <-exited:
				t.Fatalf("tail exited on its own: %v: %s", err, stderr)
			default:
			}
		}
		switch rng.IntN(3) {
		case 0: // kill -9, then rotate, then start again
			stop(syscall.SIGKILL)
			kills++
			r.rotate(t, i, out, hup)
			start()
		case 1: // rotate, kill -9 at once, start again
			r.rotate(t, i, out, hup)
			stop(syscall.SIGKILL)
			kills++
			start()
		default:
			r.rotate(t, i, out, hup)
		}
	}
	// Let it run on a little, stop it, and finish the collection.
	time.Sleep(50 * time.Millisecond)
	stop(syscall.SIGTERM)
	final := tailCmd(bin, srv, append(args, "--once")...)
	b, err := final.CombinedOutput()
	logs.Write(b)
	if err != nil {
		t.Fatalf("final run: %v: %s", err, b)
	}

	files, _ := filepath.Glob(out + "*")
	var joined []byte
	contents := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err == nil && strings.HasSuffix(f, ".gz") { // logrotate's compress
			var zr *gzip.Reader
			if zr, err = gzip.NewReader(bytes.NewReader(b)); err == nil {
				b, err = io.ReadAll(zr)
			}
		}
		if err != nil {
			t.Fatal(err)
		}
		if i := bytes.IndexByte(b, 0); i >= 0 {
			t.Fatalf("%s has a NUL byte at %d", filepath.Base(f), i)
		}
		if len(b) > 0 && b[len(b)-1] != '\n' {
			t.Fatalf("%s ends in a torn line", filepath.Base(f))
		}
		joined = append(joined, b...)
		contents[f] = b
	}
	defer func() {
		if t.Failed() {
			t.Logf("tail's stderr:\n%s", logs.String())
			where := map[string][]string{}
			for f, b := range contents {
				for i, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
					where[line] = append(where[line], fmt.Sprintf("%s:%d", filepath.Base(f), i+1))
				}
			}
			for _, f := range files {
				t.Logf("%s: %d bytes", filepath.Base(f), len(contents[f]))
			}
			known := map[string]bool{}
			for _, e := range all {
				known[string(e)] = true
			}
			for line, at := range where {
				if len(at) > 1 || !known[line] {
					t.Logf("%.40s... (%d bytes, from the server: %v) is at %v", line, len(line), known[line], at)
				}
			}
		}
	}()
	checkExactlyOnce(t, joined, c.want(t, all))
	if strings.Contains(logs.String(), secret) {
		t.Fatal("the token shows in tail's stderr")
	}
	rotated := strings.Count(logs.String(), "rotated --out") + strings.Count(logs.String(), "while tail was stopped")
	if rotated == 0 {
		t.Errorf("tail never said it followed a rotation:\n%s", logs.String())
	}
	t.Logf("%d files, %d kills, %d rotations noticed, %d entries, %d requests", len(files), kills, rotated,
		len(c.want(t, all)), srv.Stats().LogsRequests)
}

// waitModified waits until file was modified after since.
func waitModified(t *testing.T, file string, since time.Time) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if fi, err := os.Stat(file); err == nil && fi.ModTime().After(since) {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("%s was not saved within 20s", file)
}

// TestTailEmptyPageKeepsOutput: a window with nothing new, on a freshly
// opened --out, writes nothing and cuts nothing.
func TestTailEmptyPageKeepsOutput(t *testing.T) {
	t.Parallel()
	srv, env := newServer(t, 50)
	all := srv.Entries()
	c := collection{start: parse(t, all[len(all)-1]).DateCreate, end: parse(t, all[0]).DateCreate}
	dir := t.TempDir()
	state, out := filepath.Join(dir, "state.json"), filepath.Join(dir, "out.jsonl")
	args := []string{"tail", "--state", state, "--out", out, "--once", "--max-window", "2000h", "--rate", "0", "--start", itoa(c.start)}
	if r := runCLI(t, env, append(args, c.args()[2:4]...)...); r.code != 0 {
		t.Fatalf("first run: exit %d: %s", r.code, r.stderr)
	}
	before, _ := os.ReadFile(out)
	// Now up to the present: a window after the corpus, with nothing in it.
	r := runCLI(t, env, append(args, "--settle", "0s")...)
	after, _ := os.ReadFile(out)
	if r.code != 0 || r.stderr != "" || !bytes.Equal(before, after) || len(after) == 0 {
		t.Fatalf("an empty window: exit %d, %q, output %d bytes, was %d", r.code, r.stderr, len(after), len(before))
	}
	if st := readState(t, state); st.CP == nil || st.CP.Watermark().Unix() <= c.end {
		t.Fatalf("the empty window did not complete: %+v", st)
	}
}
