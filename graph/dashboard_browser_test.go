package graph

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"tracker/models"
	"tracker/models/modelstest"
)

// TestDashboardInBrowser runs web/e2e/dashboard.mjs against the full
// handler on the seed data, restricted to trusted documents (one unrelated
// operation): the dashboard works on its own registered operations alone.
// Two handlers over the one store stand for two replicas behind a load
// balancer; POST /test/failover drains the first (its live connections are
// closed with 1001, as on SIGTERM) and sends every later request to the
// second, so that the script sees the dashboard reconnect by itself.
func TestDashboardInBrowser(t *testing.T) {
	dir := filepath.Join("..", "web", "dist", "dashboard")
	if _, err := os.Stat(filepath.Join(dir, dashboardManifest)); err != nil {
		skipUnlessCI(t, "the dashboard is not built: run `make assets`")
	}
	store := modelstest.Seeded(t, modelstest.Dialects()[0])
	other := "query Other { viewer { role } }"
	replica := func(drain *LiveDrain) http.Handler {
		return NewHandler(store, Options{PlaygroundAssets: "../web/node_modules", DashboardAssets: dir,
			Auth: AuthOptions{PublicRead: true}, TrustedDocuments: map[string]string{documentHash(other): other},
			Live: LiveOptions{Drain: drain}})
	}
	firstDrain := NewLiveDrain()
	first, second := replica(firstDrain), replica(nil)
	var current atomic.Pointer[http.Handler]
	current.Store(&first)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/test/failover" {
			current.Store(&second)
			ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
			defer cancel()
			if err := firstDrain.Drain(ctx); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			w.WriteHeader(http.StatusNoContent)
			return
		}
		(*current.Load()).ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	token, _ := mustToken(t, store, models.RoleOfficer, []uint{orgID(t, store, "united-nations")}, nil)
	runBrowserScript(t, "dashboard.mjs", []string{"DASHBOARD_TOKEN=" + token, "FAILOVER_URL=" + srv.URL + "/test/failover"}, srv.URL+"/")
}
