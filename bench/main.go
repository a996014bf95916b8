// Command bench measures the library (Client.AllLogs), the CLI (auditlogs
// logs --format jsonl --out FILE), two floors (reading the bodies only; a
// plain encoding/json struct) and slack-go's GetAuditLogsContext side by
// side, in one run, against the fake Audit Logs API (auditlogstest) on
// loopback; then checks the client-side rate limiter against a
// Tier-3-like server limit. See README.md.
//
//	cd bench && go run .            # the full run (about 2.5 minutes on 2 cores)
//	cd bench && go run . -quick     # a smoke test for CI (under a minute)
//
// Every measurement runs in a child process (the runner re-executed with
// -child=NAME, or the CLI's binary), so that each contender's peak RSS is its
// own; the fake server stays in the runner's process.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/slackaudit/auditlogs/auditlogstest"
)

type options struct {
	entries      int
	runs         int
	limits       []int
	quick        bool
	scale        bool
	scaleEntries int
	tier3        bool
	tier3Pages   int
	tier3Off     int
	cliPath      string
	seed         int64
	modes        []string // modePlain, modeGzip: the wire's modes measured
}

func main() { os.Exit(run()) }

func run() int {
	var o options
	child := flag.String("child", "", "internal: measure this contender in this process and print a JSON line")
	childURL := flag.String("url", "", "internal: the API base URL, for -child")
	childLimit := flag.Int("limit", 0, "internal: the page size, for -child")
	bombAPI := flag.String("bomb-api", "alllogs", "the API the bomb scenario calls: alllogs or logs")
	childOff := flag.String("off", "", "internal: pieces to turn off in the child (see -scenario pieces)")
	piecesPages := flag.Int("pieces-pages", 10, "pages of 9999 entries in the pieces scenario")
	piecesLatencies := flag.String("pieces-latencies", "0s,300ms,1s", "the fake's latency per request in the pieces scenario, comma-separated")
	piecesVariants := flag.String("pieces-variants", "all,stringcache,gendecode", "variants of the pieces scenario: all (everything on) and the pieces to turn off, one at a time")
	flag.IntVar(&o.entries, "entries", 200000, "entries in the fake server's corpus")
	flag.IntVar(&o.runs, "runs", 5, "runs of each measurement (the report gives medians)")
	limits := flag.String("limits", "9999,1000", "page sizes to measure, comma-separated")
	modes := flag.String("modes", "plain,gzip", "the wire's modes to measure, comma-separated: plain (the fake never compresses) and gzip (it compresses when asked, as Slack does)")
	flag.BoolVar(&o.quick, "quick", false, "smoke test for CI: 20,000 entries, 1 run, no -scale, a short Tier 3 check; fails only if something is broken")
	flag.BoolVar(&o.scale, "scale", true, "also measure the library's peak RSS with a larger corpus (-scale-entries), to check it stays flat")
	flag.IntVar(&o.scaleEntries, "scale-entries", 1000000, "corpus size of the -scale check")
	flag.BoolVar(&o.tier3, "tier3", true, "run the Tier 3 rate-limit scenario")
	flag.IntVar(&o.tier3Pages, "tier3-pages", 150, "pages of 100 entries in the Tier 3 scenario")
	flag.IntVar(&o.tier3Off, "tier3-off-pages", 150, "pages of 100 entries in the Tier 3 scenario with the client limiter off")
	flag.StringVar(&o.cliPath, "cli", "", "the CLI binary to measure (default: go build github.com/slackaudit/auditlogs/cmd/auditlogs)")
	flag.Int64Var(&o.seed, "seed", 1, "seed of the synthetic corpus")
	scenario := flag.String("scenario", "", "run only this scenario: shared (two clients on one Tier 3 budget, and one alone) pieces (what each piece of the machinery saves at limit 9999, with latency) or bomb (peak RSS of a gzip bomb refused at the default limit); default: all but those")
	sharedPages := flag.Int("shared-pages", 90, "pages of 100 entries each client reads in the shared scenario")
	sharedStart := flag.Duration("shared-stagger", sharedStagger, "in the shared scenario, start the second client this long after the first")
	flag.StringVar(&rssMethod, "rss", "ptrace", "how to read the CLI's peak RSS: ptrace (stop it as it exits and read VmHWM) or poll (read VmHWM every millisecond)")
	flag.Parse()

	if *child != "" {
		if err := applyOff(*childOff); err != nil {
			fmt.Fprintf(os.Stderr, "bench child: %v\n", err)
			return 2
		}
		return childMain(*child, *childURL, *childLimit)
	}

	switch *scenario {
	case "":
	case "shared":
		if *sharedPages <= tier3Burst {
			fmt.Fprintln(os.Stderr, "bench: -shared-pages must be above the burst (5)")
			return 2
		}
		ok, err := runSharedScenario(context.Background(), os.Stdout, *sharedPages, o.runs, *sharedStart, o.seed)
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench: FAILED: %v\n", err)
			return 1
		}
		if !ok {
			fmt.Fprintln(os.Stderr, "bench: the shared-budget scenario missed a target")
			return 1
		}
		return 0
	case "bomb":
		if err := runBombScenario(os.Stdout, *bombAPI); err != nil {
			fmt.Fprintf(os.Stderr, "bench: FAILED: %v\n", err)
			return 1
		}
		return 0
	case "pieces":
		po := piecesOptions{pages: *piecesPages, runs: o.runs, seed: o.seed, modes: []string{modeGzip}}
		var err error
		if po.latencies, err = parseLatencies(*piecesLatencies); err == nil {
			po.variants, err = parseVariants(*piecesVariants)
		}
		set := map[string]bool{}
		flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if set["modes"] {
			po.modes = strings.Split(*modes, ",")
		}
		if err != nil || po.pages < 1 || o.runs < 1 {
			fmt.Fprintf(os.Stderr, "bench: bad flags for -scenario pieces: %v\n", err)
			return 2
		}
		if err := runPiecesScenario(os.Stdout, po); err != nil {
			fmt.Fprintf(os.Stderr, "bench: FAILED: %v\n", err)
			return 1
		}
		return 0
	default:
		fmt.Fprintf(os.Stderr, "bench: unknown -scenario %q: shared, pieces or bomb\n", *scenario)
		return 2
	}

	set := map[string]bool{}
	flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if o.quick {
		if !set["entries"] {
			o.entries = 20000
		}
		if !set["runs"] {
			o.runs = 1
		}
		if !set["scale"] {
			o.scale = false
		}
		if !set["tier3-pages"] {
			o.tier3Pages = 60
		}
		if !set["tier3-off-pages"] {
			o.tier3Off = 20
		}
	}
	for _, f := range strings.Split(*limits, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > 9999 {
			fmt.Fprintf(os.Stderr, "bench: bad -limits %q: page sizes are 1 to 9999\n", *limits)
			return 2
		}
		o.limits = append(o.limits, n)
	}
	for _, m := range strings.Split(*modes, ",") {
		m = strings.TrimSpace(m)
		if m != modePlain && m != modeGzip || slices.Contains(o.modes, m) {
			fmt.Fprintf(os.Stderr, "bench: bad -modes %q: plain, gzip or both\n", *modes)
			return 2
		}
		o.modes = append(o.modes, m)
	}
	if rssMethod != "ptrace" && rssMethod != "poll" {
		fmt.Fprintln(os.Stderr, "bench: -rss is ptrace or poll")
		return 2
	}
	if o.entries < 1 || o.runs < 1 || o.tier3Pages <= tier3Burst || o.tier3Off < 1 {
		fmt.Fprintln(os.Stderr, "bench: -entries and -runs must be positive, -tier3-pages above the burst (5)")
		return 2
	}

	r, err := newRunner(o)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		return 1
	}
	defer os.RemoveAll(r.tmp)
	rep, err := r.runAll()
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: FAILED: %v\n", err)
		return 1
	}
	rep.write(os.Stdout)
	return 0
}

