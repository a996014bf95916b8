package auditlogs

import (
	"fmt"

	"github.com/slackaudit/auditlogs/internal/drift"
)

// DriftFinding is one place where an audit entry differs from the API
// description this version of the library was generated from
// (api/openapi.yaml): Slack sent something the spec does not describe.
type DriftFinding struct {
	// Kind says what differs: DriftUnknownField, DriftUnexpectedType or
	// DriftUnknownType.
	Kind DriftKind
	// Path is the place: member names from the entry's root joined by
	// dots, with [] for the elements of an array, such as
	// "details.rules_checked[].title", "context.device_id" or, for
	// unknown_type, "entity.<type>" and "actor.<type>".
	Path string
	// Seen is the JSON types found there: "string", "integer", "number",
	// "boolean", "array", "object" or "null" (3 is an integer, 1.5 a
	// number).
	Seen []string
	// Spec is the JSON types the spec allows there (an integer is allowed
	// where it says number); empty for unknown_field and unknown_type.
	Spec []string
}

// DriftKind is the kind of a DriftFinding. Its value is the name the
// auditlogs drift command prints, such as "unknown_field".
type DriftKind string

// The kinds of DriftFinding.
const (
	// DriftUnknownField is a member the spec does not describe.
	DriftUnknownField DriftKind = drift.KindUnknownField
	// DriftUnexpectedType is a JSON type the spec does not allow there, null
	// included.
	DriftUnexpectedType DriftKind = drift.KindUnexpectedType
	// DriftUnknownType is an entity.type or actor.type whose payload the
	// spec does not describe.
	DriftUnknownType DriftKind = drift.KindUnknownType
)

// CheckDrift reports what in one audit entry, given as its JSON (such as
// Entry.Raw returns), the API description this version of the library was
// generated from does not describe: unknown members at any depth, JSON
// types the description does not allow, and entity or actor types it has
// no payload for (whose payload it then does not look into). Where the
// description allows anything, nothing is reported. A member found in
// several elements of an array is reported once. Slack adds fields and
// types without notice, and decoding an Entry tolerates them; CheckDrift is
// for logging them, as the auditlogs drift command does for many entries.
//
// It returns an error only if entry is not a well-formed JSON object.
func CheckDrift(entry []byte) ([]DriftFinding, error) {
	fs, err := drift.Check(entry)
	if err != nil {
		return nil, fmt.Errorf("auditlogs: check drift: %w", err)
	}
	out := make([]DriftFinding, len(fs))
	for i, f := range fs {
		out[i] = DriftFinding{Kind: DriftKind(f.Kind), Path: f.Path, Seen: f.Seen, Spec: f.Spec}
	}
	return out, nil
}
