package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/slackaudit/auditlogs"
	"github.com/slackaudit/auditlogs/collect"
	"github.com/slackaudit/auditlogs/internal/filesink"
)

// Deliver writes a batch of the collection to the file sink (collect.Sink):
// its entries as JSON lines in one write, fsynced, then the state with the
// batch's checkpoint. It logs the late events the batch recovered, and
// reopens --out afterwards if SIGHUP came.
func (t *tailer) Deliver(_ context.Context, b *collect.Batch) error {
	if err := t.checkPageOrg(b.Entries); err != nil {
		return err
	}
	if b.Window != t.window || b.Reread != t.reread {
		t.window, t.reread = b.Window, b.Reread
		t.event("window start", "oldest", b.Window.Oldest, "latest", b.Window.Latest, "reread", b.Reread)
	}
	t.pageBuf.Reset()
	for _, en := range b.Entries {
		if err := t.w.Write(en); err != nil {
			return err
		}
	}
	if err := t.w.EndPage(); err != nil {
		return err
	}
	cp, err := b.Checkpoint.MarshalJSON() // json.Marshal would scan the bytes again
	if err != nil {
		return err
	}
	t.mu.Lock()
	err = t.sink.Write(t.pageBuf.Bytes(), len(b.Entries), cp)
	if e := t.st.LastError; err == nil && e != nil && !e.Time.Before(t.st.Checkpointed) {
		// The first page after an error is saved at once, empty or not:
		// auditlogs status judges a collection failing while its last
		// error is newer than its last checkpoint.
		t.st.Checkpointed = t.now().UTC().Truncate(time.Second)
		err = t.sink.Checkpoint(cp, true)
	}
	if sinkWrote != nil {
		sinkWrote(t.sink.Written(), false)
	}
	t.mu.Unlock()
	if err != nil {
		return err
	}
	for _, l := range b.Late {
		// With --log-format, the collector's own record says it.
		if t.ops == nil {
			t.notice("late event recovered", "id", l.ID, "date_create", l.DateCreate.Format(time.RFC3339),
				"late", l.Lateness, "window", l.Window.Oldest.Format(time.RFC3339)+" to "+l.Window.Latest.Format(time.RFC3339))
		}
	}
	note := fmt.Sprintf("window %s to %s", b.Window.Oldest.Format(time.RFC3339), b.Window.Latest.Format(time.RFC3339))
	if b.Reread {
		note += " (re-read)"
	}
	t.event("page", "entries", len(b.Entries), "late", len(b.Late), "reread", b.Reread,
		"window_oldest", b.Window.Oldest, "window_latest", b.Window.Latest, "entries_written", t.st.Entries)
	if _, _, open := b.Checkpoint.InProgress(); !open {
		t.event("window done", "oldest", b.Window.Oldest, "latest", b.Window.Latest, "reread", b.Reread,
			"entries_written", t.st.Entries)
		t.window = collect.Window{}
	}
	t.prog.page(len(b.Entries), note)
	return t.serviceHUP() // the page in hand is done and checkpointed
}

// checkpointOf decodes the state's checkpoint; nil before the first page.
func checkpointOf(raw json.RawMessage) (*collect.Checkpoint, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var cp collect.Checkpoint
	if err := json.Unmarshal(raw, &cp); err != nil {
		return nil, err
	}
	return &cp, nil
}

// validateCheckpoint reports a checkpoint no collector wrote.
func validateCheckpoint(raw json.RawMessage, now time.Time) error {
	cp, err := checkpointOf(raw)
	if err == nil && cp != nil {
		err = cp.Validate(now)
	}
	if err != nil {
		return errors.New(strings.TrimPrefix(err.Error(), "collect: invalid checkpoint: "))
	}
	return nil
}

// v1State is the state file of version 1, from before the collect engine.
type v1State struct {
	Filters      filesink.Filters `json:"filters"`
	Endpoint     string           `json:"endpoint"`
	Org          string           `json:"org"`
	Watermark    *int64           `json:"watermark"`
	BoundaryIDs  []string         `json:"boundary_ids"`
	Window       *struct{}        `json:"window"`
	Output       *v1Output        `json:"output"`
	CleanStop    bool             `json:"clean_stop"`
	Entries      int64            `json:"entries_written"`
	Checkpointed time.Time        `json:"checkpointed"`
	LastError    *filesink.Error  `json:"last_error"`
}

