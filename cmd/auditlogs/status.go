package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/slackaudit/auditlogs/collect"
	"github.com/slackaudit/auditlogs/internal/filesink"
)

var statusSpec = cmdSpec{
	name:     "status",
	synopsis: "--state FILE [--max-lag D] [--format text|json]",
	about: `Report how a tail collector is doing, from its state file alone (no token, no
network): the watermark (every event before it has been written) and how far
it lags behind now, the last checkpoint, the entries written, the window in
progress, the output, the late events the lookback recovered (in the last
24h, in all, the largest lateness), odd dates, cursor restarts, and the last
error tail met, if any. A state tail did not write (a watermark in the
future, for one) exits 5.

It is a health check for systemd, Kubernetes exec probes, Nagios or cron: it
exits 0 when the state is readable and, with --max-lag, the watermark is no
further behind now than D; 4 when it lags more; 5 when the state file is
missing or unreadable (2 for a usage error). tail's watermark lags by design:
--settle plus --interval, plus --max-window while it catches up, so give
--max-lag some room above --settle + --interval (10m for the defaults).`,
	exits: "0 ok, 2 usage error, 4 lagging more than --max-lag, 5 state file missing or unreadable",
	examples: `  auditlogs status --state /var/lib/auditlogs/state.json
  auditlogs status --state /var/lib/auditlogs/state.json --max-lag 10m --format json
  auditlogs status --state state.json --max-lag 15m || systemctl restart slack-audit`,
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
	Checkpoint     *time.Time       `json:"last_checkpoint,omitempty"`
	Saved          *time.Time       `json:"saved,omitempty"`
	EntriesWritten int64            `json:"entries_written"`
	Window         *statusWin       `json:"window"`
	Output         *filesink.Output `json:"output"`
	OutputReopened int64            `json:"output_reopened"`
	Late           *statusLate      `json:"collection,omitempty"`
	CleanStop      bool             `json:"clean_stop"`
	LastError      *filesink.Error  `json:"last_error"`
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

func runStatus(_ context.Context, e *env, args []string) int {
	fs := newFlagSet(statusSpec, nil)
	statePath := fs.String("state", "", "the state `FILE` of the tail to report on (required)")
	maxLag := fs.Duration("max-lag", 0, "exit 4 when the watermark is further behind now than `D` (default: no limit)")
	format := fs.String("format", "text", "text or json")
	if ok, code := parseFlags(e, fs, statusSpec, nil, args); !ok {
		return code
	}
	switch {
	case *statePath == "":
		return usageError(e, "status", "--state FILE is required")
	case *maxLag < 0:
		return usageError(e, "status", "--max-lag must not be negative")
	case *format != "text" && *format != "json":
		return usageError(e, "status", "unknown --format %s: use text or json", quoteArg(*format))
	}
	rep, code := statusOf(*statePath, *maxLag, time.Now())
	if *format == "json" {
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

// statusOf reads the state at path and judges it as of now.
func statusOf(path string, maxLag time.Duration, now time.Time) (statusReport, int) {
	rep := statusReport{State: path, MaxLagSeconds: int64(maxLag / time.Second)}
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
	if cp != nil {
		if w, reread, ok := cp.InProgress(); ok {
			rep.Window = &statusWin{Oldest: w.Oldest, Latest: w.Latest, Reread: reread}
		}
		s := &cp.Stats
		rep.Late = &statusLate{Last24h: s.LateLast24h(now), Total: s.Late, MaxLatenessSeconds: int64(s.MaxLateness / time.Second),
			Odd: s.Odd, Restarts: s.Restarts}
		rep.Late.PendingRereads, _ = cp.Pending()
	}
	rep.OK = true
	if cp != nil {
		if err := cp.Validate(now); err != nil {
			// A watermark in the future idles tail forever; one before 2018
			// is a backfill from nothing: neither is a state tail wrote.
			rep.OK = false
			rep.Problem = fmt.Sprintf("state file %s: field \"checkpoint\": %v: tail refuses this state", path, err)
			return rep, exitNoState
		}
	}
	if maxLag > 0 && time.Duration(lag)*time.Second > maxLag {
		rep.OK = false
		rep.Problem = fmt.Sprintf("lagging: the watermark %s is %s behind now, more than --max-lag %s",
			wm.Format(time.RFC3339), time.Duration(lag)*time.Second, maxLag)
		return rep, exitLagging
	}
	return rep, exitOK
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
	if r.Checkpoint != nil {
		row("last checkpoint", "%s (%s)", r.Checkpoint.Format(time.RFC3339), ago(*r.Checkpoint))
	} else {
		row("last checkpoint", "none yet")
	}
	row("entries written", "%d", r.EntriesWritten)
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
