//go:build unix

package filesink

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// crashedState writes the state a sink saved before it was killed, for an
// output file out (which must exist: its identity is recorded), and
// returns the config to open it with.
func crashedState(t *testing.T, dir string, edit func(o *Output, st *State)) Config {
	t.Helper()
	cfg := config(dir)
	fi, err := os.Stat(cfg.OutPath)
	if err != nil {
		t.Fatal(err)
	}
	sys, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		t.Skip("no inode numbers here")
	}
	st := fresh()
	st.Version = Version
	st.Checkpoint = json.RawMessage(`"last"`)
	st.Output = &Output{Path: cfg.OutPath, Dev: uint64(sys.Dev), Ino: uint64(sys.Ino), Gen: 1}
	edit(st.Output, st)
	b, _ := json.Marshal(st)
	if err := os.WriteFile(cfg.StatePath, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func lines(n int, tag string) []byte {
	return []byte(strings.Repeat(`{"id":"`+tag+`"}`+"\n", n))
}

// TestRepairFirstWriteCopied: the first write to a file was never
// checkpointed (killed before its save), and logrotate copied the file and
// emptied it before tail started again: the copy is found by the head the
// state saved before the write, and cut back, since the page is read again.
func TestRepairFirstWriteCopied(t *testing.T) {
	dir := t.TempDir()
	page := lines(5, "a")
	os.WriteFile(filepath.Join(dir, "out.jsonl"), nil, 0o600)
	cfg := crashedState(t, dir, func(o *Output, _ *State) {
		o.TailSum, o.Head, o.HeadLen = sumHex(nil), sumHex(page), int64(len(page))
	})
	copyPath := cfg.OutPath + ".1"
	os.WriteFile(copyPath, page, 0o600)
	s := open(t, cfg)
	defer s.Close(true)
	if b, _ := os.ReadFile(copyPath); len(b) != 0 {
		t.Fatalf("the copy holds %q: the page read again would be in two files", b)
	}
	if string(s.State().Checkpoint) != `"last"` {
		t.Fatalf("checkpoint %s", s.State().Checkpoint)
	}
}

// TestRepairRewindsToPrevious: logrotate copied the file before the last
// write ended, emptied it after, and tail was killed before it noticed: the
// copy ends between the previous checkpoint and the last one. It is cut back
// to the previous one, and the collection goes back to it.
func TestRepairRewindsToPrevious(t *testing.T) {
	dir := t.TempDir()
	before, last := lines(10, "before"), lines(5, "last")
	os.WriteFile(filepath.Join(dir, "out.jsonl"), nil, 0o600) // emptied by logrotate
	cfg := crashedState(t, dir, func(o *Output, st *State) {
		all := append(append([]byte{}, before...), last...)
		o.Offset, o.TailSum = int64(len(all)), tailSum(all)
		st.Entries = 15
		st.Previous = &Previous{Checkpoint: json.RawMessage(`"previous"`), Gen: 1, Offset: int64(len(before)),
			TailSum: tailSum(before), Entries: 10}
	})
	copyPath := cfg.OutPath + ".1"
	torn := append(append([]byte{}, before...), last[:17]...) // the copy ends inside the last write
	os.WriteFile(copyPath, torn, 0o600)
	s := open(t, cfg)
	defer s.Close(true)
	if b, _ := os.ReadFile(copyPath); string(b) != string(before) {
		t.Fatalf("the copy was not cut back to the previous checkpoint: %d bytes", len(b))
	}
	if st := s.State(); string(st.Checkpoint) != `"previous"` || st.Entries != 10 || st.Output.Gen != 2 || st.Output.Offset != 0 {
		t.Fatalf("state after the repair: checkpoint %s, entries %d, output %+v", st.Checkpoint, st.Entries, st.Output)
	}
}

// TestRepairWholeCopy: the copy holds the whole checkpoint and more (pages
// written after the last save): it is cut back to the checkpoint.
func TestRepairWholeCopy(t *testing.T) {
	dir := t.TempDir()
	saved, more := lines(12, "saved"), lines(3, "more")
	os.WriteFile(filepath.Join(dir, "out.jsonl"), nil, 0o600)
	cfg := crashedState(t, dir, func(o *Output, _ *State) {
		o.Offset, o.TailSum = int64(len(saved)), tailSum(saved)
	})
	copyPath := cfg.OutPath + ".1"
	os.WriteFile(copyPath, append(append([]byte{}, saved...), more...), 0o600)
	s := open(t, cfg)
	defer s.Close(true)
	if b, _ := os.ReadFile(copyPath); string(b) != string(saved) {
		t.Fatalf("the copy holds %d bytes, want the %d of the checkpoint", len(b), len(saved))
	}
	if string(s.State().Checkpoint) != `"last"` {
		t.Fatalf("checkpoint %s", s.State().Checkpoint)
	}
}

// tailSum is TailSum for a file holding b.
func tailSum(b []byte) string { return sumHex(b[max(0, len(b)-tailSumBytes):]) }
