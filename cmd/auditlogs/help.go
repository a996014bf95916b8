package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"
)

// This file writes the help, in one style for every command (gh's and
// kubectl's): placeholders in capitals (FILE, DURATION, TIME, N, ID, NAME)
// or the choices (json|table), two dashes, the exit codes as a list.

var helpSpec = cmdSpec{
	name:     "help",
	synopsis: "[COMMAND]",
	about: `Print the list of commands, or the help of COMMAND (the same as
'auditlogs COMMAND --help').`,
	exits: "0 success, 2 usage error (such as an unknown command)",
	examples: `  auditlogs help
  auditlogs help logs`,
}

func runHelp(_ context.Context, e *env, args []string) int {
	fs := newFlagSet(helpSpec, nil)
	if len(args) == 0 {
		writeMainUsage(e.stdout)
		return exitOK
	}
	if strings.HasPrefix(args[0], "-") {
		// Only flags: --help, or a usage error.
		if ok, code := parseFlags(e, fs, helpSpec, nil, args); !ok {
			return code
		}
		writeMainUsage(e.stdout)
		return exitOK
	}
	if len(args) > 1 {
		return usageError(e, "help", "help takes one command, got %d arguments", len(args))
	}
	if args[0] == "help" {
		writeCmdUsage(e.stdout, fs, helpSpec)
		return exitOK
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(context.Background(), e, []string{"--help"})
		}
	}
	return unknownCommand(e, args[0])
}

// unknownCommand reports a command that does not exist, with the closest
// one's name.
func unknownCommand(e *env, name string) int {
	names := make([]string, len(commands))
	for i, c := range commands {
		names[i] = c.name
	}
	msg := "unknown command " + quoteArg(name)
	if s := suggest(name, names); s != "" {
		msg += " (did you mean " + s + "?)"
	}
	fmt.Fprintf(e.stderr, "auditlogs: %s\nRun 'auditlogs help' for the commands.\n", msg)
	return exitUsage
}

func writeMainUsage(w io.Writer) {
	var b strings.Builder
	b.WriteString(`auditlogs reads the audit logs of a Slack Enterprise Grid organization.

Usage:
  auditlogs COMMAND [flags]

Commands:
`)
	for _, c := range commands {
		fmt.Fprintf(&b, "  %-8s  %s\n", c.name, c.summary)
	}
	b.WriteString(`
Run 'auditlogs COMMAND --help' or 'auditlogs help COMMAND' for a command's
flags and examples.

Authentication:
  /logs needs a user token (xoxp-...) with the auditlogs:read scope, from an
  app installed by an owner on the Enterprise Grid organization (not on one
  of its workspaces). Put it in the SLACK_AUDIT_TOKEN environment variable,
  or in a file named by --token-file (--token-file - reads it from stdin).
  There is no --token flag: a token on the command line shows in ps and in
  shell history. Add --demo to any command to run it against a built-in fake
  organization, with no token and no network.

Values:
  TIME      RFC 3339 (2025-01-31T08:00:00Z), a date (2025-01-31, midnight
            UTC), Unix seconds (1738310400), a DURATION back from now, or now
  DURATION  numbers with units, s, m, h, d (24h) or w (7d): 90s, 15m, 1h30m,
            7d; a bare number is refused
  NAME[,NAME...]  a list: commas, or the flag given again, add names up
  A flag that takes one value may be given once.

Output:
  --format json is JSON Lines for events (one a line, exactly as Slack sent
  it) and one document otherwise; table is for a person; csv is for a
  spreadsheet.

Environment:
  SLACK_AUDIT_TOKEN     the token, unless --token-file is given
  SLACK_AUDIT_BASE_URL  the API's base URL (default https://api.slack.com/audit/v1/)

Exit codes:
  0    success (tail: also when stopped by SIGINT or SIGTERM)
  1    runtime or API error: refused token, network, Slack, files
  2    usage error: bad flag or value, unknown command, no token
  3    drift: found something the spec does not describe;
       verify: events missing, duplicated, extra or unparsable
  4    status: the collector lags more than --max-lag
  5    status: the state file is missing or unreadable
  6    tail: the state was collected from another endpoint or organization
  7    status (without --max-lag): no window completed yet, or the last
       error is newer than the last checkpoint
  130  interrupted by SIGINT (Ctrl-C)
  143  stopped by SIGTERM

Examples:
  auditlogs logs --demo --format table
  SLACK_AUDIT_TOKEN=$(cat ~/.slack-audit) auditlogs logs --oldest 24h --action user_login
  auditlogs logs --token-file ~/.slack-audit --oldest 7d --format csv --out week.csv
  auditlogs tail --token-file /etc/auditlogs/token --state /var/lib/auditlogs/state.json --out /var/log/slack-audit.jsonl
  auditlogs actions --demo
  auditlogs drift --from week.jsonl
`)
	io.WriteString(w, b.String())
}

// signalExits says what SIGINT and SIGTERM do to each command, for its list
// of exit codes; the default is defaultSignalExits.
var signalExits = map[string]string{
	"tail": "130  a second SIGINT, which stops at once (safe: the files are consistent at every instant)\n" +
		"143  a second SIGTERM, likewise",
	"status": "130  a second SIGINT (the first does not stop it: it only reads a file)\n" +
		"143  a second SIGTERM, likewise",
	"version": "130  a second SIGINT (the first does not stop it)\n143  a second SIGTERM, likewise",
	"help":    "130  a second SIGINT (the first does not stop it)\n143  a second SIGTERM, likewise",
}

