package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunExitCodes(t *testing.T) {
	noBaseline := t.TempDir()
	if err := os.WriteFile(filepath.Join(noBaseline, "go.mod"), []byte("module example.com/x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		code int
		want string // in the combined output
	}{
		{"no command", nil, 2, "usage:"},
		{"unknown command", []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"help", []string{"help"}, 0, "compat check"},
		{"check with an argument", []string{"check", "extra"}, 2, "check takes no arguments"},
		{"check with a bad flag", []string{"check", "-nope"}, 2, "flag provided but not defined"},
		{"check outside a repository", []string{"check", "-root", t.TempDir()}, 2, "is not the repository root"},
		{"check without a baseline", []string{"check", "-root", noBaseline}, 1, "no baseline: release/RELEASE is missing"},
		{"release without a version", []string{"release"}, 2, "takes one argument"},
		{"release with a bad version", []string{"release", "v1.0"}, 2, `"v1.0" is not a semantic version`},
		{"release with a bad date", []string{"release", "-date", "2026-12-32", "v1.0.1"}, 2, "is not YYYY-MM-DD"},
		{"rebuild with a version", []string{"release", "-rebuild", "v1.0.1"}, 2, "takes no version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out strings.Builder
			if code := run(tt.args, &out, &out); code != tt.code {
				t.Errorf("exit code %d, want %d; output:\n%s", code, tt.code, out.String())
			}
			if !strings.Contains(out.String(), tt.want) {
				t.Errorf("output lacks %q:\n%s", tt.want, out.String())
			}
		})
	}
}
