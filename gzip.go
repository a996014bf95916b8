package auditlogs

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"

	"github.com/slackaudit/auditlogs/internal/pagestore"
)

// Compression. The client asks for gzip itself (Accept-Encoding: gzip), as
// Go's transport would, so that the transport hands over the body still
// compressed, and inflates it with klauspost/compress, about twice as fast
// as compress/gzip on /logs pages, straight into the page's storage. A
// caller's WithHeader("Accept-Encoding", "identity") asks for plain bodies
// instead; a transport that inflates by itself (and so drops the
// Content-Encoding header) works too.

// ErrContentEncoding: a response came in a Content-Encoding other than gzip
// or identity, which the client cannot decode. The client asks for gzip
// only, so a server or proxy ignored the request's Accept-Encoding.
var ErrContentEncoding = errors.New("auditlogs: unsupported content encoding")

// acceptEncoding is the Accept-Encoding the client sends.
const acceptEncoding = "gzip"

// inflaters recycles a client's gzip readers, and their 32 KiB window and
// tables, from body to body (gzip.Reader.Reset): a pull of many pages sets
// up one. A channel rather than a sync.Pool, which the collector empties:
// AllLogs runs a collection every few pages.
type inflaters chan *gzip.Reader

// maxIdleInflaters is how many idle gzip readers a client keeps, for calls
// made at the same time.
const maxIdleInflaters = 4

func newInflaters() inflaters { return make(inflaters, maxIdleInflaters) }

// get returns a gzip reader of r, recycled or new. On an error (r is not
// gzip, or ends before the header does) there is no reader to put back.
func (p inflaters) get(r io.Reader) (*gzip.Reader, error) {
	select {
	case zr := <-p:
		if err := zr.Reset(r); err != nil {
			p.put(zr)
			return nil, err
		}
		return zr, nil
	default:
		return gzip.NewReader(r)
	}
}

// put keeps zr for the next body, unless enough are kept.
func (p inflaters) put(zr *gzip.Reader) {
	select {
	case p <- zr:
	default:
	}
}

// encoding is how a response body is encoded, as far as the client goes.
type encoding int

const (
	plainBody encoding = iota
	gzipBody
)

// bodyEncoding reads resp's Content-Encoding: gzip (or x-gzip), identity or
// none; anything else is ErrContentEncoding, never retried, since the
// server will answer the same again.
func bodyEncoding(resp *http.Response) (encoding, error) {
	if resp.Uncompressed {
		return plainBody, nil // the transport inflated it already
	}
	v := strings.TrimSpace(resp.Header.Get("Content-Encoding"))
	switch {
	case v == "" || strings.EqualFold(v, "identity"):
		return plainBody, nil
	case strings.EqualFold(v, "gzip") || strings.EqualFold(v, "x-gzip"):
		return gzipBody, nil
	}
	if len(v) > 32 {
		v = v[:32] + "..."
	}
	return plainBody, &bodyError{err: fmt.Errorf("%w %q: the client accepts gzip or identity", ErrContentEncoding, v)}
}

// inflateRatio is the ratio of inflated to compressed bytes of the last
// gzip body, in thousandths: it turns the next body's Content-Length into a
// size hint, so that storage read into is the right size at once.
type inflateRatio struct{ permille atomic.Int64 }

// defaultInflateRatio is the guess before the first body: /logs pages
// deflate about 7.8 to 1 at gzip's default level.
const defaultInflateRatio = 8000

// hint returns the inflated size to expect of a body of compressed bytes
// (-1 if unknown), at most limit.
func (r *inflateRatio) hint(compressed, limit int64) int64 {
	if compressed <= 0 {
		return -1
	}
	ratio := r.permille.Load()
	if ratio <= 0 {
		ratio = defaultInflateRatio
	}
	if compressed > limit/max(ratio/1000, 1) {
		return limit
	}
	h := compressed * ratio / 1000
	return min(h+h/64, limit) // a little room: the next page may be a little larger
}

func (r *inflateRatio) observe(compressed, inflated int64) {
	if compressed > 0 && inflated > 0 {
		r.permille.Store(inflated * 1000 / compressed)
	}
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
	if enc == plainBody {
		return readBody(resp.Body, c.maxBody, resp.ContentLength, store)
	}
	compressed := &countingReader{r: io.LimitReader(resp.Body, c.maxBody+1)}
	zr, err := c.inflaters.get(compressed)
	if err != nil {
		return nil, inflateError(err)
	}
	defer c.inflaters.put(zr)
	b, err := store.Read(zr, c.maxBody, c.ratio.hint(resp.ContentLength, c.maxBody))
	switch {
	case compressed.n > c.maxBody || errors.Is(err, pagestore.ErrTooLarge):
		return nil, &bodyError{err: ErrResponseTooLarge}
	case err != nil:
		return nil, inflateError(err)
	}
	c.ratio.observe(compressed.n, int64(len(b)))
	return b, nil
}

// inflateError classifies an error met while inflating: corrupt data is
// ErrMalformedResponse, anything else (the connection dropped, the stream
// ends early) a body cut short. Both are retried.
func inflateError(err error) error {
	var corrupt flate.CorruptInputError
	if errors.Is(err, gzip.ErrHeader) || errors.Is(err, gzip.ErrChecksum) || errors.As(err, &corrupt) {
		return &bodyError{err: fmt.Errorf("%w: gzip: %w", ErrMalformedResponse, err), retryable: true}
	}
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF // no gzip header at all: an empty body
	}
	return &bodyError{err: fmt.Errorf("auditlogs: reading response: %w", err), retryable: true}
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
	if enc == gzipBody {
		zr, err := c.inflaters.get(io.LimitReader(resp.Body, 1<<20))
		if err != nil {
			return nil
		}
		defer c.inflaters.put(zr)
		r = zr
	}
	b, _ := io.ReadAll(io.LimitReader(r, maxErrorBody))
	return b
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
