package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/slackaudit/auditlogs"
)

var logsSpec = cmdSpec{
	name: "logs",
	synopsis: "[--oldest TIME] [--latest TIME] [--action NAME[,NAME...]] [--actor ID[,ID...]] [--entity ID[,ID...]] " +
		"[--exclude-action NAME[,NAME...]] [--max N] [--format json|table|csv] [--out FILE]",
	about: `Print the audit events that match the filters, once, newest first, and exit.

Output streams page by page, so memory stays flat however many events there
are. json writes JSON Lines: every event exactly as Slack sent it, one a line
(jsonl is the old name of this format). table is for a person: time in UTC,
action, actor's email or ID, entity as type:name-or-ID, IP address; its
column widths are measured on the first page, at most 40 characters, and kept
(a longer cell ends in …). csv has a header row (date_create, time, id,
action, actor_id, actor_email, entity_type, entity_id, entity_name, workspace,
ip_address, user_agent); a cell that starts with =, +, -, @, a tab or a
carriage return gets a ' before it, so that a spreadsheet does not run it as a
formula (OWASP's advice against CSV injection).

--action, --actor, --entity and --exclude-action take a list: names separated
by commas, or the flag given again; the names add up. Slack's action filter
takes up to 30 names in one call, so more make one call for each group of 30;
Slack's actor and entity filters take one ID, so several make one call for
each. The events of these calls are merged, newest first, and none is
repeated (an event has one action, one actor, one entity). Every call costs
rate limit budget.

TIME is RFC 3339 (2025-01-31T08:00:00Z), a date (2025-01-31, midnight UTC),
Unix seconds (1738310400), a duration back from now (90m, 24h, 7d, 1d12h,
2w), or now. Both ends are inclusive.

With --out FILE, the events go to a temporary file beside FILE (.FILE.*.tmp),
which replaces FILE only once every page has been read and written to disk:
after an error or an interruption, FILE is as it was and the temporary file
is removed. (FILE that is not a regular file, such as /dev/stdout or a pipe,
is written directly.)

On a terminal, stderr shows the progress of a long pull and ends with a
summary (events, their time range, pages); a filter that matches nothing
says so there.`,
	examples: `  auditlogs logs --demo --format table
  auditlogs logs --oldest 24h --action user_login,user_logout --format table
  auditlogs logs --oldest 2025-01-01 --latest 2025-02-01 --out january.jsonl
  auditlogs logs --oldest 7d --actor W0123ABCDE --actor W0456FGHIJ --format csv --out actors.csv
  auditlogs logs --max 1 | jq .
  auditlogs logs --oldest 24h --exclude-action user_login --exclude-action user_logout   # everything but logins`,
}

func runLogs(ctx context.Context, e *env, args []string) int {
	var g globalFlags
	f := filterFlags{multi: true}
	var r rangeFlags
	var maxEntries int
	var format string
	fs := newFlagSet(logsSpec, &g)
	f.register(fs)
	r.register(fs, clock)
	intVar(fs, &maxEntries, "max", 0, 0, math.MaxInt, "stop after `N` entries (default 0: all)")
	formatVar(fs, &format, "", []string{formatJSON, formatTable, formatCSV}, map[string]string{"jsonl": formatJSON},
		"json (JSON Lines), table or csv (default table when stdout is a terminal, else json)")
	outFile := fs.String("out", "", "write to `FILE` (mode 0600), replacing it only once every event is written (see above)")
	if ok, code := parseFlags(e, fs, logsSpec, &g, args); !ok {
		return code
	}
	if err := f.check(); err != nil {
		return usageError(e, "logs", "%v", err)
	}
	if err := r.check(); err != nil {
		return usageError(e, "logs", "%v", err)
	}
	if format == "" {
		format = formatJSON
		if *outFile == "" && isTerminal(e.stdout) {
			format = formatTable
		}
	}

	ci, code := newClient(e, &g, true)
	if code != 0 {
		return code
	}
	defer ci.close()

	var dst io.Writer = e.stdout
	var out *atomicFile
	if *outFile != "" {
		var err error
		if out, err = createAtomic(*outFile); err != nil {
			fmt.Fprintf(e.stderr, "auditlogs: cannot create --out %s: %v\n", quoteArg(*outFile), pathErr(err))
			return exitError
		}
		defer out.abort()
		dst = out.f
	}
	w, err := newEntryWriter(format, dst)
	if err != nil {
		fmt.Fprintf(e.stderr, "auditlogs: write: %v\n", err)
		return exitError
	}
	if out != nil {
		w = fileWriter{w, out.f}
	}

	calls := f.params(auditlogs.LogsParams{Oldest: r.oldest.t, Latest: r.latest.t})
	for i := range calls {
		if calls[i].Limit == 0 && maxEntries > 0 {
			calls[i].Limit = min(maxEntries, auditlogs.MaxLimit) // do not fetch 9999 to show 10
		}
	}
	prog := newProgress(ci, e.stderr, out == nil && isTerminal(e.stdout))
	st, err := pull(ctx, ci, calls, maxEntries, w, prog)
	prog.done()
	if err == nil && out != nil {
		err = out.commit()
	}
	if err != nil {
		return reportError(e, err, ci)
	}
	if ci.stderrTTY {
		fmt.Fprintln(e.stderr, "auditlogs: "+st.summary())
	}
	return exitOK
}

