// Package filesink keeps what auditlogs tail writes to disk: the output
// file, where a collection's events go as JSON lines, and the state file,
// which holds the collector's checkpoint (opaque JSON, package collect's)
// and what is needed to go on from it: the filters, the endpoint and
// organization, the output's path, identity and offset, the last error.
//
// Its promises, with a collector that delivers each page with the
// checkpoint that holds after it:
//
//   - exactly once in the output: a page is appended in one write(2) and
//     fsynced before the state that counts it is saved; a restart cuts the
//     output back to the saved offset (and goes on from the saved
//     checkpoint), but only when the file is the one the state recorded;
//   - one collection per state and per output: both are locked with
//     flock(2) on their inodes, whatever names lead to them;
//   - a state tail did not write is refused, naming the file and the field;
//   - disk writes in proportion to the output: the state is saved once the
//     output written since holds as many bytes as the state, and no journal
//     is kept;
//   - rotation (logrotate's create and copytruncate modes, a file moved,
//     replaced or deleted) keeps every event once across the files: see
//     rotate.go.
//
// Errors name what failed: *OutputError and *StateError.
package filesink
