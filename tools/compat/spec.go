package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// A change is one difference a checker found between the release and the
// working tree.
type change struct {
	Checker  string   // "spec" (oasdiff) or "go" (apidiff)
	Name     string   // what CHANGELOG.md must name, in backticks, to record it
	Alt      []string // other spellings that record it too
	Breaking bool     // whether it needs recording
	Detail   string   // the checker's own words
}

// names returns every spelling that records c.
func (c change) names() []string { return append([]string{c.Name}, c.Alt...) }

// oasChange is one entry of `oasdiff changelog --format json`.
type oasChange struct {
	ID        string `json:"id"`
	Text      string `json:"text"`
	Level     int    `json:"level"`
	Operation string `json:"operation"`
	Path      string `json:"path"`
	Section   string `json:"section"`
}

// oasdiff's levels. ERR and WARN are the ones oasdiff itself calls breaking
// (checker.Level.IsBreaking); WARN holds, for one, the removal of an optional
// response property, which breaks a client generated from the spec.
const (
	oasINFO = 1
	oasWARN = 2
	oasERR  = 3
)

// specChanges runs oasdiff on the released spec and the working tree's.
func specChanges(root string) ([]change, error) {
	out, err := goTool(root, root, "oasdiff", "changelog", specSnapshot, specFile,
		"--format", "json", "--lang", "en", "--level", "INFO")
	if err != nil {
		return nil, err
	}
	return parseOasdiff(out)
}

// parseOasdiff turns oasdiff's JSON changelog into changes, one per name: a
// property changed in several responses is one change.
func parseOasdiff(data []byte) ([]change, error) {
	var raw []oasChange
	if s := strings.TrimSpace(string(data)); s != "" && s != "null" {
		if err := json.Unmarshal(data, &raw); err != nil {
			return nil, fmt.Errorf("reading oasdiff's output: %w", err)
		}
	}
	var changes []change
	index := map[string]int{}
	for _, r := range raw {
		if r.Level < oasINFO || r.Level > oasERR {
			return nil, fmt.Errorf("oasdiff reported level %d for %s, want 1 to 3", r.Level, r.ID)
		}
		name, alt := specName(r)
		breaking := r.Level >= oasWARN
		detail := fmt.Sprintf("[%s] %s", r.ID, r.Text)
		if r.Operation != "" {
			detail = fmt.Sprintf("[%s] %s %s: %s", r.ID, r.Operation, r.Path, r.Text)
		}
		if i, ok := index[name]; ok {
			c := &changes[i]
			c.Breaking = c.Breaking || breaking
			if !strings.Contains(c.Detail, "["+r.ID+"]") { // the same check in another response
				c.Detail += "\n" + detail
			}
			continue
		}
		index[name] = len(changes)
		changes = append(changes, change{Checker: "spec", Name: name, Alt: alt, Breaking: breaking, Detail: detail})
	}
	return changes, nil
}

// Where oasdiff's English messages name the thing a change is about.
var (
	quotedRE = regexp.MustCompile(`'([^']*)'`)
	// "the 'entries/items/x' response's property type/format changed",
	// "added the new 'v' enum value to the 'x' response property"
	propertyBeforeRE = regexp.MustCompile(`'([^']+)' (?:response|request)(?:'s)? (?:write-only )?property`)
	// "removed the optional property 'x' from the response",
	// "the response property 'x' became nullable"
	propertyAfterRE = regexp.MustCompile(`property '([^']+)'`)
	parameterRE     = regexp.MustCompile(`'([^']+)' request parameter '([^']+)'`)
	headerRE        = regexp.MustCompile(`response header '([^']+)'`)
)

// specName names what an oasdiff change is about, in the form CHANGELOG.md
// must use:
//   - a property: its dotted path in the response body, with [] for array
//     items; for GET /logs the entry is the root (`context.session_id`,
//     `entity.channel.is_shared`, as `auditlogs drift` prints paths), and the
//     full path (`entries[].context.session_id`) is accepted too;
//   - a parameter: `GET /logs?limit` (its operation, then ?name);
//   - a response header: `GET /logs Retry-After`;
//   - anything else (an operation, a status code, a media type): the
//     operation, `GET /logs`; a component: its quoted name.
func specName(c oasChange) (string, []string) {
	endpoint := strings.TrimSpace(c.Operation + " " + c.Path)
	if m := propertyBeforeRE.FindStringSubmatch(c.Text); m != nil {
		return propertyName(c, m[1])
	}
	if m := propertyAfterRE.FindStringSubmatch(c.Text); m != nil && !strings.HasPrefix(m[1], "#") {
		return propertyName(c, m[1])
	}
	if m := parameterRE.FindStringSubmatch(c.Text); m != nil {
		return endpoint + "?" + m[2], nil
	}
	if m := headerRE.FindStringSubmatch(c.Text); m != nil {
		return endpoint + " " + m[1], nil
	}
	if endpoint != "" {
		return endpoint, nil
	}
	if m := quotedRE.FindStringSubmatch(c.Text); m != nil {
		return m[1], nil
	}
	return c.ID, nil
}

// propertyName turns oasdiff's slash path of a property into a dotted one.
// A change inside one branch of a oneOf, anyOf or allOf
// ("session_id/oneOf[subschema #2]/") is named by its property.
func propertyName(c oasChange, slashPath string) (string, []string) {
	var b strings.Builder
	for seg := range strings.SplitSeq(slashPath, "/") {
		switch {
		case seg == "" || strings.HasPrefix(seg, "oneOf[") || strings.HasPrefix(seg, "anyOf[") || strings.HasPrefix(seg, "allOf["):
			// the property the branch belongs to names it
		case seg == "items" && b.Len() > 0:
			b.WriteString("[]")
		case b.Len() > 0:
			b.WriteString(".")
			b.WriteString(seg)
		default:
			b.WriteString(seg)
		}
	}
	full := b.String()
	if short, ok := strings.CutPrefix(full, "entries[]."); ok && c.Operation == "GET" && c.Path == "/logs" {
		return short, []string{full}
	}
	return full, nil
}
