package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"
)

// globalFlags are the flags every command takes.
type globalFlags struct {
	baseURL   string
	tokenFile string
	debug     bool
	timeout   time.Duration
	retries   int
	rate      int
	demo      bool
	plainHTTP bool

	set map[string]bool // the flags given on the command line
	// opsLog, set by a command before newClient, gets the client's retries
	// and waits (tail's --log-format); --debug's logger takes precedence.
	opsLog *slog.Logger
}

// globalFlagNames lists the global flags, for the usage text.
var globalFlagNames = map[string]bool{
	"base-url": true, "token-file": true, "debug": true, "timeout": true, "retries": true, "rate": true, "demo": true,
	"allow-plain-http": true,
}

func (g *globalFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&g.baseURL, "base-url", "", "the API's base `URL` (default $SLACK_AUDIT_BASE_URL, else https://api.slack.com/audit/v1/)")
	fs.StringVar(&g.tokenFile, "token-file", "", "read the token from `FILE` (- for stdin) instead of $SLACK_AUDIT_TOKEN")
	fs.BoolVar(&g.debug, "debug", false, "log every request, retry and wait to stderr (never the token)")
	fs.DurationVar(&g.timeout, "timeout", 2*time.Minute, "bound each HTTP attempt, body included")
	fs.IntVar(&g.retries, "retries", 4, "retries of a call after a network error, 429 or 5xx")
	fs.IntVar(&g.rate, "rate", 50, "at most `N` calls a minute (Slack's budget is about 50, shared by the whole org; 0: no limit)")
	fs.BoolVar(&g.demo, "demo", false, "run against a built-in fake organization: no token, no network")
	fs.BoolVar(&g.plainHTTP, "allow-plain-http", false, "let --base-url be plain http to another machine, for test setups (the token then crosses the network in clear)")
}

// cmdSpec describes a command for its usage text.
type cmdSpec struct {
	name     string
	synopsis string
	about    string
	examples string
	exits    string // the exit codes, when they are not just 0, 1 and 2
}

// newFlagSet returns a command's flag set with the global flags registered.
func newFlagSet(spec cmdSpec, g *globalFlags) *flag.FlagSet {
	fs := flag.NewFlagSet("auditlogs "+spec.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // parse errors are reported by parseFlags
	if g != nil {
		g.register(fs)
	}
	fs.Usage = func() { writeCmdUsage(fs.Output(), fs, spec) }
	return fs
}

// parseFlags parses a command's arguments. It returns false and the exit
// code when the command must not go on: --help (0) or a usage error (2).
func parseFlags(e *env, fs *flag.FlagSet, spec cmdSpec, g *globalFlags, args []string) (bool, int) {
	if tokenFlagGiven(args) {
		fmt.Fprintf(e.stderr, "auditlogs: there is no --token flag: a token on the command line shows in ps and in shell history.\n"+
			"Set SLACK_AUDIT_TOKEN, or put the token in a file and pass --token-file FILE (--token-file - reads stdin).\n")
		return false, exitUsage
	}
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(e.stdout)
		fs.Usage()
		return false, exitOK
	}
	if err != nil {
		msg := strings.Replace(err.Error(), "for flag -", "for --", 1)
		msg = strings.Replace(msg, "flag provided but not defined: -", "unknown flag --", 1)
		return false, usageError(e, spec.name, "%s", redactTokens(msg))
	}
	if fs.NArg() > 0 {
		return false, usageError(e, spec.name, "unexpected argument %s (flags only)", quoteArg(fs.Arg(0)))
	}
	if g == nil {
		return true, 0
	}
	g.set = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { g.set[f.Name] = true })
	if g.retries < 0 {
		return false, usageError(e, spec.name, "--retries must be 0 or more")
	}
	if g.rate < 0 {
		return false, usageError(e, spec.name, "--rate must be 0 (no limit) or more")
	}
	if g.timeout <= 0 {
		return false, usageError(e, spec.name, "--timeout must be positive")
	}
	return true, 0
}

// usageError reports a usage error and returns exitUsage.
func usageError(e *env, cmd, format string, a ...any) int {
	fmt.Fprintf(e.stderr, "auditlogs: %s\nRun 'auditlogs %s --help' for usage.\n", fmt.Sprintf(format, a...), cmd)
	return exitUsage
}

// tokenFlagGiven reports whether args hold a --token flag (any spelling),
// before a "--" that ends the flags.
func tokenFlagGiven(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "-") && name == "token" {
			return true
		}
	}
	return false
}

// writeCmdUsage writes a command's help: synopsis, description, its own
// flags, the global flags, examples.
func writeCmdUsage(w io.Writer, fs *flag.FlagSet, spec cmdSpec) {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage:\n  auditlogs %s %s\n\n%s\n", spec.name, spec.synopsis, strings.TrimSpace(spec.about))
	own := flagLines(fs, false)
	if own != "" {
		fmt.Fprintf(&b, "\nFlags:\n%s", own)
	}
	if global := flagLines(fs, true); global != "" {
		fmt.Fprintf(&b, "\nGlobal flags:\n%s", global)
	}
	exits := "0 success, 1 runtime or API error, 2 usage error"
	if spec.exits != "" {
		exits = spec.exits
	}
	fmt.Fprintf(&b, "\nExit codes: %s (run 'auditlogs help').\n", exits)
	if spec.examples != "" {
		fmt.Fprintf(&b, "\nExamples:\n%s\n", strings.TrimRight(spec.examples, "\n"))
	}
	io.WriteString(w, b.String())
}