const defaultSignalExits = "130  interrupted by SIGINT (Ctrl-C)\n143  stopped by SIGTERM"

// writeCmdUsage writes a command's help: synopsis, description, its own
// flags, the global flags, exit codes, examples.
func writeCmdUsage(w io.Writer, fs *flag.FlagSet, spec cmdSpec) {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage:\n  auditlogs %s %s\n\n%s\n", spec.name, spec.synopsis, strings.TrimSpace(spec.about))
	if own := flagLines(fs, false); own != "" {
		fmt.Fprintf(&b, "\nFlags:\n%s", own)
	}
	if global := flagLines(fs, true); global != "" {
		fmt.Fprintf(&b, "\nGlobal flags:\n%s", global)
	}
	b.WriteString("\nExit codes:\n")
	exits := "0 success, 1 runtime or API error, 2 usage error"
	if spec.exits != "" {
		exits = spec.exits
	}
	for _, line := range exitLines(exits) {
		fmt.Fprintf(&b, "  %s\n", line)
	}
	signals, ok := signalExits[spec.name]
	if !ok {
		signals = defaultSignalExits
	}
	for line := range strings.SplitSeq(signals, "\n") {
		fmt.Fprintf(&b, "  %s\n", line)
	}
	if spec.examples != "" {
		fmt.Fprintf(&b, "\nExamples:\n%s\n", strings.TrimRight(spec.examples, "\n"))
	}
	io.WriteString(w, b.String())
}

// exitLines splits "0 ok, 2 usage error, 4 lagging" into one line a code,
// the code padded to a column.
func exitLines(exits string) []string {
	var lines []string
	for part := range strings.SplitSeq(exits, ", ") {
		code, text, _ := strings.Cut(part, " ")
		if !isDigits(code) && len(lines) > 0 {
			lines[len(lines)-1] += ", " + part
			continue
		}
		lines = append(lines, fmt.Sprintf("%-4s %s", code, text))
	}
	return lines
}

// flagLines formats the global flags, or the others, like flag.PrintDefaults
// but with two dashes and the placeholders of placeholder. Hidden aliases
// are left out.
func flagLines(fs *flag.FlagSet, global bool) string {
	var b strings.Builder
	fs.VisitAll(func(f *flag.Flag) {
		if globalFlagNames[f.Name] != global {
			return
		}
		if hiddenFlag(f) {
			return
		}
		name, usage := placeholder(f)
		fmt.Fprintf(&b, "  --%s", f.Name)
		if name != "" {
			fmt.Fprintf(&b, " %s", name)
		}
		b.WriteString("\n    \t")
		b.WriteString(strings.ReplaceAll(usage, "\n", "\n    \t"))
		if def := defaultText(f); def != "" && !strings.Contains(usage, "(default") {
			fmt.Fprintf(&b, " (default %s)", def)
		}
		b.WriteString("\n")
	})
	return b.String()
}

// unwrapValue returns the value parseFlags wrapped.
func unwrapValue(v flag.Value) flag.Value {
	for {
		switch w := v.(type) {
		case *onceValue:
			v = w.Value
		case *onceBool:
			v = w.Value
		case *aliasOf:
			v = w.Value
		case *goDuration:
			return w
		case *goInt:
			return w
		default:
			return v
		}
	}
}

// placeholder returns a flag's placeholder and usage: a duration's is
// DURATION, a time's TIME, --format's the choices, a number's N (unless the
// usage names it in back quotes), a switch has none.
func placeholder(f *flag.Flag) (string, string) {
	name, usage := flag.UnquoteUsage(f)
	v := unwrapValue(f.Value)
	if b, ok := v.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
		return "", usage
	}
	switch v := v.(type) {
	case *durationValue, *goDuration:
		return "DURATION", usage
	case *timeFlag:
		return "TIME", usage
	case *formatValue:
		return v.placeholder(), usage
	case *listValue:
		return v.placeholder(), usage
	}
	if strings.Contains(f.Usage, "`") {
		return name, usage
	}
	if g, ok := v.(flag.Getter); ok {
		if _, isInt := g.Get().(int); isInt {
			return "N", usage
		}
	}
	return "VALUE", usage
}

// defaultText is a flag's default for help, "" when there is none to show.
func defaultText(f *flag.Flag) string {
	switch f.DefValue {
	case "", "false", "0":
		return ""
	}
	if d, err := time.ParseDuration(f.DefValue); err == nil {
		return formatDuration(d)
	}
	return f.DefValue
}

// suggest returns the name of names closest to s, if one is close enough
// to be a typo of it (an edit or two, or a prefix), else "".
func suggest(s string, names []string) string {
	best, bestD := "", 3
	for _, n := range names {
		d := editDistance(s, n)
		if len(s) >= 3 && strings.HasPrefix(n, s) {
			d = min(d, 1)
		}
		if d < bestD && d <= max(1, len(s)/3) {
			best, bestD = n, d
		}
	}
	return best
}

// editDistance is the optimal string alignment distance of a and b: edits
// of one character, and swaps of two neighbours, each count one.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
