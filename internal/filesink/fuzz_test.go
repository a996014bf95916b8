package filesink

import (
	"strings"
	"testing"
)

// FuzzDecode: a state file of any content is refused with an error naming
// the file, or read into a state that passes its own checks; never a panic.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"version":2,"filters":{},"start":"2025-01-01T00:00:00Z","checkpoint":null,"output":null,"clean_stop":true,"entries_written":0}`))
	f.Add([]byte(`{"version":2,"filters":{},"start":"2025-01-01T00:00:00Z","checkpoint":{},"previous":{"offset":1},` +
		`"output":{"path":"/o","offset":3,"ino":1,"gen":1},"clean_stop":false,"entries_written":1}`))
	f.Add([]byte(`{"version":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := decode("s.json", b, now, &Config{})
		if err != nil {
			if !strings.Contains(err.Error(), "s.json") {
				t.Fatalf("an error without the file's name: %v", err)
			}
			return
		}
		if fe := st.check(now, &Config{}); fe != nil {
			t.Fatalf("decoded a state that fails its checks: %s %s", fe.field, fe.msg)
		}
	})
}
