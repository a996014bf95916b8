//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package pagestore

import (
	"os"
	"syscall"
)

// mapAnon returns n bytes or more of zeroed memory outside the Go heap (an
// anonymous private mapping), with length 0, or false if the system
// refuses. The memory holds no Go pointers, and unmapAnon frees it.
func mapAnon(n int) ([]byte, bool) {
	page := os.Getpagesize()
	size := (n + page - 1) / page * page
	if size <= 0 {
		return nil, false
	}
	m, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return nil, false
	}
	return m[:0], true
}

// unmapAnon frees a mapping mapAnon returned, given whole (m[:cap(m)]).
func unmapAnon(m []byte) error { return syscall.Munmap(m) }