type v1Output struct {
	filesink.Output
	WindowOffset int64 `json:"window_offset"`
}

// convertState adopts a state file of version 1. Its watermark W was the
// last second of a window read whole, whose events of second W were
// written (the boundary IDs): the collection goes on from second W+1, so
// nothing is written twice. A window in progress is dropped: the output is
// cut back to where it started (if it is still the file the state names),
// and it is read again. Windows before W are not re-read for late events.
func convertState(version int, b []byte) (*filesink.State, error) {
	if version != 1 {
		return nil, nil
	}
	var v v1State
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, err
	}
	if v.Watermark == nil || v.BoundaryIDs == nil {
		return nil, errors.New(`field "watermark" or "boundary_ids" is missing: it is not a state tail wrote; move it away to start over from --start`)
	}
	wm := *v.Watermark + 1
	raw, err := json.Marshal(map[string]any{"version": collect.CheckpointVersion, "watermark": wm, "spans": []any{},
		"filters": v.Filters, "stats": map[string]any{"entries": v.Entries}})
	if err != nil {
		return nil, err
	}
	st := &filesink.State{Version: filesink.Version, Filters: v.Filters, Endpoint: v.Endpoint, Org: v.Org,
		Start: time.Unix(wm, 0).UTC(), Checkpoint: raw,
		CleanStop: v.CleanStop, Entries: v.Entries, Checkpointed: v.Checkpointed, LastError: v.LastError}
	if st.Start.Before(filesink.Earliest) {
		st.Start = filesink.Earliest // the checkpoint's check refuses it
	}
	if o := v.Output; o != nil {
		if o.Ino == 0 {
			return nil, errors.New(`field "output.ino" is missing (a state from before output identities): ` +
				"move --out away, or use another --state")
		}
		st.Output = &o.Output
		st.Output.Gen = max(st.Output.Gen, 1)
		if v.Window != nil {
			if o.WindowOffset < 0 || o.WindowOffset > o.Offset {
				return nil, errors.New("a window was in progress in another output file: finish it with the auditlogs " +
					"that wrote this state (tail --once), or move --out away")
			}
			st.Output.Offset, st.Output.TailSum = o.WindowOffset, "" // cut back to the window's start
		}
	}
	return st, nil
}

// logHandler turns the collector's warnings into plain lines, when there is
// no --log-format: but for retries, which tail's retry hook reports itself,
// and refused cursors, which cost a re-read and nothing else (status counts
// them).
type logHandler struct{ t *tailer }

func (h logHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }

func (h logHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Message == "collect: retrying after an error" || strings.HasPrefix(r.Message, "collect: Slack refused the cursor") {
		return nil
	}
	var args []any
	r.Attrs(func(a slog.Attr) bool {
		args = append(args, a.Key, a.Value.String())
		return true
	})
	h.t.notice("warning: "+strings.TrimPrefix(r.Message, "collect: "), args...)
	return nil
}

func (h logHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h logHandler) WithGroup(string) slog.Handler      { return h }

// engineLogger is the logger the collector gets.
func (t *tailer) engineLogger() *slog.Logger {
	if t.ops != nil {
		return t.ops
	}
	return slog.New(logHandler{t})
}

// retried is the collector's retry hook: the error goes to stderr and to
// the state, for auditlogs status.
func (t *tailer) retried(err error, wait time.Duration) {
	msg, _ := explain(err, t.ci)
	t.prog.done()
	t.mu.Lock()
	t.recordError(msg)
	t.mu.Unlock()
	if t.ops != nil {
		return // the collector's own record says it, in --log-format
	}
	fmt.Fprintf(t.e.stderr, "auditlogs: warning: %s; trying again in %s\n", firstLine(msg), wait)
}

// collectParams are the collector's filters.
func (t *tailer) collectParams() auditlogs.LogsParams {
	return auditlogs.LogsParams{Action: t.filters.Action, Actor: t.filters.Actor, Entity: t.filters.Entity,
		ExcludeActions: splitList(t.filters.Exclude), Limit: t.limit}
}
