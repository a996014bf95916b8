package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/slackaudit/auditlogs"
	"github.com/slackaudit/auditlogs/internal/jsonsplit"
)

// exitIncomplete is verify's exit code when the files do not hold exactly
// the events /logs has for the range (the same number as drift's findings:
// something for cron or CI to alert on).
const exitIncomplete = 3

// verifyListed is how many ids of each kind the text report lists, and how
// many line numbers of each file's unparsable lines both reports give.
const (
	verifyListed      = 20
	verifyLinesListed = 10
)

var verifySpec = cmdSpec{
	name:     "verify",
	synopsis: "--from FILE[,FILE...] --oldest TIME --latest TIME [--action NAME[,NAME...]] [--actor ID[,ID...]] [--entity ID[,ID...]] [--exclude-action NAME[,NAME...]] [--format table|json]",
	about: `Prove that a collection is complete: compare the events some files hold
with the events /logs has for the same range and filters, and report the ids
missing from the files, the ids written more than once, and what could not
be read.

--from names the files a collection wrote ('auditlogs logs' or 'auditlogs tail'
output: JSON Lines, one event a line), as a comma list or repeated, in any
order (rotated files, and gzip-compressed ones such as audit.jsonl.2.gz,
which are recognized by their first bytes, whatever their name; - reads
stdin). Events in the files outside [--oldest, --latest] (both inclusive) or
not matching the filters are counted as outside and otherwise ignored, so a
day's range can be checked against files that span several days. Ids are
compared as the bytes Slack sent. Memory holds the ids of the range, not the
events.

/logs is read with the same range and filters, at the --rate limit (more
than 30 actions, or several actors or entities, make several calls); a
progress line shows on stderr when it is a terminal.

It reports:
  missing     ids /logs has that no file holds
  duplicated  ids that files hold more than once (in one file or across files)
  extra       ids the files hold that /logs does not have
  unparsable  lines that are not an event with a string id and an integer
              date_create: their count and first line numbers, by file
The files are complete when all four are empty. Blank lines are skipped.

--format json prints one object:
  {"oldest": T, "latest": T, "complete": BOOL, "api_events": N,
   "file_events": N, "outside": N, "missing_count": N, "duplicated_count": N,
   "extra_count": N, "unparsable_count": N, "missing": [ID...],
   "duplicated": [ID...], "extra": [ID...],
   "unparsable": [{"file": F, "count": N, "lines": [N...]}]}
api_events counts the distinct events /logs returned, file_events the lines
of the range in the files (duplicates included). The arrays list every id
(missing newest first, as /logs returns them; the others sorted), and at
most the first 10 line numbers of each file.

As a daily completeness check from cron, verify yesterday once the
collector's settle and lookback have passed (see the README).`,
	exits: "0 the files hold exactly the events of the range, 3 something missing, duplicated, extra or unparsable " +
		"(for cron and CI to alert on), 1 runtime or API error (also a file that cannot be read), 2 usage error",
	examples: `  auditlogs verify --from audit.jsonl --oldest 2026-12-01 --latest 2026-12-01T23:59:59Z
  auditlogs verify --from audit.jsonl --from audit.jsonl.1 --from audit.jsonl.2.gz --oldest 2026-12-01 --latest 2026-12-01T23:59:59Z
  auditlogs verify --from week.jsonl --oldest 7d --latest 1h --action user_login --format json | jq .missing
  D=$(date -u -d yesterday +%F); auditlogs verify --from /var/log/slack-audit/audit.jsonl \
      --from /var/log/slack-audit/audit.jsonl.1 --oldest $D --latest ${D}T23:59:59Z || alert   # daily, from cron`,
}

