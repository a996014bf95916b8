package collect

import (
	"context"
	"errors"
	"time"

	"github.com/slackaudit/auditlogs"
)

// step reads the window in progress, or opens one and reads it: a re-read
// that is due first, else the next first read. It reports whether there
// was a window to read.
func (r *run) step(ctx context.Context) (bool, error) {
	if r.cp.window == nil {
		now := r.c.now()
		if !r.openReread(now) && !r.openFirst(now) {
			return false, nil
		}
		r.oddWarned = false
	}
	return true, r.readPass(ctx)
}

func secs(d time.Duration) int64 { return int64(d / time.Second) }

// openFirst opens the window after the watermark, up to settle before now
// and at most maxWindow long, if there is such a second. It keeps the
// hashes of all it delivers if it will be re-read: if lookback is on and
// the window is not already lookback old.
func (r *run) openFirst(now time.Time) bool {
	c, cp := r.c, r.cp
	end := now.Add(-c.settle).Unix()
	if end <= cp.watermark {
		return false
	}
	latest := min(end, cp.watermark+max(secs(c.maxWindow), 1))
	keep := c.lookback > 0 && now.Unix() < latest+secs(c.lookback)
	cp.window = &pass{span: span{oldest: cp.watermark, latest: latest, opened: now.Unix(), pending: keep},
		until: latest, low: latest, limit: c.params.Limit}
	c.log.Debug("collect: window", "oldest", cp.window.oldest, "latest", latest, "reread_later", keep)
	return true
}

// openReread opens a re-read of the windows whose lookback has passed, the
// oldest first, coalescing adjacent ones up to maxWindow, so that re-reads
// cost no more calls than first reads.
func (r *run) openReread(now time.Time) bool {
	c, cp := r.c, r.cp
	var first, last *span
	for _, s := range cp.spans {
		if !s.pending {
			if first != nil {
				break
			}
			continue
		}
		if now.Unix() < s.latest+secs(c.lookback) {
			break
		}
		if first != nil && (s.oldest != last.latest || s.latest-first.oldest > secs(c.maxWindow)) {
			break
		}
		if first == nil {
			first = s
		}
		last = s
	}
	if first == nil {
		return false
	}
	cp.window = &pass{span: span{oldest: first.oldest, latest: last.latest, opened: now.Unix()}, reread: true,
		until: last.latest, low: last.latest, limit: c.params.Limit}
	c.log.Debug("collect: re-read", "oldest", first.oldest, "latest", last.latest)
	return true
}

