package tests

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/slackaudit/auditlogs"
)

// TestProxyFromEnvironment checks that the default transport takes its proxy
// from the environment and honours NO_PROXY. net/http reads the environment
// once per process, so each case runs in a child process.
func TestProxyFromEnvironment(t *testing.T) {
	if host := os.Getenv("AUDITLOGS_PROXY_CHILD"); host != "" {
		c, err := auditlogs.New(testToken, auditlogs.WithBaseURL("http://"+host+"/audit/v1"), auditlogs.WithRetryMax(0),
			auditlogs.WithPlainHTTP(true)) // a test host, through a test proxy
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Logs(context.Background(), auditlogs.LogsParams{}); err != nil {
			t.Fatalf("CHILD-ERROR %v", err)
		}
		return
	}
	var proxied atomic.Int64
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proxied.Add(1)
		if r.URL.Host != "slack.example" || r.URL.Path != "/audit/v1/logs" {
			t.Errorf("proxy got %s", r.URL)
		}
		page("", "a")(w, r)
	}))
	defer proxy.Close()

	run := func(host, noProxy string) (string, error) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestProxyFromEnvironment$", "-test.v")
		cmd.Env = append(os.Environ(), "AUDITLOGS_PROXY_CHILD="+host, "HTTP_PROXY="+proxy.URL, "http_proxy="+proxy.URL,
			"NO_PROXY="+noProxy, "no_proxy="+noProxy)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := run("slack.example", ""); err != nil || proxied.Load() != 1 {
		t.Fatalf("through the proxy: %v (%d proxied)\n%s", err, proxied.Load(), out)
	}
	out, err := run("direct.example", "direct.example")
	if err == nil || !strings.Contains(out, "CHILD-ERROR") || proxied.Load() != 1 {
		t.Fatalf("NO_PROXY host went through the proxy (%d proxied)\n%s", proxied.Load(), out)
	}
	if strings.Contains(out, testToken) {
		t.Errorf("child output holds the token:\n%s", out)
	}
}
