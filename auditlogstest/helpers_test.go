package auditlogstest_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/slackaudit/auditlogs/auditlogstest"
)

// page is a /logs answer as a test reads it.
type page struct {
	OK               *bool             `json:"ok"`
	Entries          []json.RawMessage `json:"entries"`
	ResponseMetadata *struct {
		NextCursor *string `json:"next_cursor"`
	} `json:"response_metadata"`
}

func (p page) nextCursor() string {
	if p.ResponseMetadata == nil || p.ResponseMetadata.NextCursor == nil {
		return ""
	}
	return *p.ResponseMetadata.NextCursor
}

// lastPageStyle names how a last page said so.
func (p page) lastPageStyle() string {
	switch {
	case p.ResponseMetadata == nil:
		return "missing"
	case p.ResponseMetadata.NextCursor == nil:
		return "empty object"
	default:
		return "empty cursor"
	}
}

// fields is what the tests read from an entry.
type fields struct {
	ID         string `json:"id"`
	DateCreate int64  `json:"date_create"`
	Action     string `json:"action"`
	Actor      struct {
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	} `json:"actor"`
	Entity map[string]json.RawMessage `json:"entity"`
}

func parse(t testing.TB, raw json.RawMessage) fields {
	t.Helper()
	var f fields
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatalf("entry is not valid: %v: %s", err, raw)
	}
	return f
}

func (f fields) entityID() string {
	var typ string
	_ = json.Unmarshal(f.Entity["type"], &typ)
	var payload struct {
		ID json.RawMessage `json:"id"`
	}
	_ = json.Unmarshal(f.Entity[typ], &payload)
	var s string
	if json.Unmarshal(payload.ID, &s) == nil {
		return s
	}
	return string(payload.ID)
}

// get sends a GET with the token (none if empty) and reads the whole answer.
func get(t testing.TB, c *http.Client, u, token string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading the body: %v", u, err)
	}
	return resp, body
}

// plainClient asks for plain bodies: its transport sends no Accept-Encoding
// (compression has tests of its own, in gzip_test.go).
var plainClient = &http.Client{Transport: &http.Transport{DisableCompression: true}}

// logs fetches one /logs page, which must succeed.
func logs(t testing.TB, srv *auditlogstest.Server, q url.Values) page {
	t.Helper()
	resp, body := get(t, plainClient, srv.URL+"logs?"+q.Encode(), auditlogstest.DefaultToken)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET logs?%s: %d %s", q.Encode(), resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	if resp.ContentLength != int64(len(body)) {
		t.Errorf("Content-Length %d for a body of %d bytes", resp.ContentLength, len(body))
	}
	var p page
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("page is not valid JSON: %v", err)
	}
	return p
}

// all pages through a query. With resend, every request repeats the query's
// filters, as a client should.
func all(t testing.TB, srv *auditlogstest.Server, q url.Values, resend bool) (entries []json.RawMessage, pages []page) {
	t.Helper()
	cur := q
	for range 100000 {
		p := logs(t, srv, cur)
		entries = append(entries, p.Entries...)
		pages = append(pages, p)
		next := p.nextCursor()
		if next == "" {
			return entries, pages
		}
		if resend {
			cur = url.Values{}
			for k, v := range q {
				cur[k] = v
			}
		} else {
			cur = url.Values{}
			if l := q.Get("limit"); l != "" {
				cur.Set("limit", l)
			}
		}
		cur.Set("cursor", next)
	}
	t.Fatal("pagination does not end")
	return nil, nil
}

// errorCode checks an error answer's status and code.
func errorCode(t testing.TB, resp *http.Response, body []byte, status int, code string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d (body %s)", resp.StatusCode, status, body)
	}
	var e struct {
		OK    *bool  `json:"ok"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body %q is not JSON: %v", body, err)
	}
	if e.OK == nil || *e.OK || e.Error != code {
		t.Fatalf("error body %s, want ok false and error %q", body, code)
	}
}

func equalEntries(t testing.TB, got, want []json.RawMessage) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d entries, want %d", len(got), len(want))
	}
	for i := range got {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("entry %d differs:\n got %s\nwant %s", i, got[i], want[i])
		}
	}
}

func readAll(resp *http.Response) ([]byte, error) {
	defer resp.Body.Close()
	return io.ReadAll(resp.Body)
}

func base64Decode(s string) ([]byte, error) { return base64.StdEncoding.DecodeString(s) }

func base64Encode(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
