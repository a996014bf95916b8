package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/slackaudit/auditlogs"
	"github.com/slackaudit/auditlogs/internal/filesink"
)

var tailSpec = cmdSpec{
	name:     "tail",
	synopsis: "--state FILE [--out FILE] [--interval 1m] [--settle 2m] [--start T] [--once] [--action A] [--actor U] [--entity E] [--exclude-action A,B]",
	about: `Collect audit events continuously, as JSON lines exactly as Slack sent them,
and resume where it stopped after a restart, a crash or kill -9.

tail reads closed time windows [oldest, latest], where latest is --settle
before now (Slack's events may arrive a little late), paging through each with
a cursor, then sleeps --interval and reads the next window, which starts at the
previous one's latest second. Events of that shared second already written are
skipped. A window spans at most --max-window, so a long backfill moves forward
in steps.

After every page, tail fsyncs the output and then saves --state atomically
(JSON: the filters, the window, the cursor, the watermark, the boundary IDs,
the output's size). On start it cuts --out back to the size the state records
(dropping a page written just before a crash) and goes on from the saved
cursor; if Slack refuses that cursor, tail cuts --out back to the window's
start and reads the window again. So with --out, no event is lost or written
twice, whenever tail is stopped. Without --out, events go to stdout and a crash
can repeat the last page (at least once).

The first run starts at --start (default 24h ago); later runs ignore --start
and resume from the state. A state made with other --action, --actor,
--entity or --exclude-action filters is refused (exit 2). The state also records the endpoint
(--base-url, without credentials) and the organization (the enterprise ID of
the events' context.location) it was collected from: resuming it against
another one is refused with exit 6 before anything is written, unless
--same-org says they are the same organization. SIGINT or SIGTERM finishes the page in hand,
checkpoints and exits 0 (a second signal exits at once, which is safe too).
With --once, tail reads the windows up to now minus --settle and exits: for
cron, tests and the demo. Errors that may pass (network, 429, 5xx) are retried
with a growing pause unless --once is given; a refused token exits 1.

Rotation: SIGHUP makes tail finish the page in hand, checkpoint, and open
--out again by its path, so logrotate's create mode (move the file, then
signal) starts a new file and the state follows it. Before each page tail
also checks the file it writes to: moved, replaced, deleted or truncated under
it (logrotate's copytruncate), it says so on stderr and goes on without a NUL
hole, a torn line or a duplicate; a copytruncate copy that missed the last
lines written gets them again in the emptied file. Passing another --out file
on a restart also works. See the README for logrotate configurations.

--log-format text or json logs each window, page, retry, wait and rotation
(with entry counts) to stderr through log/slog; without it tail prints only
warnings and what it did about a rotation.`,
	exits: "0 success (also when stopped by SIGINT or SIGTERM), 1 runtime or API error, 2 usage error or other filters, " +
		"6 state collected from another endpoint or organization (see --same-org)",
	examples: `  auditlogs tail --demo --once
  auditlogs tail --state /var/lib/auditlogs/state.json --out /var/log/slack/audit.jsonl
  auditlogs tail --state state.json --action user_login | your-siem-forwarder
  auditlogs tail --state state.json --out audit.jsonl --start 2025-01-01 --once   # backfill, from cron
  auditlogs tail --state state.json --out /var/log/slack/audit.jsonl --log-format json   # logrotate-friendly`,
}

