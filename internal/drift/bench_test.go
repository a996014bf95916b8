package drift

import (
	"bufio"
	"os"
	"path/filepath"
	"testing"

	"github.com/slackaudit/auditlogs/internal/synthetic"
)

// BenchmarkCheckLines checks a file of synthetic entries (JSON Lines, as
// logs and tail write them), as auditlogs drift --from does. One op is the
// whole file; entries/s and ns/entry are per entry, by the wall clock, and
// cpu-ns/entry by the CPU time used.
func BenchmarkCheckLines(b *testing.B) {
	const n = 20000
	name := filepath.Join(b.TempDir(), "entries.jsonl")
	f, err := os.Create(name)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	size := 0
	for _, e := range synthetic.Corpus(n, 1) {
		w.Write(e)
		w.WriteByte('\n')
		size += len(e) + 1
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	b.SetBytes(int64(size))
	b.ReportAllocs()
	var c *Checker
	cpu0 := cpuTime()
	for b.Loop() {
		in, err := os.Open(name)
		if err != nil {
			b.Fatal(err)
		}
		c = NewChecker()
		if err := c.CheckLines(in); err != nil {
			b.Fatal(err)
		}
		in.Close()
	}
	if c.Entries() != n || len(c.Findings()) == 0 {
		b.Fatalf("checked %d entries, %d findings: want %d and the corpus's drift", c.Entries(), len(c.Findings()), n)
	}
	cpu := cpuTime() - cpu0
	perEntry := float64(b.Elapsed().Nanoseconds()) / float64(b.N) / n
	b.ReportMetric(perEntry, "ns/entry")
	b.ReportMetric(1e9/perEntry, "entries/s")
	b.ReportMetric(float64(size)/n, "bytes/entry")
	if cpu > 0 {
		// On a shared machine the wall clock counts the waits for a core
		// too; the CPU time this process used (GC included) does not.
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/n, "cpu-ns/entry")
	}
}
