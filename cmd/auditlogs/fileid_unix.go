//go:build unix

package main

import (
	"io/fs"
	"syscall"
)

// fileIdentity returns the device and inode of a file, and how many names
// (hard links) it has: what tells a file moved or replaced under a path
// from the one tail holds open. ok is false where the system does not say.
func fileIdentity(fi fs.FileInfo) (dev, ino, links uint64, ok bool) {
	st, isStat := fi.Sys().(*syscall.Stat_t)
	if !isStat {
		return 0, 0, 0, false
	}
	return uint64(st.Dev), uint64(st.Ino), uint64(st.Nlink), true
}
