package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestPlainHTTPFlag(t *testing.T) {
	t.Parallel()
	env := map[string]string{"SLACK_AUDIT_TOKEN": secret}
	// 192.0.2.0/24 is TEST-NET-1: nothing answers there.
	args := []string{"logs", "--base-url", "http://192.0.2.1/audit/v1/", "--retries", "0", "--timeout", "200ms"}
	r := runCLI(t, env, args...)
	if r.code != exitUsage || !strings.Contains(r.stderr, "plain http to 192.0.2.1") || !strings.Contains(r.stderr, "--allow-plain-http") {
		t.Fatalf("plain http: exit %d, %q", r.code, r.stderr)
	}
	start := time.Now()
	r = runCLI(t, env, append(args, "--allow-plain-http")...)
	if r.code != exitError || strings.Contains(r.stderr, "plain http") {
		t.Fatalf("--allow-plain-http: exit %d, %q", r.code, r.stderr)
	}
	if time.Since(start) > 10*time.Second {
		t.Errorf("--timeout 200ms took %v", time.Since(start))
	}
}

func TestTokenFileModeWarning(t *testing.T) {
	t.Parallel()
	_, env := newServer(t, 3)
	delete(env, "SLACK_AUDIT_TOKEN")
	dir := t.TempDir()
	for _, tc := range []struct {
		mode os.FileMode
		warn bool
	}{{0o600, false}, {0o400, false}, {0o640, true}, {0o644, true}, {0o604, true}} {
		file := filepath.Join(dir, "token-"+tc.mode.String())
		if err := os.WriteFile(file, []byte(secret+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(file, tc.mode); err != nil {
			t.Fatal(err)
		}
		r := runCLI(t, env, "logs", "--token-file", file, "--max", "1")
		warned := strings.Contains(r.stderr, fmt.Sprintf("is open to others than its owner (mode %04o): chmod 600 it", tc.mode))
		if r.code != 0 || warned != tc.warn {
			t.Errorf("mode %v: exit %d, stderr %q", tc.mode, r.code, r.stderr)
		}
	}
}
