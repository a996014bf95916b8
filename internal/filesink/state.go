package filesink

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"time"
)

// Version is the version of the state file this package writes and reads.
// Version 1 is the format of auditlogs tail before the collect engine (see
// Config.Convert).
const Version = 2

// Earliest is the oldest date_create the Audit Logs API holds: a state
// starting before it was not written by tail.
var Earliest = time.Date(2018, 3, 1, 0, 0, 0, 0, time.UTC)

// State is what the state file holds: the collector's checkpoint, kept as
// opaque JSON, and what the file sink and tail need to go on from it.
type State struct {
	Version int     `json:"version"`
	Filters Filters `json:"filters"`
	// Endpoint is the base URL the state was collected from, without
	// credentials ("demo" for --demo); Org is the enterprise ID its events
	// carry. Empty until known.
	Endpoint string `json:"endpoint"`
	Org      string `json:"org"`
	// Start is where the collection started (--start of its first run).
	Start time.Time `json:"start"`
	// Checkpoint is the collector's checkpoint once Output.Offset bytes of
	// the output are written; null before the first page.
	Checkpoint json.RawMessage `json:"checkpoint"`
	// Previous is the checkpoint of the save before the last one that
	// moved the output, and where the output ended then: a restart goes back
	// to it when logrotate's copytruncate copied the file before the writes
	// since ended and emptied it after (their lines are then in no file,
	// and are read again). Not kept when the two checkpoints together pass
	// 512 KiB.
	Previous *Previous `json:"previous,omitempty"`
	// Output is the output file, nil when writing to stdout.
	Output *Output `json:"output"`
	// CleanStop is true when the last run stopped with the output ending
	// exactly at the checkpoint.
	CleanStop bool `json:"clean_stop"`
	// Entries counts the events written since the state was created.
	Entries int64 `json:"entries_written"`
	// Reopened counts the times the output was found moved, replaced,
	// deleted or truncated, and another file (or the emptied one) was
	// started.
	Reopened int64 `json:"output_reopened"`
	// Updated is when the state was saved; Checkpointed when the last page
	// was.
	Updated      time.Time `json:"updated"`
	Checkpointed time.Time `json:"checkpointed,omitzero"`
	// LastError is the last error the collection met, nil if none.
	LastError *Error `json:"last_error,omitempty"`
	// Schedule is how the last run read, for a health check's default
	// bound on the lag; nil in a state written before it was recorded.
	Schedule *Schedule `json:"schedule,omitempty"`
}

// Schedule is how a run of tail read: its --settle, --interval, --lookback
// and --max-window, in seconds, and whether it ran with --once.
type Schedule struct {
	Settle    int64 `json:"settle_seconds"`
	Interval  int64 `json:"interval_seconds"`
	Lookback  int64 `json:"lookback_seconds"`
	MaxWindow int64 `json:"max_window_seconds"`
	Once      bool  `json:"once"`
}

// Filters are the filters a state was made with: resuming with others would
// mix two collections in one output.
type Filters struct {
	Action string `json:"action"`
	Actor  string `json:"actor"`
	Entity string `json:"entity"`
	// Exclude is --exclude-action, sorted and comma-separated.
	Exclude string `json:"exclude_actions,omitempty"`
}

// Error is an error the collection met, as its message said it.
type Error struct {
	Time    time.Time `json:"time"`
	Message string    `json:"message"`
	// Fatal is true when tail exited on it, false when it retried.
	Fatal bool `json:"fatal"`
}

// Output is the output file and how far it is checkpointed.
type Output struct {
	Path string `json:"path"` // absolute, no symbolic link
	// Offset is the file's size after the last checkpointed page. Bytes
	// after it (a page written before a crash) are cut off on start, and
	// the page is read again.
	Offset int64 `json:"offset"`
	// Dev and Ino identify the file Offset counts in (0 where the system
	// does not say): the file is cut back only if it is that file.
	Dev uint64 `json:"dev"`
	Ino uint64 `json:"ino"`
	// TailSum is the SHA-256 (hex) of the file's last tailSumBytes bytes
	// before Offset: it tells logrotate's copy of the file.
	TailSum string `json:"tail_sha256"`
	// Gen counts the files written under this state (a file truncated in
	// place starts a new one).
	Gen int64 `json:"gen"`
	// Head is the SHA-256 (hex) of the first tailSumBytes bytes (fewer if
	// shorter) of the first write to the file, HeadLen that write's length,
	// both saved before it: with Offset 0, they tell logrotate's copy of a
	// file whose first write was never checkpointed.
	Head    string `json:"head_sha256,omitempty"`
	HeadLen int64  `json:"head_len,omitempty"`
}

