package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/slackaudit/auditlogs/collect"
	"github.com/slackaudit/auditlogs/internal/filesink"
)

var tailSpec = cmdSpec{
	name: "tail",
	synopsis: "--state FILE [--out FILE] [--oldest TIME] [--once] [--interval DURATION] [--settle DURATION] [--lookback DURATION] " +
		"[--action NAME[,NAME...]] [--actor ID] [--entity ID] [--exclude-action NAME[,NAME...]] [--log-format text|json]",
	about: `Collect audit events continuously, as JSON lines exactly as Slack sent them,
and resume where it stopped after a restart, a crash or kill -9.

tail reads closed time windows [oldest, latest], where latest is --settle
before now, paging through each with a cursor, then sleeps --interval and
reads the next window, which starts at the previous one's latest second.
Events of that shared second already written are skipped. A window spans at
most --max-window, so a long backfill moves forward in steps. Once a window
is --lookback old, tail reads it again and writes the events Slack indexed
late (each is logged on stderr); --lookback 0 turns that off.

After every page, tail appends the page's events to --out in one write and
fsyncs it, then checkpoints to --state (saved atomically, and at least as
often as the state's size in output bytes). On start it cuts --out back to
the size the state records, if it is still the file the state names, and
goes on from the checkpoint. So with --out, no event is lost or written
twice, whenever tail is stopped. Without --out, events go to stdout and a
crash can repeat the last page (at least once). --out must not be a symbolic
link; a second tail on the same --state or --out is refused.

The first run starts at --oldest (default 24h ago; --start is its old name);
later runs ignore --oldest and resume from the state. tail has no --latest:
it collects up to now minus --settle and goes on (with --once, it stops
there); for a closed range of time use 'auditlogs logs --oldest TIME
--latest TIME --out FILE'. A state made with other --action, --actor,
--entity or --exclude-action filters is refused (exit 2; the order of the
names and repeated names do not matter), and so is a state tail did not
write (exit 1, naming the file and the field). The state also records
--settle, --interval, --lookback, --max-window and --once of the last run,
from which auditlogs status derives its default bound on the lag. It also
records the endpoint (--base-url, without credentials) and the organization
(the enterprise ID of the events' context.location) it was collected from:
resuming it against another one is refused with exit 6 before anything is
written, unless --same-org says they are the same organization. SIGINT or
SIGTERM stops tail within seconds, whatever it is doing (a request or a wait
is abandoned: a page is written whole or not at all), checkpoints and exits
0. With --once, tail reads the windows up to now minus --settle, and the
re-reads due, and exits: for cron, tests and the demo. Errors that may pass
(network, 429, 5xx) are retried with a growing pause unless --once is given;
a refused token exits 1. A disk error names the file (write output FILE,
save state FILE) and exits 1.

Rotation: SIGHUP makes tail finish the page in hand, checkpoint, and open
--out again by its path, so logrotate's create mode (move the file, then
signal) starts a new file and the state follows it. Before each page tail
also checks the file it writes to: moved, replaced, deleted or truncated under
it (logrotate's copytruncate), it says so on stderr and goes on without a NUL
hole, a torn line or a duplicate; a copytruncate copy that missed the last
lines written gets them again in the emptied file. Passing another --out file
on a restart also works. See the README for logrotate configurations.

--log-format text or json logs each window, page, retry, wait, late event
and rotation (with entry counts) to stderr through log/slog; without it tail
prints only warnings, late events and what it did about a rotation. With
--log-format, every line on stderr is a record of that format: --debug's
records, and the error tail exits on, included.

Side files: the state is saved to FILE.tmp beside --state, then renamed over
it (FILE.newPID when it is first created); a crash may leave one behind:
the next save replaces FILE.tmp, and a FILE.newPID left may be deleted. The locks that refuse a second tail are flock(2)
locks on the state and output files themselves: there are no lock files.
With --demo and --out FILE but no --state, the state is FILE.state.json, so
a second run goes on where the first stopped (tail says so on stderr); with
--demo alone it is a temporary file, removed at exit. Rotation leaves the
files logrotate made (see the README); tail makes no other file.`,
	exits: "0 success (also when stopped by SIGINT or SIGTERM), 1 runtime or API error, 2 usage error (--latest included) or other filters, " +
		"6 state collected from another endpoint or organization (see --same-org)",
	examples: `  auditlogs tail --demo --once
  auditlogs tail --state /var/lib/auditlogs/state.json --out /var/log/slack/audit.jsonl
  auditlogs tail --state state.json --action user_login | your-siem-forwarder
  auditlogs tail --state state.json --out audit.jsonl --oldest 2025-01-01 --once   # backfill, from cron
  auditlogs tail --state state.json --out /var/log/slack/audit.jsonl --log-format json   # logrotate-friendly`,
}

