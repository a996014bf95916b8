package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/slackaudit/auditlogs"
	"github.com/slackaudit/auditlogs/internal/filesink"
)

// legacyCheckpoint is where tail's own windows stand: the checkpoint it
// keeps in the state file until the collect engine takes over.
//
// The collection is a sequence of closed time windows [oldest, latest],
// each paged newest first with a cursor. A window starts at the previous
// one's latest second (both ends are inclusive, so no event can fall between
// two windows); the events of that shared second already written are in
// BoundaryIDs and skipped the second time.
type legacyCheckpoint struct {
	// Watermark is where the next window starts (Unix seconds, inclusive).
	Watermark int64 `json:"watermark"`
	// BoundaryIDs are the keys (see entryKey) of the events of second
	// Watermark already written: the next window skips them.
	BoundaryIDs []string `json:"boundary_ids"`
	// Window is the window being read, nil between windows.
	Window *stateWindow `json:"window,omitempty"`
}

// stateWindow is the window being read.
type stateWindow struct {
	Oldest int64 `json:"oldest"` // Unix seconds, inclusive; equals the Watermark
	Latest int64 `json:"latest"` // Unix seconds, inclusive
	Limit  int   `json:"limit"`  // page size, kept for the whole window: the cursor was made with it
	// Cursor resumes the window after the last page written; "" with
	// Pages == 0 means from the start.
	Cursor string `json:"cursor"`
	Pages  int    `json:"pages"`
	// IDsAtLatest are the keys of the events of second Latest written in
	// this window: the next window's BoundaryIDs.
	IDsAtLatest []string `json:"ids_at_latest"`
	// Start is where the window's first page went in the output: a refused
	// cursor cuts the output back to it. Nil when it went elsewhere.
	Start *filesink.Mark `json:"output_start,omitempty"`
}

// validateCheckpoint reports a checkpoint tail did not write.
func validateCheckpoint(raw json.RawMessage, now time.Time) error {
	if raw == nil {
		return nil
	}
	var cp legacyCheckpoint
	if err := json.Unmarshal(raw, &cp); err != nil {
		return err
	}
	return cp.validate(now)
}

func (cp *legacyCheckpoint) validate(now time.Time) error {
	wm := time.Unix(cp.Watermark, 0).UTC()
	switch {
	case wm.Before(filesink.Earliest):
		return fmt.Errorf("watermark %s is before the API's first events (%s)", wm.Format(time.RFC3339), filesink.Earliest.Format("2006-01-02"))
	case wm.After(now.Add(time.Hour)):
		return fmt.Errorf("watermark %s is in the future", wm.Format(time.RFC3339))
	case cp.BoundaryIDs == nil:
		return errors.New("boundary_ids is missing")
	}
	if w := cp.Window; w != nil && (w.Oldest != cp.Watermark || w.Latest < w.Oldest || w.Limit < 0 || w.Limit > 9999) {
		return fmt.Errorf("window %d..%d does not start at the watermark %d", w.Oldest, w.Latest, cp.Watermark)
	}
	return nil
}

// v1State is the state file of version 1, from before the file sink.
type v1State struct {
	Filters      filesink.Filters `json:"filters"`
	Endpoint     string           `json:"endpoint"`
	Org          string           `json:"org"`
	Watermark    *int64           `json:"watermark"`
	BoundaryIDs  []string         `json:"boundary_ids"`
	Window       *stateWindow     `json:"window"`
	Output       *filesink.Output `json:"output"`
	CleanStop    bool             `json:"clean_stop"`
	Entries      int64            `json:"entries_written"`
	Checkpointed time.Time        `json:"checkpointed"`
	LastError    *filesink.Error  `json:"last_error"`
}

// convertState adopts a state file of version 1: its watermark, boundary
// IDs and window become the checkpoint, its output the sink's.
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
	cp := legacyCheckpoint{Watermark: *v.Watermark, BoundaryIDs: v.BoundaryIDs, Window: v.Window}
	if cp.Window != nil {
		cp.Window.Start = nil // version 1 kept it in the output
	}
	raw, err := json.Marshal(cp)
	if err != nil {
		return nil, err
	}
	start := time.Unix(*v.Watermark, 0).UTC()
	if start.Before(filesink.Earliest) {
		start = filesink.Earliest // refused below, by the checkpoint's check
	}
	st := &filesink.State{Version: filesink.Version, Filters: v.Filters, Endpoint: v.Endpoint, Org: v.Org,
		Start: start, Checkpoint: raw, Output: v.Output,
		CleanStop: v.CleanStop, Entries: v.Entries, Checkpointed: v.Checkpointed, LastError: v.LastError}
	if o := st.Output; o != nil {
		if o.Ino == 0 {
			return nil, errors.New(`field "output.ino" is missing (a state from before output identities): ` +
				"move --out away, or use another --state")
		}
		o.Gen = max(o.Gen, 1)
	}
	return st, nil
}

