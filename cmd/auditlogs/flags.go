package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/slackaudit/auditlogs"
)

// This file holds the command line's grammar, the same for every command:
// one duration syntax, one time syntax, list flags that add up, single
// flags that may be given once, --format with its old spellings, and the
// messages of bad input. Every command parses with parseFlags, which
// applies the rules to the flags it registered, whatever their type.

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
	// and waits (tail's --log-format); with --debug, it is the debug logger
	// too, so that every line has its format.
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
	durationVar(fs, &g.timeout, "timeout", 2*time.Minute, "bound each HTTP attempt, body included")
	intVar(fs, &g.retries, "retries", 4, 0, 1000, "retries of a call after a network error, 429 or 5xx")
	intVar(fs, &g.rate, "rate", 50, 0, 1_000_000, "at most `N` calls a minute (Slack's budget is about 50, shared by the whole org; 0: no limit)")
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
//
// Before parsing, it applies the grammar to every flag registered: a
// duration flag, whatever registered it, reads durationSyntax; an int flag
// explains a value that is not a whole number; a flag that is not a list
// may be given once (see onceValue). So a command that registers its flags
// with the flag package's own functions follows the rules too.
func parseFlags(e *env, fs *flag.FlagSet, spec cmdSpec, g *globalFlags, args []string) (bool, int) {
	if tokenFlagGiven(args) {
		fmt.Fprintf(e.stderr, "auditlogs: there is no --token flag: a token on the command line shows in ps and in shell history.\n"+
			"Set SLACK_AUDIT_TOKEN, or put the token in a file and pass --token-file FILE (--token-file - reads it from stdin).\n")
		return false, exitUsage
	}
	ps := prepareFlags(fs)
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(e.stdout)
		fs.Usage()
		return false, exitOK
	}
	if err != nil {
		return false, usageError(e, spec.name, "%s", redactTokens(flagErrorText(fs, ps, err)))
	}
	if fs.NArg() > 0 {
		return false, usageError(e, spec.name, "unexpected argument %s (flags only)", quoteArg(fs.Arg(0)))
	}
	if g == nil {
		return true, 0
	}
	g.set = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { g.set[f.Name] = true })
	if g.timeout <= 0 {
		return false, usageError(e, spec.name, "--timeout must be positive, such as 30s or 2m")
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

// parseState records the first error a flag's value met while parsing: the
// flag package passes it on only as text, single-dashed.
type parseState struct {
	name string // the flag, without dashes
	raw  string // the value given
	err  error
}

// fail records err for the flag name and returns it.
func (ps *parseState) fail(name, raw string, err error) error {
	if ps.err == nil {
		ps.name, ps.raw, ps.err = name, raw, err
	}
	return err
}

// flagSyntax matches a flag as the flag package's messages name it.
var flagSyntax = regexp.MustCompile(`(^|[\s:(])-{1,2}([A-Za-z0-9][\w-]*)`)

// flagErrorText turns an error of fs.Parse into a message: two dashes for
// every flag, the value error our values recorded, and a suggestion for an
// unknown flag.
func flagErrorText(fs *flag.FlagSet, ps *parseState, err error) string {
	if ps.err != nil {
		var twice *givenTwiceError
		if errors.As(ps.err, &twice) {
			return twice.Error()
		}
		var refused *refusedError
		if errors.As(ps.err, &refused) {
			return "--" + ps.name + ": " + refused.Error()
		}
		return fmt.Sprintf("invalid value %s for --%s: %v", quoteArg(ps.raw), ps.name, ps.err)
	}
	msg := err.Error()
	// The flag package has no error types: its few messages are known.
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		msg = "unknown flag --" + name
		var names []string
		fs.VisitAll(func(f *flag.Flag) {
			if !hiddenFlag(f) {
				names = append(names, f.Name)
			}
		})
		if s := suggest(name, names); s != "" {
			msg += " (did you mean --" + s + "?)"
		}
		return msg
	}
	return flagSyntax.ReplaceAllString(msg, "$1--$2")
}

