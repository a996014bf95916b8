package main

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestTailDemoLive runs tail --demo without --once on a clock 600 times
// faster than real time (a second is ten minutes): new demo events arrive
// every 20 seconds of it, and tail picks them up window after window. Not in
// parallel: it sets the command's clock.
func TestTailDemoLive(t *testing.T) {
	base := time.Date(2027, 3, 14, 12, 0, 0, 0, time.UTC)
	realStart := time.Now()
	defer setClock(func() time.Time { return base.Add(time.Since(realStart) * 600) })()
	cancel, done := startTail(t, nil, "--demo", "--interval", "20ms", "--log-format", "json")
	time.Sleep(1500 * time.Millisecond) // 15 minutes of the demo's clock
	cancel()
	r := <-done
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	arrived := 0 // events dated after the demo started
	for _, line := range strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n") {
		if parse(t, json.RawMessage(line)).DateCreate > base.Unix() {
			arrived++
		}
	}
	// 15 minutes, less the 2 minutes of --settle, at one every 20 seconds:
	// about 39, less for a slow machine.
	if arrived < 15 {
		t.Fatalf("%d new events picked up while tail ran", arrived)
	}
	windows := 0
	for _, line := range strings.Split(strings.TrimSpace(r.stderr), "\n") {
		var rec struct {
			Msg     string `json:"msg"`
			Entries int    `json:"entries"`
		}
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "page" && rec.Entries > 0 {
			windows++
		}
	}
	if windows < 5 {
		t.Errorf("only %d pages with new events: tail should find some every few windows", windows)
	}
	t.Logf("%d events arrived while tail ran, in %d pages", arrived, windows)
}

// TestTailDemoLateEvents: the demo's late events are recovered by the
// lookback, on a clock 600 times faster than real time. Not in parallel: it
// sets the command's clock.
func TestTailDemoLateEvents(t *testing.T) {
	base := time.Date(2027, 3, 14, 12, 0, 0, 0, time.UTC)
	realStart := time.Now()
	defer setClock(func() time.Time { return base.Add(time.Since(realStart) * 600) })()
	cancel, done := startTail(t, nil, "--demo", "--settle", "10s", "--lookback", "3m", "--interval", "20ms", "--log-format", "json")
	time.Sleep(3 * time.Second) // 30 minutes of the demo's clock
	cancel()
	r := <-done
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	found := strings.Count(r.stderr, `"msg":"collect: late event found"`)
	if found == 0 {
		t.Fatalf("no late event recovered in 30 minutes of the demo:\n%s", r.stderr)
	}
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	seen := map[string]bool{}
	for _, line := range lines {
		id := parse(t, json.RawMessage(line)).ID
		if seen[id] {
			t.Fatalf("%s written twice", id)
		}
		seen[id] = true
	}
	t.Logf("%d late events recovered, %d events written", found, len(lines))
}

// TestDemoLastDayProcess: through the binary, on the real clock, the demo's
// last day is not empty, and nothing in it is older than a day or newer than
// now.
func TestDemoLastDayProcess(t *testing.T) {
	t.Parallel()
	bin := buildCLI(t)
	before := time.Now()
	out, err := exec.Command(bin, "logs", "--demo", "--oldest", "24h").Output()
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(out) == 0 || len(lines) < 20 {
		t.Fatalf("logs --demo --oldest 24h printed %d events", len(lines))
	}
	for _, line := range lines {
		d := parse(t, json.RawMessage(line)).DateCreate
		if d < before.Add(-24*time.Hour).Unix()-1 || d > time.Now().Unix() {
			t.Fatalf("an event at %s in the last day to %s", time.Unix(d, 0).UTC(), before.UTC())
		}
	}
}