// runner runs the measurements.
// rssMethod is the -rss flag.
var rssMethod = "ptrace"

type runner struct {
	o       options
	self    string // this executable, re-executed for each child
	cliBin  string
	tmp     string
	command string
	version string // the library's commit, as git describes it
	off     string // pieces the child of ours turns off (-scenario pieces)
}

func newRunner(o options) (*runner, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "auditlogs-bench-")
	if err != nil {
		return nil, err
	}
	r := &runner{o: o, self: self, tmp: tmp, cliBin: o.cliPath}
	r.command = "cd bench && go run ."
	if len(os.Args) > 1 {
		r.command += " " + strings.Join(os.Args[1:], " ")
	}
	root := ""
	if out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/slackaudit/auditlogs").Output(); err == nil {
		root = strings.TrimSpace(string(out))
		r.version = gitVersion(root)
	}
	if r.cliBin == "" {
		if root == "" {
			os.RemoveAll(tmp)
			return nil, errors.New("cannot locate the library's module: run the runner from bench/, or pass -cli")
		}
		if r.cliBin, err = buildCLI(root, tmp); err != nil {
			os.RemoveAll(tmp)
			return nil, err
		}
	}
	return r, nil
}

// gitVersion names the commit of the library's checkout, and whether files
// outside bench/ differ from it; "" without git.
func gitVersion(root string) string {
	out, err := exec.Command("git", "-C", root, "rev-parse", "--short=12", "HEAD").Output()
	if err != nil {
		return ""
	}
	v := "commit " + strings.TrimSpace(string(out))
	if st, err := exec.Command("git", "-C", root, "status", "--porcelain", "--", ".", ":(exclude)bench").Output(); err == nil && len(bytes.TrimSpace(st)) > 0 {
		v += " with uncommitted changes outside bench/"
	}
	return v
}

