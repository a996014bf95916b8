// Package tools pins the project's build tools (see go.mod) and checks the
// OpenAPI document with kin-openapi. It is a module of its own so that neither
// the code generator nor kin-openapi reaches the module graph of importers.
package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"gopkg.in/yaml.v3"
)

// specPath is the source; spec31Path its OpenAPI 3.1 edition, which
// go generate writes (tools/gen31).
const (
	specPath   = "../api/openapi.yaml"
	spec31Path = "../api/openapi-3.1.yaml"
)

// editions are both documents, for the tests that hold for each.
var editions = []string{specPath, spec31Path}

func loadSpec(t *testing.T) *openapi3.T {
	t.Helper()
	return loadSpecAt(t, specPath)
}

// loadSpecAt loads and validates one edition. kin-openapi validates a 3.1
// document, and values against its schemas, as JSON Schema 2020-12.
func loadSpecAt(t *testing.T, specPath string) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(specPath)
	if err != nil {
		t.Fatalf("load %s: %v", specPath, err)
	}
	if err := doc.Validate(context.Background(), openapi3.EnableExamplesValidation()); err != nil {
		t.Fatalf("validate %s: %v", specPath, err)
	}
	return doc
}

// TestSpecValid loads the document, validates it (examples included), and
// checks every example of every response against its schema once more,
// explicitly, so that a validator default changing cannot hide a bad example.
func TestSpecValid(t *testing.T) {
	for _, path := range editions {
		t.Run(path[len("../"):], func(t *testing.T) { testSpecValid(t, loadSpecAt(t, path)) })
	}
}

