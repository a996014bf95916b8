package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/slack-go/slack"

	"github.com/slackaudit/auditlogs"
	"github.com/slackaudit/auditlogs/auditlogstest"
)

// pageBody builds a last page of n synthetic entries (no next_cursor), as
// the fake serves it.
func pageBody(tb testing.TB, n int) []byte {
	tb.Helper()
	return auditlogstest.LogsBody(auditlogstest.Synthetic(n, 1), "")
}

// memTransport answers every request with the same page, from memory: the
// benchmarks of the library go through its public API (HTTP client,
// retries layer, body reading, page decoding) without a network. With
// gzip, the page is gzip-compressed, as the fake sends it in gzip mode.
type memTransport struct {
	body []byte
	gzip bool
}

func (t memTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	h := http.Header{"Content-Type": {"application/json"}}
	if t.gzip {
		h.Set("Content-Encoding", "gzip")
	}
	return &http.Response{
		Status: "200 OK", StatusCode: http.StatusOK,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        h,
		Body:          io.NopCloser(bytes.NewReader(t.body)),
		ContentLength: int64(len(t.body)),
		Request:       req,
	}, nil
}

// gzipped compresses b as the fake does (compress/gzip, default level).
func gzipped(tb testing.TB, b []byte) []byte {
	tb.Helper()
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	if _, err := zw.Write(b); err != nil {
		tb.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return out.Bytes()
}

func memClient(tb testing.TB, t memTransport) *auditlogs.Client {
	tb.Helper()
	c, err := auditlogs.New(auditlogstest.DefaultToken,
		auditlogs.WithBaseURL("http://bench.invalid/audit/v1/"), auditlogs.WithPlainHTTP(true), // in memory
		auditlogs.WithHTTPClient(&http.Client{Transport: t}),
		auditlogs.WithRateLimit(0, 0))
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// BenchmarkDecodePage decodes one page of 1,000 or 9,999 entries and touches
// each entry's id and action, from the page's JSON (wire=plain) or from its
// gzip (wire=gzip: the library inflates with klauspost/compress, the others
// with compress/gzip, as Go's transport does for them):
//
//   - ours-Logs: Client.Logs, the whole page decoded into []Entry (what the
//     CLI does), through an in-memory http.RoundTripper;
//   - ours-AllLogs: Client.AllLogs over the same one-page answer (entries
//     decoded one at a time as they are yielded);
//   - slack-go: encoding/json's Decoder into slack.AuditLogResponse, which
//     is what slack-go's GetAuditLogsContext does with the response body;
//   - plain: encoding/json's Decoder into a struct of only id and action,
//     the floor.
//
// Compare with: go test -run '^$' -bench DecodePage -count 10 | benchstat -col /impl -
func BenchmarkDecodePage(b *testing.B) {
	for _, n := range []int{1000, 9999} {
		for _, wire := range []string{modePlain, modeGzip} {
			benchmarkDecodePage(b, n, wire)
		}
	}
}

func benchmarkDecodePage(b *testing.B, n int, wire string) {
	body := pageBody(b, n)
	sent := body
	if wire == modeGzip {
		sent = gzipped(b, body)
	}
	// open is what Go's transport hands slack-go and the floor: the body,
	// inflated by compress/gzip in gzip mode.
	open := func(b *testing.B) io.Reader {
		if wire == modePlain {
			return bytes.NewReader(body)
		}
		zr, err := gzip.NewReader(bytes.NewReader(sent))
		if err != nil {
			b.Fatal(err)
		}
		return zr
	}
	run := func(impl string, f func(b *testing.B) int) {
		b.Run(fmt.Sprintf("entries=%d/wire=%s/impl=%s", n, wire, impl), func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if touched := f(b); touched == 0 {
					b.Fatal("nothing decoded")
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "entries/s")
		})
	}
	ctx := context.Background()
	c := memClient(b, memTransport{body: sent, gzip: wire == modeGzip})
	run("ours-Logs", func(b *testing.B) int {
		page, err := c.Logs(ctx, auditlogs.LogsParams{Limit: n})
		if err != nil || len(page.Entries) != n {
			b.Fatalf("%d entries, %v", len(page.Entries), err)
		}
		touched := 0
		for i := range page.Entries {
			touched += len(page.Entries[i].ID) + len(page.Entries[i].Action)
		}
		return touched
	})
	run("ours-AllLogs", func(b *testing.B) int {
		touched, got := 0, 0
		for e, err := range c.AllLogs(ctx, auditlogs.LogsParams{Limit: n}) {
			if err != nil {
				b.Fatal(err)
			}
			got++
			touched += len(e.ID) + len(e.Action)
		}
		if got != n {
			b.Fatalf("%d entries", got)
		}
		return touched
	})
	run("ours-RawPages", func(b *testing.B) int {
		touched := 0
		for page, err := range c.RawPages(ctx, auditlogs.LogsParams{Limit: n}) {
			if err != nil || len(page.Entries) != n {
				b.Fatalf("%v", err)
			}
			for _, raw := range page.Entries {
				touched += len(raw)
			}
		}
		return touched
	})
	run("slack-go", func(b *testing.B) int {
		var resp slack.AuditLogResponse
		if err := json.NewDecoder(open(b)).Decode(&resp); err != nil || len(resp.Entries) != n {
			b.Fatalf("%d entries, %v", len(resp.Entries), err)
		}
		touched := 0
		for i := range resp.Entries {
			touched += len(resp.Entries[i].ID) + len(resp.Entries[i].Action)
		}
		return touched
	})
	run("plain", func(b *testing.B) int {
		var p plainPage
		if err := json.NewDecoder(open(b)).Decode(&p); err != nil || len(p.Entries) != n {
			b.Fatalf("%d entries, %v", len(p.Entries), err)
		}
		touched := 0
		for i := range p.Entries {
			touched += len(p.Entries[i].ID) + len(p.Entries[i].Action)
		}
		return touched
	})
}

// TestContenders runs every in-process contender against a small fake and
// checks that each reads every entry, at a page size that divides the
// corpus and at one that does not.
func TestContenders(t *testing.T) {
	const n = 2500
	srv, err := newServer(auditlogstest.WithSynthetic(n, 1))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.close()
	var want int64
	for _, e := range srv.fake.Entries() {
		want += int64(len(e)) // at least the entries' bytes are sent
	}
	for _, name := range []string{ours, floorRead, floorJSON, slackGo} {
		for _, tc := range []struct {
			limit int
			mode  string
		}{{500, modePlain}, {1000, modePlain}, {500, modeGzip}, {1000, modeGzip}} {
			limit := tc.limit
			before := srv.stats()
			res, err := measure(context.Background(), name, srv.url(tc.mode), limit)
			if err != nil {
				t.Fatalf("%s limit %d: %v", name, limit, err)
			}
			after := srv.stats()
			if res.Entries != -1 && res.Entries != n {
				t.Errorf("%s limit %d: %d entries, want %d", name, limit, res.Entries, n)
			}
			if res.Entries > 0 && res.Touched == 0 {
				t.Errorf("%s: touched nothing", name)
			}
			pages := int64((n + limit - 1) / limit)
			if res.Pages != -1 && res.Pages != pages {
				t.Errorf("%s limit %d: %d pages, want %d", name, limit, res.Pages, pages)
			}
			if got := after.EntriesServed - before.EntriesServed; got != n {
				t.Errorf("%s limit %d: server sent %d entries, want %d", name, limit, got, n)
			}
			if got := after.LogsBytes - before.LogsBytes; tc.mode == modePlain && got < want || got <= 0 {
				t.Errorf("%s limit %d: server counted %d body bytes, want at least %d", name, limit, got, want)
			}
			if zipped, pages := after.Gzipped-before.Gzipped, after.LogsRequests-before.LogsRequests; tc.mode == modeGzip && zipped != pages ||
				tc.mode == modePlain && zipped != 0 {
				t.Errorf("%s limit %d %s: %d of %d pages gzipped", name, limit, tc.mode, zipped, pages)
			}
			if res.Seconds <= 0 || res.Mallocs == 0 {
				t.Errorf("%s: not measured: %+v", name, res)
			}
		}
	}
}

func TestStatusField(t *testing.T) {
	status := []byte("Name:\tbench\nVmPeak:\t  123 kB\nVmHWM:\t   4567 kB\nVmRSS:\t 89 kB\n")
	if v, err := statusField(status, "VmHWM:"); err != nil || v != 4567 {
		t.Fatalf("VmHWM = %d, %v", v, err)
	}
	if _, err := statusField(status, "VmSwap:"); err == nil {
		t.Fatal("no error for a missing field")
	}
}
