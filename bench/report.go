package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"
)

// report holds every measurement of a run of the runner.
type report struct {
	o           options
	command     string
	version     string
	start, end  time.Time
	loadStart   string // /proc/loadavg when the run started
	loadEnd     string
	corpusBytes int64
	maxPage     map[int]int64 // the largest /logs body at each page size
	samples     []sample      // the corpus of -entries
	scale       []sample      // ours with the corpus of -scale-entries
	tier3       []tier3Result // client limiter on
	tier3Off    *tier3Result  // client limiter off
}

var displayName = map[string]string{
	ours:      "ours: Client.AllLogs",
	cli:       "ours: CLI `logs --format jsonl --out FILE`",
	floorRead: "floor (a): read bodies, find cursor",
	floorJSON: "floor (b): encoding/json, plain struct",
	slackGo:   "slack-go GetAuditLogsContext",
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// pick returns f of the samples of one contender in one mode ("": any) at
// one page size (0: any), in run order.
func pick(samples []sample, name, mode string, limit int, f func(sample) float64) []float64 {
	var v []float64
	for _, s := range samples {
		if s.Contender == name && (mode == "" || s.Mode == mode) && (limit == 0 || s.Limit == limit) {
			v = append(v, f(s))
		}
	}
	return v
}

// ratios returns, run by run, f(a)/f(b) in one mode at one page size.
func ratios(samples []sample, a, b, mode string, limit int, f func(sample) float64) []float64 {
	byRun := map[int]float64{}
	for _, s := range samples {
		if s.Contender == b && s.Mode == mode && s.Limit == limit {
			byRun[s.Run] = f(s)
		}
	}
	var v []float64
	for _, s := range samples {
		if s.Contender == a && s.Mode == mode && s.Limit == limit {
			if d, ok := byRun[s.Run]; ok && d > 0 {
				v = append(v, f(s)/d)
			}
		}
	}
	return v
}

func group(n float64) string {
	s := fmt.Sprintf("%.0f", n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func mib(kib float64) string { return fmt.Sprintf("%.1f", kib/1024) }

func fmtList(v []float64, format string) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprintf(format, x)
	}
	return strings.Join(s, ", ")
}

func verdict(ok bool) string {
	if ok {
		return "**PASS**"
	}
	return "**FAIL**"
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

func kernel() string {
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return runtime.GOOS
	}
	return runtime.GOOS + " " + strings.TrimSpace(string(b))
}

func (r *report) write(w io.Writer) {
	o := r.o
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	eps := func(s sample) float64 { return s.entriesPerSec() }
	peak := func(s sample) float64 { return float64(s.PeakKiB) }
	cpuPerMillion := func(s sample) float64 { return 1e6 * s.CPUSeconds / float64(s.Entries) }

	p("## Results\n\n")
	p("- Command: `%s` (%s, took %s)\n", r.command, r.start.UTC().Format("2006-01-02 15:04 MST"), r.end.Sub(r.start).Round(time.Second))
	if r.version != "" {
		p("- Library and CLI: %s\n", r.version)
	}
	p("- Machine: %s, %d CPUs (GOMAXPROCS %d), %s, %s; GOGC %s\n", cpuModel(), runtime.NumCPU(), runtime.GOMAXPROCS(0),
		kernel(), runtime.Version(), orDefault(os.Getenv("GOGC"), "default (100)"))
	if r.loadStart != "" {
		p("- Load average (1, 5, 15 min) at the start: %s; at the end: %s (the machine is shared: other work competes for the CPUs)\n", r.loadStart, r.loadEnd)
	}
	p("- Corpus: %s synthetic entries (auditlogstest.Synthetic, seed %d), %.1f MB of entry JSON, %.0f bytes an entry on average\n",
		group(float64(o.entries)), o.seed, float64(r.corpusBytes)/1e6, float64(r.corpusBytes)/float64(o.entries))
	p("- %d run(s); each cell is the median over the runs, [min–max] where it matters\n", o.runs)
	method := ""
	for _, s := range r.samples {
		if s.Contender == cli {
			method = s.Method
		}
	}
	p("- Peak RSS: VmHWM of the contender's own process; the runner's children read theirs from /proc/self/status after the last page, "+
		"the CLI's is read by the runner from /proc/<pid>/status (%s). A child that does nothing (the Go runtime alone) peaks at %s MiB\n\n",
		method, mib(median(pick(r.samples, idle, "", 0, peak))))
	p("- Modes: %s. plain: the fake never compresses (the runner's listener drops the request's Accept-Encoding). "+
		"gzip: it gzips every page for a client that asks (compress/gzip at its default level, 6), as Slack does: ours asks for it itself and inflates with klauspost/compress; "+
		"Go's transport asks for slack-go and the floors and inflates with compress/gzip. Each measurement checks that all of its pages, or none, came gzipped. "+
		"The fake compressed every page before the runs and serves the cached gzip (auditlogstest.WithGzipCache)\n", strings.Join(o.modes, ", "))
	p("- wire MB/s: bytes of /logs bodies as sent (compressed in gzip mode) per second; CPU s/1M: the contender's user+system CPU seconds per million entries\n\n")

	for _, limit := range o.limits {
		pages := (o.entries + limit - 1) / limit
		for _, mode := range o.modes {
			p("### limit %d, %s: %d pages, largest page %.2f MB of JSON\n\n", limit, mode, pages, float64(r.maxPage[limit])/1e6)
			p("| contender | entries/s [min–max] | wire MB/s | CPU s/1M entries | alloc B/entry | allocs/entry | peak RSS MiB [min–max] |\n")
			p("|---|---:|---:|---:|---:|---:|---:|\n")
			for _, name := range throughputContenders {
				e := pick(r.samples, name, mode, limit, eps)
				if len(e) == 0 {
					continue
				}
				bps := median(pick(r.samples, name, mode, limit, func(s sample) float64 { return s.bytesPerSec() / 1e6 }))
				allocB, allocN := "n/a", "n/a"
				if name != cli {
					allocB = group(median(pick(r.samples, name, mode, limit, func(s sample) float64 { return float64(s.AllocBytes) / float64(s.Entries) })))
					allocN = fmt.Sprintf("%.2f", median(pick(r.samples, name, mode, limit, func(s sample) float64 { return float64(s.Mallocs) / float64(s.Entries) })))
				}
				pk := pick(r.samples, name, mode, limit, peak)
				p("| %s | %s [%s–%s] | %.0f | %.2f | %s | %s | %s [%s–%s] |\n", displayName[name],
					group(median(e)), group(slices.Min(e)), group(slices.Max(e)), bps, median(pick(r.samples, name, mode, limit, cpuPerMillion)), allocB, allocN,
					mib(median(pk)), mib(slices.Min(pk)), mib(slices.Max(pk)))
			}
			p("\n")
		}
	}

	p("### Targets\n\n")
	p("| target | limit | measured | verdict |\n|---|---:|---|---|\n")
	for _, mode := range o.modes {
		for _, limit := range o.limits {
			rt := ratios(r.samples, ours, slackGo, mode, limit, eps)
			m := median(rt)
			goal := ""
			if m >= 3 {
				goal = " (goal 3× met)"
			}
			p("| ours AllLogs ≥ 2.5× slack-go entries/s, %s | %d | %.2f× (median of per-run ratios: %s) | %s%s |\n",
				mode, limit, m, fmtList(rt, "%.2f"), verdict(m >= 2.5), goal)
		}
	}
	for _, mode := range o.modes {
		for _, limit := range o.limits {
			rt := ratios(r.samples, cli, slackGo, mode, limit, eps)
			m := median(rt)
			p("| CLI ≥ 5× slack-go entries/s, %s | %d | %.2f× (median of per-run ratios: %s) | %s |\n",
				mode, limit, m, fmtList(rt, "%.2f"), verdict(m >= 5))
		}
	}
	for _, mode := range o.modes {
		for _, limit := range o.limits {
			pk := pick(r.samples, ours, mode, limit, peak)
			boundKiB := 2*float64(r.maxPage[limit])/1024 + 16*1024
			if slices.Min(pk) < 0 {
				p("| ours AllLogs peak RSS < 2 × largest page + 16 MiB, %s | %d | not measured on %s | n/a |\n", mode, limit, runtime.GOOS)
				continue
			}
			worst := slices.Max(pk)
			p("| ours AllLogs peak RSS < 2 × largest page + 16 MiB, %s | %d | worst run %s MiB (median %s) vs bound %s MiB (2 × %.2f MB + 16 MiB) | %s |\n",
				mode, limit, mib(worst), mib(median(pk)), mib(boundKiB), float64(r.maxPage[limit])/1e6, verdict(worst < boundKiB))
		}
	}
	if len(r.scale) > 0 {
		for _, mode := range o.modes {
			for _, limit := range o.limits {
				small := median(pick(r.samples, ours, mode, limit, peak))
				big := median(pick(r.scale, ours, mode, limit, peak))
				if small <= 0 || big <= 0 {
					p("| ours AllLogs peak RSS flat (±10%%) up to %s entries, %s | %d | not measured on %s | n/a |\n", group(float64(o.scaleEntries)), mode, limit, runtime.GOOS)
					continue
				}
				ratio := big / small
				p("| ours AllLogs peak RSS flat (±10%%) from %s to %s entries, %s | %d | %s → %s MiB (×%.3f; runs at %s: %s MiB) | %s |\n",
					group(float64(o.entries)), group(float64(o.scaleEntries)), mode, limit, mib(small), mib(big), ratio,
					group(float64(o.scaleEntries)), fmtList(scaleMiB(pick(r.scale, ours, mode, limit, peak)), "%.1f"),
					verdict(math.Abs(ratio-1) <= 0.10))
			}
		}
	} else {
		p("| ours AllLogs peak RSS flat (±10%%) up to %s entries | | not run (-scale=false) | n/a |\n", group(float64(o.scaleEntries)))
	}
	if len(r.tier3) > 0 {
		over := make([]float64, len(r.tier3))
		var n429 int64
		for i, t := range r.tier3 {
			over[i] = t.Seconds/t.MinSeconds - 1
			n429 += t.Status429
		}
		m := median(over)
		within := 0
		for _, x := range over {
			if x <= 0.05 {
				within++
			}
		}
		p("| Tier 3: client limiter on, total time within 5%% of the minimum | %d | median %+.1f%% over the minimum; %d of %d runs within 5%% (runs: %s) | %s (median) |\n",
			tier3Limit, 100*m, within, len(over), fmtList(scalePct(over), "%+.1f%%"), verdict(m <= 0.05))
		p("| Tier 3: client limiter on, no 429 | %d | %d answer(s) 429 over %d runs | %s |\n",
			tier3Limit, n429, len(r.tier3), verdict(n429 == 0))
	}
	p("\n")

	if len(r.scale) > 0 {
		p("### -scale: ours (Client.AllLogs) with %s entries\n\n", group(float64(o.scaleEntries)))
		p("| limit | mode | entries/s [min–max] | CPU s/1M entries | alloc B/entry | allocs/entry | peak RSS MiB [min–max] | at %s entries |\n|---:|---|---:|---:|---:|---:|---:|---:|\n", group(float64(o.entries)))
		for _, limit := range o.limits {
			for _, mode := range o.modes {
				e := pick(r.scale, ours, mode, limit, eps)
				pk := pick(r.scale, ours, mode, limit, peak)
				p("| %d | %s | %s [%s–%s] | %.2f | %s | %.2f | %s [%s–%s] | %s |\n", limit, mode,
					group(median(e)), group(slices.Min(e)), group(slices.Max(e)), median(pick(r.scale, ours, mode, limit, cpuPerMillion)),
					group(median(pick(r.scale, ours, mode, limit, func(s sample) float64 { return float64(s.AllocBytes) / float64(s.Entries) }))),
					median(pick(r.scale, ours, mode, limit, func(s sample) float64 { return float64(s.Mallocs) / float64(s.Entries) })),
					mib(median(pk)), mib(slices.Min(pk)), mib(slices.Max(pk)),
					mib(median(pick(r.samples, ours, mode, limit, peak))))
			}
		}
		p("\n")
	}

	if len(r.tier3) > 0 || r.tier3Off != nil {
		p("### Tier 3 rate limit, scaled down in time\n\n")
		p("Server: `auditlogstest.WithRateLimit(%d, %s, %d)` (%d calls a second, bursts of %d, 429 with Retry-After beyond). "+
			"Client: `auditlogs.WithRateLimit(%d, %d)` (the same rate), or `WithRateLimit(0, 0)` (off). Pages of %d entries. "+
			"Minimum = (pages − burst) / rate.\n\n",
			tier3Calls, tier3Per, tier3Burst, tier3Calls, tier3Burst, int(tier3Calls*time.Minute/tier3Per), tier3Burst, tier3Limit)
		p("| client limiter | pages | total s | minimum s | over minimum | requests | 429 answers | client limiter wait s |\n|---|---:|---:|---:|---:|---:|---:|---:|\n")
		row := func(t tier3Result, label string) {
			p("| %s | %d | %.3f | %.3f | %+.1f%% | %d | %d | %.3f |\n", label, t.Pages, t.Seconds, t.MinSeconds,
				100*(t.Seconds/t.MinSeconds-1), t.LogsRequests, t.Status429, t.LimiterWait.Seconds())
		}
		for i, t := range r.tier3 {
			row(t, fmt.Sprintf("on (run %d)", i+1))
		}
		if r.tier3Off != nil {
			row(*r.tier3Off, "off")
		}
		p("\n")
	}
}

// loadAvg returns the first three fields of /proc/loadavg, or "".
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func scaleMiB(kib []float64) []float64 {
	out := make([]float64, len(kib))
	for i, v := range kib {
		out[i] = v / 1024
	}
	return out
}

func scalePct(v []float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = 100 * x
	}
	return out
}
