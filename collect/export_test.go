package collect

import (
	"context"
	"time"
)

// SetSleep replaces the pauses of c, for tests.
func SetSleep(c *Collector, f func(ctx context.Context, d time.Duration) error) { c.sleep = f }
