package pagestore

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"testing"
	"testing/iotest"
)

// TestReadStores reads bodies of every size class into every kind of
// store, with and without a length given, one after another so that
// storage is reused and replaced, and checks every byte.
func TestReadStores(t *testing.T) {
	sizes := []int{0, 1, 511, 512, 513, 4096, minOffHeap - 1, minOffHeap, 3*minOffHeap + 7, 1000, 5 * minOffHeap}
	stores := map[string]func() *Store{
		"none":     func() *Store { return nil },
		"heap":     func() *Store { return &Store{} },
		"off-heap": func() *Store { return &Store{OffHeap: true} },
	}
	mapping := mapAnonWorks(t)
	for name, newStore := range stores {
		for _, known := range []bool{true, false} {
			t.Run(fmt.Sprintf("store=%s/length-known=%v", name, known), func(t *testing.T) {
				store := newStore()
				defer store.Release()
				for i, n := range sizes {
					want := bytes.Repeat([]byte{byte('a' + i)}, n)
					hint := int64(-1)
					if known {
						hint = int64(n)
					}
					// HalfReader: reads of odd lengths, so that growth lands mid-read.
					got, err := store.Read(iotest.HalfReader(bytes.NewReader(want)), 64<<20, hint)
					if err != nil {
						t.Fatalf("%d bytes: %v", n, err)
					}
					if !bytes.Equal(got, want) {
						t.Fatalf("%d bytes: read back %d bytes that differ", n, len(got))
					}
					if store != nil && len(got) > 0 && &store.buf[:1][0] != &got[:1][0] {
						t.Fatalf("%d bytes: the body is not in the store's storage", n)
					}
					if name == "off-heap" && mapping && store.mapped != (cap(got) >= minOffHeap) {
						t.Errorf("%d bytes in %d of storage: mapped = %v", n, cap(got), store.mapped)
					}
				}
			})
		}
	}
}

// mapAnonWorks reports whether this system maps memory off the heap.
func mapAnonWorks(t *testing.T) bool {
	m, ok := mapAnon(minOffHeap)
	if ok {
		if err := unmapAnon(m[:cap(m)]); err != nil {
			t.Fatal(err)
		}
	}
	return ok
}

// TestStoreUnmaps: the storage an off-heap store ends with, grown by
// appends as Read grows it, is still the whole mapping it was given,
// so that release frees it.
func TestStoreUnmaps(t *testing.T) {
	if !mapAnonWorks(t) {
		t.Skip("no mappings off the heap here")
	}
	store := &Store{OffHeap: true}
	body := bytes.Repeat([]byte("y"), 3*minOffHeap)
	if _, err := store.Read(bytes.NewReader(body), 8*minOffHeap, -1); err != nil {
		t.Fatal(err)
	}
	if !store.mapped {
		t.Fatal("a body of 3 MiB was not read off the heap")
	}
	if err := unmapAnon(store.buf[:cap(store.buf)]); err != nil {
		t.Fatalf("the store's storage is not a whole mapping: %v", err)
	}
	store.buf, store.mapped = nil, false
}

// TestReadLimit: a body over the limit is ErrTooLarge, whether its length
// is given or not, and the error of a body cut short is the reader's, in
// every store.
func TestReadLimit(t *testing.T) {
	for _, store := range []*Store{nil, {}, {OffHeap: true}} {
		body := bytes.Repeat([]byte("x"), 2*minOffHeap+1)
		if _, err := store.Read(bytes.NewReader(body), 2*minOffHeap, -1); !errors.Is(err, ErrTooLarge) {
			t.Errorf("unknown length over the limit: %v, want ErrTooLarge", err)
		}
		if _, err := store.Read(bytes.NewReader(body), 2*minOffHeap, int64(len(body))); !errors.Is(err, ErrTooLarge) {
			t.Errorf("known length over the limit: %v, want ErrTooLarge", err)
		}
		if got, err := store.Read(bytes.NewReader(body[:2*minOffHeap]), 2*minOffHeap, -1); err != nil || len(got) != 2*minOffHeap {
			t.Errorf("a body of exactly the limit: %d bytes, %v", len(got), err)
		}
		cut := io.MultiReader(bytes.NewReader(body[:minOffHeap+3]), iotest.ErrReader(io.ErrUnexpectedEOF))
		if _, err := store.Read(cut, 4*minOffHeap, -1); !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("a body cut short: %v, want io.ErrUnexpectedEOF", err)
		}
		store.Release()
	}
}

