package auditlogs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"
	"testing/iotest"
)

// TestReadBodyStores reads bodies of every size class into every kind of
// store, with and without a length given, one after another so that
// storage is reused and replaced, and checks every byte.
func TestReadBodyStores(t *testing.T) {
	sizes := []int{0, 1, 511, 512, 513, 4096, minOffHeap - 1, minOffHeap, 3*minOffHeap + 7, 1000, 5 * minOffHeap}
	stores := map[string]func() *pageStore{
		"none":     func() *pageStore { return nil },
		"heap":     func() *pageStore { return &pageStore{} },
		"off-heap": func() *pageStore { return &pageStore{offHeap: true} },
	}
	mapping := mapAnonWorks(t)
	for name, newStore := range stores {
		for _, known := range []bool{true, false} {
			t.Run(fmt.Sprintf("store=%s/length-known=%v", name, known), func(t *testing.T) {
				store := newStore()
				defer store.release()
				for i, n := range sizes {
					want := bytes.Repeat([]byte{byte('a' + i)}, n)
					hint := int64(-1)
					if known {
						hint = int64(n)
					}
					// HalfReader: reads of odd lengths, so that growth lands mid-read.
					got, err := readBody(iotest.HalfReader(bytes.NewReader(want)), 64<<20, hint, store)
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

// TestPageStoreUnmaps: the storage an off-heap store ends with, grown by
// appends as readBody grows it, is still the whole mapping it was given,
// so that release frees it.
func TestPageStoreUnmaps(t *testing.T) {
	if !mapAnonWorks(t) {
		t.Skip("no mappings off the heap here")
	}
	store := &pageStore{offHeap: true}
	body := bytes.Repeat([]byte("y"), 3*minOffHeap)
	if _, err := readBody(bytes.NewReader(body), 8*minOffHeap, -1, store); err != nil {
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

// TestReadBodyLimit: a body over the limit is an error, whether its length
// is given or not, and a body cut short is a retryable one, in every store.
func TestReadBodyLimit(t *testing.T) {
	for _, store := range []*pageStore{nil, {}, {offHeap: true}} {
		body := bytes.Repeat([]byte("x"), 2*minOffHeap+1)
		if _, err := readBody(bytes.NewReader(body), 2*minOffHeap, -1, store); !errors.Is(err, ErrResponseTooLarge) {
			t.Errorf("unknown length over the limit: %v, want ErrResponseTooLarge", err)
		}
		if _, err := readBody(bytes.NewReader(body), 2*minOffHeap, int64(len(body)), store); !errors.Is(err, ErrResponseTooLarge) {
			t.Errorf("known length over the limit: %v, want ErrResponseTooLarge", err)
		}
		if got, err := readBody(bytes.NewReader(body[:2*minOffHeap]), 2*minOffHeap, -1, store); err != nil || len(got) != 2*minOffHeap {
			t.Errorf("a body of exactly the limit: %d bytes, %v", len(got), err)
		}
		cut := io.MultiReader(bytes.NewReader(body[:minOffHeap+3]), iotest.ErrReader(io.ErrUnexpectedEOF))
		var be *bodyError
		if _, err := readBody(cut, 4*minOffHeap, -1, store); !errors.As(err, &be) || !be.retryable {
			t.Errorf("a body cut short: %v, want a retryable bodyError", err)
		}
		store.release()
	}
}
