package auditlogs_test

import (
	"os"
	"strings"
	"testing"

	"github.com/slackaudit/auditlogs"
)

// TestVersionIsTheRelease: the library's Version, which the User-Agent and
// 'auditlogs version' show, is the last release's, as release/RELEASE
// records it (.ci/release writes both).
func TestVersionIsTheRelease(t *testing.T) {
	b, err := os.ReadFile("release/RELEASE")
	if err != nil {
		t.Fatal(err)
	}
	var release string
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "version: "); ok {
			release = strings.TrimSpace(v)
		}
	}
	if release == "" {
		t.Fatal("release/RELEASE names no version")
	}
	if auditlogs.Version != release {
		t.Errorf("Version is %q, release/RELEASE says %q: run .ci/release, or set client.go's Version", auditlogs.Version, release)
	}
}
