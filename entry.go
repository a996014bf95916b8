package auditlogs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/slackaudit/auditlogs/flex"
	"github.com/slackaudit/auditlogs/gen"
	"github.com/slackaudit/auditlogs/internal/entrydecode"
	"github.com/slackaudit/auditlogs/internal/jsonsplit"
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

// Time returns DateCreate as a time.Time in UTC, whatever the machine's
// time zone, so that it prints the same everywhere.
func (e *Entry) Time() time.Time { return time.Unix(e.DateCreate, 0).UTC() }

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
// not modify data afterwards. Decoding is tolerant (see
// entrydecode.Decode): only JSON that is not an object fails.
func (e *Entry) decode(data []byte) error { return e.decodeWith(data, nil) }

// decodeWith is decode with the given decoder, which a goroutine decoding
// many entries keeps (see entrydecode.New).
func (e *Entry) decodeWith(data []byte, d *entrydecode.Decoder) error {
	e.raw = data
	if err := entrydecode.Decode(data, &e.AuditEntry, d); err != nil {
		return fmt.Errorf("auditlogs: decode entry: %w", err)
	}
	return nil
}

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
	start, end, ok := jsonsplit.Lookup(e.raw, path...)
	if !ok {
		return nil, false
	}
	return bytes.Clone(e.raw[start:end]), true
}
