package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// How tail keeps --out whole when it is rotated under it.
//
// The state's Output names the file its Offset counts in by path and by
// identity (device and inode), and fingerprints the bytes just before
// Offset (TailSum). Every page is written in one write(2) to a file opened
// with O_APPEND, so it can never land beyond the end of a truncated file (no
// NUL hole) and a truncation cannot split it (a write and a truncation of
// one file do not interleave). Before each page tail compares the file it
// holds open with the path and with the state:
//
//   - the path names another file (logrotate's create mode, before its
//     SIGHUP), or the open file has no name left: tail switches to the
//     file at the path;
//   - the path names nothing (moved, not yet replaced): tail writes on to
//     the moved file until SIGHUP, which is still exactly once;
//   - the open file is shorter than Offset (copytruncate): tail looks for
//     logrotate's copy beside it; if the copy missed the end of the last
//     page (written between logrotate's copy and its truncation), tail
//     writes those lines again to the emptied file and cuts the copy back
//     to its last whole line. It then goes on at the end of the emptied
//     file's last whole line.
//
// On start, the same checks run against the state: a file moved away is
// found again by its identity and cut back to the checkpoint, and
// copytruncate's copy of a file truncated while tail was stopped is found
// by TailSum and cut back likewise, so the page read again after a kill -9
// is in no file twice.

// tailSumBytes is how many bytes before the checkpoint TailSum covers.
const tailSumBytes = 512

// openOutFile opens path for appending, creating it (mode 0600) if it does
// not exist; created says it did.
func openOutFile(path string) (f *os.File, created bool, err error) {
	f, err = os.OpenFile(path, os.O_RDWR|os.O_APPEND, 0)
	if errors.Is(err, fs.ErrNotExist) {
		f, err = os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
		created = err == nil
	}
	if err != nil {
		return nil, false, err
	}
	if created {
		// The new file's name must survive a power cut before the state
		// names it.
		if err := syncDir(filepath.Dir(path)); err != nil {
			f.Close()
			return nil, false, err
		}
	}
	return f, created, nil
}

// lineStart returns the largest offset at most size that starts a line of
// f: 0, or just after a line break.
func lineStart(f io.ReaderAt, size int64) (int64, error) {
	buf := make([]byte, 64<<10)
	for end := size; end > 0; {
		n := min(end, int64(len(buf)))
		if _, err := f.ReadAt(buf[:n], end-n); err != nil {
			return 0, err
		}
		if i := bytes.LastIndexByte(buf[:n], '\n'); i >= 0 {
			return end - n + int64(i) + 1, nil
		}
		end -= n
	}
	return 0, nil
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

// adopt makes f, at the state's output path, the file tail writes to from
// now on: from the end of its last whole line (a line cut short by a
// truncation is cut off).
func (t *tailer) adopt(f *os.File, abs string) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	size := fi.Size()
	start, err := lineStart(f, size)
	if err != nil {
		return err
	}
	if start < size {
		t.notice("--out ended in a line cut short: cut it off", "file", abs, "bytes", size-start)
		if err := cutFile(f, start); err != nil {
			return err
		}
	}
	tail, err := readTail(f, start)
	if err != nil {
		return err
	}
	dev, ino, _, _ := fileIdentity(fi)
	o := &stateOutput{Path: abs, Offset: start, WindowOffset: start, Dev: dev, Ino: ino, TailSum: sumHex(tail), Gen: 1}
	if prev := t.st.Output; prev != nil {
		o.Gen = prev.Gen + 1
	}
	if w := t.st.Window; w != nil && w.Pages > 0 {
		o.WindowOffset = -1 // the window's first pages went elsewhere
	}
	t.st.Output = o
	t.out, t.tail, t.fileEntries, t.movedNoted = f, tail, 0, false
	t.recent, t.recentAt, t.recentWrites = nil, start, nil
	t.w, _ = newEntryWriter(formatJSONL, &t.pageBuf)
	return nil
}