// readPass pages through the window in progress from its cursor, delivering
// every page. It returns nil when the window is closed, ctx.Err() between
// pages when ctx is done.
func (r *run) readPass(ctx context.Context) error {
	w := r.cp.window
	p := r.c.params
	p.Oldest, p.Latest, p.Limit, p.Cursor = time.Unix(w.oldest, 0), time.Unix(w.until, 0), w.limit, w.cursor
	for page, err := range r.c.client.Pages(ctx, p) {
		if err != nil {
			return err
		}
		low := w.low
		if err := r.deliver(ctx, page); err != nil {
			return err
		}
		if r.cp.window == nil {
			r.refusals = 0
			return nil
		}
		if w.low < low {
			r.refusals = 0 // the pass got further than a restart would start it
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return errors.New("collect: paging ended before the last page") // Pages never does
}

// restart makes the window in progress start over after its cursor was
// refused, and reports whether it did: not after three refusals in a row
// that the window got no further between (its lowest second did not move),
// which would loop forever.
// Pages come newest first, so every event above the lowest date_create
// seen in this pass is delivered: the pass goes on as [oldest, low], and
// the events of second low already delivered are skipped by their hashes.
func (r *run) restart(cause error) bool {
	w := r.cp.window
	if w == nil || r.refusals >= 3 {
		return false
	}
	r.refusals++
	r.cp.Stats.Restarts++
	r.c.log.Warn("collect: Slack refused the cursor: reading the rest of the window again", "error", cause.Error(),
		"oldest", w.oldest, "until", w.low, "reread", w.reread)
	w.until, w.cursor = w.low, ""
	return true
}

// deliver takes one page: it drops what was delivered before, updates the
// checkpoint, and gives both to the sink.
func (r *run) deliver(ctx context.Context, page *auditlogs.Page) error {
	c, cp, w := r.c, r.cp, r.cp.window
	now := c.now()
	b := &Batch{Checkpoint: cp, Window: window(w.oldest, w.latest), Reread: w.reread}
	for i := range page.Entries {
		e := &page.Entries[i]
		d := e.DateCreate
		h := idHash(e)
		placed := d >= w.oldest && d <= w.latest
		if placed && d <= w.until && d < w.low {
			if !w.reread && !w.pending {
				w.ids.reset() // it holds the hashes of second low only
			}
			w.low = d
		}
		dup := r.seen(h, d, placed)
		r.remember(h, d, placed, !dup)
		if dup {
			continue
		}
		b.Entries = append(b.Entries, e)
		switch {
		case !placed:
			b.Odd++
			if !r.oddWarned {
				r.oddWarned = true
				raw, _ := e.Lookup("date_create")
				c.log.Warn("collect: an entry's date_create is outside its window: delivered all the same (warned once a window)",
					"id", e.ID, "date_create", string(raw), "oldest", w.oldest, "latest", w.latest)
			}
		case w.reread:
			b.Late = append(b.Late, r.late(e, now))
		}
	}
	w.pages++
	w.cursor = page.NextCursor
	st := &cp.Stats
	st.Entries += int64(len(b.Entries))
	st.Odd += int64(b.Odd)
	if w.reread {
		st.RereadPages++
	} else {
		st.FirstPages++
	}
	if page.NextCursor == "" {
		r.close()
	}
	if err := c.sink.Deliver(ctx, b); err != nil {
		return &SinkError{Err: err}
	}
	c.log.Debug("collect: page", "entries", len(b.Entries), "received", len(page.Entries), "reread", b.Reread,
		"late", len(b.Late), "closed", cp.window == nil)
	return nil
}

// late counts and logs a late event found by a re-read at now.
func (r *run) late(e *auditlogs.Entry, now time.Time) LateEvent {
	c, w := r.c, r.cp.window
	late := int64(0)
	for _, s := range r.cp.spans {
		if s.pending && e.DateCreate >= s.oldest && e.DateCreate <= s.latest {
			late = max(s.opened-e.DateCreate, s.gap, 0)
			break
		}
	}
	ev := LateEvent{ID: e.ID, DateCreate: time.Unix(e.DateCreate, 0).UTC(), Lateness: time.Duration(late) * time.Second,
		Window: window(w.oldest, w.latest)}
	r.cp.Stats.addLate(now, ev.Lateness)
	c.log.Info("collect: late event found", "id", ev.ID, "date_create", ev.DateCreate, "lateness", ev.Lateness,
		"window_oldest", ev.Window.Oldest, "window_latest", ev.Window.Latest)
	if ev.Lateness >= c.lookback/2 && now.Sub(r.lateWarn) >= time.Hour {
		r.lateWarn = now
		c.log.Warn("collect: an event came late by half the lookback or more: events later than the lookback would be missed; consider a longer one",
			"lateness", ev.Lateness, "lookback", c.lookback)
	}
	return ev
}

// seen reports whether the event of hash h and date_create d was delivered
// before: by this window, or (if placed in the window) by a window covering
// its second, or (if not) by any window still remembered.
func (r *run) seen(h uint64, d int64, placed bool) bool {
	w := r.cp.window
	if !w.reread && (w.ids.has(h) || w.last.has(h) || w.odd.has(h)) {
		return true
	}
	for _, s := range r.cp.spans {
		switch {
		case !placed:
			if s.ids.has(h) || s.last.has(h) {
				return true
			}
		case d < s.oldest || d > s.latest:
		case d == s.latest:
			if s.last.has(h) {
				return true
			}
		case s.ids.has(h):
			return true
		}
	}
	return false
}

// remember records the hash of an event this window met: a first read
// keeps it in its own sets, skipped as a duplicate or not, so that its sets
// are complete for its range; an event delivered also goes into every
// remembered window covering its second.
func (r *run) remember(h uint64, d int64, placed, delivered bool) {
	w := r.cp.window
	if !w.reread {
		switch {
		case !placed && w.pending:
			w.ids.add(h)
		case !placed:
			w.odd.add(h)
		case d == w.latest:
			w.last.add(h)
		case w.pending || d == w.low:
			w.ids.add(h)
		}
	}
	if !delivered {
		return
	}
	for _, s := range r.cp.spans {
		switch {
		case !placed:
			if w.reread && s.pending && s.oldest >= w.oldest {
				s.ids.add(h) // the first window of the re-read remembers it till the re-read ends
				return
			}
		case d < s.oldest || d > s.latest:
		case d == s.latest:
			s.last.add(h)
		case s.pending:
			s.ids.add(h)
		}
	}
}

// mergeMaxIDs bounds the hashes of spans merged into one (see mergeable).
const mergeMaxIDs = 2000

// mergeable reports whether the span s just closed may join prev, the one
// before it: both await their re-read, the two together span at most a
// quarter of the lookback and hold at most mergeMaxIDs hashes. The merged
// span is re-read once the later one is due: a little later than the
// earlier one needs, never earlier. So when events are few, one re-read
// covers several windows, and the checkpoint holds fewer spans; when they
// are many, spans stay apart and the checkpoint stays within one lookback's
// events (plus at most mergeMaxIDs).
func (r *run) mergeable(prev, s *span) bool {
	return prev.pending && s.pending && prev.latest == s.oldest && s.latest-prev.oldest <= secs(r.c.lookback)/4 &&
		prev.ids.len()+prev.last.len()+s.ids.len()+s.last.len() <= mergeMaxIDs
}

// close ends the window in progress: a first read becomes a span and
// moves the watermark; a re-read ends the re-reads of the spans it covers.
// Spans no longer needed are dropped.
func (r *run) close() {
	cp, w := r.cp, r.cp.window
	if w.reread {
		for _, s := range cp.spans {
			if s.pending && s.oldest >= w.oldest && s.latest <= w.latest {
				s.pending = false
				s.ids.reset()
			}
		}
		cp.Stats.Rereads++
	} else {
		s := &span{oldest: w.oldest, latest: w.latest, opened: w.opened, gap: max(w.opened-w.latest, 0), pending: w.pending, last: w.last}
		if s.pending {
			s.ids = w.ids
		}
		if n := len(cp.spans); n > 0 && r.mergeable(cp.spans[n-1], s) {
			prev := cp.spans[n-1]
			prev.ids.addAll(&prev.last)
			prev.ids.addAll(&s.ids)
			prev.last, prev.latest, prev.gap = s.last, s.latest, min(prev.gap, s.gap)
		} else {
			cp.spans = append(cp.spans, s)
		}
		cp.watermark = w.latest
		cp.Stats.Windows++
	}
	cp.window = nil
	// Keep the spans that await a re-read, and the last one: the next
	// window starts at its latest second.
	kept := cp.spans[:0]
	for i, s := range cp.spans {
		if s.pending || i == len(cp.spans)-1 {
			kept = append(kept, s)
		}
	}
	clear(cp.spans[len(kept):])
	cp.spans = kept
}
