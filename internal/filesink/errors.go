package filesink

import (
	"errors"
	"io/fs"
	"os"
)

// ErrStateLocked means another collection holds the state file.
var ErrStateLocked = errors.New("another auditlogs tail is using this state file")

// ErrOutputLocked means another collection writes to the output file.
var ErrOutputLocked = errors.New("another auditlogs tail writes to this output file")

// errBusy is what lock returns for a file locked by another open file.
var errBusy = errors.New("locked")

// OutputError is a failure to open, write, sync or cut the output file: the
// file may hold part of a page beyond the checkpoint, which the next start
// cuts off.
type OutputError struct {
	Op   string // "open", "write", "sync", "cut", "check", "reopen"
	Path string
	Err  error
}

// Error says what failed on which file: "write output FILE: no space left
// on device".
func (e *OutputError) Error() string {
	return e.Op + " output " + e.Path + ": " + errText(e.Err)
}

// Unwrap returns the cause.
func (e *OutputError) Unwrap() error { return e.Err }

// StateError is a failure to read, lock or save the state file.
type StateError struct {
	Op   string // "lock", "read", "save"
	Path string
	Err  error
}

// Error says what failed on which file: "save state FILE: ...".
func (e *StateError) Error() string {
	return e.Op + " state " + e.Path + ": " + errText(e.Err)
}

// Unwrap returns the cause.
func (e *StateError) Unwrap() error { return e.Err }

// errText is err's message, without the operation and path an
// *fs.PathError or *os.LinkError repeats.
func errText(err error) string {
	switch e := err.(type) {
	case *fs.PathError:
		return e.Err.Error()
	case *os.LinkError:
		return e.Err.Error()
	}
	return err.Error()
}
