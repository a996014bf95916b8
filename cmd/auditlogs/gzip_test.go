package main

import (
	"testing"

	"github.com/slackaudit/auditlogs/auditlogstest"
)

// TestLogsJSONLGzip: the JSON Lines export writes the server's entries
// exactly whether the pages come gzipped (as Slack sends them) or plain,
// and it asks for gzip.
func TestLogsJSONLGzip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts []auditlogstest.Option
		gzip bool
	}{
		{"gzip", nil, true},
		{"gzip at best speed", []auditlogstest.Option{auditlogstest.WithGzipLevel(1)}, true},
		{"plain", []auditlogstest.Option{auditlogstest.WithGzip(false)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, env := newServer(t, 700, tt.opts...)
			r := runCLI(t, env, "logs", "--limit", "150", "--rate", "0")
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			if want := joinLines(srv.Entries()); r.stdout != want {
				t.Fatalf("output differs from the server's entries: %d bytes, want %d", len(r.stdout), len(want))
			}
			st := srv.Stats()
			if want := map[bool]int64{true: st.LogsRequests}[tt.gzip]; st.Gzipped != want || st.LogsRequests != 5 {
				t.Errorf("%d of %d pages gzipped, want %d of 5", st.Gzipped, st.LogsRequests, want)
			}
		})
	}
}
