package collect_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/slackaudit/auditlogs"
	"github.com/slackaudit/auditlogs/auditlogstest"
	"github.com/slackaudit/auditlogs/collect"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *fakeClock { return &fakeClock{t: t} }

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
func (c *fakeClock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// newClient returns a client of srv without rate limit and with quick
// retries.
func newClient(t testing.TB, srv *auditlogstest.Server, opts ...auditlogs.Option) *auditlogs.Client {
	t.Helper()
	opts = append([]auditlogs.Option{auditlogs.WithBaseURL(srv.URL), auditlogs.WithRateLimit(0, 0),
		auditlogs.WithRetryWait(time.Millisecond, 5*time.Millisecond)}, opts...)
	c, err := auditlogs.New(auditlogstest.DefaultToken, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// failMode says how a memSink's Deliver fails.
type failMode int

const (
	ok          failMode = iota
	failBefore           // nothing is written
	failBetween          // the entries are written, the checkpoint not
	failAfter            // both are written, then an error is returned
)

var errSinkFailed = errors.New("sink failed on purpose")

// memSink is a sink in memory: it records every batch, the ids written
// (the raw bytes of each entry's id) and the last checkpoint stored, with
// the number of ids written when it was stored, so that a restart can cut
// back to it (transactional) or not.
type memSink struct {
	mu      sync.Mutex
	batches []batchRecord
	ids     []string // raw ids, in delivery order
	cp      []byte   // the last checkpoint stored (JSON)
	cpLen   int      // len(ids) when cp was stored
	fail    func(b *collect.Batch) failMode
}

// batchRecord is what a test checks of a batch.
type batchRecord struct {
	window  collect.Window
	reread  bool
	entries int
	late    []collect.LateEvent
	odd     int
}

func rawID(e *auditlogs.Entry) string {
	raw, ok := e.Lookup("id")
	if !ok {
		return "(no id) " + string(e.Raw())
	}
	return string(raw)
}

func (s *memSink) Deliver(_ context.Context, b *collect.Batch) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	mode := ok
	if s.fail != nil {
		mode = s.fail(b)
	}
	if mode == failBefore {
		return errSinkFailed
	}
	for _, e := range b.Entries {
		s.ids = append(s.ids, rawID(e))
	}
	s.batches = append(s.batches, batchRecord{window: b.Window, reread: b.Reread, entries: len(b.Entries), late: b.Late, odd: b.Odd})
	if mode == failBetween {
		return errSinkFailed
	}
	cp, err := json.Marshal(b.Checkpoint)
	if err != nil {
		return err
	}
	s.cp, s.cpLen = cp, len(s.ids)
	if mode == failAfter {
		return errSinkFailed
	}
	return nil
}

// checkpoint returns the last checkpoint stored (nil if none) and, for a
// transactional sink, cuts the ids back to it, as a file cut to a recorded
// size is.
func (s *memSink) checkpoint(t testing.TB, cutBack bool) *collect.Checkpoint {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if cutBack {
		s.ids = s.ids[:s.cpLen]
	}
	if s.cp == nil {
		return nil
	}
	var cp collect.Checkpoint
	if err := json.Unmarshal(s.cp, &cp); err != nil {
		t.Fatal(err)
	}
	return &cp
}

// counts returns how many times each raw id was written.
func (s *memSink) counts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := map[string]int{}
	for _, id := range s.ids {
		m[id]++
	}
	return m
}

// wantIDs returns the raw ids of srv's entries with date_create in
// [oldest, latest].
func wantIDs(t testing.TB, srv *auditlogstest.Server, oldest, latest int64) map[string]bool {
	t.Helper()
	want := map[string]bool{}
	for _, raw := range srv.Entries() {
		var e auditlogs.Entry
		if err := json.Unmarshal(raw, &e); err != nil {
			t.Fatal(err)
		}
		if e.DateCreate >= oldest && e.DateCreate <= latest {
			want[rawID(&e)] = true
		}
	}
	return want
}

// compare reports the ids missing from got and those written more than
// once, and the ids written that were not wanted.
func compare(want map[string]bool, got map[string]int) (missing, dup, extra []string) {
	for id := range want {
		if got[id] == 0 {
			missing = append(missing, id)
		}
	}
	for id, n := range got {
		if n > 1 {
			dup = append(dup, fmt.Sprintf("%s x%d", id, n))
		}
		if !want[id] {
			extra = append(extra, id)
		}
	}
	return missing, dup, extra
}

// entry is a minimal entry of the given id and date_create.
func entry(id string, date int64) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"id":%q,"date_create":%d,"action":"user_login"}`, id, date))
}

// auditlogsParams returns filters with only a page size.
func auditlogsParams(limit int) auditlogs.LogsParams { return auditlogs.LogsParams{Limit: limit} }
