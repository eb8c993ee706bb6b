package graph

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"tracker/models"
	"tracker/models/modelstest"
)

// TestDashboardInBrowser runs web/e2e/dashboard.mjs against the full
// handler on the seed data, restricted to trusted documents (one unrelated
// operation): the dashboard works on its own registered operations alone.
func TestDashboardInBrowser(t *testing.T) {
	dir := filepath.Join("..", "web", "dist", "dashboard")
	if _, err := os.Stat(filepath.Join(dir, dashboardManifest)); err != nil {
		skipUnlessCI(t, "the dashboard is not built: run `make assets`")
	}
	store := modelstest.Seeded(t, modelstest.Dialects()[0])
	other := "query Other { viewer { role } }"
	srv := httptest.NewServer(NewHandler(store, Options{PlaygroundAssets: "../web/node_modules", DashboardAssets: dir,
		Auth: AuthOptions{PublicRead: true}, TrustedDocuments: map[string]string{documentHash(other): other}}))
	t.Cleanup(srv.Close)
	token, _ := mustToken(t, store, models.RoleOfficer, []uint{orgID(t, store, "united-nations")}, nil)
	runBrowserScript(t, "dashboard.mjs", []string{"DASHBOARD_TOKEN=" + token}, srv.URL+"/")
}
