// Command compat is the engine behind .ci/compat and .ci/release.
//
//	compat check   [-root DIR]
//	compat release [-root DIR] [-from REV] [-date YYYY-MM-DD] VERSION
//	compat release [-root DIR] -rebuild
//
// check compares the working tree with the last release, the baseline kept in
// release/: api/openapi.yaml against release/openapi.yaml with oasdiff, and the
// Go API of the module's public packages against release/go-api.export with
// apidiff. Every breaking change must be recorded in CHANGELOG.md's
// Unreleased section (see changelog.go for the rule); additions always pass.
//
// release cuts a release: it snapshots the spec and the Go API of a commit
// into release/ and moves CHANGELOG.md's Unreleased entries into a dated
// section for VERSION. With -rebuild it only rewrites the last release's
// snapshot from the commit recorded in release/RELEASE.
//
// It is a tool of its own module (go tool compat, run from tools/compat),
// which keeps exit codes, where go run would turn them all into 1. Both run
// the checkers this module pins (go.mod's tool directives) through
// `go tool -modfile=tools/compat/go.mod`. Exit codes: 0 success, 1 a failed
// check or a runtime error, 2 a usage error.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// errUsage marks an error caused by how the command was called.
var errUsage = errors.New("usage error")

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one command and returns the process exit code.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "check":
		err = runCheck(args[1:], stdout)
	case "release":
		err = runRelease(args[1:], stdout)
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(stdout, usage)
		return 0
	default:
		err = fmt.Errorf("%w: unknown command %q", errUsage, args[0])
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "compat: %v\n%s\n", err, usage)
		return 2
	case errors.Is(err, errGateFailed):
		fmt.Fprintf(stderr, "compat: %v\n", err)
		return 1
	default:
		fmt.Fprintf(stderr, "compat: %v\n", err)
		return 1
	}
}

const usage = `usage:
  compat check   [-root DIR]
      compare the working tree with the last release (release/) and fail on a
      breaking change that CHANGELOG.md's Unreleased section does not record
  compat release [-root DIR] [-from REV] [-date YYYY-MM-DD] VERSION
      snapshot the spec and Go API of REV (default HEAD) into release/ and move
      CHANGELOG.md's Unreleased entries into a section for VERSION
  compat release [-root DIR] -rebuild
      rewrite release/'s snapshot from the last release's commit (after a bump
      of the pinned apidiff, say); CHANGELOG.md and release/RELEASE stay`

// rootFlag registers -root on fs and returns a function giving its absolute
// value once fs is parsed.
func rootFlag(fs *flag.FlagSet) func() (string, error) {
	root := fs.String("root", "../..", "the repository's root directory")
	return func() (string, error) {
		abs, err := filepath.Abs(*root)
		if err != nil {
			return "", err
		}
		if _, err := os.Stat(filepath.Join(abs, "go.mod")); err != nil {
			return "", fmt.Errorf("%w: %s is not the repository root (no go.mod)", errUsage, abs)
		}
		return abs, nil
	}
}
