package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"
)

// TestRun: the printed line names a server that answers /logs with the
// printed token and refuses another, and the server stops when stdin closes.
func TestRun(t *testing.T) {
	stdinR, stdinW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- run(context.Background(), []string{"-n", "50", "-seed", "3"}, stdinR, outW) }()

	line, err := bufio.NewReader(outR).ReadBytes('\n')
	if err != nil {
		t.Fatal(err)
	}
	var r ready
	if err := json.Unmarshal(line, &r); err != nil || r.Entries != 50 || len(r.Token) < 20 {
		t.Fatalf("ready line %q (%v)", line, err)
	}
	for _, c := range []struct {
		token string
		want  int
	}{{r.Token, http.StatusOK}, {"xoxp-wrong", http.StatusUnauthorized}} {
		req, _ := http.NewRequest(http.MethodGet, r.BaseURL+"/logs?limit=10", nil)
		req.Header.Set("Authorization", "Bearer "+c.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("token %q: status %d, want %d", c.token, resp.StatusCode, c.want)
		}
	}

	stdinW.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after stdin closed")
	}
	if _, err := http.Get(r.BaseURL + "/actions"); err == nil {
		t.Error("the server still answers after run returned")
	}
}

// TestRunBadFlags: bad flags are a usage error, and nothing is served.
func TestRunBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-n", "-1"}, {"-lifetime", "0s"}, {"-bogus"}} {
		if err := run(context.Background(), args, nil, io.Discard); err == nil {
			t.Errorf("run(%q) succeeded", args)
		}
	}
}

// TestRunLifetime: the server stops by itself after -lifetime.
func TestRunLifetime(t *testing.T) {
	stdinR, _ := io.Pipe() // never closed
	start := time.Now()
	if err := run(context.Background(), []string{"-n", "1", "-lifetime", "200ms"}, stdinR, io.Discard); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 200*time.Millisecond || d > 30*time.Second {
		t.Errorf("stopped after %v, want about 200ms", d)
	}
}
