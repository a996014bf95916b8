package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/slackaudit/auditlogs"
)

var versionSpec = cmdSpec{
	name:     "version",
	synopsis: "",
	about:    "Print the version of the auditlogs library this command is built on, the Go version, and the source revision if known.",
	exits:    "0 success, 2 usage error",
}

func runVersion(_ context.Context, e *env, args []string) int {
	fs := newFlagSet(versionSpec, nil)
	if ok, code := parseFlags(e, fs, versionSpec, nil, args); !ok {
		return code
	}
	line := fmt.Sprintf("auditlogs %s (library github.com/slackaudit/auditlogs %s) %s %s/%s",
		auditlogs.Version, auditlogs.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	if info, ok := debug.ReadBuildInfo(); ok {
		var rev, modified string
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					modified = "+dirty"
				}
			}
		}
		if rev != "" {
			line += fmt.Sprintf(" rev %.12s%s", rev, modified)
		}
	}
	fmt.Fprintln(e.stdout, line)
	return exitOK
}
