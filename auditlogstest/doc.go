// Package auditlogstest is a fake of Slack's Audit Logs API, in the spirit of
// net/http/httptest, for tests, demos and benchmarks: NewServer starts one on
// a loopback address, and its URL is the base URL to give a client in place
// of https://api.slack.com/audit/v1/. NewHandler builds one without a
// listener, to mount its Handler in an http.Server of one's own.
//
// The fake is built on the ServerInterface generated from the project's
// OpenAPI document (package gen), so it binds the parameters the spec
// describes, and it behaves like Slack where a client can tell:
//
//   - GET /logs, /schemas and /actions under /audit/v1/; any other path gets
//     404 unknown_method, any method but GET and HEAD 405 method_not_allowed.
//   - /logs needs "Authorization: Bearer <token>" (DefaultToken unless
//     WithToken says otherwise): 401 not_authed without it, 401 invalid_auth
//     with a wrong one. /schemas and /actions need no token.
//   - /logs filters with latest and oldest (inclusive Unix seconds), action
//     (one name, or several separated by commas), actor (actor.user.id) and
//     entity (the id of the entity's payload), all combined with AND; limit
//     is 1 to 9999 (default 100), anything else 400 invalid_arguments.
//   - Entries come newest first, exactly as stored, in pages linked by a
//     cursor: padded standard base64 (so it may hold "+", "/" and "="), that
//     encodes only a position. Like Slack's, it does not remember the
//     filters: a client that does not send them again with the cursor runs
//     past its window. A cursor the server cannot read gets 400
//     invalid_cursor. The last page says so in the three ways Slack does:
//     next_cursor "", "response_metadata":{} or no response_metadata.
//   - Bodies are laid out as Slack's: a /logs page is
//     {"entries":[...],"response_metadata":{"next_cursor":"..."}}, with no
//     "ok" member (WithOK(true) adds "ok":true in front); /schemas is
//     {"schemas":[...]}; /actions is Slack's own recorded answer,
//     {"actions":{"<category>":[...]}}, and every action of the synthetic
//     corpus is one of its names.
//   - Rate limiting (WithRateLimit) answers 429 ratelimited with Retry-After.
//   - Every answer, errors included, is gzip-compressed when the request
//     accepts gzip (Go's transport asks for it by itself), with Vary:
//     Accept-Encoding; WithGzip(false) turns that off, WithGzipLevel sets
//     the level, and WithGzipCache keeps each page's gzip for benchmarks.
//
// Faults (WithFaults, Server.SetFaults) inject what goes wrong in production,
// reproducibly: 429s, 5xx with an HTML body, connections cut before the
// answer or in the middle of the body, slow answers, refused cursors and 401s
// with an empty body. Stats counts what the server did. WithLateEvents makes
// a share of events show up only some time after their date_create, as an
// eventually consistent index does, to test that a collector finds them.
//
// Synthetic makes a realistic, deterministic corpus of entries (also served
// by WithSynthetic); WithEntries serves entries of one's own.
package auditlogstest
