package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/slackaudit/auditlogs"
	"github.com/slackaudit/auditlogs/auditlogstest"
)

// The bomb scenario (-scenario bomb) measures the peak RSS of a process
// whose client is sent a gzip bomb: a /logs body that inflates to more than
// the client's WithMaxResponseBytes (the default, 256 MiB), refused with
// ErrResponseTooLarge. Issue 16 row 11: reading a body up to the limit uses
// at most about that much memory plus a constant. The fake is in the same
// process; the bomb it sends is about 0.3 MB compressed.

// bombLimit is the client's limit: DefaultMaxResponseBytes.
const bombLimit = auditlogs.DefaultMaxResponseBytes

// runBombScenario sends one bomb to api ("alllogs" or "logs") and reports
// the process's peak RSS.
func runBombScenario(w io.Writer, api string) error {
	var z bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
	prefix := []byte(`{"entries":[{"id":"`)
	zw.Write(prefix)
	chunk := bytes.Repeat([]byte("x"), 1<<20)
	for n := int64(len(prefix)); n <= bombLimit+(1<<20); n += int64(len(chunk)) {
		zw.Write(chunk)
	}
	zw.Close()
	ts := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Encoding", "gzip")
		rw.Header().Set("Content-Type", "application/json")
		rw.Write(z.Bytes())
	}))
	defer ts.Close()
	c, err := auditlogs.New(auditlogstest.DefaultToken, auditlogs.WithBaseURL(ts.URL+"/"), auditlogs.WithRateLimit(0, 0))
	if err != nil {
		return err
	}
	ctx := context.Background()
	before := readHWM("self")
	switch api {
	case "alllogs":
		for _, err = range c.AllLogs(ctx, auditlogs.LogsParams{Limit: 9999}) {
			if err != nil {
				break
			}
		}
	case "logs":
		_, err = c.Logs(ctx, auditlogs.LogsParams{Limit: 9999})
	default:
		return fmt.Errorf("unknown -bomb-api %q: alllogs or logs", api)
	}
	if !errors.Is(err, auditlogs.ErrResponseTooLarge) {
		return fmt.Errorf("the bomb gave %v, want ErrResponseTooLarge", err)
	}
	fmt.Fprintf(w, "bomb of %d compressed bytes, refused at %d MiB by %s: peak RSS %.1f MiB (%.1f MiB before the call)\n",
		z.Len(), bombLimit>>20, api, float64(readHWM("self"))/1024, float64(before)/1024)
	return nil
}
