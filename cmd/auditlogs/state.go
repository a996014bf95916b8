package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"time"
)

// stateVersion is the version of the state file this code writes and reads.
const stateVersion = 1

// tailState is what tail checkpoints after every page: enough to resume
// after a crash at any instant without losing an event and, with --out,
// without writing one twice.
//
// The collection is a sequence of closed time windows [oldest, latest],
// each paged newest first with a cursor. A window starts at the previous
// one's latest second (both ends are inclusive, so no event can fall between
// two windows); the events of that shared second already written are in
// BoundaryIDs and skipped the second time.
type tailState struct {
	Version int          `json:"version"`
	Filters stateFilters `json:"filters"`
	// Endpoint is the base URL the state was collected from, without
	// credentials ("demo" for --demo); Org is the enterprise ID its events
	// carry (see owner.go). Empty in states from before they were recorded,
	// which adopt them.
	Endpoint string `json:"endpoint,omitempty"`
	Org      string `json:"org,omitempty"`
	// Watermark is where the next window starts (Unix seconds, inclusive):
	// the latest second of the last completed window, or --start before the
	// first one. Every matching event before it has been written.
	Watermark int64 `json:"watermark"`
	// BoundaryIDs are the keys (see entryKey) of the events of second
	// Watermark already written: the next window skips them.
	BoundaryIDs []string `json:"boundary_ids"`
	// Window is the window being read, nil between windows.
	Window *stateWindow `json:"window,omitempty"`
	// Output is the --out file, nil when writing to stdout.
	Output *stateOutput `json:"output,omitempty"`
	// CleanStop is true when the last run stopped with the output ending
	// exactly at the checkpoint (no partial page after it).
	CleanStop bool `json:"clean_stop"`
	// Entries counts the events written since the state was created.
	Entries int64 `json:"entries_written"`
	// Updated is when the state was saved, for people.
	Updated time.Time `json:"updated"`
	// Checkpointed is when the last page was written and checkpointed:
	// what auditlogs status reports as the last checkpoint.
	Checkpointed time.Time `json:"checkpointed,omitzero"`
	// LastError is the last error tail met (retried or not), for auditlogs
	// status; nil if none since the state was made.
	LastError *stateError `json:"last_error,omitempty"`
}

// stateError is an error tail met, as its message said it.
type stateError struct {
	Time    time.Time `json:"time"`
	Message string    `json:"message"`
	// Fatal is true when tail exited on it, false when it retried.
	Fatal bool `json:"fatal"`
}

// stateFilters are the filters the state was made with: resuming with
// others would mix two different collections in one stream.
type stateFilters struct {
	Action string `json:"action"`
	Actor  string `json:"actor"`
	Entity string `json:"entity"`
	// Exclude is --exclude-action, sorted and comma-separated.
	Exclude string `json:"exclude_actions,omitempty"`
}

// stateWindow is the window being read.
type stateWindow struct {
	Oldest int64 `json:"oldest"` // Unix seconds, inclusive; equals the Watermark
	Latest int64 `json:"latest"` // Unix seconds, inclusive
	Limit  int   `json:"limit"`  // page size, kept for the whole window: the cursor was made with it
	// Cursor resumes the window after the last page written; "" with
	// Pages == 0 means from the start.
	Cursor string `json:"cursor"`
	Pages  int    `json:"pages"`
	// IDsAtLatest are the keys of the events of second Latest written in
	// this window: the next window's BoundaryIDs.
	IDsAtLatest []string `json:"ids_at_latest"`
}

// stateOutput is the --out file and how far it is checkpointed.
type stateOutput struct {
	Path string `json:"path"` // absolute
	// Offset is the file's size after the last checkpointed page. Bytes
	// after it (a page written before a crash, not yet checkpointed) are
	// cut off on start, then the page is read again.
	Offset int64 `json:"offset"`
	// WindowOffset is the file's size when the current window started: a
	// refused cursor cuts the file back to it and reads the window again.
	// -1 when the window started in another file (or on stdout).
	WindowOffset int64 `json:"window_offset"`
	// Dev and Ino identify the file Offset counts in (0 where the system
	// does not say, and in states written before they were recorded): after
	// a rotation moved it, tail finds it by them to cut it back to Offset.
	Dev uint64 `json:"dev,omitempty"`
	Ino uint64 `json:"ino,omitempty"`
	// TailSum is the SHA-256 (hex) of the file's last tailSumBytes bytes
	// before Offset (fewer in a shorter file): it tells logrotate's copy of
	// a file truncated by copytruncate from any other file.
	TailSum string `json:"tail_sha256,omitempty"`
	// Gen counts the files tail has started writing to under this state:
	// a file truncated in place keeps its inode, and Gen tells the
	// journal's writes to it before the truncation from those after.
	Gen int64 `json:"gen,omitempty"`
}

// errStateLocked means another tail holds the state file.
var errStateLocked = errors.New("another auditlogs tail is using this state file")

// loadState reads the state file; it returns nil, nil if there is none.
func loadState(path string) (*tailState, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var s tailState
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("state file %s is not valid JSON (%v): move it away to start over from --start", path, err)
	}
	if s.Version != stateVersion {
		return nil, fmt.Errorf("state file %s has version %d; this auditlogs reads version %d", path, s.Version, stateVersion)
	}
	if w := s.Window; w != nil && (w.Oldest != s.Watermark || w.Latest < w.Oldest || w.Limit < 0 || w.Limit > 9999) {
		return nil, fmt.Errorf("state file %s is inconsistent (window %d..%d, watermark %d): move it away to start over",
			path, w.Oldest, w.Latest, s.Watermark)
	}
	if o := s.Output; o != nil && (o.Path == "" || o.Offset < 0 || o.WindowOffset > o.Offset) {
		return nil, fmt.Errorf("state file %s is inconsistent (output offsets): move it away to start over", path)
	}
	return &s, nil
}

// save writes the state atomically and durably: a temporary file in the
// same directory, fsynced, renamed over the state file, and the directory
// fsynced, so that the file on disk is always a whole old state or a whole
// new one.
func (s *tailState) save(path string) error {
	s.Updated = time.Now().UTC().Truncate(time.Second)
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	// A fixed temporary name: the lock keeps other tails away, and a file
	// left by a crash is simply overwritten next time.
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("save state: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("save state: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	return syncDir(filepath.Dir(path))
}

// syncDir makes a rename or a new file in dir durable.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil // directories cannot be fsynced there; renames are journaled
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}

// entryKey identifies an event for de-duplication: its id, or a hash of its
// bytes for an event without one.
func entryKey(id string, raw []byte) string {
	if id != "" {
		return id
	}
	sum := sha256.Sum256(raw)
	return "sha256:" + hex.EncodeToString(sum[:16])
}
