package filesink

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"time"
)

// maxPrevious bounds the checkpoints a state holds (State.Previous's and
// its own) for Previous to be kept: above it, the state holds one
// checkpoint, and a restart that finds logrotate's copy short of the
// checkpoint says so instead of going back to the previous one.
const maxPrevious = 512 << 10

// Config says where a collection keeps its files.
type Config struct {
	// StatePath is the state file. A symbolic link is resolved once: the
	// lock and the saves are on the file it names.
	StatePath string
	// OutPath is the output file; "" writes to Stdout. It must not be a
	// symbolic link (see Begin).
	OutPath string
	// Stdout receives the entries without OutPath.
	Stdout io.Writer
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Notice tells the operator what the sink did on its own (a rotation
	// followed, a file cut back); default: nothing.
	Notice func(msg string, args ...any)
	// Debug records details; default: nothing.
	Debug func(msg string, args ...any)
	// ValidateCheckpoint reports a checkpoint the collector did not write
	// (nil: a state from before its first page); default: any is taken.
	ValidateCheckpoint func(cp json.RawMessage, now time.Time) error
	// Convert turns a state file of an older version into a State, or
	// returns an error saying why it cannot; default: older versions are
	// refused.
	Convert func(version int, b []byte) (*State, error)
	// IdleSave is how long a checkpoint of a page with nothing to write may
	// wait before it is saved; default 5 minutes. Redoing such a page
	// after a crash writes nothing.
	IdleSave time.Duration
}

// Sink is a collection's output and state files, locked for one process.
type Sink struct {
	cfg       Config
	statePath string   // resolved
	stateFile *os.File // open on the state's inode, locked; nil where locks do nothing
	st        *State
	lastSave  time.Time

	out        *os.File // the output file; nil with stdout
	pre        []byte   // written before the next page: a line break after foreign bytes
	tail       []byte   // the output's last bytes before the checkpoint (see TailSum)
	recent     []byte   // the last writes to the output, contiguous (see keepRecent),
	recentAt   int64    // from this offset,
	recentW    []int    // and the length of each
	movedNoted bool     // said that the output was moved away

	written Written
	begun   bool      // Begin ran: Close saves the state
	saved   *Previous // the output's checkpoint at the last save
	// afterWrite, if set, runs once the next page is written and saved: it
	// cuts logrotate's copy back to its last whole line (see repairCopy).
	afterWrite func()
	stateSize  int64 // the bytes of the last save
	pending    int64 // output bytes written since the last save
}

// Written counts the bytes the sink wrote with write(2), by file.
type Written struct {
	Output int64 // entries, and lines written again after a rotation
	State  int64 // state saves
	Saves  int64
}

// Open locks the state file and reads it. Without one, it creates it from
// fresh (its Version is set), under the lock. The lock is flock(2) on the
// state file's inode, taken again on each new inode a save renames over
// it, so a second collection is refused whatever name it gives the file.
func Open(cfg Config, fresh *State) (*Sink, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Notice == nil {
		cfg.Notice = func(string, ...any) {}
	}
	if cfg.Debug == nil {
		cfg.Debug = func(string, ...any) {}
	}
	if cfg.IdleSave <= 0 {
		cfg.IdleSave = 5 * time.Minute
	}
	if cfg.Stdout == nil {
		cfg.Stdout = io.Discard
	}
	real, err := resolve(cfg.StatePath)
	if err != nil {
		return nil, &StateError{"open", cfg.StatePath, err}
	}
	s := &Sink{cfg: cfg, statePath: real}
	for try := 0; ; try++ {
		if try == 50 {
			return nil, &StateError{"lock", cfg.StatePath, errors.New("the file keeps being replaced")}
		}
		f, err := os.OpenFile(real, os.O_RDWR, 0)
		if errors.Is(err, fs.ErrNotExist) {
			f, err = s.create(fresh)
			if err != nil {
				return nil, &StateError{"create", cfg.StatePath, err}
			}
			if f == nil {
				continue // another one created it meanwhile
			}
			s.keep(f)
			s.st = fresh
			s.lastSave = cfg.Now()
			return s, nil
		}
		if err != nil {
			return nil, &StateError{"open", cfg.StatePath, err}
		}
		if err := lock(f); err != nil {
			f.Close()
			if errors.Is(err, errBusy) {
				return nil, ErrStateLocked
			}
			return nil, &StateError{"lock", cfg.StatePath, err}
		}
		// A save by the collection that held the lock may have renamed
		// another file over the path since it was opened.
		fi, err1 := f.Stat()
		pfi, err2 := os.Stat(real)
		if err1 != nil || err2 != nil || !os.SameFile(fi, pfi) {
			f.Close()
			continue
		}
		b, err := io.ReadAll(f)
		if err != nil {
			f.Close()
			return nil, &StateError{"read", cfg.StatePath, err}
		}
		st, err := decode(cfg.StatePath, b, cfg.Now(), &cfg)
		if err != nil {
			f.Close()
			return nil, err
		}
		s.keep(f)
		s.st = st
		s.lastSave = cfg.Now()
		return s, nil
	}
}

// keep holds f, the state file's inode, and its lock, or closes it where
// locks do nothing.
func (s *Sink) keep(f *os.File) {
	if old := s.stateFile; old != nil {
		defer old.Close()
	}
	if !locks {
		f.Close()
		f = nil
	}
	s.stateFile = f
}

// resolve returns the absolute path of the file path names, through
// symbolic links; the file need not exist, its directory must.
func resolve(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	real, err := filepath.EvalSymlinks(abs)
	if err == nil {
		return real, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	if fi, lerr := os.Lstat(abs); lerr == nil && fi.Mode()&fs.ModeSymlink != 0 {
		return "", errors.New("a symbolic link to a file that does not exist")
	}
	dir, err := filepath.EvalSymlinks(filepath.Dir(abs))
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, filepath.Base(abs)), nil
}

// create makes the state file from st, locked before it has a name, and
// returns it open; nil if another collection created the file first.
func (s *Sink) create(st *State) (*os.File, error) {
	st.Version = Version
	b, err := marshal(st, s.cfg.Now())
	if err != nil {
		return nil, err
	}
	tmp := s.statePath + ".new" + strconv.Itoa(os.Getpid())
	f, err := writeLocked(tmp, b)
	if err != nil {
		return nil, err
	}
	s.written.State += int64(len(b))
	s.written.Saves++
	defer os.Remove(tmp)
	if err := os.Link(tmp, s.statePath); err != nil {
		f.Close()
		if errors.Is(err, fs.ErrExist) {
			return nil, nil
		}
		return nil, err
	}
	if err := syncDir(filepath.Dir(s.statePath)); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// writeLocked creates path (which must not exist), locks it, and writes b
// to it durably; it returns the file open.
func writeLocked(path string, b []byte) (*os.File, error) {
	_ = os.Remove(path) // left by a crash
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	err = lock(f)
	if err == nil {
		_, err = f.Write(b)
	}
	if err == nil {
		err = f.Sync()
	}
	if err != nil {
		f.Close()
		os.Remove(path)
		return nil, err
	}
	return f, nil
}

// marshal encodes st, a line. json.Marshal checks and compacts a
// json.RawMessage byte by byte, which for a checkpoint of a megabyte is most
// of a save's time (about 5 of 7 ms): the checkpoints, which the collector
// encoded compactly itself, are marshalled as placeholders and spliced in.
// A placeholder is found with its member name and colon, which no string
// value can hold unescaped.
func marshal(st *State, now time.Time) ([]byte, error) {
	st.Updated = now.UTC().Truncate(time.Second)
	cp := *st
	var spliced [2]json.RawMessage
	if len(cp.Checkpoint) > 0 {
		spliced[0], cp.Checkpoint = cp.Checkpoint, json.RawMessage(placeholders[0])
	}
	if cp.Previous != nil && len(cp.Previous.Checkpoint) > 0 {
		prev := *cp.Previous
		spliced[1], prev.Checkpoint = prev.Checkpoint, json.RawMessage(placeholders[1])
		cp.Previous = &prev
	}
	b, err := json.Marshal(&cp)
	if err != nil {
		return nil, err
	}
	for i, raw := range spliced {
		if raw == nil {
			continue
		}
		member := []byte(`"checkpoint":` + placeholders[i])
		at := bytes.Index(b, member)
		if at < 0 {
			return nil, fmt.Errorf("checkpoint placeholder %d not found", i)
		}
		at += len(`"checkpoint":`)
		b = slices.Concat(b[:at], raw, b[at+len(placeholders[i]):])
	}
	return append(b, '\n'), nil
}

// placeholders stand for the checkpoints of the state and of its Previous
// while marshal encodes the rest.
var placeholders = [2]string{`"\u0000checkpoint"`, `"\u0000previous checkpoint"`}

// State returns the state, for the caller to read and change before Begin
// or a save.
func (s *Sink) State() *State { return s.st }

// Path returns the state file's path, resolved.
func (s *Sink) Path() string { return s.statePath }

// Written returns the bytes written so far.
func (s *Sink) Written() Written { return s.written }

// Save writes the state atomically and durably: a new file beside it,
// locked, written and fsynced, renamed over the state file, and the
// directory fsynced, so the file on disk is always a whole old state or a
// whole new one.
func (s *Sink) Save() error {
	st := s.st
	if o, prev := st.Output, s.saved; o == nil || prev == nil || prev.Gen != o.Gen || prev.Offset > o.Offset {
		st.Previous = nil
	} else if prev.Offset < o.Offset {
		st.Previous = prev
		if len(prev.Checkpoint)+len(st.Checkpoint) > maxPrevious {
			st.Previous = nil // the state stays about one checkpoint big
		}
	}
	b, err := marshal(s.st, s.cfg.Now())
	if err != nil {
		return &StateError{"save", s.cfg.StatePath, err}
	}
	tmp := s.statePath + ".tmp"
	f, err := writeLocked(tmp, b)
	if err != nil {
		return &StateError{"save", s.cfg.StatePath, err}
	}
	if !locks || runtime.GOOS == "windows" {
		f.Close() // an open file cannot be renamed over there
		f = nil
	}
	if err := os.Rename(tmp, s.statePath); err != nil {
		if f != nil {
			f.Close()
		}
		return &StateError{"save", s.cfg.StatePath, err}
	}
	if f != nil {
		s.keep(f)
	}
	s.written.State += int64(len(b))
	s.written.Saves++
	s.lastSave = s.cfg.Now()
	s.stateSize, s.pending = int64(len(b)), 0
	s.saved = nil
	if o := st.Output; o != nil {
		s.saved = &Previous{Checkpoint: st.Checkpoint, Gen: o.Gen, Offset: o.Offset, TailSum: o.TailSum, Entries: st.Entries}
	}
	if err := syncDir(filepath.Dir(s.statePath)); err != nil {
		return &StateError{"save", s.cfg.StatePath, err}
	}
	return nil
}

// syncDir makes a rename or a new file in dir durable.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil // directories cannot be fsynced there; renames are journaled
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Begin opens the output (or sets up stdout) and brings it back to the
// checkpoint, then saves the state. The output must not be a symbolic link:
// rotation moves and replaces names, and the link and its target would part
// ways; Begin refuses it, naming the target to use instead.
//
// A previous output (the state names another file than OutPath) is left
// as it is, but for a page beyond its checkpoint, cut off if the file is
// still the one the state recorded (same device and inode, same bytes before
// the checkpoint). The state's checkpoint may go back (see State.Previous):
// read it after Begin.
func (s *Sink) Begin() error {
	st := s.st
	if o := st.Output; o != nil {
		s.saved = &Previous{Checkpoint: st.Checkpoint, Gen: o.Gen, Offset: o.Offset, TailSum: o.TailSum, Entries: st.Entries}
	}
	abs := ""
	if s.cfg.OutPath != "" {
		var err error
		if abs, err = filepath.Abs(s.cfg.OutPath); err != nil {
			return &OutputError{"open", s.cfg.OutPath, err}
		}
		if fi, err := os.Lstat(abs); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
			target, _ := filepath.EvalSymlinks(abs)
			return &SymlinkError{Path: s.cfg.OutPath, Target: target}
		}
	}
	if o := st.Output; o != nil && o.Path != abs {
		s.leave(o)
		st.Output, st.Previous = nil, nil
	}
	if abs == "" {
		st.Output, st.Previous = nil, nil
	} else if err := s.openOutput(abs); err != nil {
		return err
	}
	st.CleanStop = false
	s.begun = true
	return s.Save()
}

// SymlinkError means the output named is a symbolic link.
type SymlinkError struct{ Path, Target string }

// Error names the link and its target, to use instead.
func (e *SymlinkError) Error() string {
	t := e.Target
	if t == "" {
		t = "a file that does not exist"
	}
	return fmt.Sprintf("--out %s is a symbolic link (to %s): name the file itself, so that rotation and the checkpoint follow one file", e.Path, t)
}

// Write appends a page's bytes to the output in one write(2), makes them
// durable, then records cp, the checkpoint that holds once they are
// written, and entries more entries written.
//
// With stdout the state is saved after every page: a crash repeats at most
// that page. With an output file it is saved once the pages written since
// the last save hold at least as many bytes as the state file, so the state
// never costs more disk writes than the output: a crash cuts the file back
// to the saved offset and the pages since are read again, exactly once
// still, and at most about one state's worth of bytes is read twice. Close,
// every rotation and the first write to a file save it. With nothing to write, Write is
// Checkpoint(cp, false).
func (s *Sink) Write(page []byte, entries int, cp json.RawMessage) error {
	if len(page) == 0 {
		return s.Checkpoint(cp, false)
	}
	st := s.st
	if s.out == nil {
		if _, err := s.cfg.Stdout.Write(page); err != nil {
			return &OutputError{"write", "stdout", err}
		}
		if f, ok := s.cfg.Stdout.(*os.File); ok {
			_ = f.Sync() // a redirect to a file: durable too; a pipe cannot be
		}
		s.written.Output += int64(len(page))
	} else {
		// Right before the write: a rotation since the last page is dealt
		// with here (see rotate.go).
		again, err := s.checkOutput()
		if err != nil {
			return err
		}
		if o := st.Output; o.Offset == 0 && s.afterWrite == nil {
			// A file's first write: its head is saved first, so that a
			// restart can tell logrotate's copy of it, should the write
			// never be checkpointed (see repairHead).
			head := append(slices.Clip(again), page...)
			o.HeadLen = int64(len(head))
			o.Head = sumHex(head[:min(len(head), tailSumBytes)])
			if err := s.Save(); err != nil {
				return err
			}
		}
		if err := s.writeOut(again, page); err != nil {
			return err
		}
	}
	st.Checkpoint = cp
	st.Entries += int64(entries)
	s.pending += int64(len(page))
	// Saved at once: a file's first write, which TailSum cannot tell yet in
	// logrotate's copy, and lines written again after a truncation, which
	// are in no other file.
	o := st.Output
	first := o != nil && (s.saved == nil || s.saved.Gen != o.Gen || s.saved.Offset == 0)
	if s.out != nil && !first && s.pending < s.stateSize {
		// The file is ahead of the saved state: a crash cuts it back to
		// the saved offset, and the pages since are read again.
		return nil
	}
	st.Checkpointed = s.cfg.Now().UTC().Truncate(time.Second)
	if err := s.Save(); err != nil {
		return err
	}
	if f := s.afterWrite; f != nil {
		s.afterWrite = nil
		f()
	}
	return nil
}

// Checkpoint records cp, a checkpoint that moved without anything to
// write. The state is saved if force, or if the last save is older than
// IdleSave; else only Close or the next page saves it: after a crash, the
// pages since are read again, and they write nothing.
func (s *Sink) Checkpoint(cp json.RawMessage, force bool) error {
	s.st.Checkpoint = cp
	if !force && s.cfg.Now().Sub(s.lastSave) < s.cfg.IdleSave {
		return nil
	}
	return s.Save()
}

// RecordError keeps an error's message in the state for auditlogs status,
// and saves the state unless fatal (Close saves it then).
func (s *Sink) RecordError(msg string, fatal bool) error {
	s.st.LastError = &Error{Time: s.cfg.Now().UTC().Truncate(time.Second), Message: msg, Fatal: fatal}
	if fatal {
		return nil
	}
	return s.Save()
}

// Close saves the state, with CleanStop set to clean (the output ends at
// the checkpoint), and releases the files and their locks. Before Begin, it
// only releases them: the state file stays as it was.
func (s *Sink) Close(clean bool) error {
	var err error
	if s.begun {
		s.st.CleanStop = clean
		err = s.Save()
	}
	if s.out != nil {
		s.out.Close()
		s.out = nil
	}
	if s.stateFile != nil {
		s.stateFile.Close()
		s.stateFile = nil
	}
	return err
}

// Read reads the state file at path without locking it, for a report: it
// refuses what Open refuses, but checks the checkpoint only with
// cfg.ValidateCheckpoint. It returns nil, nil if there is no state file.
func Read(path string, cfg Config) (*State, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, &StateError{"read", path, err}
	}
	return decode(path, b, cfg.Now(), &cfg)
}
