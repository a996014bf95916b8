package main

import "io"

// pageWriter hands what is written to it to dst on a goroutine of its own, a
// page at a time, so that writing one page (and the disk under it) overlaps
// fetching and splitting the next. It holds two pages of output at most:
// one being filled while the other is written; endPage waits for the
// writer when it is still busy with the page before.
type pageWriter struct {
	cur    []byte
	full   chan []byte // a page to write
	free   chan []byte // a written page's storage, for reuse
	failed chan error  // the first write error, as soon as there is one
	done   chan struct{}
	err    error // the write error, once seen
}

func newPageWriter(dst io.Writer) *pageWriter {
	w := &pageWriter{full: make(chan []byte), free: make(chan []byte, 1), failed: make(chan error, 1), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		var err error
		for page := range w.full {
			if err == nil {
				if _, err = dst.Write(page); err != nil {
					w.failed <- err
				}
			}
			w.free <- page[:0]
		}
	}()
	return w
}

// Write adds p to the page being filled.
func (w *pageWriter) Write(p []byte) (int, error) {
	w.cur = append(w.cur, p...)
	return len(p), nil
}

// endPage hands the page filled so far to the writer. It returns the error
// of an earlier page's write, if there was one; nothing is written after a
// failed write.
func (w *pageWriter) endPage() error {
	if w.err == nil {
		select {
		case w.err = <-w.failed:
		default:
		}
	}
	if w.err != nil || len(w.cur) == 0 {
		return w.err
	}
	w.full <- w.cur
	select {
	case w.cur = <-w.free: // the page before, written
	default:
		w.cur = nil // the first page: new storage
	}
	return nil
}

// close writes out what is left, waits for the writer and returns the
// first write error. The pageWriter cannot be used after.
func (w *pageWriter) close() error {
	w.endPage()
	close(w.full)
	<-w.done
	if w.err == nil {
		select {
		case w.err = <-w.failed:
		default:
		}
	}
	return w.err
}

// pagedWriter is an entryWriter whose pages go out through a pageWriter.
type pagedWriter struct {
	entryWriter
	pw *pageWriter
}

// EndPage ends the page and hands it to the pageWriter.
func (w pagedWriter) EndPage() error {
	if err := w.entryWriter.EndPage(); err != nil {
		return err
	}
	return w.pw.endPage()
}
