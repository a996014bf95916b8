//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package filesink

import (
	"errors"
	"os"
	"syscall"
)

// lock takes an exclusive flock(2) on the file f is open on: on its inode,
// whatever name (symbolic link, hard link) it was opened by. The kernel
// releases it when f is closed or the process dies, even by kill -9, so a
// crash never leaves a stale lock. errBusy means another open file holds
// it.
func lock(f *os.File) error {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return errBusy
	}
	return err
}

// locks says that lock holds here.
const locks = true
