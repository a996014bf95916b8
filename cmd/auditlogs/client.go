package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/slackaudit/auditlogs"
)

// testClientOptions are added to every client: tests use them to shorten
// the retry backoff. Never set outside tests.
var testClientOptions []auditlogs.Option

// clientInfo is a client and what messages need to know about it.
type clientInfo struct {
	*auditlogs.Client
	host      string // the API's host, for messages (never the whole URL: it may hold credentials)
	retries   int
	timeout   time.Duration
	anonymous bool         // no token: only /schemas and /actions will work
	logger    *slog.Logger // nil unless --debug
	demo      *demoServer  // the embedded server of --demo, if any
	close     func()       // stops the demo server, if any
	stderrTTY bool         // progress goes to stderr
}

// newClient builds the client the global flags describe. needToken is false
// for the commands whose endpoints need no token (schemas, actions). It
// returns a message-ready error and the exit code on failure.
func newClient(e *env, g *globalFlags, needToken bool) (*clientInfo, int) {
	ci := &clientInfo{retries: g.retries, timeout: g.timeout, close: func() {}}
	var token string
	base := g.baseURL
	if g.demo {
		if g.set["base-url"] || g.set["token-file"] {
			fmt.Fprintln(e.stderr, "auditlogs: --demo uses its own server and token: drop --base-url and --token-file, or --demo")
			return nil, exitUsage
		}
		d, err := startDemo()
		if err != nil {
			fmt.Fprintln(e.stderr, "auditlogs: cannot start the demo server: "+trimPrefix(err.Error()))
			return nil, exitError
		}
		ci.demo, ci.close = d, d.Close
		base, token = d.URL, d.Token
	} else {
		if base == "" {
			base = e.getenv("SLACK_AUDIT_BASE_URL")
		}
		if base == "" {
			base = auditlogs.DefaultBaseURL
		}
		var code int
		token, code = loadToken(e, g)
		if code != 0 {
			return nil, code
		}
		if token == "" {
			if needToken {
				fmt.Fprintln(e.stderr, "auditlogs: no token: set SLACK_AUDIT_TOKEN or use --token-file FILE (or try --demo to see it work without one).")
				return nil, exitUsage
			}
			// /schemas and /actions need no token: the client sends none.
			ci.anonymous = true
		}
	}
	e.redact.setToken(token)
	if u, err := url.Parse(base); err == nil {
		ci.host = u.Host
	}

	opts := []auditlogs.Option{
		auditlogs.WithBaseURL(base),
		auditlogs.WithRetryMax(g.retries),
		auditlogs.WithUserAgent("", "auditlogs-cli/"+auditlogs.Version),
		auditlogs.WithTimeout(g.timeout),
		auditlogs.WithPlainHTTP(g.plainHTTP),
	}
	rate := g.rate
	if g.demo && !g.set["rate"] {
		rate = 0 // the demo server is local and has no limit
	}
	opts = append(opts, auditlogs.WithRateLimit(rate, min(max(rate, 1), auditlogs.DefaultRateBurst)))
	switch {
	case g.debug && g.opsLog != nil:
		// --debug with --log-format: every line in that format, the
		// client's debug records included (opsLog logs at debug level).
		ci.logger = g.opsLog
		opts = append(opts, auditlogs.WithLogger(ci.logger))
	case g.debug:
		ci.logger = slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
		opts = append(opts, auditlogs.WithLogger(ci.logger))
	case g.opsLog != nil:
		opts = append(opts, auditlogs.WithLogger(slog.New(raiseHandler{g.opsLog.Handler()})))
	}
	opts = append(opts, testClientOptions...)
	c, err := auditlogs.New(token, opts...)
	if err != nil {
		ci.close()
		msg := trimPrefix(err.Error())
		switch {
		case errors.Is(err, auditlogs.ErrPlainHTTP):
			u, _ := url.Parse(base)
			msg = fmt.Sprintf("--base-url (or SLACK_AUDIT_BASE_URL) is plain http to %s, which is not this machine: "+
				"the token would cross the network in clear. Use https, or --allow-plain-http for a test setup", u.Hostname())
		case errors.Is(err, auditlogs.ErrInvalidOption):
			// Every other option given to New was checked with the flags:
			// the base URL is what is left. (The library's message would
			// repeat the URL, which may hold credentials.)
			msg = "--base-url (or SLACK_AUDIT_BASE_URL) must be an absolute http or https URL without a query, such as https://api.slack.com/audit/v1/"
		}
		fmt.Fprintln(e.stderr, "auditlogs: "+msg)
		return nil, exitUsage
	}
	ci.Client = c
	ci.stderrTTY = isTerminal(e.stderr)
	return ci, 0
}

// loadToken reads the token from --token-file (or stdin for "-"), else from
// SLACK_AUDIT_TOKEN. It returns "" if there is none, and a non-zero exit
// code after a message if the file cannot be read.
func loadToken(e *env, g *globalFlags) (string, int) {
	if g.tokenFile == "" {
		return strings.TrimSpace(e.getenv("SLACK_AUDIT_TOKEN")), 0
	}
	if looksLikeToken(g.tokenFile) && !fileExists(g.tokenFile) {
		fmt.Fprintln(e.stderr, "auditlogs: --token-file takes the name of a file holding the token, not the token itself "+
			"(a token on the command line shows in ps and in shell history).")
		return "", exitUsage
	}
	var b []byte
	var err error
	if g.tokenFile == "-" {
		b, err = io.ReadAll(io.LimitReader(e.stdin, 64<<10))
	} else {
		b, err = readSmallFile(g.tokenFile, 64<<10)
		warnTokenFileMode(e, g.tokenFile)
	}
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		fmt.Fprintf(e.stderr, "auditlogs: cannot read --token-file %s: %v\n", quoteArg(g.tokenFile), err)
		return "", exitUsage
	}
	token := strings.TrimSpace(string(b))
	if token == "" {
		fmt.Fprintf(e.stderr, "auditlogs: --token-file %s is empty\n", quoteArg(g.tokenFile))
		return "", exitUsage
	}
	if strings.ContainsAny(token, "\r\n\t ") {
		fmt.Fprintf(e.stderr, "auditlogs: --token-file %s must hold only the token (it has more than one word or line)\n", quoteArg(g.tokenFile))
		return "", exitUsage
	}
	return token, 0
}

// warnTokenFileMode warns when the token file may be read by others than
// its owner (where file modes mean that).
func warnTokenFileMode(e *env, name string) {
	fi, err := os.Stat(name)
	if err != nil || runtime.GOOS == "windows" || !fi.Mode().IsRegular() {
		return
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		fmt.Fprintf(e.stderr, "auditlogs: warning: --token-file %s is open to others than its owner (mode %04o): chmod 600 it\n",
			quoteArg(name), perm)
	}
}

func readSmallFile(name string, limit int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, limit))
}

func fileExists(name string) bool {
	_, err := os.Stat(name)
	return err == nil
}

// terminal is a writer that says whether it stands for a terminal: tests
// use one to see what a person at a terminal sees.
type terminal interface{ IsTerminal() bool }

// isTerminal reports whether w is a terminal (a character device), without
// any dependency: good enough to choose defaults and show progress.
func isTerminal(w io.Writer) bool {
	if r, ok := w.(*redactor); ok {
		w = r.w
	}
	if t, ok := w.(terminal); ok {
		return t.IsTerminal()
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
