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
// store, with and without a length given, and with a length hinted too low
// (as a gzip body's estimate may be), one after another so that storage is
// reused and replaced, and checks every byte.
func TestReadStores(t *testing.T) {
	const mib = 1 << 20
	sizes := []int{0, 1, 511, 512, 513, 4096, mib - 1, mib, 3*mib + 7, 1000, 5 * mib, chunkFrom + 7, 100}
	stores := map[string]func() *Store{
		"none": func() *Store { return nil },
		"heap": func() *Store { return &Store{} },
	}
	hints := map[string]func(n int) int64{
		"unknown": func(int) int64 { return -1 },
		"exact":   func(n int) int64 { return int64(n) },
		"low":     func(n int) int64 { return int64(n - n/10) },
	}
	for name, newStore := range stores {
		for hintName, hint := range hints {
			t.Run(fmt.Sprintf("store=%s/length=%s", name, hintName), func(t *testing.T) {
				store := newStore()
				defer store.Release()
				for i, n := range sizes {
					want := bytes.Repeat([]byte{byte('a' + i)}, n)
					// HalfReader: reads of odd lengths, so that growth lands mid-read.
					got, err := store.Read(iotest.HalfReader(bytes.NewReader(want)), 64<<20, hint(n))
					if err != nil {
						t.Fatalf("%d bytes: %v", n, err)
					}
					if !bytes.Equal(got, want) {
						t.Fatalf("%d bytes: read back %d bytes that differ", n, len(got))
					}
					if store != nil && len(got) > 0 && &store.buf[:1][0] != &got[:1][0] {
						t.Fatalf("%d bytes: the body is not in the store's storage", n)
					}
				}
			})
		}
	}
}

// TestReadLimit: a body over the limit is ErrTooLarge, whether its length
// is given or not, and the error of a body cut short is the reader's, in
// every store, under the size where chunks begin and over it.
func TestReadLimit(t *testing.T) {
	for _, limit := range []int{2 << 20, chunkFrom + chunkFrom/2} {
		for _, store := range []*Store{nil, {}} {
			body := bytes.Repeat([]byte("x"), limit+1)
			if _, err := store.Read(bytes.NewReader(body), int64(limit), -1); !errors.Is(err, ErrTooLarge) {
				t.Errorf("limit %d: unknown length over the limit: %v, want ErrTooLarge", limit, err)
			}
			if _, err := store.Read(bytes.NewReader(body), int64(limit), int64(len(body))); !errors.Is(err, ErrTooLarge) {
				t.Errorf("limit %d: known length over the limit: %v, want ErrTooLarge", limit, err)
			}
			if got, err := store.Read(bytes.NewReader(body[:limit]), int64(limit), -1); err != nil || len(got) != limit {
				t.Errorf("limit %d: a body of exactly the limit: %d bytes, %v", limit, len(got), err)
			}
			cut := io.MultiReader(bytes.NewReader(body[:limit-3]), iotest.ErrReader(io.ErrUnexpectedEOF))
			if _, err := store.Read(cut, int64(2*limit), -1); !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("limit %d: a body cut short: %v, want io.ErrUnexpectedEOF", limit, err)
			}
			store.Release()
		}
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
// takes about the body's size plus a constant, not the doubling's twice the
// limit or more (issue 16, row 11). Everything a read allocates bounds what
// it holds at once: a body over the limit (a gzip bomb) allocates at most
// the limit plus the doubling up to chunkFrom, and a body of exactly the
// limit that once more, when its chunks are joined.
func TestReadMemoryBounded(t *testing.T) {
	const limit = 4 * chunkFrom
	doubling := uint64(2*chunkFrom + 1<<20)
	for name, store := range map[string]*Store{"none": nil, "heap": {}} {
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
		if want := uint64(limit) + doubling; bomb > want {
			t.Errorf("store %s: a bomb refused at %d MiB allocated %d bytes, want at most %d", name, limit>>20, bomb, want)
		}
		if want := uint64(2*limit+limit/64) + doubling; whole > want {
			t.Errorf("store %s: a body of %d MiB allocated %d bytes, want at most %d", name, limit>>20, whole, want)
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