func runVerify(ctx context.Context, e *env, args []string) int {
	var g globalFlags
	f := filterFlags{multi: true}
	var r rangeFlags
	var from []string
	var format string
	fs := newFlagSet(verifySpec, &g)
	f.register(fs)
	r.register(fs, clock)
	listVar(fs, &from, "from", "FILE", "the files a collection wrote (JSON Lines, gzip or not; - for stdin), in any order")
	formatVar(fs, &format, formatTable, []string{formatTable, formatJSON}, map[string]string{"text": formatTable},
		"table: a short report, or json: one document")
	if ok, code := parseFlags(e, fs, verifySpec, &g, args); !ok {
		return code
	}
	if err := f.check(); err != nil {
		return usageError(e, "verify", "%v", err)
	}
	oldest, latest := r.oldest, r.latest
	switch {
	case len(from) == 0:
		return usageError(e, "verify", "--from FILE is required: the files a collection wrote")
	case !g.set["oldest"] || !g.set["latest"]:
		return usageError(e, "verify", "--oldest and --latest are both required: the range to verify")
	case r.check() != nil:
		return usageError(e, "verify", "%v", r.check())
	}
	if i := slices.Index(from, "-"); i >= 0 && slices.Contains(from[i+1:], "-") {
		return usageError(e, "verify", "--from - (stdin) can be given only once")
	}

	ci, code := newClient(e, &g, true)
	if code != 0 {
		return code
	}
	defer ci.close()

	v := newVerifier(oldest.t.Unix(), latest.t.Unix(), &f)
	prog := newProgress(ci, e.stderr, false)
	for _, name := range from {
		prog.show("reading --from " + name)
		if err := v.readFrom(e, name); err != nil {
			prog.done()
			fmt.Fprintf(e.stderr, "auditlogs: cannot read --from %s: %v\n", quoteArg(name), err)
			return exitError
		}
	}
	var err error
	for _, p := range f.params(auditlogs.LogsParams{Oldest: oldest.t, Latest: latest.t}) {
		if err = v.pullAPI(ctx, ci, p, prog); err != nil {
			break
		}
	}
	prog.done()
	if err != nil {
		return reportError(e, err, ci)
	}

	rep := v.report(oldest.t, latest.t)
	if format == formatJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetEscapeHTML(false)
		err = enc.Encode(rep)
	} else {
		err = writeVerifyText(e.stdout, rep)
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "auditlogs: write: %v\n", err)
		return exitError
	}
	if !rep.Complete {
		return exitIncomplete
	}
	return exitOK
}

// idSeen is what verify knows of one id of the range.
type idSeen struct {
	files uint32 // lines of the files that hold it
	api   bool   // /logs returned it
}

// verifier compares the ids of the files with those of /logs. Its keys are
// ids as their JSON strings stand in the events, quotes included.
type verifier struct {
	oldest, latest int64
	// The filters; a nil list matches any value.
	actions, actors, entities, exclude []string

	ids        map[string]idSeen
	fileEvents int
	outside    int
	unparsable []unparsableFile

	apiEvents  int
	apiOutside int      // /logs events outside the range or filters (not expected)
	missing    []string // ids /logs returned that no file holds, in its order
}

// unparsableFile lists the lines of one --from file that are not events.
type unparsableFile struct {
	File  string `json:"file"`
	Count int    `json:"count"`
	Lines []int  `json:"lines"` // the first verifyLinesListed
}

func newVerifier(oldest, latest int64, f *filterFlags) *verifier {
	return &verifier{oldest: oldest, latest: latest, actions: f.actions, actors: f.actors, entities: f.entities,
		exclude: f.excluded(), ids: map[string]idSeen{}}
}

// event is what verify reads from an event.
type event struct {
	raw    []byte
	id     []byte // the id's JSON string, quotes included
	date   int64
	action string
}

// parseEvent reads one event; ok is false unless it is a JSON object with a
// string id and an integer date_create.
func parseEvent(line []byte) (ev event, ok bool) {
	// The first lookup also checks that the line is one valid JSON object.
	s, e, found := jsonsplit.Lookup(line, "id")
	if !found || line[s] != '"' || e-s < 3 {
		return ev, false // no id, not a string, or an empty one
	}
	ev = event{raw: line, id: line[s:e]}
	if s, e, found = jsonsplit.Lookup(line, "date_create"); !found {
		return ev, false
	}
	date, err := strconv.ParseInt(string(line[s:e]), 10, 64)
	if err != nil {
		return ev, false
	}
	ev.date = date
	if s, e, found = jsonsplit.Lookup(line, "action"); found && line[s] == '"' {
		if text := line[s+1 : e-1]; jsonsplit.SimpleText(text) {
			ev.action = string(text)
		} else {
			_ = json.Unmarshal(line[s:e], &ev.action)
		}
	} // not a string: matches no --action
	return ev, true
}

