package main

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/slackaudit/auditlogs"
)

// Whom a state belongs to: the endpoint it was collected from and the
// organization (enterprise ID) its entries came from. Resuming it against
// another one would append another organization's events to the output and
// move the watermark past events of the first one never collected.
//
// The organization is read from the entries' context.location of type
// "enterprise": the organization the event happened in. The actor's team is
// not used: it is a workspace ID for most users, and another organization's
// ID for an external user in a shared channel. Events located in a
// workspace do not name the enterprise, so the state learns its
// organization from the first page that has an enterprise-located event, and
// a page is refused only if it has such events and none of them is the
// state's organization.

// demoEndpoint is the endpoint recorded for --demo, whose server listens on
// another port on every run.
const demoEndpoint = "demo"

// endpointOf returns the endpoint the state records for the client: its base
// URL without credentials, query or fragment.
func endpointOf(ci *clientInfo) string {
	if ci.demo != nil {
		return demoEndpoint
	}
	u, err := url.Parse(ci.BaseURL())
	if err != nil {
		return ""
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	u.Host = strings.ToLower(u.Host)
	return u.String()
}

// pageOrg returns the enterprise ID most of a page's enterprise-located
// events carry, and whether any carries want.
func pageOrg(entries []*auditlogs.Entry, want string) (org string, hasWant bool) {
	counts := map[string]int{}
	for _, e := range entries {
		loc := e.Context.Location
		if loc == nil || loc.Type != "enterprise" || loc.ID == "" {
			continue
		}
		counts[loc.ID]++
		if loc.ID == want {
			hasWant = true
		}
	}
	for id, n := range counts {
		if n > counts[org] || (n == counts[org] && id < org) {
			org = id
		}
	}
	return org, hasWant
}

// ownerError means the state belongs to another endpoint or organization.
type ownerError struct{ msg string }

func (e *ownerError) Error() string { return e.msg }

// checkEndpoint compares the state's endpoint with this run's, before
// anything is read or written. With --same-org the state moves to the new
// endpoint; a state from before endpoints were recorded adopts this one.
func (t *tailer) checkEndpoint() error {
	st, ep := t.st, endpointOf(t.ci)
	switch {
	case st.Endpoint == "" || st.Endpoint == ep:
	case t.sameOrg:
		t.notice("--same-org: the state now follows another endpoint", "was", st.Endpoint, "now", ep)
	default:
		return &ownerError{fmt.Sprintf("state %s was collected from %s, not from %s: resuming would mix two collections "+
			"in one output. Use another --state for this endpoint, or --same-org if it serves the same organization "+
			"(a proxy, a new address). Nothing was written", t.statePath, st.Endpoint, ep)}
	}
	st.Endpoint = ep
	return nil
}

// checkPageOrg compares the organization a page's events come from with the
// state's, before the page is written: a page of another organization is
// refused, and the output keeps only what was checkpointed.
func (t *tailer) checkPageOrg(entries []*auditlogs.Entry) error {
	org, hasWant := pageOrg(entries, t.st.Org)
	switch {
	case org == "" || hasWant:
	case t.st.Org == "":
		t.event("organization", "enterprise_id", org)
	case t.sameOrg:
		t.notice("--same-org: the state now follows another organization", "was", t.st.Org, "now", org)
	default:
		return &ownerError{fmt.Sprintf("state %s belongs to organization %s, but %s serves events of %s: "+
			"resuming would mix two organizations in one output. Use another --state, or --same-org if this is "+
			"the same organization. The page was not written", t.statePath, t.st.Org, t.ci.host, org)}
	}
	if org != "" && !hasWant {
		t.st.Org = org
	}
	return nil
}
