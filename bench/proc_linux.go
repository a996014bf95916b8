//go:build linux

package main

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"syscall"
	"time"
)

// procResult is what the parent observes of a child process.
type procResult struct {
	ExitCode int
	// Wall is the time from starting the process to the moment it began to
	// exit.
	Wall time.Duration
	// PeakKiB is the child's VmHWM (peak resident set size) read from
	// /proc/<pid>/status as it exits; -1 if unknown.
	PeakKiB int64
	// Method says how PeakKiB was read.
	Method string
	// SignalStops counts the times the traced child stopped for a signal
	// (the Go runtime's preemption signals, mostly).
	SignalStops int
	// CPU is the child's user+system CPU time (from wait4's rusage; unlike
	// ru_maxrss, the CPU times are the child's own).
	CPU time.Duration
}

func cpuOf(ru *syscall.Rusage) time.Duration {
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// selfCPU returns this process's user+system CPU time so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return cpuOf(&ru)
}

// runProc runs a program to completion. If trace, it also measures the
// program's peak RSS (VmHWM) as it exits.
//
// Why not rusage: on Linux, ru_maxrss of a child started by a Go program
// includes the parent's RSS (os/exec starts children with CLONE_VM|
// CLONE_VFORK, and exec records the old address space's high-water mark in
// the child's maxrss). With the fake server and its corpus in the parent,
// the child's maxrss is the parent's size. So the parent traces the child
// with PTRACE_O_TRACEEXIT: the kernel stops the child at the start of its
// exit, while its address space is still there, and the parent reads VmHWM
// from /proc/<pid>/status. Nothing else is traced (no system calls), but a
// traced process also stops whenever it receives a signal (the Go runtime's
// preemption signals): that is why the runner's own children, which can
// read their own VmHWM, are not traced.
//
// With -rss=poll, or if ptrace is not allowed (a seccomp profile), it polls
// VmHWM every millisecond instead, which may miss the last moments of the
// program.
func runProc(path string, args, env []string, stdout, stderr *os.File, trace bool) (procResult, error) {
	if !trace {
		return runPlain(path, args, env, stdout, stderr)
	}
	if rssMethod == "poll" {
		return runPolled(path, args, env, stdout, stderr)
	}
	type answer struct {
		r   procResult
		err error
	}
	ch := make(chan answer, 1)
	go func() {
		// Every ptrace call must come from the thread that started the
		// tracee. The thread is never unlocked: it exits with the goroutine.
		runtime.LockOSThread()
		r, err := runTraced(path, args, env, stdout, stderr)
		ch <- answer{r, err}
	}()
	a := <-ch
	if errors.Is(a.err, errNoPtrace) {
		return runPolled(path, args, env, stdout, stderr)
	}
	return a.r, a.err
}

var errNoPtrace = errors.New("ptrace not permitted")

// ptraceOExitKill is PTRACE_O_EXITKILL (not in package syscall): the child
// is killed if the runner dies.
const ptraceOExitKill = 1 << 20

func procAttr(env []string, stdout, stderr *os.File, trace bool) (*os.ProcAttr, error) {
	null, err := os.Open(os.DevNull)
	if err != nil {
		return nil, err
	}
	return &os.ProcAttr{
		Env:   env,
		Files: []*os.File{null, stdout, stderr},
		Sys:   &syscall.SysProcAttr{Ptrace: trace, Pdeathsig: syscall.SIGKILL},
	}, nil
}

func wait4(pid int, ws *syscall.WaitStatus, ru *syscall.Rusage) error {
	for {
		_, err := syscall.Wait4(pid, ws, 0, ru)
		if err != syscall.EINTR {
			return err
		}
	}
}

func runTraced(path string, args, env []string, stdout, stderr *os.File) (procResult, error) {
	res := procResult{PeakKiB: -1, Method: "ptrace exit stop, VmHWM"}
	attr, err := procAttr(env, stdout, stderr, true)
	if err != nil {
		return res, err
	}
	defer attr.Files[0].Close()
	start := time.Now()
	p, err := os.StartProcess(path, append([]string{path}, args...), attr)
	if err != nil {
		if errors.Is(err, syscall.EPERM) {
			return res, errNoPtrace
		}
		return res, err
	}
	defer p.Release()
	pid := p.Pid
	var ws syscall.WaitStatus
	// The tracee stops with SIGTRAP once exec is done.
	if err := wait4(pid, &ws, nil); err != nil {
		return res, err
	}
	if !ws.Stopped() {
		return res, fmt.Errorf("child did not stop after exec (status %v)", ws)
	}
	if err := syscall.PtraceSetOptions(pid, syscall.PTRACE_O_TRACEEXIT|ptraceOExitKill); err != nil {
		_ = p.Kill()
		return res, fmt.Errorf("ptrace: %w", err)
	}
	if err := syscall.PtraceCont(pid, 0); err != nil {
		_ = p.Kill()
		return res, fmt.Errorf("ptrace: %w", err)
	}
	for {
		var ru syscall.Rusage
		if err := wait4(pid, &ws, &ru); err != nil {
			return res, err
		}
		switch {
		case ws.Exited():
			res.ExitCode = ws.ExitStatus()
			res.CPU = cpuOf(&ru)
			return res, nil
		case ws.Signaled():
			res.ExitCode = -1
			return res, fmt.Errorf("child killed by %v", ws.Signal())
		case ws.Stopped():
			sig := ws.StopSignal()
			if sig == syscall.SIGTRAP && ws.TrapCause() == syscall.PTRACE_EVENT_EXIT {
				res.Wall = time.Since(start)
				res.PeakKiB = readHWM(strconv.Itoa(pid))
				sig = 0
			} else if sig == syscall.SIGTRAP {
				sig = 0 // a ptrace event, not a signal to deliver
			} else {
				res.SignalStops++
			}
			// Deliver any other signal (the Go runtime's SIGURG, say).
			if err := syscall.PtraceCont(pid, int(sig)); err != nil && err != syscall.ESRCH {
				return res, fmt.Errorf("ptrace: %w", err)
			}
		}
	}
}

// runPlain runs a program without measuring its memory.
func runPlain(path string, args, env []string, stdout, stderr *os.File) (procResult, error) {
	res := procResult{PeakKiB: -1, Method: "reported by the child"}
	attr, err := procAttr(env, stdout, stderr, false)
	if err != nil {
		return res, err
	}
	defer attr.Files[0].Close()
	start := time.Now()
	p, err := os.StartProcess(path, append([]string{path}, args...), attr)
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

// runPolled is the fallback without ptrace.
func runPolled(path string, args, env []string, stdout, stderr *os.File) (procResult, error) {
	res := procResult{PeakKiB: -1, Method: "VmHWM polled every 1ms"}
	attr, err := procAttr(env, stdout, stderr, false)
	if err != nil {
		return res, err
	}
	defer attr.Files[0].Close()
	start := time.Now()
	p, err := os.StartProcess(path, append([]string{path}, args...), attr)
	if err != nil {
		return res, err
	}
	done := make(chan struct{})
	peak := make(chan int64, 1)
	go func() {
		id := strconv.Itoa(p.Pid)
		var last int64 = -1
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			if v := readHWM(id); v > last {
				last = v
			}
			select {
			case <-done:
				peak <- last
				return
			case <-t.C:
			}
		}
	}()
	st, err := p.Wait()
	res.Wall = time.Since(start)
	close(done)
	res.PeakKiB = <-peak
	if err != nil {
		return res, err
	}
	res.ExitCode = st.ExitCode()
	res.CPU = st.UserTime() + st.SystemTime()
	return res, nil
}
