package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/slackaudit/auditlogs"
)

// formatJSONL is the writer of --format json for events: JSON Lines.
const formatJSONL = formatJSON

// entryWriter writes entries in one format. Entries are buffered; EndPage
// writes the page's entries out (memory stays flat whatever the number of
// pages).
type entryWriter interface {
	Write(e *auditlogs.Entry) error
	// WriteRaw writes an entry given as the server sent it.
	WriteRaw(raw []byte) error
	EndPage() error
}

// writeDecoded decodes raw (tolerantly, as the library does) and writes it
// with write: for the formats that show fields.
func writeDecoded(raw []byte, write func(*auditlogs.Entry) error) error {
	var e auditlogs.Entry
	if err := e.UnmarshalJSON(raw); err != nil {
		return err
	}
	return write(&e)
}

// newEntryWriter returns the writer for format, writing to w.
func newEntryWriter(format string, w io.Writer) (entryWriter, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	switch format {
	case formatJSONL:
		return &jsonlWriter{w: bw}, nil
	case formatTable:
		return &tableWriter{bw: bw}, nil
	case formatCSV:
		cw := csv.NewWriter(bw)
		if err := cw.Write(csvHeader); err != nil {
			return nil, err
		}
		return &csvWriter{bw: bw, cw: cw}, nil
	}
	return nil, fmt.Errorf("unknown format %q: use json, table or csv", format)
}

// fileWriter is an entryWriter to a file that, after each page, has the
// kernel start writing the page to disk (see startWriteback): the fsync
// at the end of the export then has little left to wait for.
type fileWriter struct {
	entryWriter
	f *os.File
}

func (w fileWriter) EndPage() error {
	if err := w.entryWriter.EndPage(); err != nil {
		return err
	}
	startWriteback(w.f)
	return nil
}

// jsonlWriter writes each entry exactly as the server sent it, one a line.
type jsonlWriter struct{ w *bufio.Writer }

func (j *jsonlWriter) Write(e *auditlogs.Entry) error { return j.WriteRaw(e.Raw()) }

// WriteRaw writes one entry's bytes as the server sent them, and a newline.
func (j *jsonlWriter) WriteRaw(raw []byte) error {
	if bytes.IndexByte(raw, '\n') >= 0 || bytes.IndexByte(raw, '\r') >= 0 {
		// Only a server that indents its JSON gets here: line breaks
		// between tokens would break the one-entry-a-line format. Removing
		// that insignificant white space changes nothing else: a JSON
		// string cannot hold a raw line break.
		var buf bytes.Buffer
		if err := json.Compact(&buf, raw); err == nil {
			raw = buf.Bytes()
		}
	}
	j.w.Write(raw)
	return j.w.WriteByte('\n')
}

func (j *jsonlWriter) EndPage() error { return j.w.Flush() }

// tableWriter writes aligned columns for a person to read. The widths are
// measured once, on the first page that has entries, each at most
// maxCellWidth, and kept: every page lines up with the first, and a longer
// cell is cut, ending in …. The last column is not padded, nor cut.
type tableWriter struct {
	bw     *bufio.Writer
	rows   [][]string // the first page's, until the widths are known
	widths []int      // nil until then
}

// tableHeader names the table's columns.
var tableHeader = []string{"TIME", "ACTION", "ACTOR", "ENTITY", "IP"}

// maxCellWidth bounds a table column's width, in characters.
const maxCellWidth = 40

func (t *tableWriter) WriteRaw(raw []byte) error { return writeDecoded(raw, t.Write) }

func (t *tableWriter) Write(e *auditlogs.Entry) error {
	v := viewOf(e)
	entity := v.entityType
	if name := firstNonEmpty(v.entityName, v.entityID); name != "" {
		entity += ":" + name
	}
	row := []string{v.time, cell(v.action), cell(firstNonEmpty(v.actorEmail, v.actorID, v.actorType)), cell(entity), cell(v.ip)}
	if t.widths == nil {
		t.rows = append(t.rows, row)
		return nil
	}
	return t.writeRow(row)
}

// writeRow writes a row at the widths, cutting longer cells.
func (t *tableWriter) writeRow(row []string) error {
	for i, c := range row {
		if i == len(row)-1 {
			t.bw.WriteString(c)
			break
		}
		n := utf8.RuneCountInString(c)
		if n > t.widths[i] {
			r := []rune(c)
			c, n = string(r[:t.widths[i]-1])+"…", t.widths[i]
		}
		t.bw.WriteString(c)
		t.bw.WriteString(strings.Repeat(" ", t.widths[i]-n+2))
	}
	return t.bw.WriteByte('\n')
}

