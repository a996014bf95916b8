package drift

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
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

// CheckLines checks every entry of r, JSON Lines as the logs and tail
// commands write them: one entry a line; blank lines are skipped. It stops
// at the first line that is not an entry, with a *LineError, or at a read
// error.
func (c *Checker) CheckLines(r io.Reader) error {
	br := bufio.NewReaderSize(r, 1<<20)
	var long []byte // a line longer than br's buffer
	for line := 1; ; line++ {
		b, err := br.ReadSlice('\n')
		for errors.Is(err, bufio.ErrBufferFull) {
			long = append(long[:0], b...)
			for errors.Is(err, bufio.ErrBufferFull) {
				b, err = br.ReadSlice('\n')
				long = append(long, b...)
				if len(long) > maxLine {
					return &LineError{Line: line, Err: fmt.Errorf("longer than %d MiB", maxLine>>20)}
				}
			}
			b = long
		}
		if err != nil && err != io.EOF {
			return fmt.Errorf("read line %d: %w", line, err)
		}
		if len(bytes.TrimSpace(b)) > 0 {
			if cerr := c.Check(b); cerr != nil {
				return &LineError{Line: line, Err: cerr}
			}
		}
		if err == io.EOF {
			return nil
		}
	}
}
