package main

import (
	"bytes"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/slackaudit/auditlogs/auditlogstest"
)

// TestTailProcess runs tail as a real process, to kill it (see buildCLI).
func TestTailProcess(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("needs SIGKILL and SIGTERM")
	}
	t.Parallel()
	bin := buildCLI(t)
	t.Run("kill9", func(t *testing.T) { t.Parallel(); testTailKill9(t, bin) })
	t.Run("sigterm", func(t *testing.T) { t.Parallel(); testTailSIGTERM(t, bin) })
}

// tailCmd returns the command running tail against srv.
func tailCmd(bin string, srv *auditlogstest.Server, args ...string) *exec.Cmd {
	cmd := exec.Command(bin, append([]string{"tail", "--base-url", srv.URL}, args...)...)
	cmd.Env = append(os.Environ(), "SLACK_AUDIT_TOKEN="+secret)
	return cmd
}

// checkInvariant asserts what makes a restart safe: the output is at least
// as long as the state's checkpoint.
func checkInvariant(t *testing.T, state, out string) {
	t.Helper()
	if _, err := os.Stat(state); err != nil {
		return // killed before the first save
	}
	st := readState(t, state)
	fi, err := os.Stat(out)
	if st.Output == nil || err != nil {
		return
	}
	if fi.Size() < st.Output.Offset {
		t.Fatalf("output has %d bytes, fewer than the %d the state says", fi.Size(), st.Output.Offset)
	}
}

func testTailKill9(t *testing.T, bin string) {
	srv, _ := newServer(t, 700, auditlogstest.WithLatency(2*time.Millisecond))
	all := srv.Entries()
	// Windows of 72h, one of whose boundaries falls on a second that several
	// entries share.
	shared := int64(0)
	for i := len(all) / 2; i+1 < len(all); i++ {
		if a, b := parse(t, all[i]).DateCreate, parse(t, all[i+1]).DateCreate; a == b {
			shared = a
			break
		}
	}
	if shared == 0 {
		t.Fatal("no shared second in the corpus")
	}
	c := collection{start: shared - 4*72*3600, end: parse(t, all[0]).DateCreate}
	dir := t.TempDir()
	state, out := filepath.Join(dir, "state.json"), filepath.Join(dir, "out.jsonl")
	args := append([]string{"--state", state, "--out", out, "--once", "--limit", "7", "--max-window", "72h"}, c.args()...)

	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 1))
	t.Logf("seed %d", seed)
	kills := 0
	var progress []int64
	for i := 0; i < 20; i++ {
		cmd := tailCmd(bin, srv, args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		select {
		case err := <-exited:
			if err != nil {
				t.Fatalf("run %d failed: %v: %s", i, err, stderr.String())
			}
		case <-time.After(time.Duration(5+rng.IntN(60)) * time.Millisecond):
			cmd.Process.Signal(syscall.SIGKILL)
			<-exited
			kills++
		}
		checkInvariant(t, state, out)
		if fi, err := os.Stat(out); err == nil {
			progress = append(progress, fi.Size())
		}
	}
	// Then run to the end.
	cmd := tailCmd(bin, srv, args...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("final run: %v: %s", err, b)
	}
	if kills < 8 {
		t.Errorf("only %d of the runs were killed before they finished", kills)
	}
	b, _ := os.ReadFile(out)
	checkExactlyOnce(t, b, c.want(t, all))
	t.Logf("%d kills, %d requests, %d entries; output size after each run: %v", kills, srv.Stats().LogsRequests, len(c.want(t, all)), progress)
}

func testTailSIGTERM(t *testing.T, bin string) {
	srv, _ := newServer(t, 300, auditlogstest.WithLatency(20*time.Millisecond))
	all := srv.Entries()
	c := collection{start: parse(t, all[len(all)-1]).DateCreate, end: parse(t, all[0]).DateCreate}
	dir := t.TempDir()
	state, out := filepath.Join(dir, "state.json"), filepath.Join(dir, "out.jsonl")
	args := append([]string{"--state", state, "--out", out, "--limit", "5", "--max-window", "2000h", "--interval", "1h"}, c.args()...)

	cmd := tailCmd(bin, srv, args...)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitForBytes(t, out, 1)
	cmd.Process.Signal(syscall.SIGTERM)
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("SIGTERM: %v: %s", err, stderr.String())
		}
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("SIGTERM did not stop tail")
	}
	if stderr.Len() != 0 {
		t.Errorf("output on stdout or stderr: %q", stderr.String())
	}
	st := readState(t, state)
	fi, _ := os.Stat(out)
	if _, _, mid := st.CP.InProgress(); !st.CleanStop || st.Output.Offset != fi.Size() || !mid {
		t.Fatalf("after SIGTERM: clean %v, offset %d, file %d bytes, mid-window %v", st.CleanStop, st.Output.Offset, fi.Size(), mid)
	}
	if b, err := tailCmd(bin, srv, append(args, "--once")...).CombinedOutput(); err != nil {
		t.Fatalf("resume: %v: %s", err, b)
	}
	b, _ := os.ReadFile(out)
	checkExactlyOnce(t, b, c.want(t, all))
}
