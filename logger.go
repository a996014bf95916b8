package auditlogs

import (
	"context"
	"log/slog"
)

// slogAdapter lets go-retryablehttp log through a *slog.Logger. The messages
// it gets name the method and the URL (which never holds the token), the
// status and the wait: never a header.
type slogAdapter struct{ l *slog.Logger }

// newLogger returns the retryablehttp logger for l, or nil (no logging).
func newLogger(l *slog.Logger) any {
	if l == nil {
		return nil
	}
	return slogAdapter{l}
}

func (a slogAdapter) Error(msg string, kv ...any) { a.log(slog.LevelError, msg, kv) }
func (a slogAdapter) Warn(msg string, kv ...any)  { a.log(slog.LevelWarn, msg, kv) }
func (a slogAdapter) Info(msg string, kv ...any)  { a.log(slog.LevelInfo, msg, kv) }
func (a slogAdapter) Debug(msg string, kv ...any) { a.log(slog.LevelDebug, msg, kv) }

func (a slogAdapter) log(level slog.Level, msg string, kv []any) {
	a.l.Log(context.Background(), level, "auditlogs: "+msg, kv...)
}
