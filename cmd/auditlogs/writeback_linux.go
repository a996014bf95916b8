//go:build linux && !arm

package main

import (
	"os"
	"syscall"
)

// syncFileRangeWrite is SYNC_FILE_RANGE_WRITE of linux/fs.h: start writing
// the range's dirty pages, without waiting for them.
const syncFileRangeWrite = 2

// startWriteback asks the kernel to start writing f's dirty pages to disk
// now, without waiting, so that the fsync that ends an export finds little
// left to do. It is only a hint: an error changes nothing.
func startWriteback(f *os.File) {
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Control(func(fd uintptr) {
		_ = syscall.SyncFileRange(int(fd), 0, 0, syncFileRangeWrite)
	})
}
