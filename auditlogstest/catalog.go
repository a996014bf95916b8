package auditlogstest

import (
	"bytes"
	_ "embed" // the recorded /actions answer
	"encoding/json"
)

// actionsRecorded is the answer of /actions: Slack's own, as java-slack-sdk
// recorded it from the real API (json-logs/raw/audit/v1/actions.json at
// commit 8aa01caaaeb8613260bf9bb9275afb54f3531f15: 21 categories, 470
// names). Every action of the synthetic entries is one of its names (a test
// checks). To bring it up to date, replace the file with a newer recording.
//
//go:embed testdata/actions.json
var actionsRecorded []byte

// schemasText is the answer of /schemas: the object types entries carry,
// some of them (user, app, workflow_v2) listed twice with different field
// sets, as Slack does.
const schemasText = `{"schemas":[
{"type":"workspace","workspace":{"id":"string","name":"string","domain":"string"}},
{"type":"enterprise","enterprise":{"id":"string","name":"string","domain":"string"}},
{"type":"user","user":{"id":"string","name":"string","email":"string","team":"string"}},
{"type":"user","user":{"id":"string","name":"string","email":"string","team":"string","account_type":"Optional: string"}},
{"type":"channel","channel":{"id":"string","name":"string","privacy":"string","is_shared":"bool","is_org_shared":"bool","teams_shared_with":"Optional: vec<string>","original_connected_channel_id":"Optional: string","is_salesforce_channel":"Optional: bool"}},
{"type":"file","file":{"id":"string","name":"string","filetype":"string","title":"string"}},
{"type":"app","app":{"id":"string","name":"string","is_distributed":"bool","is_directory_approved":"bool","scopes":"array"}},
{"type":"app","app":{"id":"string","name":"string","is_workflow_app":"bool","scopes_bot":"Optional: vec<string>","creator":"Optional: string","team":"Optional: string"}},
{"type":"message","message":{"channel":"string","team":"string","timestamp":"string"}},
{"type":"workflow","workflow":{"id":"string","name":"string"}},
{"type":"workflow_v2","workflow_v2":{"id":"string","app_id":"string","callback_id":"string","name":"string"}},
{"type":"workflow_v2","workflow_v2":{"id":"string","name":"string","updated_by":"string","date_updated":"int","step_configuration":"Optional: vec<step_configuration>"}},
{"type":"usergroup","usergroup":{"id":"string","name":"string"}},
{"type":"account_type_role","account_type_role":{"id":"string","name":"string"}},
{"type":"role","role":{"id":"string","name":"string","type":"string"}},
{"type":"barrier","barrier":{"id":"string","primary_usergroup":"string","barriered_from_usergroups":"vec<string>","restricted_subjects":"vec<string>"}},
{"type":"huddle","huddle":{"id":"string","date_start":"int","date_end":"int","participants":"vec<string>"}},
{"type":"list","list":{"id":"string"}},
{"type":"function","function":{"id":"string","app_id":"string","callback_id":"string"}},
{"type":"canvas","canvas":{"id":"string","filetype":"string","title":"string"}},
{"type":"template","template":{"id":"string","template_name":"string"}},
{"type":"legal_hold_policy","legal_hold_policy":{"id":"string","name":"string"}}
]}`

// The static answers, compact, built once.
var (
	schemasJSON = compactJSON(schemasText)
	actionsJSON = compactJSON(string(actionsRecorded))
)

func compactJSON(s string) []byte {
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		panic("auditlogstest: bad static JSON: " + err.Error())
	}
	return b.Bytes()
}
