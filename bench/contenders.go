package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/slackaudit/auditlogs"
	"github.com/slackaudit/auditlogs/auditlogstest"
)

// The contenders. Every one but cli runs inside a child process of the
// runner (the runner re-executed with -child=NAME); cli is the CLI's own
// binary.
const (
	ours      = "ours"       // the library: Client.AllLogs, rate limiter off
	cli       = "cli"        // the CLI: auditlogs logs --format jsonl --out FILE
	floorRead = "floor-read" // read each body into a reused buffer, find next_cursor, discard
	floorJSON = "floor-json" // encoding/json into a plain {entries:[{id,action}]} struct
	slackGo   = "slack-go"   // slack-go's GetAuditLogsContext paging loop
	idle      = "idle"       // does nothing: the runtime's own peak RSS, for reference
)

// throughputContenders are measured at every page size, in this order
// (rotated from run to run).
var throughputContenders = []string{ours, cli, floorRead, floorJSON, slackGo}

// childResult is what a child measures about itself, printed as one JSON
// line on its stdout.
type childResult struct {
	Contender string `json:"contender"`
	// Entries is how many entries the contender iterated, touching each
	// one's id and action; -1 when it cannot tell (floor-read never parses).
	Entries int64 `json:"entries"`
	// Touched is the sum of len(id)+len(action) over the entries, so that
	// the work cannot be skipped.
	Touched int64 `json:"touched"`
	// Pages is how many pages it fetched; -1 when it cannot tell.
	Pages int64 `json:"pages"`
	// Seconds is the time from building the client to the end of the last
	// page, measured inside the child.
	Seconds float64 `json:"seconds"`
	// AllocBytes and Mallocs are the runtime.MemStats deltas (TotalAlloc,
	// Mallocs) over that time.
	AllocBytes uint64 `json:"alloc_bytes"`
	Mallocs    uint64 `json:"mallocs"`
	NumGC      uint32 `json:"num_gc"`
	// CPUSeconds is the process's user+system CPU time over that time
	// (getrusage), all threads included.
	CPUSeconds float64 `json:"cpu_seconds"`
	// SelfHWMKiB is VmHWM (the kernel's high-water mark of this process's
	// resident set) from /proc/self/status, read after the last page: the
	// contender's peak RSS.
	SelfHWMKiB int64 `json:"self_hwm_kib"`
}

// measure runs one contender in this process and measures it.
func measure(ctx context.Context, name, baseURL string, limit int) (childResult, error) {
	run, ok := map[string]func(context.Context, string, int, *childResult) error{
		ours:      runOurs,
		floorRead: runFloorRead,
		floorJSON: runFloorJSON,
		slackGo:   runSlackGo,
		idle:      func(context.Context, string, int, *childResult) error { return nil },
	}[name]
	if !ok {
		return childResult{}, fmt.Errorf("unknown contender %q", name)
	}
	res := childResult{Contender: name, Entries: -1, Pages: -1}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	cpu0, start := selfCPU(), time.Now()
	err := run(ctx, baseURL, limit, &res)
	res.Seconds = time.Since(start).Seconds()
	res.CPUSeconds = (selfCPU() - cpu0).Seconds()
	runtime.ReadMemStats(&after)
	res.AllocBytes = after.TotalAlloc - before.TotalAlloc
	res.Mallocs = after.Mallocs - before.Mallocs
	res.NumGC = after.NumGC - before.NumGC
	res.SelfHWMKiB = readHWM("self")
	return res, err
}

// runOurs iterates every entry with the library's AllLogs.
func runOurs(ctx context.Context, baseURL string, limit int, res *childResult) error {
	c, err := auditlogs.New(auditlogstest.DefaultToken,
		auditlogs.WithBaseURL(baseURL),
		auditlogs.WithRateLimit(0, 0)) // throughput: no client-side limit
	if err != nil {
		return err
	}
	var n, touched int64
	for e, err := range c.AllLogs(ctx, auditlogs.LogsParams{Limit: limit}) {
		if err != nil {
			return err
		}
		n++
		touched += int64(len(e.ID) + len(e.Action))
	}
	res.Entries, res.Touched = n, touched
	return nil
}

// runSlackGo iterates every entry with slack-go's GetAuditLogsContext,
// following next_cursor.
func runSlackGo(ctx context.Context, baseURL string, limit int, res *childResult) error {
	// slack-go appends "audit/v1/logs" to the audit URL: give it the root.
	root := strings.TrimSuffix(baseURL, strings.TrimPrefix(auditlogstest.BasePath, "/"))
	api := slack.New(auditlogstest.DefaultToken, slack.OptionAuditAPIURL(root))
	var n, touched, pages int64
	cursor := ""
	for {
		entries, next, err := api.GetAuditLogsContext(ctx, slack.AuditLogParameters{Limit: limit, Cursor: cursor})
		if err != nil {
			return err
		}
		pages++
		for i := range entries {
			n++
			touched += int64(len(entries[i].ID) + len(entries[i].Action))
		}
		if next == "" {
			break
		}
		cursor = next
	}
	res.Entries, res.Touched, res.Pages = n, touched, pages
	return nil
}

