package collect

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// CheckpointVersion is the version of the checkpoint this package writes
// and reads.
const CheckpointVersion = 1

// ErrInvalidCheckpoint: a checkpoint is not one a collector wrote (see
// Checkpoint.Validate).
var ErrInvalidCheckpoint = errors.New("collect: invalid checkpoint")

// ErrOtherFilters: a checkpoint was made with other filters than the
// collector's; resuming it would mix two collections (and send its cursor
// with filters it was not made for).
var ErrOtherFilters = errors.New("collect: checkpoint made with other filters")

// apiStart is when the Audit Logs API begins: no watermark is older.
var apiStart = time.Date(2018, 3, 1, 0, 0, 0, 0, time.UTC)

// futureMargin is how far in the future a watermark may be (clocks of two
// machines differ), and a new collection may start.
const futureMargin = 5 * time.Minute

// Checkpoint is what lets a collection resume: the windows done (up to the
// watermark), the window in progress with its cursor, the recent windows
// awaiting a re-read with the hashes of the events delivered in them, the
// filters, and Stats. It is JSON-serializable (json.Marshal and
// json.Unmarshal), versioned, and small: it holds the ids (7 bytes each,
// base64) of the events of about one lookback, never more. Its fields other
// than Version and Stats are the collector's own.
//
// A nil *Checkpoint given to Collector.Run starts a new collection.
type Checkpoint struct {
	// Version is CheckpointVersion.
	Version int
	// Stats are the collection's counts.
	Stats Stats

	filters   filters
	watermark int64   // Unix seconds
	window    *pass   // the window being read; nil between windows
	spans     []*span // closed windows still needed, oldest first
}

// filters are the filters a collection was made with.
type filters struct {
	Action  string `json:"action,omitempty"`
	Actor   string `json:"actor,omitempty"`
	Entity  string `json:"entity,omitempty"`
	Exclude string `json:"exclude_actions,omitempty"` // sorted, comma-separated
}

// span is a window read the first time and closed: [oldest, latest], or
// several such windows merged (see mergeable).
type span struct {
	oldest, latest int64
	// opened is when its first read began (Unix seconds; of the first
	// window merged); gap the least time from the end of a window merged
	// into it to the start of its first read. Both give lower bounds of the
	// lateness of an event its first read did not see.
	opened, gap int64
	pending     bool // it awaits its re-read
	// ids holds, while pending, the hashes of every event delivered with a
	// date_create in [oldest, latest) and of those delivered in it that
	// could not be placed; last those of second latest, which the next
	// window needs to skip the events of the second they share.
	ids, last idSet
}

// pass is the window being read: a first read or a re-read.
type pass struct {
	span          // the window; for a first read, pending says whether it keeps all its ids (it will be re-read)
	reread bool   // a re-read of the spans it covers
	until  int64  // the latest second this pass asks for: latest, or less after a refused cursor
	low    int64  // the lowest date_create in [oldest, until] seen in this pass (until before any)
	limit  int    // page size; the cursor was made with it
	cursor string // resumes the pass after the last page delivered; "" from the start
	pages  int    // pages delivered in this window
	// odd holds, for a first read that does not keep its ids, the hashes
	// of the events delivered that could not be placed (its ids then holds
	// only those of second low).
	odd idSet
}

// Watermark is the end of the last window read completely the first time
// (every event up to it was read once), or where the collection starts
// before the first one.
func (c *Checkpoint) Watermark() time.Time { return time.Unix(c.watermark, 0).UTC() }

// InProgress returns the window being read and whether one is (false
// between windows). reread says whether it is a re-read.
func (c *Checkpoint) InProgress() (w Window, reread bool, ok bool) {
	if c.window == nil {
		return Window{}, false, false
	}
	return window(c.window.oldest, c.window.latest), c.window.reread, true
}

// Pending returns how many closed windows await their re-read, and the
// oldest second they cover (zero if none).
func (c *Checkpoint) Pending() (n int, oldest time.Time) {
	for _, s := range c.spans {
		if s.pending {
			if n == 0 {
				oldest = time.Unix(s.oldest, 0).UTC()
			}
			n++
		}
	}
	return n, oldest
}