// matches reports whether ev is in the range and passes the filters, as
// /logs and the client would decide.
func (v *verifier) matches(ev *event) bool {
	if ev.date < v.oldest || ev.date > v.latest {
		return false
	}
	if v.actions != nil && !slices.Contains(v.actions, ev.action) {
		return false
	}
	if slices.Contains(v.exclude, ev.action) {
		return false
	}
	if v.actors != nil && !slices.Contains(v.actors, stringAt(ev.raw, "actor", "user", "id")) {
		return false
	}
	if v.entities != nil && !slices.Contains(v.entities, stringAt(ev.raw, "entity", stringAt(ev.raw, "entity", "type"), "id")) {
		return false
	}
	return true
}

// stringAt returns the string at path in the JSON object data, or "".
func stringAt(data []byte, path ...string) string {
	var str string
	if s, e, found := jsonsplit.Lookup(data, path...); found {
		_ = json.Unmarshal(data[s:e], &str)
	}
	return str
}

// readFrom reads one --from file ("-": stdin), plain or gzip.
func (v *verifier) readFrom(e *env, name string) error {
	r, closeFile, err := openFrom(e, name)
	if err != nil {
		return err
	}
	defer closeFile()
	br := bufio.NewReaderSize(r, 256<<10)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("gzip: %w", err)
		}
		defer zr.Close()
		br = bufio.NewReaderSize(zr, 256<<10)
	}
	return v.readLines(br, name)
}

// readLines reads the events of one file, a line each.
func (v *verifier) readLines(br *bufio.Reader, name string) error {
	bad := unparsableFile{File: name, Lines: []int{}}
	var long []byte // a line longer than br's buffer
	for n := 1; ; n++ {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			long = append(long[:0], line...)
			for errors.Is(err, bufio.ErrBufferFull) {
				line, err = br.ReadSlice('\n')
				long = append(long, line...)
			}
			line = long
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		if line = bytes.TrimSpace(line); len(line) > 0 {
			if ev, ok := parseEvent(line); !ok {
				bad.Count++
				if len(bad.Lines) < verifyLinesListed {
					bad.Lines = append(bad.Lines, n)
				}
			} else if !v.matches(&ev) {
				v.outside++
			} else {
				v.fileEvents++
				s := v.ids[string(ev.id)]
				s.files++
				v.ids[string(ev.id)] = s
			}
		}
		if err != nil { // io.EOF
			break
		}
	}
	if bad.Count > 0 {
		v.unparsable = append(v.unparsable, bad)
	}
	return nil
}

// pullAPI reads the range from /logs and marks each id it returns.
func (v *verifier) pullAPI(ctx context.Context, ci *clientInfo, p auditlogs.LogsParams, prog *progress) error {
	n := 0
	for page, err := range ci.RawPages(ctx, p) {
		if err != nil {
			return err
		}
		for _, raw := range page.Entries {
			n++
			ev, ok := parseEvent(raw)
			if !ok {
				return &badEntry{n, errors.New("no string id and integer date_create: its presence in the files cannot be checked")}
			}
			if !v.matches(&ev) {
				v.apiOutside++
				continue
			}
			s, known := v.ids[string(ev.id)]
			if s.api {
				continue // returned twice
			}
			v.apiEvents++
			s.api = true
			if !known {
				v.ids[string(ev.id)] = s
				v.missing = append(v.missing, string(ev.id))
				continue
			}
			v.ids[string(ev.id)] = s
		}
		prog.page(len(page.Entries), "")
	}
	return nil
}

// verifyReport is what verify prints (as is with --format json).
type verifyReport struct {
	Oldest          string           `json:"oldest"`
	Latest          string           `json:"latest"`
	Complete        bool             `json:"complete"`
	APIEvents       int              `json:"api_events"`
	FileEvents      int              `json:"file_events"`
	Outside         int              `json:"outside"`
	MissingCount    int              `json:"missing_count"`
	DuplicatedCount int              `json:"duplicated_count"`
	ExtraCount      int              `json:"extra_count"`
	UnparsableCount int              `json:"unparsable_count"`
	Missing         []string         `json:"missing"`
	Duplicated      []string         `json:"duplicated"`
	Extra           []string         `json:"extra"`
	Unparsable      []unparsableFile `json:"unparsable"`

	apiOutside int // not in the JSON: /logs should return none
}

