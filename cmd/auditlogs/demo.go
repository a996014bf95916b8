package main

import (
	"time"

	"github.com/slackaudit/auditlogs/auditlogstest"
)

// The demo organization: a synthetic corpus, the same on every run, on
// today's clock: its events end demoLag before the demo starts, and new ones
// arrive every demoEvery while it runs (auditlogstest.WithLive).
const (
	demoEntries = 2000
	demoSeed    = 20260101
	demoLag     = 3 * time.Minute
	demoEvery   = 20 * time.Second
	// A tenth of the demo's events show up in /logs 30 to 90 seconds after
	// their date_create, as Slack's do now and then: with a settle delay
	// shorter than that, tail's lookback finds them (auditlogs tail --demo
	// --settle 10s --lookback 3m).
	demoLateShare = 0.1
	demoLateMin   = 30 * time.Second
	demoLateMax   = 90 * time.Second
)

// clock is the command's clock: the demo's events, tail's windows and the
// times given relative to now follow it. Tests set it (not in parallel).
var clock = time.Now

// demoServer is the fake Slack that --demo runs against, on a loopback
// address of this process.
type demoServer struct {
	*auditlogstest.Server
	Token string
}

func startDemo() (*demoServer, error) {
	srv := auditlogstest.NewServer(auditlogstest.WithSynthetic(demoEntries, demoSeed),
		auditlogstest.WithLive(func() time.Time { return clock() }, demoLag, demoEvery),
		auditlogstest.WithLateEvents(demoLateShare, demoLateMin, demoLateMax))
	return &demoServer{Server: srv, Token: auditlogstest.DefaultToken}, nil
}
