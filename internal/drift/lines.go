package drift

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
)

// maxLine bounds one line of CheckLines: an entry is about 700 bytes, and a
// line beyond this is not one.
const maxLine = 64 << 20

// LineError is a line of CheckLines that is not an entry.
type LineError struct {
	Line int // 1-based
	Err  error
}

// Error returns the message with the line number.
func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

// Unwrap returns the line's error.
func (e *LineError) Unwrap() error { return e.Err }

// batch is lines of CheckLines on their way to a worker.
type batch struct {
	buf       []byte
	ends      []int // the end of each line in buf
	firstLine int
}

const (
	batchLines = 512
	batchBytes = 512 << 10
)

// CheckLines checks every entry of r, JSON Lines as the logs and tail
// commands write them: one entry a line; blank lines are skipped. It stops
// at the first line that is not an entry, with a *LineError, or at a read
// error. The lines are checked on up to 4 cores; what is counted (example
// ids included) is what checking them one by one in order would count.
func (c *Checker) CheckLines(r io.Reader) error {
	workers := min(runtime.GOMAXPROCS(0), 4)
	base := c.order
	checkers := make([]*Checker, workers)
	errs := make([]*LineError, workers)
	// stopAt is the first bad line found so far: the lines after it need
	// no check, the ones before it still do.
	var stopAt atomic.Int64
	stopAt.Store(math.MaxInt64)
	todo := make(chan *batch, workers)
	free := make(chan *batch, 2*workers)
	var wg sync.WaitGroup
	for i := range checkers {
		w := newChecker(c.spec)
		checkers[i] = w
		wg.Go(func() {
			for b := range todo {
				start := 0
				for j, end := range b.ends {
					line := b.buf[start:end]
					start = end
					n := b.firstLine + j
					if int64(n) > stopAt.Load() {
						break
					}
					if len(bytes.TrimSpace(line)) == 0 {
						continue
					}
					w.order = base + int64(n)
					if err := w.Check(line); err != nil {
						if errs[i] == nil || n < errs[i].Line {
							errs[i] = &LineError{Line: n, Err: err}
						}
						for at := stopAt.Load(); int64(n) < at && !stopAt.CompareAndSwap(at, int64(n)); at = stopAt.Load() {
						}
						break
					}
				}
				select {
				case free <- b:
				default:
				}
			}
		})
	}
	lines, readErr := readBatches(r, &stopAt, todo, free)
	close(todo)
	wg.Wait()
	var first *LineError
	for _, e := range errs {
		if e != nil && (first == nil || e.Line < first.Line) {
			first = e
		}
	}
	if first != nil {
		return first
	}
	if readErr != nil {
		return readErr
	}
	for _, w := range checkers {
		c.merge(w)
	}
	c.order = base + int64(lines) + 1
	return nil
}

// readBatches reads r's lines into batches and sends them to todo, taking
// batches to fill from free when there are any, until the end of r or a
// bad line (stopAt). It returns the number of lines read.
func readBatches(r io.Reader, stopAt *atomic.Int64, todo chan<- *batch, free <-chan *batch) (int, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	next := func(firstLine int) *batch {
		var b *batch
		select {
		case b = <-free:
			b.buf, b.ends = b.buf[:0], b.ends[:0]
		default:
			b = &batch{buf: make([]byte, 0, batchBytes+64<<10), ends: make([]int, 0, batchLines)}
		}
		b.firstLine = firstLine
		return b
	}
	b := next(1)
	line := 0
	for stopAt.Load() == math.MaxInt64 {
		line++
		start := len(b.buf)
		chunk, err := br.ReadSlice('\n')
		b.buf = append(b.buf, chunk...)
		for errors.Is(err, bufio.ErrBufferFull) {
			chunk, err = br.ReadSlice('\n')
			b.buf = append(b.buf, chunk...)
			if len(b.buf)-start > maxLine {
				return line, &LineError{Line: line, Err: fmt.Errorf("longer than %d MiB", maxLine>>20)}
			}
		}
		if err != nil && err != io.EOF {
			return line, fmt.Errorf("read line %d: %w", line, err)
		}
		b.ends = append(b.ends, len(b.buf))
		if err == io.EOF {
			break
		}
		if len(b.ends) >= batchLines || len(b.buf) >= batchBytes {
			todo <- b
			b = next(line + 1)
		}
	}
	if len(b.ends) > 0 {
		todo <- b
	}
	return line, nil
}
