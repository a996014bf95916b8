// Package synthetic makes the synthetic audit entries of the fake Slack
// (auditlogstest) and of the tests of the internal packages: a realistic,
// deterministic corpus in a fixed organization, and the /logs bodies that
// hold it.
package synthetic

import (
	"cmp"
	"encoding/json"
	"slices"
	"strconv"
)

// Generate returns n realistic synthetic audit entries, newest first (by
// date_create, ties by id descending: the order the server serves them in),
// as compact JSON. The same n and seed always give the same bytes, whatever
// the Go version or the clock: the entries span about 30 days before
// Epoch, in a fixed organization (enterprise E0ORG1234 "Acme Corp",
// four workspaces, 50 users, 16 channels, 8 apps).
//
// The corpus is made to exercise a client: it covers every entity type Slack
// documents plus one it does not ("salesforce_record"), puts unknown fields at
// every level of a few entries, lets several entries share a second, uses a
// non-UUID id now and then, and varies the shapes Slack varies
// (context.session_id as number, string, null or missing, details.succeeded_users
// as array or JSON-in-a-string, new_value/previous_value as string, array or
// object, empty ua and ip_address, empty file types and titles, integers beyond
// 32 bits, details.reason as a list and as a string, anomaly events with
// action_timestamp in microseconds and in milliseconds and their other details,
// the USLACKUSER and USLACKSECURITY actors, Slackbot acting for a user). Every
// entity type and variant appears once n is at least 64. Entries average about
// 700 bytes. n <= 0 gives an empty, non-nil slice. Each Event
// carries what a server filters on beside the entry's bytes.
func Generate(n int, seed int64) []Event {
	if n <= 0 {
		return []Event{}
	}
	g := &synthGen{r: NewRNG(seed)}
	recs := make([]Event, n)

	// Dates: spread at random over the 30 days before the epoch, newest
	// first, about one entry in eight sharing the second of the one before
	// (the second entry always does).
	const span = 30 * 24 * 3600
	dates := make([]int64, n)
	for i := range dates {
		dates[i] = Epoch - g.r.between(1, span)
	}
	slices.SortFunc(dates, func(a, b int64) int { return cmp.Compare(b, a) })
	for i := 1; i < n; i++ {
		if tie := g.r.Chance(0.12); tie || i == 1 {
			dates[i] = dates[i-1]
		}
	}

	totalWeight := 0
	for _, t := range templates {
		totalWeight += t.weight
	}
	// One arena for all entries: fewer allocations, better locality.
	arena := make([]byte, 0, n*720)
	for i := range recs {
		var t *template
		if i < len(templates) {
			// The first entries use each template once, so that a small
			// corpus still covers every entity type and shape.
			t = &templates[i]
		} else {
			w := g.r.intn(totalWeight)
			for j := range templates {
				if w < templates[j].weight {
					t = &templates[j]
					break
				}
				w -= templates[j].weight
			}
		}
		date := dates[i]
		g.date = date
		e := g.newEvent()
		t.fill(g, e)
		if i == len(templates) || (i > len(templates) && g.r.Chance(0.02)) {
			e.unknownFields = true
		}
		start := len(arena)
		var rec Event
		arena, rec = g.encode(arena, e, date, i)
		rec.Raw = arena[start:len(arena):len(arena)]
		recs[i] = rec
	}
	slices.SortStableFunc(recs, Compare)
	return recs
}

// event is an audit event being generated.
type event struct {
	action     string
	actor      person
	entityType string
	entity     obj
	entityID   string
	location   place
	locType    string
	ua, ip     string
	session    sessionKind
	app        obj // context.app, if any
	details    obj // nil: no details at all
	ctxExtra   obj
	// unknownFields adds fields nobody knows yet at every level.
	unknownFields bool
}

// sessionKind says how an event carries context.session_id.
type sessionKind uint8

const (
	sessionSome    sessionKind = iota // a number or a string, by chance
	sessionNull                       // null, as on events Slack runs itself
	sessionMissing                    // no session_id member at all
)

type synthGen struct {
	r         *RNG
	date      int64 // date_create of the event being generated
	anomalies int   // anomaly events of the "anomaly" template so far
}

// newEvent starts an event by an ordinary user in their own workspace.
func (g *synthGen) newEvent() *event {
	u := pick(g.r, users)
	e := &event{actor: u, ua: pick(g.r, userAgents), ip: g.ip()}
	g.locate(e, u)
	return e
}

