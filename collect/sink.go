package collect

import (
	"context"
	"time"

	"github.com/slackaudit/auditlogs"
)

// Sink receives what a collection reads. Deliver must make b.Entries durable
// first and store b.Checkpoint after (or atomically with) them, and return nil
// only when both are done. A sink that can cut back or de-duplicate (a file cut
// to a recorded size, a table keyed by id) gets every event exactly once; any
// other sink at least once: a crash between the entries and the checkpoint
// delivers that page's new entries again. Deliver is called for every page,
// also when Entries is empty (the checkpoint moved).
//
// An error from Deliver stops Run, which returns it in a *SinkError; resume
// with the last checkpoint the sink stored.
type Sink interface {
	Deliver(ctx context.Context, b *Batch) error
}

// Batch is one page's worth of delivery.
type Batch struct {
	// Entries are the page's entries to deliver, in the order Slack sent
	// them (newest first), without those already delivered. May be empty.
	Entries []*auditlogs.Entry
	// Checkpoint is what holds once Entries are delivered. It is the
	// collector's own: the sink may use it only until Deliver returns. To
	// store it, call its MarshalJSON: json.Marshal gives the same bytes,
	// but checks them again byte by byte, which takes ten times as long
	// (about 10 ms instead of 1 for a checkpoint of 100,000 events).
	Checkpoint *Checkpoint
	// Window is the window the page belongs to.
	Window Window
	// Reread is true when the page comes from a re-read for late events.
	Reread bool
	// Late lists the entries of this batch found late (a subset of
	// Entries, only in a re-read).
	Late []LateEvent
	// Odd counts the entries of this batch whose date_create could not be
	// placed in the window (missing, not a number, or outside it): they are
	// delivered all the same.
	Odd int
}

// Window is a closed range of date_create seconds, both ends included, in
// UTC.
type Window struct{ Oldest, Latest time.Time }

// LateEvent is an event a re-read found: one Slack indexed after the first
// read of its window.
type LateEvent struct {
	// ID is the event's id.
	ID string
	// DateCreate is when the event happened.
	DateCreate time.Time
	// Lateness is a lower bound on how late the event was indexed: the
	// first read of its window began that long after DateCreate.
	Lateness time.Duration
	// Window is the re-read window it was found in.
	Window Window
}

// SinkError is an error the sink returned. Run never retries it.
type SinkError struct{ Err error }

// Error implements error.
func (e *SinkError) Error() string { return "sink: " + e.Err.Error() }

// Unwrap returns the sink's error.
func (e *SinkError) Unwrap() error { return e.Err }

func window(oldest, latest int64) Window {
	return Window{Oldest: time.Unix(oldest, 0).UTC(), Latest: time.Unix(latest, 0).UTC()}
}
