package auditlogs

import "slices"

// pageStore is the storage pages are read into, reused from page to page.
// A nil *pageStore gives every body new storage on the heap.
//
// AllLogs keeps its store outside the Go heap, where the system allows
// (offHeap; see mapAnon). A page is up to about 7 MB (9,999 entries) and
// stays live while it is decoded. On the heap it would count as live
// memory, and the collector, which lets the heap grow to twice its live
// memory before it runs, would let as much garbage pile up on top of it:
// the process would peak near three pages. Outside the heap a page costs
// its own size, and the collector paces itself on the decoding alone. The
// price is CPU time: with a smaller heap, the collector runs more often.
//
// Pages under minOffHeap stay on the heap even so: the collector never aims
// for a heap under 4 MB, and a small page fits in that for nothing.
type pageStore struct {
	offHeap bool
	buf     []byte // the storage; nil before the first page
	mapped  bool   // buf is a mapping of mapAnon's, to be unmapped
}

// minOffHeap is the size from which an off-heap store maps its storage.
const minOffHeap = 1 << 20

// get returns the store's storage, emptied, with room for at least need
// bytes: new storage of want bytes if the old is too small.
func (s *pageStore) get(need, want int) []byte {
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
func (s *pageStore) grow(b []byte, n int) []byte {
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
func (s *pageStore) replace(b []byte, n int) []byte {
	var next []byte
	mapped := false
	if s.offHeap && n >= minOffHeap {
		next, mapped = mapAnon(n)
	}
	if !mapped {
		next = make([]byte, 0, n)
	}
	next = append(next[:0], b...)
	s.release()
	s.buf, s.mapped = next, mapped
	return next
}

// release frees the store's storage. Nothing may refer to it any more.
func (s *pageStore) release() {
	if s == nil {
		return
	}
	if s.mapped {
		_ = unmapAnon(s.buf[:cap(s.buf)]) // cannot fail on a mapping of its own
	}
	s.buf, s.mapped = nil, false
}
