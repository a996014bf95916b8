package jsonsplit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"unsafe"

	"github.com/slackaudit/auditlogs/internal/synthetic"
)

// splitInPieces feeds body to a Splitter in pieces of step bytes, each
// piece in fresh storage (as a store that grows moves the body), then
// finishes it.
func splitInPieces(sp *Splitter, body []byte, step int) (Page, error) {
	sp.Reset()
	for n := step; n < len(body); n += step {
		sp.Feed(bytes.Clone(body[:n]))
	}
	var page Page
	err := sp.Finish(body, &page)
	return page, err
}

// checkSameSplit fails unless splitting body in pieces of step bytes gives
// what SplitPage gives: the same entries (in body's storage), cursor,
// warning and error.
func checkSameSplit(t *testing.T, sp *Splitter, body []byte, step int) {
	t.Helper()
	var want Page
	wantErr := SplitPage(body, &want)
	got, err := splitInPieces(sp, body, step)
	if fmt.Sprint(err) != fmt.Sprint(wantErr) {
		t.Fatalf("pieces of %d: error %v, SplitPage's %v, on %q", step, err, wantErr, body)
	}
	if got.HasEntries != want.HasEntries || got.NotOK != want.NotOK || got.Error != want.Error {
		t.Fatalf("pieces of %d: entries array %v, not ok %v, error %q; SplitPage: %v, %v, %q", step,
			got.HasEntries, got.NotOK, got.Error, want.HasEntries, want.NotOK, want.Error)
	}
	if got.NextCursor != want.NextCursor || got.Warning != want.Warning || len(got.Entries) != len(want.Entries) {
		t.Fatalf("pieces of %d: %d entries, cursor %q, warning %q; SplitPage: %d, %q, %q", step,
			len(got.Entries), got.NextCursor, got.Warning, len(want.Entries), want.NextCursor, want.Warning)
	}
	for i := range want.Entries {
		if !bytes.Equal(got.Entries[i], want.Entries[i]) {
			t.Fatalf("pieces of %d: entry %d is %q, SplitPage's %q", step, i, got.Entries[i], want.Entries[i])
		}
		// Where SplitPage's entries point into the body, so must these (an
		// entries member spelled with escapes is decoded, so copied).
		if len(want.Entries[i]) > 0 && inBody(body, want.Entries[i]) && &got.Entries[i][0] != &want.Entries[i][0] {
			t.Fatalf("pieces of %d: entry %d is not in the body's storage: %q", step, i, body)
		}
	}
}

// inBody reports whether b is part of body's storage.
func inBody(body, b []byte) bool {
	if len(body) == 0 || len(b) == 0 {
		return false
	}
	at, lo := uintptr(unsafe.Pointer(&b[0])), uintptr(unsafe.Pointer(&body[0]))
	return at >= lo && at < lo+uintptr(len(body))
}

// TestSplitterMatchesSplitPage: fed in pieces of any size, the splitter
// gives SplitPage's result and error, for bodies good and bad, of the
// shape Feed follows and of others.
func TestSplitterMatchesSplitPage(t *testing.T) {
	bodies := []string{
		`{"entries":[{"id":"a"},{"id":"b","x":[1,2.5e-3,true,null]}],"response_metadata":{"next_cursor":"c2=="}}`,
		` { "entries" : [ 1 , "x\u00e9\n\"" , 12345 , -0.5e+7 ] , "warning" : "w" } `,
		`{"entries":[]}`,
		`{"entries":[ ],"response_metadata":{}}`,
		`{}`,
		`{"warning":"first","entries":[{"id":"a"}]}`,
		`{"entries":{"id":"a"},"response_metadata":[]}`,
		`{"entr\u0069es":[{"id":"a"}]}`,
		`{"entries":[{"id":"a"}],"entries":[{"id":"b"}]}`,
		`{"entries":[{"id":"a"`,
		`{"entries":[{"id":"a"}]`,
		`{"entries":[{"id":"a"},]}`,
		`{"entries":[{"id":"a"} {"id":"b"}]}`,
		`{"entries":[01]}`,
		`{"entries":[1.]}`,
		`{"entries":[1,-]}`,
		`{"entries":["\x"]}`,
		`{"entries":[tru]}`,
		`{"entries":[1,2`,
		`{"entries":[1,2]`,
		`{"entries":[1]}x`,
		`{"entries"`,
		`{"entries":`,
		`{"entries":[`,
		`[{"id":"a"}]`,
		``,
		`{"entries":[` + string(bytes.Repeat([]byte("["), maxDepth+1)) + string(bytes.Repeat([]byte("]"), maxDepth+1)) + `]}`,
		`{"entries":[` + string(bytes.Repeat([]byte("["), maxDepth)) + string(bytes.Repeat([]byte("]"), maxDepth)) + `,{}]}`,
	}
	var sp Splitter // reused: Reset must forget the last body
	for _, body := range bodies {
		for _, step := range []int{1, 2, 3, 5, 8, 13, 1000, len(body) + 1} {
			if len(body) > 1000 && step < 1000 {
				continue // an entry cut short is read again at each Feed: quadratic in tiny pieces
			}
			checkSameSplit(t, &sp, []byte(body), step)
		}
	}
	page := synthetic.Body(synthetic.Corpus(300, 1), "dXNlcjpVMEc5V0ZYTlo=")
	for _, step := range []int{997, 4096, 32 << 10} {
		checkSameSplit(t, &sp, page, step)
	}
}

// TestSplitterFeedsAhead: Feed splits out the entries that have arrived
// before the body is complete, so that Finish has only the rest to do.
func TestSplitterFeedsAhead(t *testing.T) {
	entries := synthetic.Corpus(50, 1)
	body := synthetic.Body(entries, "")
	var sp Splitter
	sp.Reset()
	half := bytes.Index(body, entries[25]) + len(entries[25])/2 // in the middle of entry 25
	sp.Feed(body[:half])
	if got := len(sp.spans) / 2; got != 25 {
		t.Fatalf("Feed with 25.5 entries of 50 found %d", got)
	}
	var page Page
	if err := sp.Finish(body, &page); err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(page.Entries, entries, func(a, b json.RawMessage) bool { return bytes.Equal(a, b) }) {
		t.Fatal("entries differ from the server's")
	}
}

// FuzzSplitter: on any input, fed in pieces, the splitter does what
// SplitPage does.
func FuzzSplitter(f *testing.F) {
	f.Add([]byte(`{"entries":[{"id":"a","n":-1.5E+3,"s":"\ud800\"x"}],"response_metadata":{"next_cursor":"c="}}`), uint8(3))
	f.Add([]byte(`{"entries":[[],{},"",0,false,null],"warning":1}`), uint8(1))
	f.Add([]byte(`{"entries":[1,2`), uint8(2))
	f.Fuzz(func(t *testing.T, body []byte, step uint8) {
		var sp Splitter
		checkSameSplit(t, &sp, body, int(step)+1)
	})
}