// buildCLI builds the CLI from the library's own module (found through this
// module's replace directive), as a user would.
func buildCLI(root, dir string) (string, error) {
	bin := filepath.Join(dir, "auditlogs")
	logf("building the CLI: go build -o %s github.com/slackaudit/auditlogs/cmd/auditlogs (in %s)", bin, root)
	cmd := exec.Command("go", "build", "-o", bin, "github.com/slackaudit/auditlogs/cmd/auditlogs")
	cmd.Dir = root
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("building the CLI: %w", err)
	}
	return bin, nil
}

func logf(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", a...)
}

// sample is one measurement of one contender.
type sample struct {
	Contender string
	Mode      string // modePlain or modeGzip
	Corpus    int
	Limit     int
	Run       int
	Entries   int64 // entries the server sent in full pages
	Bytes     int64 // bytes of /logs bodies the server sent
	Pages     int64 // /logs requests
	Seconds   float64
	// CPUSeconds is the contender's user+system CPU time: over the loop for
	// the runner's children, over the whole process for the CLI.
	CPUSeconds float64
	// AllocBytes and Mallocs are the child's runtime.MemStats deltas; -1
	// for the CLI, which is not instrumented.
	AllocBytes int64
	Mallocs    int64
	// PeakKiB is the process's VmHWM (peak RSS): read by the runner's
	// children themselves at the end, by the parent as the CLI exits.
	PeakKiB     int64
	Method      string
	SignalStops int // times the traced CLI stopped for a signal
}

func (s sample) entriesPerSec() float64 { return float64(s.Entries) / s.Seconds }
func (s sample) bytesPerSec() float64   { return float64(s.Bytes) / s.Seconds }

