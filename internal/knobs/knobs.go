// Package knobs turns off pieces of the client's performance machinery, for
// the benchmark only (cd bench && go run . -scenario pieces), so that what
// each piece saves is measured by running without it. Nothing else sets
// them; they are read without synchronisation, so set them before the first
// client is built.
package knobs

var (
	// OffHeap keeps AllLogs's page storage outside the Go heap.
	OffHeap = true
	// SplitAhead splits a gzip page on a second goroutine while it inflates.
	SplitAhead = true
	// DecodeWorkers is the most goroutines that decode a page's entries.
	DecodeWorkers = 4
	// StringCache lets the entry decoder reuse strings that recur.
	StringCache = true
	// GeneratedDecoder decodes entries with the generated decoder; off,
	// every entry goes to go-json-experiment.
	GeneratedDecoder = true
)
