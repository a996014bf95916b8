package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/slackaudit/auditlogs"
	"github.com/slackaudit/auditlogs/internal/drift"
)

// defaultDriftMax is how many entries drift pulls from /logs by default.
const defaultDriftMax = 10000

var driftSpec = cmdSpec{
	name: "drift",
	synopsis: "[--from FILE[,FILE...] | --oldest TIME --latest TIME --action NAME[,NAME...] --actor ID[,ID...] --entity ID[,ID...] --max N] " +
		"[--format table|json]",
	about: `Report what audit events carry that the API description auditlogs was built
from (api/openapi.yaml) does not describe: what to add to the spec when Slack
changes the API.

With --from, it reads events from FILE, JSON Lines as 'auditlogs logs' and
'auditlogs tail' write them (one event a line; - reads stdin; blank lines are
skipped); several files, separated by commas or with --from given again, are
read one after the other. No token and no network are needed then. Without
--from, it pulls up to --max events from /logs with the filters of 'auditlogs
logs' (lists too), and also reads /schemas (unless --schemas=false).

What it reports, each with the JSON types seen there, the types the spec
allows, the number of events with it and the id of one of them:
  unknown_field         a member the spec does not describe, at any depth
  unexpected_type       a JSON type the spec does not allow there, null included
  unknown_type          an entity.type or actor.type the spec has no payload for,
                        at entity.<type> or actor.<type> (its payload is not
                        looked into)
  schema_unknown_type   a type /schemas lists that the spec has no entity
                        payload for, at entity.<type>
  schema_unknown_field  a field /schemas lists that the spec's payload of its
                        type lacks, at entity.<type>.<field>

A path is member names from the event's root joined by dots, with [] for the
elements of an array: details.rules_checked[].title, entity.channel.is_shared.
The JSON types are string, integer, number, boolean, array, object and null:
3 is an integer, 1.5 a number, and an integer is fine where the spec says
number. Where the spec allows anything, nothing is reported.

The schema_ findings compare Slack's catalog, not events: /schemas names some
fields differently from the events that carry them, so read them as a hint
of where to look, and confirm with events (drift --from) before changing the
spec. For them, seen holds Slack's type descriptions, such as
"Optional: vec<string>", and count the number of /schemas entries.

--format json prints one object:
  {"entries": N, "findings": [{"kind": K, "path": P, "seen": [...],
   "spec": [...], "count": C, "example_id": ID}]}
seen and spec are always arrays of strings (empty when there is nothing to
list), and example_id is "" when there is none.`,
	exits: "0 nothing found, 3 something found (for cron and CI to alert on), " +
		"1 runtime or API error (also a line of --from that is not an event), 2 usage error",
	examples: `  auditlogs drift --demo
  auditlogs logs --oldest 7d --out week.jsonl && auditlogs drift --from week.jsonl
  auditlogs drift --from /var/log/slack-audit.jsonl --format json   # what tail collected
  auditlogs logs --demo | auditlogs drift --from -
  auditlogs drift --oldest 24h --max 50000 --format json | jq '.findings[].path'
  auditlogs drift --action anomaly --schemas=false || echo "the spec needs work"`,
}

// driftSource are the flags that pull from Slack, which --from excludes.
var driftSource = []string{"oldest", "latest", "action", "actor", "entity", "exclude-action", "limit", "max", "schemas",
	"demo", "base-url", "token-file", "rate", "retries", "timeout"}

