package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/slackaudit/auditlogs"
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
	// SIGHUP reopens --out (after logrotate moved it) instead of killing tail.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

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
		filters:  stateFilters{Action: f.action, Actor: f.actor, Entity: f.entity, Exclude: strings.Join(f.excluded(), ",")},
		limit:    f.limit,
		interval: *interval, settle: *settle, maxWindow: *maxWindow, once: *once,
		start: start.t, now: clock,
		log: ci.logger, hup: hup, ops: ops, sameOrg: *sameOrg,
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

// tailer is one run of tail.
type tailer struct {
	e                           *env
	ci                          *clientInfo
	statePath, outPath          string
	filters                     stateFilters
	limit                       int
	interval, settle, maxWindow time.Duration
	once                        bool
	sameOrg                     bool
	start                       time.Time
	now                         func() time.Time
	log                         *slog.Logger // --debug
	ops                         *slog.Logger // --log-format; nil: plain lines

	st   *tailState
	out  *os.File // the --out file; nil when writing to stdout
	w    entryWriter
	prog *progress

	hup          <-chan os.Signal // SIGHUP: reopen --out by its path
	pageBuf      bytes.Buffer     // the page being written to --out, sent in one write
	tail         []byte           // --out's last bytes before the checkpoint (see TailSum)
	recent       []byte           // the last writes to --out, contiguous (see keepRecent),
	recentAt     int64            // from this offset,
	recentWrites []int            // and the length of each
	fileEntries  int64            // entries written to the current --out file
	movedNoted   bool             // said that --out was moved away
}

// errStopped means a signal asked tail to stop after the page in hand.
var errStopped = errors.New("stopped")

// writeError is a failure to write the output: the file may hold part of a
// page beyond the checkpoint.
type writeError struct{ err error }

func (e *writeError) Error() string { return "write output: " + e.err.Error() }
func (e *writeError) Unwrap() error { return e.err }

func (t *tailer) main(ctx context.Context) int {
	release, err := lockState(t.statePath)
	if err != nil {
		fmt.Fprintf(t.e.stderr, "auditlogs: state %s: %v\n", t.statePath, err)
		return exitError
	}
	defer release()
	st, err := loadState(t.statePath)
	if err != nil {
		fmt.Fprintln(t.e.stderr, "auditlogs: "+err.Error())
		return exitError
	}
	if st == nil {
		st = &tailState{Version: stateVersion, Filters: t.filters, Watermark: t.start.Unix(), BoundaryIDs: []string{}}
		t.log.Debug("tail: new state", "start", t.start.UTC().Format(time.RFC3339))
	} else if st.Filters == t.filters {
		t.log.Debug("tail: resuming (--start, if given, is ignored)", "watermark", unixUTC(st.Watermark), "mid_window", st.Window != nil)
	} else {
		fmt.Fprintf(t.e.stderr, "auditlogs: state %s was made with other filters (%s) than this run's (%s).\n"+
			"Resuming would mix two collections: use the same filters, or another --state file.\n",
			t.statePath, describeFilters(st.Filters), describeFilters(t.filters))
		return exitUsage
	}
	t.st = st
	if err := t.checkEndpoint(); err != nil {
		fmt.Fprintln(t.e.stderr, "auditlogs: "+err.Error())
		return exitStateMismatch
	}
	if err := t.openOutput(); err != nil {
		fmt.Fprintln(t.e.stderr, "auditlogs: "+err.Error())
		return exitError
	}
	if t.out != nil {
		defer t.out.Close()
	}
	t.st.CleanStop = false
	if err := t.st.save(t.statePath); err != nil {
		fmt.Fprintln(t.e.stderr, "auditlogs: "+err.Error())
		return exitError
	}
	t.prog = newProgress(t.ci, t.e.stderr, t.out == nil && isTerminal(t.e.stdout))

	err = t.loop(ctx)
	t.prog.done()
	var we *writeError
	t.st.CleanStop = !errors.As(err, &we)
	if err != nil {
		msg, _ := explain(err, t.ci)
		t.recordError(msg, true)
	}
	if serr := t.st.save(t.statePath); serr != nil && err == nil {
		err = serr
	}
	if err != nil {
		if errors.As(err, &we) {
			fmt.Fprintln(t.e.stderr, "auditlogs: "+err.Error())
			return exitError
		}
		var oe *ownerError
		if errors.As(err, &oe) {
			fmt.Fprintln(t.e.stderr, "auditlogs: "+err.Error())
			return exitStateMismatch
		}
		return reportError(t.e, err, t.ci)
	}
	return exitOK
}

// recordError keeps an error's message in the state for auditlogs status,
// and saves the state when tail goes on (when it exits, it saves it anyway).
func (t *tailer) recordError(msg string, fatal bool) {
	t.st.LastError = &stateError{Time: t.now().UTC().Truncate(time.Second), Message: redactTokens(firstLine(msg)), Fatal: fatal}
	if !fatal {
		_ = t.st.save(t.statePath) // a failed save changes nothing: the error is reported anyway
	}
}

