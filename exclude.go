package auditlogs

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/slackaudit/auditlogs/internal/jsonsplit"
)

// Excluding actions on our side: Slack's action filter takes one name (or a
// list of at most 30), so "everything but these" is filtered here, after
// each page arrives. A page's entries then skip the excluded events, and its
// Excluded field counts them; its Raw body is still exactly what the server
// sent, excluded events included.

func (p LogsParams) validateExcluded() error {
	for i, a := range p.ExcludeActions {
		if strings.TrimSpace(a) == "" {
			return fmt.Errorf("%w: ExcludeActions[%d] is an empty action name", ErrInvalidParams, i)
		}
	}
	return nil
}

// dropExcluded removes the entries whose action is in exclude, in place,
// and returns the entries kept and how many were dropped.
func dropExcluded(entries []json.RawMessage, exclude []string) ([]json.RawMessage, int) {
	if len(exclude) == 0 {
		return entries, 0
	}
	kept := entries[:0]
	for _, raw := range entries {
		if !slices.Contains(exclude, rawAction(raw)) {
			kept = append(kept, raw)
		}
	}
	dropped := len(entries) - len(kept)
	clear(entries[len(kept):]) // nothing refers to the dropped entries' bytes
	return kept, dropped
}

// rawAction returns the top-level "action" string of a raw entry, or "" if
// it has none (or not a string).
func rawAction(raw []byte) string {
	start, end, ok := jsonsplit.Lookup(raw, "action")
	if !ok || end-start < 2 || raw[start] != '"' {
		return ""
	}
	return jsonsplit.MemberName(raw[start+1 : end-1]) // a string's contents decode as a name's do
}
