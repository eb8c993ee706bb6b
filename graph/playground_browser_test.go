package graph

import (
	"net/http/httptest"
	"testing"
)

// TestPlaygroundInBrowser opens the playground of the full handler in headless
// Chromium with the network outside the test server blocked, and runs its
// default query against the seeded data.
func TestPlaygroundInBrowser(t *testing.T) {
	srv := httptest.NewServer(newTestHandler(t))
	t.Cleanup(srv.Close)
	runBrowserCheck(t, srv.URL+"/", "West Africa Coast Initiative")
}