func (v *verifier) report(oldest, latest time.Time) *verifyReport {
	r := &verifyReport{
		Oldest: oldest.UTC().Format(time.RFC3339), Latest: latest.UTC().Format(time.RFC3339),
		APIEvents: v.apiEvents, FileEvents: v.fileEvents, Outside: v.outside,
		Missing: make([]string, len(v.missing)), Duplicated: []string{}, Extra: []string{},
		Unparsable: v.unparsable, apiOutside: v.apiOutside,
	}
	if r.Unparsable == nil {
		r.Unparsable = []unparsableFile{}
	}
	for i, id := range v.missing {
		r.Missing[i] = idText(id)
	}
	var dup, extra []string
	for id, s := range v.ids {
		if s.files > 1 {
			dup = append(dup, id)
		}
		if s.files > 0 && !s.api {
			extra = append(extra, id)
		}
	}
	slices.Sort(dup)
	slices.Sort(extra)
	for _, id := range dup {
		r.Duplicated = append(r.Duplicated, idText(id))
	}
	for _, id := range extra {
		r.Extra = append(r.Extra, idText(id))
	}
	for _, u := range v.unparsable {
		r.UnparsableCount += u.Count
	}
	r.MissingCount, r.DuplicatedCount, r.ExtraCount = len(r.Missing), len(r.Duplicated), len(r.Extra)
	r.Complete = r.MissingCount == 0 && r.DuplicatedCount == 0 && r.ExtraCount == 0 && r.UnparsableCount == 0
	return r
}

// idText returns an id's JSON string decoded, for the reports.
func idText(raw string) string {
	var s string
	if json.Unmarshal([]byte(raw), &s) != nil {
		return raw
	}
	return s
}

func writeVerifyText(w io.Writer, r *verifyReport) error {
	bw := bufio.NewWriter(w)
	verdict := "complete: the files hold every event of the range exactly once"
	if !r.Complete {
		verdict = "NOT complete"
	}
	fmt.Fprintf(bw, "%s .. %s: %s\n", r.Oldest, r.Latest, verdict)
	fmt.Fprintf(bw, "  /logs       %s\n", plural(r.APIEvents, "event"))
	fmt.Fprintf(bw, "  files       %s in the range, %d outside it or the filters (ignored)\n", plural(r.FileEvents, "line"), r.Outside)
	fmt.Fprintf(bw, "  missing     %d (in /logs, in no file)\n", r.MissingCount)
	fmt.Fprintf(bw, "  duplicated  %d (in the files more than once)\n", r.DuplicatedCount)
	fmt.Fprintf(bw, "  extra       %d (in the files, not in /logs)\n", r.ExtraCount)
	fmt.Fprintf(bw, "  unparsable  %s\n", plural(r.UnparsableCount, "line"))
	if r.apiOutside > 0 {
		fmt.Fprintf(bw, "  (/logs also returned %s outside the range or filters, not counted)\n", plural(r.apiOutside, "event"))
	}
	list := func(title string, ids []string) {
		if len(ids) == 0 {
			return
		}
		fmt.Fprintf(bw, "\n%s:\n", title)
		for _, id := range ids[:min(len(ids), verifyListed)] {
			fmt.Fprintf(bw, "  %s\n", cell(id))
		}
		if len(ids) > verifyListed {
			fmt.Fprintf(bw, "  ... and %d more (--format json lists them all)\n", len(ids)-verifyListed)
		}
	}
	list("missing", r.Missing)
	list("duplicated", r.Duplicated)
	list("extra", r.Extra)
	if len(r.Unparsable) > 0 {
		fmt.Fprintf(bw, "\nunparsable:\n")
		for _, u := range r.Unparsable {
			lines := make([]string, len(u.Lines))
			for i, n := range u.Lines {
				lines[i] = strconv.Itoa(n)
			}
			more := ""
			if u.Count > len(u.Lines) {
				more = ", ..."
			}
			fmt.Fprintf(bw, "  %s: %s, line %s%s\n", cell(u.File), plural(u.Count, "line"), strings.Join(lines, ", "), more)
		}
	}
	return bw.Flush()
}