func runDrift(ctx context.Context, e *env, args []string) int {
	var g globalFlags
	f := filterFlags{multi: true}
	var r rangeFlags
	var maxEntries int
	var from []string
	var format string
	fs := newFlagSet(driftSpec, &g)
	f.register(fs)
	r.register(fs, time.Now)
	intVar(fs, &maxEntries, "max", defaultDriftMax, 0, math.MaxInt, "check at most `N` events from /logs (0: all)")
	listVar(fs, &from, "from", "FILE", "check the events of these files (JSON Lines; - for stdin) instead of pulling them")
	formatVar(fs, &format, formatTable, []string{formatTable, formatJSON}, nil, "table, or json: one document")
	schemas := fs.Bool("schemas", true, "also compare /schemas with the spec (not with --from)")
	if ok, code := parseFlags(e, fs, driftSpec, &g, args); !ok {
		return code
	}
	if err := f.check(); err != nil {
		return usageError(e, "drift", "%v", err)
	}
	if err := r.check(); err != nil {
		return usageError(e, "drift", "%v", err)
	}
	c := drift.NewChecker()
	if len(from) > 0 {
		for _, name := range driftSource {
			if g.set[name] {
				return usageError(e, "drift", "--from reads events from a file: --%s applies only when pulling them from Slack", name)
			}
		}
		for _, name := range dedupe(from) {
			if code := checkFile(e, c, name); code != 0 {
				return code
			}
		}
	} else {
		ci, code := newClient(e, &g, true)
		if code != 0 {
			return code
		}
		defer ci.close()
		calls := f.params(auditlogs.LogsParams{Oldest: r.oldest.t, Latest: r.latest.t})
		for i := range calls {
			if calls[i].Limit == 0 && maxEntries > 0 {
				calls[i].Limit = min(maxEntries, auditlogs.MaxLimit)
			}
		}
		prog := newProgress(ci, e.stderr, false)
		_, err := pull(ctx, ci, calls, maxEntries, &driftWriter{c: c}, prog)
		prog.done()
		if err != nil {
			return reportError(e, err, ci)
		}
		if *schemas {
			list, err := ci.Schemas(ctx)
			if err != nil {
				return reportError(e, err, ci)
			}
			types := make([]drift.SchemaType, len(list.Schemas))
			for i, s := range list.Schemas {
				types[i] = drift.SchemaType{Type: s.Type, Fields: s.Fields}
			}
			c.CheckSchemas(types)
		}
	}
	findings := c.Findings()
	var err error
	if format == formatJSON {
		err = writeDriftJSON(e.stdout, c.Entries(), findings)
	} else {
		err = writeDriftTable(e.stdout, c.Entries(), findings)
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "auditlogs: write: %v\n", err)
		return exitError
	}
	if len(findings) > 0 {
		return exitDrift
	}
	return exitOK
}

// checkFile checks the events of the --from file name ("-": stdin) and
// returns 0, or an exit code after a message.
func checkFile(e *env, c *drift.Checker, name string) int {
	r, closeFile, err := openFrom(e, name)
	if err != nil {
		fmt.Fprintf(e.stderr, "auditlogs: cannot read --from %s: %v\n", quoteArg(name), err)
		return exitError
	}
	defer closeFile()
	if err := c.CheckLines(r); err != nil {
		msg := err.Error()
		var le *drift.LineError
		if errors.As(err, &le) {
			msg += " (each line must be one event, a JSON object, as 'auditlogs logs' writes them)"
		}
		fmt.Fprintf(e.stderr, "auditlogs: --from %s: %s\n", quoteArg(name), msg)
		return exitError
	}
	return 0
}

// driftWriter is the entryWriter pull writes to: it checks each event.
type driftWriter struct {
	c *drift.Checker
	n int
}

// badEntry is an event from /logs that is not a JSON object.
type badEntry struct {
	n   int
	err error
}

func (b *badEntry) Error() string { return fmt.Sprintf("event %d from /logs: %v", b.n, b.err) }

func (w *driftWriter) Write(e *auditlogs.Entry) error { return w.WriteRaw(e.Raw()) }

func (w *driftWriter) WriteRaw(raw []byte) error {
	w.n++
	if err := w.c.Check(raw); err != nil {
		return &badEntry{w.n, err}
	}
	return nil
}

func (w *driftWriter) EndPage() error { return nil }

// driftReport is the --format json output.
type driftReport struct {
	Entries  int            `json:"entries"`
	Findings []driftFinding `json:"findings"`
}

type driftFinding struct {
	Kind      string   `json:"kind"`
	Path      string   `json:"path"`
	Seen      []string `json:"seen"`
	Spec      []string `json:"spec"`
	Count     int      `json:"count"`
	ExampleID string   `json:"example_id"`
}

func writeDriftJSON(w io.Writer, entries int, findings []drift.Finding) error {
	r := driftReport{Entries: entries, Findings: make([]driftFinding, len(findings))}
	for i, f := range findings {
		r.Findings[i] = driftFinding{Kind: f.Kind, Path: f.Path, Seen: f.Seen, Spec: f.Spec, Count: f.Count, ExampleID: f.ExampleID}
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

func writeDriftTable(w io.Writer, entries int, findings []drift.Finding) error {
	bw := bufio.NewWriter(w)
	list := func(xs []string) string {
		if len(xs) == 0 {
			return "-"
		}
		return cell(strings.Join(xs, ","))
	}
	if len(findings) > 0 {
		tw := tabwriter.NewWriter(bw, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "KIND\tPATH\tSEEN\tSPEC\tCOUNT\tEXAMPLE ID")
		for _, f := range findings {
			id := f.ExampleID
			if id == "" {
				id = "-"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", f.Kind, cell(f.Path), list(f.Seen), list(f.Spec), f.Count, cell(id))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(bw, "\n%s checked; %s.\n", plural(entries, "event"), plural(len(findings), "finding"))
	} else {
		fmt.Fprintf(bw, "%s checked; the spec describes everything in them.\n", plural(entries, "event"))
	}
	return bw.Flush()
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}
