package collect_test

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/slackaudit/auditlogs"
	"github.com/slackaudit/auditlogs/auditlogstest"
	"github.com/slackaudit/auditlogs/collect"
)

// printSink prints each event and keeps the last checkpoint, as JSON, where
// a real sink would store it with the events (a database row, a file).
type printSink struct{ checkpoint []byte }

func (s *printSink) Deliver(_ context.Context, b *collect.Batch) error {
	for _, e := range b.Entries {
		fmt.Println(e.Time().UTC().Format(time.TimeOnly), e.Action, e.ID)
	}
	var err error
	s.checkpoint, err = json.Marshal(b.Checkpoint)
	return err
}

func Example() {
	srv := auditlogstest.NewServer(auditlogstest.WithEntries([]json.RawMessage{
		json.RawMessage(`{"id":"ev-1","date_create":1900000010,"action":"user_login"}`),
		json.RawMessage(`{"id":"ev-2","date_create":1900000020,"action":"file_downloaded"}`),
	}))
	defer srv.Close()
	client, _ := auditlogs.New(auditlogstest.DefaultToken, auditlogs.WithBaseURL(srv.URL))

	sink := &printSink{}
	now := func() time.Time { return time.Unix(1900000300, 0) } // a fixed clock for the example
	c := collect.New(client, sink, collect.WithStart(time.Unix(1900000000, 0)), collect.WithClock(now), collect.WithOnce(true))
	var cp *collect.Checkpoint // nil: a new collection; else json.Unmarshal the stored one
	if err := c.Run(context.Background(), cp); err != nil {
		fmt.Println(err)
	}
	var stored collect.Checkpoint // what the next Run resumes from
	if err := json.Unmarshal(sink.checkpoint, &stored); err == nil {
		fmt.Println("read up to", stored.Watermark().Format(time.TimeOnly))
	}
	// Output:
	// 17:47:00 file_downloaded ev-2
	// 17:46:50 user_login ev-1
	// read up to 17:49:40
}