// endless yields 'x' forever: a gzip bomb, as far as the store sees.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	return len(p), nil
}

// heapAllocated returns the bytes f allocated on the Go heap.
func heapAllocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestReadMemoryBounded: reading a body of unknown size up to the limit
// takes about the body's size, not the doubling's twice the limit (issue
// 16, row 11): a body over the limit (a gzip bomb) allocates on the heap
// only what doubling takes up to the threshold of reserve, since it goes on
// in one mapping that is unmapped when refused, and a body of exactly the
// limit allocates it once more.
func TestReadMemoryBounded(t *testing.T) {
	if !mapAnonWorks(t) {
		t.Skip("no mappings off the heap here: storage grows by doubling")
	}
	const limit = 4 * heapReserveFrom
	for name, store := range map[string]*Store{"none": nil, "heap": {}, "off-heap": {OffHeap: true}} {
		var err error
		bomb := heapAllocated(func() { _, err = store.Read(endless{}, limit, -1) })
		if !errors.Is(err, ErrTooLarge) {
			t.Fatalf("%s: %v, want ErrTooLarge", name, err)
		}
		var got []byte
		whole := heapAllocated(func() { got, err = store.Read(io.LimitReader(endless{}, limit), limit, -1) })
		if err != nil || len(got) != limit {
			t.Fatalf("%s: %d bytes, %v", name, len(got), err)
		}
		t.Logf("store %s: a bomb refused at %d MiB allocated %.1f MiB on the heap; a body of the limit %.1f MiB",
			name, limit>>20, float64(bomb)/(1<<20), float64(whole)/(1<<20))
		// The doubling up to the threshold, and nothing more; then the body
		// on the heap once, for a store that keeps it there.
		threshold := uint64(2*heapReserveFrom + minOffHeap)
		wantMax := uint64(limit+limit/64) + threshold
		if name == "off-heap" {
			threshold, wantMax = 2*minOffHeap, 2*minOffHeap
		}
		if bomb > threshold {
			t.Errorf("store %s: a bomb refused at %d MiB allocated %d bytes on the heap, want at most %d", name, limit>>20, bomb, threshold)
		}
		if whole > wantMax {
			t.Errorf("store %s: a body of %d MiB allocated %d bytes on the heap, want at most %d", name, limit>>20, whole, wantMax)
		}
		store.Release()
	}
}

// BenchmarkReadUnknownSize reads a 7 MB body (a page of 9,999 entries) of
// unknown length, growing (new storage each time, for a nil store) or
// reusing the store's storage:
//
//	go test -run '^$' -bench ReadUnknownSize -count 6 ./internal/pagestore
func BenchmarkReadUnknownSize(b *testing.B) {
	body := bytes.Repeat([]byte("x"), 7<<20)
	for name, newStore := range map[string]func() *Store{
		"none": func() *Store { return nil }, "heap": func() *Store { return &Store{} },
		"off-heap": func() *Store { return &Store{OffHeap: true} },
	} {
		b.Run("store="+name, func(b *testing.B) {
			store := newStore()
			defer store.Release()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if got, err := store.Read(bytes.NewReader(body), 256<<20, -1); err != nil || len(got) != len(body) {
					b.Fatalf("%d bytes, %v", len(got), err)
				}
			}
		})
	}
}
