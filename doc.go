// Package auditlogs is a client for Slack's Audit Logs API
// (https://api.slack.com/audit/v1/): the audit trail of an Enterprise Grid
// organization, paged newest first, plus the lists of object types and
// actions the API knows.
//
// A Client authenticates with a token, retries connection errors, 429 and
// 5xx (go-retryablehttp), paces its calls under Slack's Tier 3 budget with a
// client-side rate limiter, returns typed errors, pages with iterators, and
// decodes losslessly: every Entry keeps the exact bytes the server sent.
//
// This package is the library's API for calling Slack. The types of an
// entry are generated from api/openapi.yaml into package gen (models only);
// package flex holds the types of fields whose JSON type varies; package
// auditlogstest is a fake Slack for tests. The machinery behind the API
// lives in internal/: genclient builds the requests, jsonsplit splits
// pages, entrydecode decodes entries, pagestore holds page bodies, inflate
// reads gzip, ratelimit paces calls, drift compares entries with the spec.
package auditlogs
