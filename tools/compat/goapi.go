package main

import (
	"bufio"
	"bytes"
	"fmt"
	"path"
	"strings"
)

// goChanges runs apidiff in module mode on the released export data and the
// working tree's module. Module mode covers every package of the module but
// internal ones (root, flex, auditlogstest, gen, and cmd/auditlogs, which
// exports nothing), and its export data holds no file paths, so a snapshot is
// the same wherever it was written.
func goChanges(root string) ([]change, error) {
	mod, err := modulePath(root)
	if err != nil {
		return nil, err
	}
	out, err := goTool(root, root, "apidiff", "-m", apiSnapshot, mod)
	if err != nil {
		return nil, fmt.Errorf("%w\n(if %s cannot be read after a bump of the pinned apidiff, recut it: see README, \"Releases and compatibility\")", err, apiSnapshot)
	}
	return parseApidiff(out, path.Base(mod))
}

// parseApidiff reads apidiff's report. It names a change of the root package
// "Scalar: removed" and one of package gen "./gen.Channel.IsShared: removed";
// both become package-qualified names: `auditlogs.Scalar`,
// `gen.Channel.IsShared`.
func parseApidiff(out []byte, rootName string) ([]change, error) {
	var changes []change
	breaking := false
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.TrimSpace(line) == "":
			continue
		case line == "Incompatible changes:":
			breaking = true
			continue
		case line == "Compatible changes:":
			breaking = false
			continue
		}
		item, ok := strings.CutPrefix(line, "- ")
		if !ok {
			return nil, fmt.Errorf("unexpected line in apidiff's report: %q", line)
		}
		name, _, ok := strings.Cut(item, ": ")
		if !ok {
			return nil, fmt.Errorf("unexpected line in apidiff's report: %q", line)
		}
		if sub, ok := strings.CutPrefix(name, "./"); ok {
			name = sub
		} else {
			name = rootName + "." + name
		}
		changes = append(changes, change{Checker: "go", Name: name, Breaking: breaking, Detail: item})
	}
	return changes, sc.Err()
}
