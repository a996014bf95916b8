package auditlogstest

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// Compression. Slack compresses its answers with gzip when the request
// says it accepts it (Accept-Encoding: gzip, which Go's transport sends by
// itself), and so does the fake, on every path: pages, /schemas, /actions,
// errors, and bodies cut short by ResetMidBody (the compressed stream is cut
// at the same proportion). It uses compress/gzip, whose output is like
// zlib's, at DefaultGzipLevel unless WithGzipLevel says otherwise.

// DefaultGzipLevel is the compression level of gzip answers unless
// WithGzipLevel says otherwise: compress/gzip's default (6), about 7.8 to 1
// on synthetic pages.
const DefaultGzipLevel = gzip.DefaultCompression

// WithGzip turns compression on (the default) or off. Off, the fake never
// compresses, whatever the request accepts: a client then sees plain JSON
// bodies, as from a server or proxy that does not compress.
func WithGzip(on bool) Option { return func(c *config) { c.gzipOff = !on } }

// WithGzipLevel sets the compress/gzip level of gzip answers, from
// gzip.HuffmanOnly (-2) and gzip.DefaultCompression (-1) to
// gzip.BestCompression (9); gzip.NoCompression (0) sends gzip streams of
// stored blocks. NewServer and NewHandler panic on a level outside that
// range.
func WithGzipLevel(level int) Option {
	return func(c *config) { c.gzipLevel, c.gzipLevelSet = level, true }
}

// WithGzipCache keeps the gzip of each /logs page (and of /schemas and
// /actions) the server sends, keyed by what the request asks for (position,
// limit, filters), and serves it again to a request that asks for the same,
// without compressing it again, up to maxBytes of compressed bytes (then it
// stops adding). Off (0) by default. Benchmarks use it, where the fake runs
// in the same process as the measurements (compressing a page of 9,999
// entries takes longer than inflating it): compressing is then the server's
// cost of the first pass only. A cached page is counted in Stats as if it
// had been built again.
func WithGzipCache(maxBytes int64) Option { return func(c *config) { c.gzipCache = maxBytes } }

// acceptsGzip reports whether a request's Accept-Encoding lists gzip (or
// *) with a quality above zero.
func acceptsGzip(r *http.Request) bool {
	for _, v := range r.Header.Values("Accept-Encoding") {
		for part := range strings.SplitSeq(v, ",") {
			name, params, _ := strings.Cut(part, ";")
			name = strings.TrimSpace(name)
			if !strings.EqualFold(name, "gzip") && !strings.EqualFold(name, "x-gzip") && name != "*" {
				continue
			}
			q := 1.0
			if k, val, ok := strings.Cut(strings.TrimSpace(params), "="); ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				if f, err := strconv.ParseFloat(strings.TrimSpace(val), 64); err == nil {
					q = f
				}
			}
			if q > 0 {
				return true
			}
		}
	}
	return false
}

// gzipResponse marks a response that is to be compressed: serve wraps the
// ResponseWriter of a request that accepts gzip, and writeBody and
// writePartial compress what they write through it.
type gzipResponse struct {
	http.ResponseWriter
	s *Server
}

// Unwrap lets http.ResponseController reach the connection (abort hijacks
// it).
func (g *gzipResponse) Unwrap() http.ResponseWriter { return g.ResponseWriter }

// compressing returns the gzipResponse w is, if it is one.
func compressing(w http.ResponseWriter) (*gzipResponse, bool) {
	g, ok := w.(*gzipResponse)
	return g, ok
}

// gzipper compresses bodies for one server, at its level, with recycled
// writers, and keeps the cache of WithGzipCache.
type gzipper struct {
	level   int
	writers sync.Pool

	mu       sync.Mutex
	cache    map[string]cachedBody
	size     int64 // compressed bytes in the cache
	maxBytes int64
}

// cachedBody is a compressed body and the entries it holds.
type cachedBody struct {
	gz      []byte
	entries int
}

func newGzipper(level int, cacheBytes int64) *gzipper {
	if level < gzip.HuffmanOnly || level > gzip.BestCompression {
		panic(fmt.Sprintf("auditlogstest: WithGzipLevel(%d): the level is -2 to 9", level))
	}
	return &gzipper{level: level, maxBytes: cacheBytes, cache: map[string]cachedBody{}}
}

// compress returns the gzip of body, in new storage.
func (z *gzipper) compress(body []byte) []byte {
	var out bytes.Buffer
	out.Grow(len(body)/4 + 64)
	zw, _ := z.writers.Get().(*gzip.Writer)
	if zw == nil {
		zw, _ = gzip.NewWriterLevel(&out, z.level) // the level was checked in newGzipper
	} else {
		zw.Reset(&out)
	}
	_, _ = zw.Write(body) // writes to a bytes.Buffer cannot fail
	_ = zw.Close()
	z.writers.Put(zw)
	return out.Bytes()
}

// cached returns the cached compressed body for key, if there is one.
func (z *gzipper) cached(key string) (cachedBody, bool) {
	if z.maxBytes <= 0 || key == "" {
		return cachedBody{}, false
	}
	z.mu.Lock()
	defer z.mu.Unlock()
	b, ok := z.cache[key]
	return b, ok
}

// compressKeyed compresses body, or takes it from the cache, and caches
// it under key (none if "") while the cache has room.
func (z *gzipper) compressKeyed(body []byte, key string, entries int) []byte {
	if b, ok := z.cached(key); ok {
		return b.gz
	}
	gz := z.compress(body)
	if z.maxBytes > 0 && key != "" {
		z.mu.Lock()
		if _, ok := z.cache[key]; !ok && z.size+int64(len(gz)) <= z.maxBytes {
			z.cache[key] = cachedBody{gz: gz, entries: entries}
			z.size += int64(len(gz))
		}
		z.mu.Unlock()
	}
	return gz
}

// encodeBody returns what to send for body on w: its gzip (taken from or
// put in the cache under key, if not "") if the response is compressed, else
// body itself. It sets the headers that say which.
func encodeBody(w http.ResponseWriter, body []byte, key string, entries int) []byte {
	h := w.Header()
	g, ok := compressing(w)
	if !ok {
		return body
	}
	h.Set("Content-Encoding", "gzip")
	g.s.stats.gzipped.Add(1)
	return g.s.gz.compressKeyed(body, key, entries)
}