// locate sets the event's location: the person's workspace, or the
// enterprise (always for people whose team is the enterprise).
func (g *synthGen) locate(e *event, p person) {
	e.location, e.locType = org, "enterprise"
	if p.team != orgID && g.r.Chance(0.7) {
		for _, w := range workspaces {
			if w.id == p.team {
				e.location, e.locType = w, "workspace"
			}
		}
	}
}

func (g *synthGen) admin() person { return users[pick(g.r, admins)] }

func (g *synthGen) ip() string {
	switch x := g.r.intn(100); {
	case x < 3:
		return ""
	case x < 10:
		return "2001:db8:" + strconv.FormatInt(g.r.between(0x1000, 0xffff), 16) + "::" + strconv.FormatInt(g.r.between(1, 0xfff), 16)
	case x < 45:
		return "203.0.113." + strconv.Itoa(g.r.intn(255)+1)
	case x < 75:
		return "198.51.100." + strconv.Itoa(g.r.intn(255)+1)
	default:
		return "192.0.2." + strconv.Itoa(g.r.intn(255)+1)
	}
}

// id returns an entry id: a random UUID, or now and then one in the style of
// Slack's documented example, with letters beyond f (always when odd is set).
func (g *synthGen) id(odd bool) string {
	const hex = "0123456789abcdef"
	const slackish = "0123456789abcdefghijklmnopqrstuvwxyz"
	alphabet := hex
	if g.r.Chance(0.03) || odd {
		alphabet = slackish
	}
	b := make([]byte, 36)
	for i := range b {
		switch i {
		case 8, 13, 18, 23:
			b[i] = '-'
		default:
			b[i] = alphabet[g.r.intn(len(alphabet))]
		}
	}
	if alphabet == hex {
		b[14] = '4'
		b[19] = hex[8+g.r.intn(4)]
	}
	return string(b)
}

// sessionID returns a number, or (in about 40% of entries, and in the 2nd) a
// string of digits.
func (g *synthGen) sessionID(i int) any {
	n := g.r.between(1_000_000_000, 9_999_999_999_999)
	if g.r.Chance(0.4) || i == 2 {
		return strconv.FormatInt(n, 10)
	}
	return n
}

// sessionOf decides how entry i carries its session: as the event says, and
// otherwise null in about 2% of entries (and in the 3rd) and missing in about
// 4% (and in the 4th), as in real data.
func (g *synthGen) sessionOf(e *event, i int) sessionKind {
	if e.session != sessionSome {
		return e.session
	}
	switch x := g.r.intn(100); {
	case x < 2 || i == 3:
		return sessionNull
	case x < 6 || i == 4:
		return sessionMissing
	}
	return sessionSome
}

func (g *synthGen) someUsers(k int) []string {
	out := make([]string, k)
	for i := range out {
		out[i] = pick(g.r, users).id
	}
	return out
}

func (g *synthGen) setEntity(e *event, typ, id string, payload obj) {
	e.entityType, e.entityID, e.entity = typ, id, payload
}

func (g *synthGen) userEntity(e *event, p person) {
	o := p.obj()
	if g.r.Chance(0.3) {
		o = o.add("account_type", p.accountType)
	}
	g.setEntity(e, "user", p.id, o)
}

func (g *synthGen) channelEntity(e *event) channel {
	c := pick(g.r, channels)
	o := c.obj()
	if c.shared && g.r.Chance(0.5) {
		o = o.add("original_connected_channel_id", c.id).add("is_salesforce_channel", false)
	}
	g.setEntity(e, "channel", c.id, o)
	return c
}

func (g *synthGen) fileEntity(e *event) {
	f := pick(g.r, files)
	g.setEntity(e, "file", f[0].v.(string), f)
}

func (g *synthGen) appEntity(e *event) app {
	a := pick(g.r, apps)
	g.setEntity(e, "app", a.id, a.obj())
	return a
}

func (g *synthGen) placeEntity(e *event, typ string, p place) {
	g.setEntity(e, typ, p.id, obj{{"id", p.id}, {"name", p.name}, {"domain", p.domain}})
}

// asAdmin makes an admin the actor, in the enterprise.
func (g *synthGen) asAdmin(e *event) {
	e.actor = g.admin()
	g.locate(e, e.actor)
}

// bySlack makes Slack itself the actor: no user agent, no IP address, a
// null session, as real events Slack runs show.
func bySlack(e *event) { byStaff(e, slackUser) }

