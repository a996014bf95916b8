package filesink

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// BenchmarkSave saves a state whose checkpoint is the size of the engine's
// at 100,000 events an hour with a lookback of an hour (100,000 ids of 7
// bytes, base64: about 0.93 MiB), as Write does once the output written
// since holds as many bytes: marshal, write, fsync, rename, fsync the
// directory.
func BenchmarkSave(b *testing.B) {
	for _, ids := range []int{1000, 100000} {
		b.Run(fmt.Sprintf("ids=%d", ids), func(b *testing.B) {
			dir := b.TempDir()
			s := open(b, config(dir))
			defer s.Close(true)
			hashes := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("1234567", ids)))
			cp := json.RawMessage(fmt.Sprintf(`{"version":1,"watermark":1767225600,"spans":[{"oldest":1767222000,"latest":1767225600,"opened":1767225720,"pending":true,"ids":%q}],"stats":{}}`, hashes))
			s.st.Checkpoint = cp
			b.SetBytes(int64(len(cp)))
			b.ResetTimer()
			for range b.N {
				if err := s.Save(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(s.Written().State)/float64(s.Written().Saves), "bytes/save")
		})
	}
}
