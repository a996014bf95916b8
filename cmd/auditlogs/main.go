// Command auditlogs reads the audit logs of a Slack Enterprise Grid
// organization, on top of the github.com/slackaudit/auditlogs library:
//
//	auditlogs logs      print events once, newest first (json, table or csv)
//	auditlogs tail      collect events continuously, crash-safe, resumable
//	auditlogs drift     report what events carry that the spec does not describe
//	auditlogs verify    prove that collected files hold every event of a range once
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
// another endpoint or organization (tail), 130 interrupted by SIGINT and
// 143 by SIGTERM (logs, drift, schemas, actions; tail exits 0 on the first
// SIGINT or SIGTERM, and reopens --out on SIGHUP).
// Run "auditlogs help" and "auditlogs help COMMAND" for the details.
package main

import (
	"context"
	"errors"
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
	exitInterrupted   = 130 // logs, drift, schemas or actions stopped by SIGINT (Ctrl-C)
	exitTerminated    = 143 // the same, stopped by SIGTERM
)

// hupSignals receives SIGHUP for tail (which reopens --out), set up first
// thing in main; nil in tests that call run.
var hupSignals <-chan os.Signal

// errTerminated is the cause of the cancellation SIGTERM makes: run then
// exits 143 where SIGINT would exit 130.
var errTerminated = errors.New("terminated by SIGTERM")

func main() {
	// Signal handling comes first: a SIGHUP (logrotate's) right after tail
	// starts must not kill it.
	if len(os.Args) > 1 && os.Args[1] == "tail" {
		hup := make(chan os.Signal, 1)
		signal.Notify(hup, syscall.SIGHUP)
		hupSignals = hup
	}
	// The first SIGINT or SIGTERM cancels ctx: logs stops at once, tail
	// abandons the request or wait in hand, checkpoints what it wrote and
	// exits 0. A second one exits at once; tail's files are consistent at
	// every instant, so that is safe.
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		if <-sigs == syscall.SIGTERM {
			cancel(errTerminated)
		} else {
			cancel(context.Canceled)
		}
		code := exitInterrupted
		if <-sigs == syscall.SIGTERM {
			code = exitTerminated
		}
		fmt.Fprintln(os.Stderr, "auditlogs: signalled again, exiting now")
		os.Exit(code)
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
		{"verify", "prove that collected files hold every event of a range exactly once", runVerify},
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
		fmt.Fprintf(e.stderr, "auditlogs: the command comes first: auditlogs COMMAND [flags]\nRun 'auditlogs help' for the commands.\n")
		return exitUsage
	}
	for _, c := range commands {
		if c.name == name {
			code := c.run(ctx, e, args[1:])
			if code == exitInterrupted && errors.Is(context.Cause(ctx), errTerminated) {
				code = exitTerminated
			}
			return code
		}
	}
	return unknownCommand(e, name)
}
