package auditlogstest_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"

	"github.com/slackaudit/auditlogs/auditlogstest"
)

// A fake Slack holding 5 synthetic entries, read with nothing but net/http.
func ExampleNewServer() {
	srv := auditlogstest.NewServer(auditlogstest.WithSynthetic(5, 1))
	defer srv.Close()

	// /logs needs the token: without it, Slack's 401.
	resp, err := http.Get(srv.URL + "logs")
	if err != nil {
		log.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, string(body))

	// With it, a page of entries, newest first, and the cursor of the next.
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"logs?limit=3", nil)
	req.Header.Set("Authorization", "Bearer "+auditlogstest.DefaultToken)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	var page struct {
		Entries []struct {
			DateCreate int64  `json:"date_create"`
			Action     string `json:"action"`
		} `json:"entries"`
		ResponseMetadata struct {
			NextCursor string `json:"next_cursor"`
		} `json:"response_metadata"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		log.Fatal(err)
	}
	for _, e := range page.Entries {
		fmt.Println(e.DateCreate, e.Action)
	}
	fmt.Println("more:", page.ResponseMetadata.NextCursor != "")
	// Output:
	// 401 {"ok":false,"error":"not_authed"}
	// 1766564123 user_logout
	// 1766564123 user_login
	// 1766092881 anomaly
	// more: true
}
