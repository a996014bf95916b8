package synthetic

import "strings"

// The small, fixed organization the synthetic entries happen in. It does not
// depend on the seed, so tests can name its users, channels and apps.

// Epoch is the fixed instant (2026-01-01T00:00:00Z, Unix seconds)
// that synthetic entries end at: they span about 30 days before it, so the
// corpus is the same whatever the clock says.
const Epoch int64 = 1767225600

// The enterprise of the synthetic organization.
const (
	orgID     = "E0ORG1234"
	orgName   = "Acme Corp"
	orgDomain = "acme"
)

type place struct{ id, name, domain string }

var org = place{orgID, orgName, orgDomain}

var workspaces = []place{
	{"T0ACMEENG1", "Acme Engineering", "acme-eng"},
	{"T0ACMESLS2", "Acme Sales", "acme-sales"},
	{"T0ACMESUP3", "Acme Support", "acme-support"},
	{"T0ACMEMKT4", "Acme Marketing", "acme-marketing"},
}

type person struct {
	id, name, email, team, accountType string
}

func (p person) obj() obj {
	return obj{{"id", p.id}, {"name", p.name}, {"email", p.email}, {"team", p.team}}
}

// slackUser is the actor of what Slack itself does.
var slackUser = person{id: "USLACKUSER", name: "Slack", email: "", team: orgID}

// slackSecurity is the actor when Slack's security team acts (it resets
// credentials, for example).
var slackSecurity = person{id: "USLACKSECURITY", name: "Slack Security", email: "", team: orgID}

var firstNames = []string{
	"Alice", "Bruno", "Chen", "Dana", "Emeka", "Fatima", "Gustavo", "Hana", "Ivan", "Jasmine",
	"Kenji", "Leila", "Mateo", "Nadia", "Oscar", "Priya", "Quentin", "Rosa", "Søren", "Tamara",
	"Umar", "Valentina", "Wei", "Ximena", "Yusuf", "Zoë", "Aaron", "Bianca", "Carlos", "Deepa",
	"Elif", "Farid", "Greta", "Hiro", "Ingrid", "Jonas", "Kavya", "Liam", "Mira", "Noah",
	"Olga", "Pablo", "Rania", "Samir", "Tessa", "Uma", "Viktor", "Wanjiru", "Yara", "Zeynep",
}

var lastNames = []string{
	"Nakamura", "Okafor", "Silva", "Kowalski", "Haddad", "Jensen", "Moreau", "Rossi", "Petrov", "Garcia",
	"Kim", "Nguyen", "Schmidt", "Dubois", "Ivanova", "Patel", "Andersson", "Mensah", "O'Brien", "Lindqvist",
	"Fischer", "Tanaka", "Ali", "Costa", "Novak", "Yilmaz", "Hughes", "Bauer", "Reyes", "Chowdhury",
	"Larsen", "Murphy", "Sato", "Horvat", "Abebe", "Dimitriou", "Keller", "Vargas", "Walsh", "Zhang",
	"Brennan", "Castillo", "Eriksen", "Fontaine", "Gupta", "Hoffmann", "Ibrahim", "Juarez", "Lam", "Mwangi",
}

var accountTypes = []string{"user", "user", "user", "user", "admin", "owner"}

// users are the organization's 50 people. A few have U-prefixed IDs (guests
// and people from before the move to Enterprise Grid), the rest W-prefixed.
var users = func() []person {
	r := NewRNG(1234)
	asciiEmail := strings.NewReplacer("ø", "o", "ë", "e", "'", "", " ", "")
	out := make([]person, len(firstNames))
	for i := range out {
		prefix := "W0"
		if i%9 == 4 {
			prefix = "U0"
		}
		team := workspaces[i%len(workspaces)].id
		if i%10 == 0 {
			team = orgID
		}
		name := firstNames[i] + " " + lastNames[i]
		out[i] = person{
			id:          slackID(r, prefix, 8),
			name:        name,
			email:       strings.ToLower(asciiEmail.Replace(firstNames[i]+"."+lastNames[i])) + "@acmecorp.example",
			team:        team,
			accountType: accountTypes[i%len(accountTypes)],
		}
	}
	return out
}()

// admins are the people who change settings, install apps and so on.
var admins = []int{0, 5, 10, 20, 30}

type channel struct {
	id, name, privacy string
	shared, orgShared bool
	teams             []string
}

var channels = func() []channel {
	r := NewRNG(5678)
	specs := []struct {
		name, privacy     string
		shared, orgShared bool
	}{
		{"general", "public", false, true},
		{"random", "public", false, true},
		{"eng-announcements", "public", false, true},
		{"incident-response", "public", false, false},
		{"deploys", "public", false, false},
		{"sales-pipeline", "public", false, false},
		{"support-escalations", "public", false, false},
		{"design-reviews", "public", false, false},
		{"marketing-campaigns", "public", false, false},
		{"project-falcon", "private", false, false},
		{"exec-staff", "private", false, false},
		{"hr-confidential", "private", false, false},
		{"security-ops", "private", false, false},
		{"ext-globex-partnership", "public", true, false},
		{"ext-initech-support", "private", true, false},
		{"office-berlin", "public", false, false},
	}
	out := make([]channel, len(specs))
	for i, s := range specs {
		c := channel{id: slackID(r, "C0", 9), name: s.name, privacy: s.privacy, shared: s.shared, orgShared: s.orgShared}
		if s.privacy == "private" && i%2 == 0 {
			c.id = slackID(r, "G0", 9) // older private channels kept their G IDs
		}
		if s.shared {
			c.teams = []string{slackID(r, "T0", 9)}
		}
		out[i] = c
	}
	return out
}()

