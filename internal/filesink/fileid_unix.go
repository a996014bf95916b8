//go:build unix

package filesink

import (
	"io/fs"
	"syscall"
)

// hasIdentity says that identity tells files apart here.
const hasIdentity = true

// identity returns the device and inode of a file, and how many names (hard
// links) it has: what tells a file moved, replaced or deleted under a path
// from the one a collection holds open. ok is false where the system does
// not say.
func identity(fi fs.FileInfo) (dev, ino, links uint64, ok bool) {
	st, isStat := fi.Sys().(*syscall.Stat_t)
	if !isStat {
		return 0, 0, 0, false
	}
	return uint64(st.Dev), uint64(st.Ino), uint64(st.Nlink), true
}
