package collect_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/slackaudit/auditlogs"
	"github.com/slackaudit/auditlogs/auditlogstest"
	"github.com/slackaudit/auditlogs/collect"
)

// TestCancel cancels Run during a slow response and during a backoff: it
// returns context.Canceled promptly, and the sink has the last checkpoint.
func TestCancel(t *testing.T) {
	t.Run("slow response", func(t *testing.T) {
		srv := auditlogstest.NewServer(auditlogstest.WithEntries(lateEntries(time.Now().Add(-time.Hour).Unix(), 30)),
			auditlogstest.WithFaults(auditlogstest.Faults{Slow: 1, SlowDelay: time.Hour}))
		defer srv.Close()
		ctx, cancel := context.WithCancel(context.Background())
		sink := &memSink{}
		col := collect.New(newClient(t, srv), sink)
		done := make(chan error, 1)
		go func() { done <- col.Run(ctx, nil) }()
		for srv.Stats().LogsRequests == 0 { // the request is in flight
			select {
			case err := <-done:
				t.Fatalf("Run returned %v", err)
			case <-time.After(time.Millisecond):
			}
		}
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Run returned %v, want context.Canceled", err)
			}
		case <-time.After(time.Minute): // the response would take an hour
			t.Fatal("Run did not return after its context was cancelled")
		}
		if len(sink.batches) != 0 {
			t.Errorf("%d batches delivered from a page never received", len(sink.batches))
		}
	})
	t.Run("backoff", func(t *testing.T) {
		srv := auditlogstest.NewServer(auditlogstest.WithFaults(auditlogstest.Faults{ServerError: 1}))
		defer srv.Close()
		ctx, cancel := context.WithCancel(context.Background())
		var waits []time.Duration
		col := collect.New(newClient(t, srv, auditlogs.WithRetryMax(0)), &memSink{}, collect.WithInterval(time.Hour),
			collect.WithRetryHook(func(err error, wait time.Duration) {
				if !errors.Is(err, auditlogs.ErrServer) {
					t.Errorf("retrying %v", err)
				}
				waits = append(waits, wait)
				cancel() // Run is about to pause an hour
			}))
		done := make(chan error, 1)
		go func() { done <- col.Run(ctx, nil) }()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) || len(waits) != 1 || waits[0] != time.Hour {
				t.Errorf("Run returned %v after retries %v, want context.Canceled after one of 1h", err, waits)
			}
		case <-time.After(time.Minute):
			t.Fatal("Run did not return after its context was cancelled")
		}
	})
}

// TestErrors checks which errors Run retries, with what pause, and which it
// returns.
func TestErrors(t *testing.T) {
	t.Run("transient errors are retried with a growing pause", func(t *testing.T) {
		srv := auditlogstest.NewServer(auditlogstest.WithEntries(lateEntries(1_900_000_000, 30)),
			auditlogstest.WithFaults(auditlogstest.Faults{ServerError: 1, FirstN: 5}))
		defer srv.Close()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var waits, slept []time.Duration
		sink := &memSink{fail: func(b *collect.Batch) failMode {
			if _, _, inProgress := b.Checkpoint.InProgress(); !inProgress {
				cancel() // the first window is read
			}
			return ok
		}}
		col := collect.New(newClient(t, srv, auditlogs.WithRetryMax(0)), sink, collect.WithInterval(time.Minute),
			collect.WithStart(time.Unix(1_900_000_000, 0)), collect.WithClock(newClock(time.Unix(1_900_001_000, 0)).Now),
			collect.WithRetryHook(func(_ error, wait time.Duration) { waits = append(waits, wait) }))
		collect.SetSleep(col, func(ctx context.Context, d time.Duration) error {
			if slept = append(slept, d); len(slept) > 10 {
				return errors.New("too many pauses")
			}
			return ctx.Err()
		})
		if err := col.Run(ctx, nil); !errors.Is(err, context.Canceled) {
			t.Fatalf("Run returned %v", err)
		}
		want := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 15 * time.Minute}
		if fmt.Sprint(waits) != fmt.Sprint(want) || fmt.Sprint(slept) != fmt.Sprint(want) {
			t.Errorf("told of waits %v, slept %v, want %v", waits, slept, want)
		}
		if got := len(sink.counts()); got != 30 {
			t.Errorf("%d entries delivered, want 30", got)
		}
	})
	t.Run("once returns them", func(t *testing.T) {
		srv := auditlogstest.NewServer(auditlogstest.WithFaults(auditlogstest.Faults{ServerError: 1}))
		defer srv.Close()
		err := collect.New(newClient(t, srv, auditlogs.WithRetryMax(0)), &memSink{}, collect.WithOnce(true)).Run(context.Background(), nil)
		var apiErr *auditlogs.APIError
		if !errors.Is(err, auditlogs.ErrServer) || !errors.As(err, &apiErr) {
			t.Errorf("Run returned %v, want the server's error", err)
		}
	})
	t.Run("a refused token is returned at once", func(t *testing.T) {
		srv := auditlogstest.NewServer(auditlogstest.WithToken("xoxp-other"))
		defer srv.Close()
		hooked := false
		err := collect.New(newClient(t, srv), &memSink{}, collect.WithRetryHook(func(error, time.Duration) { hooked = true })).
			Run(context.Background(), nil)
		if !errors.Is(err, auditlogs.ErrUnauthorized) || hooked {
			t.Errorf("Run returned %v (retried: %v), want ErrUnauthorized at once", err, hooked)
		}
	})
	t.Run("a sink's error is returned at once", func(t *testing.T) {
		srv := auditlogstest.NewServer(auditlogstest.WithEntries(lateEntries(time.Now().Add(-time.Hour).Unix(), 3)))
		defer srv.Close()
		sink := &memSink{fail: func(*collect.Batch) failMode { return failBefore }}
		err := collect.New(newClient(t, srv), sink).Run(context.Background(), nil)
		var se *collect.SinkError
		if !errors.As(err, &se) || !errors.Is(err, errSinkFailed) || !strings.HasPrefix(err.Error(), "sink: ") {
			t.Errorf("Run returned %v, want a *SinkError", err)
		}
	})
	t.Run("bad options", func(t *testing.T) {
		srv := auditlogstest.NewServer()
		defer srv.Close()
		for _, o := range []collect.Option{collect.WithSettle(-1), collect.WithInterval(0), collect.WithMaxWindow(time.Millisecond),
			collect.WithLookback(-time.Second), collect.WithFilters(auditlogs.LogsParams{Limit: 10000}),
			collect.WithStart(time.Now().Add(time.Hour))} {
			if err := collect.New(newClient(t, srv), &memSink{}, o).Run(context.Background(), nil); !errors.Is(err, collect.ErrInvalidOption) {
				t.Errorf("Run returned %v, want ErrInvalidOption", err)
			}
		}
		if srv.Stats().Requests != 0 {
			t.Errorf("%d requests sent with bad options", srv.Stats().Requests)
		}
	})
}
