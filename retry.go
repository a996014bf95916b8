package auditlogs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/slackaudit/auditlogs/internal/pagestore"
	"github.com/slackaudit/auditlogs/internal/ratelimit"
)

// retryPolicy decides, after each attempt, whether to try again and how long
// to wait first. It is plugged into go-retryablehttp as CheckRetry and
// Backoff.
type retryPolicy struct {
	waitMin, waitMax time.Duration      // exponential backoff bounds
	maxRetryAfter    time.Duration      // a longer Retry-After is not waited out
	limiter          *ratelimit.Limiter // told of every Retry-After within the cap, so all calls pause
	now              func() time.Time
}

// bodyError is an error met while reading or decoding a response body.
// retryable marks the ones a new attempt may cure: a connection dropped in
// the middle of the body, or JSON cut short.
type bodyError struct {
	err       error
	retryable bool
}

func (e *bodyError) Error() string { return e.err.Error() }
func (e *bodyError) Unwrap() error { return e.err }

// checkRetry is the retryablehttp.CheckRetry: connection errors, a body cut
// short, 429 and 5xx (but 501) are retried; other 4xx never are. A
// Retry-After within the cap pauses every call of the client (the limiter's
// Pause); one above it is not waited out: the caller gets the error and its
// RetryAfter instead, and other calls are not paused.
func (p *retryPolicy) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	var be *bodyError
	if errors.As(err, &be) {
		return be.retryable, nil
	}
	if errors.Is(err, ErrRedirectRefused) {
		return false, nil // the server will redirect again
	}
	if err != nil {
		return retryablehttp.DefaultRetryPolicy(ctx, resp, err)
	}
	retry := resp.StatusCode == http.StatusTooManyRequests ||
		(resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented)
	if !retry {
		return false, nil
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		p.limiter.Throttled()
	}
	if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), p.now()); ok {
		if d > p.maxRetryAfter {
			return false, nil // this call fails; the others are not held back (see WithMaxRetryAfter)
		}
		p.limiter.Pause(p.now().Add(d))
	}
	return true, nil
}

// backoff is the retryablehttp.Backoff: the Retry-After the server asked
// for, exactly, when there is one; otherwise exponential backoff with full
// jitter, a random wait between zero and min(waitMax, waitMin * 2^attempt).
func (p *retryPolicy) backoff(_, _ time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil {
		if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), p.now()); ok {
			return d
		}
	}
	ceiling := backoffCeiling(p.waitMin, p.waitMax, attempt)
	if ceiling <= 0 {
		return 0
	}
	if ceiling == math.MaxInt64 {
		return rand.N(ceiling) // ceiling+1 would overflow
	}
	return rand.N(ceiling + 1)
}

// backoffCeiling is min(waitMax, waitMin * 2^attempt), saturating: however
// large attempt is, the doubling stops at waitMax and never overflows into
// a negative (no wait at all).
func backoffCeiling(waitMin, waitMax time.Duration, attempt int) time.Duration {
	ceiling := waitMin
	for range attempt {
		if ceiling >= waitMax || ceiling > waitMax/2 {
			return waitMax
		}
		ceiling *= 2
	}
	return min(ceiling, waitMax)
}

// readBody reads a response body of at most limit bytes into store's
// storage (nil: new storage). A body cut short by the connection is a
// retryable bodyError; one over the limit is not.
func readBody(r io.Reader, limit int64, sizeHint int64, store *pagestore.Store) ([]byte, error) {
	b, err := store.Read(r, limit, sizeHint)
	switch {
	case errors.Is(err, pagestore.ErrTooLarge):
		return nil, &bodyError{err: ErrResponseTooLarge}
	case err != nil:
		return nil, &bodyError{err: &TransportError{Err: fmt.Errorf("reading response: %w", err)}, retryable: true}
	}
	return b, nil
}
