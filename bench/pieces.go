package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/slackaudit/auditlogs/auditlogstest"
	"github.com/slackaudit/auditlogs/internal/knobs"
)

// The pieces scenario (-scenario pieces) measures what each piece of the
// library's performance machinery saves, at Slack's largest page (9,999
// entries) and with the network's latency: it runs ours (Client.AllLogs)
// with everything on, then with one piece turned off (internal/knobs, set
// by the child's -off flag), in the same run, every variant once per run in
// a rotating order, each in a child process of its own.

// pieceVariants are the variants measured: "" is everything on; the others
// name the piece turned off. The pieces removed after the first such run
// (the off-heap page store, the split-ahead goroutine, multi-worker
// decoding: bench/README.md) have no switch any more.
var pieceVariants = []string{"", "stringcache", "gendecode"}

var pieceDescription = map[string]string{
	"":            "everything on",
	"stringcache": "string cache off",
	"gendecode":   "generated decoder off (go-json-experiment for every entry)",
}

// applyOff turns off the pieces named in off, a comma-separated list of
// pieceVariants, in this process (a child).
func applyOff(off string) error {
	for _, name := range strings.Split(off, ",") {
		switch strings.TrimSpace(name) {
		case "":
		case "stringcache":
			knobs.StringCache = false
		case "gendecode":
			knobs.GeneratedDecoder = false
		default:
			return fmt.Errorf("unknown piece %q in -off", name)
		}
	}
	return nil
}

// piecesOptions are the flags of the pieces scenario.
type piecesOptions struct {
	pages     int             // pages of pieceLimit entries
	latencies []time.Duration // the fake's latency per request
	modes     []string
	runs      int
	seed      int64
	variants  []string
}

// pieceLimit is Slack's largest page, the one the pieces are measured at.
const pieceLimit = 9999

// pieceSample is one run of one variant at one latency.
type pieceSample struct {
	variant string
	mode    string
	latency time.Duration
	s       sample
}

// runPiecesScenario measures every variant at every latency and writes the
// report (Markdown) to w.
func runPiecesScenario(w io.Writer, po piecesOptions) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "auditlogs-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	r := &runner{o: options{modes: po.modes, limits: []int{pieceLimit}}, self: self, tmp: tmp}
	start, loadStart := time.Now(), loadAvg()
	corpus := po.pages * pieceLimit
	var all []pieceSample
	for _, lat := range po.latencies {
		logf("pieces: starting the fake with %d entries and a latency of %s", corpus, lat)
		srv, err := newServer(auditlogstest.WithSynthetic(corpus, po.seed), auditlogstest.WithLatency(lat))
		if err != nil {
			return err
		}
		if err := r.warm(srv, nil, corpus); err != nil {
			srv.close()
			return err
		}
		for run := 1; run <= po.runs; run++ {
			order := slices.Clone(po.variants)
			k := (run - 1) % len(order)
			order = append(order[k:], order[:k]...)
			for _, v := range order {
				for _, mode := range po.modes {
					r.off = v
					s, err := r.measure(srv, ours, mode, corpus, pieceLimit, run)
					r.off = ""
					if err != nil {
						srv.close()
						return fmt.Errorf("pieces (off %q, latency %s): %w", v, lat, err)
					}
					logf("pieces: latency %s, %s, off %-11q run %d: %.1f ms CPU/page, %.0f ms/page, peak %.1f MiB",
						lat, mode, v, run, 1000*s.CPUSeconds/float64(s.Pages), 1000*s.Seconds/float64(s.Pages), float64(s.PeakKiB)/1024)
					all = append(all, pieceSample{v, mode, lat, s})
				}
			}
		}
		srv.close()
	}

	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	p("### Pieces: what each saves at limit %d\n\n", pieceLimit)
	p("- Command: `cd bench && go run . %s` (%s UTC, took %s)\n", strings.Join(os.Args[1:], " "), start.UTC().Format("2006-01-02 15:04"), time.Since(start).Round(time.Second))
	p("- Load average (1, 5, 15 min) at the start: %s; at the end: %s\n", loadStart, loadAvg())
	p("- Corpus: %d entries, %d pages of %d; %d run(s); medians, [min–max] for peak RSS\n", corpus, po.pages, pieceLimit, po.runs)
	p("- ours (Client.AllLogs, rate limiter off), one child process per measurement; CPU is user+system of the loop, all threads\n\n")
	for _, mode := range po.modes {
		for _, lat := range po.latencies {
			p("#### %s, latency %s per request\n\n", mode, lat)
			p("| variant | CPU ms/page | Δ CPU ms/page | wall ms/page | Δ wall ms/page | alloc MB/page | peak RSS MiB [min–max] | Δ peak RSS MiB |\n")
			p("|---|---:|---:|---:|---:|---:|---:|---:|\n")
			get := func(v string, f func(sample) float64) []float64 {
				var out []float64
				for _, ps := range all {
					if ps.variant == v && ps.mode == mode && ps.latency == lat {
						out = append(out, f(ps.s))
					}
				}
				return out
			}
			cpu := func(s sample) float64 { return 1000 * s.CPUSeconds / float64(s.Pages) }
			wall := func(s sample) float64 { return 1000 * s.Seconds / float64(s.Pages) }
			alloc := func(s sample) float64 { return float64(s.AllocBytes) / 1e6 / float64(s.Pages) }
			rss := func(s sample) float64 { return float64(s.PeakKiB) / 1024 }
			base := map[string]float64{"cpu": median(get("", cpu)), "wall": median(get("", wall)), "rss": median(get("", rss))}
			for _, v := range po.variants {
				c, wl, rs := median(get(v, cpu)), median(get(v, wall)), get(v, rss)
				delta := func(x, b float64) string {
					if v == "" {
						return ""
					}
					return fmt.Sprintf("%+.1f", x-b)
				}
				p("| %s | %.1f | %s | %.0f | %s | %.1f | %.1f [%.1f–%.1f] | %s |\n", pieceDescription[v], c, delta(c, base["cpu"]), wl, delta(wl, base["wall"]),
					median(get(v, alloc)), median(rs), slices.Min(rs), slices.Max(rs), delta(median(rs), base["rss"]))
			}
			p("\n")
		}
	}
	p("Δ is the variant's median minus everything on's: what turning the piece off costs, so what the piece saves.\n")
	return nil
}

// parseLatencies reads -pieces-latencies.
func parseLatencies(s string) ([]time.Duration, error) {
	var out []time.Duration
	for _, f := range strings.Split(s, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(f))
		if err != nil || d < 0 {
			return nil, fmt.Errorf("bad latency %q", f)
		}
		out = append(out, d)
	}
	return out, nil
}

// parseVariants reads -pieces-variants ("all" for everything on).
func parseVariants(s string) ([]string, error) {
	var out []string
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "all" {
			f = ""
		}
		if !slices.Contains(pieceVariants, f) {
			return nil, fmt.Errorf("unknown variant %q", f)
		}
		out = append(out, f)
	}
	return out, nil
}
