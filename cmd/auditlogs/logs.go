package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/slackaudit/auditlogs"
)

var logsSpec = cmdSpec{
	name:     "logs",
	synopsis: "[--oldest T] [--latest T] [--action A] [--actor U] [--entity E] [--exclude-action A,B] [--max N] [--format jsonl|table|csv] [--out FILE]",
	about: `Print the audit events that match the filters, once, newest first, and exit.

Output streams page by page, so memory stays flat however many events there
are. jsonl writes every event exactly as Slack sent it, one a line; table is
for a person (time in UTC, action, actor's email or ID, entity as
type:name-or-ID, IP address); csv has a header row (date_create, time, id,
action, actor_id, actor_email, entity_type, entity_id, entity_name, workspace,
ip_address, user_agent).

A time T is RFC 3339 (2025-01-31T08:00:00Z), a date (2025-01-31, midnight
UTC), Unix seconds (1738310400), a duration back from now (90m, 24h, 7d, 2w),
or now. Both ends are inclusive. With --out, the file is written as the pages
come: after an error it holds the pages read so far (and the exit code is 1).`,
	examples: `  auditlogs logs --demo --format table
  auditlogs logs --oldest 24h --action user_login --format table
  auditlogs logs --oldest 2025-01-01 --latest 2025-02-01 --out january.jsonl
  auditlogs logs --oldest 7d --actor W0123ABCDE --format csv > actor.csv
  auditlogs logs --max 1 | jq .
  auditlogs logs --oldest 24h --exclude-action user_login,user_logout   # everything but logins`,
}

func runLogs(ctx context.Context, e *env, args []string) int {
	var g globalFlags
	var f filterFlags
	oldest, latest := &timeFlag{now: clock}, &timeFlag{now: clock}
	fs := newFlagSet(logsSpec, &g)
	f.register(fs)
	fs.Var(oldest, "oldest", "only events at or after `T`")
	fs.Var(latest, "latest", "only events at or before `T`")
	maxEntries := fs.Int("max", 0, "stop after `N` entries (default: all)")
	format := fs.String("format", "", "jsonl, table or csv (default table when stdout is a terminal, else jsonl)")
	outFile := fs.String("out", "", "write to `FILE` (created or truncated, mode 0600) instead of stdout")
	if ok, code := parseFlags(e, fs, logsSpec, &g, args); !ok {
		return code
	}
	if err := f.check(); err != nil {
		return usageError(e, "logs", "%v", err)
	}
	if *maxEntries < 0 {
		return usageError(e, "logs", "--max must be 0 (all) or more")
	}
	if !oldest.t.IsZero() && !latest.t.IsZero() && oldest.t.Unix() > latest.t.Unix() {
		return usageError(e, "logs", "--oldest %s is after --latest %s", oldest, latest)
	}
	if *format == "" {
		*format = formatJSONL
		if *outFile == "" && isTerminal(e.stdout) {
			*format = formatTable
		}
	}
	if *format != formatJSONL && *format != formatTable && *format != formatCSV {
		return usageError(e, "logs", "unknown --format %s: use jsonl, table or csv", quoteArg(*format))
	}

	ci, code := newClient(e, &g, true)
	if code != 0 {
		return code
	}
	defer ci.close()

	var dst io.Writer = e.stdout
	var file *os.File
	if *outFile != "" {
		var err error
		file, err = os.OpenFile(*outFile, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			fmt.Fprintf(e.stderr, "auditlogs: cannot create --out file: %v\n", err)
			return exitError
		}
		defer file.Close()
		dst = file
	}
	w, err := newEntryWriter(*format, dst)
	if err != nil {
		return usageError(e, "logs", "%v", err)
	}
	if file != nil {
		w = fileWriter{w, file}
	}

	p := auditlogs.LogsParams{
		Oldest: oldest.t, Latest: latest.t, Limit: f.limit,
		Action: f.action, Actor: f.actor, Entity: f.entity, ExcludeActions: f.excluded(),
	}
	if p.Limit == 0 && *maxEntries > 0 {
		p.Limit = min(*maxEntries, auditlogs.MaxLimit) // do not fetch 9999 to show 10
	}
	prog := newProgress(ci, e.stderr, file == nil && isTerminal(e.stdout))
	n, err := pull(ctx, ci, p, *maxEntries, w, prog)
	prog.done()
	if err == nil && file != nil {
		if err = file.Sync(); err == nil {
			err = file.Close()
		}
	}
	if err != nil {
		return reportError(e, err, ci)
	}
	if n == 0 && ci.stderrTTY {
		fmt.Fprintln(e.stderr, "auditlogs: no events match")
	}
	return exitOK
}

// pull writes the events p matches to w, page by page, up to maxEntries (0:
// all), and returns how many it wrote. Pages come undecoded: JSON Lines
// copies the server's bytes, and only the formats for people decode each
// entry.
func pull(ctx context.Context, ci *clientInfo, p auditlogs.LogsParams, maxEntries int, w entryWriter, prog *progress) (int, error) {
	n := 0
	for page, err := range ci.RawPages(ctx, p) {
		if err != nil {
			return n, err
		}
		before := n
		for _, raw := range page.Entries {
			if maxEntries > 0 && n >= maxEntries {
				break
			}
			if err := w.WriteRaw(raw); err != nil {
				return n, fmt.Errorf("write: %w", err)
			}
			n++
		}
		if err := w.EndPage(); err != nil {
			return n, fmt.Errorf("write: %w", err)
		}
		prog.page(n-before, "")
		if maxEntries > 0 && n >= maxEntries {
			break
		}
	}
	return n, nil
}
