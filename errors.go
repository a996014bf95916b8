package auditlogs

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Sentinel errors, for use with errors.Is. An *APIError matches the ones that
// fit its status and Slack error code.
var (
	// ErrUnauthorized: the token is missing, invalid, revoked or expired
	// (HTTP 401, or codes such as invalid_auth and token_revoked).
	ErrUnauthorized = errors.New("auditlogs: invalid or missing credentials")
	// ErrForbidden: the token is valid but may not read audit logs: a missing
	// auditlogs:read scope, a token not installed on the organization, or an
	// organization without Enterprise Grid (HTTP 403).
	ErrForbidden = errors.New("auditlogs: not allowed")
	// ErrRateLimited: Slack refused the call for its rate limit (HTTP 429).
	ErrRateLimited = errors.New("auditlogs: rate limited")
	// ErrInvalidCursor: Slack refused the cursor; read the time window again.
	ErrInvalidCursor = errors.New("auditlogs: invalid cursor")
	// ErrServer: Slack failed (HTTP 5xx) on every attempt.
	ErrServer = errors.New("auditlogs: server error")
	// ErrNoToken: a /logs call on a Client made without a token (New("")),
	// which can read only /schemas and /actions. Nothing was sent.
	ErrNoToken = errors.New("auditlogs: no token: /logs needs a user token (xoxp-...) with the auditlogs:read scope")
	// ErrInvalidOption: an Option passed to New is out of bounds.
	ErrInvalidOption = errors.New("auditlogs: invalid option")
	// ErrPlainHTTP: New refused a plain http base URL to a host that is not
	// this machine, where the token would cross the network in clear (see
	// WithPlainHTTP). It matches ErrInvalidOption too.
	ErrPlainHTTP = fmt.Errorf("%w: plain http to another machine", ErrInvalidOption)
	// ErrInvalidParams: the request's parameters are out of bounds; nothing
	// was sent.
	ErrInvalidParams = errors.New("auditlogs: invalid parameters")
	// ErrRepeatedCursor: the server sent a cursor it had already sent in this
	// pass, which would make paging loop forever.
	ErrRepeatedCursor = errors.New("auditlogs: server repeated a cursor")
	// ErrCursorTooLong: the server sent a next_cursor longer than
	// MaxCursorLen. It is not followed, nor retried.
	ErrCursorTooLong = errors.New("auditlogs: server sent a cursor too long")
	// ErrTooManyEmptyPages: the server sent MaxEmptyPages empty pages in a
	// row, each with a new cursor: paging stops rather than run forever.
	ErrTooManyEmptyPages = errors.New("auditlogs: too many empty pages in a row")
	// ErrResponseTooLarge: a response body was larger than the client's limit
	// (see WithMaxResponseBytes).
	ErrResponseTooLarge = errors.New("auditlogs: response too large")
	// ErrMalformedResponse: a successful response's body is not the JSON the
	// API documents, on every attempt.
	ErrMalformedResponse = errors.New("auditlogs: malformed response")
)

// TransportError is a call that could not reach the API: no connection, a
// TLS or proxy failure, a timeout, or a connection dropped before the whole
// body came (a gzip stream cut short included), on every attempt. Use
// errors.As to tell it from the other failures of a call: an *APIError (the
// API answered, with an error), ErrMalformedResponse or ErrResponseTooLarge
// (it answered something the client cannot use), ErrRedirectRefused. Its
// message never names the URL.
type TransportError struct {
	// Op is the call, such as "get logs".
	Op string
	// Err is the network's error, such as a *net.OpError or
	// io.ErrUnexpectedEOF.
	Err error
}

// Error implements error.
func (e *TransportError) Error() string {
	if e.Op == "" {
		return "auditlogs: " + e.Err.Error()
	}
	return "auditlogs: " + e.Op + ": " + e.Err.Error()
}

// Unwrap returns Err.
func (e *TransportError) Unwrap() error { return e.Err }