// byStaff makes p, Slack itself or its security team, the actor.
func byStaff(e *event, p person) {
	e.actor = p
	e.location, e.locType = org, "enterprise"
	e.ua, e.ip, e.session = "", "", sessionNull
}

// viaApp says the action came through an app.
func viaApp(e *event, a app) {
	e.app = obj{{"id", a.id}, {"name", a.name}, {"is_distributed", a.distributed}, {"is_directory_approved", a.approved}, {"scopes", a.botScopes}}
	e.ua = "Slack-API-Client/2.0 (+https://api.slack.com)"
}

// anomalyTime returns details.action_timestamp of an anomaly: up to two
// minutes before the event, in microseconds, or in milliseconds (ms).
func (g *synthGen) anomalyTime(ms bool) int64 {
	ts := g.ago(120)*1_000_000 + g.r.between(0, 999_999)
	if ms {
		ts /= 1000
	}
	return ts
}

// ago returns a time up to maxAgo seconds before the event.
func (g *synthGen) ago(maxAgo int64) int64 { return g.date - g.r.between(0, maxAgo) }

func inviter(p person) obj { return p.obj() }

// template generates one kind of event.
type template struct {
	name   string
	weight int
	fill   func(g *synthGen, e *event)
}

// templates, the kinds of synthetic events. Every action used here must be
// listed by /actions (see catalog.go; a test checks).
var templates = []template{
	{"user_login", 170, func(g *synthGen, e *event) {
		e.action = "user_login"
		g.userEntity(e, e.actor)
	}},
	{"user_logout", 70, func(g *synthGen, e *event) {
		e.action = "user_logout"
		g.userEntity(e, e.actor)
	}},
	{"anomaly", 9, func(g *synthGen, e *event) {
		e.action = "anomaly"
		g.userEntity(e, e.actor)
		reasons := []string{pick(g.r, anomalyReasons)}
		if g.r.Chance(0.4) {
			reasons = append(reasons, pick(g.r, anomalyReasons))
		}
		if g.anomalies++; g.anomalies == 1 {
			reasons = []string{"ip_address", "user_agent"} // the first has every detail
		}
		// Microseconds in most events, milliseconds in some.
		e.details = obj{{"action_timestamp", g.anomalyTime(g.r.Chance(0.3))}, {"location", pick(g.r, cities)}}
		prevIP, prevUA := "", "" // empty when they did not change
		for _, r := range reasons {
			switch r {
			case "ip_address", "asn", "tor":
				prevIP = g.ip()
			case "user_agent", "unexpected_user_agent":
				prevUA = pick(g.r, userAgents)
			}
		}
		e.details = append(e.details, kv{"previous_ip_address", prevIP}, kv{"previous_ua", prevUA}, kv{"reason", reasons})
		if prevIP != "" {
			e.details = e.details.add("ip_address_details", pick(g.r, [][]string{{"new-asn"}, {"new-asn", "cloud-asn"}, {"in-ioc-list"}}))
		}
		if prevUA != "" {
			e.details = e.details.add("user_agent_change_details", pick(g.r, [][]string{{"browser_version"}, {"os", "browser"}}))
		}
	}},
	{"anomaly_unexpected_client", 3, func(g *synthGen, e *event) {
		e.action = "anomaly"
		g.userEntity(e, e.actor)
		client := pick(g.r, []string{"python-requests", "curl", "Go-http-client"})
		e.ua = client + "/1.0"
		e.details = obj{{"action_timestamp", g.anomalyTime(true)}, {"location", pick(g.r, cities)}, {"previous_ip_address", ""}, {"previous_ua", ""},
			{"reason", []string{"unexpected_client"}}, {"detected_client", client}, {"detected_os", pick(g.r, []string{"", "linux", "windows"})}}
	}},
	{"anomaly_api_call_volume", 3, func(g *synthGen, e *event) {
		e.action = "anomaly"
		g.userEntity(e, e.actor)
		viaApp(e, pick(g.r, apps))
		e.details = obj{{"action_timestamp", g.anomalyTime(false)}, {"location", pick(g.r, cities)}, {"previous_ip_address", ""}, {"previous_ua", ""},
			{"reason", []string{"unexpected_api_call_volume"}}, {"api_call_method", pick(g.r, []string{"conversations.history", "files.list", "users.list"})}}
	}},
	{"sessions_reset_by_anomaly", 2, func(g *synthGen, e *event) {
		u := e.actor
		bySlack(e)
		e.action = "user_logout_compromised"
		g.userEntity(e, u)
	}},
	{"session_invalidated_by_security", 1, func(g *synthGen, e *event) {
		u := e.actor
		byStaff(e, slackSecurity)
		e.action = "user_session_invalidated"
		g.userEntity(e, u)
		// reason is a plain string on actions other than anomaly.
		e.details = obj{{"reason", pick(g.r, []string{"credentials_leaked", "suspicious_activity"})}}
	}},
	{"guest_deactivated", 3, func(g *synthGen, e *event) {
		bySlack(e)
		e.action = "guest_deactivated"
		g.userEntity(e, pick(g.r, users))
	}},
	{"user_created_array", 6, func(g *synthGen, e *event) {
		g.asAdmin(e)
		e.action = "user_created"
		u := pick(g.r, users)
		g.userEntity(e, u)
		e.details = obj{{"succeeded_users", g.someUsers(1 + g.r.intn(3))}, {"failed_users", []string{}}}
	}},
	{"user_created_string", 4, func(g *synthGen, e *event) {
		g.asAdmin(e)
		e.action = "user_created"
		g.userEntity(e, pick(g.r, users))
		ok, _ := json.Marshal(g.someUsers(1 + g.r.intn(3)))
		e.details = obj{{"succeeded_users", string(ok)}, {"failed_users", "[]"}}
	}},
	{"user_deactivated_by_slack", 4, func(g *synthGen, e *event) {
		bySlack(e)
		e.action = "user_deactivated"
		g.userEntity(e, pick(g.r, users))
	}},
	{"role_change_to_admin", 3, func(g *synthGen, e *event) {
		g.asAdmin(e)
		e.action = "role_change_to_admin"
		g.userEntity(e, pick(g.r, users))
	}},
	{"user_session_reset_by_admin", 4, func(g *synthGen, e *event) {
		g.asAdmin(e)
		e.action = "user_session_reset_by_admin"
		g.userEntity(e, pick(g.r, users))
		e.details = obj{{"mobile_only", g.r.Chance(0.3)}, {"web_only", g.r.Chance(0.3)}, {"non_sso_only", false}}
	}},
	{"file_downloaded", 90, func(g *synthGen, e *event) {
		e.action = "file_downloaded"
		g.fileEntity(e)
	}},
	{"file_uploaded", 45, func(g *synthGen, e *event) {
		e.action = "file_uploaded"
		g.fileEntity(e)
	}},
	{"file_untitled", 2, func(g *synthGen, e *event) {
		// A file without a type or a title: both come as "".
		e.action = pick(g.r, []string{"file_uploaded", "file_deleted"})
		id := slackID(g.r, "F0", 9)
		g.setEntity(e, "file", id, obj{{"id", id}, {"name", "untitled"}, {"filetype", ""}, {"title", ""}})
	}},
	{"file_shared", 25, func(g *synthGen, e *event) {
		e.action = "file_shared"
		g.fileEntity(e)
		c := pick(g.r, channels)
		e.details = obj{{"shared_to", c.id}, {"channel_id", c.id}}
	}},
	{"file_public_link_created", 5, func(g *synthGen, e *event) {
		e.action = "file_public_link_created"
		g.fileEntity(e)
		e.details = obj{{"url_private", "https://files.slack.com/files-pri/" + orgID + "-" + e.entityID + "/download"}}
	}},
	{"channel_created", 10, func(g *synthGen, e *event) {
		e.action = pick(g.r, []string{"public_channel_created", "private_channel_created", "public_channel_archive"})
		g.channelEntity(e)
	}},
	{"private_channel_converted_to_public", 3, func(g *synthGen, e *event) {
		e.action = "private_channel_converted_to_public"
		g.channelEntity(e)
	}},
	{"user_channel_join", 70, func(g *synthGen, e *event) {
		e.action = "user_channel_join"
		g.channelEntity(e)
		if g.r.Chance(0.4) {
			e.details = obj{{"inviter", inviter(pick(g.r, users))}, {"is_workflow", g.r.Chance(0.1)}}
		}
	}},
	{"channel_renamed_by_slackbot", 3, func(g *synthGen, e *event) {
		// Slackbot acting for the user named as the actor.
		e.action = "channel_renamed"
		c := g.channelEntity(e)
		ts := strconv.FormatInt(g.date-g.r.between(1, 30), 10) + ".000" + strconv.FormatInt(g.r.between(100, 999), 10)
		e.ctxExtra = obj{{"acting_agent", "Slackbot"}, {"agent_message", obj{{"team", e.actor.team}, {"channel_id", c.id}, {"message_ts", ts}, {"thread_ts", ts}}}}
	}},
	{"user_channel_leave", 25, func(g *synthGen, e *event) {
		e.action = "user_channel_leave"
		g.channelEntity(e)
		if g.r.Chance(0.3) {
			e.details = obj{{"kicker", g.admin().obj()}}
		}
	}},
	{"channel_posting_permissions_updated", 4, func(g *synthGen, e *event) {
		g.asAdmin(e)
		e.action = "channel_posting_permissions_updated"
		g.channelEntity(e)
		e.details = obj{
			{"who_can_post", obj{{"type", []string{"admin", "owner"}}, {"user", g.someUsers(2)}}},
			{"can_thread", obj{{"type", []string{"ra", "regular"}}, {"user", []string{}}}},
			{"enable_at_here", obj{{"enabled", false}}},
		}
	}},
	{"channel_retention_changed", 3, func(g *synthGen, e *event) {
		g.asAdmin(e)
		e.action = "channel_retention_changed"
		g.channelEntity(e)
		e.details = obj{
			{"old_retention_policy", obj{{"type", "DEFAULT"}, {"duration_days", 0}}},
			{"new_retention_policy", obj{{"type", "RETAIN_DAYS"}, {"duration_days", pick(g.r, []int{90, 365, 730})}}},
		}
	}},
	{"app_installed", 8, func(g *synthGen, e *event) {
		g.asAdmin(e)
		e.action = "app_installed"
		a := g.appEntity(e)
		e.details = obj{{"scopes", a.scopes}, {"bot_scopes", a.botScopes}, {"granular_bot_token", true}, {"is_internal_integration", !a.distributed}, {"app_owner_id", e.actor.id}}
		if a.scopes == nil {
			e.details[0].v = []string{}
		}
	}},
	{"app_scopes_expanded", 5, func(g *synthGen, e *event) {
		g.asAdmin(e)
		e.action = "app_scopes_expanded"
		a := g.appEntity(e)
		e.details = obj{{"new_scopes", append(slices.Clip(a.botScopes), "channels:history")}, {"previous_scopes", a.botScopes}, {"is_token_rotation_enabled_app", false}}
	}},
	{"app_other", 5, func(g *synthGen, e *event) {
		g.asAdmin(e)
		e.action = pick(g.r, []string{"app_uninstalled", "app_approved", "app_restricted"})
		g.appEntity(e)
	}},
	{"message_tombstoned", 4, func(g *synthGen, e *event) {
		g.asAdmin(e)
		e.action = pick(g.r, []string{"message_tombstoned", "message_restored"})
		c := pick(g.r, channels)
		ts := strconv.FormatInt(g.ago(20*24*3600), 10) + "." + strconv.FormatInt(g.r.between(100000, 999999), 10)
		g.setEntity(e, "message", "", obj{{"channel", c.id}, {"team", pick(g.r, workspaces).id}, {"timestamp", ts}})
	}},
	{"workflow", 4, func(g *synthGen, e *event) {
		e.action = pick(g.r, []string{"workflow_created", "workflow_deleted"})
		id := slackID(g.r, "Wf0", 8)
		g.setEntity(e, "workflow", id, obj{{"id", id}, {"name", pick(g.r, []string{"New hire onboarding", "PTO request", "Incident intake", "Weekly standup"})}})
	}},
	{"workflow_v2", 6, func(g *synthGen, e *event) {
		e.action = pick(g.r, []string{"workflow_published", "workflow_unpublished"})
		a := apps[6]
		id := slackID(g.r, "Wf0", 8)
		steps := []obj{
			{{"name", "Send a message"}, {"step_function_type", "builtin"}, {"step_function_app_id", "A0SLACKBLT1"}},
			{{"name", "Create issue"}, {"step_function_type", "app"}, {"step_function_app_id", apps[1].id}, {"external_auth_configuration", obj{{"provider_key", "atlassian"}, {"auth_type", "end_user"}}}},
		}
		g.setEntity(e, "workflow_v2", id, obj{{"id", id}, {"app_id", a.id}, {"callback_id", "deploy_announce"}, {"name", "Announce deploys"}, {"updated_by", e.actor.id}, {"date_updated", g.ago(3600)}, {"step_configuration", steps}})
		if g.r.Chance(0.5) {
			e.details = obj{{"trigger", "shortcut"}, {"functions", []string{"Fn0SENDMSG1", "Fn0MKISSUE"}}}
		}
	}},
	{"subteam", 4, func(g *synthGen, e *event) {
		g.asAdmin(e)
		e.action = pick(g.r, []string{"usergroup_updated", "user_added_to_usergroup"})
		ug := pick(g.r, usergroups)
		g.setEntity(e, "usergroup", ug[0].v.(string), ug)
		if e.action == "user_added_to_usergroup" {
			e.details = obj{{"added_user_count", g.r.intn(5) + 1}, {"removed_user_count", g.r.intn(2)}}
		}
	}},
	{"account_type_role", 3, func(g *synthGen, e *event) {
		g.asAdmin(e)
		e.action = "role_assigned"
		id := "Rl0" + pick(g.r, []string{"001", "002", "003"})
		g.setEntity(e, "account_type_role", id, obj{{"id", id}, {"name", pick(g.r, []string{"Workspace Admin", "Workspace Owner", "Org Admin"})}})
		e.details = obj{{"target_user_id", pick(g.r, users).id}}
	}},
	{"role", 3, func(g *synthGen, e *event) {
		g.asAdmin(e)
		e.action = pick(g.r, []string{"role_assigned", "role_removed"})
		id := "Rl0" + pick(g.r, []string{"0A1", "0B2", "0C3", "0D4"})
		g.setEntity(e, "role", id, obj{{"id", id}, {"name", pick(g.r, []string{"Channel Manager", "Users Admin", "Audit Logs Admin", "Workflow Admin"})}, {"type", "system"}})
		e.details = obj{{"target_user_id", pick(g.r, users).id}, {"target_entity_id", pick(g.r, workspaces).id}}
	}},
	{"barrier", 2, func(g *synthGen, e *event) {
		g.asAdmin(e)
		e.action = pick(g.r, []string{"barrier_created", "barrier_updated", "barrier_deleted"})
		id := slackID(g.r, "IB0", 8)
		g.setEntity(e, "barrier", id, obj{{"id", id}, {"primary_usergroup", usergroups[2][0].v.(string)}, {"barriered_from_usergroups", []string{usergroups[5][0].v.(string)}}, {"restricted_subjects", []string{"call", "dm", "mpdm"}}})
	}},
	{"huddle", 12, func(g *synthGen, e *event) {
		e.action = pick(g.r, []string{"huddle_started", "huddle_ended"})
		id := slackID(g.r, "R0", 9)
		start, end := g.date, int64(0)
		if e.action == "huddle_ended" {
			start, end = g.date-g.r.between(60, 5400), g.date
		}
		g.setEntity(e, "huddle", id, obj{{"id", id}, {"date_start", start}, {"date_end", end}, {"participants", append([]string{e.actor.id}, g.someUsers(1+g.r.intn(4))...)}})
	}},
	{"list", 3, func(g *synthGen, e *event) {
		e.action = pick(g.r, []string{"permissions_assigned", "permissions_removed"})
		id := slackID(g.r, "F0", 9)
		g.setEntity(e, "list", id, obj{{"id", id}})
	}},
	{"function", 2, func(g *synthGen, e *event) {
		g.asAdmin(e)
		e.action = "function_distribution_permission_set"
		id := slackID(g.r, "Fn0", 8)
		g.setEntity(e, "function", id, obj{{"id", id}, {"app_id", apps[6].id}, {"callback_id", "create_issue"}})
		e.details = obj{{"permission_type", "named_entities"}, {"user_ids", g.someUsers(2)}}
	}},
	{"canvas", 8, func(g *synthGen, e *event) {
		e.action = pick(g.r, []string{"canvas_created", "canvas_shared", "canvas_deleted"})
		id := slackID(g.r, "F0", 9)
		g.setEntity(e, "canvas", id, obj{{"id", id}, {"filetype", "quip"}, {"title", pick(g.r, []string{"Q1 planning", "Team charter", "Runbook: paging", "Meeting notes"})}})
		if e.action == "canvas_shared" {
			e.details = obj{{"is_channel_canvas", false}, {"shared_with", obj{{"channel_id", pick(g.r, channels).id}, {"access_level", "write"}}}}
		}
	}},
	{"template", 1, func(g *synthGen, e *event) {
		g.asAdmin(e)
		e.action = "template_created"
		id := slackID(g.r, "Tpl0", 7)
		g.setEntity(e, "template", id, obj{{"id", id}, {"template_name", "Incident review"}})
		e.details = obj{{"template_title", "Incident review"}, {"is_slack_provided_template", false}}
	}},
	{"legal_hold", 1, func(g *synthGen, e *event) {
		g.asAdmin(e)
		// The recorded /actions answer names no legal hold action: its
		// permissions_* actions stand for a policy's custodians changing.
		e.action = "permissions_assigned"
		if g.r.intn(3) == 1 {
			e.action = "permissions_removed"
		}
		id := slackID(g.r, "LH0", 8)
		g.setEntity(e, "legal_hold_policy", id, obj{{"id", id}, {"name", "Globex litigation 2025"}})
		if e.action == "permissions_assigned" {
			e.details = obj{{"user_ids", g.someUsers(3)}, {"policy_name", "Globex litigation 2025"}}
		}
	}},
	{"external_auth_oauth2_token", 2, func(g *synthGen, e *event) {
		e.action = "workflow_app_token_preserved"
		id := g.r.between(1<<33, 1<<45)
		scopes := any([]string{"openid", "email", "https://www.googleapis.com/auth/drive.readonly"})
		if g.r.Chance(0.5) {
			scopes = "openid email"
		}
		g.setEntity(e, "external_auth_oauth2_token", strconv.FormatInt(id, 10), obj{{"id", id}, {"provider_key", "google"}, {"external_user_email", e.actor.email}, {"scopes", scopes}, {"date_created", g.ago(200 * 86400)}})
		viaApp(e, apps[6])
	}},
	{"pref_string", 6, func(g *synthGen, e *event) {
		g.asAdmin(e)
		g.placeEntity(e, "workspace", pick(g.r, workspaces))
		if g.r.Chance(0.5) {
			e.action = "pref.emoji_only_admins"
			e.details = obj{{"new_value", "true"}, {"previous_value", "false"}}
		} else {
			e.action = "pref.required_minimum_mobile_version_changed"
			e.details = obj{{"new_value", "24.10.10"}, {"previous_value", "23.11.10"}}
		}
	}},
	{"pref_array", 3, func(g *synthGen, e *event) {
		g.asAdmin(e)
		e.action = "pref.ent_required_browser"
		g.placeEntity(e, "enterprise", org)
		e.details = obj{{"new_value", []string{"chrome", "firefox", "safari"}}, {"previous_value", []string{"chrome", "firefox"}}}
	}},
	{"pref_object", 3, func(g *synthGen, e *event) {
		g.asAdmin(e)
		e.action = "pref.who_can_manage_shared_channels"
		g.placeEntity(e, "enterprise", org)
		e.details = obj{
			{"new_value", obj{{"type", []string{"ORG_ADMINS_AND_OWNERS"}}, {"user", g.someUsers(1)}}},
			{"previous_value", obj{{"type", []string{"ORG_OWNERS"}}, {"user", []string{}}}},
		}
	}},
	{"emoji_added", 6, func(g *synthGen, e *event) {
		e.action = "emoji_added"
		g.placeEntity(e, "workspace", pick(g.r, workspaces))
		e.details = obj{{"name", pick(g.r, []string{"partyparrot", "shipit", "lgtm", "this-is-fine", "acme-logo"})}}
	}},
	{"manual_export_started", 2, func(g *synthGen, e *event) {
		g.asAdmin(e)
		e.action = "manual_export_started"
		g.placeEntity(e, "workspace", pick(g.r, workspaces))
		e.details = obj{{"export_type", "standard"}, {"export_start_ts", "2025-11-01 00:00:00"}, {"export_end_ts", "2025-12-01 00:00:00"}, {"exporting_team_id", g.r.between(1<<33, 1<<40)}}
	}},
	{"organization_pref", 2, func(g *synthGen, e *event) {
		bySlack(e)
		e.action = "pref.sso_setting_changed"
		g.placeEntity(e, "enterprise", org)
		e.details = obj{{"new_value", "required"}, {"previous_value", "optional"}}
	}},
	{"salesforce_record", 2, func(g *synthGen, e *event) {
		// An entity type Slack has not documented (yet): clients must keep it.
		e.action = "record_shared"
		id := "0015g00000" + slackID(g.r, "", 5) + "AAB"
		g.setEntity(e, "salesforce_record", id, obj{{"id", id}, {"object_type", "Account"}, {"name", pick(g.r, []string{"Globex Corporation", "Initech", "Umbrella Corp"})}, {"org_id", "00D5g000004abcdEAA"}, {"fields_viewed", []string{"Name", "AnnualRevenue", "Owner"}}})
		viaApp(e, apps[7])
		e.details = obj{{"salesforce_org_id", "00D5g000004abcdEAA"}, {"salesforce_edition", "Enterprise"}}
	}},
}

