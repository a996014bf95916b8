package filesink

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// How the sink keeps the output whole when it is rotated under it.
//
// The state's Output names the file its Offset counts in by path and by
// identity (device and inode), and fingerprints the bytes just before
// Offset (TailSum). The sink cuts a file back only when it is that file:
// same identity, and the same bytes before the offset. Every page is
// written in one write(2) to a file opened with O_APPEND, so it can never
// land beyond the end of a truncated file (no NUL hole) and a truncation
// cannot split it. Before each page the sink compares the file it holds
// open with the path and with the state:
//
//   - the path names another file (logrotate's create mode, before its
//     SIGHUP), or the open file has no name left (deleted): the sink opens
//     the path again (creating the file if needed) and writes there;
//   - the path names nothing but the file still has a name (moved, not yet
//     replaced): it writes on to the moved file until SIGHUP or until a new
//     file appears at the path, which is still exactly once;
//   - the open file is shorter than Offset (copytruncate): it looks for
//     logrotate's copy beside it; if the copy missed the end of the last
//     pages (written between logrotate's copy and its truncation), it
//     writes those lines again to the emptied file, from memory, and cuts
//     the copy back to its last whole line.
//
// On start, the same checks run against the state: a file moved away is
// found again by its identity and cut back to the checkpoint, and
// logrotate's copy of a file truncated while tail was stopped is found by
// TailSum and cut back likewise, so the page read again after a kill -9 is
// in no file twice. A copy that missed the end of the last write (tail
// killed between logrotate's copy and its truncation) is cut back to where
// that write started, and the collection goes back to the checkpoint before
// it (State.Previous), so that page is read again. Nothing is journaled: the
// bytes written are the output's and the state's only.

// tailSumBytes is how many bytes before the checkpoint TailSum covers.
const tailSumBytes = 512

// recentMax bounds the recent writes a running sink keeps in memory to
// repair a copy logrotate's copytruncate made while they were written: the
// last write is always kept, the ones before it while they fit.
const recentMax = 8 << 20

// openOutFile opens path for appending, creating it (mode 0600) if it does
// not exist.
func openOutFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND, 0)
	if errors.Is(err, fs.ErrNotExist) {
		f, err = os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
		if err == nil {
			// The new file's name must survive a power cut before the state
			// names it.
			if err = syncDir(filepath.Dir(path)); err != nil {
				f.Close()
			}
		}
	}
	if err != nil {
		return nil, err
	}
	return f, nil
}

// readTail returns f's last tailSumBytes bytes before off.
func readTail(f io.ReaderAt, off int64) ([]byte, error) {
	k := min(off, tailSumBytes)
	b := make([]byte, k)
	if _, err := f.ReadAt(b, off-k); err != nil {
		return nil, err
	}
	return b, nil
}

// tailIs reports whether f's bytes before off have the checksum sum, or sum
// is not known.
func tailIs(f io.ReaderAt, off int64, sum string) bool {
	if sum == "" {
		return true // not recorded (a state of version 1 may lack it)
	}
	b, err := readTail(f, off)
	return err == nil && sumHex(b) == sum
}

func sumHex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// keepTail appends b to tail and keeps the last tailSumBytes bytes.
func keepTail(tail, b []byte) []byte {
	if len(b) >= tailSumBytes {
		return slices.Clone(b[len(b)-tailSumBytes:])
	}
	tail = append(tail, b...)
	if len(tail) > tailSumBytes {
		tail = slices.Clone(tail[len(tail)-tailSumBytes:])
	}
	return tail
}

// cutFile truncates f to size, durably, and moves its offset there.
func cutFile(f *os.File, size int64) error {
	if err := f.Truncate(size); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	_, err := f.Seek(size, io.SeekStart)
	return err
}

// sameID reports whether fi is the file o records.
func sameID(o *Output, fi fs.FileInfo) bool {
	dev, ino, _, ok := identity(fi)
	return ok && dev == o.Dev && ino == o.Ino
}

