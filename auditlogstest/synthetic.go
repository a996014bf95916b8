package auditlogstest

import (
	"encoding/json"

	"github.com/slackaudit/auditlogs/internal/synthetic"
)

// SyntheticEpoch is the fixed instant (2026-01-01T00:00:00Z, Unix seconds)
// that synthetic entries end at: they span about 30 days before it, so the
// corpus is the same whatever the clock says.
const SyntheticEpoch int64 = synthetic.Epoch

// Synthetic returns n realistic synthetic audit entries, newest first (by
// date_create, ties by id descending: the order the server serves them in),
// as compact JSON. The same n and seed always give the same bytes, whatever
// the Go version or the clock: the entries span about 30 days before
// SyntheticEpoch, in a fixed organization (enterprise E0ORG1234 "Acme Corp",
// four workspaces, 50 users, 16 channels, 8 apps), and every action is one
// of Slack's (see the /actions answer).
//
// The corpus is made to exercise a client: it covers every entity type Slack
// documents plus one it does not ("salesforce_record"), puts unknown fields at
// every level of a few entries, lets several entries share a second, uses a
// non-UUID id now and then, and varies the shapes Slack varies
// (context.session_id as number, string, null or missing, details.succeeded_users
// as array or JSON-in-a-string, new_value/previous_value as string, array or
// object, empty ua and ip_address, empty file types and titles, integers beyond
// 32 bits, details.reason as a list and as a string, anomaly events with
// action_timestamp in microseconds and in milliseconds and their other details,
// the USLACKUSER and USLACKSECURITY actors, Slackbot acting for a user). Every
// entity type and variant appears once n is at least 64. Entries average about
// 700 bytes. n <= 0 gives an empty, non-nil slice.
func Synthetic(n int, seed int64) []json.RawMessage {
	return synthetic.Corpus(n, seed)
}

// LogsBody returns a GET /logs answer holding entries and nextCursor, laid
// out as Slack and the fake (by default) serve one: for tests and benchmarks
// that decode a page without a server.
func LogsBody(entries []json.RawMessage, nextCursor string) []byte {
	return synthetic.Body(entries, nextCursor)
}
