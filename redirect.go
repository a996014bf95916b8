package auditlogs

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// ErrRedirectRefused: the server redirected a call to another scheme, host
// or port than the base URL's. The client never follows such a redirect,
// since the request carries the token: not to another host, not from https
// to http on the same host, not to another port. The error names the
// target without its query. It is not retried.
var ErrRedirectRefused = errors.New("auditlogs: redirect refused")

// maxRedirects is how many redirects a call follows, as net/http's default.
const maxRedirects = 10

// httpClientFor returns the *http.Client the retries use: hc's transport,
// jar and timeout, with a CheckRedirect that refuses to leave the base URL's
// origin (then runs hc's own, if any). A client the caller gave (theirs) is
// not modified, and its idle connections are never closed: go-retryablehttp
// closes the idle connections of the client it holds after a failed call,
// and a caller's transport may serve others too.
func httpClientFor(base string, hc *http.Client, theirs bool) (*http.Client, error) {
	origin, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("%w: base URL: %w", ErrInvalidOption, err)
	}
	rt := hc.Transport
	if theirs {
		if rt == nil {
			rt = http.DefaultTransport
		}
		rt = keepIdle{rt}
	}
	next := hc.CheckRedirect
	return &http.Client{
		Transport: rt,
		Jar:       hc.Jar,
		Timeout:   hc.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if !sameOrigin(origin, req.URL) {
				return fmt.Errorf("%w to %s: the token is sent only to the base URL's scheme, host and port (%s)",
					ErrRedirectRefused, withoutQuery(req.URL), withoutQuery(&url.URL{Scheme: origin.Scheme, Host: origin.Host}))
			}
			if next != nil {
				return next(req, via)
			}
			if len(via) >= maxRedirects {
				return fmt.Errorf("auditlogs: stopped after %d redirects", maxRedirects)
			}
			return nil
		},
	}, nil
}

// keepIdle hides a caller's transport's CloseIdleConnections from the
// http.Client wrapped around it.
type keepIdle struct{ rt http.RoundTripper }

func (k keepIdle) RoundTrip(req *http.Request) (*http.Response, error) { return k.rt.RoundTrip(req) }

// sameOrigin reports whether u has base's scheme, host and port (a port
// left out counts as the scheme's default).
func sameOrigin(base, u *url.URL) bool {
	return strings.EqualFold(base.Scheme, u.Scheme) && strings.EqualFold(base.Hostname(), u.Hostname()) &&
		portOf(base) == portOf(u)
}

func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return "443"
	case "http":
		return "80"
	}
	return ""
}

// withoutQuery spells u without its user info, query and fragment, for an
// error message.
func withoutQuery(u *url.URL) string {
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}).String()
}
