package auditlogs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/slackaudit/auditlogs/internal/inflate"
	"github.com/slackaudit/auditlogs/internal/pagestore"
	"github.com/slackaudit/auditlogs/internal/ratelimit"
)

// Version is the library's version, sent in the User-Agent header: the last
// release's, which .ci/release writes here.
const Version = "1.0.0"

// DefaultBaseURL is where the API lives.
const DefaultBaseURL = "https://api.slack.com/audit/v1/"

// Client calls the Audit Logs API. Build one with New. A Client is safe for
// concurrent use; its rate limiter is shared by all calls made through it.
type Client struct {
	baseURL   string
	token     *secret // behind a pointer, so that printing a Client prints no token
	userAgent string
	headers   http.Header
	maxBody   int64
	http      *retryablehttp.Client
	policy    *retryPolicy
	limiter   *ratelimit.Limiter
	logger    *slog.Logger
	ratio     *inflate.Ratio // of the last gzip body: the next one's size hint
	inflaters inflate.Pool   // idle gzip readers
}

// callKey keys a call's state in its request's context.
type callKey struct{}

// callState follows one call through its attempts.
type callState struct {
	attempts int          // attempts made so far
	turnAt   atomic.Int64 // when the current attempt got its turn (UnixNano)
}

// attemptsError is the last error of a call, with the number of attempts.
type attemptsError struct {
	err      error
	attempts int
}

func (e *attemptsError) Error() string {
	if e.attempts == 1 {
		return e.err.Error()
	}
	return fmt.Sprintf("%v (after %d attempts)", e.err, e.attempts)
}

func (e *attemptsError) Unwrap() error { return e.err }

// waitTurn waits for the rate limiter, logging any wait, and notes when the
// call got its turn.
func (c *Client) waitTurn(ctx context.Context, cs *callState) error {
	before := c.limiter.TotalWait()
	err := c.limiter.Wait(ctx)
	if waited := c.limiter.TotalWait() - before; waited > 0 && c.logger != nil {
		c.logger.DebugContext(ctx, "auditlogs: waited for the rate limit", "wait", waited)
	}
	if cs != nil {
		cs.turnAt.Store(time.Now().UnixNano())
	}
	return err
}

// secret holds the token. Its methods keep it out of anything printed.
type secret struct{ value string }

func (s *secret) String() string   { return "[redacted]" }
func (s *secret) GoString() string { return "[redacted]" }

