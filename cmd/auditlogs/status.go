package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/slackaudit/auditlogs/collect"
	"github.com/slackaudit/auditlogs/internal/filesink"
)

// exitUnhealthy is status's exit code when, without --max-lag, the
// collection has not completed a window yet or its last error is newer than
// its last checkpoint.
const exitUnhealthy = 7

var statusSpec = cmdSpec{
	name:     "status",
	synopsis: "--state FILE [--max-lag DURATION] [--format table|json]",
	about: `Report how a tail collector is doing, from its state file alone (no token, no
network): the watermark (every event before it has been written) and how far
it lags behind now, the last checkpoint, the entries written, the window in
progress, the output, the late events the lookback recovered (in the last
24h, in all, the largest lateness), odd dates, cursor restarts, and the last
error tail met, if any. A state tail did not write (a watermark in the
future, for one) exits 5.

It is a health check for systemd, Kubernetes exec probes, Nagios or cron.
With --max-lag, it exits 0 when the state is readable and the watermark is
no further behind now than DURATION, 4 when it lags more. Without it, status
is not OK (exit 7) when the collection has not completed a window yet, or
when its last error is newer than its last checkpoint (tail is failing, or
waiting to retry); and it exits 4 when the watermark lags more than a bound
derived from the --settle and --interval tail records in the state: tail's
watermark lags by design by --settle plus --interval, and an idle collection
saves its state every 5 minutes, so the bound is twice --settle plus
--interval, plus 10m (16m for the defaults). The lookback does not hold the
watermark back and --max-window matters only while catching up, so neither
counts. A state of tail --once (from cron) or one written before tail
recorded them has no such bound: give --max-lag, some room above the cron
period plus --settle. --max-lag 0 turns the lag check off. A state file
missing or unreadable exits 5 (2 for a usage error).`,
	exits: "0 ok, 2 usage error, 4 lagging more than --max-lag (or the bound from tail's schedule), " +
		"5 state file missing or unreadable, 7 no window completed yet, or the last error is newer than the last checkpoint (without --max-lag)",
	examples: `  auditlogs status --state /var/lib/auditlogs/state.json
  auditlogs status --state /var/lib/auditlogs/state.json --max-lag 10m --format json
  auditlogs status --state state.json || systemctl restart slack-audit`,
}

// statusReport is what status prints with --format json.
type statusReport struct {
	OK             bool             `json:"ok"`
	Problem        string           `json:"problem,omitempty"`
	State          string           `json:"state"`
	Endpoint       string           `json:"endpoint,omitempty"`
	Org            string           `json:"org,omitempty"`
	Watermark      *time.Time       `json:"watermark,omitempty"`
	LagSeconds     *int64           `json:"lag_seconds,omitempty"`
	MaxLagSeconds  int64            `json:"max_lag_seconds,omitempty"`
	MaxLagFrom     string           `json:"max_lag_from,omitempty"` // "--max-lag" or "schedule"; "" when there is no bound
	Checkpoint     *time.Time       `json:"last_checkpoint,omitempty"`
	Saved          *time.Time       `json:"saved,omitempty"`
	EntriesWritten int64            `json:"entries_written"`
	Windows        int64            `json:"windows_completed"`
	Window         *statusWin       `json:"window"`
	Output         *filesink.Output `json:"output"`
	OutputReopened int64            `json:"output_reopened"`
	Late           *statusLate      `json:"collection,omitempty"`
	Schedule       *statusSchedule  `json:"schedule,omitempty"`
	CleanStop      bool             `json:"clean_stop"`
	LastError      *filesink.Error  `json:"last_error"`
}

// statusSchedule is how the last run of tail read, as the state records it.
type statusSchedule struct {
	Settle    string `json:"settle"`
	Interval  string `json:"interval"`
	Lookback  string `json:"lookback"`
	MaxWindow string `json:"max_window"`
	Once      bool   `json:"once"`
}

// statusWin is the window in progress.
type statusWin struct {
	Oldest time.Time `json:"oldest"`
	Latest time.Time `json:"latest"`
	Reread bool      `json:"reread"` // a re-read for late events
}

// statusLate is what the lookback found, and other counts of the
// collection.
type statusLate struct {
	Last24h            int64 `json:"late_last_24h"`        // late events recovered in the last 24 hours
	Total              int64 `json:"late_total"`           // late events recovered in all
	MaxLatenessSeconds int64 `json:"max_lateness_seconds"` // the largest lateness seen
	Odd                int64 `json:"odd_dates"`            // events written though their date_create fit no window
	Restarts           int64 `json:"cursor_restarts"`      // windows read again after a refused cursor
	PendingRereads     int   `json:"pending_rereads"`      // windows awaiting their re-read
}