func describeFilters(f stateFilters) string {
	return fmt.Sprintf("--action %q --actor %q --entity %q --exclude-action %q", f.Action, f.Actor, f.Entity, f.Exclude)
}

// loop reads windows until --once is done, a signal, or an error that will
// not pass.
func (t *tailer) loop(ctx context.Context) error {
	failures, refusals := 0, 0
	for {
		if ctx.Err() != nil {
			return nil
		}
		if t.st.Window == nil && !t.openWindow() {
			if t.once {
				return nil
			}
			t.prog.show(fmt.Sprintf("caught up to %s, next look in %s", unixUTC(t.st.Watermark), t.interval))
			if ok, err := t.sleep(ctx, t.interval); !ok || err != nil {
				return err
			}
			continue
		}
		err := t.readWindow(ctx)
		switch {
		case err == nil:
			failures, refusals = 0, 0
			continue
		case errors.Is(err, errStopped):
			return nil
		case errors.Is(err, auditlogs.ErrInvalidCursor), errors.Is(err, auditlogs.ErrRepeatedCursor):
			// The window's cursor is no good: read the window again.
			if rerr := t.restartWindow(err); rerr != nil {
				return rerr
			}
			if refusals++; refusals <= 3 {
				continue
			}
		}
		if t.once || !transient(err) {
			return err
		}
		failures++
		wait := t.interval // doubles with each failure in a row, up to 15 minutes
		for i := 1; i < failures && wait < 15*time.Minute; i++ {
			wait *= 2
		}
		wait = min(wait, max(t.interval, 15*time.Minute))
		msg, _ := explain(err, t.ci)
		t.prog.done()
		t.recordError(msg, false)
		fmt.Fprintf(t.e.stderr, "auditlogs: warning: %s; trying again in %s\n", firstLine(msg), wait)
		if ok, err := t.sleep(ctx, wait); !ok || err != nil {
			return err
		}
	}
}

// openWindow starts the next window, if there is settled time after the
// watermark, and reports whether it did.
func (t *tailer) openWindow() bool {
	end := t.now().Add(-t.settle).Unix()
	oldest := t.st.Watermark
	if end <= oldest {
		return false
	}
	latest := min(end, oldest+int64(t.maxWindow/time.Second))
	t.st.Window = &stateWindow{Oldest: oldest, Latest: latest, Limit: t.limit, IDsAtLatest: []string{}}
	if o := t.st.Output; o != nil {
		o.WindowOffset = o.Offset
	}
	t.event("window start", "oldest", unixUTC(oldest), "latest", unixUTC(latest))
	return true
}

// readWindow pages through the current window from its saved cursor,
// writing and checkpointing every page. It returns nil when the window is
// done, errStopped after a page if a signal came.
func (t *tailer) readWindow(ctx context.Context) error {
	w := t.st.Window
	p := auditlogs.LogsParams{
		Oldest: time.Unix(w.Oldest, 0), Latest: time.Unix(w.Latest, 0), Limit: w.Limit,
		Action: t.filters.Action, Actor: t.filters.Actor, Entity: t.filters.Entity,
		ExcludeActions: splitList(t.filters.Exclude),
		Cursor:         w.Cursor,
	}
	boundary := make(map[string]bool, len(t.st.BoundaryIDs))
	for _, id := range t.st.BoundaryIDs {
		boundary[id] = true
	}
	// A signal lets the page in hand finish: requests do not see it.
	reqCtx := context.WithoutCancel(ctx)
	for page, err := range t.ci.Pages(reqCtx, p) {
		if err != nil {
			return err
		}
		if err := t.writePage(page, boundary); err != nil {
			return err
		}
		if t.st.Window == nil {
			return nil
		}
		if ctx.Err() != nil {
			return errStopped
		}
	}
	return errors.New("paging ended before the last page") // Pages never does this
}