// encode appends the compact JSON of e, dated date, to b.
func (g *synthGen) encode(b []byte, e *event, date int64, i int) ([]byte, Event) {
	rec := Event{ID: g.id(i == 1), Date: date, Action: e.action, Actor: e.actor.id, Entity: e.entityID}

	actorUser := e.actor.obj()
	if e.unknownFields {
		actorUser = actorUser.add("pronouns", "they/them")
	}
	payload := e.entity
	if e.unknownFields {
		payload = append(slices.Clip(payload), kv{"x_display_id", "ACME-" + strconv.Itoa(g.r.intn(100000))})
	}
	ctx := obj{
		{"location", obj{{"type", e.locType}, {"id", e.location.id}, {"name", e.location.name}, {"domain", e.location.domain}}},
		{"ua", e.ua},
		{"ip_address", e.ip},
	}
	switch g.sessionOf(e, i) {
	case sessionSome:
		ctx = ctx.add("session_id", g.sessionID(i))
	case sessionNull:
		ctx = ctx.add("session_id", nil)
	}
	if e.app != nil {
		ctx = ctx.add("app", e.app)
	}
	ctx = append(ctx, e.ctxExtra...)
	if e.unknownFields {
		if e.ctxExtra == nil {
			ctx = ctx.add("acting_agent", "Slackbot").
				add("agent_message", obj{{"team", e.actor.team}, {"channel_id", channels[0].id}, {"message_ts", "1766000000.000100"}, {"thread_ts", "1766000000.000100"}})
		}
		ctx = ctx.add("device", obj{{"managed", true}, {"platform", "macos"}})
	}
	o := obj{
		{"id", rec.ID},
		{"date_create", date},
		{"action", e.action},
		{"actor", obj{{"type", "user"}, {"user", actorUser}}},
		{"entity", obj{{"type", e.entityType}, {e.entityType, payload}}},
		{"context", ctx},
	}
	details := e.details
	if e.unknownFields {
		details = append(slices.Clip(details), kv{"risk_score", rawJSON("0.73")}, kv{"x_labels", []obj{{{"k", "source"}, {"v", "beta"}}}})
	}
	if details != nil {
		o = o.add("details", details)
	}
	if e.unknownFields {
		o = o.add("schema_version", 2).add("region", "us-east-1")
	}
	return appendValue(b, o), rec
}