// adopt makes f, at the output path abs, the file written to from now on,
// after its last byte: a file not ending in a line break gets one before
// the first page, and nothing of it is cut. The file is locked: a second
// collection writing to it is refused.
func (s *Sink) adopt(f *os.File, abs string) error {
	if err := lock(f); err != nil {
		if errors.Is(err, errBusy) {
			return &OutputError{"lock", abs, ErrOutputLocked}
		}
		return &OutputError{"lock", abs, err}
	}
	fi, err := f.Stat()
	if err != nil {
		return &OutputError{"check", abs, err}
	}
	size := fi.Size()
	s.pre = nil
	if size > 0 {
		b := make([]byte, 1)
		if _, err := f.ReadAt(b, size-1); err != nil {
			return &OutputError{"read", abs, err}
		}
		if b[0] != '\n' {
			s.pre = []byte{'\n'} // not glued to a foreign line
		}
	}
	tail, err := readTail(f, size)
	if err != nil {
		return &OutputError{"read", abs, err}
	}
	dev, ino, _, _ := identity(fi)
	o := &Output{Path: abs, Offset: size, Dev: dev, Ino: ino, TailSum: sumHex(tail), Gen: 1}
	if prev := s.st.Output; prev != nil {
		o.Gen = prev.Gen + 1
	}
	s.st.Output, s.st.Previous = o, nil
	s.out, s.tail, s.movedNoted = f, tail, false
	s.recent, s.recentAt, s.recentW = nil, size, nil
	return nil
}

// openOutput opens the output on start and brings it back to the
// checkpoint.
func (s *Sink) openOutput(abs string) error {
	o := s.st.Output
	f, err := openOutFile(abs)
	if err != nil {
		return &OutputError{"open", abs, err}
	}
	if o == nil {
		if err := s.adopt(f, abs); err != nil {
			f.Close()
			return err
		}
		return nil
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return &OutputError{"check", abs, err}
	}
	if !sameID(o, fi) {
		s.cfg.Notice("--out was moved or replaced while tail was stopped: starting a new file", "file", abs)
		s.leaveMoved(o)
		if err := s.adopt(f, abs); err != nil {
			f.Close()
			return err
		}
		s.st.Reopened++
		return nil
	}
	if err := lock(f); err != nil {
		f.Close()
		if errors.Is(err, errBusy) {
			return &OutputError{"lock", abs, ErrOutputLocked}
		}
		return &OutputError{"lock", abs, err}
	}
	size := fi.Size()
	if size >= o.Offset && !tailIs(f, o.Offset, o.TailSum) && !s.hasCopy(o, fi) {
		f.Close()
		return &OutputError{"check", abs, fmt.Errorf("the file does not hold what the state says was written to it "+
			"(its bytes before offset %d differ): another program changed it. Move it away (tail then starts a new file), "+
			"or use another --state", o.Offset)}
	}
	if size >= o.Offset && tailIs(f, o.Offset, o.TailSum) {
		if o.Offset == 0 && size < o.HeadLen {
			s.repairHead(o, fi)
		}
		if size > o.Offset {
			// A page written before a crash and never checkpointed: it will
			// be read again.
			s.cfg.Debug("cutting the output back to the checkpoint", "file", abs, "from", size, "to", o.Offset)
			if err := cutFile(f, o.Offset); err != nil {
				f.Close()
				return &OutputError{"cut", abs, err}
			}
		}
		s.out, s.tail = f, readTailOr(f, o.Offset)
		s.recent, s.recentAt, s.recentW = nil, o.Offset, nil
		return nil
	}
	// Truncated (logrotate's copytruncate) while tail was stopped, or
	// while it ran but before it saved the state after the truncation:
	// what the file holds now was written after the truncation and never
	// checkpointed, so it is cut off and read again.
	s.cfg.Notice("--out is shorter than the checkpoint: it was truncated (logrotate copytruncate?) while tail was stopped",
		"file", abs, "size", size, "checkpoint", o.Offset)
	if size > 0 {
		if err := cutFile(f, 0); err != nil {
			f.Close()
			return &OutputError{"cut", abs, err}
		}
		fi, _ = f.Stat()
	}
	s.repairAtStart(o, fi)
	if err := s.adopt(f, abs); err != nil {
		f.Close()
		return err
	}
	s.st.Reopened++
	return nil
}

