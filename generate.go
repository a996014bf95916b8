package auditlogs

//go:generate go tool -modfile=tools/go.mod oapi-codegen -config api/oapi-codegen.yaml api/openapi.yaml
//go:generate go tool -modfile=tools/go.mod oapi-codegen -config api/oapi-codegen-client.yaml api/openapi.yaml
//go:generate go tool -modfile=tools/go.mod oapi-codegen -config api/oapi-codegen-server.yaml api/openapi.yaml
//go:generate go run ./internal/gendecode -o internal/entrydecode/decode_gen.go
//go:generate go run -C tools ./gendrift -spec ../api/openapi.yaml -o ../internal/drift/spec_gen.go -examples ../internal/drift/examples_gen_test.go
