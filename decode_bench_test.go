package auditlogs

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/slackaudit/auditlogs/auditlogstest"
	"github.com/slackaudit/auditlogs/internal/entrydecode"
)

// pageBody builds a /logs body of n synthetic entries, as the fake serves it.
func pageBody(tb testing.TB, n int) []byte {
	tb.Helper()
	return auditlogstest.LogsBody(auditlogstest.Synthetic(n, 1), "dXNlcjpVMEc5V0ZYTlo=")
}

// BenchmarkDecodePage decodes one page into typed entries that keep their
// raw bytes, and touches each entry's id and action.
func BenchmarkDecodePage(b *testing.B) {
	for _, n := range []int{1000, 9999} {
		body := pageBody(b, n)
		b.Run(fmt.Sprintf("entries=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				rp, err := decodePage(body, nil)
				if err != nil {
					b.Fatal(err)
				}
				var touched int
				for _, e := range rp.decode().Entries {
					touched += len(e.ID) + len(e.Action)
				}
				if touched == 0 {
					b.Fatal("nothing decoded")
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "entries/s")
		})
	}
}

// BenchmarkDecodePagePlainStruct is the floor: encoding/json into a small
// plain struct, no raw bytes kept.
func BenchmarkDecodePagePlainStruct(b *testing.B) {
	type plain struct {
		Entries []struct {
			ID     string `json:"id"`
			Action string `json:"action"`
		} `json:"entries"`
	}
	for _, n := range []int{1000, 9999} {
		body := pageBody(b, n)
		b.Run(fmt.Sprintf("entries=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				var p plain
				if err := json.Unmarshal(body, &p); err != nil || len(p.Entries) != n {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "entries/s")
		})
	}
}

// BenchmarkYieldEntries is AllLogs's decoding on one page already split:
// each entry is copied, decoded and yielded to the loop, which touches its
// id and action.
func BenchmarkYieldEntries(b *testing.B) {
	for _, n := range []int{1000, 9999} {
		body := pageBody(b, n)
		rp, err := decodePage(body, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("entries=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				var touched int
				yieldEntries(rp.Entries, func(e Entry, err error) bool {
					touched += len(e.ID) + len(e.Action)
					return true
				}, entrydecode.New())
				if touched == 0 {
					b.Fatal("nothing decoded")
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "entries/s")
		})
	}
}
