// Package inflate holds what the client needs to read gzip bodies fast: a
// pool of gzip readers reused from body to body, the size to expect of a
// body once inflated, and how a response says it is encoded. Inflating is
// klauspost/compress's gzip, about 1.2 to 1.3 times as fast as
// compress/gzip on /logs pages (bench/README.md).
package inflate

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
)

// Pool recycles gzip readers, and their 32 KiB window and tables, from body
// to body (gzip.Reader.Reset): a pull of many pages sets up one. A channel
// rather than a sync.Pool, which the collector empties: AllLogs runs a
// collection every few pages.
type Pool chan *gzip.Reader

// maxIdle is how many idle gzip readers a pool keeps, for calls made at the
// same time.
const maxIdle = 4

// NewPool returns an empty pool.
func NewPool() Pool { return make(Pool, maxIdle) }

// Get returns a gzip reader of r, recycled or new. On an error (r is not
// gzip, or ends before the header does) there is no reader to put back.
func (p Pool) Get(r io.Reader) (*gzip.Reader, error) {
	select {
	case zr := <-p:
		if err := zr.Reset(r); err != nil {
			p.Put(zr)
			return nil, err
		}
		return zr, nil
	default:
		return gzip.NewReader(r)
	}
}

// Put keeps zr for the next body, unless enough are kept.
func (p Pool) Put(zr *gzip.Reader) {
	select {
	case p <- zr:
	default:
	}
}

// Encoding is how a response body is encoded, as far as the client goes.
type Encoding int

const (
	// Plain is a body as it is: no Content-Encoding, identity, or one the
	// transport inflated already.
	Plain Encoding = iota
	// Gzip is a gzip (or x-gzip) body.
	Gzip
	// Unsupported is any other Content-Encoding.
	Unsupported
)

// BodyEncoding reads resp's Content-Encoding.
func BodyEncoding(resp *http.Response) Encoding {
	if resp.Uncompressed {
		return Plain // the transport inflated it already
	}
	v := strings.TrimSpace(resp.Header.Get("Content-Encoding"))
	switch {
	case v == "" || strings.EqualFold(v, "identity"):
		return Plain
	case strings.EqualFold(v, "gzip") || strings.EqualFold(v, "x-gzip"):
		return Gzip
	}
	return Unsupported
}

// Ratio is the ratio of inflated to compressed bytes of the last gzip body,
// in thousandths: it turns the next body's Content-Length into a size hint,
// so that the storage read into is the right size at once. It is safe for
// concurrent use.
type Ratio struct{ permille atomic.Int64 }

// defaultRatio is the guess before the first body: /logs pages deflate
// about 7.8 to 1 at gzip's default level.
const defaultRatio = 8000

// Hint returns the inflated size to expect of a body of compressed bytes
// (-1 if unknown), at most limit.
func (r *Ratio) Hint(compressed, limit int64) int64 {
	if compressed <= 0 {
		return -1
	}
	ratio := r.permille.Load()
	if ratio <= 0 {
		ratio = defaultRatio
	}
	if compressed > limit/max(ratio/1000, 1) {
		return limit
	}
	h := compressed * ratio / 1000
	return min(h+h/64, limit) // a little room: the next page may be a little larger
}

// Observe records the sizes of a body read in full.
func (r *Ratio) Observe(compressed, inflated int64) {
	if compressed > 0 && inflated > 0 {
		r.permille.Store(inflated * 1000 / compressed)
	}
}

// Corrupt reports whether err, met while inflating, says the data is not
// valid gzip (a bad header, checksum or deflate stream), rather than cut
// short or lost with the connection.
func Corrupt(err error) bool {
	var corrupt flate.CorruptInputError
	return errors.Is(err, gzip.ErrHeader) || errors.Is(err, gzip.ErrChecksum) || errors.As(err, &corrupt)
}

// CountingReader counts the bytes read through it in N.
type CountingReader struct {
	R io.Reader
	N int64
}

// Read reads from R, counting.
func (c *CountingReader) Read(p []byte) (int, error) {
	n, err := c.R.Read(p)
	c.N += int64(n)
	return n, err
}
