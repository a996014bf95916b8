package auditlogs

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// The verdicts of page validation (checkPage).
const (
	verdictPage      = "page"
	verdictNotOK     = "ok false with an error code"
	verdictMalformed = "malformed"
	verdictCursor    = "cursor too long"
)

// referenceVerdict is page validation written with jsontext, the general
// decoder: the oracle FuzzPageValidation compares decodePage with.
func referenceVerdict(body []byte) string {
	dec := jsontext.NewDecoder(bytes.NewReader(body), jsonv2.JoinOptions(jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true)))
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return verdictMalformed
	}
	var hasEntries, notOK bool
	var code, cursor string
	for dec.PeekKind() != '}' {
		tok, err := dec.ReadToken()
		if err != nil {
			return verdictMalformed
		}
		name := tok.String() // before ReadValue, which reuses the token's storage
		v, err := dec.ReadValue()
		if err != nil {
			return verdictMalformed
		}
		switch name {
		case "entries":
			hasEntries = hasEntries || v.Kind() == '['
		case "ok":
			notOK = string(v) == "false"
		case "error":
			_ = json.Unmarshal(v, &code)
		case "response_metadata":
			var meta struct {
				NextCursor string `json:"next_cursor"`
			}
			_ = json.Unmarshal(v, &meta)
			cursor = meta.NextCursor
		}
	}
	if _, err := dec.ReadToken(); err != nil {
		return verdictMalformed
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		return verdictMalformed
	}
	switch {
	case notOK && code != "":
		return verdictNotOK
	case !hasEntries:
		return verdictMalformed
	case len(cursor) > MaxCursorLen:
		return verdictCursor
	}
	return verdictPage
}

// verdict is what decodePage made of body.
func verdict(t *testing.T, body []byte) string {
	_, err := decodePage(body, nil)
	var be *bodyError
	switch {
	case err == nil:
		return verdictPage
	case errors.Is(err, errNotOK) && errors.As(err, &be) && !be.retryable:
		return verdictNotOK
	case errors.Is(err, ErrMalformedResponse) && errors.As(err, &be) && be.retryable:
		return verdictMalformed
	case errors.Is(err, ErrCursorTooLong) && errors.As(err, &be) && !be.retryable:
		return verdictCursor
	}
	t.Fatalf("decodePage(%q): unexpected error %v", body, err)
	return ""
}

// TestPageValidation: a 2xx body that is not a /logs page is never taken
// for one (issue 16, row 1).
func TestPageValidation(t *testing.T) {
	tests := []struct{ body, want string }{
		{`{"ok":true,"entries":[{"id":"a"}],"response_metadata":{"next_cursor":"c"}}`, verdictPage},
		{`{"entries":[]}`, verdictPage},
		{`{"ok":false,"entries":[],"warning":"superfluous_charset"}`, verdictPage}, // success is the status's
		{`{"ok":false,"error":"invalid_auth"}`, verdictNotOK},
		{`{"ok":false,"error":"ratelimited","entries":[{}]}`, verdictNotOK},
		{`{"\u006fk":false,"err\u006fr":"token_revoked"}`, verdictNotOK},
		{`{}`, verdictMalformed},
		{`{"ok":true}`, verdictMalformed},
		{`{"ok":false}`, verdictMalformed},
		{`{"ok":false,"error":""}`, verdictMalformed},
		{`{"ok":false,"error":5}`, verdictMalformed},
		{`[]`, verdictMalformed},
		{`[{"id":"a"}]`, verdictMalformed},
		{`"entries"`, verdictMalformed},
		{`null`, verdictMalformed},
		{`{"entries":null}`, verdictMalformed},
		{`{"entries":{}}`, verdictMalformed},
		{`{"entries":"[]"}`, verdictMalformed},
		{`{"entries":[1,"x",null]}`, verdictPage}, // delivered as they are: see checkPage
		{`{"entrieS":[{}]}`, verdictMalformed},
		{`{"\u0065ntries":[{}]}`, verdictPage},
		{`{"entries":[],"response_metadata":{"next_cursor":"` + strings.Repeat("c", MaxCursorLen) + `"}}`, verdictPage},
		{`{"entries":[],"response_metadata":{"next_cursor":"` + strings.Repeat("c", MaxCursorLen+1) + `"}}`, verdictCursor},
	}
	for _, tt := range tests {
		if got := verdict(t, []byte(tt.body)); got != tt.want {
			t.Errorf("%.80s: %s, want %s", tt.body, got, tt.want)
		}
		if ref := referenceVerdict([]byte(tt.body)); ref != tt.want {
			t.Errorf("%.80s: the reference says %s, want %s", tt.body, ref, tt.want)
		}
	}
}

// FuzzPageValidation: on any body, decodePage's verdict (a page, Slack's
// error, malformed) is the reference's, and it never panics.
func FuzzPageValidation(f *testing.F) {
	for _, s := range []string{
		`{"ok":true,"entries":[{"id":"a"}],"response_metadata":{"next_cursor":"c"}}`,
		`{"ok":false,"error":"invalid_auth"}`, `{}`, `[]`, `{"entries":[1]}`, `{"entries":{}}`,
		`{"ok":false,"error":"x","ok":true,"entries":[{}],"entries":5}`, `{"\u0065ntries":[{},{"a":[]}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if got, want := verdict(t, body), referenceVerdict(body); got != want {
			t.Fatalf("decodePage: %s, reference: %s, on %q", got, want, body)
		}
	})
}
