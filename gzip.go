package auditlogs

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/slackaudit/auditlogs/internal/inflate"
	"github.com/slackaudit/auditlogs/internal/pagestore"
)

// Compression. The client asks for gzip itself (Accept-Encoding: gzip), as
// Go's transport would, so that the transport hands over the body still
// compressed, and inflates it with klauspost/compress (see package
// internal/inflate) straight into the page's storage. A
// caller's WithHeader("Accept-Encoding", "identity") asks for plain bodies
// instead; a transport that inflates by itself (and so drops the
// Content-Encoding header) works too.

// ErrContentEncoding: a response came in a Content-Encoding other than gzip
// or identity, which the client cannot decode. The client asks for gzip
// only, so a server or proxy ignored the request's Accept-Encoding.
var ErrContentEncoding = errors.New("auditlogs: unsupported content encoding")

// acceptEncoding is the Accept-Encoding the client sends.
const acceptEncoding = "gzip"

// bodyEncoding reads resp's Content-Encoding: gzip (or x-gzip), identity or
// none; anything else is ErrContentEncoding, never retried, since the
// server will answer the same again.
func bodyEncoding(resp *http.Response) (inflate.Encoding, error) {
	enc := inflate.BodyEncoding(resp)
	if enc != inflate.Unsupported {
		return enc, nil
	}
	v := strings.TrimSpace(resp.Header.Get("Content-Encoding"))
	if len(v) > 32 {
		v = v[:32] + "..."
	}
	return enc, &bodyError{err: fmt.Errorf("%w %q: the client accepts gzip or identity", ErrContentEncoding, v)}
}

// readResponse reads a 2xx response's body, inflating it if it is gzip, into
// store's storage (nil: new storage). The limit applies to the inflated body
// and to the compressed bytes read: a gzip bomb is ErrResponseTooLarge. A
// body cut short, compressed or not, is a retryable bodyError; a corrupt gzip
// stream is ErrMalformedResponse, retryable like malformed JSON, since the
// client cannot tell a stream damaged on the way from one sent wrong.
func (c *Client) readResponse(resp *http.Response, store *pagestore.Store) ([]byte, error) {
	enc, err := bodyEncoding(resp)
	if err != nil {
		return nil, err
	}
	if enc == inflate.Plain {
		return readBody(resp.Body, c.maxBody, resp.ContentLength, store)
	}
	compressed := &inflate.CountingReader{R: io.LimitReader(resp.Body, c.maxBody+1)}
	zr, err := c.inflaters.Get(compressed)
	if err != nil {
		return nil, inflateError(err)
	}
	defer c.inflaters.Put(zr)
	b, err := store.Read(zr, c.maxBody, c.ratio.Hint(resp.ContentLength, c.maxBody))
	switch {
	case compressed.N > c.maxBody || errors.Is(err, pagestore.ErrTooLarge):
		return nil, &bodyError{err: ErrResponseTooLarge}
	case err != nil:
		return nil, inflateError(err)
	}
	c.ratio.Observe(compressed.N, int64(len(b)))
	return b, nil
}

// inflateError classifies an error met while inflating: corrupt data is
// ErrMalformedResponse, anything else (the connection dropped, the stream
// ends early) a body cut short. Both are retried.
func inflateError(err error) error {
	if inflate.Corrupt(err) {
		return &bodyError{err: fmt.Errorf("%w: gzip: %w", ErrMalformedResponse, err), retryable: true}
	}
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF // no gzip header at all: an empty body
	}
	return &bodyError{err: &TransportError{Err: fmt.Errorf("reading response: %w", err)}, retryable: true}
}

// readErrorBody reads the start of a non-2xx body, at most maxErrorBody
// bytes once inflated, for the *APIError. It is best effort: a body that
// cannot be read or inflated in full gives what could be.
func (c *Client) readErrorBody(resp *http.Response) []byte {
	enc, err := bodyEncoding(resp)
	if err != nil {
		return nil // not readable: Code stays empty, the status still counts
	}
	var r io.Reader = resp.Body
	if enc == inflate.Gzip {
		zr, err := c.inflaters.Get(io.LimitReader(resp.Body, 1<<20))
		if err != nil {
			return nil
		}
		defer c.inflaters.Put(zr)
		r = zr
	}
	b, _ := io.ReadAll(io.LimitReader(r, maxErrorBody))
	return b
}
