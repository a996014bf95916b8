// Package pagestore holds the storage /logs bodies are read into, reused
// from page to page, on the Go heap or, for AllLogs, in memory mapped
// outside it (see Store).
package pagestore

import (
	"errors"
	"io"
	"slices"
)

// Store is the storage pages are read into, reused from page to page. A nil
// *Store gives every body new storage on the heap.
//
// AllLogs keeps its store outside the Go heap, where the system allows
// (OffHeap; see mapAnon). A page is up to about 7 MB (9,999 entries) and
// stays live while it is decoded. On the heap it would count as live
// memory, and the collector, which lets the heap grow to twice its live
// memory before it runs, would let as much garbage pile up on top of it:
// the process would peak near three pages. Outside the heap a page costs
// its own size, and the collector paces itself on the decoding alone. The
// price is CPU time: with a smaller heap, the collector runs more often.
//
// Pages under minOffHeap stay on the heap even so: the collector never aims
// for a heap under 4 MB, and a small page fits in that for nothing.
type Store struct {
	// OffHeap maps storage of minOffHeap bytes or more outside the Go
	// heap. Nothing may refer to a page's bytes once the next is read or
	// the store released.
	OffHeap bool
	buf     []byte // the storage; nil before the first page
	mapped  bool   // buf is a mapping of mapAnon's, to be unmapped
}

// ErrTooLarge is Read's error for a body over its limit.
var ErrTooLarge = errors.New("body over the limit")

// Read reads r to its end into the store's storage and returns the bytes,
// which stay valid until the next Read or Release. A body over limit bytes
// is ErrTooLarge; sizeHint is the body's length if known, or -1. An error
// of r's is returned as it is.
func (s *Store) Read(r io.Reader, limit int64, sizeHint int64) ([]byte, error) {
	return s.ReadWatched(r, limit, sizeHint, nil)
}

// A Watcher follows a Read from another goroutine, which reads the body
// while it arrives. Read calls Avail after every read with the bytes read
// so far, and Moving before it moves them to larger storage: once Moving
// returns, the bytes of earlier Avail calls must no longer be read (an
// off-heap store unmaps them).
type Watcher interface {
	Avail(b []byte)
	Moving()
}

// ReadWatched is Read, telling w (if not nil) how the read goes.
func (s *Store) ReadWatched(r io.Reader, limit int64, sizeHint int64, w Watcher) ([]byte, error) {
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
	var reserved []byte // see reserve: a mapping to unmap once read, or nil
	defer func() {
		if reserved != nil {
			if w != nil {
				w.Moving()
			}
			_ = unmapAnon(reserved[:cap(reserved)]) // cannot fail on a mapping of its own
		}
	}()
	for {
		if len(buf) == cap(buf) {
			if w != nil {
				w.Moving()
			}
			next := int(min(2*int64(cap(buf)), limit+1))
			if m := s.reserve(buf, next, limit); m != nil {
				buf = m
				if s == nil || !s.mapped {
					reserved = m
				}
			} else {
				buf = s.grow(buf, next)
			}
		}
		n, err := lr.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if w != nil && n > 0 {
			w.Avail(buf)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if int64(len(buf)) > limit {
		return nil, ErrTooLarge
	}
	if reserved != nil {
		// Move the body to the heap, where the caller may keep it, with
		// room for a slightly larger next page (as get does).
		body, n := buf, len(buf)+1+len(buf)/64
		if s == nil {
			buf = make([]byte, 0, n)
		} else {
			buf = s.replace(nil, n)
		}
		buf = append(buf, body...)
	}
	return buf, nil
}

// reserve bounds the memory a body of unknown size takes while it is read.
// Growing storage by doubling, each step a copy, would hold up to 1.5 times
// the limit at once (twice it or more on the heap, where the collector frees
// the old storage late): a gzip bomb refused at 256 MiB would cost 512 MiB.
// So once a body outgrows minOffHeap in an off-heap store, or
// heapReserveFrom in any other (next, the size it needs, reaches it), it is
// read on into one mapping of limit+1 bytes outside the Go heap, of which
// the system commits only the pages written: reading a body of n bytes then
// takes about n bytes and no further copy, whatever the limit. An off-heap
// store keeps the mapping as its storage (returned with the store's mapped
// set); for any other, the caller copies the body to the heap once read
// (about twice its size for that moment, never more) and unmaps the
// mapping. It returns nil (grow by doubling, as before) where memory cannot
// be mapped, or under the threshold.
func (s *Store) reserve(b []byte, next int, limit int64) []byte {
	from := heapReserveFrom
	if s != nil && s.OffHeap {
		from = minOffHeap
	}
	if next < from || int64(cap(b)) > limit {
		return nil
	}
	m, ok := mapAnon(int(limit + 1))
	if !ok {
		return nil
	}
	m = append(m, b...)
	if s != nil && s.OffHeap {
		s.Release()
		s.buf, s.mapped = m, true
	}
	return m
}

// minOffHeap is the size from which an off-heap store maps its storage.
const minOffHeap = 1 << 20

// heapReserveFrom is the size from which a body of unknown length read into
// the heap goes on in a mapping (see reserve). Under it, storage doubles:
// the largest pages Slack sends (about 7 MB) grow that way as they always
// did, without the mapping's page faults and final copy, and what doubling
// leaves to the collector stays under twice this.
const heapReserveFrom = 16 << 20

// get returns the store's storage, emptied, with room for at least need
// bytes: new storage of want bytes if the old is too small.
func (s *Store) get(need, want int) []byte {
	if s == nil {
		return make([]byte, 0, want)
	}
	if cap(s.buf) >= need {
		return s.buf[:0]
	}
	return s.replace(nil, want)
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
	return s.replace(b, n)
}

// replace moves the store to new storage of at least n bytes holding b's
// bytes, and frees the old storage: nothing may refer to it any more.
func (s *Store) replace(b []byte, n int) []byte {
	var next []byte
	mapped := false
	if s.OffHeap && n >= minOffHeap {
		next, mapped = mapAnon(n)
	}
	if !mapped {
		next = make([]byte, 0, n)
	}
	next = append(next[:0], b...)
	s.Release()
	s.buf, s.mapped = next, mapped
	return next
}

// Release frees the store's storage. Nothing may refer to it any more.
func (s *Store) Release() {
	if s == nil {
		return
	}
	if s.mapped {
		_ = unmapAnon(s.buf[:cap(s.buf)]) // cannot fail on a mapping of its own
	}
	s.buf, s.mapped = nil, false
}