// Previous is the checkpoint before the last write to the output file.
type Previous struct {
	Checkpoint json.RawMessage `json:"checkpoint"`
	Gen        int64           `json:"gen"`
	Offset     int64           `json:"offset"`
	TailSum    string          `json:"tail_sha256"`
	Entries    int64           `json:"entries_written"`
}

// required are the members every state of this version has.
var required = []string{"version", "filters", "start", "checkpoint", "output", "clean_stop", "entries_written"}

// decode reads a state file's bytes, refusing what tail did not write:
// every error names the file and the field.
func decode(path string, b []byte, now time.Time, cfg *Config) (*State, error) {
	bad := func(field, format string, a ...any) error {
		return fmt.Errorf("state file %s: field %q %s: it is not a state tail wrote; fix it, or move it away to start over from --start",
			path, field, fmt.Sprintf(format, a...))
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(b, &members); err != nil || members == nil {
		return nil, fmt.Errorf("state file %s is not valid JSON (%v): move it away to start over from --start", path, err)
	}
	var version int
	if err := json.Unmarshal(members["version"], &version); err != nil || members["version"] == nil {
		return nil, bad("version", "is missing or not a number")
	}
	if version != Version {
		if version < Version && cfg.Convert != nil {
			st, err := cfg.Convert(version, b)
			if err != nil {
				return nil, fmt.Errorf("state file %s: %w", path, err)
			}
			if st != nil {
				if err := st.check(now, cfg); err != nil {
					return nil, bad(err.field, "%s", err.msg)
				}
				return st, nil
			}
		}
		return nil, fmt.Errorf("state file %s has version %d; this auditlogs reads version %d", path, version, Version)
	}
	for _, k := range required {
		if _, ok := members[k]; !ok {
			return nil, bad(k, "is missing")
		}
	}
	var s State
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("state file %s: %v: move it away to start over from --start", path, err)
	}
	if err := s.check(now, cfg); err != nil {
		return nil, bad(err.field, "%s", err.msg)
	}
	return &s, nil
}

type fieldError struct{ field, msg string }

// check validates a decoded state.
func (s *State) check(now time.Time, cfg *Config) *fieldError {
	switch {
	case s.Start.Before(Earliest):
		return &fieldError{"start", fmt.Sprintf("is %s, before the API's first events (%s)", s.Start.Format(time.RFC3339), Earliest.Format("2006-01-02"))}
	case s.Start.After(now.Add(time.Hour)):
		return &fieldError{"start", fmt.Sprintf("is %s, in the future", s.Start.Format(time.RFC3339))}
	case s.Entries < 0:
		return &fieldError{"entries_written", "is negative"}
	case s.Schedule != nil && min(s.Schedule.Settle, s.Schedule.Interval, s.Schedule.Lookback, s.Schedule.MaxWindow) < 0:
		return &fieldError{"schedule", "has a negative duration"}
	}
	if o := s.Output; o != nil {
		switch {
		case o.Path == "" || !filepath.IsAbs(o.Path):
			return &fieldError{"output.path", "is not an absolute path"}
		case o.Offset < 0:
			return &fieldError{"output.offset", "is negative"}
		case o.Ino == 0 && hasIdentity:
			return &fieldError{"output.ino", "is missing"}
		case o.Gen < 1:
			return &fieldError{"output.gen", "is missing"}
		}
	}
	if p := s.Previous; p != nil && (s.Output == nil || p.Offset < 0 || p.Offset > s.Output.Offset || p.Gen != s.Output.Gen) {
		return &fieldError{"previous", "does not match the output"}
	}
	if cfg.ValidateCheckpoint != nil {
		cp := s.Checkpoint
		if bytes.Equal(bytes.TrimSpace(cp), []byte("null")) {
			cp = nil
		}
		if err := cfg.ValidateCheckpoint(cp, now); err != nil {
			return &fieldError{"checkpoint", "is invalid (" + err.Error() + ")"}
		}
	}
	return nil
}