// Slack's error codes, by the sentinel they match.
var (
	unauthorizedCodes = []string{"not_authed", "invalid_auth", "invalid_authentication", "missing_authentication",
		"token_revoked", "token_expired", "account_inactive"}
	forbiddenCodes = []string{"missing_scope", "not_allowed_token_type", "paid_only", "feature_not_enabled",
		"team_not_authorized", "org_login_required", "invalid_workspace", "access_denied", "user_not_authorized"}
)

// APIError is a non-2xx answer from Slack, or a 2xx answer whose body says
// "ok": false with an "error" code (such as invalid_auth: matched by
// ErrUnauthorized like a 401, and never retried). Its message names the
// status and Slack's error code, never the URL, a header or the token.
type APIError struct {
	// StatusCode is the HTTP status.
	StatusCode int
	// Code is Slack's "error" field, such as "invalid_authentication"; empty
	// when the body had none (an empty or HTML body).
	Code string
	// Needed and Provided name the scopes, for missing_scope.
	Needed, Provided string
	// Warning is Slack's "warning" field, if any.
	Warning string
	// RetryAfter is the wait the Retry-After header asked for, zero if none.
	RetryAfter time.Duration
	// Body holds the start of the response body (at most 4 KiB), as sent.
	Body []byte
	// Attempts is how many times the call was made: more than one when
	// retries (of 429 or 5xx) did not help.
	Attempts int
}

// Error implements error.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("auditlogs: ")
	b.WriteString(strconv.Itoa(e.StatusCode))
	if text := http.StatusText(e.StatusCode); text != "" {
		b.WriteString(" ")
		b.WriteString(strings.ToLower(text))
	}
	if e.Code != "" {
		b.WriteString(": ")
		b.WriteString(e.Code)
	}
	if e.Needed != "" {
		fmt.Fprintf(&b, " (needed %q, provided %q)", e.Needed, e.Provided)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	return b.String()
}

// Is reports whether the error matches one of the package's sentinels.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized || containsCode(unauthorizedCodes, e.Code)
	case ErrForbidden:
		return e.StatusCode == http.StatusForbidden || containsCode(forbiddenCodes, e.Code)
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests || e.Code == "ratelimited" || e.Code == "rate_limited"
	case ErrInvalidCursor:
		return e.Code == "invalid_cursor"
	case ErrServer:
		return e.StatusCode >= 500
	}
	return false
}

func containsCode(codes []string, code string) bool {
	for _, c := range codes {
		if c == code {
			return true
		}
	}
	return false
}

// maxErrorBody is how much of an error response's body is read and kept.
const maxErrorBody = 4 << 10

// newAPIError builds the error for a non-2xx response from its status,
// headers and (the start of) its body. A body that is empty, HTML or not
// Slack's JSON leaves Code empty.
func newAPIError(resp *http.Response, body []byte, now time.Time) *APIError {
	e := &APIError{StatusCode: resp.StatusCode}
	if len(body) > maxErrorBody {
		body = body[:maxErrorBody]
	}
	if len(body) > 0 {
		e.Body = append([]byte(nil), body...)
	}
	var slack struct {
		Error    any    `json:"error"`
		Needed   string `json:"needed"`
		Provided string `json:"provided"`
		Warning  string `json:"warning"`
	}
	// Tolerant: a field of another type is left zero, the others still count.
	if err := json.Unmarshal(body, &slack); err == nil || isTypeError(err) {
		if code, ok := slack.Error.(string); ok {
			e.Code = code
		}
		e.Needed, e.Provided, e.Warning = slack.Needed, slack.Provided, slack.Warning
	}
	if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), now); ok {
		e.RetryAfter = d
	}
	return e
}

func isTypeError(err error) bool {
	var te *json.UnmarshalTypeError
	return errors.As(err, &te)
}

// parseRetryAfter reads a Retry-After value: whole seconds (what Slack sends)
// or an HTTP date (RFC 9110 allows both). A date in the past means no wait.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		const maxSecs = int64(1<<63-1) / int64(time.Second)
		return time.Duration(min(secs, maxSecs)) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}