// prepareFlags applies the grammar to the flags registered on fs (see
// parseFlags) and returns where their errors go.
func prepareFlags(fs *flag.FlagSet) *parseState {
	ps := &parseState{}
	wrapped := map[flag.Value]*onceValue{}
	var aliases []*flag.Flag
	fs.VisitAll(func(f *flag.Flag) {
		if _, ok := f.Value.(*aliasValue); ok {
			aliases = append(aliases, f)
			return
		}
		orig := f.Value
		v := f.Value
		if getter, ok := v.(flag.Getter); ok {
			switch getter.Get().(type) {
			case time.Duration:
				if _, ours := v.(*durationValue); !ours {
					v = &goDuration{v}
				}
			case int:
				if _, ours := v.(*intValue); !ours {
					v = &goInt{v}
				}
			}
		}
		o := &onceValue{Value: v, name: f.Name, ps: ps}
		_, o.list = v.(*listValue)
		if b, ok := v.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			f.Value = &onceBool{o}
		} else {
			f.Value = o
		}
		wrapped[orig] = o
	})
	for _, f := range aliases {
		a := f.Value.(*aliasValue)
		if o := wrapped[a.Value]; o != nil {
			f.Value = &aliasValue{Value: &aliasOf{o, f.Name}, of: a.of}
		}
	}
	return ps
}

// onceValue wraps a flag's value: a value that is not a list may be given
// once, and a bad value's error is recorded for the message.
type onceValue struct {
	flag.Value
	name  string // the flag's name
	list  bool
	given string // the name it was given under (an alias's, maybe), "" if not yet
	raw   string
	ps    *parseState
}

func (o *onceValue) set(name, s string) error {
	if o.given != "" && !o.list {
		return o.ps.fail(name, s, &givenTwiceError{first: o.given, second: name, v1: o.raw, v2: s})
	}
	if err := o.Value.Set(s); err != nil {
		return o.ps.fail(name, s, err)
	}
	o.given, o.raw = name, s
	return nil
}

func (o *onceValue) Set(s string) error { return o.set(o.name, s) }

// Get returns the wrapped value's, for flag.Getter.
func (o *onceValue) Get() any {
	if g, ok := o.Value.(flag.Getter); ok {
		return g.Get()
	}
	return o.Value.String()
}

// onceBool is a onceValue of a boolean flag (--demo, not --demo true).
type onceBool struct{ *onceValue }

func (onceBool) IsBoolFlag() bool { return true }

// aliasOf sets a value shared with another flag under the alias's name.
type aliasOf struct {
	*onceValue
	name string
}

func (a *aliasOf) Set(s string) error { return a.set(a.name, s) }

// givenTwiceError is a single-valued flag given twice.
type givenTwiceError struct{ first, second, v1, v2 string }

func (e *givenTwiceError) Error() string {
	if e.first == e.second {
		return fmt.Sprintf("--%s given twice (%s, then %s): it takes one value, give it once", e.first, quoteArg(e.v1), quoteArg(e.v2))
	}
	return fmt.Sprintf("--%s and --%s are the same flag, given twice: give it once", e.first, e.second)
}

// aliasValue is a hidden flag that sets another one: an old name kept
// working (tail's --start for --oldest). Help does not list it.
type aliasValue struct {
	flag.Value
	of string // the flag it stands for
}