func runTail(ctx context.Context, e *env, args []string) int {
	var g globalFlags
	var f filterFlags
	start := &timeFlag{now: clock}
	fs := newFlagSet(tailSpec, &g)
	f.register(fs)
	statePath := fs.String("state", "", "checkpoint to `FILE` after every page, and resume from it (required, except with --demo)")
	outPath := fs.String("out", "", "append to `FILE` (mode 0600) instead of stdout: exactly once, even after a crash")
	interval := fs.Duration("interval", time.Minute, "pause between windows once caught up")
	settle := fs.Duration("settle", 2*time.Minute, "read only events older than this, since late events do arrive")
	fs.Var(start, "start", "on the first run, collect from `T` (default 24h ago); ignored when resuming")
	maxWindow := fs.Duration("max-window", 24*time.Hour, "the longest time window one pass reads (a backfill moves in such steps)")
	once := fs.Bool("once", false, "read the windows up to now minus --settle, then exit")
	sameOrg := fs.Bool("same-org", false, "resume a state made against another endpoint or organization: they are the same one (a proxy, a new address)")
	logFormat := fs.String("log-format", "", "log windows, pages, retries, waits and rotations to stderr as `text` or json (log/slog); default: warnings and rotations only, as plain lines")
	if ok, code := parseFlags(e, fs, tailSpec, &g, args); !ok {
		return code
	}
	switch {
	case f.check() != nil:
		return usageError(e, "tail", "%v", f.check())
	case *statePath == "" && !g.demo:
		return usageError(e, "tail", "--state FILE is required: it is how tail resumes without loss")
	case *interval <= 0:
		return usageError(e, "tail", "--interval must be positive")
	case *settle < 0:
		return usageError(e, "tail", "--settle must not be negative")
	case *logFormat != "" && *logFormat != "text" && *logFormat != "json":
		return usageError(e, "tail", "unknown --log-format %s: use text or json", quoteArg(*logFormat))
	case *maxWindow < time.Second:
		return usageError(e, "tail", "--max-window must be at least 1s")
	case *outPath != "" && *statePath != "" && sameFile(*outPath, *statePath):
		return usageError(e, "tail", "--out and --state must be different files")
	}
	ops := opsLogger(e.stderr, *logFormat, g.debug)
	if !g.debug {
		g.opsLog = ops
	}
	ci, code := newClient(e, &g, true)
	if code != 0 {
		return code
	}
	defer ci.close()

	t := &tailer{
		e: e, ci: ci, statePath: *statePath, outPath: *outPath,
		filters:  filesink.Filters{Action: f.action, Actor: f.actor, Entity: f.entity, Exclude: strings.Join(f.excluded(), ",")},
		limit:    f.limit,
		interval: *interval, settle: *settle, maxWindow: *maxWindow, once: *once,
		start: start.t, now: clock,
		log: ci.logger, hup: hupSignals, ops: ops, sameOrg: *sameOrg,
	}
	if t.log == nil {
		t.log = slog.New(slog.DiscardHandler)
	}
	if t.start.IsZero() {
		t.start = clock().Add(-24 * time.Hour)
	}
	if t.statePath == "" { // --demo without --state: a throwaway state
		dir, err := os.MkdirTemp("", "auditlogs-demo-")
		if err != nil {
			return reportError(e, err, ci)
		}
		defer os.RemoveAll(dir)
		t.statePath = filepath.Join(dir, "state.json")
	}
	return t.main(ctx)
}

// tailer is one run of tail: the collection loop (collect.go) around a
// file sink (internal/filesink), with the CLI's logs and signals.
type tailer struct {
	e                           *env
	ci                          *clientInfo
	statePath, outPath          string
	filters                     filesink.Filters
	limit                       int
	interval, settle, maxWindow time.Duration
	once                        bool
	sameOrg                     bool
	start                       time.Time
	now                         func() time.Time
	log                         *slog.Logger // --debug
	ops                         *slog.Logger // --log-format; nil: plain lines

	sink *filesink.Sink
	st   *filesink.State // the sink's
	cp   legacyCheckpoint
	w    entryWriter
	prog *progress

	hup     <-chan os.Signal // SIGHUP: reopen --out by its path
	pageBuf bytes.Buffer     // the page being written, sent in one write
}

// errStopped means a signal asked tail to stop after the page in hand.
var errStopped = errors.New("stopped")

// sinkConfig is the file sink's configuration for this run.
func (t *tailer) sinkConfig() filesink.Config {
	return filesink.Config{
		StatePath: t.statePath, OutPath: t.outPath, Stdout: t.e.stdout, Now: t.now,
		Notice:             t.notice,
		Debug:              func(msg string, args ...any) { t.log.Debug("tail: "+msg, args...) },
		ValidateCheckpoint: validateCheckpoint,
		Convert:            convertState,
	}
}