// Stats are counts a status command shows. They count what was delivered,
// as far as the checkpoint they come with.
type Stats struct {
	// Entries counts the entries delivered, in total.
	Entries int64 `json:"entries"`
	// Late counts the late events recovered by re-reads, in total.
	Late int64 `json:"late"`
	// LateHours counts late events by the hour they were found: LateHours[h
	// % 24] for the hour h (hours since 1970) from LateHour-23 to LateHour.
	// See LateLast24h.
	LateHours [24]int64 `json:"late_hours"`
	// LateHour is the hour (since 1970) of the last late event found.
	LateHour int64 `json:"late_hour"`
	// MaxLateness is the largest lateness seen (see LateEvent.Lateness);
	// nanoseconds in JSON.
	MaxLateness time.Duration `json:"max_lateness"`
	// Odd counts the entries delivered though their date_create could not
	// be placed in their window.
	Odd int64 `json:"odd"`
	// Restarts counts windows read again after Slack refused their cursor.
	Restarts int64 `json:"restarts"`
	// Windows and Rereads count the windows read completely the first time
	// and the re-reads done.
	Windows int64 `json:"windows"`
	Rereads int64 `json:"rereads"`
	// FirstPages and RereadPages count the pages (calls to /logs that
	// succeeded) of first reads and of re-reads.
	FirstPages  int64 `json:"first_pages"`
	RereadPages int64 `json:"reread_pages"`
}

// LateLast24h returns how many late events were found in the 24 hours up
// to now (by whole hours: the current hour and the 23 before it).
func (s *Stats) LateLast24h(now time.Time) int64 {
	h := hourOf(now)
	var n int64
	for k := max(s.LateHour-23, h-23); k <= min(s.LateHour, h); k++ {
		n += s.LateHours[mod24(k)]
	}
	return n
}

// addLate counts one late event found at now, lateness late.
func (s *Stats) addLate(now time.Time, late time.Duration) {
	h := hourOf(now)
	if h > s.LateHour {
		for k := max(s.LateHour+1, h-23); k <= h; k++ {
			s.LateHours[mod24(k)] = 0
		}
		s.LateHour = h
	}
	if h > s.LateHour-24 {
		s.LateHours[mod24(h)]++
	}
	s.Late++
	s.MaxLateness = max(s.MaxLateness, late)
}

func hourOf(t time.Time) int64 { return t.Unix() / 3600 }
func mod24(h int64) int        { return int(((h % 24) + 24) % 24) }

// The JSON form of a checkpoint.
type (
	checkpointJSON struct {
		Version   int        `json:"version"`
		Filters   filters    `json:"filters"`
		Watermark int64      `json:"watermark"` // Unix seconds
		Window    *passJSON  `json:"window,omitempty"`
		Spans     []spanJSON `json:"spans"`
		Stats     Stats      `json:"stats"`
	}
	spanJSON struct {
		Oldest  int64  `json:"oldest"`
		Latest  int64  `json:"latest"`
		Opened  int64  `json:"opened"`
		Gap     int64  `json:"gap,omitempty"`
		Pending bool   `json:"pending,omitempty"`
		IDs     []byte `json:"ids,omitempty"`
		Last    []byte `json:"last,omitempty"`
	}
	passJSON struct {
		spanJSON
		Reread bool   `json:"reread,omitempty"`
		Until  int64  `json:"until"`
		Low    int64  `json:"low"`
		Limit  int    `json:"limit,omitempty"`
		Cursor string `json:"cursor,omitempty"`
		Pages  int    `json:"pages"`
		Odd    []byte `json:"odd,omitempty"`
	}
)

func (s *span) toJSON() spanJSON {
	return spanJSON{Oldest: s.oldest, Latest: s.latest, Opened: s.opened, Gap: s.gap, Pending: s.pending, IDs: s.ids.bytes(), Last: s.last.bytes()}
}

func (j *spanJSON) load(field string) (span, error) {
	s := span{oldest: j.Oldest, latest: j.Latest, opened: j.Opened, gap: j.Gap, pending: j.Pending}
	var err error
	if s.ids, err = loadSet(field+".ids", j.IDs); err != nil {
		return s, err
	}
	s.last, err = loadSet(field+".last", j.Last)
	return s, err
}

// MarshalJSON encodes the checkpoint; the hash sets are base64 strings.
// Call it directly to store a checkpoint: json.Marshal(c) returns the same
// bytes, but checks them again, which costs ten times as much.
func (c *Checkpoint) MarshalJSON() ([]byte, error) {
	j := checkpointJSON{Version: c.Version, Filters: c.filters, Watermark: c.watermark, Spans: make([]spanJSON, len(c.spans)), Stats: c.Stats}
	for i, s := range c.spans {
		j.Spans[i] = s.toJSON()
	}
	if w := c.window; w != nil {
		j.Window = &passJSON{spanJSON: w.toJSON(), Reread: w.reread, Until: w.until, Low: w.low, Limit: w.limit,
			Cursor: w.cursor, Pages: w.pages, Odd: w.odd.bytes()}
	}
	return json.Marshal(&j)
}