// New returns a Client that authenticates with token, a user token
// (xoxp-...) with the auditlogs:read scope from an app installed on the
// Enterprise Grid organization. It refuses bad options.
//
// An empty token makes a Client for /schemas and /actions, which need none:
// it sends no Authorization header, and its /logs calls (Logs, Pages,
// AllLogs, RawPages) fail at once with ErrNoToken.
func New(token string, opts ...Option) (*Client, error) {
	cfg := defaultConfig()
	for _, opt := range opts {
		if err := opt(&cfg); err != nil {
			return nil, err
		}
	}
	if cfg.timeoutSet && cfg.httpClient != nil {
		return nil, fmt.Errorf("%w: WithTimeout applies to the default HTTP client: set the Timeout of the one given to WithHTTPClient", ErrInvalidOption)
	}
	base, err := normalizeBaseURL(cfg.baseURL)
	if err != nil {
		return nil, err
	}
	if err := checkPlainHTTP(base, cfg.plainHTTP); err != nil {
		return nil, err
	}
	c := &Client{
		baseURL:   base,
		token:     &secret{token},
		headers:   cfg.headers.Clone(),
		maxBody:   cfg.maxBody,
		limiter:   ratelimit.New(cfg.ratePerMinute, cfg.rateBurst),
		inflaters: inflate.NewPool(),
		ratio:     new(inflate.Ratio),
	}
	c.userAgent = "auditlogs-go/" + Version + " go/" + runtime.Version()
	if cfg.uaPrefix != "" {
		c.userAgent = cfg.uaPrefix + " " + c.userAgent
	}
	if cfg.uaSuffix != "" {
		c.userAgent += " " + cfg.uaSuffix
	}
	c.policy = &retryPolicy{
		waitMin:       cfg.retryWaitMin,
		waitMax:       cfg.retryWaitMax,
		maxRetryAfter: cfg.maxRetryAfter,
		limiter:       c.limiter,
		now:           time.Now,
	}
	theirs := cfg.httpClient != nil
	hc := cfg.httpClient
	if !theirs {
		hc = defaultHTTPClient(cfg.timeout)
	}
	if hc, err = httpClientFor(base, hc, theirs); err != nil {
		return nil, err
	}
	c.http = &retryablehttp.Client{
		HTTPClient:   hc,
		Logger:       newLogger(cfg.logger),
		RetryWaitMin: cfg.retryWaitMin,
		RetryWaitMax: cfg.retryWaitMax,
		RetryMax:     cfg.retryMax,
		CheckRetry:   c.policy.checkRetry,
		Backoff:      c.policy.backoff,
		// Every retry waits its turn on the rate limiter, like the first try.
		PrepareRetry: func(req *http.Request) error {
			cs, _ := req.Context().Value(callKey{}).(*callState)
			if cs != nil {
				cs.attempts++
			}
			return c.waitTurn(req.Context(), cs)
		},
		// After the last attempt, keep the response: it becomes an *APIError.
		ErrorHandler: retryablehttp.PassthroughErrorHandler,
	}
	c.logger = cfg.logger
	return c, nil
}

// String describes the client without its token.
func (c *Client) String() string {
	return fmt.Sprintf("auditlogs.Client{baseURL: %q}", c.baseURL)
}

// GoString describes the client without its token, for %#v.
func (c *Client) GoString() string { return c.String() }

// RateLimitWait returns the total time this client's calls have actually
// spent waiting on its rate limiter, Retry-After pauses included: a wait cut
// short by a context counts as far as it went. It saturates at the largest
// time.Duration.
func (c *Client) RateLimitWait() time.Duration { return c.limiter.TotalWait() }

// defaultHTTPClient is the transport under the retries when WithHTTPClient is
// not used: the proxy from the environment (HTTPS_PROXY, NO_PROXY), and a
// timeout on each attempt, body included.
func defaultHTTPClient(timeout time.Duration) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = http.ProxyFromEnvironment
	return &http.Client{Transport: t, Timeout: timeout}
}

// DefaultTimeout bounds each attempt of a call, from connecting to reading the
// last byte of the body, when WithHTTPClient is not used.
const DefaultTimeout = 2 * time.Minute

// normalizeBaseURL checks u and gives it the trailing slash the generated
// client needs to keep a path prefix such as /audit/v1.
func normalizeBaseURL(u string) (string, error) {
	parsed, err := url.Parse(u)
	if err != nil || (parsed.Scheme != "http" && parsed.Scheme != "https") || parsed.Host == "" {
		return "", fmt.Errorf("%w: base URL %q is not an absolute http or https URL", ErrInvalidOption, u)
	}
	if parsed.RawQuery != "" || parsed.Fragment != "" {
		return "", fmt.Errorf("%w: base URL %q must not have a query or fragment", ErrInvalidOption, u)
	}
	if len(u) == 0 || u[len(u)-1] != '/' {
		u += "/"
	}
	return u, nil
}

// checkPlainHTTP refuses a plain http base URL to a host other than a
// loopback address, unless allowed: the token would cross the network in
// clear.
func checkPlainHTTP(base string, allowed bool) error {
	u, err := url.Parse(base)
	if err != nil || u.Scheme != "http" || allowed || isLoopback(u.Hostname()) {
		return nil
	}
	return fmt.Errorf("%w: base URL %q is plain http to %s, which is not a loopback address: the token would cross the network "+
		"in clear; use https, or WithPlainHTTP(true) for a test setup", ErrPlainHTTP, base, u.Hostname())
}

