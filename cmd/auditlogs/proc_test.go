package main

import (
	"bytes"
	"os/exec"
	"testing"
	"time"
)

// proc is a tail process started by a test, always reaped.
type proc struct {
	cmd    *exec.Cmd
	stderr *bytes.Buffer
	exited chan error
}

// startProc starts cmd, and kills it at the end of the test if it still
// runs.
func startProc(t *testing.T, cmd *exec.Cmd) *proc {
	t.Helper()
	p := &proc{cmd: cmd, stderr: &bytes.Buffer{}, exited: make(chan error, 1)}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.exited
		p.exited <- nil
	})
	return p
}

// wait waits up to d for the process to exit, and returns its exit code.
func (p *proc) wait(t *testing.T, d time.Duration) int {
	t.Helper()
	select {
	case err := <-p.exited:
		p.exited <- err
		return exitCode(t, err)
	case <-time.After(d):
		t.Fatalf("tail did not exit within %s: %s", d, p.stderr)
		return -1
	}
}
