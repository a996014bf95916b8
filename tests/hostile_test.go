package tests

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/slackaudit/auditlogs"
)

// calls runs each way of reading /logs against the client, returning the
// error of each.
func calls(ctx context.Context, c *auditlogs.Client) map[string]error {
	errs := map[string]error{}
	_, errs["Logs"] = c.Logs(ctx, auditlogs.LogsParams{})
	for _, err := range c.Pages(ctx, auditlogs.LogsParams{}) {
		errs["Pages"] = err
	}
	for _, err := range c.AllLogs(ctx, auditlogs.LogsParams{}) {
		errs["AllLogs"] = err
	}
	for _, err := range c.RawPages(ctx, auditlogs.LogsParams{}) {
		errs["RawPages"] = err
	}
	return errs
}

// TestNotAPageIsNeverAPage: a 2xx body that is not a /logs page is never
// taken for an empty last page (issue 16, row 1). "ok": false with a code is
// an *APIError with that code, not retried; anything else is
// ErrMalformedResponse, retried like a body cut short. The same holds for
// /schemas and /actions, whose member is required.
func TestNotAPageIsNeverAPage(t *testing.T) {
	tests := []struct {
		body     string
		code     string // the *APIError's, or "" for ErrMalformedResponse
		sentinel error
	}{
		{`{"ok":false,"error":"invalid_auth"}`, "invalid_auth", auditlogs.ErrUnauthorized},
		{`{"ok":false,"error":"token_revoked","entries":[]}`, "token_revoked", auditlogs.ErrUnauthorized},
		{`{"ok":false,"error":"missing_scope","needed":"auditlogs:read"}`, "missing_scope", auditlogs.ErrForbidden},
		{`{}`, "", auditlogs.ErrMalformedResponse},
		{`[]`, "", auditlogs.ErrMalformedResponse},
		{`{"entries":{}}`, "", auditlogs.ErrMalformedResponse},
		{`{"entries":null,"response_metadata":{"next_cursor":""}}`, "", auditlogs.ErrMalformedResponse},
		{`{"entries":[1,2]}`, "", auditlogs.ErrMalformedResponse},
		{`"ok"`, "", auditlogs.ErrMalformedResponse},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			rec := newRecorder(t, jsonBody(http.StatusOK, tt.body))
			c := fastClient(t, rec.URL, auditlogs.WithRetryMax(2))
			wantCalls := 3 // retried
			if tt.code != "" {
				wantCalls = 1
			}
			for name, err := range calls(context.Background(), c) {
				if !errors.Is(err, tt.sentinel) {
					t.Errorf("%s: err = %v, want %v", name, err, tt.sentinel)
				}
				var apiErr *auditlogs.APIError
				if isAPI := errors.As(err, &apiErr); isAPI != (tt.code != "") || (isAPI && (apiErr.Code != tt.code || apiErr.Attempts != 1)) {
					t.Errorf("%s: err = %#v, want an *APIError with code %q after one attempt: %v", name, apiErr, tt.code, isAPI)
				}
			}
			if got := rec.count(); got != 4*wantCalls {
				t.Errorf("%d requests for 4 calls, want %d each", got, wantCalls)
			}

			_, errS := c.Schemas(context.Background())
			_, errA := c.Actions(context.Background())
			for _, err := range []error{errS, errA} {
				if !errors.Is(err, tt.sentinel) {
					t.Errorf("schemas or actions: err = %v, want %v", err, tt.sentinel)
				}
			}
		})
	}
}
