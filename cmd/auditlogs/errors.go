package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/slackaudit/auditlogs"
	"github.com/slackaudit/auditlogs/internal/filesink"
)

// tokenHint is what a refused or insufficient token must be.
const tokenHint = "It must be a user token (xoxp-...) with the auditlogs:read scope, from an app installed by an owner " +
	"on the Enterprise Grid organization (not on one of its workspaces)."

// reportError writes a one or two line message for err, prefixed
// "auditlogs: ", and returns the exit code. It never prints the token (the
// library's errors never hold it, and stderr is a redactor anyway) nor a
// chain of wrapped errors.
func reportError(e *env, err error, cl *clientInfo) int {
	msg, code := explain(err, cl)
	fmt.Fprintln(e.stderr, "auditlogs: "+msg)
	return code
}

// explain turns err into a message (without the "auditlogs: " prefix) and
// an exit code.
func explain(err error, cl *clientInfo) (string, int) {
	var apiErr *auditlogs.APIError
	errors.As(err, &apiErr)
	status := ""
	if apiErr != nil {
		status = " (" + statusText(apiErr) + ")"
	}
	// A file that cannot be written is no API trouble, whatever its errno
	// looks like (syscall.Errno passes for a net.Error).
	var oe *filesink.OutputError
	var se *filesink.StateError
	switch {
	case errors.As(err, &oe):
		return oe.Error(), exitError
	case errors.As(err, &se):
		return se.Error(), exitError
	}
	var outErr *outputError
	var bad *badEntry
	switch {
	case errors.As(err, &bad): // an event /logs sent that the command cannot use
		return bad.Error(), exitError
	case errors.Is(err, context.Canceled):
		return "interrupted", exitInterrupted
	case errors.As(err, &outErr):
		// Before the network cases: a disk's errno is a net.Error too.
		return "cannot write the output: " + pathErr(outErr.err).Error(), exitError
	case errors.Is(err, auditlogs.ErrUnauthorized):
		if cl != nil && cl.anonymous {
			return "the server wants a token for this" + status + ": set SLACK_AUDIT_TOKEN or use --token-file FILE (or try --demo).", exitError
		}
		return "Slack refused the token" + status + ".\n" + tokenHint, exitError
	case errors.Is(err, auditlogs.ErrForbidden):
		return forbidden(apiErr), exitError
	case errors.Is(err, auditlogs.ErrRateLimited):
		msg := "Slack kept answering 429 rate limited"
		if apiErr != nil && apiErr.Attempts > 1 {
			msg += fmt.Sprintf(", %d attempts did not help", apiErr.Attempts)
		}
		if apiErr != nil && apiErr.RetryAfter > 0 {
			msg += fmt.Sprintf("; it asked to wait %s", apiErr.RetryAfter)
		}
		return msg + ".\nTry again later, or lower --rate: the budget (about 50 calls a minute) is shared by every app of the organization.", exitError
	case errors.Is(err, auditlogs.ErrServer):
		msg := "Slack failed" + status
		if apiErr != nil && apiErr.Attempts > 1 {
			msg += fmt.Sprintf(" on every attempt (%d)", apiErr.Attempts)
		}
		return msg + "; try again later.", exitError
	case errors.Is(err, auditlogs.ErrInvalidCursor):
		return "Slack refused the paging cursor (invalid_cursor); run the command again.", exitError
	case errors.Is(err, auditlogs.ErrRepeatedCursor):
		return "the server sent a paging cursor it had already sent; stopped rather than loop forever.", exitError
	case errors.Is(err, auditlogs.ErrRedirectRefused):
		return trimPrefix(err.Error()) + "; is --base-url right?", exitError
	case errors.Is(err, auditlogs.ErrCursorTooLong), errors.Is(err, auditlogs.ErrTooManyEmptyPages):
		return trimPrefix(err.Error()) + "; stopped rather than page forever.", exitError
	case errors.Is(err, auditlogs.ErrMalformedResponse):
		return "the answer is not the JSON of the Audit Logs API; is --base-url right?", exitError
	case errors.Is(err, auditlogs.ErrResponseTooLarge):
		return "a response was too large; ask for smaller pages with --limit.", exitError
	case errors.Is(err, auditlogs.ErrInvalidParams):
		return trimPrefix(err.Error()), exitUsage
	case apiErr != nil:
		msg := "the server answered " + statusText(apiErr)
		if apiErr.StatusCode == 404 || apiErr.StatusCode == 405 {
			msg += "; is --base-url right?"
		}
		return msg, exitError
	}
	var transportErr *auditlogs.TransportError
	if errors.As(err, &transportErr) {
		var netErr net.Error
		where := ""
		if cl != nil && cl.host != "" {
			where = " at " + cl.host
		}
		if errors.As(err, &netErr) && netErr.Timeout() && cl != nil {
			return fmt.Sprintf("the API%s did not answer within --timeout %s (%d retries): %s", where, cl.timeout, cl.retries,
				trimPrefix(err.Error())), exitError
		}
		return "cannot reach the API" + where + ": " + trimPrefix(err.Error()), exitError
	}
	return trimPrefix(err.Error()), exitError
}

