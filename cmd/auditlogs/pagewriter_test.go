package main

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// TestPageWriterOrder: pages come out whole and in order, and close writes
// the last one.
func TestPageWriterOrder(t *testing.T) {
	var out bytes.Buffer
	w := newPageWriter(&out)
	var want bytes.Buffer
	for i := range 100 {
		for j := range i % 7 { // some pages empty
			line := fmt.Sprintf("page %d line %d\n", i, j)
			w.Write([]byte(line))
			want.WriteString(line)
		}
		if i != 99 {
			if err := w.endPage(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.close(); err != nil {
		t.Fatal(err)
	}
	if out.String() != want.String() {
		t.Fatalf("wrote %d bytes that differ from the %d expected", out.Len(), want.Len())
	}
}

// failWriter fails every write from the nth on, and counts the pages it
// was given.
type failWriter struct {
	mu    sync.Mutex
	n     int
	calls int
}

var errDiskFull = errors.New("disk full")

func (f *failWriter) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.calls >= f.n {
		return 0, errDiskFull
	}
	return len(p), nil
}

// TestPageWriterError: a failed write comes back from a later endPage, so
// that the pull stops, and from close; nothing is written after it.
func TestPageWriterError(t *testing.T) {
	dst := &failWriter{n: 3}
	w := newPageWriter(dst)
	var err error
	pages := 0
	for ; pages < 1000 && err == nil; pages++ {
		w.Write([]byte("entry\n"))
		err = w.endPage()
	}
	if !errors.Is(err, errDiskFull) {
		t.Fatalf("endPage after a failed write: %v, want the write's error", err)
	}
	if pages > 6 {
		t.Errorf("the pull went on for %d pages after the write failed on page 3", pages-3)
	}
	if err := w.close(); !errors.Is(err, errDiskFull) {
		t.Errorf("close: %v, want the write's error", err)
	}
	if dst.calls != 3 {
		t.Errorf("%d writes, want 3: none after the failed one", dst.calls)
	}
}

// blockWriter holds every write until released, to see how far ahead the
// pageWriter lets the pull go.
type blockWriter struct{ release chan struct{} }

func (b *blockWriter) Write(p []byte) (int, error) {
	<-b.release
	return len(p), nil
}

// TestPageWriterHoldsTwoPages: while a page is being written, the next one
// may be filled, but the one after waits: memory holds two pages.
func TestPageWriterHoldsTwoPages(t *testing.T) {
	dst := &blockWriter{release: make(chan struct{})}
	w := newPageWriter(dst)
	w.Write([]byte("page 1\n"))
	if err := w.endPage(); err != nil { // the writer takes page 1 and blocks on it
		t.Fatal(err)
	}
	w.Write([]byte("page 2\n"))
	ended := make(chan struct{})
	go func() {
		w.endPage() // must wait: page 1 is still being written
		close(ended)
	}()
	select {
	case <-ended:
		t.Fatal("endPage handed over a second page while the first was still being written")
	case <-time.After(50 * time.Millisecond):
	}
	dst.release <- struct{}{} // page 1 written
	<-ended
	dst.release <- struct{}{} // page 2 written
	if err := w.close(); err != nil {
		t.Fatal(err)
	}
}
