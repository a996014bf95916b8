//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package main

// lockState does nothing where flock(2) is missing: run one tail per state
// file.
func lockState(string) (release func(), err error) { return func() {}, nil }
