package auditlogs

import (
	"bytes"
	"encoding/json"
	"net/url"
	"testing"

	"github.com/slackaudit/auditlogs/internal/genclient"
)

// FuzzDecodePage feeds arbitrary bodies to the page decoder: it must never
// panic, must accept only JSON objects (FuzzPageValidation says which), and
// every entry it yields must decode without error.
func FuzzDecodePage(f *testing.F) {
	f.Add([]byte(`{"ok":true,"entries":[{"id":"a","date_create":1,"action":"x"}],"response_metadata":{"next_cursor":"c="}}`))
	f.Add([]byte(`{"entries":[],"response_metadata":{}}`))
	f.Add([]byte(`{"entries":{"id":"a"},"response_metadata":[]}`))
	f.Add([]byte(`{"entries":[1,"x",null,{"id":5}],"warning":"w"}`))
	f.Add([]byte(`{"entries":[{"id":"a"`))
	f.Add([]byte(`[{"id":"a"}]`))
	f.Add([]byte(`{"entries":[{"id":"\u00e9\ud800","actor":{"user":{"id":1}}}],"entries":[{"id":"b"}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		page, err := decodePage(body, nil)
		trimmed := bytes.TrimSpace(body)
		isObject := json.Valid(body) && len(trimmed) > 0 && trimmed[0] == '{'
		if err != nil {
			return
		}
		if !isObject {
			t.Fatalf("decodePage accepted a body that is not a JSON object: %q", body)
		}
		// Which entries it finds is FuzzSplitPage's check, against jsontext:
		// encoding/json would match "entrieS" too, since it ignores case.
		for _, raw := range page.Entries {
			var e Entry
			if err := e.decode(raw); err != nil {
				t.Fatalf("entry %q: %v", raw, err)
			}
			if _, err := json.Marshal(e); err != nil && json.Valid(raw) {
				t.Fatalf("entry %q does not marshal back: %v", raw, err)
			}
		}
	})
}

// FuzzEntry: any valid JSON decodes as an entry without error (fields of
// an unexpected type are left zero), and the entry keeps the bytes as sent.
func FuzzEntry(f *testing.F) {
	f.Add([]byte(`{"id":"a","date_create":"x","context":{"session_id":{"a":1}},"details":{"new_value":5,"succeeded_users":"[1"}}`))
	f.Add([]byte(`{"id":1,"actor":[],"entity":{"type":"user","user":"U1"}}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"details":{"exporting_team_id":1e400}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var e Entry
		err := e.decode(raw)
		if json.Valid(raw) && err != nil {
			t.Fatalf("valid JSON %q failed to decode: %v", raw, err)
		}
		if !bytes.Equal(e.Raw(), raw) {
			t.Fatalf("Raw() = %q, want %q", e.Raw(), raw)
		}
	})
}

// FuzzCursor: any cursor reaches the server intact, URL-encoded, with the
// filters beside it.
func FuzzCursor(f *testing.F) {
	for _, c := range []string{"dXNlcjpVMEc5V0ZYTlo=", "a+b/c==", "x&limit=1", "100%", " ", "é\x00"} {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, cursor string) {
		p := LogsParams{Cursor: cursor, Action: "user_login"}
		req, err := genclient.NewGetLogsRequest("https://api.slack.com/audit/v1/", p.query())
		if err != nil {
			t.Fatal(err)
		}
		q, err := url.ParseQuery(req.URL.RawQuery)
		if err != nil {
			t.Fatalf("query %q: %v", req.URL.RawQuery, err)
		}
		if cursor != "" && (len(q["cursor"]) != 1 || q.Get("cursor") != cursor) {
			t.Fatalf("cursor %q arrived as %q (query %q)", cursor, q["cursor"], req.URL.RawQuery)
		}
		if q.Get("action") != "user_login" || q.Get("limit") != "9999" {
			t.Fatalf("filters lost: %q", req.URL.RawQuery)
		}
	})
}
