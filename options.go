package auditlogs

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// An Option configures a Client in New.
type Option func(*config) error

type config struct {
	baseURL                    string
	httpClient                 *http.Client
	logger                     *slog.Logger
	retryMax                   int
	retryWaitMin, retryWaitMax time.Duration
	maxRetryAfter              time.Duration
	ratePerMinute, rateBurst   int
	uaPrefix, uaSuffix         string
	headers                    http.Header
	maxBody                    int64
	timeout                    time.Duration
	timeoutSet                 bool
	plainHTTP                  bool
}

// The defaults of the options.
const (
	DefaultRetryMax      = 4
	DefaultRetryWaitMin  = 1 * time.Second
	DefaultRetryWaitMax  = 30 * time.Second
	DefaultMaxRetryAfter = 2 * time.Minute
	// DefaultRatePerMinute and DefaultRateBurst keep a client under Slack's
	// Tier 3 budget for the audit logs (about 50 calls a minute, short
	// bursts allowed).
	DefaultRatePerMinute = 50
	DefaultRateBurst     = 5
	// DefaultMaxResponseBytes bounds a response body: a full page of 9,999
	// entries is far below it.
	DefaultMaxResponseBytes = 256 << 20
)

func defaultConfig() config {
	return config{
		baseURL:       DefaultBaseURL,
		retryMax:      DefaultRetryMax,
		retryWaitMin:  DefaultRetryWaitMin,
		retryWaitMax:  DefaultRetryWaitMax,
		maxRetryAfter: DefaultMaxRetryAfter,
		ratePerMinute: DefaultRatePerMinute,
		rateBurst:     DefaultRateBurst,
		headers:       http.Header{},
		maxBody:       DefaultMaxResponseBytes,
		timeout:       DefaultTimeout,
	}
}

// WithBaseURL sets the API's base URL, for a proxy, GovSlack or a test
// server. A path prefix is kept, with or without a trailing slash. The default
// is DefaultBaseURL, https://api.slack.com/audit/v1/.
func WithBaseURL(u string) Option {
	return func(c *config) error { c.baseURL = u; return nil }
}

// WithHTTPClient sets the HTTP client under the retries: its transport, its
// cookie jar, its CheckRedirect, and its timeout, which bounds each attempt,
// as they are when New runs. The client is not modified: the library wraps
// it, refusing any redirect that leaves the base URL's scheme, host and port
// (ErrRedirectRefused) before its own CheckRedirect runs, and it never
// closes the client's idle connections. The default uses the proxy from the
// environment (honouring NO_PROXY) and DefaultTimeout.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *config) error {
		if hc == nil {
			return fmt.Errorf("%w: WithHTTPClient: nil client", ErrInvalidOption)
		}
		c.httpClient = hc
		return nil
	}
}

// WithTimeout bounds each attempt of a call, from connecting to reading the
// last byte of the body, for the default HTTP client; with WithHTTPClient,
// set the client's own Timeout instead. The default is DefaultTimeout (2
// minutes).
func WithTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("%w: WithTimeout: %s is not positive", ErrInvalidOption, d)
		}
		c.timeout = d
		c.timeoutSet = true
		return nil
	}
}

// WithLogger sets where the client logs its requests, retries and waits
// (at debug level) and failed attempts (at error level). It never logs the
// token or a header. The default logs nothing.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error { c.logger = l; return nil }
}

// WithRetryMax sets how many times a call is retried after its first
// attempt fails with a connection error, a body cut short, 429 or 5xx; zero
// disables retries. The default is DefaultRetryMax (4).
func WithRetryMax(n int) Option {
	return func(c *config) error {
		if n < 0 {
			return fmt.Errorf("%w: WithRetryMax: %d is negative", ErrInvalidOption, n)
		}
		c.retryMax = n
		return nil
	}
}