// resumeOutput opens --out on start, when the state names the same path,
// and brings it back to the checkpoint; it then sets up writing to it.
func (t *tailer) resumeOutput(abs string) error {
	o := t.st.Output
	f, _, err := openOutFile(abs)
	if err != nil {
		return fmt.Errorf("open --out: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	dev, ino, _, idOK := fileIdentity(fi)
	size := fi.Size()
	known := o.Ino != 0 && idOK // the state says which file it counted in
	same := (known && dev == o.Dev && ino == o.Ino) || (!known && !(size == 0 && o.Offset > 0))
	switch {
	case same && size >= o.Offset:
		if size == 0 && !t.st.CleanStop {
			t.repairEmptyCopy(o, fi)
		}
		if size > o.Offset {
			// A page written before a crash and never checkpointed: it will
			// be read again.
			t.log.Debug("tail: cutting the output back to the checkpoint", "from", size, "to", o.Offset)
			if err := cutFile(f, o.Offset); err != nil {
				f.Close()
				return fmt.Errorf("cut --out back to the checkpoint: %w", err)
			}
		}
		tail, err := readTail(f, o.Offset)
		if err != nil {
			f.Close()
			return err
		}
		if !known { // a state from before identities: adopt them
			o.Dev, o.Ino = dev, ino
		}
		o.TailSum = sumHex(tail)
		t.out, t.tail = f, tail
		t.recent, t.recentAt, t.recentWrites = nil, o.Offset, nil
		if last, lastAt, _ := t.readJournal(o); last != nil {
			t.recent, t.recentAt, t.recentWrites = last, lastAt, []int{len(last)}
		}
		t.w, _ = newEntryWriter(formatJSONL, &t.pageBuf)
		return nil
	case same && !known:
		f.Close()
		return fmt.Errorf("%s holds %d bytes but the state says %d were written to it: it was cut or replaced since. "+
			"Move it away (tail then starts a new file) or use another --state", abs, size, o.Offset)
	case same:
		t.notice("--out is shorter than the checkpoint: it was truncated (logrotate copytruncate?) while tail was stopped",
			"file", abs, "size", size, "checkpoint", o.Offset)
		last, lastAt, pending := t.readJournal(o)
		if size > 0 && size <= int64(len(pending)) {
			// Written after the truncation, never checkpointed (a kill -9
			// right after a rotation): cut off, to be read again.
			got := make([]byte, size)
			if _, err := f.ReadAt(got, 0); err == nil && bytes.Equal(got, pending[:size]) {
				if err := cutFile(f, 0); err != nil {
					f.Close()
					return err
				}
				fi, _ = f.Stat()
			}
		}
		again := t.repairCopy(o, fi, last, lastAt)
		if err := t.adopt(f, abs); err != nil {
			f.Close()
			return err
		}
		if len(again) > 0 {
			return t.writeOut(again, nil)
		}
		return nil
	case known:
		t.notice("--out was moved or replaced while tail was stopped: starting a new file", "file", abs)
		t.leaveMoved(o)
	default:
		// No identity to find the old file by: as before identities were
		// recorded, an empty file at the path is a new output.
		if o.Offset > 0 && !t.st.CleanStop {
			t.notice("--out was moved or emptied after a run that did not stop cleanly: "+
				"the last page of that file may come again in the new one", "file", abs)
		}
	}
	return t.adopt(f, abs)
}

// leaveMoved finds the file the state's offset counts in, moved away from
// its path, by its identity among the files beside the path, and cuts it
// back to the checkpoint: its last page, never checkpointed, will be read
// again into the new file.
func (t *tailer) leaveMoved(o *stateOutput) {
	for _, c := range siblings(o.Path) {
		dev, ino, _, ok := fileIdentity(c.fi)
		if !ok || dev != o.Dev || ino != o.Ino {
			continue
		}
		if c.fi.Size() > o.Offset {
			if f, err := os.OpenFile(c.path, os.O_RDWR, 0); err == nil {
				err = cutFile(f, o.Offset)
				f.Close()
				if err == nil {
					t.notice("cut the rotated file back to the checkpoint: its last page will be read again",
						"file", c.path, "bytes", c.fi.Size()-o.Offset)
				}
			}
		}
		return
	}
	if !t.st.CleanStop {
		t.log.Debug("tail: the rotated file is not beside --out any more", "file", o.Path)
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

// repairCopy is called when the file tail writes to, cur, turned out
// shorter than the checkpoint o.Offset: truncated, after logrotate's
// copytruncate copied it. It looks for the copy beside it:
//
//   - a copy holding the whole checkpoint (TailSum matches) is cut back to
//     it, should it hold more (a page a crash kept from being checkpointed,
//     to be read again);
//   - a copy ending inside the last write (last, written at lastAt) missed
//     what came after its end: it is cut back to its last whole line, and
//     repairCopy returns the lines to write again.
//
// Without a copy, it says so: what it cannot check may be lost.
func (t *tailer) repairCopy(o *stateOutput, cur fs.FileInfo, last []byte, lastAt int64) []byte {
	if o.Offset == 0 {
		return nil
	}
	var cands []sibling
	for _, c := range siblings(o.Path) {
		if !os.SameFile(c.fi, cur) && len(cands) < 8 {
			cands = append(cands, c)
		}
	}
	// First a copy of the whole checkpoint, told by TailSum.
	k := min(o.Offset, tailSumBytes)
	for _, c := range cands {
		size := c.fi.Size()
		if size < o.Offset {
			continue
		}
		f, err := os.OpenFile(c.path, os.O_RDWR, 0)
		if err != nil {
			continue
		}
		tail := make([]byte, k)
		if _, err := f.ReadAt(tail, o.Offset-k); err == nil && sumHex(tail) == o.TailSum {
			if size > o.Offset && cutFile(f, o.Offset) == nil {
				t.notice("cut logrotate's copy back to the checkpoint: its last page will be read again",
					"file", c.path, "bytes", size-o.Offset)
			} else {
				t.log.Debug("tail: logrotate's copy holds the whole checkpoint", "file", c.path)
			}
			f.Close()
			return nil
		}
		f.Close()
	}
	// Then a copy that ends inside the recent writes, and holds them up to
	// its end.
	for _, c := range cands {
		size := c.fi.Size()
		if last == nil || size <= lastAt || size >= o.Offset {
			continue
		}
		f, err := os.OpenFile(c.path, os.O_RDWR, 0)
		if err != nil {
			continue
		}
		got := make([]byte, size-lastAt)
		if _, err := f.ReadAt(got, lastAt); err != nil || !bytes.Equal(got, last[:len(got)]) {
			f.Close()
			continue
		}
		whole := int64(bytes.LastIndexByte(got, '\n') + 1)
		again := last[whole:]
		err = cutFile(f, lastAt+whole)
		f.Close()
		if err != nil {
			continue
		}
		t.notice("logrotate's copy missed the end of the last pages (written between its copy and its truncation): "+
			"writing those lines again to the emptied file", "file", c.path, "entries", bytes.Count(again, []byte{'\n'}))
		return slices.Clone(again)
	}
	t.notice("--out was truncated, and no copy of it was found beside it (compressed or moved to another directory?): "+
		"tail cannot check that the copy holds every line it wrote", "file", o.Path)
	return nil
}

// checkOutput runs before each page is written to --out: it notices a
// file replaced, deleted, truncated or grown under tail, and deals with it
// (see the comment at the top of this file). It returns the bytes to write
// before the page, if any.
func (t *tailer) checkOutput() ([]byte, error) {
	o := t.st.Output
	fi, err := t.out.Stat()
	if err != nil {
		return nil, &writeError{err}
	}
	pfi, perr := os.Stat(o.Path)
	_, _, links, idOK := fileIdentity(fi)
	switch {
	case perr == nil && !os.SameFile(fi, pfi):
		return nil, t.reopen("--out was replaced by another file")
	case idOK && links == 0 && perr == nil:
		return nil, t.reopen("--out was deleted")
	case errors.Is(perr, fs.ErrNotExist) && !t.movedNoted:
		t.movedNoted = true
		t.notice("--out was moved away: writing on to the moved file until SIGHUP (or a new file at its path)", "file", o.Path)
	}
	size := fi.Size()
	switch {
	case size < o.Offset:
		t.notice("--out was truncated under tail (logrotate copytruncate?)", "file", o.Path, "size", size, "checkpoint", o.Offset)
		again := t.repairCopy(o, fi, t.recent, t.recentAt)
		entries := t.fileEntries
		if err := t.adopt(t.out, o.Path); err != nil {
			return nil, &writeError{err}
		}
		// Checkpoint the new start before writing, so that a crash before
		// the page's checkpoint cuts the page off again, as ever.
		if err := t.st.save(t.statePath); err != nil {
			return nil, err
		}
		t.notice("rotated --out", "reason", "truncated", "file", o.Path, "entries_before", entries)
		return again, nil
	case size > o.Offset:
		t.notice("--out grew by bytes tail did not write: going on after them", "file", o.Path, "bytes", size-o.Offset)
		b := make([]byte, 1)
		var pre []byte
		if _, err := t.out.ReadAt(b, size-1); err == nil && b[0] != '\n' {
			pre = []byte{'\n'} // not glued to a foreign line
		}
		o.Offset = size
		t.recent, t.recentAt, t.recentWrites = nil, size, nil
		if o.WindowOffset >= 0 {
			o.WindowOffset = -1 // cutting back to the window's start would cut the foreign bytes
		}
		tail, err := readTail(t.out, size)
		if err != nil {
			return nil, &writeError{err}
		}
		t.tail = tail
		return pre, nil
	}
	return nil, nil
}

// writeOut writes one page's bytes (after again, the lines a truncation
// took) to --out in one write, makes them durable and moves the state's
// offset after them. It does not save the state.
func (t *tailer) writeOut(again, page []byte) error {
	o := t.st.Output
	buf := append(again, page...)
	if len(buf) == 0 {
		// Nothing to write (a page of nothing new). A write of nothing
		// would not even move the offset to the end, which the check below
		// reads.
		return nil
	}
	t.writeJournal(o, buf)
	if _, err := t.out.Write(buf); err != nil {
		return &writeError{err}
	}
	end, err := t.out.Seek(0, io.SeekCurrent) // with O_APPEND: the end of what was just written
	if err != nil {
		return &writeError{err}
	}
	if at := end - int64(len(buf)); at != o.Offset {
		// Truncated between the check and the write: the write is whole
		// at the start of the emptied file, but the state does not say so
		// yet, and logrotate's copy may have missed the write before it.
		// Take it back, checkpoint the new start, and write it again.
		fi, err := t.out.Stat()
		if err != nil {
			return &writeError{err}
		}
		t.notice("--out was truncated just before a write", "file", o.Path, "checkpoint", o.Offset, "now_at", at)
		more := t.repairCopy(o, fi, t.recent, t.recentAt)
		if err := cutFile(t.out, max(at, 0)); err != nil {
			return &writeError{err}
		}
		if err := t.adopt(t.out, o.Path); err != nil {
			return &writeError{err}
		}
		if err := t.st.save(t.statePath); err != nil {
			return err
		}
		return t.writeOut(more, buf)
	}
	if err := t.out.Sync(); err != nil {
		return &writeError{err}
	}
	t.keepRecent(buf)
	t.tail = keepTail(t.tail, buf)
	o.Offset = end
	o.TailSum = sumHex(t.tail)
	return nil
}

// reopen opens --out by its path again, as SIGHUP asks after a rotation:
// if it names another file than the one tail writes to, tail writes to
// that one from now on, and the state follows it.
func (t *tailer) reopen(reason string) error {
	o := t.st.Output
	cur, err := t.out.Stat()
	if err != nil {
		return &writeError{err}
	}
	f, _, err := openOutFile(o.Path)
	if err != nil {
		return &writeError{fmt.Errorf("reopen --out: %w", err)}
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return &writeError{err}
	}
	if os.SameFile(fi, cur) {
		f.Close()
		t.event("reopen --out: the path still names the same file", "reason", reason, "file", o.Path)
		return nil
	}
	old, entries := t.out, t.fileEntries
	if err := t.adopt(f, o.Path); err != nil {
		f.Close()
		return &writeError{err}
	}
	if err := t.st.save(t.statePath); err != nil {
		return err
	}
	old.Close()
	t.notice("rotated --out", "reason", reason, "file", o.Path, "entries_before", entries)
	return nil
}

// serviceHUP reopens --out if SIGHUP came since the last look.
func (t *tailer) serviceHUP() error {
	select {
	case <-t.hup:
	default:
		return nil
	}
	if t.out == nil {
		t.event("SIGHUP: writing to stdout, nothing to reopen")
		return nil
	}
	return t.reopen("SIGHUP")
}

// recentMax bounds the recent writes tail keeps to repair a copy
// logrotate's copytruncate made while they were written: the last write is
// always kept, the ones before it while they fit.
const recentMax = 8 << 20

// keepRecent adds buf, just written, to the recent writes.
func (t *tailer) keepRecent(buf []byte) {
	t.recent = append(t.recent, buf...)
	t.recentWrites = append(t.recentWrites, len(buf))
	for len(t.recentWrites) > 1 && len(t.recent) > recentMax {
		n := t.recentWrites[0]
		t.recent = slices.Clone(t.recent[n:])
		t.recentAt += int64(n)
		t.recentWrites = t.recentWrites[1:]
	}
}

// The journal (path + ".lastpage", beside the state) holds the recent
// writes to --out and the one about to be made, so that a restart after
// kill -9 can still repair logrotate's copy as a running tail does (see
// repairCopy), and tell its own uncheckpointed write from anything else.
// It is not fsynced: it serves after a crash of the process, whose writes
// the kernel keeps, not after a power cut.
type journalEntry struct {
	Gen    int64  `json:"gen"`
	Dev    uint64 `json:"dev"`
	Ino    uint64 `json:"ino"`
	At     int64  `json:"at"`
	Len    int    `json:"len"`
	SHA256 string `json:"sha256"`
}

func (t *tailer) journalPath() string { return t.statePath + ".lastpage" }

// writeJournal records the recent writes and buf, about to be written to
// --out after them.
func (t *tailer) writeJournal(o *stateOutput, buf []byte) {
	if o.Ino == 0 {
		return // no identity to check it against later
	}
	h := sha256.New()
	h.Write(t.recent)
	h.Write(buf)
	head, _ := json.Marshal(journalEntry{Gen: o.Gen, Dev: o.Dev, Ino: o.Ino, At: t.recentAt,
		Len: len(t.recent) + len(buf), SHA256: hex.EncodeToString(h.Sum(nil))})
	b := make([]byte, 0, len(head)+1+len(t.recent)+len(buf))
	b = append(append(append(append(b, head...), '\n'), t.recent...), buf...)
	if err := os.WriteFile(t.journalPath(), b, 0o600); err != nil {
		t.log.Debug("tail: cannot keep the last pages beside the state", "error", err)
	}
}

// readJournal returns what the journal holds of o's file, if it holds it
// whole and spans the checkpoint: the bytes before the checkpoint (last,
// from lastAt) and the uncheckpointed write after it (pending), if any.
func (t *tailer) readJournal(o *stateOutput) (last []byte, lastAt int64, pending []byte) {
	b, err := os.ReadFile(t.journalPath())
	if err != nil {
		return nil, 0, nil
	}
	line, rest, ok := bytes.Cut(b, []byte{'\n'})
	var h journalEntry
	if !ok || json.Unmarshal(line, &h) != nil || h.Len != len(rest) || h.Gen != o.Gen || h.Dev != o.Dev ||
		h.Ino != o.Ino || h.At > o.Offset || h.At+int64(h.Len) < o.Offset || h.SHA256 != sumHex(rest) {
		t.log.Debug("tail: the journal does not match the checkpoint")
		return nil, 0, nil
	}
	split := o.Offset - h.At
	if split > 0 {
		last = rest[:split]
	}
	return last, h.At, rest[split:]
}

// repairEmptyCopy is repairCopy for a file truncated while tail was
// stopped before anything written to it was checkpointed: the copy can only
// be told by the uncheckpointed write the journal holds, which is cut off
// it (it will be read again).
func (t *tailer) repairEmptyCopy(o *stateOutput, cur fs.FileInfo) {
	_, _, pending := t.readJournal(o)
	if len(pending) == 0 {
		return
	}
	for _, c := range siblings(o.Path) {
		size := c.fi.Size()
		if os.SameFile(c.fi, cur) || size == 0 || size > int64(len(pending)) {
			continue
		}
		f, err := os.OpenFile(c.path, os.O_RDWR, 0)
		if err != nil {
			continue
		}
		got := make([]byte, size)
		if _, err := f.ReadAt(got, 0); err == nil && bytes.Equal(got, pending[:size]) && cutFile(f, 0) == nil {
			t.notice("cut logrotate's copy back to the checkpoint: its last page will be read again", "file", c.path, "bytes", size)
			f.Close()
			return
		}
		f.Close()
	}
}
