module github.com/slackaudit/auditlogs/bench

go 1.26

replace github.com/slackaudit/auditlogs => ../

require (
	github.com/slack-go/slack v0.35.0
	github.com/slackaudit/auditlogs v0.0.0-00010101000000-000000000000
)

require (
	github.com/apapsch/go-jsonmerge/v2 v2.0.0 // indirect
	github.com/go-json-experiment/json v0.0.0-20251027170946-4849db3c2f7e // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/gorilla/websocket v1.5.3 // indirect
	github.com/hashicorp/go-cleanhttp v0.5.2 // indirect
	github.com/hashicorp/go-retryablehttp v0.7.8 // indirect
	github.com/klauspost/compress v1.20.4 // indirect
	github.com/oapi-codegen/runtime v1.8.0 // indirect
)