// tailLatestRefused is tail's answer to --latest: it has no end.
const tailLatestRefused = "tail has no end: it collects up to now minus --settle, and goes on (with --once, it stops there); " +
	"for a closed range use 'auditlogs logs --oldest TIME --latest TIME --out FILE'"

// demoStateSuffix names the state of tail --demo --out FILE without
// --state: FILE + demoStateSuffix.
const demoStateSuffix = ".state.json"

func runTail(ctx context.Context, e *env, args []string) int {
	var g globalFlags
	var f filterFlags
	var r rangeFlags
	var interval, settle, maxWindow, lookback time.Duration
	var logFormat string
	fs := newFlagSet(tailSpec, &g)
	f.register(fs)
	statePath := fs.String("state", "", "checkpoint to `FILE` after every page, and resume from it (required, except with --demo)")
	outPath := fs.String("out", "", "append to `FILE` (mode 0600) instead of stdout: exactly once, even after a crash")
	durationVar(fs, &interval, "interval", time.Minute, "pause between windows once caught up")
	durationVar(fs, &settle, "settle", 2*time.Minute, "read only events older than this, since late events do arrive")
	r.registerOldest(fs, clock, "on the first run, collect from `TIME` (default 24h ago); ignored when resuming")
	aliasVar(fs, "start", "oldest")
	refuseVar(fs, "latest", tailLatestRefused)
	durationVar(fs, &maxWindow, "max-window", 24*time.Hour, "the longest time window one pass reads (a backfill moves in such steps)")
	durationVar(fs, &lookback, "lookback", collect.DefaultLookback, "read each window again once it is this old, to write the events Slack indexed late (0: never)")
	once := fs.Bool("once", false, "read the windows up to now minus --settle, then exit")
	sameOrg := fs.Bool("same-org", false, "resume a state made against another endpoint or organization: they are the same one (a proxy, a new address)")
	namedFormatVar(fs, "log-format", &logFormat, "", []string{"text", "json"}, nil,
		"log windows, pages, retries, waits and rotations to stderr as log/slog records, --debug's too; "+
			"default: warnings and rotations only, as plain lines")
	if ok, code := parseFlags(e, fs, tailSpec, &g, args); !ok {
		return code
	}
	switch {
	case f.check() != nil:
		return usageError(e, "tail", "%v", f.check())
	case *statePath == "" && !g.demo:
		return usageError(e, "tail", "--state FILE is required: it is how tail resumes without loss")
	case interval <= 0:
		return usageError(e, "tail", "--interval must be positive, such as 30s or 1m")
	case maxWindow < time.Second:
		return usageError(e, "tail", "--max-window must be at least 1s")
	case *outPath != "" && *statePath != "" && sameFile(*outPath, *statePath):
		return usageError(e, "tail", "--out and --state must be different files")
	}
	ops := opsLogger(e.stderr, logFormat, g.debug)
	g.opsLog = ops // with --debug, the debug logger too: every line in --log-format
	ci, code := newClient(e, &g, true)
	if code != 0 {
		return code
	}
	defer ci.close()

	t := &tailer{
		e: e, ci: ci, statePath: *statePath, outPath: *outPath,
		filters:  tailFilters(&f),
		limit:    f.limit,
		interval: interval, settle: settle, maxWindow: maxWindow, once: *once, lookback: lookback,
		start: r.oldest.t, now: clock,
		log: ci.logger, hup: hupSignals, ops: ops, sameOrg: *sameOrg,
	}
	if t.log == nil {
		t.log = slog.New(slog.DiscardHandler)
	}
	if t.start.IsZero() {
		t.start = clock().Add(-24 * time.Hour)
	}
	switch {
	case t.statePath != "":
	case t.outPath != "": // --demo --out FILE: a state beside it, so a second run goes on
		t.statePath = t.outPath + demoStateSuffix
		t.notice("--demo without --state: the state is kept beside --out", "state", t.statePath)
	default: // --demo to stdout: a throwaway state
		dir, err := os.MkdirTemp("", "auditlogs-demo-")
		if err != nil {
			return reportError(e, err, ci)
		}
		defer os.RemoveAll(dir)
		t.statePath = filepath.Join(dir, "state.json")
	}
	return t.main(ctx)
}