// loadCheckpoint reads the state's checkpoint (nil: a new collection from
// the state's start).
func (t *tailer) loadCheckpoint() error {
	t.cp = legacyCheckpoint{Watermark: t.st.Start.Unix(), BoundaryIDs: []string{}}
	if t.st.Checkpoint == nil || string(t.st.Checkpoint) == "null" {
		return nil
	}
	return json.Unmarshal(t.st.Checkpoint, &t.cp)
}

func (t *tailer) checkpoint() json.RawMessage {
	b, _ := json.Marshal(&t.cp) // plain values: cannot fail
	return b
}

// loop reads windows until --once is done, a signal, or an error that will
// not pass.
func (t *tailer) loop(ctx context.Context) error {
	failures, refusals := 0, 0
	for {
		if ctx.Err() != nil {
			return nil
		}
		if t.cp.Window == nil && !t.openWindow() {
			if t.once {
				return nil
			}
			t.prog.show(fmt.Sprintf("caught up to %s, next look in %s", unixUTC(t.cp.Watermark), t.interval))
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
		case errors.Is(err, errStopped), ctx.Err() != nil:
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
		t.recordError(msg)
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
	oldest := t.cp.Watermark
	if end <= oldest {
		return false
	}
	latest := min(end, oldest+int64(t.maxWindow/time.Second))
	t.cp.Window = &stateWindow{Oldest: oldest, Latest: latest, Limit: t.limit, IDsAtLatest: []string{}}
	if m, ok := t.sink.Mark(); ok {
		t.cp.Window.Start = &m
	}
	t.event("window start", "oldest", unixUTC(oldest), "latest", unixUTC(latest))
	return true
}

// readWindow pages through the current window from its saved cursor,
// writing and checkpointing every page. It returns nil when the window is
// done, errStopped after a page if a signal came. A signal also cancels the
// request in hand: nothing of a page is written before it is whole, so the
// page is simply read again next time.
func (t *tailer) readWindow(ctx context.Context) error {
	w := t.cp.Window
	p := auditlogs.LogsParams{
		Oldest: time.Unix(w.Oldest, 0), Latest: time.Unix(w.Latest, 0), Limit: w.Limit,
		Action: t.filters.Action, Actor: t.filters.Actor, Entity: t.filters.Entity,
		ExcludeActions: t.filters.Exclude,
		Cursor:         w.Cursor,
	}
	boundary := make(map[string]bool, len(t.cp.BoundaryIDs))
	for _, id := range t.cp.BoundaryIDs {
		boundary[id] = true
	}
	for page, err := range t.ci.Pages(ctx, p) {
		if err != nil {
			if ctx.Err() != nil {
				return errStopped
			}
			return err
		}
		if err := t.writePage(page, boundary); err != nil {
			return err
		}
		if t.cp.Window == nil {
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
	w := t.cp.Window
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
			return err
		}
		n++
		if en.DateCreate == w.Latest {
			atLatest = append(atLatest, key)
		}
	}
	if err := t.w.EndPage(); err != nil {
		return err
	}
	w.Pages++
	w.Cursor = page.NextCursor
	w.IDsAtLatest = append(w.IDsAtLatest, atLatest...)
	done := page.NextCursor == ""
	if done {
		t.cp.Watermark = w.Latest
		t.cp.BoundaryIDs = w.IDsAtLatest
		t.cp.Window = nil
	}
	if err := t.sink.Write(t.pageBuf.Bytes(), n, t.checkpoint()); err != nil {
		return err
	}
	t.event("page", "entries", n, "received", len(page.Entries)+page.Excluded, "excluded", page.Excluded, "window_pages", w.Pages, "entries_written", t.st.Entries)
	if done {
		t.event("window done", "oldest", unixUTC(w.Oldest), "latest", unixUTC(w.Latest), "pages", w.Pages,
			"entries_written", t.st.Entries)
	}
	t.prog.page(n, fmt.Sprintf("window %s to %s", unixUTC(w.Oldest), unixUTC(w.Latest)))
	return t.serviceHUP() // the page in hand is done and checkpointed
}

// restartWindow makes the current window start over after its cursor was
// refused. With --out it first cuts the file back to the window's start, so
// the window's events are not written twice.
func (t *tailer) restartWindow(cause error) error {
	w := t.cp.Window
	if w == nil {
		return cause
	}
	start := w.Start
	t.log.Debug("tail: window restarted", "cause", cause.Error(), "oldest", unixUTC(w.Oldest))
	w.Cursor, w.Pages, w.IDsAtLatest = "", 0, []string{}
	if start == nil {
		return t.sink.Checkpoint(t.checkpoint(), true)
	}
	cut, err := t.sink.CutBack(*start, t.checkpoint())
	if err != nil {
		return err
	}
	if !cut {
		t.prog.done()
		fmt.Fprintln(t.e.stderr, "auditlogs: warning: Slack refused the cursor: reading the window again; "+
			"its first events may be written twice (the window started in another file)")
		w.Start = nil
	}
	return nil
}

// entryKey identifies an event for de-duplication: its id, or a hash of its
// bytes for an event without one.
func entryKey(id string, raw []byte) string {
	if id != "" {
		return id
	}
	sum := sha256.Sum256(raw)
	return "sha256:" + hex.EncodeToString(sum[:16])
}