// WithRetryWait sets the bounds of the exponential backoff between attempts
// when the server gave no Retry-After: attempt n waits a random time between
// zero and min(max, min*2^n). The defaults are DefaultRetryWaitMin (1s) and
// DefaultRetryWaitMax (30s).
func WithRetryWait(minWait, maxWait time.Duration) Option {
	return func(c *config) error {
		if minWait < 0 || maxWait < minWait {
			return fmt.Errorf("%w: WithRetryWait: need 0 <= min <= max, got %s and %s", ErrInvalidOption, minWait, maxWait)
		}
		c.retryWaitMin, c.retryWaitMax = minWait, maxWait
		return nil
	}
}

// WithMaxRetryAfter caps the Retry-After the client waits out before trying
// again. A Retry-After within the cap pauses every call of the client (with
// the rate limiter on) until it runs out, each call waiting at most until its
// context is done. A 429 or 5xx asking for a longer wait fails that call at
// once, as an *APIError whose RetryAfter says how long (a huge value or a
// far HTTP date saturates at the largest time.Duration), and holds back no
// other call: later calls proceed, paced by the limiter (slowed down by the
// 429), and fail the same way if the server still refuses them. The client
// thus never stops for a wait it did not agree to; the caller decides what
// to do with RetryAfter. The default is DefaultMaxRetryAfter (2 minutes).
func WithMaxRetryAfter(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return fmt.Errorf("%w: WithMaxRetryAfter: %s is negative", ErrInvalidOption, d)
		}
		c.maxRetryAfter = d
		return nil
	}
}

// WithRateLimit sets the client-side rate limit: at most perMinute calls a
// minute, with bursts of up to burst calls. A perMinute of zero turns the
// limiter off. Lower it when several collectors share one organization,
// since Slack counts the budget per organization. The default is
// DefaultRatePerMinute (50) with bursts of DefaultRateBurst (5).
func WithRateLimit(perMinute, burst int) Option {
	return func(c *config) error {
		if perMinute < 0 || burst < 0 {
			return fmt.Errorf("%w: WithRateLimit: %d a minute, burst %d: need values >= 0", ErrInvalidOption, perMinute, burst)
		}
		c.ratePerMinute, c.rateBurst = perMinute, burst
		return nil
	}
}

// WithUserAgent adds a prefix and a suffix (either may be empty) around the
// User-Agent the client sends, "auditlogs-go/<version> go/<go version>".
func WithUserAgent(prefix, suffix string) Option {
	return func(c *config) error {
		if strings.ContainsAny(prefix+suffix, "\r\n") {
			return fmt.Errorf("%w: WithUserAgent: line break in user agent", ErrInvalidOption)
		}
		c.uaPrefix, c.uaSuffix = strings.TrimSpace(prefix), strings.TrimSpace(suffix)
		return nil
	}
}

// WithHeader adds a header to every request. It cannot set Authorization
// (the token passed to New is the only credential) or User-Agent (see
// WithUserAgent). There are no default extra headers.
func WithHeader(key, value string) Option {
	return func(c *config) error {
		switch http.CanonicalHeaderKey(key) {
		case "Authorization", "User-Agent":
			return fmt.Errorf("%w: WithHeader: %s cannot be set this way", ErrInvalidOption, http.CanonicalHeaderKey(key))
		}
		if strings.ContainsAny(key+value, "\r\n") || key == "" {
			return fmt.Errorf("%w: WithHeader: invalid header %q", ErrInvalidOption, key)
		}
		c.headers.Add(key, value)
		return nil
	}
}

// WithMaxResponseBytes bounds the size of a response body; a larger one
// fails the call with ErrResponseTooLarge, without retries. The default is
// DefaultMaxResponseBytes (256 MiB).
func WithMaxResponseBytes(n int64) Option {
	return func(c *config) error {
		if n <= 0 {
			return fmt.Errorf("%w: WithMaxResponseBytes: %d is not positive", ErrInvalidOption, n)
		}
		c.maxBody = n
		return nil
	}
}

// WithPlainHTTP lets the client send its token over plain http:// to a host
// that is not a loopback address, for test setups (a fake server on another
// machine or container). Without it, New refuses such a base URL: anyone on
// the path could read the token. Loopback addresses (localhost, 127.0.0.0/8,
// ::1) are always allowed, and https is always used as given.
func WithPlainHTTP(allow bool) Option {
	return func(c *config) error { c.plainHTTP = allow; return nil }
}
