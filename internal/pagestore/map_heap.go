//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package pagestore

// mapAnon is not available here: pages are read into the Go heap.
func mapAnon(int) ([]byte, bool) { return nil, false }

func unmapAnon([]byte) error { return nil }