// IsBoolFlag passes on the target's.
func (a *aliasValue) IsBoolFlag() bool {
	b, ok := a.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// aliasVar registers name as a hidden alias of the flag target, which must
// be registered already.
func aliasVar(fs *flag.FlagSet, name, target string) {
	fs.Var(&aliasValue{Value: fs.Lookup(target).Value, of: target}, name, "the old name of --"+target)
}

// refusedValue is a hidden flag of the shared grammar that a command
// refuses, with a message saying what to do instead (tail's --latest).
// Help does not list it.
type refusedValue struct{ msg string }

func (*refusedValue) String() string { return "" }

func (r *refusedValue) Set(string) error { return &refusedError{r.msg} }

// IsBoolFlag makes the flag refused with its message even without a value
// (--latest alone), not "needs an argument".
func (*refusedValue) IsBoolFlag() bool { return true }

// refusedError is the error of a refused flag: its message is all there
// is to say, without "invalid value".
type refusedError struct{ msg string }

func (e *refusedError) Error() string { return e.msg }

// refuseVar registers name as a refused flag with the message msg.
func refuseVar(fs *flag.FlagSet, name, msg string) {
	fs.Var(&refusedValue{msg}, name, msg)
}

// hiddenFlag reports whether f is left out of help and of suggestions: an
// alias or a refused flag.
func hiddenFlag(f *flag.Flag) bool {
	if _, alias := f.Value.(*aliasValue); alias {
		return true
	}
	_, refused := unwrapValue(f.Value).(*refusedValue)
	return refused
}

// durationSyntax is the help for a duration value, in messages and help.
const durationSyntax = "a number and a unit, s, m, h, d (24h) or w (7d), such as 90s, 15m, 1h30m, 7d or 2w"

// maxDuration bounds every duration: 100 years.
const maxDuration = 100 * 365 * 24 * time.Hour

// parseDuration reads a duration: numbers each followed by a unit, ms, s,
// m, h, d (24 hours) or w (7 days), added up (1h30m, 1d12h); or 0. A bare
// number is refused: its unit would be a guess.
func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return 0, errors.New("empty duration: give " + durationSyntax)
	case s == "0":
		return 0, nil
	case isDigits(s):
		return 0, fmt.Errorf("a duration needs a unit: %ss, %sm, %sh or %sd, for example", s, s, s, s)
	case strings.HasPrefix(s, "-"):
		return 0, errors.New("a duration must not be negative: give " + durationSyntax)
	}
	var total float64
	for rest := s; rest != ""; {
		i := strings.IndexFunc(rest, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
		if i <= 0 {
			return 0, errors.New("not a duration: give " + durationSyntax)
		}
		j := strings.IndexFunc(rest[i:], func(r rune) bool { return r < 'a' || r > 'z' })
		if j < 0 {
			j = len(rest) - i
		}
		n, err := strconv.ParseFloat(rest[:i], 64)
		unit, ok := durationUnits[rest[i:i+j]]
		if err != nil || !ok {
			return 0, errors.New("not a duration: give " + durationSyntax)
		}
		total += n * float64(unit)
		rest = rest[i+j:]
	}
	if total > float64(maxDuration) {
		return 0, errors.New("too long: at most 100 years")
	}
	return time.Duration(total), nil
}

var durationUnits = map[string]time.Duration{
	"ms": time.Millisecond, "s": time.Second, "m": time.Minute, "h": time.Hour, "d": 24 * time.Hour, "w": 7 * 24 * time.Hour,
}

// durationValue is a flag.Value for a duration in durationSyntax.
type durationValue struct{ p *time.Duration }

// durationVar registers a duration flag.
func durationVar(fs *flag.FlagSet, p *time.Duration, name string, value time.Duration, usage string) {
	*p = value
	fs.Var(&durationValue{p}, name, usage)
}

func (d *durationValue) String() string {
	if d == nil || d.p == nil {
		return ""
	}
	return formatDuration(*d.p)
}

func (d *durationValue) Set(s string) error {
	v, err := parseDuration(s)
	if err != nil {
		return err
	}
	*d.p = v
	return nil
}

func (d *durationValue) Get() any { return *d.p }

// formatDuration writes d the way durations are given: 2m, 1h30m, 1d.
func formatDuration(d time.Duration) string {
	if d == 0 {
		return "0"
	}
	var b strings.Builder
	for _, u := range []struct {
		unit time.Duration
		name string
	}{{24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}, {time.Millisecond, "ms"}} {
		if n := d / u.unit; n > 0 {
			fmt.Fprintf(&b, "%d%s", n, u.name)
			d -= n * u.unit
		}
	}
	if b.Len() == 0 {
		return d.String()
	}
	return b.String()
}