// flagLines formats the global flags, or the others, like flag.PrintDefaults
// but with two dashes.
func flagLines(fs *flag.FlagSet, global bool) string {
	var b strings.Builder
	fs.VisitAll(func(f *flag.Flag) {
		if globalFlagNames[f.Name] != global {
			return
		}
		name, usage := flag.UnquoteUsage(f)
		fmt.Fprintf(&b, "  --%s", f.Name)
		if name != "" {
			fmt.Fprintf(&b, " %s", name)
		}
		b.WriteString("\n    \t")
		b.WriteString(strings.ReplaceAll(usage, "\n", "\n    \t"))
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && !strings.Contains(usage, "(default") {
			fmt.Fprintf(&b, " (default %s)", f.DefValue)
		}
		b.WriteString("\n")
	})
	return b.String()
}

// quoteArg quotes a command-line argument for a message, unless it looks
// like a token, which is never repeated.
func quoteArg(s string) string {
	if looksLikeToken(s) {
		return "(that looks like a Slack token: not repeated here; never put a token on the command line)"
	}
	return strconv.Quote(s)
}

// timeFormats is the help for a time value, in messages.
const timeFormats = "use RFC 3339 (2025-01-31T08:00:00Z), a date (2025-01-31, UTC), Unix seconds (1738310400), " +
	"a duration back from now (90m, 24h, 7d, 2w), or now"

// parseTime reads a time flag: RFC 3339, a date (midnight UTC), Unix
// seconds, a duration back from now (Go durations, plus d for days and w
// for weeks), or "now".
func parseTime(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, errors.New("empty time: " + timeFormats)
	}
	if s == "now" {
		return now.Truncate(time.Second), nil
	}
	if isDigits(s) {
		if len(s) >= 12 {
			return time.Time{}, errors.New("that looks like milliseconds or finer: give Unix seconds")
		}
		n, _ := strconv.ParseInt(s, 10, 64) // at most 11 digits: cannot fail
		return time.Unix(n, 0), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if d, ok, err := parseAgo(s); ok {
		if err != nil {
			return time.Time{}, err
		}
		return now.Add(-d).Truncate(time.Second), nil
	}
	if strings.Contains(s, "T") && strings.Contains(s, ":") {
		return time.Time{}, errors.New("an RFC 3339 time needs seconds and a zone (Z or +01:00), such as 2025-01-31T08:00:00Z")
	}
	return time.Time{}, errors.New("not a time: " + timeFormats)
}

// parseAgo reads a duration back from now: a Go duration (90m, 1h30m), or a
// whole number of days or weeks (7d, 2w). ok is false if s is not a
// duration at all.
func parseAgo(s string) (d time.Duration, ok bool, err error) {
	if n := len(s); n >= 2 && (s[n-1] == 'd' || s[n-1] == 'w') && isDigits(s[:n-1]) {
		v, err := strconv.ParseInt(s[:n-1], 10, 64)
		unit := 24 * time.Hour
		if s[n-1] == 'w' {
			unit *= 7
		}
		if err != nil || v > int64(100*365*24*time.Hour/unit) {
			return 0, true, errors.New("too far back")
		}
		return time.Duration(v) * unit, true, nil
	}
	d, perr := time.ParseDuration(s)
	if perr != nil {
		return 0, false, nil
	}
	if d < 0 {
		return 0, true, errors.New("a duration back from now must not be negative")
	}
	return d, true, nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// timeFlag is a flag.Value for a time, read relative to now.
type timeFlag struct {
	t   time.Time
	now func() time.Time
}

func (f *timeFlag) String() string {
	if f == nil || f.t.IsZero() {
		return ""
	}
	return f.t.UTC().Format(time.RFC3339)
}

func (f *timeFlag) Set(s string) error {
	t, err := parseTime(s, f.now())
	if err != nil {
		return err
	}
	if t.Unix() < 0 {
		return errors.New("before 1970")
	}
	f.t = t
	return nil
}

// filterFlags are the filters of /logs, shared by logs and tail.
type filterFlags struct {
	action, actor, entity string
	exclude               string
	limit                 int
}

func (f *filterFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.action, "action", "", "only events of this action `NAME`, such as user_login (see 'auditlogs actions')")
	fs.StringVar(&f.actor, "actor", "", "only events performed by this user `ID`")
	fs.StringVar(&f.entity, "entity", "", "only events on the object of this `ID` (user, channel, file, workspace...)")
	fs.StringVar(&f.exclude, "exclude-action", "", "leave out the events of these actions, `NAME[,NAME...]`, filtered on our side (Slack's --action takes one)")
	fs.IntVar(&f.limit, "limit", 0, "entries per page to ask for, 1 to 9999 (default 9999: the fewest calls)")
}

func (f *filterFlags) check() error {
	if f.limit < 0 || f.limit > 9999 {
		return fmt.Errorf("--limit must be between 1 and 9999, got %d", f.limit)
	}
	if f.exclude != "" && slices.Contains(strings.Split(f.exclude, ","), "") {
		return fmt.Errorf("--exclude-action takes action names separated by commas, such as user_login,file_downloaded: got %s", quoteArg(f.exclude))
	}
	return nil
}

// excluded returns the names of --exclude-action, sorted, without
// duplicates.
func (f *filterFlags) excluded() []string {
	if f.exclude == "" {
		return nil
	}
	names := strings.Split(f.exclude, ",")
	for i := range names {
		names[i] = strings.TrimSpace(names[i])
	}
	slices.Sort(names)
	return slices.Compact(names)
}
