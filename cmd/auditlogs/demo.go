package main

import (
	"encoding/json"
	"time"

	"github.com/slackaudit/auditlogs/auditlogstest"
)

// The demo organization: a fixed synthetic corpus, the same on every run.
const (
	demoEntries = 2000
	demoSeed    = 20260101
)

// demoServer is the fake Slack that --demo runs against, on a loopback
// address of this process.
type demoServer struct {
	*auditlogstest.Server
	Token string
}

func startDemo() (*demoServer, error) {
	srv := auditlogstest.NewServer(auditlogstest.WithSynthetic(demoEntries, demoSeed))
	return &demoServer{Server: srv, Token: auditlogstest.DefaultToken}, nil
}

// span returns the times of the oldest and newest demo entries.
func (d *demoServer) span() (oldest, newest time.Time) {
	entries := d.Entries()
	if len(entries) == 0 {
		return time.Time{}, time.Time{}
	}
	read := func(raw json.RawMessage) time.Time {
		var e struct {
			DateCreate int64 `json:"date_create"`
		}
		_ = json.Unmarshal(raw, &e)
		return time.Unix(e.DateCreate, 0)
	}
	return read(entries[len(entries)-1]), read(entries[0])
}
