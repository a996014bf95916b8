package auditlogs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"

	"github.com/slackaudit/auditlogs/flex"
	"github.com/slackaudit/auditlogs/gen"
)

// The typed parts of an Entry, generated from api/openapi.yaml.
type (
	// Actor is who performed an action: Actor.Type, and Actor.User for a user.
	Actor = gen.Actor
	// Entity is the object acted on: Entity.Type names it, and the field of
	// that name holds its payload (Entity.Channel for "channel"). The payload
	// of a type the spec does not know is in Entry.Lookup("entity", type).
	Entity = gen.Entity
	// Context is where and how the action happened: location, user agent,
	// IP address, session, app.
	Context = gen.Context
	// Details holds the fields specific to an action.
	Details = gen.Details
)

// The types of the fields whose JSON type varies between events.
type (
	// Scalar is a string or a number kept as text (context.session_id).
	Scalar = flex.Scalar
	// Strings is a string list sent as an array or as a JSON-encoded string
	// (details.succeeded_users).
	Strings = flex.Strings
	// Value is a setting's value (details.new_value): a string, a string
	// array or an object of string arrays.
	Value = flex.Value
)

// Entry is one audit event: an actor took an action on an entity within a
// context. The fields of the embedded gen.AuditEntry give the typed view
// (e.ID, e.Action, e.DateCreate, e.Actor, e.Entity, e.Context, e.Details);
// Raw and MarshalJSON give the exact bytes the server sent, unknown fields
// included.
//
// Decoding is tolerant: a field whose JSON type is not the expected one is
// left zero in the typed view and never fails the entry or its page.
type Entry struct {
	gen.AuditEntry
	raw json.RawMessage
}

// Raw returns the exact JSON the server sent for this entry. The caller must
// not modify it.
func (e *Entry) Raw() json.RawMessage { return e.raw }

// Time returns DateCreate as a time.Time.
func (e *Entry) Time() time.Time { return time.Unix(e.DateCreate, 0) }

// MarshalJSON returns the entry as the server sent it. An Entry built in
// code, with no raw bytes, is encoded from its typed fields.
func (e Entry) MarshalJSON() ([]byte, error) {
	if len(e.raw) > 0 {
		return e.raw, nil
	}
	return json.Marshal(e.AuditEntry)
}

// UnmarshalJSON decodes an entry tolerantly and keeps a copy of data.
func (e *Entry) UnmarshalJSON(data []byte) error {
	return e.decode(bytes.Clone(data))
}

// decode fills e from data, which it keeps without copying: the caller must
// not modify data afterwards.
//
// It tries the generated decoder first (see fastDecoder), then the general
// one, strict. Only if both fail (a member of an unexpected type, say) does
// it decode again in the tolerant mode of encoding/json: members that do
// not fit are left zero, the rest decoded.
func (e *Entry) decode(data []byte) error { return e.decodeWith(data, &fastDecoder{}) }

// decodeWith is decode with the given fast decoder, which a goroutine
// decoding many entries keeps (see newFastDecoder).
func (e *Entry) decodeWith(data []byte, fast *fastDecoder) error {
	e.raw = data
	e.AuditEntry = gen.AuditEntry{}
	if fast.decode(data, &e.AuditEntry) {
		return nil
	}
	e.AuditEntry = gen.AuditEntry{}
	if jsonv2.Unmarshal(data, &e.AuditEntry, strictOptions) == nil {
		return nil
	}
	e.AuditEntry = gen.AuditEntry{}
	err := jsonv2.Unmarshal(data, &e.AuditEntry, tolerantOptions)
	var typeErr *jsonv1.UnmarshalTypeError
	if err == nil || errors.As(err, &typeErr) {
		return nil // any member of an unexpected type is left zero
	}
	return fmt.Errorf("auditlogs: decode entry: %w", err)
}

// The general decoder's options. go-json-experiment/json (the code behind
// the standard library's coming encoding/json/v2) decodes the entries the
// generated decoder gives up on, and is the reference it is tested against.
var (
	// splitOptions reads a page: Slack's JSON is taken as sent, duplicate
	// names and invalid UTF-8 included.
	splitOptions = jsonv2.JoinOptions(jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	// strictOptions stops at the first member of an unexpected type.
	strictOptions = splitOptions
	// tolerantOptions goes on past members of an unexpected type, as
	// encoding/json does, reporting the first at the end.
	tolerantOptions = jsonv2.JoinOptions(splitOptions, jsonv1.ReportErrorsWithLegacySemantics(true))
)

// Lookup returns the raw JSON found by following path through nested
// objects of the entry as sent, and whether it was there. It reaches fields
// the typed view does not know:
//
//	e.Lookup("details", "some_new_field")
//	e.Lookup("entity", e.Entity.Type) // the payload, whatever the type
//
// The result is a copy. Where a name appears twice in an object, the last
// one counts, as in encoding/json.
func (e *Entry) Lookup(path ...string) (json.RawMessage, bool) {
	start, end := 0, len(e.raw)
	for i, key := range path {
		s := splitter{data: e.raw[:end], pos: start}
		s.ws()
		var ok bool
		if start, end, ok = s.lookup(key); !ok {
			return nil, false
		}
		if i == 0 && s.end() != nil { // the entry goes on after its object
			return nil, false
		}
	}
	if start == end {
		return nil, false
	}
	return bytes.Clone(e.raw[start:end]), true
}

// lookup reads the object at s.pos and returns the bounds of the value of
// its member key, the last one if there are several.
func (s *splitter) lookup(key string) (start, end int, found bool) {
	if !s.consume('{') {
		return 0, 0, false
	}
	for first := true; ; first = false {
		s.ws()
		if s.consume('}') {
			return start, end, found
		}
		if !first {
			if !s.consume(',') {
				return 0, 0, false
			}
			s.ws()
		}
		nameStart := s.pos
		if s.str() != nil {
			return 0, 0, false
		}
		name := s.data[nameStart+1 : s.pos-1]
		s.ws()
		if !s.consume(':') {
			return 0, 0, false
		}
		s.ws()
		valueStart := s.pos
		if s.value() != nil {
			return 0, 0, false
		}
		if nameIs(name, key) {
			start, end, found = valueStart, s.pos, true
		}
	}
}

// nameIs reports whether a member name, given as it stands between its
// quotes, is key once decoded.
func nameIs(name []byte, key string) bool {
	if simpleText(name) {
		return string(name) == key // no allocation
	}
	return memberName(name) == key
}

// memberName returns a member name, given as it stands between its quotes,
// decoded.
func memberName(name []byte) string {
	if simpleText(name) {
		return string(name)
	}
	var decoded string
	_ = json.Unmarshal(append(append([]byte{'"'}, name...), '"'), &decoded)
	return decoded
}