func (t *tableWriter) EndPage() error {
	if t.widths == nil && len(t.rows) > 0 {
		t.widths = make([]int, len(tableHeader))
		for _, row := range append([][]string{tableHeader}, t.rows...) {
			for i, c := range row {
				t.widths[i] = min(max(t.widths[i], utf8.RuneCountInString(c)), maxCellWidth)
			}
		}
		t.writeRow(tableHeader)
		for _, row := range t.rows {
			t.writeRow(row)
		}
		t.rows = nil
	}
	return t.bw.Flush()
}

// csvHeader names the CSV columns.
var csvHeader = []string{"date_create", "time", "id", "action", "actor_id", "actor_email", "entity_type", "entity_id",
	"entity_name", "workspace", "ip_address", "user_agent"}

// csvWriter writes RFC 4180 CSV with a header row; each cell of an event
// goes through csvSafe.
type csvWriter struct {
	bw *bufio.Writer
	cw *csv.Writer
}

func (c *csvWriter) WriteRaw(raw []byte) error { return writeDecoded(raw, c.Write) }

func (c *csvWriter) Write(e *auditlogs.Entry) error {
	v := viewOf(e)
	row := []string{strconv.FormatInt(e.DateCreate, 10), v.time, e.ID, v.action, v.actorID, v.actorEmail,
		v.entityType, v.entityID, v.entityName, v.workspace, v.ip, v.ua}
	for i := range row {
		row[i] = csvSafe(row[i])
	}
	return c.cw.Write(row)
}

// csvSafe puts a ' before a cell a spreadsheet would read as a formula: one
// that starts with =, +, -, @, a tab or a carriage return (OWASP's advice
// against CSV injection). A channel named "=HYPERLINK(...)" then shows as
// text. The ' is visible in the cell: it is the documented price.
func csvSafe(s string) string {
	if s != "" && strings.IndexByte("=+-@\t\r", s[0]) >= 0 {
		return "'" + s
	}
	return s
}

func (c *csvWriter) EndPage() error {
	c.cw.Flush()
	if err := c.cw.Error(); err != nil {
		return err
	}
	return c.bw.Flush()
}

// view is what the table and CSV show of an entry.
type view struct {
	time                             string
	action                           string
	actorType, actorID, actorEmail   string
	entityType, entityID, entityName string
	workspace, ip, ua                string
}

func viewOf(e *auditlogs.Entry) view {
	v := view{
		time:       time.Unix(e.DateCreate, 0).UTC().Format(time.RFC3339),
		action:     e.Action,
		actorType:  e.Actor.Type,
		entityType: e.Entity.Type,
		ip:         e.Context.IPAddress,
		ua:         e.Context.UA,
	}
	if u := e.Actor.User; u != nil {
		v.actorID, v.actorEmail = u.ID, u.Email
	}
	if loc := e.Context.Location; loc != nil {
		v.workspace = firstNonEmpty(loc.Name, loc.ID)
	}
	// The entity's payload sits under a key named after its type, whatever
	// the type: read it raw, so that types the library does not know work
	// too.
	if raw, ok := e.Lookup("entity", e.Entity.Type); ok && e.Entity.Type != "" {
		var payload map[string]json.RawMessage
		if json.Unmarshal(raw, &payload) == nil {
			v.entityID = jsonScalar(payload["id"])
			v.entityName = firstNonEmpty(jsonScalar(payload["name"]), jsonScalar(payload["title"]),
				jsonScalar(payload["template_name"]))
			if v.entityID == "" {
				// A message has no ID: its channel and timestamp name it.
				if ch, ts := jsonScalar(payload["channel"]), jsonScalar(payload["timestamp"]); ch != "" && ts != "" {
					v.entityID = ch + "/" + ts
				}
			}
		}
	}
	return v
}

// jsonScalar returns a JSON string's value or a number's text, else "".
func jsonScalar(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return ""
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
		return ""
	}
	if raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9') {
		return string(raw)
	}
	return ""
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// cell makes a value safe for a terminal table: control characters (tabs,
// line breaks, escape sequences an attacker could put in a channel name)
// and bidirectional overrides are shown escaped, never sent to the terminal;
// bytes that are not UTF-8 become U+FFFD.
func cell(s string) string {
	if utf8.ValidString(s) && !strings.ContainsFunc(s, unsafeRune) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unsafeRune(r) {
			q := strconv.QuoteRuneToASCII(r)
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func unsafeRune(r rune) bool {
	switch {
	case unicode.IsControl(r):
		return true
	case r == 0x061C, r == 0x200E, r == 0x200F, r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069:
		return true // bidirectional controls: they can make a line read as something else
	}
	return false
}
