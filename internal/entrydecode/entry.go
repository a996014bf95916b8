package entrydecode

import (
	"errors"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"

	"github.com/slackaudit/auditlogs/gen"
	"github.com/slackaudit/auditlogs/internal/knobs"
)

// The general decoder's options. go-json-experiment/json (the code behind
// the standard library's coming encoding/json/v2) decodes the entries the
// generated decoders give up on, and is the reference they are tested
// against.
var (
	// strict takes Slack's JSON as sent, duplicate names and invalid UTF-8
	// included, and stops at the first member of an unexpected type.
	strict = jsonv2.JoinOptions(jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	// tolerant goes on past members of an unexpected type, as encoding/json
	// does, reporting the first at the end.
	tolerant = jsonv2.JoinOptions(strict, jsonv1.ReportErrorsWithLegacySemantics(true))
)

// Decode decodes data into v, which it zeroes first, tolerantly: it tries
// d's generated decoders (nil: a Decoder without cache), then the general
// decoder, strict. Only if both fail (a member of an unexpected type, say)
// does it decode again in the tolerant mode of encoding/json: members that
// do not fit are left zero, the rest decoded. The error is that of JSON
// that is not valid, or not an object.
func Decode(data []byte, v *gen.AuditEntry, d *Decoder) error {
	if d == nil {
		d = &Decoder{}
	}
	*v = gen.AuditEntry{}
	if knobs.GeneratedDecoder && d.Fast(data, v) {
		return nil
	}
	*v = gen.AuditEntry{}
	if jsonv2.Unmarshal(data, v, strict) == nil {
		return nil
	}
	*v = gen.AuditEntry{}
	err := jsonv2.Unmarshal(data, v, tolerant)
	var typeErr *jsonv1.UnmarshalTypeError
	if err == nil || errors.As(err, &typeErr) {
		return nil // any member of an unexpected type is left zero
	}
	return err
}
