package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

// cli is the command built once for the tests that run it as a process.
var cli struct {
	once      sync.Once
	dir, path string
	err       error
	out       []byte
}

// buildCLI returns the path of the command, built on first use (with -race
// when the tests are, so that it reuses their compiled packages). It skips
// the test where there is no go command or no SIGKILL.
func buildCLI(t *testing.T) string {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("needs SIGKILL, SIGTERM and SIGHUP")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build the binary with")
	}
	cli.once.Do(func() {
		if cli.dir, cli.err = os.MkdirTemp("", "auditlogs-test-"); cli.err != nil {
			return
		}
		cli.path = filepath.Join(cli.dir, "auditlogs")
		args := []string{"build", "-o", cli.path}
		if raceEnabled {
			args = append(args, "-race")
		}
		cli.out, cli.err = exec.Command(gobin, append(args, ".")...).CombinedOutput()
	})
	if cli.err != nil {
		t.Fatalf("go build: %v\n%s", cli.err, cli.out)
	}
	return cli.path
}

// removeCLI removes the command built by buildCLI, if any.
func removeCLI() {
	if cli.dir != "" {
		os.RemoveAll(cli.dir)
	}
}
