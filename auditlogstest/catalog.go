package auditlogstest

import (
	"bytes"
	"encoding/json"
)

// actionCategories is the answer of /actions: about 25 categories, with
// (among others) every action the synthetic entries use.
var actionCategories = []struct {
	name    string
	actions []string
}{
	{"workspace_or_org", []string{"workspace_created", "workspace_deleted", "organization_created", "emoji_added", "emoji_removed", "emoji_renamed", "manual_export_started", "manual_export_completed", "scheduled_export_started", "pref.emoji_only_admins", "pref.required_minimum_mobile_version_changed", "pref.ent_required_browser", "pref.who_can_manage_shared_channels", "pref.sso_setting_changed", "pref.two_factor_auth_changed", "pref.dm_retention_changed", "pref.file_retention_changed"}},
	{"user", []string{"user_login", "user_logout", "user_login_failed", "user_created", "user_deactivated", "user_reactivated", "role_change_to_admin", "role_change_to_owner", "role_change_to_user", "guest_created", "guest_deactivated", "user_session_reset_by_admin", "user_session_invalidated", "user_email_updated"}},
	{"file", []string{"file_uploaded", "file_downloaded", "file_downloaded_blocked", "file_shared", "file_public_link_created", "file_public_link_revoked", "file_deleted"}},
	{"channel", []string{"channel_created", "public_channel_created", "private_channel_created", "channel_deleted", "channel_archive", "channel_unarchive", "channel_renamed", "private_channel_converted_to_public", "public_channel_converted_to_private", "user_channel_join", "user_channel_leave", "channel_posting_permissions_updated", "channel_retention_changed", "channel_moved"}},
	{"app", []string{"app_installed", "app_uninstalled", "app_scopes_expanded", "app_approved", "app_restricted", "app_resolved", "app_removed_from_whitelist", "app_token_preserved", "bot_token_upgraded", "bot_token_downgraded"}},
	{"message", []string{"message_tombstoned", "message_restored"}},
	{"canvas", []string{"canvas_created", "canvas_shared", "canvas_unshared", "canvas_deleted", "canvas_opened"}},
	{"list", []string{"list_created", "list_deleted", "list_shared", "list_record_updated"}},
	{"huddle", []string{"huddle_started", "huddle_ended", "huddle_participant_added"}},
	{"role", []string{"role_assigned", "role_removed", "custom_role_created"}},
	{"barrier", []string{"barrier_created", "barrier_updated", "barrier_deleted"}},
	{"anomaly", []string{"anomaly", "user_sessions_reset_by_anomaly_event_response"}},
	{"workflow_v2", []string{"workflow_published", "workflow_unpublished", "workflow_created_from_template", "workflow_trigger_created"}},
	{"workflow_builder", []string{"workflow_created", "workflow_deleted", "workflow_responses_csv_download"}},
	{"subteam", []string{"subteam_created", "subteam_members_updated", "subteam_disabled"}},
	{"legal_hold", []string{"legal_hold_policy_created", "legal_hold_policy_entities_added", "legal_hold_policy_entities_removed", "legal_hold_policy_released"}},
	{"function", []string{"function_distribution_permission_changed", "function_executed"}},
	{"native_dlp", []string{"native_dlp_rule_created", "native_dlp_rule_deactivated", "native_dlp_violation_detected"}},
	{"template", []string{"template_created", "template_deleted"}},
	{"external_auth", []string{"external_auth_token_fetched", "external_auth_token_revoked"}},
	{"salesforce", []string{"salesforce_record_viewed", "salesforce_org_connected"}},
	{"slack_connect", []string{"connect_invite_sent", "connect_invite_accepted", "connect_invite_declined"}},
	{"datastore", []string{"app_datastore_created", "app_datastore_deleted"}},
	{"ekm", []string{"ekm_enrolled", "ekm_key_added", "ekm_key_revoked"}},
	{"clip", []string{"clip_recorded", "clip_transcript_downloaded"}},
}

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
	actionsJSON = func() []byte {
		cats := make(obj, len(actionCategories))
		for i, c := range actionCategories {
			cats[i] = kv{c.name, c.actions}
		}
		return appendValue(nil, obj{{"actions", cats}})
	}()
)

func compactJSON(s string) []byte {
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		panic("auditlogstest: bad static JSON: " + err.Error())
	}
	return b.Bytes()
}
