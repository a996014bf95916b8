package main

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
	o := &stateOutput{Path: abs, Offset: start, WindowOffset: start, Dev: dev, Ino: ino, TailSum: sumHex(tail)}
	if w := t.st.Window; w != nil && w.Pages > 0 {
		o.WindowOffset = -1 // the window's first pages went elsewhere
	}
	t.st.Output = o
	t.out, t.tail, t.last, t.fileEntries, t.movedNoted = f, tail, nil, 0, false
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
		t.w, _ = newEntryWriter(formatJSONL, &t.pageBuf)
		return nil
	case same && !known:
		f.Close()
		return fmt.Errorf("%s holds %d bytes but the state says %d were written to it: it was cut or replaced since. "+
			"Move it away (tail then starts a new file) or use another --state", abs, size, o.Offset)
	case same:
		t.notice("--out is shorter than the checkpoint: it was truncated (logrotate copytruncate?) while tail was stopped",
			"file", abs, "size", size, "checkpoint", o.Offset)
		t.repairCopy(o, fi, nil, 0)
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
	k := min(o.Offset, tailSumBytes)
	for i, c := range siblings(o.Path) {
		if i == 8 {
			break
		}
		if os.SameFile(c.fi, cur) {
			continue
		}
		size := c.fi.Size()
		f, err := os.OpenFile(c.path, os.O_RDWR, 0)
		if err != nil {
			continue
		}
		if size >= o.Offset {
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
		} else if last != nil && size >= lastAt {
			got := make([]byte, size-lastAt)
			if _, err := f.ReadAt(got, lastAt); err == nil && bytes.Equal(got, last[:len(got)]) {
				whole := int64(bytes.LastIndexByte(got, '\n') + 1)
				again := last[whole:]
				if err := cutFile(f, lastAt+whole); err != nil {
					f.Close()
					continue
				}
				f.Close()
				t.notice("logrotate's copy missed the end of the last page (written between its copy and its truncation): "+
					"writing those lines again to the emptied file", "file", c.path, "entries", bytes.Count(again, []byte{'\n'}))
				return slices.Clone(again)
			}
		}
		f.Close()
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
		again := t.repairCopy(o, fi, t.last, t.lastAt)
		entries := t.fileEntries
		if err := t.adopt(t.out, o.Path); err != nil {
			return nil, &writeError{err}
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
	if _, err := t.out.Write(buf); err != nil {
		return &writeError{err}
	}
	end, err := t.out.Seek(0, io.SeekCurrent) // with O_APPEND: the end of what was just written
	if err != nil {
		return &writeError{err}
	}
	if at := end - int64(len(buf)); at != o.Offset {
		// Truncated between the check and the write: the page is whole at
		// the start of the emptied file, but the copy may have missed the
		// write before it.
		fi, err := t.out.Stat()
		if err != nil {
			return &writeError{err}
		}
		t.notice("--out was truncated just before a write", "file", o.Path, "checkpoint", o.Offset, "now_at", at)
		more := t.repairCopy(o, fi, t.last, t.lastAt)
		t.tail, t.fileEntries = nil, 0
		if o.WindowOffset >= 0 {
			o.WindowOffset = -1
		}
		if at > 0 {
			t.tail, _ = readTail(t.out, at)
		}
		if len(more) > 0 {
			if _, err := t.out.Write(more); err != nil {
				return &writeError{err}
			}
			buf = append(buf, more...)
			end += int64(len(more))
		}
	}
	if err := t.out.Sync(); err != nil {
		return &writeError{err}
	}
	t.last, t.lastAt = slices.Clone(buf), end-int64(len(buf))
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