// goDuration makes a flag registered with flag.Duration read durationSyntax.
type goDuration struct{ flag.Value }

func (g *goDuration) Set(s string) error {
	d, err := parseDuration(s)
	if err != nil {
		return err
	}
	return g.Value.Set(d.String())
}

func (g *goDuration) Get() any { return g.Value.(flag.Getter).Get() }

func (g *goDuration) String() string {
	if g == nil || g.Value == nil {
		return ""
	}
	if d, ok := g.Get().(time.Duration); ok {
		return formatDuration(d)
	}
	return g.Value.String()
}

// goInt makes a flag registered with flag.Int explain a bad value.
type goInt struct{ flag.Value }

func (g *goInt) Set(s string) error {
	if _, err := strconv.Atoi(strings.TrimSpace(s)); err != nil {
		return errors.New("not a whole number, such as 10")
	}
	return g.Value.Set(strings.TrimSpace(s))
}

func (g *goInt) Get() any { return g.Value.(flag.Getter).Get() }

// intValue is a flag.Value for a whole number within bounds: every bad
// value, out of bounds or not a number, is explained the same way.
type intValue struct {
	p        *int
	min, max int
	unset    bool // the default is 0, outside the bounds, meaning "not given"
}

// intVar registers an int flag taking min to max.
func intVar(fs *flag.FlagSet, p *int, name string, value, min, max int, usage string) {
	*p = value
	fs.Var(&intValue{p: p, min: min, max: max}, name, usage)
}

// optionalIntVar registers an int flag taking min to max whose zero value
// means "not given" (the usage says what that does).
func optionalIntVar(fs *flag.FlagSet, p *int, name string, min, max int, usage string) {
	*p = 0
	fs.Var(&intValue{p: p, min: min, max: max, unset: true}, name, usage)
}

func (v *intValue) String() string {
	if v == nil || v.p == nil || (v.unset && *v.p == 0) {
		return ""
	}
	return strconv.Itoa(*v.p)
}

func (v *intValue) Set(s string) error {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < v.min || n > v.max {
		if v.max >= 1_000_000 {
			return fmt.Errorf("give a whole number, %d or more", v.min)
		}
		return fmt.Errorf("give a whole number from %d to %d", v.min, v.max)
	}
	*v.p = n
	return nil
}

func (v *intValue) Get() any { return *v.p }

// listValue is a flag.Value for a list of names: each value is a comma
// list, and a flag given again adds to the list.
type listValue struct {
	p    *[]string
	item string // what one value is, for help: NAME, ID, FILE
}

// listVar registers a list flag whose values are items (NAME, ID, FILE).
func listVar(fs *flag.FlagSet, p *[]string, name, item, usage string) {
	fs.Var(&listValue{p, item}, name, usage)
}

// placeholder is the value's name in help: NAME[,NAME...].
func (l *listValue) placeholder() string { return l.item + "[," + l.item + "...]" }

func (l *listValue) String() string {
	if l == nil || l.p == nil {
		return ""
	}
	return strings.Join(*l.p, ",")
}

func (l *listValue) Set(s string) error {
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			return fmt.Errorf("an empty %s: give %s", strings.ToLower(l.item), l.placeholder())
		}
		*l.p = append(*l.p, part)
	}
	return nil
}

func (l *listValue) Get() any { return *l.p }

// formatValue is a flag.Value for --format: one of choices, or an old
// spelling of one (aliases: old spelling to choice).
type formatValue struct {
	p       *string
	choices []string
	aliases map[string]string
}

// The output formats. json is JSON Lines for a stream of events, one
// document otherwise.
const (
	formatJSON  = "json"
	formatTable = "table"
	formatCSV   = "csv"
)

// formatVar registers --format taking choices, or the old spellings of
// aliases; the usage gets the old spellings appended.
func formatVar(fs *flag.FlagSet, p *string, value string, choices []string, aliases map[string]string, usage string) {
	namedFormatVar(fs, "format", p, value, choices, aliases, usage)
}