// pullStats is what a pull wrote: for the summary line.
type pullStats struct {
	entries, pages int
	newest, oldest int64 // date_create of the first and last entries written
}

// summary is "120 events, from 2025-01-30T08:00:00Z to 2025-01-31T08:00:00Z,
// 2 pages", or says that nothing matched.
func (s *pullStats) summary() string {
	if s.entries == 0 {
		return fmt.Sprintf("no events match the filters (%s read)", plural(s.pages, "page"))
	}
	return fmt.Sprintf("%s, from %s to %s, %s", plural(s.entries, "event"), unixText(s.oldest), unixText(s.newest), plural(s.pages, "page"))
}

func unixText(sec int64) string { return time.Unix(sec, 0).UTC().Format(time.RFC3339) }

// wrote records that raw was written; entries come newest first.
func (s *pullStats) wrote(raw json.RawMessage, date int64, known bool) {
	if !known {
		date = dateOf(raw)
	}
	if s.entries == 0 {
		s.newest = date
	}
	s.oldest = date
	s.entries++
}

// dateOf returns an entry's date_create, 0 if it has none.
func dateOf(raw []byte) int64 { return orderOf(raw).date }

// order is where an entry comes in a pull: newest first, and of one second
// the greatest id first, as Slack and auditlogstest send them.
type order struct {
	date int64
	id   string
}

// before reports whether o comes before p.
func (o order) before(p order) bool { return o.date > p.date || o.date == p.date && o.id > p.id }

func orderOf(raw []byte) order {
	var v struct {
		DateCreate int64  `json:"date_create"`
		ID         string `json:"id"`
	}
	json.Unmarshal(raw, &v) // an entry without them comes last: it is still written
	return order{v.DateCreate, v.ID}
}

// outputError is a failure to write the output, not to read the API.
type outputError struct{ err error }

func (e *outputError) Error() string { return "write: " + e.err.Error() }
func (e *outputError) Unwrap() error { return e.err }

// pull writes the events of calls to w, newest first, up to maxEntries (0:
// all). One call's pages come undecoded: JSON Lines copies the server's
// bytes, and only the formats for people decode each entry. Several calls'
// events are merged (see mergePages).
func pull(ctx context.Context, ci *clientInfo, calls []auditlogs.LogsParams, maxEntries int, w entryWriter, prog *progress) (pullStats, error) {
	var st pullStats
	if len(calls) > 1 {
		err := mergePages(ctx, ci, calls, maxEntries, w, prog, &st)
		return st, err
	}
	for page, err := range ci.RawPages(ctx, calls[0]) {
		if err != nil {
			return st, err
		}
		st.pages++
		before := st.entries
		for i, raw := range page.Entries {
			if maxEntries > 0 && st.entries >= maxEntries {
				break
			}
			if err := w.WriteRaw(raw); err != nil {
				return st, &outputError{err}
			}
			// Only the first and the last entries' dates matter: read them
			// alone.
			if st.entries == 0 || i == len(page.Entries)-1 || (maxEntries > 0 && st.entries == maxEntries-1) {
				st.wrote(raw, 0, false)
			} else {
				st.entries++
			}
		}
		if err := w.EndPage(); err != nil {
			return st, &outputError{err}
		}
		prog.page(st.entries-before, "")
		if maxEntries > 0 && st.entries >= maxEntries {
			break
		}
	}
	return st, nil
}