// tailFilters are the filters a state records: each list sorted, without
// duplicates, so that --action b,a and --action a,b are one collection.
func tailFilters(f *filterFlags) filesink.Filters {
	return normalFilters(filesink.Filters{Action: strings.Join(f.actions, ","), Actor: strings.Join(f.actors, ","),
		Entity: strings.Join(f.entities, ","), Exclude: strings.Join(f.excludes, ",")})
}

// normalFilters returns f with each list sorted and without duplicates: a
// state from before filters were sorted compares equal to this run's.
func normalFilters(f filesink.Filters) filesink.Filters {
	sorted := func(s string) string {
		xs := splitList(s)
		slices.Sort(xs)
		return strings.Join(slices.Compact(xs), ",")
	}
	return filesink.Filters{Action: sorted(f.Action), Actor: sorted(f.Actor), Entity: sorted(f.Entity), Exclude: sorted(f.Exclude)}
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

	lookback time.Duration

	sink *filesink.Sink
	st   *filesink.State // the sink's
	mu   sync.Mutex      // the sink: a page's delivery, a SIGHUP's reopen
	w    entryWriter
	prog *progress

	window  collect.Window   // the window of the last page, for the logs
	reread  bool             // and whether it was a re-read
	hup     <-chan os.Signal // SIGHUP: reopen --out by its path
	pageBuf bytes.Buffer     // the page being written, sent in one write
}

