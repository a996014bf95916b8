package main

import (
	"testing"
	"time"

	"github.com/slackaudit/auditlogs/internal/knobs"
)

// TestPiecesFlags: the pieces scenario's flags take what they document and
// refuse anything else, and -off turns the named pieces off.
func TestPiecesFlags(t *testing.T) {
	if got, err := parseLatencies("0s, 300ms,1s"); err != nil || len(got) != 3 || got[1] != 300*time.Millisecond {
		t.Errorf("parseLatencies: %v, %v", got, err)
	}
	for _, bad := range []string{"", "fast", "-1s"} {
		if _, err := parseLatencies(bad); err == nil {
			t.Errorf("parseLatencies(%q): no error", bad)
		}
	}
	if got, err := parseVariants("all,gendecode"); err != nil || len(got) != 2 || got[0] != "" {
		t.Errorf("parseVariants: %q, %v", got, err)
	}
	if _, err := parseVariants("all,offheap"); err == nil {
		t.Error("parseVariants: a removed piece is accepted")
	}
	if err := applyOff("nonsense"); err == nil {
		t.Error("applyOff: an unknown piece is accepted")
	}
	defer func() { knobs.StringCache, knobs.GeneratedDecoder = true, true }()
	if err := applyOff("stringcache,gendecode"); err != nil || knobs.StringCache || knobs.GeneratedDecoder {
		t.Errorf("applyOff: %v; string cache %v, generated decoder %v", err, knobs.StringCache, knobs.GeneratedDecoder)
	}
}
