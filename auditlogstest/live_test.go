package auditlogstest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"
)

// movingClock is a clock the test moves by hand.
type movingClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *movingClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *movingClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// servedPage returns the ids and date_creates of the entries /logs serves
// now for the query, on one page.
func servedPage(t *testing.T, srv *Server, query string) []struct {
	ID         string `json:"id"`
	DateCreate int64  `json:"date_create"`
} {
	t.Helper()
	req, _ := http.NewRequest("GET", srv.URL+"logs?limit=9999"+query, nil)
	req.Header.Set("Authorization", "Bearer "+DefaultToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var page struct {
		Entries []struct {
			ID         string `json:"id"`
			DateCreate int64  `json:"date_create"`
		} `json:"entries"`
	}
	if err := json.Unmarshal(b, &page); err != nil {
		t.Fatalf("%v: %.200s", err, b)
	}
	return page.Entries
}

// liveDates returns the date_create of every entry /logs serves now.
func liveDates(t *testing.T, srv *Server, query string) []int64 {
	t.Helper()
	var out []int64
	for _, e := range servedPage(t, srv, query) {
		out = append(out, e.DateCreate)
	}
	return out
}

func TestWithLive(t *testing.T) {
	clock := &movingClock{t: time.Date(2027, 3, 14, 12, 0, 0, 0, time.UTC)}
	srv := NewServer(WithSynthetic(500, 3), WithLive(clock.now, 5*time.Minute, 20*time.Second))
	defer srv.Close()
	now := clock.now().Unix()

	dates := liveDates(t, srv, "")
	if len(dates) != 500 {
		t.Fatalf("at start, %d entries served, want the 500 of the corpus", len(dates))
	}
	if newest := dates[0]; newest != now-300 {
		t.Errorf("the newest entry is at %d, want %d (5 minutes before now)", newest, now-300)
	}
	lastDay := liveDates(t, srv, fmt.Sprintf("&oldest=%d", now-86400))
	if len(lastDay) == 0 || len(lastDay) == 500 {
		t.Errorf("the last day holds %d of 500 entries", len(lastDay))
	}
	// The corpus keeps its shape: the same spread of dates, moved.
	plain := NewServer(WithSynthetic(500, 3))
	defer plain.Close()
	orig := liveDates(t, plain, "")
	for i := range orig {
		if orig[0]-orig[i] != dates[0]-dates[i] {
			t.Fatalf("entry %d: %d s before the newest, was %d", i, dates[0]-dates[i], orig[0]-orig[i])
		}
	}

	// Time passes: an event every 20 seconds from the server's start on.
	clock.add(5 * time.Minute)
	if n := len(liveDates(t, srv, "")) - 500; n != 15 {
		t.Errorf("5 minutes later, %d new entries, want 15", n)
	}
	clock.add(time.Minute)
	if got := liveDates(t, srv, fmt.Sprintf("&oldest=%d", now)); len(got) != 18 || got[0] != now+360 {
		t.Errorf("6 minutes later, %d entries after the start (newest %v), want 18, newest %d", len(got), got[:1], now+360)
	}
	// Not on the clock without WithSynthetic.
	fixed := NewServer(WithEntries(Synthetic(3, 1)), WithLive(clock.now, 0, 0))
	defer fixed.Close()
	if got := liveDates(t, fixed, ""); len(got) != 3 || got[0] >= SyntheticEpoch {
		t.Errorf("WithEntries and WithLive: %v", got)
	}
}