// UnmarshalJSON decodes a checkpoint. It checks the form (a hash set that
// is not whole hashes is an error naming it); Validate checks the rest.
func (c *Checkpoint) UnmarshalJSON(b []byte) error {
	var j checkpointJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidCheckpoint, err)
	}
	out := Checkpoint{Version: j.Version, Stats: j.Stats, filters: j.Filters, watermark: j.Watermark}
	for i := range j.Spans {
		s, err := j.Spans[i].load(fmt.Sprintf("spans[%d]", i))
		if err != nil {
			return err
		}
		out.spans = append(out.spans, &s)
	}
	if jw := j.Window; jw != nil {
		s, err := jw.load("window")
		if err != nil {
			return err
		}
		w := &pass{span: s, reread: jw.Reread, until: jw.Until, low: jw.Low, limit: jw.Limit, cursor: jw.Cursor, pages: jw.Pages}
		if w.odd, err = loadSet("window.odd", jw.Odd); err != nil {
			return err
		}
		out.window = w
	}
	*c = out
	return nil
}

// clone returns a deep copy of c.
func (c *Checkpoint) clone() (*Checkpoint, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	var out Checkpoint
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Validate reports a checkpoint no collector wrote: another version, a
// watermark before 2018-03-01 (when the Audit Logs API begins) or more than
// five minutes after now, windows out of order or outside the watermark, a
// window in progress outside its bounds, negative counts. The error wraps
// ErrInvalidCheckpoint and names the field.
func (c *Checkpoint) Validate(now time.Time) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalidCheckpoint}, args...)...)
	}
	ts := func(sec int64) string { return time.Unix(sec, 0).UTC().Format(time.RFC3339) }
	start := apiStart.Unix()
	switch {
	case c.Version != CheckpointVersion:
		return bad("version %d, want %d", c.Version, CheckpointVersion)
	case c.watermark < start:
		return bad("watermark %s is before %s", ts(c.watermark), apiStart.Format(time.DateOnly))
	case c.watermark > now.Add(futureMargin).Unix():
		return bad("watermark %s is in the future", ts(c.watermark))
	}
	prev := int64(0)
	for i, s := range c.spans {
		switch {
		case s.oldest < start:
			return bad("spans[%d].oldest %s is before %s", i, ts(s.oldest), apiStart.Format(time.DateOnly))
		case s.latest < s.oldest:
			return bad("spans[%d].latest %s is before its oldest %s", i, ts(s.latest), ts(s.oldest))
		case s.latest > c.watermark:
			return bad("spans[%d].latest %s is after the watermark %s", i, ts(s.latest), ts(c.watermark))
		case s.oldest < prev:
			return bad("spans[%d].oldest %s is before the end of spans[%d]", i, ts(s.oldest), i-1)
		case !s.pending && s.ids.len() > 0:
			return bad("spans[%d].ids: kept for a window that awaits no re-read", i)
		}
		prev = s.latest
	}
	if w := c.window; w != nil {
		switch {
		case w.latest < w.oldest:
			return bad("window.latest %s is before its oldest %s", ts(w.latest), ts(w.oldest))
		case !w.reread && w.oldest != c.watermark:
			return bad("window.oldest %s is not the watermark %s", ts(w.oldest), ts(c.watermark))
		case w.reread && (len(c.spans) == 0 || w.oldest < c.spans[0].oldest || w.latest > c.watermark):
			return bad("window: a re-read of %s to %s outside the windows awaiting one", ts(w.oldest), ts(w.latest))
		case w.until < w.oldest || w.until > w.latest:
			return bad("window.until %s is outside the window", ts(w.until))
		case w.low < w.oldest || w.low > w.until:
			return bad("window.low %s is outside the window", ts(w.low))
		case w.limit < 0 || w.limit > 9999:
			return bad("window.limit %d is outside 0..9999", w.limit)
		case w.pages < 0:
			return bad("window.pages %d is negative", w.pages)
		}
	}
	st := &c.Stats
	for _, f := range []struct {
		name string
		v    int64
	}{{"entries", st.Entries}, {"late", st.Late}, {"odd", st.Odd}, {"restarts", st.Restarts}, {"windows", st.Windows},
		{"rereads", st.Rereads}, {"first_pages", st.FirstPages}, {"reread_pages", st.RereadPages}, {"max_lateness", int64(st.MaxLateness)}} {
		if f.v < 0 {
			return bad("stats.%s %d is negative", f.name, f.v)
		}
	}
	return nil
}