// measure runs one contender once, in a child process, against srv.
func (r *runner) measure(srv *server, name, mode string, corpus, limit, run int) (sample, error) {
	s := sample{Contender: name, Mode: mode, Corpus: corpus, Limit: limit, Run: run, AllocBytes: -1, Mallocs: -1}
	base := srv.url(mode)
	stdout, err := os.CreateTemp(r.tmp, "stdout-")
	if err != nil {
		return s, err
	}
	defer os.Remove(stdout.Name())
	defer stdout.Close()
	stderr, err := os.CreateTemp(r.tmp, "stderr-")
	if err != nil {
		return s, err
	}
	defer os.Remove(stderr.Name())
	defer stderr.Close()

	var path string
	var args []string
	env := os.Environ()
	outFile := filepath.Join(r.tmp, "out.jsonl")
	if name == cli {
		path = r.cliBin
		args = []string{"logs", "--base-url", base, "--format", "jsonl", "--out", outFile,
			"--limit", strconv.Itoa(limit), "--rate", "0"}
		env = envWith(env, "SLACK_AUDIT_TOKEN", auditlogstest.DefaultToken)
		defer os.Remove(outFile)
	} else {
		path = r.self
		args = []string{"-child", name, "-url", base, "-limit", strconv.Itoa(limit)}
		if r.off != "" {
			args = append(args, "-off", r.off)
		}
	}

	before := srv.stats()
	pr, err := runProc(path, args, env, stdout, stderr, name == cli)
	after := srv.stats()
	errText, _ := os.ReadFile(stderr.Name())
	if err == nil && pr.ExitCode != 0 {
		err = fmt.Errorf("exit code %d", pr.ExitCode)
	}
	if err != nil {
		return s, fmt.Errorf("%s (limit %d): %w\n%s", name, limit, err, bytes.TrimSpace(errText))
	}
	s.PeakKiB, s.Method, s.SignalStops = pr.PeakKiB, pr.Method, pr.SignalStops
	s.Entries = after.EntriesServed - before.EntriesServed
	s.Bytes = after.LogsBytes - before.LogsBytes
	s.Pages = after.LogsRequests - before.LogsRequests
	if n := after.RateLimited - before.RateLimited; n != 0 {
		return s, fmt.Errorf("%s (limit %d): the server answered %d calls with 429", name, limit, n)
	}
	// Every page in gzip (the contender asked for it), or none.
	if zipped, want := after.Gzipped-before.Gzipped, map[bool]int64{true: s.Pages}[mode == modeGzip]; zipped != want {
		return s, fmt.Errorf("%s (limit %d, %s): the server gzipped %d of %d pages, want %d", name, limit, mode, zipped, s.Pages, want)
	}

	if name == cli {
		s.Seconds, s.CPUSeconds = pr.Wall.Seconds(), pr.CPU.Seconds()
		lines, err := countLines(outFile)
		if err != nil {
			return s, fmt.Errorf("cli: reading its output: %w", err)
		}
		if lines != int64(corpus) {
			return s, fmt.Errorf("cli (limit %d): wrote %d lines, want %d", limit, lines, corpus)
		}
	} else {
		out, _ := os.ReadFile(stdout.Name())
		var cr childResult
		if err := json.Unmarshal(bytes.TrimSpace(out), &cr); err != nil {
			return s, fmt.Errorf("%s: bad child output %q: %w", name, out, err)
		}
		s.Seconds, s.CPUSeconds = cr.Seconds, cr.CPUSeconds
		s.AllocBytes, s.Mallocs, s.PeakKiB = int64(cr.AllocBytes), int64(cr.Mallocs), cr.SelfHWMKiB
		if cr.Entries >= 0 && cr.Entries != int64(corpus) {
			return s, fmt.Errorf("%s (limit %d): iterated %d entries, want %d", name, limit, cr.Entries, corpus)
		}
		if cr.Entries > 0 && cr.Touched == 0 {
			return s, fmt.Errorf("%s: touched no id or action", name)
		}
	}
	if name != idle {
		wantPages := int64((corpus + limit - 1) / limit)
		if s.Entries != int64(corpus) || s.Pages != wantPages {
			return s, fmt.Errorf("%s (limit %d): the server sent %d entries in %d pages, want %d in %d",
				name, limit, s.Entries, s.Pages, corpus, wantPages)
		}
	}
	return s, nil
}

// envWith returns env with key set to value (any earlier setting removed:
// a Go program reads the first of duplicate variables).
func envWith(env []string, key, value string) []string {
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if !strings.HasPrefix(kv, key+"=") {
			out = append(out, kv)
		}
	}
	return append(out, key+"="+value)
}

