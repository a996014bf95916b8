package collect

import (
	"encoding/binary"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// steadyCheckpoint returns the checkpoint of a collection in steady state
// at 100,000 events an hour, with a 1 h lookback and a window a minute: 60
// windows awaiting their re-read hold the hashes of an hour's events, and a
// window is in progress.
func steadyCheckpoint() *Checkpoint {
	const perHour, windows = 100_000, 60
	rng := rand.New(rand.NewPCG(1, 2))
	w := int64(1_900_000_000)
	cp := &Checkpoint{Version: CheckpointVersion, watermark: w}
	for i := range windows {
		s := &span{oldest: w - int64(windows-i)*60, latest: w - int64(windows-i-1)*60, pending: true}
		s.opened = s.latest + 120
		for range perHour / windows {
			s.ids.add(rng.Uint64() >> 8)
		}
		s.last.add(rng.Uint64() >> 8)
		cp.spans = append(cp.spans, s)
	}
	cp.window = &pass{span: span{oldest: w, latest: w + 60, opened: w + 180, pending: true}, until: w + 60, low: w + 30,
		cursor: "dXNlcjpVMEc5V0ZYTlo6MTkwMDAwMDAzMA==", pages: 1}
	for range 500 {
		cp.window.ids.add(rng.Uint64() >> 8)
	}
	return cp
}

// save writes the checkpoint as a collector's sink would: marshal (with
// marshal), write a temporary file, fsync it, rename it over the last one.
func save(b *testing.B, cp *Checkpoint, marshal func() ([]byte, error), dir string) int {
	data, err := marshal()
	if err != nil {
		b.Fatal(err)
	}
	tmp, path := filepath.Join(dir, "checkpoint.json.tmp"), filepath.Join(dir, "checkpoint.json")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := f.Write(data); err != nil {
		b.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		b.Fatal(err)
	}
	return len(data)
}

// BenchmarkCheckpointSave measures one save of a checkpoint holding 100,000
// events of one hour (1 h lookback): its JSON size and the time of marshal,
// write, fsync and rename, in a temporary directory; marshalled by calling
// MarshalJSON (as the package documentation advises) or json.Marshal.
func BenchmarkCheckpointSave(b *testing.B) {
	cp := steadyCheckpoint()
	if n := cp.events(); n < 100_000 {
		b.Fatalf("the checkpoint holds %d events", n)
	}
	for _, bc := range []struct {
		name    string
		marshal func() ([]byte, error)
	}{{"MarshalJSON", cp.MarshalJSON}, {"json.Marshal", func() ([]byte, error) { return json.Marshal(cp) }}} {
		b.Run(bc.name, func(b *testing.B) {
			dir := b.TempDir()
			size := 0
			for b.Loop() {
				size = save(b, cp, bc.marshal, dir)
			}
			b.ReportMetric(float64(size), "bytes")
		})
	}
}

// BenchmarkCheckpointMarshal is the marshal of the save alone: calling
// MarshalJSON, and through json.Marshal (which checks a Marshaler's output
// again, byte by byte).
func BenchmarkCheckpointMarshal(b *testing.B) {
	cp := steadyCheckpoint()
	for _, bc := range []struct {
		name    string
		marshal func() ([]byte, error)
	}{{"MarshalJSON", cp.MarshalJSON}, {"json.Marshal", func() ([]byte, error) { return json.Marshal(cp) }}} {
		b.Run(bc.name, func(b *testing.B) {
			size := 0
			for b.Loop() {
				data, err := bc.marshal()
				if err != nil {
					b.Fatal(err)
				}
				size = len(data)
			}
			b.ReportMetric(float64(size), "bytes")
		})
	}
}

// TestCheckpointSize checks the budget: 100,000 events of one hour in at
// most 1 MiB of JSON, and that a checkpoint reads back whole.
func TestCheckpointSize(t *testing.T) {
	cp := steadyCheckpoint()
	data, err := json.Marshal(cp)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) > 1<<20 {
		t.Errorf("%d events take %d bytes of JSON, over 1 MiB", cp.events(), len(data))
	}
	var back Checkpoint
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if back.events() != cp.events() {
		t.Errorf("%d events read back, %d saved", back.events(), cp.events())
	}
	// Every hash is found again.
	for i, s := range cp.spans {
		for k := 0; k < len(s.ids.packed); k += hashLen {
			var b [8]byte
			copy(b[8-hashLen:], s.ids.packed[k:k+hashLen])
			if !back.spans[i].ids.has(binary.BigEndian.Uint64(b[:])) {
				t.Fatalf("spans[%d]: hash %x lost", i, b)
			}
		}
	}
	t.Logf("%d events: %d bytes of JSON", cp.events(), len(data))
}

// events counts the hashes a checkpoint holds.
func (c *Checkpoint) events() int {
	n := 0
	for _, s := range c.spans {
		n += s.ids.len() + s.last.len()
	}
	if c.window != nil {
		n += c.window.ids.len() + c.window.last.len() + c.window.odd.len()
	}
	return n
}
