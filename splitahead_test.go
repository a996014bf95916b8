package auditlogs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"testing"
	"testing/iotest"

	"github.com/slackaudit/auditlogs/auditlogstest"
	"github.com/slackaudit/auditlogs/internal/inflate"
	"github.com/slackaudit/auditlogs/internal/jsonsplit"
	"github.com/slackaudit/auditlogs/internal/pagestore"
)

// TestSplitAhead: a gzip body split while it is inflated gives what
// decodePage gives once it is read, the same entries in the same storage
// or the same error, into every kind of store, with the length known (the
// storage fits at once) or not (it moves as it grows, under the splitting
// goroutine), and one jsonsplit.Ahead serves attempt after attempt.
func TestSplitAhead(t *testing.T) {
	good := auditlogstest.LogsBody(auditlogstest.Synthetic(1500, 1), "Y3Vyc29y")
	cut := good[:len(good)-40]                                                           // JSON cut short, in a gzip stream that is whole
	bad := bytes.Replace(bytes.Clone(good), []byte(`"action":`), []byte(`"action";`), 1) // a syntax error near the start
	head := append([]byte(`{"ok":true,"warning":"w",`), good[len(`{"ok":true,`):]...)
	stores := map[string]func() *pagestore.Store{
		"none":     func() *pagestore.Store { return nil },
		"heap":     func() *pagestore.Store { return &pagestore.Store{} },
		"off-heap": func() *pagestore.Store { return &pagestore.Store{OffHeap: true} },
	}
	for name, newStore := range stores {
		for _, known := range []bool{true, false} {
			t.Run(fmt.Sprintf("store=%s/length-known=%v", name, known), func(t *testing.T) {
				store := newStore()
				defer store.Release()
				a := jsonsplit.NewAhead()
				if a == nil {
					t.Skip("a single core: nothing is split ahead")
				}
				c := &Client{maxBody: DefaultMaxResponseBytes, inflaters: inflate.NewPool(), ratio: new(inflate.Ratio)}
				for i, body := range [][]byte{good, cut, good, bad, head, good} {
					z := gz(t, body)
					length := int64(len(z))
					if !known {
						length = -1
						c.ratio = new(inflate.Ratio) // no hint from the last body either
					}
					resp := &http.Response{StatusCode: 200, Header: http.Header{"Content-Encoding": {"gzip"}},
						Body: io.NopCloser(iotest.HalfReader(bytes.NewReader(z))), ContentLength: length}
					b, err := c.readResponseAhead(resp, store, a)
					if err != nil {
						t.Fatalf("body %d: %v", i, err)
					}
					got, err := decodeAhead(a, b, nil)
					want, wantErr := decodePage(bytes.Clone(b), nil)
					if fmt.Sprint(err) != fmt.Sprint(wantErr) {
						t.Fatalf("body %d: error %v, decodePage's %v", i, err, wantErr)
					}
					if err != nil {
						if !errors.Is(err, ErrMalformedResponse) {
							t.Fatalf("body %d: error %v is not ErrMalformedResponse", i, err)
						}
						continue
					}
					if len(got.Entries) != len(want.Entries) || got.NextCursor != want.NextCursor || got.Warning != want.Warning {
						t.Fatalf("body %d: %d entries, cursor %q, warning %q; decodePage: %d, %q, %q", i,
							len(got.Entries), got.NextCursor, got.Warning, len(want.Entries), want.NextCursor, want.Warning)
					}
					for j := range want.Entries {
						if !bytes.Equal(got.Entries[j], want.Entries[j]) {
							t.Fatalf("body %d: entry %d differs", i, j)
						}
					}
					if first := got.Entries[0]; &first[0] != &b[bytes.Index(b, first)] {
						t.Fatalf("body %d: the entries are not in the body's storage", i)
					}
				}
			})
		}
	}
}