// get fetches one page with plain net/http and hands the response to read.
func get(ctx context.Context, hc *http.Client, baseURL string, limit int, cursor string, read func(*http.Response) error) error {
	q := url.Values{"limit": {strconv.Itoa(limit)}}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+"logs?"+q.Encode(), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+auditlogstest.DefaultToken)
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET logs: %s", resp.Status)
	}
	if err := read(resp); err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, resp.Body) // to EOF, so the connection is reused
	return err
}

var cursorKey = []byte(`"next_cursor":"`)

// runFloorRead is the floor of reading: each page's body is read into one
// reused buffer and thrown away; the only thing looked at is next_cursor,
// found with bytes.LastIndex (it is at the end of the body). No JSON is
// parsed and no entry is seen.
func runFloorRead(ctx context.Context, baseURL string, limit int, res *childResult) error {
	hc := &http.Client{}
	var buf bytes.Buffer
	var pages int64
	cursor := ""
	for {
		err := get(ctx, hc, baseURL, limit, cursor, func(r *http.Response) error {
			buf.Reset()
			_, err := buf.ReadFrom(r.Body)
			return err
		})
		if err != nil {
			return err
		}
		pages++
		if cursor = nextCursor(buf.Bytes()); cursor == "" {
			break
		}
	}
	res.Pages = pages
	return nil
}

// nextCursor finds next_cursor in a page's body with bytes.LastIndex (it is
// at the end of the body), without parsing the JSON; "" if there is none.
func nextCursor(b []byte) string {
	if i := bytes.LastIndex(b, cursorKey); i >= 0 {
		rest := b[i+len(cursorKey):]
		if j := bytes.IndexByte(rest, '"'); j >= 0 {
			return string(rest[:j])
		}
	}
	return ""
}

// plainPage is the floor of decoding: only what a caller of this benchmark
// touches, and the cursor.
type plainPage struct {
	Entries []struct {
		ID     string `json:"id"`
		Action string `json:"action"`
	} `json:"entries"`
	ResponseMetadata struct {
		NextCursor string `json:"next_cursor"`
	} `json:"response_metadata"`
}

// runFloorJSON decodes each page with encoding/json straight from the
// response body into a plainPage (reused from page to page).
func runFloorJSON(ctx context.Context, baseURL string, limit int, res *childResult) error {
	hc := &http.Client{}
	var p plainPage
	var n, touched, pages int64
	cursor := ""
	for {
		err := get(ctx, hc, baseURL, limit, cursor, func(r *http.Response) error {
			p.ResponseMetadata.NextCursor = ""
			p.Entries = p.Entries[:0]
			return json.NewDecoder(r.Body).Decode(&p)
		})
		if err != nil {
			return err
		}
		pages++
		for i := range p.Entries {
			n++
			touched += int64(len(p.Entries[i].ID) + len(p.Entries[i].Action))
		}
		if p.ResponseMetadata.NextCursor == "" {
			break
		}
		cursor = p.ResponseMetadata.NextCursor
	}
	res.Entries, res.Touched, res.Pages = n, touched, pages
	return nil
}

// childMain is the runner re-executed as a child: it measures one contender
// and prints its childResult as a JSON line.
func childMain(name, baseURL string, limit int) int {
	if baseURL == "" && name != idle {
		fmt.Fprintln(os.Stderr, "bench child: -url is required")
		return 2
	}
	res, err := measure(context.Background(), name, baseURL, limit)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench child %s: %v\n", name, err)
		return 1
	}
	if err := json.NewEncoder(os.Stdout).Encode(res); err != nil {
		fmt.Fprintf(os.Stderr, "bench child %s: %v\n", name, err)
		return 1
	}
	return 0
}

// readHWM returns VmHWM (peak resident set size, KiB) from
// /proc/<pid>/status, or -1 if it cannot be read (not Linux, or the process
// is gone).
func readHWM(pid string) int64 {
	b, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return -1
	}
	v, err := statusField(b, "VmHWM:")
	if err != nil {
		return -1
	}
	return v
}

// statusField reads a "Name:   123 kB" line of a /proc status file.
func statusField(status []byte, name string) (int64, error) {
	for line := range bytes.Lines(status) {
		if rest, ok := bytes.CutPrefix(line, []byte(name)); ok {
			f := strings.Fields(string(rest))
			if len(f) == 0 {
				break
			}
			return strconv.ParseInt(f[0], 10, 64)
		}
	}
	return 0, errors.New(name + " not found")
}
