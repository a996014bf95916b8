package main

import (
	"fmt"
	"io"
	"time"

	"github.com/slackaudit/auditlogs"
)

// progress shows how a pull goes on one self-overwriting line of stderr,
// only when stderr is a terminal.
type progress struct {
	w       io.Writer
	on      bool
	client  *auditlogs.Client
	start   time.Time
	pages   int
	entries int
	shown   bool
}

// newProgress returns the progress line for a pull; toTerminal says that
// the events themselves go to the terminal, which then shows no progress
// line (the two would garble each other).
func newProgress(ci *clientInfo, w io.Writer, toTerminal bool) *progress {
	return &progress{w: w, on: ci.stderrTTY && !toTerminal, client: ci.Client, start: time.Now()}
}

// page counts a page of n entries written and shows the totals, with note
// (may be empty) after them.
func (p *progress) page(n int, note string) {
	p.pages++
	p.entries += n
	p.show(note)
}

// show redraws the line.
func (p *progress) show(note string) {
	if !p.on {
		return
	}
	elapsed := time.Since(p.start)
	rate := 0.0
	if elapsed > 0 {
		rate = float64(p.entries) / elapsed.Seconds()
	}
	line := fmt.Sprintf("%d entries, %d pages, %.0f entries/s, %s waiting on the rate limit",
		p.entries, p.pages, rate, p.client.RateLimitWait().Round(100*time.Millisecond))
	if note != "" {
		line += "; " + note
	}
	fmt.Fprintf(p.w, "\r\x1b[K%s", line)
	p.shown = true
}

// done ends the progress line, so that what follows starts on its own line.
func (p *progress) done() {
	if p.on && p.shown {
		fmt.Fprintln(p.w)
		p.shown = false
	}
}
