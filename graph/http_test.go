package graph

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"tracker/models/modelstest"
)

// TestGET runs a query over GET, as the GraphQL-over-HTTP spec allows for
// queries, and checks the health endpoints.
func TestGET(t *testing.T) {
	store := modelstest.NewStore(t, modelstest.Dialects()[0])
	mustOrganizations(t, store, []string{"INTERPOL"}, nil)
	srv := httptest.NewServer(NewHandler(store, Options{Auth: AuthOptions{PublicRead: true}}))
	t.Cleanup(srv.Close)

	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}

	status, body := get("/graphql?query=" + url.QueryEscape(`{ organizations { nodes { name } } }`))
	var out struct {
		Data struct {
			Organizations struct{ Nodes []struct{ Name string } }
		}
	}
	if err := json.Unmarshal([]byte(body), &out); err != nil || status != http.StatusOK {
		t.Fatalf("GET query: %d %s", status, body)
	}
	if len(out.Data.Organizations.Nodes) != 1 || out.Data.Organizations.Nodes[0].Name != "INTERPOL" {
		t.Errorf("GET query data = %s", body)
	}

	if status, body := get("/healthz"); status != http.StatusOK || !strings.Contains(body, "ok") {
		t.Errorf("/healthz = %d %s", status, body)
	}
	if status, body := get("/readyz"); status != http.StatusOK || !strings.Contains(body, "ready") {
		t.Errorf("/readyz = %d %s", status, body)
	}
}