// source is one call's pages, pulled one at a time.
type source struct {
	next func() (*auditlogs.RawPage, error, bool)
	page []json.RawMessage
	keys []order
	i    int
	done bool
}

// fill makes sure s has an entry in hand, unless its pages are over.
func (s *source) fill(st *pullStats) error {
	for !s.done && s.i >= len(s.page) {
		rp, err, ok := s.next()
		if !ok {
			s.done, s.page = true, nil
			return nil
		}
		if err != nil {
			return err
		}
		st.pages++
		s.page, s.i = rp.Entries, 0
		s.keys = s.keys[:0]
		for _, raw := range rp.Entries {
			s.keys = append(s.keys, orderOf(raw))
		}
	}
	return nil
}

// mergePages pulls several calls' pages side by side and writes their
// entries merged, newest first (each call's come newest first). A page of
// the output ends whenever a call needs its next page.
func mergePages(ctx context.Context, ci *clientInfo, calls []auditlogs.LogsParams, maxEntries int, w entryWriter,
	prog *progress, st *pullStats) error {
	srcs := make([]*source, len(calls))
	for i, p := range calls {
		next, stop := iter.Pull2(ci.RawPages(ctx, p))
		defer stop()
		srcs[i] = &source{next: next}
	}
	written := 0
	endPage := func() error {
		if err := w.EndPage(); err != nil {
			return &outputError{err}
		}
		prog.page(st.entries-written, "")
		written = st.entries
		return nil
	}
	for maxEntries == 0 || st.entries < maxEntries {
		var best *source
		for _, s := range srcs {
			if s.i >= len(s.page) && !s.done {
				if st.entries > written {
					if err := endPage(); err != nil {
						return err
					}
				}
				if err := s.fill(st); err != nil {
					return err
				}
			}
			if s.i < len(s.page) && (best == nil || s.keys[s.i].before(best.keys[best.i])) {
				best = s
			}
		}
		if best == nil {
			break
		}
		if err := w.WriteRaw(best.page[best.i]); err != nil {
			return &outputError{err}
		}
		st.wrote(nil, best.keys[best.i].date, true)
		best.i++
	}
	return endPage()
}

// atomicFile is an output file written beside its name and renamed onto it
// once complete, so that a failed run leaves the old file as it was.
type atomicFile struct {
	f      *os.File
	name   string // the file to replace; "" when f is it (not a regular file)
	closed bool
}

// createAtomic opens the temporary file for name (mode 0600), or name
// itself when it exists and is not a regular file (/dev/stdout, a pipe).
func createAtomic(name string) (*atomicFile, error) {
	if fi, err := os.Stat(name); err == nil && !fi.Mode().IsRegular() {
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_TRUNC, 0)
		if err != nil {
			return nil, err
		}
		return &atomicFile{f: f}, nil
	}
	f, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*.tmp")
	if err != nil {
		return nil, err
	}
	return &atomicFile{f: f, name: name}, nil
}

// commit syncs the temporary file to disk and renames it onto the name.
func (a *atomicFile) commit() error {
	a.closed = true
	if a.name == "" {
		return a.f.Close()
	}
	err := a.f.Sync()
	if cerr := a.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(a.f.Name(), a.name)
	}
	if err != nil {
		os.Remove(a.f.Name())
		return &outputError{pathErr(err)}
	}
	if d, err := os.Open(filepath.Dir(a.name)); err == nil {
		d.Sync() // the rename itself reaches the disk (not every system can sync a directory)
		d.Close()
	}
	return nil
}

// abort removes the temporary file, unless commit ran.
func (a *atomicFile) abort() {
	if a.closed {
		return
	}
	a.closed = true
	a.f.Close()
	if a.name != "" {
		os.Remove(a.f.Name())
	}
}

// pathErr drops an *os.PathError's operation and path, which the message
// around it names better.
func pathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
