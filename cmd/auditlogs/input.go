package main

import (
	"errors"
	"io"
	"os"
)

// openFrom opens the file of a --from flag, "-" meaning stdin, and returns
// it with the function that closes it. An error names no path: the caller's
// message does.
func openFrom(e *env, name string) (io.Reader, func(), error) {
	if name == "-" {
		return e.stdin, func() {}, nil
	}
	f, err := os.Open(name)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, nil, err
	}
	return f, func() { f.Close() }, nil
}
