package auditlogs_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/slackaudit/auditlogs"
)

func TestPlainHTTPRefused(t *testing.T) {
	for _, tc := range []struct {
		url   string
		allow bool
		ok    bool
	}{
		{"https://api.slack.com/audit/v1/", false, true},
		{"https://10.0.0.7:8443/audit/v1/", false, true},
		{"http://127.0.0.1:8080/audit/v1/", false, true},
		{"http://127.1.2.3/audit/v1/", false, true},
		{"http://[::1]:9/audit/v1/", false, true},
		{"http://localhost:9/", false, true},
		{"http://fake.localhost/", false, true},
		{"http://api.slack.com/audit/v1/", false, false},
		{"http://10.0.0.7:8080/audit/v1/", false, false},
		{"http://[2001:db8::1]/", false, false},
		{"http://localhost.example.com/", false, false},
		{"http://10.0.0.7:8080/audit/v1/", true, true},
	} {
		_, err := auditlogs.New("xoxp-test", auditlogs.WithBaseURL(tc.url), auditlogs.WithPlainHTTP(tc.allow))
		switch {
		case tc.ok && err != nil:
			t.Errorf("%s (allow %v): %v", tc.url, tc.allow, err)
		case !tc.ok && (!errors.Is(err, auditlogs.ErrInvalidOption) || !errors.Is(err, auditlogs.ErrPlainHTTP) || !strings.Contains(err.Error(), "in clear")):
			t.Errorf("%s: want a refusal, got %v", tc.url, err)
		case !tc.ok && strings.Contains(err.Error(), "xoxp-test"):
			t.Errorf("the refusal names the token: %v", err)
		}
	}
}
