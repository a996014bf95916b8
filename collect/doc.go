// Package collect follows Slack's audit logs: it reads GET /logs as closed
// time windows, delivers every event to a Sink of the caller's with a
// Checkpoint to store, resumes from that checkpoint after a stop or a
// crash, and reads each window once more, a lookback later, to find the
// events Slack indexed late. It uses only the public API of package
// auditlogs (Client.Pages), through the caller's Client, whose rate limiter
// it shares; it knows nothing of files or terminals and reports through its
// sink, its checkpoint and log/slog.
//
//	col := collect.New(client, sink, collect.WithLookback(30*time.Minute))
//	err := col.Run(ctx, lastCheckpoint) // nil: a new collection
//
// # Windows
//
// A first read takes the window [W, min(now-settle, W+maxWindow)], where W
// is the watermark, both ends included, and pages through it newest first
// with the cursor. Each page is one Batch, delivered with the checkpoint
// that holds after it (the cursor moved on; after the last page, the window
// closed and the watermark moved to its latest second). Consecutive windows
// share their boundary second, so no event falls between two; the events of
// that second delivered by the first are skipped by the second.
//
// # De-duplication
//
// An event stands for its id in a hash: the first 56 bits of the SHA-256 of
// the id's raw JSON bytes, as sent (ids that differ only in invalid UTF-8
// are two events; an entry without an id is hashed whole). A closed window
// that awaits its re-read (a span) keeps the hashes of every event with a
// date_create in its range known delivered, boundary duplicates included;
// an event is skipped when a span covering its second, or the window being
// read, holds its hash. An event is checked against the hashes of the
// windows covering its second (one window's events, more or less), so the
// odds that a new event is wrongly skipped are n/2^56 for n such hashes:
// even with n = 100,000 (an hour at 100,000 events an hour), 1 in 700
// billion an event, or about once in 800 years of such traffic.
//
// # Lookback
//
// Slack's index is eventually consistent, and it documents no bound on the
// lag: an event may show up in /logs minutes after its date_create, after
// the first read of its window has paged past its place. So each span is
// read again once now >= its latest second + lookback, through the same
// client and rate limiter. Re-reads cost at most as many calls as first
// reads: due spans next to each other are read in one re-read window (at
// most maxWindow long), and when events are few, a window that closes joins
// the span before it (while the two span at most a quarter of the lookback
// and hold at most 2,000 hashes), so that one re-read covers several
// windows, a little later than each needs. In steady state, with the
// defaults (1 minute windows, 30 minutes of lookback), that is 0.14 re-read
// calls per first-read call at 900 events an hour (a re-read every 7.5
// minutes) and about one at 100,000 events an hour (see
// BenchmarkRereadCost). New events found are delivered (Batch.Reread,
// Batch.Late), logged one record each (id, date_create, lateness, window)
// and counted in Stats; the span is
// then dropped. The lateness of an event is a lower bound: how long after
// its date_create the first read of its window began (for merged windows,
// the least such time that holds for all of them). When an event comes
// late by half the lookback or more, the collector warns (at most once an
// hour): a longer lateness would go unnoticed.
//
// A window first read when it is already a lookback old (a backfill) is not
// read again: what was visible within the lookback was visible then. With
// a lookback of 0 nothing is read again, and the checkpoint keeps only the
// hashes of the last boundary second. A lookback no longer than the settle
// delay finds nothing, since every window is first read settle after its
// end.
//
// # Guarantees
//
// Every event visible in /logs at some moment no later than its date_create
// plus the lookback is delivered, once the collector has run long enough
// after that moment. The sink decides the rest: one that stores the
// checkpoint with (or after) the entries and cuts back to it on restart (a
// file cut to a recorded size, a transaction, a table keyed by id) gets
// every event exactly once; any other gets at least once.
//
// A refused cursor (auditlogs.ErrInvalidCursor, ErrRepeatedCursor) restarts
// the window without a duplicate for any sink: pages come newest first, so
// every event above the lowest date_create m seen in the window was
// delivered; the window goes on as [oldest, m], skipping the events of
// second m it holds the hashes of. Restarts are counted and logged.
//
// Entries whose date_create is missing, not a number, or outside the
// window asked for are delivered all the same, de-duplicated by id within
// the window, counted (Batch.Odd, Stats.Odd) and warned of once a window.
//
// # Checkpoint
//
// A Checkpoint is JSON, versioned, and bounded by the events of one
// lookback (plus at most 2,000, in a merged span): their hashes are packed 7 bytes each, base64-encoded, one
// string per span. With 100,000 events an hour and a 1 h lookback it is
// 945 KB, and one save (MarshalJSON, write, fsync, rename) takes about 4 ms
// (BenchmarkCheckpointSave). Validate refuses a checkpoint no collector
// wrote, naming the field.
//
// # Errors and stopping
//
// Run retries errors that may pass (network, 5xx, 429, a cut or malformed
// body) after a pause that doubles from the interval up to 15 minutes, and
// returns the others at once: a refused token, invalid parameters, any
// error of the sink. Cancelling its context stops a request in flight, a
// pause or a backoff at once; since the client hands over only whole,
// validated pages and the sink has the checkpoint of the last page it took,
// nothing is lost. Memory holds one page and the hash sets.
package collect
