package auditlogstest

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

// servedIDs returns the ids /logs serves now for the query, on one page.
func servedIDs(t *testing.T, srv *Server, query string) map[string]bool {
	t.Helper()
	ids := map[string]bool{}
	for _, e := range servedPage(t, srv, query) {
		ids[e.ID] = true
	}
	return ids
}

func TestWithLateEvents(t *testing.T) {
	const n, base = 2000, int64(1_800_000_000)
	var entries []json.RawMessage
	date := map[string]int64{}
	for i := range n {
		id := fmt.Sprintf("ev-%04d", i)
		date[id] = base + int64(i)
		entries = append(entries, json.RawMessage(fmt.Sprintf(`{"id":%q,"date_create":%d,"action":"user_login"}`, id, base+int64(i))))
	}
	clock := &movingClock{t: time.Unix(base+n+60, 0)}
	opts := []Option{WithEntries(entries), WithClock(clock.now), WithLateEvents(0.25, 5*time.Second, 20*time.Second)}
	srv := NewServer(opts...)
	defer srv.Close()

	// Long after the last event, every one is served.
	if got := servedIDs(t, srv, ""); len(got) != n {
		t.Fatalf("long after: %d entries served, want %d", len(got), n)
	}
	// Half way through, the last 20 s hold missing events, none before.
	mid := base + 1000
	clock.t = time.Unix(mid, 0)
	at := servedIDs(t, srv, "")
	missing, recent := 0, 0
	for id, d := range date {
		switch {
		case d > mid:
			if at[id] {
				t.Fatalf("%s (date_create %d) served before its time %d", id, d, mid)
			}
		case d <= mid-20:
			if !at[id] {
				t.Errorf("%s (date_create %d) is not served 20 s or more after it", id, d)
			}
		default:
			recent++
			if !at[id] {
				missing++
			}
		}
	}
	if missing == 0 || missing == recent {
		t.Errorf("of the %d events of the last 20 s, %d are not yet served: want some", recent, missing)
	}
	// The share is about 25%: count events not visible 5 s after their date.
	late := 0
	for i := range n {
		id := fmt.Sprintf("ev-%04d", i)
		clock.t = time.Unix(date[id]+4, 0)
		if d := srv.cfg.late.lateDelay(id); d > 0 {
			late++
			if d < 5*time.Second || d > 20*time.Second {
				t.Fatalf("%s is late by %s, outside 5s..20s", id, d)
			}
		}
	}
	if late < n/5 || late > n*3/10 {
		t.Errorf("%d of %d events late, want about 25%%", late, n)
	}
	// An event shows up exactly when its delay has passed, in a window query
	// too; the same ids are late in another server (reproducible).
	other := NewServer(opts...)
	defer other.Close()
	checked := 0
	for i := 990; i < 1010; i++ {
		id := fmt.Sprintf("ev-%04d", i)
		d := srv.cfg.late.lateDelay(id)
		if d == 0 {
			continue
		}
		checked++
		if d2 := other.cfg.late.lateDelay(id); d2 != d {
			t.Errorf("%s: late by %s in one server, %s in another", id, d, d2)
		}
		q := fmt.Sprintf("&oldest=%d&latest=%d", date[id], date[id])
		clock.t = time.Unix(date[id], 0).Add(d - time.Nanosecond)
		if servedIDs(t, srv, q)[id] {
			t.Errorf("%s served before its delay %s", id, d)
		}
		clock.t = time.Unix(date[id], 0).Add(d)
		if !servedIDs(t, srv, q)[id] {
			t.Errorf("%s not served once its delay %s passed", id, d)
		}
	}
	if checked == 0 {
		t.Fatal("no late event among the 20 checked")
	}

	// Share 0 serves every event at its date_create.
	punctual := NewServer(WithEntries(entries), WithClock(clock.now), WithLateEvents(0, time.Second, time.Minute))
	defer punctual.Close()
	clock.t = time.Unix(base+n-1, 0)
	if got := servedIDs(t, punctual, ""); len(got) != n {
		t.Errorf("share 0: %d served at the last event's date, want %d", len(got), n)
	}
}

// With a live corpus, late events follow the live clock.
func TestWithLateEventsLive(t *testing.T) {
	clock := &movingClock{t: time.Date(2027, 3, 14, 12, 0, 0, 0, time.UTC)}
	srv := NewServer(WithSynthetic(50, 3), WithLive(clock.now, time.Minute, 2*time.Second), WithLateEvents(0.5, 10*time.Second, 10*time.Second))
	defer srv.Close()
	start := clock.now().Unix()
	clock.add(100 * time.Second) // 50 new events, one every 2 s
	q := fmt.Sprintf("&oldest=%d", start+1)
	got := len(servedIDs(t, srv, q))
	if got >= 50 || got < 40 {
		t.Errorf("100 s in: %d of 50 new events served, want all but the late ones of the last 10 s", got)
	}
	clock.add(10 * time.Second)
	q = fmt.Sprintf("&oldest=%d&latest=%d", start+1, start+100)
	if got := len(servedIDs(t, srv, q)); got != 50 {
		t.Errorf("10 s later: %d of the 50 served, want 50", got)
	}
}