// namedFormatVar is formatVar for a flag of another name that takes a
// format (tail's --log-format).
func namedFormatVar(fs *flag.FlagSet, name string, p *string, value string, choices []string, aliases map[string]string, usage string) {
	*p = value
	if len(aliases) > 0 {
		olds := make([]string, 0, len(aliases))
		for old, v := range aliases {
			olds = append(olds, old+" for "+v)
		}
		slices.Sort(olds)
		usage += "; also accepted: " + strings.Join(olds, ", ")
	}
	fs.Var(&formatValue{p: p, choices: choices, aliases: aliases}, name, usage)
}

func (f *formatValue) String() string {
	if f == nil || f.p == nil {
		return ""
	}
	return *f.p
}

func (f *formatValue) Set(s string) error {
	if v, ok := f.aliases[s]; ok {
		s = v
	}
	if !slices.Contains(f.choices, s) {
		return errors.New("unknown format: use " + orList(f.choices))
	}
	*f.p = s
	return nil
}

// placeholder is the value's name in help: the choices.
func (f *formatValue) placeholder() string { return strings.Join(f.choices, "|") }

// orList is "a, b or c".
func orList(xs []string) string {
	if len(xs) < 2 {
		return strings.Join(xs, "")
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " or " + xs[len(xs)-1]
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
	"a duration back from now (90m, 24h, 7d, 2w, 1d12h), or now"

// parseTime reads a time flag: RFC 3339, a date (midnight UTC), Unix
// seconds, a duration back from now (durationSyntax), or "now".
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
	if s[0] >= '0' && s[0] <= '9' && !strings.ContainsAny(s, "-:T") {
		d, err := parseDuration(s)
		if err != nil {
			return time.Time{}, errors.New("not a time: " + timeFormats)
		}
		return now.Add(-d).Truncate(time.Second), nil
	}
	if strings.Contains(s, "T") && strings.Contains(s, ":") {
		return time.Time{}, errors.New("an RFC 3339 time needs seconds and a zone (Z or +01:00), such as 2025-01-31T08:00:00Z")
	}
	return time.Time{}, errors.New("not a time: " + timeFormats)
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

// rangeFlags are --oldest and --latest, of every command that reads a
// range of time.
type rangeFlags struct{ oldest, latest *timeFlag }

func (r *rangeFlags) register(fs *flag.FlagSet, now func() time.Time) {
	r.registerOldest(fs, now, "only events at or after `TIME`")
	r.latest = &timeFlag{now: now}
	fs.Var(r.latest, "latest", "only events at or before `TIME`")
}

// registerOldest registers --oldest alone, with its usage: for a command
// whose range has no end (tail).
func (r *rangeFlags) registerOldest(fs *flag.FlagSet, now func() time.Time, usage string) {
	r.oldest = &timeFlag{now: now}
	fs.Var(r.oldest, "oldest", usage)
}

func (r *rangeFlags) check() error {
	if !r.oldest.t.IsZero() && !r.latest.t.IsZero() && r.oldest.t.Unix() > r.latest.t.Unix() {
		return fmt.Errorf("--oldest %s is after --latest %s", r.oldest, r.latest)
	}
	return nil
}

// maxActionsPerCall is how many action names Slack's action filter takes
// in one call.
const maxActionsPerCall = 30

// maxCalls bounds the calls one command line's filters may take (groups of
// 30 actions, times actors, times entities): each holds a page in memory.
const maxCalls = 64

// actionHelp says, the same way everywhere, how --action maps to Slack's
// filter: for a command that merges several calls, and for one that makes
// one.
const (
	actionHelp = "only events of these actions (see 'auditlogs actions'); Slack's filter takes up to 30 names a call, " +
		"so more make one call for each 30"
	actionHelpOneCall = "only events of these actions (see 'auditlogs actions'); up to 30, as Slack's filter takes " +
		"up to 30 names a call"
)

// filterFlags are the filters of /logs, shared by logs, drift and tail.
type filterFlags struct {
	actions, actors, entities, excludes []string
	limit                               int
	// multi says the command pulls several calls' events merged (logs,
	// drift): then any number of actors and entities, and of actions, may
	// be given. Without it (tail), one actor, one entity and 30 actions.
	multi bool

	// Set by check, for a command that makes one call (tail): the
	// filters as Slack's parameters.
	action, actor, entity string
}

func (f *filterFlags) register(fs *flag.FlagSet) {
	if f.multi {
		listVar(fs, &f.actions, "action", "NAME", actionHelp)
		listVar(fs, &f.actors, "actor", "ID", "only events performed by these users (Slack's filter takes one: one call for each)")
		listVar(fs, &f.entities, "entity", "ID", "only events on these objects, users, channels, files, workspaces... (Slack's filter takes one: one call for each)")
	} else {
		listVar(fs, &f.actions, "action", "NAME", actionHelpOneCall)
		listVar(fs, &f.actors, "actor", "ID", "only events performed by this user (one)")
		listVar(fs, &f.entities, "entity", "ID", "only events on this object, a user, channel, file, workspace... (one)")
	}
	listVar(fs, &f.excludes, "exclude-action", "NAME", "leave out the events of these actions, filtered on our side (they still cost their share of each page)")
	optionalIntVar(fs, &f.limit, "limit", 1, auditlogs.MaxLimit, "entries per page to ask for, `N` from 1 to 9999 (default 9999: the fewest calls)")
}

// check dedupes the lists and checks what one call can take.
func (f *filterFlags) check() error {
	for _, l := range []*[]string{&f.actions, &f.actors, &f.entities, &f.excludes} {
		*l = dedupe(*l)
	}
	if !f.multi {
		switch {
		case len(f.actions) > maxActionsPerCall:
			return fmt.Errorf("--action: at most %d names here (Slack's limit for one call), got %d", maxActionsPerCall, len(f.actions))
		case len(f.actors) > 1:
			return fmt.Errorf("--actor: one user here, got %d", len(f.actors))
		case len(f.entities) > 1:
			return fmt.Errorf("--entity: one object here, got %d", len(f.entities))
		}
	} else if n := f.calls(); n > maxCalls {
		return fmt.Errorf("the filters take %d calls (groups of %d actions, times actors, times entities): at most %d", n, maxActionsPerCall, maxCalls)
	}
	f.action = strings.Join(f.actions, ",")
	f.actor = strings.Join(f.actors, ",")
	f.entity = strings.Join(f.entities, ",")
	return nil
}

// calls is how many calls the filters take.
func (f *filterFlags) calls() int {
	return max(1, (len(f.actions)+maxActionsPerCall-1)/maxActionsPerCall) * max(1, len(f.actors)) * max(1, len(f.entities))
}

// excluded returns the names of --exclude-action, sorted, without
// duplicates.
func (f *filterFlags) excluded() []string {
	names := slices.Clone(f.excludes)
	slices.Sort(names)
	return slices.Compact(names)
}

// params returns the parameters of each call the filters take, base's time
// range and limit in each: actions in groups of 30, times each actor, times
// each entity. Their events do not overlap (an event has one action, one
// actor, one entity).
func (f *filterFlags) params(base auditlogs.LogsParams) []auditlogs.LogsParams {
	base.Limit = f.limit
	base.ExcludeActions = f.excluded()
	groups := []string{""}
	if len(f.actions) > 0 {
		groups = nil
		for c := range slices.Chunk(f.actions, maxActionsPerCall) {
			groups = append(groups, strings.Join(c, ","))
		}
	}
	actors, entities := orNone(f.actors), orNone(f.entities)
	var out []auditlogs.LogsParams
	for _, a := range groups {
		for _, u := range actors {
			for _, en := range entities {
				p := base
				p.Action, p.Actor, p.Entity = a, u, en
				out = append(out, p)
			}
		}
	}
	return out
}

func orNone(xs []string) []string {
	if len(xs) == 0 {
		return []string{""}
	}
	return xs
}

// dedupe drops repeated values, keeping the first of each.
func dedupe(xs []string) []string {
	seen := map[string]bool{}
	out := xs[:0]
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
