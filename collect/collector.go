package collect

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/slackaudit/auditlogs"
)

// ErrInvalidOption: an option given to New is out of bounds; Run returns it
// before any call.
var ErrInvalidOption = errors.New("collect: invalid option")

// Collector follows /logs: it reads closed windows as they settle, delivers
// their events to its Sink page by page with a checkpoint, and reads each
// window again once it is a lookback old. Build one with New; Run it.
// A Collector may Run again after Run returns (from a checkpoint); two Runs
// at once must not share a Sink that cannot tell them apart.
type Collector struct {
	client    *auditlogs.Client
	sink      Sink
	params    auditlogs.LogsParams
	start     time.Time
	settle    time.Duration
	interval  time.Duration
	maxWindow time.Duration
	lookback  time.Duration
	once      bool
	log       *slog.Logger
	now       func() time.Time
	retryHook func(error, time.Duration)

	// sleep waits d or until ctx is done (tests make it quick).
	sleep func(ctx context.Context, d time.Duration) error
}

// New returns a Collector that reads through c (sharing its rate limiter
// with every other call made through it) and delivers to sink.
func New(c *auditlogs.Client, sink Sink, opts ...Option) *Collector {
	col := &Collector{
		client: c, sink: sink,
		settle: DefaultSettle, interval: DefaultInterval, maxWindow: DefaultMaxWindow, lookback: DefaultLookback,
		log: slog.New(slog.DiscardHandler), now: time.Now, sleep: sleep,
	}
	for _, o := range opts {
		o(col)
	}
	return col
}

func (c *Collector) check() error {
	switch {
	case c.client == nil || c.sink == nil:
		return fmt.Errorf("%w: a nil client or sink", ErrInvalidOption)
	case c.settle < 0:
		return fmt.Errorf("%w: settle %s is negative", ErrInvalidOption, c.settle)
	case c.interval <= 0:
		return fmt.Errorf("%w: interval %s is not positive", ErrInvalidOption, c.interval)
	case c.maxWindow < time.Second:
		return fmt.Errorf("%w: max window %s is under a second", ErrInvalidOption, c.maxWindow)
	case c.lookback < 0:
		return fmt.Errorf("%w: lookback %s is negative", ErrInvalidOption, c.lookback)
	case c.params.Limit < 0 || c.params.Limit > auditlogs.MaxLimit:
		return fmt.Errorf("%w: limit %d is outside 0..%d", ErrInvalidOption, c.params.Limit, auditlogs.MaxLimit)
	}
	return nil
}

// filters returns the collection's filters as a checkpoint records them.
func (c *Collector) filters() filters {
	var ex []string
	for _, a := range c.params.ExcludeActions {
		if a = strings.TrimSpace(a); a != "" {
			ex = append(ex, a)
		}
	}
	slices.Sort(ex)
	return filters{Action: c.params.Action, Actor: c.params.Actor, Entity: c.params.Entity, Exclude: strings.Join(slices.Compact(ex), ",")}
}

// Run collects from cp (nil: a new collection, from WithStart) until ctx is
// done, WithOnce finishes, or an error that will not pass. cp itself is not
// changed: each Batch carries the checkpoint that holds after it.
//
// It returns ctx.Err() when ctx is done: a request in flight, a pause or a
// backoff stops at once, and nothing of a page not delivered is lost, since
// the sink has the checkpoint of the last page it took. With WithOnce it
// returns nil once what is settled is read. Errors that may pass (network,
// 5xx, 429, a cut or malformed body, a refused cursor more than three times
// in a row) are retried after a pause (WithInterval, doubling with each
// error in a row up to 15 minutes, or the Retry-After if longer), told to
// WithRetryHook and logged; with WithOnce they are returned. Other errors
// are returned at once, wrapped so that errors.Is and errors.As still see
// the *auditlogs.APIError: a refused token, invalid parameters, a checkpoint
// that does not validate (ErrInvalidCheckpoint) or was made with other
// filters (ErrOtherFilters), and every error of the sink, in a *SinkError.
func (c *Collector) Run(ctx context.Context, cp *Checkpoint) error {
	if err := c.check(); err != nil {
		return err
	}
	r := &run{c: c}
	now := c.now()
	if cp == nil {
		start := c.start
		switch {
		case start.IsZero():
			start = now.Add(-DefaultStartAgo)
		case start.Before(apiStart):
			start = apiStart
		}
		if start.After(now.Add(futureMargin)) {
			return fmt.Errorf("%w: start %s is in the future", ErrInvalidOption, start.UTC().Format(time.RFC3339))
		}
		r.cp = &Checkpoint{Version: CheckpointVersion, filters: c.filters(), watermark: start.Unix()}
		c.log.Debug("collect: new collection", "start", r.cp.Watermark())
	} else {
		if err := cp.Validate(now); err != nil {
			return err
		}
		if cp.filters != c.filters() {
			return fmt.Errorf("%w: %+v, not %+v", ErrOtherFilters, cp.filters, c.filters())
		}
		var err error
		if r.cp, err = cp.clone(); err != nil {
			return err
		}
		c.log.Debug("collect: resuming", "watermark", r.cp.Watermark(), "mid_window", r.cp.window != nil)
	}
	return r.loop(ctx)
}