// writePage writes a page's new events, makes them durable, then
// checkpoints: the output is always at least as far as the state says.
func (t *tailer) writePage(page *auditlogs.Page, boundary map[string]bool) error {
	if err := t.checkPageOrg(page); err != nil {
		return err
	}
	w := t.st.Window
	n := 0
	var atLatest []string
	t.pageBuf.Reset()
	for i := range page.Entries {
		en := &page.Entries[i]
		if en.DateCreate < w.Oldest || en.DateCreate > w.Latest {
			// Outside the window asked for: it belongs to another window.
			t.log.Debug("tail: skipped an event outside the window", "id", en.ID, "date_create", en.DateCreate)
			continue
		}
		key := entryKey(en.ID, en.Raw())
		if en.DateCreate == w.Oldest && boundary[key] {
			continue // written by the previous window
		}
		if err := t.w.Write(en); err != nil {
			return &writeError{err}
		}
		n++
		if en.DateCreate == w.Latest {
			atLatest = append(atLatest, key)
		}
	}
	if err := t.w.EndPage(); err != nil {
		return &writeError{err}
	}
	if t.out != nil {
		// Right before the write: a rotation since the last page is dealt
		// with here (see rotate.go).
		again, err := t.checkOutput()
		if err != nil {
			return err
		}
		if err := t.writeOut(again, t.pageBuf.Bytes()); err != nil {
			return err
		}
		t.fileEntries += int64(n)
	} else if f, ok := t.e.stdout.(*os.File); ok {
		_ = f.Sync() // a redirect to a file: make it durable too; a pipe cannot be
	}

	w.Pages++
	w.Cursor = page.NextCursor
	t.st.Checkpointed = t.now().UTC().Truncate(time.Second)
	w.IDsAtLatest = append(w.IDsAtLatest, atLatest...)
	t.st.Entries += int64(n)
	note := fmt.Sprintf("window %s to %s", unixUTC(w.Oldest), unixUTC(w.Latest))
	done := page.NextCursor == ""
	if done {
		t.st.Watermark = w.Latest
		t.st.BoundaryIDs = w.IDsAtLatest
		t.st.Window = nil
		if o := t.st.Output; o != nil {
			o.WindowOffset = o.Offset
		}
	}
	if err := t.st.save(t.statePath); err != nil {
		return err
	}
	t.event("page", "entries", n, "received", len(page.Entries)+page.Excluded, "excluded", page.Excluded, "window_pages", w.Pages, "entries_written", t.st.Entries)
	if done {
		t.event("window done", "oldest", unixUTC(w.Oldest), "latest", unixUTC(w.Latest), "pages", w.Pages,
			"entries_written", t.st.Entries)
	}
	t.prog.page(n, note)
	return t.serviceHUP() // the page in hand is done and checkpointed
}

// restartWindow makes the current window start over after its cursor was
// refused. With --out it first cuts the file back to the window's start, so
// the window's events are not written twice: the state is saved before the
// file is cut, so the file is never shorter than the state says.
func (t *tailer) restartWindow(cause error) error {
	w := t.st.Window
	if w == nil {
		return cause
	}
	o := t.st.Output
	cut := o != nil && o.WindowOffset >= 0
	if w.Pages > 0 && !cut {
		t.prog.done()
		fmt.Fprintln(t.e.stderr, "auditlogs: warning: Slack refused the cursor: reading the window again; "+
			"its first events may be written twice (only --out can cut them back)")
	}
	t.log.Debug("tail: window restarted", "cause", cause.Error(), "oldest", unixUTC(w.Oldest))
	w.Cursor, w.Pages, w.IDsAtLatest = "", 0, []string{}
	if cut {
		o.Offset = o.WindowOffset
	}
	if err := t.st.save(t.statePath); err != nil {
		return err
	}
	if cut {
		if err := cutFile(t.out, o.Offset); err != nil {
			return &writeError{err}
		}
		tail, err := readTail(t.out, o.Offset)
		if err != nil {
			return &writeError{err}
		}
		t.tail, t.recent, t.recentAt, t.recentWrites = tail, nil, o.Offset, nil
		o.TailSum = sumHex(tail)
	}
	return nil
}

// openOutput opens --out and brings it back to the checkpoint, or sets up
// stdout. A previous output file (another --out) is brought back to its
// checkpoint if it is still there.
func (t *tailer) openOutput() error {
	st := t.st
	abs := ""
	if t.outPath != "" {
		var err error
		if abs, err = filepath.Abs(t.outPath); err != nil {
			return err
		}
	}
	if o := st.Output; o != nil && o.Path != abs {
		t.leave(o)
		st.Output = nil
	}
	if abs == "" {
		t.w, _ = newEntryWriter(formatJSONL, t.e.stdout)
		return nil
	}
	if st.Output != nil {
		return t.resumeOutput(abs)
	}
	f, _, err := openOutFile(abs)
	if err != nil {
		return fmt.Errorf("open --out: %w", err)
	}
	if err := t.adopt(f, abs); err != nil {
		f.Close()
		return err
	}
	return nil
}

// leave brings the output of a previous run, which this run will not write
// to, back to its checkpoint, if it is still there.
func (t *tailer) leave(o *stateOutput) {
	f, err := os.OpenFile(o.Path, os.O_RDWR, 0)
	if err != nil {
		return // moved away: nothing to repair
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > o.Offset {
		t.log.Debug("tail: cutting the previous output back to its checkpoint", "file", o.Path, "to", o.Offset)
		_ = cutFile(f, o.Offset)
	}
}

// cutFile truncates f to size, durably, and moves its offset there.
func cutFile(f *os.File, size int64) error {
	if err := f.Truncate(size); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	_, err := f.Seek(size, io.SeekStart)
	return err
}

// transient reports whether err may pass by itself: network trouble, 429,
// 5xx, a garbled answer. A refused token, bad parameters or a failed write
// will not.
func transient(err error) bool {
	var we *writeError
	var oe *ownerError
	var apiErr *auditlogs.APIError
	switch {
	case errors.As(err, &we), errors.As(err, &oe),
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
	return !errors.As(err, &pe) // a state file that cannot be saved will not fix itself
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
			if t.out == nil {
				t.event("SIGHUP: writing to stdout, nothing to reopen")
				continue
			}
			if err := t.reopen("SIGHUP"); err != nil {
				return false, err
			}
		}
	}
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

// splitList splits a comma-separated list saved in the state; "" is none.
func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}