func (c channel) obj() obj {
	o := obj{{"id", c.id}, {"privacy", c.privacy}, {"name", c.name}, {"is_shared", c.shared}, {"is_org_shared", c.orgShared}}
	if c.shared {
		o = o.add("teams_shared_with", c.teams)
	}
	return o
}

type app struct {
	id, name                        string
	distributed, approved, workflow bool
	scopes, botScopes               []string
}

var apps = func() []app {
	r := NewRNG(9012)
	specs := []app{
		{name: "Google Drive", distributed: true, approved: true, scopes: []string{"files:read", "links:read", "links:write"}, botScopes: []string{"chat:write", "files:read"}},
		{name: "Jira Cloud", distributed: true, approved: true, scopes: []string{"commands", "links:read"}, botScopes: []string{"chat:write", "channels:read", "users:read", "links:write"}},
		{name: "PagerDuty", distributed: true, approved: true, scopes: []string{"incoming-webhook"}, botScopes: []string{"chat:write", "channels:manage", "usergroups:write"}},
		{name: "Zoom", distributed: true, approved: false, scopes: []string{"calls:write", "users:read"}, botScopes: []string{"calls:read", "calls:write", "chat:write"}},
		{name: "Standup Bot", distributed: false, approved: false, botScopes: []string{"chat:write", "im:history", "users:read"}},
		{name: "GitHub", distributed: true, approved: true, scopes: []string{"links:read"}, botScopes: []string{"chat:write", "commands", "links:write", "team:read"}},
		{name: "Deploy Notifier", distributed: false, approved: false, workflow: true, botScopes: []string{"chat:write", "chat:write.public"}},
		{name: "Salesforce", distributed: true, approved: true, scopes: []string{"users:read.email"}, botScopes: []string{"chat:write", "users:read", "users:read.email"}},
	}
	for i := range specs {
		specs[i].id = slackID(r, "A0", 9)
	}
	return specs
}()

func (a app) obj() obj {
	o := obj{{"id", a.id}, {"name", a.name}, {"is_distributed", a.distributed}, {"is_directory_approved", a.approved}, {"is_workflow_app", a.workflow}}
	if a.scopes != nil {
		o = o.add("scopes", a.scopes)
	}
	if a.botScopes != nil {
		o = o.add("scopes_bot", a.botScopes)
	}
	return o
}

var usergroups = func() []obj {
	r := NewRNG(3456)
	names := []string{"eng-oncall", "security-team", "sales-emea", "support-tier2", "leadership", "contractors"}
	out := make([]obj, len(names))
	for i, n := range names {
		out[i] = obj{{"id", slackID(r, "S0", 9)}, {"name", n}}
	}
	return out
}()

var fileNames = []struct{ name, filetype, title string }{
	{"Q4-roadmap.pdf", "pdf", "Q4 roadmap"},
	{"customer-list-2025.xlsx", "xlsx", "Customer list 2025"},
	{"architecture-diagram.png", "png", "Architecture diagram"},
	{"incident-2025-12-03.md", "markdown", "Incident report 2025-12-03"},
	{"contract-globex-signed.pdf", "pdf", "Globex contract (signed)"},
	{"salaries-2026.csv", "csv", "salaries-2026"},
	{"demo-recording.mp4", "mp4", "Product demo recording"},
	{"onboarding-checklist.docx", "docx", "Onboarding checklist"},
	{"logo-final-v3.svg", "svg", "logo-final-v3"},
	{"db-backup-notes.txt", "text", "DB backup notes"},
	{"pitch-deck.key", "key", "Series C pitch deck"},
	{"screenshot 2025-12-14 at 10.42.17.png", "png", "Screenshot 2025-12-14 at 10.42.17"},
}

var files = func() []obj {
	r := NewRNG(7890)
	out := make([]obj, len(fileNames))
	for i, f := range fileNames {
		out[i] = obj{{"id", slackID(r, "F0", 9)}, {"name", f.name}, {"filetype", f.filetype}, {"title", f.title}}
	}
	return out
}()

var userAgents = []string{
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Slack/4.41.105 Chrome/130.0.6723.191 Electron/33.2.1 Safari/537.36 Sonic Slack_SSB/4.41.105",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Slack/4.41.105 Chrome/130.0.6723.191 Electron/33.2.1 Safari/537.36 Sonic Slack_SSB/4.41.105",
	"Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
	"com.tinyspeck.chatlyio/24.12.10 (iPhone; iOS 18.1.1; Scale/3.00)",
	"com.Slack/24120010 (Pixel 8 Pro; Android 15)",
}

var anomalyReasons = []string{"ip_address", "user_agent", "asn", "session_fingerprint", "tor", "excessive_downloads", "unexpected_user_agent", "unexpected_scraping", "excessive_file_shares"}

var cities = []string{"Reno, Nevada", "Berlin, Germany", "São Paulo, Brazil", "Lagos, Nigeria", "Singapore", "Toronto, Canada", "Warsaw, Poland", "Osaka, Japan"}

const idChars = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"

// slackID returns prefix followed by n characters of a Slack-style ID.
func slackID(r *RNG, prefix string, n int) string {
	b := make([]byte, len(prefix), len(prefix)+n)
	copy(b, prefix)
	for range n {
		b = append(b, idChars[r.intn(len(idChars))])
	}
	return string(b)
}
