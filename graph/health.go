package graph

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"tracker/models"
)

// healthz answers while the process is alive.
func healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"status":"ok"}`))
}

// readyz answers 200 when the database is reachable, fully migrated and
// takes writes, and 503 otherwise, saying why — also while the server
// drains for shutdown, so that load balancers stop sending it requests.
// With read replicas it lists each one's state.
func readyz(store *models.Store, draining func() bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		status, body := http.StatusOK, map[string]any{"status": "ready"}
		current, latest, err := models.MigrationState(ctx, store.DB())
		switch {
		case draining != nil && draining():
			status, body = http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "reason": "shutting down"}
		case err != nil:
			status, body = http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "reason": "database unreachable"}
		case current != latest:
			status, body = http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "reason": "migrations pending",
				"schemaVersion": current, "latestVersion": latest}
		default:
			body["schemaVersion"] = current
			if werr := store.CheckWrites(ctx); werr != nil {
				status, body = http.StatusServiceUnavailable, map[string]any{"status": "unavailable",
					"reason": "database refuses writes", "detail": models.ErrorMessage(werr), "schemaVersion": current}
			}
		}
		// Read replicas are details: while none is in rotation, the
		// primary serves the reads, so the server stays ready.
		if rs := store.Replicas(); rs != nil {
			body["replicas"] = rs
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(body)
	}
}
