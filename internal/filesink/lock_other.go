//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package filesink

import "os"

// lock does nothing where flock(2) is missing: run one collection per state
// file and per output there.
func lock(*os.File) error { return nil }

// locks says that lock does nothing here.
const locks = false
