//go:build !linux

package main

import (
	"os"
	"time"
)

// procResult is what the parent observes of a child process.
type procResult struct {
	ExitCode int
	Wall     time.Duration
	PeakKiB  int64 // -1: peak RSS is only measured on Linux
	Method   string
	// SignalStops is always 0: nothing is traced.
	SignalStops int
	CPU         time.Duration
}

// selfCPU is not measured outside Linux.
func selfCPU() time.Duration { return 0 }

// runProc runs a program to completion. Peak RSS is not measured outside
// Linux (it needs /proc/<pid>/status).
func runProc(path string, args, env []string, stdout, stderr *os.File, _ bool) (procResult, error) {
	res := procResult{PeakKiB: -1, Method: "not measured (Linux only)"}
	null, err := os.Open(os.DevNull)
	if err != nil {
		return res, err
	}
	defer null.Close()
	start := time.Now()
	p, err := os.StartProcess(path, append([]string{path}, args...), &os.ProcAttr{Env: env, Files: []*os.File{null, stdout, stderr}})
	if err != nil {
		return res, err
	}
	st, err := p.Wait()
	res.Wall = time.Since(start)
	if err != nil {
		return res, err
	}
	res.ExitCode = st.ExitCode()
	res.CPU = st.UserTime() + st.SystemTime()
	return res, nil
}