// forbidden explains a 403: what is missing, if Slack said, and what the
// token must be.
func forbidden(apiErr *auditlogs.APIError) string {
	if apiErr == nil {
		return "the token may not read audit logs.\n" + tokenHint
	}
	var what string
	switch apiErr.Code {
	case "missing_scope":
		what = "the token lacks a scope"
		if apiErr.Needed != "" {
			what = fmt.Sprintf("the token lacks the %s scope", apiErr.Needed)
			if apiErr.Provided != "" {
				what += fmt.Sprintf(" (it has %s)", apiErr.Provided)
			}
		}
	case "paid_only", "feature_not_enabled", "team_not_authorized", "invalid_workspace":
		what = "the Audit Logs API is not available to this token: it needs an Enterprise Grid organization, and an app installed on the organization, not on a workspace"
	case "not_allowed_token_type":
		what = "this kind of token may not read audit logs"
	default:
		what = "the token may not read audit logs"
		if apiErr.Needed != "" {
			what += fmt.Sprintf(": it needs %s", apiErr.Needed)
		}
	}
	return what + " (" + statusText(apiErr) + ").\n" + tokenHint
}

// statusText is "403 missing_scope" or "503 service unavailable".
func statusText(e *auditlogs.APIError) string {
	if e.Code != "" {
		return fmt.Sprintf("%d %s", e.StatusCode, e.Code)
	}
	if text := http.StatusText(e.StatusCode); text != "" {
		return fmt.Sprintf("%d %s", e.StatusCode, strings.ToLower(text))
	}
	return strconv.Itoa(e.StatusCode)
}

// trimPrefix removes the "auditlogs: " prefixes the library's errors carry
// (the message gets its own) and keeps the message on one line.
func trimPrefix(msg string) string {
	for strings.HasPrefix(msg, "auditlogs: ") {
		msg = strings.TrimPrefix(msg, "auditlogs: ")
	}
	msg = strings.ReplaceAll(msg, ": auditlogs: ", ": ")
	return strings.Join(strings.Fields(msg), " ")
}

// tokenPattern matches what looks like a Slack token.
var tokenPattern = regexp.MustCompile(`xox[a-zA-Z]?[-.][A-Za-z0-9.\-]{4,}`)

// looksLikeToken reports whether s looks like a Slack token.
func looksLikeToken(s string) bool { return tokenPattern.MatchString(s) }

// redactTokens blanks out anything that looks like a Slack token.
func redactTokens(s string) string { return tokenPattern.ReplaceAllString(s, "[redacted]") }

// redactor is stderr with the token, and anything that looks like a Slack
// token, blanked out: a last line of defence for messages and debug logs.
type redactor struct {
	mu    sync.Mutex
	w     io.Writer
	token string
}

func (r *redactor) setToken(t string) {
	r.mu.Lock()
	r.token = t
	r.mu.Unlock()
}

func (r *redactor) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := string(p)
	if r.token != "" {
		s = strings.ReplaceAll(s, r.token, "[redacted]")
	}
	s = redactTokens(s)
	if _, err := io.WriteString(r.w, s); err != nil {
		return 0, err
	}
	return len(p), nil
}