func countLines(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var n int64
	br := bufio.NewReaderSize(f, 1<<20)
	buf := make([]byte, 1<<20)
	for {
		k, err := br.Read(buf)
		n += int64(bytes.Count(buf[:k], []byte{'\n'}))
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// runAll runs every measurement and returns the report.
func (r *runner) runAll() (*report, error) {
	o := r.o
	rep := &report{o: o, command: r.command, version: r.version, start: time.Now(), loadStart: loadAvg(), maxPage: map[int]int64{}}

	logf("starting the fake server with %d synthetic entries (seed %d)", o.entries, o.seed)
	srv, err := newServer(auditlogstest.WithSynthetic(o.entries, o.seed))
	if err != nil {
		return nil, err
	}
	for _, e := range srv.fake.Entries() {
		rep.corpusBytes += int64(len(e))
	}
	if err := r.warm(srv, rep, o.entries); err != nil {
		srv.close()
		return nil, err
	}
	// Every contender in every mode, one after another; the order rotates
	// from run to run and page size to page size, so that drift on a shared
	// machine does not always hit the same contender.
	type pair struct{ name, mode string }
	var pairs []pair
	for _, name := range throughputContenders {
		for _, mode := range o.modes {
			pairs = append(pairs, pair{name, mode})
		}
	}
	for run := 1; run <= o.runs; run++ {
		s, err := r.measure(srv, idle, modePlain, o.entries, 1, run)
		if err != nil {
			srv.close()
			return nil, err
		}
		rep.samples = append(rep.samples, s)
		for li, limit := range o.limits {
			srv.resetMaxPage()
			k := (run - 1 + li) % len(pairs)
			for _, p := range append(append([]pair{}, pairs[k:]...), pairs[:k]...) {
				s, err := r.measure(srv, p.name, p.mode, o.entries, limit, run)
				if err != nil {
					srv.close()
					return nil, err
				}
				rep.samples = append(rep.samples, s)
				logf("run %d/%d limit %d %-5s %-10s %9.0f entries/s %7.1f MB/s on the wire, peak RSS %6.1f MiB",
					run, o.runs, limit, p.mode, p.name, s.entriesPerSec(), s.bytesPerSec()/1e6, float64(s.PeakKiB)/1024)
			}
			if !slices.Contains(o.modes, modeGzip) {
				rep.maxPage[limit] = max(rep.maxPage[limit], srv.stats().MaxPage) // plain: as sent is the JSON
			}
		}
	}
	srv.close()
	srv = nil
	runtime.GC()

	if o.scale {
		logf("starting the fake server with %d synthetic entries for the -scale check", o.scaleEntries)
		big, err := newServer(auditlogstest.WithSynthetic(o.scaleEntries, o.seed))
		if err != nil {
			return nil, err
		}
		if err := r.warm(big, nil, o.scaleEntries); err != nil {
			big.close()
			return nil, err
		}
		for run := 1; run <= o.runs; run++ {
			for _, limit := range o.limits {
				for _, mode := range o.modes {
					s, err := r.measure(big, ours, mode, o.scaleEntries, limit, run)
					if err != nil {
						big.close()
						return nil, err
					}
					rep.scale = append(rep.scale, s)
					logf("scale run %d/%d limit %d %-5s ours %9.0f entries/s peak RSS %6.1f MiB",
						run, o.runs, limit, mode, s.entriesPerSec(), float64(s.PeakKiB)/1024)
				}
			}
		}
		big.close()
		runtime.GC()
	}

	if o.tier3 {
		ctx := context.Background()
		for run := 1; run <= o.runs; run++ {
			t, err := runTier3(ctx, o.tier3Pages, true, o.seed)
			if err != nil {
				return nil, fmt.Errorf("tier 3: %w", err)
			}
			rep.tier3 = append(rep.tier3, t)
			logf("tier 3 run %d/%d, client limiter on: %d pages in %.3fs (minimum %.3fs), %d answers 429",
				run, o.runs, t.Pages, t.Seconds, t.MinSeconds, t.Status429)
		}
		t, err := runTier3(ctx, o.tier3Off, false, o.seed)
		if err != nil {
			return nil, fmt.Errorf("tier 3, client limiter off: %w", err)
		}
		rep.tier3Off = &t
		logf("tier 3, client limiter off: %d pages in %.3fs (minimum %.3fs), %d answers 429",
			t.Pages, t.Seconds, t.MinSeconds, t.Status429)
	}
	rep.end, rep.loadEnd = time.Now(), loadAvg()
	if err := checkSamples(rep.samples); err != nil {
		return nil, err
	}
	return rep, nil
}

// warm pages once through the corpus at every page size in gzip mode (if
// measured), so that the fake has compressed and cached every page before
// anything is measured: compressing a page takes longer than inflating it,
// and the fake runs in this process. It notes the largest page's JSON size
// in rep (if not nil).
func (r *runner) warm(srv *server, rep *report, corpus int) error {
	if !slices.Contains(r.o.modes, modeGzip) {
		return nil
	}
	for _, limit := range r.o.limits {
		start := time.Now()
		largest, err := srv.warm(context.Background(), limit)
		if err != nil {
			return err
		}
		if rep != nil {
			rep.maxPage[limit] = largest
		}
		logf("compressed the pages of %d entries at limit %d for the gzip mode in %s", corpus, limit, time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// checkSamples catches measurements that cannot be right.
func checkSamples(samples []sample) error {
	for _, s := range samples {
		if s.Contender == idle {
			continue
		}
		if s.Seconds <= 0 || s.Bytes <= 0 {
			return errors.New(s.Contender + ": no time or no bytes measured")
		}
	}
	return nil
}
