package collect

import (
	"log/slog"
	"slices"
	"time"

	"github.com/slackaudit/auditlogs"
)

// An Option configures a Collector in New.
type Option func(*Collector)

// The defaults of the options.
const (
	DefaultSettle    = 2 * time.Minute
	DefaultInterval  = time.Minute
	DefaultMaxWindow = 24 * time.Hour
	// DefaultLookback is how long after a window closes it is read again
	// for late events: Slack documents no bound on its indexing lag; 30
	// minutes covers the lags seen in Slack's API (about a minute) many
	// times over, for one extra call per window read (see the package
	// documentation).
	DefaultLookback = 30 * time.Minute
	// DefaultStartAgo is how far back a new collection starts.
	DefaultStartAgo = 24 * time.Hour
)

// maxBackoff is the longest pause between two attempts after errors that may
// pass.
const maxBackoff = 15 * time.Minute

// WithFilters sets the filters of the collection: Action, Actor, Entity,
// ExcludeActions and Limit (the page size) are used; the other fields are
// ignored. A checkpoint remembers the filters and Run refuses one made with
// others (ErrOtherFilters). The default is none, and pages of
// auditlogs.DefaultLimit.
func WithFilters(p auditlogs.LogsParams) Option {
	return func(c *Collector) {
		c.params = auditlogs.LogsParams{Action: p.Action, Actor: p.Actor, Entity: p.Entity, ExcludeActions: slices.Clone(p.ExcludeActions), Limit: p.Limit}
	}
}

// WithStart sets where a new collection starts (Run with a nil checkpoint),
// in whole seconds; a time before 2018-03-01 starts there. The default is
// 24 hours before now.
func WithStart(t time.Time) Option { return func(c *Collector) { c.start = t } }

// WithSettle sets how far behind now a first read stops: a window closes
// only once its latest second is that old. The default is DefaultSettle (2
// minutes).
func WithSettle(d time.Duration) Option { return func(c *Collector) { c.settle = d } }

// WithInterval sets the pause between windows once the collection has
// caught up, and the first pause after an error (it doubles with each
// error in a row, up to 15 minutes). The default is DefaultInterval (1
// minute).
func WithInterval(d time.Duration) Option { return func(c *Collector) { c.interval = d } }

// WithMaxWindow sets the longest window one pass reads (at least a second):
// a backfill moves forward in such steps, and a re-read covers at most this
// much. The default is DefaultMaxWindow (24 hours).
func WithMaxWindow(d time.Duration) Option { return func(c *Collector) { c.maxWindow = d } }

// WithLookback sets how long after its latest second each window is read
// again to find events Slack indexed late; 0 turns re-reading off. A
// lookback no longer than the settle delay re-reads nothing. The default is
// DefaultLookback (30 minutes).
func WithLookback(d time.Duration) Option { return func(c *Collector) { c.lookback = d } }

// WithOnce makes Run read what is settled (first reads and the re-reads
// due), then return nil; errors are then returned, not retried. The
// default is false: Run goes on until its context is done.
func WithOnce(b bool) Option { return func(c *Collector) { c.once = b } }

// WithLogger sets where the collector logs windows and pages (debug), the
// late events it finds (info), and refused cursors, odd entries, errors it
// retries and a lateness close to the lookback (warn). The default
// discards everything.
func WithLogger(l *slog.Logger) Option {
	return func(c *Collector) {
		if l != nil {
			c.log = l
		}
	}
}

// WithClock sets the clock the collector reads now from, for tests. The
// default is time.Now. Pauses still take real time.
func WithClock(now func() time.Time) Option {
	return func(c *Collector) {
		if now != nil {
			c.now = now
		}
	}
}

// WithRetryHook sets a function told of each error Run will retry and how
// long it waits first (for a status display). The default is none.
func WithRetryHook(f func(err error, wait time.Duration)) Option {
	return func(c *Collector) { c.retryHook = f }
}
