package graph

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"

	"tracker/models"
	"tracker/models/modelstest"
)

// writeDashboardBuild writes a stand-in build of the dashboard: a page, a
// bundle and a manifest registering query.
func writeDashboardBuild(t *testing.T, query string) string {
	t.Helper()
	dir := t.TempDir()
	manifest := `{"format": "apollo-persisted-query-manifest", "version": 1, "operations": [{"id": "` +
		documentHash(query) + `", "name": "Q", "type": "query", "body": ` + jsonString(query) + `}]}`
	for name, body := range map[string]string{
		"index.html":      `<!DOCTYPE html><script type="module" src="/dashboard/main-ABC.js"></script>`,
		"main-ABC.js":     `console.log("dashboard")`,
		dashboardManifest: manifest,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func jsonString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}

func TestDashboard_Serves(t *testing.T) {
	d := newDashboard(writeDashboardBuild(t, "query Q { viewer { role } }"), slog.New(slog.DiscardHandler))
	for _, tc := range []struct {
		path                     string
		status                   int
		contentType, cache, body string
	}{
		{"/dashboard/", 200, "text/html; charset=utf-8", "no-cache", "main-ABC.js"},
		{"/dashboard/main-ABC.js", 200, "text/javascript; charset=utf-8", "immutable", `console.log("dashboard")`},
		{"/dashboard/operations.json", 200, "application/json", "no-cache", "apollo-persisted-query-manifest"},
		{"/dashboard/missing.js", 404, "", "", ""},
		{"/dashboard/../server.go", 404, "", "", ""},
	} {
		resp, body := get(t, d, tc.path)
		if resp.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d", tc.path, resp.StatusCode, tc.status)
			continue
		}
		if tc.status != http.StatusOK {
			continue
		}
		if got := resp.Header.Get("Content-Type"); got != tc.contentType {
			t.Errorf("%s: Content-Type %q, want %q", tc.path, got, tc.contentType)
		}
		if got := resp.Header.Get("Cache-Control"); !strings.Contains(got, tc.cache) {
			t.Errorf("%s: Cache-Control %q, want %q", tc.path, got, tc.cache)
		}
		if !strings.Contains(body, tc.body) {
			t.Errorf("%s: body %q lacks %q", tc.path, body, tc.body)
		}
	}
	if resp, _ := get(t, d, "/dashboard/"); !strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'self'") {
		t.Errorf("the page has no Content-Security-Policy: %q", resp.Header.Get("Content-Security-Policy"))
	}
	if resp, _ := get(t, d, "/dashboard"); resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != "/dashboard/" {
		t.Errorf("/dashboard: %d to %q, want a redirect to /dashboard/", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// A server without the build says how to make it, with 503, and serves the
// build once it appears, without a restart.
func TestDashboard_NotBuilt(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "dashboard")
	d := newDashboard(dir, slog.New(slog.DiscardHandler))
	resp, body := get(t, d, "/dashboard/")
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503", resp.StatusCode)
	}
	if !strings.Contains(body, "make assets") || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Errorf("the page does not say how to build the dashboard: %s", body)
	}
	if err := os.Rename(writeDashboardBuild(t, "query Q { viewer { role } }"), dir); err != nil {
		t.Fatal(err)
	}
	if resp, _ := get(t, d, "/dashboard/"); resp.StatusCode != http.StatusOK {
		t.Errorf("after the build: status %d, want 200", resp.StatusCode)
	}
}

// With trusted documents on, the dashboard's registered operations run and
// others do not.
func TestDashboard_TrustedDocuments(t *testing.T) {
	registered := "query Q { viewer { role } }"
	modelstest.Each(t, func(t *testing.T, d models.Dialect) {
		store := modelstest.Seeded(t, d)
		srv := httptest.NewServer(NewHandler(store, Options{DashboardAssets: writeDashboardBuild(t, registered),
			Auth: AuthOptions{PublicRead: true}, TrustedDocuments: map[string]string{}}))
		t.Cleanup(srv.Close)
		c := &client{t: t, url: srv.URL + "/graphql", store: store}
		if r := c.do(registered, nil); len(r.Errors) > 0 {
			t.Errorf("the dashboard's operation: %+v", r.Errors)
		}
		c.mustFail("query Other { viewer { name } }", nil, "OPERATION_NOT_TRUSTED")
	})
}

// TestDashboard_Operations checks every operation of the dashboard's build
// against the schema, and runs each query on the seed data of each
// database: a schema change or a limit that breaks the dashboard fails
// here, without a browser.
func TestDashboard_Operations(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "web", "dist", "dashboard", dashboardManifest))
	if err != nil {
		skipUnlessCI(t, "the dashboard is not built: run `make assets`")
	}
	var manifest struct {
		Operations []struct{ Name, Type, Body string }
	}
	if err := json.Unmarshal(raw, &manifest); err != nil {
		t.Fatal(err)
	}
	schema := NewExecutableSchema(Config{Resolvers: &Resolver{}}).Schema()
	for _, op := range manifest.Operations {
		if _, errs := gqlparser.LoadQuery(schema, op.Body); errs != nil {
			t.Errorf("%s: %v", op.Name, errs)
		}
	}
	eachSeeded(t, func(t *testing.T, c *client) {
		var ids struct {
			ActionItem   struct{ ID string }
			Organization struct{ ID string }
		}
		c.mustQuery(`{ actionItem(slug: "un-raise-awareness") { id } organization(acronym: "UN") { id } }`, nil, &ids)
		vars := map[string]map[string]any{
			"Overview":                 {"first": 20},
			"Initiative":               {"slug": "ecowas-regional-action-plan"},
			"Search":                   {"text": "trafficking"},
			"Provenance":               {"id": ids.ActionItem.ID},
			"ItemHistory":              {"id": ids.ActionItem.ID},
			"OrganizationPartnerships": {"id": ids.Organization.ID},
		}
		ran := 0
		for _, op := range manifest.Operations {
			if op.Type != "query" {
				continue
			}
			var data map[string]any
			c.mustQuery(op.Body, vars[op.Name], &data)
			ran++
		}
		if ran < 8 {
			t.Errorf("ran %d of the dashboard's queries, want at least 8", ran)
		}
	})
}
