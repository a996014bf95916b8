// Package knobs turns off pieces of the client's performance machinery, for
// the benchmark only (cd bench && go run . -scenario pieces), so that what
// each piece saves is measured by running without it. Nothing else sets
// them; they are read without synchronisation, so set them before the first
// client is built.
package knobs

var (
	// StringCache lets the entry decoder reuse strings that recur.
	StringCache = true
	// GeneratedDecoder decodes entries with the generated decoder; off,
	// every entry goes to go-json-experiment.
	GeneratedDecoder = true
)
