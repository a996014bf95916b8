// Package auditlogs is a client for Slack's Audit Logs API
// (https://api.slack.com/audit/v1/): the audit trail of an Enterprise Grid
// organization, paged newest first, plus the lists of object types and
// actions the API knows.
//
// A Client adds what the generated client in package gen lacks: token
// authentication, retries of connection errors, 429 and 5xx on
// go-retryablehttp, a client-side rate limiter that keeps a bulk pull under
// Slack's Tier 3 budget, typed errors, a pagination iterator, and lossless
// decoding (every Entry keeps the exact bytes the server sent).
//
// This package is the library's whole API. The types of an entry are
// generated from api/openapi.yaml into package gen; the machinery behind
// the API lives in internal/: jsonsplit splits pages, entrydecode decodes
// entries, pagestore holds page bodies, inflate reads gzip, ratelimit paces
// calls, drift compares entries with the spec.
package auditlogs