// isLoopback reports whether host names this machine: localhost, or a
// loopback IP address.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// do sends req with the token and headers, through the rate limiter and the
// retries. decode, if not nil, runs on a 2xx body inside the retry loop: a
// body cut short or JSON cut short is retried like a dropped connection. It
// returns the 2xx body, or an error: *APIError for any other status. The
// body is read into store's storage (nil: new storage).
func (c *Client) do(ctx context.Context, op string, req *http.Request, store *pagestore.Store, decode func([]byte) error) ([]byte, error) {
	cs := &callState{attempts: 1}
	// The server counts a call when it arrives. When this one leaves late
	// (a new connection, a TLS handshake), the limiter counts it late too.
	trace := &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) {
		if at := cs.turnAt.Load(); at != 0 {
			c.limiter.Delayed(time.Since(time.Unix(0, at)))
		}
	}}
	req = req.WithContext(httptrace.WithClientTrace(context.WithValue(ctx, callKey{}, cs), trace))
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Accept-Encoding", acceptEncoding) // set by hand: the transport leaves the body compressed (gzip.go)
	req.Header.Set("User-Agent", c.userAgent)
	for k, v := range c.headers {
		req.Header[k] = slices.Clone(v) // the request's own: a transport or hook may edit it
	}
	if c.token.value != "" {
		req.Header.Set("Authorization", "Bearer "+c.token.value)
	}

	rreq, err := retryablehttp.FromRequest(req)
	if err != nil {
		return nil, fmt.Errorf("auditlogs: %s: %w", op, err)
	}
	var body []byte
	rreq.SetResponseHandler(func(resp *http.Response) error {
		if resp.StatusCode < 200 || resp.StatusCode > 299 {
			return nil // not retried: turned into an *APIError below
		}
		b, err := c.readResponse(resp, store)
		resp.Body.Close()
		resp.Body = http.NoBody
		if err != nil {
			return err
		}
		if decode != nil {
			if err := decode(b); errors.Is(err, errNotOK) {
				return &bodyError{err: newAPIError(resp, b, time.Now())} // Slack's error: not retried
			} else if err != nil {
				return err
			}
		}
		body = b
		return nil
	})

	if err := c.waitTurn(ctx, cs); err != nil {
		return nil, err
	}
	resp, err := c.http.Do(rreq)
	if ctxErr := ctx.Err(); ctxErr != nil {
		if resp != nil {
			resp.Body.Close()
		}
		return nil, ctxErr
	}
	if err != nil {
		if resp != nil {
			resp.Body.Close()
		}
		var apiErr *APIError
		if errors.As(err, &apiErr) { // a 2xx body with "ok": false and a code
			apiErr.Attempts = cs.attempts
			return nil, apiErr
		}
		return nil, callError(op, err, cs.attempts)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		apiErr := newAPIError(resp, c.readErrorBody(resp), time.Now())
		apiErr.Attempts = cs.attempts
		return nil, apiErr
	}
	return body, nil
}

// callError words the error of a call that got no usable response after
// attempts tries. It never names the URL or a header: a transport error loses
// its URL.
func callError(op string, err error, attempts int) error {
	var be *bodyError
	var ue *url.Error
	switch {
	case errors.As(err, &be):
		err = be.err // already says "auditlogs: ..."
		var te *TransportError
		if errors.As(err, &te) && te.Op == "" {
			te.Op = op
		}
	case errors.As(err, &ue) && errors.Is(ue.Err, ErrRedirectRefused):
		err = ue.Err // names the target without its query
	case errors.As(err, &ue):
		err = &TransportError{Op: op, Err: ue.Err}
	default:
		err = &TransportError{Op: op, Err: err}
	}
	if attempts > 1 {
		return &attemptsError{err: err, attempts: attempts}
	}
	return err
}

// BaseURL returns the base URL the client calls, with its trailing slash.
func (c *Client) BaseURL() string { return c.baseURL }
