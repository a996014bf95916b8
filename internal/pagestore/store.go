// Package pagestore holds the storage /logs bodies are read into, reused
// from page to page, on the Go heap (see Store).
package pagestore

import (
	"errors"
	"io"
	"slices"
)

// Store is the storage pages are read into, reused from page to page. A nil
// *Store gives every body new storage.
type Store struct {
	buf []byte // the storage; nil before the first page
}

// ErrTooLarge is Read's error for a body over its limit.
var ErrTooLarge = errors.New("body over the limit")

// Read reads r to its end into the store's storage and returns the bytes,
// which stay valid until the next Read or Release. A body over limit bytes
// is ErrTooLarge. sizeHint is the body's length if known, an estimate of it
// (a gzip body's, from the last page's ratio), or -1. An error of r's is
// returned as it is.
//
// The memory a body takes while it is read is bounded (issue 16, row 11):
// storage grows by doubling up to chunkFrom (by an eighth when a size was
// hinted, since a hint is a near guess), then in chunks of chunkFrom that
// are joined once the whole body is read and under the limit. A body of
// unknown size over the limit (a gzip bomb) takes at most the limit plus
// about 2*chunkFrom; a body of n bytes over chunkFrom takes about 2n at the
// moment its chunks are joined, never the doubling's 3n or more.
func (s *Store) Read(r io.Reader, limit int64, sizeHint int64) ([]byte, error) {
	if sizeHint > limit {
		return nil, ErrTooLarge
	}
	var buf []byte
	if sizeHint >= 0 {
		// +1 so that reading to EOF does not grow it; new storage gets 1/64
		// more, so that it fits the next, slightly larger page too.
		buf = s.get(int(sizeHint+1), int(min(sizeHint+1+sizeHint/64, limit+1)))
	} else {
		buf = s.get(1, 512)
	}
	lr := &io.LimitedReader{R: r, N: limit + 1}
	var chunks [][]byte // full chunks, once the body outgrows chunkFrom
	read := int64(0)    // the bytes in chunks
	for {
		if len(buf) == cap(buf) {
			switch {
			case cap(buf) >= chunkFrom || chunks != nil:
				chunks = append(chunks, buf)
				read += int64(len(buf))
				buf = make([]byte, 0, min(chunkFrom, max(limit+1-read, 1)))
			case sizeHint >= 0:
				buf = s.grow(buf, int(min(int64(cap(buf)+cap(buf)/8+512), chunkFrom, limit+1)))
			default:
				buf = s.grow(buf, int(min(2*int64(cap(buf)), chunkFrom, limit+1)))
			}
		}
		n, err := lr.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if read+int64(len(buf)) > limit {
		return nil, ErrTooLarge
	}
	if chunks != nil {
		// Join the chunks, with room for a slightly larger next page (as
		// get does).
		n := read + int64(len(buf))
		var body []byte
		if s == nil {
			body = make([]byte, 0, n+1+n/64)
		} else {
			body = s.replace(int(n + 1 + n/64))
		}
		for _, c := range chunks {
			body = append(body, c...)
		}
		buf = append(body, buf...)
	}
	return buf, nil
}

// chunkFrom is the size from which a body goes on in chunks (see Read).
// Under it, storage doubles: the largest pages Slack sends (about 7 MB) are
// read that way, or into storage of the size hinted, with no joining copy.
const chunkFrom = 16 << 20

// get returns the store's storage, emptied, with room for at least need
// bytes: new storage of want bytes if the old is too small.
func (s *Store) get(need, want int) []byte {
	if s == nil {
		return make([]byte, 0, want)
	}
	if cap(s.buf) >= need {
		return s.buf[:0]
	}
	return s.replace(want)
}

// grow returns storage with room for at least n bytes that begins with b,
// which is the store's storage (or, for a nil store, any slice).
func (s *Store) grow(b []byte, n int) []byte {
	if n <= cap(b) {
		return b
	}
	if s == nil {
		return slices.Grow(b, n-len(b))
	}
	return append(s.replace(n), b...)
}

// replace gives the store new, empty storage of n bytes and drops the old,
// which stays valid for whoever still holds it.
func (s *Store) replace(n int) []byte {
	s.buf = make([]byte, 0, n)
	return s.buf
}

// Release drops the store's storage.
func (s *Store) Release() {
	if s != nil {
		s.buf = nil
	}
}