// lagFromSchedule is the default bound on the lag, from the schedule a
// state records: twice --settle plus --interval, plus 10m: an idle
// collection saves its state every 5 minutes, and 5 more for a slow page or
// a retry. 0: no bound (tail --once, or no schedule).
func lagFromSchedule(s *filesink.Schedule) time.Duration {
	if s == nil || s.Once {
		return 0
	}
	return 2*time.Duration(s.Settle+s.Interval)*time.Second + 10*time.Minute
}

// lagDefault, as statusOf's maxLag, means --max-lag was not given.
const lagDefault = -1

func runStatus(_ context.Context, e *env, args []string) int {
	var maxLag time.Duration
	var format string
	fs := newFlagSet(statusSpec, nil)
	statePath := fs.String("state", "", "the state `FILE` of the tail to report on (required)")
	durationVar(fs, &maxLag, "max-lag", 0, "exit 4 when the watermark is further behind now than DURATION, and judge by that alone "+
		"(0: no lag check; default: a bound from tail's --settle and --interval, and exit 7 for a collection not working)")
	formatVar(fs, &format, formatTable, []string{formatTable, formatJSON}, map[string]string{"text": formatTable},
		"print a table, or one JSON object")
	if ok, code := parseFlags(e, fs, statusSpec, nil, args); !ok {
		return code
	}
	if *statePath == "" {
		return usageError(e, "status", "--state FILE is required")
	}
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == "max-lag" })
	if !given {
		maxLag = lagDefault
	}
	rep, code := statusOf(*statePath, maxLag, time.Now())
	if format == formatJSON {
		b, _ := json.MarshalIndent(rep, "", "  ")
		fmt.Fprintf(e.stdout, "%s\n", b)
	} else {
		writeStatusText(e.stdout, rep)
	}
	if code != exitOK {
		fmt.Fprintln(e.stderr, "auditlogs: "+rep.Problem)
	}
	return code
}

// statusOf reads the state at path and judges it as of now; maxLag is
// --max-lag, or lagDefault.
func statusOf(path string, maxLag time.Duration, now time.Time) (statusReport, int) {
	rep := statusReport{State: path}
	st, err := filesink.Read(path, filesink.Config{Now: func() time.Time { return now }, Convert: convertState})
	if err == nil && st == nil {
		err = errors.New("no state file " + path + ": has tail run with this --state?")
	}
	var cp *collect.Checkpoint
	if err == nil {
		if cp, err = checkpointOf(st.Checkpoint); err != nil {
			err = fmt.Errorf("state file %s: field \"checkpoint\": %v", path, err)
		}
	}
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = fmt.Errorf("cannot read state file %s: %v", path, pe.Err)
		}
		rep.Problem = strings.TrimPrefix(err.Error(), "auditlogs: ")
		return rep, exitNoState
	}
	wm := st.Start // before the first page
	if cp != nil {
		wm = cp.Watermark()
	}
	lag := int64(now.Sub(wm) / time.Second)
	rep.Endpoint, rep.Org, rep.Watermark, rep.LagSeconds = st.Endpoint, st.Org, &wm, &lag
	rep.EntriesWritten, rep.Output, rep.CleanStop, rep.LastError = st.Entries, st.Output, st.CleanStop, st.LastError
	rep.OutputReopened = st.Reopened
	if !st.Checkpointed.IsZero() {
		rep.Checkpoint = &st.Checkpointed
	}
	if !st.Updated.IsZero() {
		rep.Saved = &st.Updated
	}
	if s := st.Schedule; s != nil {
		d := func(sec int64) string { return formatDuration(time.Duration(sec) * time.Second) }
		rep.Schedule = &statusSchedule{Settle: d(s.Settle), Interval: d(s.Interval), Lookback: d(s.Lookback), MaxWindow: d(s.MaxWindow), Once: s.Once}
	}
	if cp != nil {
		if w, reread, ok := cp.InProgress(); ok {
			rep.Window = &statusWin{Oldest: w.Oldest, Latest: w.Latest, Reread: reread}
		}
		s := &cp.Stats
		rep.Windows = s.Windows
		rep.Late = &statusLate{Last24h: s.LateLast24h(now), Total: s.Late, MaxLatenessSeconds: int64(s.MaxLateness / time.Second),
			Odd: s.Odd, Restarts: s.Restarts}
		rep.Late.PendingRereads, _ = cp.Pending()
		if err := cp.Validate(now); err != nil {
			// A watermark in the future idles tail forever; one before 2018
			// is a backfill from nothing: neither is a state tail wrote.
			rep.Problem = fmt.Sprintf("state file %s: field \"checkpoint\": %v: tail refuses this state", path, err)
			return rep, exitNoState
		}
	}
	bound, from := maxLag, "--max-lag"
	if maxLag == lagDefault {
		bound, from = lagFromSchedule(st.Schedule), "the bound from tail's --settle and --interval"
	}
	if bound > 0 {
		rep.MaxLagSeconds, rep.MaxLagFrom = int64(bound/time.Second), "--max-lag"
		if maxLag == lagDefault {
			rep.MaxLagFrom = "schedule"
		}
	}
	if maxLag == lagDefault {
		if problem := unhealthy(st, rep.Windows); problem != "" {
			rep.Problem = problem
			return rep, exitUnhealthy
		}
	}
	if bound > 0 && time.Duration(lag)*time.Second > bound {
		rep.Problem = fmt.Sprintf("lagging: the watermark %s is %s behind now, more than %s %s",
			wm.Format(time.RFC3339), formatDuration(time.Duration(lag)*time.Second), from, formatDuration(bound))
		return rep, exitLagging
	}
	rep.OK = true
	return rep, exitOK
}