// sinkWrote, if set (by tests), is told what the file sink wrote so far,
// after each page and when a run of tail ends (closed).
var sinkWrote func(w filesink.Written, closed bool)

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
		return t.fail(exitError, fmt.Sprintf("state %s: %v", t.statePath, err))
	}
	if err != nil {
		return t.fail(exitError, err.Error())
	}
	t.sink, t.st = sink, sink.State()
	clean := true
	defer func() {
		if err := t.sink.Close(clean); err != nil {
			t.fail(exitError, err.Error())
		}
		if sinkWrote != nil {
			sinkWrote(t.sink.Written(), true)
		}
	}()
	if normalFilters(t.st.Filters) == t.filters {
		t.filters = t.st.Filters // as the state spells them, which its checkpoint records too
	}
	if t.st.Filters != t.filters {
		return t.fail(exitUsage, fmt.Sprintf("state %s was made with other filters (%s) than this run's (%s).\n"+
			"Resuming would mix two collections: use the same filters, or another --state file.",
			t.statePath, describeFilters(t.st.Filters), describeFilters(t.filters)))
	}
	sec := func(d time.Duration) int64 { return int64(d / time.Second) }
	t.st.Schedule = &filesink.Schedule{Settle: sec(t.settle), Interval: sec(t.interval), Lookback: sec(t.lookback),
		MaxWindow: sec(t.maxWindow), Once: t.once} // saved by Begin
	t.log.Debug("tail: state", "start", t.st.Start.Format(time.RFC3339), "resuming", t.st.Checkpoint != nil)
	if err := t.checkEndpoint(); err != nil {
		return t.fail(exitStateMismatch, err.Error())
	}
	if err := t.sink.Begin(); err != nil {
		var se *filesink.SymlinkError
		if errors.As(err, &se) {
			return t.fail(exitUsage, err.Error()+"\nRun 'auditlogs tail --help' for usage.")
		}
		return t.fail(exitError, err.Error())
	}
	cp, err := checkpointOf(t.st.Checkpoint)
	if err != nil {
		return t.fail(exitError, fmt.Sprintf("state file %s: field \"checkpoint\": %v", t.statePath, err))
	}
	t.w, _ = newEntryWriter(formatJSONL, &t.pageBuf)
	// No progress line with --log-format: stderr holds records only.
	t.prog = newProgress(t.ci, t.e.stderr, t.ops != nil || (t.outPath == "" && isTerminal(t.e.stdout)))

	col := collect.New(t.ci.Client, t, collect.WithFilters(t.collectParams()), collect.WithStart(t.st.Start),
		collect.WithSettle(t.settle), collect.WithInterval(t.interval), collect.WithMaxWindow(t.maxWindow),
		collect.WithLookback(t.lookback), collect.WithOnce(t.once), collect.WithLogger(t.engineLogger()),
		collect.WithClock(t.now), collect.WithRetryHook(t.retried))
	// SIGHUP while the collector waits (between windows, in a backoff):
	// reopen --out now. During a page, the page goes first (mu).
	hupDone := make(chan struct{})
	defer close(hupDone)
	go t.watchHUP(hupDone)

	err = col.Run(ctx, cp)
	t.prog.done()
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		err = nil // stopped by a signal, after the last page delivered
	}
	var oe *filesink.OutputError
	clean = !errors.As(err, &oe)
	if err != nil {
		msg, code := explain(err, t.ci)
		t.mu.Lock()
		_ = t.sink.RecordError(redactTokens(firstLine(msg)), true)
		t.mu.Unlock()
		var owner *ownerError
		if errors.As(err, &owner) {
			return t.fail(exitStateMismatch, owner.Error())
		}
		return t.fail(code, msg)
	}
	return exitOK
}

// fail reports the error that ends the run, msg, and returns code: a
// plain line, or with --log-format an error record.
func (t *tailer) fail(code int, msg string) int {
	if t.ops != nil {
		t.ops.Error(msg, "exit", code)
		return code
	}
	fmt.Fprintln(t.e.stderr, "auditlogs: "+msg)
	return code
}

// recordError keeps an error's message in the state for auditlogs status.
func (t *tailer) recordError(msg string) {
	_ = t.sink.RecordError(redactTokens(firstLine(msg)), false) // a failed save changes nothing: the error is reported anyway
}

func describeFilters(f filesink.Filters) string {
	return fmt.Sprintf("--action %q --actor %q --entity %q --exclude-action %q", f.Action, f.Actor, f.Entity, f.Exclude)
}

// watchHUP reopens --out on SIGHUP until done is closed: after the page in
// hand, since Deliver holds mu.
func (t *tailer) watchHUP(done <-chan struct{}) {
	for {
		select {
		case <-done:
			return
		case <-t.hup:
			t.mu.Lock()
			err := t.reopen()
			t.mu.Unlock()
			if err != nil {
				t.notice("warning: SIGHUP: " + err.Error())
			}
		}
	}
}

// serviceHUP reopens --out if SIGHUP came since the last look; Deliver
// calls it after each page, so an error stops the collection.
func (t *tailer) serviceHUP() error {
	select {
	case <-t.hup:
		t.mu.Lock()
		defer t.mu.Unlock()
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

// splitList splits a comma-separated list saved in the state; "" is none.
func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}
