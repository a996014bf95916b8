// Command auditlogs reads the audit logs of a Slack Enterprise Grid
// organization, on top of the github.com/slackaudit/auditlogs library:
//
//	auditlogs logs      print events once, newest first (jsonl, table or csv)
//	auditlogs tail      collect events continuously, crash-safe, resumable
//	auditlogs drift     report what events carry that the spec does not describe
//	auditlogs status    a tail's lag, progress and last error: a health check
//	auditlogs schemas   the object types the API knows and their fields
//	auditlogs actions   the action names the API knows, by category
//	auditlogs version   versions of the command, the library and Go
//
// Quick start, with no token and no network (a built-in fake organization):
//
//	go run ./cmd/auditlogs logs --demo
//	go run ./cmd/auditlogs logs --demo --format table
//	go run ./cmd/auditlogs tail --demo --once
//
// The token comes from SLACK_AUDIT_TOKEN or --token-file, never from a flag
// value. Exit codes: 0 success, 1 runtime or API error, 2 usage error, 3
// drift found something the spec does not describe, 4 lagging more than
// --max-lag (status), 5 no readable state (status), 6 the state belongs to
// another endpoint or organization (tail), 130 interrupted (logs, drift,
// schemas, actions; tail exits 0 on SIGINT and SIGTERM, and reopens --out on
// SIGHUP).
// Run "auditlogs help" and "auditlogs <command> --help" for the details.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// Exit codes.
const (
	exitOK      = 0
	exitError   = 1 // runtime or API error
	exitUsage   = 2 // bad flag, bad value, unknown command, no token
	exitDrift   = 3 // drift found something the spec does not describe
	exitLagging = 4 // status: the watermark is further behind than --max-lag
	exitNoState = 5 // status: the state file is missing or unreadable
	// exitStateMismatch: tail's state was collected from another endpoint
	// or organization (see --same-org).
	exitStateMismatch = 6
	exitInterrupted   = 130 // logs, drift, schemas or actions stopped by Ctrl-C
)

// hupSignals receives SIGHUP for tail (which reopens --out), set up first
// thing in main; nil in tests that call run.
var hupSignals <-chan os.Signal

func main() {
	// Signal handling comes first: a SIGHUP (logrotate's) right after tail
	// starts must not kill it.
	if len(os.Args) > 1 && os.Args[1] == "tail" {
		hup := make(chan os.Signal, 1)
		signal.Notify(hup, syscall.SIGHUP)
		hupSignals = hup
	}
	// The first SIGINT or SIGTERM cancels ctx: logs stops at once, tail
	// finishes the page in hand, checkpoints and exits 0. A second one exits
	// at once; tail's files are consistent at every instant, so that is safe.
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		cancel()
		<-sigs
		fmt.Fprintln(os.Stderr, "auditlogs: interrupted again, exiting now")
		os.Exit(exitInterrupted)
	}()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *env, args []string) int
}

var commands []command

func init() {
	// Set in init: runHelp refers to commands.
	commands = []command{
		{"logs", "print audit events once, newest first", runLogs},
		{"tail", "collect audit events continuously, resuming after a restart", runTail},
		{"drift", "report what audit events carry that the spec does not describe", runDrift},
		{"status", "report a tail collector's lag and last error from its state (a health check)", runStatus},
		{"schemas", "list the object types the API knows and their fields", runSchemas},
		{"actions", "list the action names the API knows, by category", runActions},
		{"version", "print the version of auditlogs, its library and Go", runVersion},
		{"help", "print this help, or a command's (auditlogs help logs)", runHelp},
	}
}

// env is what a command runs with: its streams and environment.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	redact         *redactor // stderr, with the token (once known) blanked out
}

// run runs the command line args (without the program name) and returns the
// exit code. It is main without the process: tests call it directly.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	red := &redactor{w: stderr}
	e := &env{stdin: stdin, stdout: stdout, stderr: red, getenv: getenv, redact: red}
	if len(args) == 0 {
		writeMainUsage(e.stderr)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help":
		writeMainUsage(e.stdout)
		return exitOK
	case "-version", "--version":
		name = "version"
	}
	if strings.HasPrefix(name, "-") {
		fmt.Fprintf(e.stderr, "auditlogs: the command comes first: auditlogs <command> [flags]\nRun 'auditlogs help' for the commands.\n")
		return exitUsage
	}
	for _, c := range commands {
		if c.name == name {
			return c.run(ctx, e, args[1:])
		}
	}
	fmt.Fprintf(e.stderr, "auditlogs: unknown command %s\nRun 'auditlogs help' for the commands.\n", quoteArg(name))
	return exitUsage
}

func runHelp(_ context.Context, e *env, args []string) int {
	if len(args) == 0 {
		writeMainUsage(e.stdout)
		return exitOK
	}
	for _, c := range commands {
		if c.name == args[0] && c.name != "help" {
			return c.run(context.Background(), e, []string{"--help"})
		}
	}
	fmt.Fprintf(e.stderr, "auditlogs: unknown command %s\nRun 'auditlogs help' for the commands.\n", quoteArg(args[0]))
	return exitUsage
}

func writeMainUsage(w io.Writer) {
	var b strings.Builder
	b.WriteString(`auditlogs reads the audit logs of a Slack Enterprise Grid organization.

Usage:
  auditlogs <command> [flags]

Commands:
`)
	for _, c := range commands {
		fmt.Fprintf(&b, "  %-8s  %s\n", c.name, c.summary)
	}
	b.WriteString(`
Run 'auditlogs <command> --help' for a command's flags and examples.

Authentication:
  /logs needs a user token (xoxp-...) with the auditlogs:read scope, from an
  app installed by an owner on the Enterprise Grid organization (not on one
  of its workspaces). Put it in the SLACK_AUDIT_TOKEN environment variable,
  or in a file named by --token-file (--token-file - reads it from stdin).
  There is no --token flag: a token on the command line shows in ps and in
  shell history. Add --demo to any command to run it against a built-in fake
  organization, with no token and no network.

Environment:
  SLACK_AUDIT_TOKEN     the token, unless --token-file is given
  SLACK_AUDIT_BASE_URL  the API's base URL (default https://api.slack.com/audit/v1/)

Exit codes:
  0    success (tail: also when stopped by SIGINT or SIGTERM)
  1    runtime or API error: refused token, network, Slack, files
  2    usage error: bad flag or value, unknown command, no token
  3    drift: found something the spec does not describe
  4    status: the collector lags more than --max-lag
  5    status: the state file is missing or unreadable
  6    tail: the state was collected from another endpoint or organization
  130  logs, drift, schemas or actions interrupted (Ctrl-C)

Examples:
  auditlogs logs --demo --format table
  SLACK_AUDIT_TOKEN=$(cat ~/.slack-audit) auditlogs logs --oldest 24h --action user_login
  auditlogs logs --token-file ~/.slack-audit --oldest 7d --format csv --out week.csv
  auditlogs tail --token-file /etc/auditlogs/token --state /var/lib/auditlogs/state.json --out /var/log/slack-audit.jsonl
  auditlogs actions --demo
  auditlogs drift --from week.jsonl
`)
	io.WriteString(w, b.String())
}