func testSpecValid(t *testing.T, doc *openapi3.T) {
	checked := 0
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			for code, resp := range op.Responses.Map() {
				for mediaType, mt := range resp.Value.Content {
					where := fmt.Sprintf("%s %s %s %s", method, path, code, mediaType)
					if mt.Example != nil {
						checkExample(t, doc, where, mt.Schema.Value, mt.Example)
						checked++
					}
					for name, ex := range mt.Examples {
						checkExample(t, doc, where+" example "+name, mt.Schema.Value, ex.Value.Value)
						checked++
					}
					if code != "default" && strings.HasPrefix(code, "2") && mt.Example == nil && len(mt.Examples) == 0 {
						t.Errorf("%s: success response without an example", where)
					}
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no examples found")
	}
	t.Logf("%d examples validated", checked)
}

func checkExample(t *testing.T, doc *openapi3.T, where string, schema *openapi3.Schema, example any) {
	t.Helper()
	// Round-trip through JSON so numbers are float64, as from a real body.
	b, err := json.Marshal(example)
	if err != nil {
		t.Errorf("%s: example does not marshal: %v", where, err)
		return
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Errorf("%s: %v", where, err)
		return
	}
	opts := []openapi3.SchemaValidationOption{openapi3.MultiErrors()}
	if doc.IsOpenAPI31OrLater() {
		opts = append(opts, openapi3.EnableJSONSchema2020())
	}
	if err := schema.VisitJSON(v, opts...); err != nil {
		t.Errorf("%s: example does not validate: %v", where, err)
	}
}

// The fact sheet's entity types and details fields (shared/slack-audit-api.md).
var (
	factSheetEntityTypes = []string{
		"user", "workspace", "enterprise", "channel", "file", "app", "message", "workflow", "workflow_v2",
		"usergroup", "account_type_role", "role", "barrier", "huddle", "list", "function", "canvas", "template",
		"legal_hold_policy", "external_auth_oauth2_token",
	}
	factSheetDetailsFields = strings.Fields(`
		name type shared_to origin_team target_team cleared_resolution app_owner_id resolution admin_app_id bot_id
		installer_user_id approver_id approval_type new_version_id trigger export_type export_start_ts export_end_ts
		barrier_id primary_usergroup_id invite_id external_organization_id external_organization_name
		external_user_id external_user_email channel_id added_team_id creator team app_id url_private initiated_by
		source_team destination_team enterprise subteam action is_flagged target_user idp_config_id config_type
		idp_entity_id_hash label target_user_id target_entity target_entity_id datastore_name channel entity_type
		actor access_level disconnecting_team linked_channel_id column_id row_id view_id user file_id trigger_id
		permission_type template_title cloned_file_id thread_ts status entity_team salesforce_org_id
		salesforce_edition salesforce_tenant_guid provider_key policy_name authentication_mode authentication_method
		secondary_authentication_method client_ja3_fingerprint previous_ip_address previous_ua location pref_name
		email md5_hash folder_bookmark_id tool tool_name service_type server_name server_url
		mcp_client_inferred_behavior source decision permission_key uri executor_id skill_id idp_entity_id
		reason action_timestamp ip_address_details detected_client detected_os api_call_method
		mobile_only web_only non_sso_only is_workflow is_internal_integration granular_bot_token
		app_previously_resolved app_previously_approved desktop_app_browser_quit is_token_rotation_enabled_app
		is_external_limited is_error permissions_updated is_channel_canvas is_slack_provided_template
		is_external_user is_ext_shared is_allowed success read_only destructive
		expires_on duration exporting_team_id session_search_start deprecation_search_end idp_group_member_count
		workspace_member_count added_user_count added_user_error_count reactivated_user_count removed_user_count
		removed_user_error_count total_removal_count cell_date_updated
		scopes bot_scopes scopes_bot new_scopes previous_scopes old_scopes channels barriered_from_usergroup_ids
		restricted_subjects changed_permissions functions workflows datastores channel_ids user_ids
		teams_shared_with variable_names functions_added workflows_added datastores_added argument_keys
		added_to_allow connectors_enabled connectors_disabled mcp_server_allowlist_domains
		succeeded_users failed_users new_value previous_value
		permissions trigger_config salesforce_org_config affected_users user_agent_change_details entity_ids md
		arguments
		inviter kicker old_retention_policy new_retention_policy who_can_post can_thread who_can_dm_anyone
		enable_at_here enable_at_channel can_huddle shared_with previous_profile new_profile space_file_id
		attributes matched_rule rules_checked request`)
	// Details fields whose JSON type varies between events: the spec must not
	// pin them to one type.
	varyingDetailsFields = []string{"succeeded_users", "failed_users", "new_value", "previous_value", "reason", "action_timestamp"}
)

// TestSpecCoversFactSheet checks that every entity type and every details
// field the fact sheet knows is described in the spec, with a description.
func TestSpecCoversFactSheet(t *testing.T) {
	doc := loadSpec(t)
	schemas := doc.Components.Schemas
	entity := schemas["Entity"].Value
	details := schemas["Details"].Value
	for _, name := range factSheetEntityTypes {
		if entity.Properties[name] == nil {
			t.Errorf("Entity lacks the %q type", name)
		}
	}
	for _, name := range factSheetDetailsFields {
		p := details.Properties[name]
		if p == nil {
			t.Errorf("Details lacks the %q field", name)
			continue
		}
		if p.Value.Description == "" {
			t.Errorf("Details.%s has no description", name)
		}
	}
	for _, name := range varyingDetailsFields {
		if p := details.Properties[name]; p != nil && p.Value.Type != nil && len(p.Value.AnyOf) == 0 {
			t.Errorf("Details.%s varies in type but the spec pins it to %v", name, p.Value.Type.Slice())
		}
	}
	if p := schemas["Context"].Value.Properties["session_id"]; p == nil || len(p.Value.AnyOf) < 2 {
		t.Error("Context.session_id must allow a number and a string")
	}
	if id := schemas["AuditEntry"].Value.Properties["id"].Value; id.Format != "" {
		t.Errorf("AuditEntry.id has format %q; Slack's ids are not always UUIDs", id.Format)
	}
	var extra []string
	for name := range details.Properties {
		if !slices.Contains(factSheetDetailsFields, name) {
			extra = append(extra, name)
		}
	}
	sort.Strings(extra)
	t.Logf("Details has %d fields (%d beyond the fact sheet: %v)", len(details.Properties), len(extra), extra)
}

// TestSpecDescribed checks that every schema and every property carries a
// description, since generated documentation in every language shows them.
func TestSpecDescribed(t *testing.T) {
	doc := loadSpec(t)
	for name, ref := range doc.Components.Schemas {
		s := ref.Value
		if s.Description == "" {
			t.Errorf("schema %s has no description", name)
		}
		for prop, p := range s.Properties {
			if p.Value.Description == "" && p.Ref == "" {
				t.Errorf("schema %s: property %s has no description", name, prop)
			}
		}
	}
}

// TestSpecUnionsAreAnyOf checks that every union is an anyOf whose branches
// are of different JSON types, so that they cannot overlap: no value can
// match two branches, even in a validator that coerces numbers and strings
// (which fails "all of the oneOf rules match" on a oneOf of an integer and
// a string). oneOf is not used at all.
func TestSpecUnionsAreAnyOf(t *testing.T) {
	doc := loadSpec(t)
	unions := 0
	seen := map[*openapi3.Schema]bool{}
	var walk func(where string, s *openapi3.Schema)
	walk = func(where string, s *openapi3.Schema) {
		if s == nil || seen[s] {
			return
		}
		seen[s] = true
		if len(s.OneOf) > 0 {
			t.Errorf("%s: oneOf; use anyOf with branches of different JSON types", where)
		}
		if len(s.AnyOf) > 0 {
			unions++
			types := map[string]bool{}
			for i, b := range s.AnyOf {
				if b.Value.Type == nil || len(b.Value.Type.Slice()) != 1 {
					t.Errorf("%s: anyOf branch %d has no single type", where, i)
					continue
				}
				typ := b.Value.Type.Slice()[0]
				if typ == "integer" {
					typ = "number" // an integer is a number: the two overlap
				}
				if types[typ] {
					t.Errorf("%s: two anyOf branches of type %s overlap", where, typ)
				}
				types[typ] = true
			}
		}
		for _, refs := range []openapi3.SchemaRefs{s.OneOf, s.AnyOf, s.AllOf} {
			for i, r := range refs {
				walk(fmt.Sprintf("%s/%d", where, i), r.Value)
			}
		}
		for name, p := range s.Properties {
			walk(where+"."+name, p.Value)
		}
		if s.Items != nil {
			walk(where+"[]", s.Items.Value)
		}
		if ap := s.AdditionalProperties.Schema; ap != nil {
			walk(where+"{}", ap.Value)
		}
	}
	for name, ref := range doc.Components.Schemas {
		walk(name, ref.Value)
	}
	if unions < 5 {
		t.Errorf("found %d unions; SessionID, ActionTimestamp, Reason, StringList and SettingValue are five", unions)
	}
}

// TestSpecDescriptionsUnique checks that no description or summary is
// written twice (vacuum's description-duplication rule): a copied
// description tells the reader of generated documentation nothing about
// the place it is copied to. Examples are data and are not looked at.
func TestSpecDescriptionsUnique(t *testing.T) {
	b, err := os.ReadFile(specPath)
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	where := map[string][]string{}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, c := range v {
				switch k {
				case "description", "summary":
					if s, ok := c.(string); ok {
						where[s] = append(where[s], path)
					}
				case "example", "examples":
					continue
				}
				walk(path+"/"+k, c)
			}
		case []any:
			for i, c := range v {
				walk(fmt.Sprintf("%s[%d]", path, i), c)
			}
		}
	}
	walk("", doc)
	if len(where) < 100 {
		t.Fatalf("found %d descriptions: the walk is broken", len(where))
	}
	for text, paths := range where {
		if len(paths) > 1 {
			sort.Strings(paths)
			t.Errorf("%q is the description of %d places: %v", text, len(paths), paths)
		}
	}
}

