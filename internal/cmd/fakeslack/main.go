// Command fakeslack serves the project's fake of Slack's Audit Logs API
// (package auditlogstest) with a synthetic corpus on 127.0.0.1, for tests
// written in other languages (tests/ts). It prints one JSON line on stdout,
//
//	{"base_url":"http://127.0.0.1:PORT/audit/v1","token":"xoxp-fake-...","entries":N}
//
// and serves until its standard input closes, it gets SIGINT or SIGTERM, or
// -lifetime has passed, so that a test that spawns it and dies leaves
// nothing behind. The token is made up for the run; the fake accepts no
// other.
//
// Usage:
//
//	go run ./internal/cmd/fakeslack [-n 3000] [-seed 1] [-lifetime 10m]
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/slackaudit/auditlogs/auditlogstest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "fakeslack:", err)
		os.Exit(2)
	}
}

// ready is the line printed once the server listens.
type ready struct {
	BaseURL string `json:"base_url"`
	Token   string `json:"token"`
	Entries int    `json:"entries"`
}

// run serves until ctx is done, stdin reaches its end or the lifetime is
// over.
func run(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("fakeslack", flag.ContinueOnError)
	n := fs.Int("n", 3000, "how many synthetic entries to serve")
	seed := fs.Int64("seed", 1, "the seed of the synthetic corpus")
	lifetime := fs.Duration("lifetime", 10*time.Minute, "stop after this long whatever happens")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *n < 0 || *lifetime <= 0 {
		return fmt.Errorf("-n must be at least 0 and -lifetime positive")
	}
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return err
	}
	token := "xoxp-fake-" + hex.EncodeToString(b[:])
	srv := auditlogstest.NewServer(auditlogstest.WithSynthetic(*n, *seed), auditlogstest.WithToken(token))
	defer srv.Close()

	line, err := json.Marshal(ready{BaseURL: strings.TrimSuffix(srv.URL, "/"), Token: token, Entries: *n})
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(stdout, "%s\n", line); err != nil {
		return err
	}

	stdinDone := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, stdin)
		close(stdinDone)
	}()
	timer := time.NewTimer(*lifetime)
	defer timer.Stop()
	select {
	case <-ctx.Done():
	case <-stdinDone:
	case <-timer.C:
	}
	return nil
}