// run is one Run: its checkpoint, and what it need not remember.
type run struct {
	c         *Collector
	cp        *Checkpoint
	refusals  int       // cursors refused in a row
	lateWarn  time.Time // when a lateness close to the lookback was last warned of
	oddWarned bool      // an odd entry was warned of in the window in progress
}

// loop reads windows until ctx is done, WithOnce is done or an error that
// will not pass.
func (r *run) loop(ctx context.Context) error {
	c := r.c
	failures := 0
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		worked, err := r.step(ctx)
		if err == nil {
			failures = 0
			if worked {
				continue
			}
			if c.once {
				return nil
			}
			if err := c.sleep(ctx, c.interval); err != nil {
				return err
			}
			continue
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var se *SinkError
		if errors.As(err, &se) {
			return err
		}
		if refused(err) && r.restart(err) {
			continue
		}
		if c.once || !transient(err) {
			return err
		}
		failures++
		wait := backoff(c.interval, failures, err)
		c.log.Warn("collect: retrying after an error", "error", err.Error(), "wait", wait, "failures", failures)
		if c.retryHook != nil {
			c.retryHook(err, wait)
		}
		if err := c.sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// backoff is the pause after failures errors in a row: interval doubled
// with each, at most 15 minutes (or interval, if longer), and at least the
// Retry-After the server asked for.
func backoff(interval time.Duration, failures int, err error) time.Duration {
	ceiling := max(interval, maxBackoff)
	wait := interval
	for i := 1; i < failures && wait < ceiling; i++ {
		wait *= 2
	}
	wait = min(wait, ceiling)
	var apiErr *auditlogs.APIError
	if errors.As(err, &apiErr) && apiErr.RetryAfter > wait {
		wait = apiErr.RetryAfter
	}
	return wait
}

// refused reports whether Slack refused the window's cursor.
func refused(err error) bool {
	return errors.Is(err, auditlogs.ErrInvalidCursor) || errors.Is(err, auditlogs.ErrRepeatedCursor)
}

// transient reports whether err may pass by itself: network trouble (an
// *auditlogs.TransportError), 429, 5xx, a cut or garbled body, a cursor
// refused again and again. A refused token, bad parameters, a body over
// the limit, a redirect off the API's origin, a server that pages without
// end or sends a cursor too long, or a sink's error will not.
func transient(err error) bool {
	var se *SinkError
	var apiErr *auditlogs.APIError
	var netErr net.Error
	var transportErr *auditlogs.TransportError
	switch {
	case errors.As(err, &se),
		errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, auditlogs.ErrUnauthorized), errors.Is(err, auditlogs.ErrForbidden),
		errors.Is(err, auditlogs.ErrInvalidParams), errors.Is(err, auditlogs.ErrResponseTooLarge),
		errors.Is(err, auditlogs.ErrInvalidOption), errors.Is(err, auditlogs.ErrNoToken),
		errors.Is(err, auditlogs.ErrRedirectRefused), errors.Is(err, auditlogs.ErrCursorTooLong),
		errors.Is(err, auditlogs.ErrTooManyEmptyPages):
		return false
	case errors.As(err, &apiErr):
		return apiErr.StatusCode >= 500 || errors.Is(err, auditlogs.ErrRateLimited) || refused(err)
	case errors.As(err, &transportErr), errors.As(err, &netErr), errors.Is(err, auditlogs.ErrMalformedResponse), refused(err):
		return true
	}
	return true // other errors of a call are the connection's
}

// sleep waits d, or until ctx is done (then it returns ctx.Err()).
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