// TestSpecTypelessSchemasSayWhy checks that a component schema without a
// type is either a union (an anyOf whose branches have types) or free-form
// on purpose, which its description says ("any JSON value"), so that a
// reader or a linter can tell intent from omission.
func TestSpecTypelessSchemasSayWhy(t *testing.T) {
	doc := loadSpec(t)
	freeForm := 0
	for name, ref := range doc.Components.Schemas {
		s := ref.Value
		if s.Type != nil && len(s.Type.Slice()) > 0 {
			continue
		}
		switch {
		case len(s.AnyOf) > 0:
		case strings.Contains(strings.ToLower(s.Description), "any json value"):
			freeForm++
		default:
			t.Errorf("schema %s has no type, is no union, and its description does not say it takes any JSON value", name)
		}
	}
	if freeForm == 0 {
		t.Error("no free-form schema found; FreeForm is one")
	}
}

// TestSpecResponsesHaveExamples checks that every response of every
// operation, errors and default included, shows an example body, and that
// every parameter and response header has an example.
func TestSpecResponsesHaveExamples(t *testing.T) {
	doc := loadSpec(t)
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			for _, p := range op.Parameters {
				if p.Value.Example == nil && len(p.Value.Examples) == 0 {
					t.Errorf("%s %s: parameter %s has no example", method, path, p.Value.Name)
				}
			}
			for code, resp := range op.Responses.Map() {
				for mediaType, mt := range resp.Value.Content {
					if mt.Example == nil && len(mt.Examples) == 0 {
						t.Errorf("%s %s %s %s: no example", method, path, code, mediaType)
					}
				}
				for name, h := range resp.Value.Headers {
					if h.Value.Example == nil && len(h.Value.Examples) == 0 {
						t.Errorf("%s %s %s: header %s has no example", method, path, code, name)
					}
				}
			}
		}
	}
}