func (t *tailer) main(ctx context.Context) int {
	fresh := &filesink.State{Filters: t.filters, Start: t.start.UTC().Truncate(time.Second)}
	sink, err := filesink.Open(t.sinkConfig(), fresh)
	if errors.Is(err, filesink.ErrStateLocked) {
		fmt.Fprintf(t.e.stderr, "auditlogs: state %s: %v\n", t.statePath, err)
		return exitError
	}
	if err != nil {
		fmt.Fprintln(t.e.stderr, "auditlogs: "+err.Error())
		return exitError
	}
	t.sink, t.st = sink, sink.State()
	clean := true
	defer func() {
		if err := t.sink.Close(clean); err != nil {
			fmt.Fprintln(t.e.stderr, "auditlogs: "+err.Error())
		}
	}()
	if t.st.Filters != t.filters {
		fmt.Fprintf(t.e.stderr, "auditlogs: state %s was made with other filters (%s) than this run's (%s).\n"+
			"Resuming would mix two collections: use the same filters, or another --state file.\n",
			t.statePath, describeFilters(t.st.Filters), describeFilters(t.filters))
		return exitUsage
	}
	t.log.Debug("tail: state", "start", t.st.Start.Format(time.RFC3339), "resuming", t.st.Checkpoint != nil)
	if err := t.checkEndpoint(); err != nil {
		fmt.Fprintln(t.e.stderr, "auditlogs: "+err.Error())
		return exitStateMismatch
	}
	if err := t.sink.Begin(); err != nil {
		var se *filesink.SymlinkError
		if errors.As(err, &se) {
			return usageError(t.e, "tail", "%v", err)
		}
		fmt.Fprintln(t.e.stderr, "auditlogs: "+err.Error())
		return exitError
	}
	if err := t.loadCheckpoint(); err != nil {
		fmt.Fprintln(t.e.stderr, "auditlogs: "+err.Error())
		return exitError
	}
	t.w, _ = newEntryWriter(formatJSONL, &t.pageBuf)
	t.prog = newProgress(t.ci, t.e.stderr, t.outPath == "" && isTerminal(t.e.stdout))

	err = t.loop(ctx)
	t.prog.done()
	var oe *filesink.OutputError
	clean = !errors.As(err, &oe)
	if err != nil {
		msg, _ := explain(err, t.ci)
		_ = t.sink.RecordError(redactTokens(firstLine(msg)), true)
		var owner *ownerError
		if errors.As(err, &owner) {
			fmt.Fprintln(t.e.stderr, "auditlogs: "+err.Error())
			return exitStateMismatch
		}
		return reportError(t.e, err, t.ci)
	}
	return exitOK
}

// recordError keeps an error's message in the state for auditlogs status.
func (t *tailer) recordError(msg string) {
	_ = t.sink.RecordError(redactTokens(firstLine(msg)), false) // a failed save changes nothing: the error is reported anyway
}

func describeFilters(f filesink.Filters) string {
	return fmt.Sprintf("--action %q --actor %q --entity %q --exclude-action %q", f.Action, f.Actor, f.Entity, f.Exclude)
}

// transient reports whether err may pass by itself: network trouble, 429,
// 5xx, a garbled answer. A refused token, bad parameters, a failed write
// or save will not.
func transient(err error) bool {
	var oe *filesink.OutputError
	var se *filesink.StateError
	var owner *ownerError
	var apiErr *auditlogs.APIError
	switch {
	case errors.As(err, &oe), errors.As(err, &se), errors.As(err, &owner),
		errors.Is(err, auditlogs.ErrUnauthorized),
		errors.Is(err, auditlogs.ErrForbidden),
		errors.Is(err, auditlogs.ErrInvalidParams),
		errors.Is(err, auditlogs.ErrResponseTooLarge):
		return false
	case errors.As(err, &apiErr):
		return apiErr.StatusCode >= 500 || errors.Is(err, auditlogs.ErrRateLimited) ||
			errors.Is(err, auditlogs.ErrInvalidCursor)
	}
	var pe *os.PathError
	return !errors.As(err, &pe)
}

// sleep waits d, or until ctx is done, reopening --out on SIGHUP meanwhile;
// it reports whether it waited it all.
func (t *tailer) sleep(ctx context.Context, d time.Duration) (bool, error) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case <-timer.C:
			return true, nil
		case <-ctx.Done():
			return false, nil
		case <-t.hup:
			if err := t.reopen(); err != nil {
				return false, err
			}
		}
	}
}

// serviceHUP reopens --out if SIGHUP came since the last look.
func (t *tailer) serviceHUP() error {
	select {
	case <-t.hup:
		return t.reopen()
	default:
		return nil
	}
}

func (t *tailer) reopen() error {
	if t.outPath == "" {
		t.event("SIGHUP: writing to stdout, nothing to reopen")
		return nil
	}
	return t.sink.Reopen("SIGHUP")
}

func unixUTC(sec int64) string { return time.Unix(sec, 0).UTC().Format(time.RFC3339) }

func firstLine(s string) string {
	for i := range len(s) {
		if s[i] == '\n' {
			return s[:i]
		}
	}
	return s
}

// sameFile reports whether two paths name the same file, as far as can be
// told before either exists.
func sameFile(a, b string) bool {
	aa, err1 := filepath.Abs(a)
	bb, err2 := filepath.Abs(b)
	if err1 == nil && err2 == nil && aa == bb {
		return true
	}
	fa, err1 := os.Stat(a)
	fb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(fa, fb)
}