// unhealthy says why a collection is not working, "" if it is: it never
// completed a window, or its last error is newer than its last checkpoint.
func unhealthy(st *filesink.State, windows int64) string {
	if e := st.LastError; e != nil && e.Time.After(st.Checkpointed) {
		what := "tail is retrying"
		if e.Fatal {
			what = "tail exited on it"
		}
		return fmt.Sprintf("failing: the last error (%s, %s) is newer than the last checkpoint: %s",
			e.Time.Format(time.RFC3339), what, e.Message)
	}
	if windows == 0 {
		return "starting: tail has not completed a window yet (a first backfill reads --max-window at a time)"
	}
	return ""
}

func writeStatusText(w io.Writer, r statusReport) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, format string, a ...any) { fmt.Fprintf(tw, "%s\t%s\n", k, fmt.Sprintf(format, a...)) }
	ago := func(t time.Time) string { return time.Since(t).Truncate(time.Second).String() + " ago" }
	row("state", "%s", r.State)
	if r.Watermark == nil {
		row("status", "%s", r.Problem)
		tw.Flush()
		return
	}
	row("endpoint", "%s", firstNonEmpty(r.Endpoint, "(not recorded yet)"))
	row("organization", "%s", firstNonEmpty(r.Org, "(not seen yet)"))
	row("watermark", "%s (lag %s)", r.Watermark.Format(time.RFC3339), time.Duration(*r.LagSeconds)*time.Second)
	switch r.MaxLagFrom {
	case "--max-lag":
		row("lag bound", "%s (--max-lag)", formatDuration(time.Duration(r.MaxLagSeconds)*time.Second))
	case "schedule":
		row("lag bound", "%s (from tail's --settle and --interval)", formatDuration(time.Duration(r.MaxLagSeconds)*time.Second))
	default:
		row("lag bound", "none (see --max-lag)")
	}
	if s := r.Schedule; s != nil {
		once := ""
		if s.Once {
			once = ", --once"
		}
		row("schedule", "--settle %s, --interval %s, --lookback %s, --max-window %s%s", s.Settle, s.Interval, s.Lookback, s.MaxWindow, once)
	} else {
		row("schedule", "not recorded (a state from an older tail)")
	}
	if r.Checkpoint != nil {
		row("last checkpoint", "%s (%s)", r.Checkpoint.Format(time.RFC3339), ago(*r.Checkpoint))
	} else {
		row("last checkpoint", "none yet")
	}
	row("entries written", "%d", r.EntriesWritten)
	row("windows done", "%d", r.Windows)
	if r.Window != nil {
		what := "first read"
		if r.Window.Reread {
			what = "re-read for late events"
		}
		row("window", "%s to %s, %s", r.Window.Oldest.Format(time.RFC3339), r.Window.Latest.Format(time.RFC3339), what)
	} else {
		row("window", "none in progress")
	}
	if r.Output != nil {
		row("output", "%s, %d bytes checkpointed", r.Output.Path, r.Output.Offset)
	} else {
		row("output", "stdout")
	}
	if l := r.Late; l != nil {
		row("late events", "%d in the last 24h, %d in all, the latest by %s", l.Last24h, l.Total, time.Duration(l.MaxLatenessSeconds)*time.Second)
		row("odd dates", "%d events written though their date_create fit no window", l.Odd)
		row("cursor restarts", "%d windows read again after Slack refused a cursor", l.Restarts)
		row("rereads pending", "%d windows", l.PendingRereads)
	}
	if r.OutputReopened > 0 {
		row("output reopened", "%d times (rotated, moved, deleted or truncated)", r.OutputReopened)
	}
	if r.LastError != nil {
		what := "retried"
		if r.LastError.Fatal {
			what = "tail exited"
		}
		row("last error", "%s (%s, %s): %s", r.LastError.Time.Format(time.RFC3339), ago(r.LastError.Time), what, r.LastError.Message)
	} else {
		row("last error", "none")
	}
	if r.OK {
		row("status", "ok")
	} else {
		row("status", "%s", r.Problem)
	}
	tw.Flush()
}
