package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestFileWriterEndPage: a page ends written to the file whole, and
// starting the writeback of a file, even a closed one, never fails a page.
func TestFileWriterEndPage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.jsonl")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	ew, err := newEntryWriter(formatJSONL, f)
	if err != nil {
		t.Fatal(err)
	}
	w := fileWriter{ew, f}
	for _, raw := range []string{`{"id":"1"}`, `{"id":"2"}`} {
		if err := w.WriteRaw([]byte(raw)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.EndPage(); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); string(got) != "{\"id\":\"1\"}\n{\"id\":\"2\"}\n" {
		t.Errorf("file holds %q after EndPage", got)
	}
	f.Close()
	startWriteback(f) // a hint: nothing to do, nothing to fail
}