// Body returns a GET /logs answer holding entries and nextCursor, laid out
// as Slack lays one out ({"entries":[...],"response_metadata":{...}}).
func Body(entries []json.RawMessage, nextCursor string) []byte {
	const pagePrefix = `{"entries":[`
	size := len(pagePrefix) + 64 + len(nextCursor)
	for _, e := range entries {
		size += len(e) + 1
	}
	b := make([]byte, 0, size)
	b = append(b, pagePrefix...)
	for i, e := range entries {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, e...)
	}
	b = append(b, `],"response_metadata":{"next_cursor":`...)
	b = appendString(b, nextCursor)
	return append(b, `}}`...)
}

// Entries returns the entries of events, their bytes only.
func Entries(events []Event) []json.RawMessage {
	out := make([]json.RawMessage, len(events))
	for i := range events {
		out[i] = events[i].Raw
	}
	return out
}

// Event is a synthetic entry with what a server filters on.
type Event struct {
	Raw    json.RawMessage // the entry's compact JSON
	Date   int64           // date_create
	ID     string
	Action string
	Actor  string // actor.user.id
	Entity string // entity[entity.type].id
}

// Compare orders events newest first: by date_create descending, ties by id
// descending (the order Slack serves them in).
func Compare(a, b Event) int {
	if c := cmp.Compare(b.Date, a.Date); c != 0 {
		return c
	}
	return cmp.Compare(b.ID, a.ID)
}

// Corpus returns the entries of Generate(n, seed), their bytes only.
func Corpus(n int, seed int64) []json.RawMessage { return Entries(Generate(n, seed)) }
