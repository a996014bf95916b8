package main

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The subsections Keep a Changelog 1.1.0 allows, in its order.
var changeTypes = []string{"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}

// recordingTypes are the subsections of Unreleased whose entries record a
// breaking change: an entry records one when it names it in a code span
// (between backticks), spelled exactly as .ci/compat prints it.
var recordingTypes = []string{"Changed", "Removed"}

// A section is one "## [...]" part of the changelog.
type section struct {
	Version string              // "Unreleased" or a semantic version
	Date    string              // YYYY-MM-DD; empty for Unreleased
	Line    int                 // 1-based line of the heading
	End     int                 // 1-based line after the section's last line
	Entries map[string][]string // change type -> its entries, continuation lines joined
}

// changelog is a parsed CHANGELOG.md.
type changelog struct {
	Lines      []string
	Unreleased *section
	Releases   []*section // newest first
}

var (
	releaseHeadingRE = regexp.MustCompile(`^## \[([^\]]+)\] - ([0-9]{4}-[0-9]{2}-[0-9]{2})( \[YANKED\])?$`)
	linkDefRE        = regexp.MustCompile(`^\[[^\]]+\]: \S+$`)
	codeSpanRE       = regexp.MustCompile("`([^`]+)`")
)

// parseChangelog reads CHANGELOG.md and lists every way in which it departs
// from Keep a Changelog 1.1.0, each with its line number.
func parseChangelog(text string) (*changelog, []string) {
	c := &changelog{Lines: strings.Split(strings.TrimRight(text, "\n"), "\n")}
	var problems []string
	bad := func(n int, format string, args ...any) {
		problems = append(problems, fmt.Sprintf("%s:%d: %s", changelogMD, n, fmt.Sprintf(format, args...)))
	}
	var cur *section
	typ := ""   // the current ### subsection
	entry := -1 // index of the current entry in cur.Entries[typ], -1 if none
	links := false
	sawTitle := false
	for i, line := range c.Lines {
		n := i + 1
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "":
			continue
		case !sawTitle:
			if line != "# Changelog" {
				bad(n, "the first line must be \"# Changelog\"")
			}
			sawTitle = true
		case strings.HasPrefix(line, "## "):
			if cur != nil {
				cur.End = n
			}
			cur, typ, entry = &section{Line: n, Entries: map[string][]string{}}, "", -1
			if links {
				bad(n, "a version heading after the link definitions")
			}
			if line == "## [Unreleased]" {
				cur.Version = "Unreleased"
				if c.Unreleased != nil || len(c.Releases) > 0 {
					bad(n, "\"## [Unreleased]\" must come once, before every release")
				}
				c.Unreleased = cur
				continue
			}
			m := releaseHeadingRE.FindStringSubmatch(line)
			if m == nil {
				bad(n, "want \"## [Unreleased]\" or \"## [X.Y.Z] - YYYY-MM-DD\", got %q", line)
				continue
			}
			cur.Version, cur.Date = m[1], m[2]
			if !semverRE.MatchString(cur.Version) {
				bad(n, "%q is not a semantic version", cur.Version)
			}
			if _, err := time.Parse(time.DateOnly, cur.Date); err != nil {
				bad(n, "%q is not a date", cur.Date)
			}
			if c.Unreleased == nil && len(c.Releases) == 0 {
				bad(n, "\"## [Unreleased]\" must come before the first release")
			}
			if len(c.Releases) > 0 {
				prev := c.Releases[len(c.Releases)-1]
				if semverRE.MatchString(prev.Version) && semverRE.MatchString(cur.Version) && compareSemver(cur.Version, prev.Version) >= 0 {
					bad(n, "%s is listed below %s: releases go newest first", cur.Version, prev.Version)
				}
				if cur.Date > prev.Date {
					bad(n, "%s is dated %s, after %s's %s: releases go newest first", cur.Version, cur.Date, prev.Version, prev.Date)
				}
			}
			c.Releases = append(c.Releases, cur)
		case strings.HasPrefix(line, "### "):
			name := strings.TrimPrefix(line, "### ")
			entry = -1
			if cur == nil {
				bad(n, "%q comes before any version heading", line)
				continue
			}
			if !slices.Contains(changeTypes, name) {
				bad(n, "%q is not a Keep a Changelog type (%s)", name, strings.Join(changeTypes, ", "))
			}
			if _, dup := cur.Entries[name]; dup {
				bad(n, "a second \"### %s\" in %s", name, cur.Version)
			}
			typ = name
			cur.Entries[typ] = nil
		case strings.HasPrefix(line, "#"):
			if cur != nil || strings.HasPrefix(line, "# ") {
				bad(n, "unexpected heading %q", line)
			}
		case linkDefRE.MatchString(trimmed) && cur != nil:
			if !links {
				cur.End = n
			}
			links = true
		case links:
			bad(n, "text after the link definitions")
		case cur == nil:
			// The introduction between the title and the first version.
		case strings.HasPrefix(line, "- "):
			if typ == "" {
				bad(n, "an entry outside any \"### <type>\" subsection of %s", cur.Version)
				continue
			}
			cur.Entries[typ] = append(cur.Entries[typ], strings.TrimPrefix(line, "- "))
			entry = len(cur.Entries[typ]) - 1
		case strings.HasPrefix(line, "  ") && entry >= 0:
			cur.Entries[typ][entry] += " " + trimmed
		default:
			bad(n, "want an entry (\"- ...\", continued by indented lines), got %q", line)
		}
	}
	if cur != nil && !links {
		cur.End = len(c.Lines) + 1
	}
	if !sawTitle {
		bad(1, "the file is empty")
	} else if c.Unreleased == nil {
		bad(1, "there is no \"## [Unreleased]\" section")
	}
	for _, s := range append([]*section{c.Unreleased}, c.Releases...) {
		if s == nil {
			continue
		}
		for _, t := range changeTypes {
			if list, ok := s.Entries[t]; ok && len(list) == 0 {
				bad(s.Line, "\"### %s\" of %s has no entries", t, s.Version)
			}
		}
		if s != c.Unreleased && len(s.Entries) == 0 {
			bad(s.Line, "release %s has no entries", s.Version)
		}
	}
	return c, problems
}

// recorded returns the code spans of the Unreleased entries that record
// breaking changes.
func (c *changelog) recorded() map[string]bool {
	spans := map[string]bool{}
	if c.Unreleased == nil {
		return spans
	}
	for _, t := range recordingTypes {
		for _, e := range c.Unreleased.Entries[t] {
			for _, m := range codeSpanRE.FindAllStringSubmatch(e, -1) {
				spans[strings.TrimSpace(m[1])] = true
			}
		}
	}
	return spans
}

// compareSemver orders two semantic versions (a pre-release sorts before its
// release; pre-releases compare as text).
func compareSemver(a, b string) int {
	pa, pb := semverRE.FindStringSubmatch(a), semverRE.FindStringSubmatch(b)
	for i := 1; i <= 3; i++ {
		x, _ := strconv.Atoi(pa[i])
		y, _ := strconv.Atoi(pb[i])
		if x != y {
			return x - y
		}
	}
	switch {
	case pa[4] == pb[4]:
		return 0
	case pa[4] == "":
		return 1
	case pb[4] == "":
		return -1
	}
	return strings.Compare(pa[4], pb[4])
}