func readTailOr(f io.ReaderAt, off int64) []byte {
	b, _ := readTail(f, off)
	return b
}

// leave brings the output of a previous run, which this run will not write
// to, back to its checkpoint, if the file at its path is still the one the
// state recorded.
func (s *Sink) leave(o *Output) {
	f, err := os.OpenFile(o.Path, os.O_RDWR, 0)
	if err != nil {
		return // moved away: nothing to repair
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !sameID(o, fi) {
		s.cfg.Debug("the previous output is not the file the state recorded: left as it is", "file", o.Path)
		return
	}
	if fi.Size() > o.Offset && tailIs(f, o.Offset, o.TailSum) {
		s.cfg.Debug("cutting the previous output back to its checkpoint", "file", o.Path, "to", o.Offset)
		_ = cutFile(f, o.Offset)
	}
}

// leaveMoved finds the file the state's offset counts in, moved away from
// its path, by its identity among the files beside the path, and cuts it
// back to the checkpoint: its last page, never checkpointed, will be read
// again into the new file.
func (s *Sink) leaveMoved(o *Output) {
	for _, c := range siblings(o.Path) {
		if !sameID(o, c.fi) {
			continue
		}
		if c.fi.Size() > o.Offset {
			if f, err := os.OpenFile(c.path, os.O_RDWR, 0); err == nil {
				if tailIs(f, o.Offset, o.TailSum) && cutFile(f, o.Offset) == nil {
					s.cfg.Notice("cut the rotated file back to the checkpoint: its last page will be read again",
						"file", c.path, "bytes", c.fi.Size()-o.Offset)
				}
				f.Close()
			}
		}
		return
	}
	if !s.st.CleanStop {
		s.cfg.Debug("the rotated file is not beside --out any more", "file", o.Path)
	}
}

type sibling struct {
	path string
	fi   fs.FileInfo
}

// siblings lists the regular files beside path whose names start with its
// name (what logrotate calls its rotated files, with "olddir" not used),
// but for compressed ones, newest first.
func siblings(path string) []sibling {
	dir, base := filepath.Split(path)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []sibling
	for _, e := range ents {
		name := e.Name()
		if name == base || !strings.HasPrefix(name, base) || !e.Type().IsRegular() {
			continue
		}
		switch strings.ToLower(filepath.Ext(name)) {
		case ".gz", ".bz2", ".xz", ".zst", ".lz4", ".z", ".zip":
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue
		}
		out = append(out, sibling{filepath.Join(dir, name), fi})
	}
	slices.SortFunc(out, func(a, b sibling) int { return b.fi.ModTime().Compare(a.fi.ModTime()) })
	return out
}

// copies returns the files beside o's path that may be logrotate's copy of
// it (not cur, the emptied file).
func copies(o *Output, cur fs.FileInfo) []sibling {
	var cands []sibling
	for _, c := range siblings(o.Path) {
		if !os.SameFile(c.fi, cur) && len(cands) < 8 {
			cands = append(cands, c)
		}
	}
	return cands
}

// wholeCopy looks for a copy of the whole checkpoint among cands (TailSum
// matches at Offset) and cuts it back to it, should it hold more (a page a
// crash kept from being checkpointed, to be read again). It reports whether
// it found one.
func (s *Sink) wholeCopy(o *Output, cands []sibling) bool {
	for _, c := range cands {
		size := c.fi.Size()
		if size < o.Offset {
			continue
		}
		f, err := os.OpenFile(c.path, os.O_RDWR, 0)
		if err != nil {
			continue
		}
		found := tailIs(f, o.Offset, o.TailSum)
		if found && size > o.Offset && cutFile(f, o.Offset) == nil {
			s.cfg.Notice("cut logrotate's copy back to the checkpoint: its last page will be read again",
				"file", c.path, "bytes", size-o.Offset)
		}
		f.Close()
		if found {
			return true
		}
	}
	return false
}

// repairHead is called on start when nothing of the file was checkpointed
// (Offset 0) and it is shorter than its first write: truncated while tail
// was stopped, after logrotate copied that write, which will be read again.
// The copy is told by the head of the write, and cut back to nothing.
func (s *Sink) repairHead(o *Output, cur fs.FileInfo) {
	n := min(o.HeadLen, tailSumBytes)
	for _, c := range copies(o, cur) {
		size := c.fi.Size()
		if size < n || size > o.HeadLen {
			continue
		}
		f, err := os.OpenFile(c.path, os.O_RDWR, 0)
		if err != nil {
			continue
		}
		head := make([]byte, n)
		_, err = f.ReadAt(head, 0)
		if err == nil && sumHex(head) == o.Head && cutFile(f, 0) == nil {
			s.cfg.Notice("cut logrotate's copy back to the checkpoint: its page will be read again", "file", c.path, "bytes", size)
			f.Close()
			return
		}
		f.Close()
	}
}

// hasCopy reports whether logrotate's copy of o's file (cur, emptied) is
// beside it: a file holding the bytes before the checkpoint, or before the
// previous one.
func (s *Sink) hasCopy(o *Output, cur fs.FileInfo) bool {
	p := s.st.Previous
	for _, c := range copies(o, cur) {
		f, err := os.Open(c.path)
		if err != nil {
			continue
		}
		size := c.fi.Size()
		found := (o.TailSum != "" && size >= o.Offset && tailIs(f, o.Offset, o.TailSum)) ||
			(p != nil && p.Gen == o.Gen && size >= p.Offset && tailIs(f, p.Offset, p.TailSum))
		f.Close()
		if found {
			return true
		}
	}
	return false
}

// repairAtStart is called on start when the output was truncated while
// tail was stopped (cur is the emptied file). A copy of the whole
// checkpoint is cut back to it; a copy that ends inside the last write is
// cut back to where that write started, and the state goes back to the
// checkpoint before it, so the write's page is read again.
func (s *Sink) repairAtStart(o *Output, cur fs.FileInfo) {
	if o.Offset == 0 {
		return
	}
	cands := copies(o, cur)
	if s.wholeCopy(o, cands) {
		return
	}
	if p := s.st.Previous; p != nil && p.Gen == o.Gen {
		for _, c := range cands {
			size := c.fi.Size()
			if size < p.Offset || size >= o.Offset {
				continue
			}
			f, err := os.OpenFile(c.path, os.O_RDWR, 0)
			if err != nil {
				continue
			}
			ok := tailIs(f, p.Offset, p.TailSum) && cutFile(f, p.Offset) == nil
			f.Close()
			if ok {
				s.cfg.Notice("logrotate's copy missed the end of the last page (written between its copy and its truncation): "+
					"reading that page again", "file", c.path)
				s.st.Checkpoint, s.st.Entries = p.Checkpoint, p.Entries
				s.st.Previous = nil
				return
			}
		}
	}
	s.cfg.Notice("--out was truncated, and no copy of it holding the checkpoint was found beside it "+
		"(compressed or moved to another directory?): tail cannot check that the copy holds every line it wrote; "+
		"auditlogs verify can", "file", o.Path)
}

// repairCopy is repairAtStart for a running sink, which remembers its
// recent writes: a copy ending inside them missed the lines after its end.
// repairCopy returns those lines, to write again to the emptied file; the
// copy is cut back to its last whole line only once they are written and
// the state saved (s.afterWrite), so that a crash in between finds the copy
// as logrotate left it, and repairs it from the state.
func (s *Sink) repairCopy(o *Output, cur fs.FileInfo) []byte {
	if o.Offset == 0 {
		return nil
	}
	cands := copies(o, cur)
	if s.wholeCopy(o, cands) {
		return nil
	}
	last, lastAt := s.recent, s.recentAt
	for _, c := range cands {
		size := c.fi.Size()
		if last == nil || size <= lastAt || size >= o.Offset {
			continue
		}
		f, err := os.Open(c.path)
		if err != nil {
			continue
		}
		got := make([]byte, size-lastAt)
		_, err = f.ReadAt(got, lastAt)
		f.Close()
		if err != nil || !bytes.Equal(got, last[:len(got)]) {
			continue
		}
		whole := int64(bytes.LastIndexByte(got, '\n') + 1)
		again := slices.Clone(last[whole:])
		path, at := c.path, lastAt+whole
		s.afterWrite = func() {
			if f, err := os.OpenFile(path, os.O_RDWR, 0); err == nil {
				if cutFile(f, at) == nil {
					s.cfg.Notice("logrotate's copy missed the end of the last pages (written between its copy and its truncation): "+
						"wrote those lines again to the emptied file", "file", path, "entries", bytes.Count(again, []byte{'\n'}))
				}
				f.Close()
			}
		}
		return again
	}
	s.cfg.Notice("--out was truncated, and no copy of it holding the checkpoint was found beside it "+
		"(compressed or moved to another directory?): tail cannot check that the copy holds every line it wrote; "+
		"auditlogs verify can", "file", o.Path)
	return nil
}

// checkOutput runs before each page is written: it notices a file
// replaced, deleted, truncated or grown under the sink, and deals with it
// (see the comment at the top of this file). It returns the bytes to write
// before the page, if any.
func (s *Sink) checkOutput() ([]byte, error) {
	o := s.st.Output
	fi, err := s.out.Stat()
	if err != nil {
		return nil, &OutputError{"check", o.Path, err}
	}
	pfi, perr := os.Stat(o.Path)
	_, _, links, idOK := identity(fi)
	switch {
	case perr == nil && !os.SameFile(fi, pfi):
		err := s.reopen("--out was replaced by another file")
		return s.pre, err
	case idOK && links == 0:
		err := s.reopen("--out was deleted")
		return s.pre, err
	case errors.Is(perr, fs.ErrNotExist) && !s.movedNoted:
		s.movedNoted = true
		s.cfg.Notice("--out was moved away: writing on to the moved file until SIGHUP (or a new file at its path)", "file", o.Path)
	}
	size := fi.Size()
	switch {
	case size < o.Offset:
		s.cfg.Notice("--out was truncated under tail (logrotate copytruncate?)", "file", o.Path, "size", size, "checkpoint", o.Offset)
		again := s.repairCopy(o, fi)
		if err := s.adopt(s.out, o.Path); err != nil {
			return nil, err
		}
		// Not saved before the page is written (Write saves the first
		// write to a file at once): until then the state names the file
		// before its truncation, which a restart repairs from.
		s.st.Reopened++
		s.cfg.Notice("rotated --out", "reason", "truncated", "file", o.Path)
		return append(s.pre, again...), nil
	case size > o.Offset:
		s.cfg.Notice("--out grew by bytes tail did not write: going on after them", "file", o.Path, "bytes", size-o.Offset)
		b := make([]byte, 1)
		s.pre = nil
		if _, err := s.out.ReadAt(b, size-1); err == nil && b[0] != '\n' {
			s.pre = []byte{'\n'}
		}
		o.Offset = size
		s.st.Previous = nil
		s.recent, s.recentAt, s.recentW = nil, size, nil
		tail, err := readTail(s.out, size)
		if err != nil {
			return nil, &OutputError{"read", o.Path, err}
		}
		s.tail = tail
		o.TailSum = sumHex(tail)
	}
	return s.pre, nil
}

// writeOut writes one page's bytes (after pre, the lines a truncation
// took or a line break) to the output in one write, makes them durable and
// moves the state's offset after them. It does not save the state.
func (s *Sink) writeOut(pre, page []byte) error {
	o := s.st.Output
	buf := append(slices.Clip(pre), page...)
	s.pre = nil
	if len(buf) == 0 {
		return nil
	}
	n, err := s.out.Write(buf)
	s.written.Output += int64(n)
	if err != nil {
		return &OutputError{"write", o.Path, err}
	}
	end, err := s.out.Seek(0, io.SeekCurrent) // with O_APPEND: the end of what was just written
	if err != nil {
		return &OutputError{"write", o.Path, err}
	}
	if at := end - int64(len(buf)); at != o.Offset {
		// Truncated between the check and the write: the write is whole
		// at the start of the emptied file, but the state does not say so
		// yet, and logrotate's copy may have missed the write before it.
		// Take it back, checkpoint the new start, and write it again.
		fi, err := s.out.Stat()
		if err != nil {
			return &OutputError{"check", o.Path, err}
		}
		s.cfg.Notice("--out was truncated just before a write", "file", o.Path, "checkpoint", o.Offset, "now_at", at)
		more := s.repairCopy(o, fi)
		if err := cutFile(s.out, max(at, 0)); err != nil {
			return &OutputError{"cut", o.Path, err}
		}
		if err := s.adopt(s.out, o.Path); err != nil {
			return err
		}
		s.st.Reopened++
		// buf is whole lines, after a line break for foreign bytes that
		// the emptied file no longer holds.
		return s.writeOut(append(s.pre, more...), bytes.TrimLeft(buf, "\n"))
	}
	if err := s.out.Sync(); err != nil {
		return &OutputError{"sync", o.Path, err}
	}
	s.keepRecent(buf)
	s.tail = keepTail(s.tail, buf)
	o.Offset = end
	o.TailSum = sumHex(s.tail)
	return nil
}

// Reopen opens the output by its path again, as SIGHUP asks after a
// rotation: if the path names another file than the one written to, that
// one is written to from now on, and the state follows it. With stdout it
// does nothing.
func (s *Sink) Reopen(reason string) error {
	if s.out == nil {
		return nil
	}
	return s.reopen(reason)
}

func (s *Sink) reopen(reason string) error {
	o := s.st.Output
	cur, err := s.out.Stat()
	if err != nil {
		return &OutputError{"check", o.Path, err}
	}
	if fi, err := os.Lstat(o.Path); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		return &OutputError{"reopen", o.Path, errors.New("the path is now a symbolic link")}
	}
	f, err := openOutFile(o.Path)
	if err != nil {
		return &OutputError{"reopen", o.Path, err}
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return &OutputError{"reopen", o.Path, err}
	}
	if os.SameFile(fi, cur) {
		f.Close()
		s.cfg.Debug("reopen --out: the path still names the same file", "reason", reason, "file", o.Path)
		return nil
	}
	old := s.out
	if err := s.adopt(f, o.Path); err != nil {
		f.Close()
		return err
	}
	s.st.Reopened++
	if err := s.Save(); err != nil {
		return err
	}
	old.Close()
	s.cfg.Notice("rotated --out", "reason", reason, "file", o.Path)
	return nil
}

// keepRecent adds buf, just written, to the recent writes.
func (s *Sink) keepRecent(buf []byte) {
	s.recent = append(s.recent, buf...)
	s.recentW = append(s.recentW, len(buf))
	for len(s.recentW) > 1 && len(s.recent) > recentMax {
		n := s.recentW[0]
		s.recent = slices.Clone(s.recent[n:])
		s.recentAt += int64(n)
		s.recentW = s.recentW[1:]
	}
}
