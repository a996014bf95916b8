package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// notice tells the operator something tail did on its own, such as
// following a rotated --out: always shown, as a plain line or, with
// --log-format, as a structured record.
func (t *tailer) notice(msg string, args ...any) {
	if t.ops != nil {
		t.ops.Info(msg, args...)
		return
	}
	if t.prog != nil {
		t.prog.done()
	}
	var b strings.Builder
	b.WriteString("auditlogs: ")
	b.WriteString(msg)
	if len(args) > 0 {
		b.WriteString(" (")
		for i := 0; i+1 < len(args); i += 2 {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%v %v", args[i], args[i+1])
		}
		b.WriteString(")")
	}
	fmt.Fprintln(t.e.stderr, b.String())
}

// event records a step of the collection (a window, a page, a wait) for
// --log-format; without it, only --debug shows it.
func (t *tailer) event(msg string, args ...any) {
	if t.ops != nil {
		t.ops.Info(msg, args...)
		return
	}
	t.log.Debug("tail: "+msg, args...)
}

// opsLogger returns the logger of --log-format, or nil for the plain lines.
func opsLogger(w io.Writer, format string, debug bool) *slog.Logger {
	level := slog.LevelInfo
	if debug {
		level = slog.LevelDebug
	}
	opts := &slog.HandlerOptions{Level: level}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts))
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return nil
}

// raiseHandler passes the client's debug records of retries and rate-limit
// waits on at info level, for --log-format, and drops its other debug
// records (one for every request).
type raiseHandler struct{ h slog.Handler }

// raised are the client's debug messages --log-format shows.
var raised = map[string]bool{"auditlogs: retrying request": true, "auditlogs: waited for the rate limit": true}

func (r raiseHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelDebug && (l < slog.LevelInfo || r.h.Enabled(ctx, l))
}

func (r raiseHandler) Handle(ctx context.Context, rec slog.Record) error {
	if rec.Level < slog.LevelInfo {
		if !raised[rec.Message] {
			return nil
		}
		rec.Level = slog.LevelInfo
	}
	return r.h.Handle(ctx, rec)
}

func (r raiseHandler) WithAttrs(as []slog.Attr) slog.Handler { return raiseHandler{r.h.WithAttrs(as)} }
func (r raiseHandler) WithGroup(name string) slog.Handler    { return raiseHandler{r.h.WithGroup(name)} }
