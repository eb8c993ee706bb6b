package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"tracker/graph"
	"tracker/models"
	"tracker/models/modelstest"
)

// TestReplicasOverHTTP runs the server's handler over a store with two
// read replicas — the database itself (not in recovery, so it has every
// write) and an address nothing answers on — and checks what the server
// shows of them: /readyz lists both, ready; /metrics has their state; a
// mutation hands back its Tracker-Read-After position, header and cookie,
// and a request that brings it back is answered. The proof with a real
// standby is `go run ./ops/prove replicas`.
func TestReplicasOverHTTP(t *testing.T) {
	if !slices.Contains(modelstest.Dialects(), models.Postgres) {
		t.Skip("needs Postgres")
	}
	primary := modelstest.Seeded(t, models.Postgres)
	url := modelstest.DatabaseURL(t, primary)
	down := "postgres://postgres@" + freeAddr(t) + "/tracker?sslmode=disable&connect_timeout=1"
	store := modelstest.WithReplicas(t, models.Config{DatabaseURL: url, ReplicaURLs: []string{url, down}})
	reg, err := newMetrics(store)
	if err != nil {
		t.Fatal(err)
	}
	admin := models.WithUser(context.Background(), &models.User{Subject: "test-admin", Name: "test", Role: models.RoleAdmin})
	token, _, err := store.CreateAPIToken(models.FromPrimary(admin), models.NewTokenSpec{Name: "replicas", Role: models.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(graph.NewHandler(store, graph.Options{Metrics: reg}))
	t.Cleanup(srv.Close)

	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) && !store.Replicas()[0].InUse {
		time.Sleep(50 * time.Millisecond)
	}
	resp, err := http.Get(srv.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	var ready struct {
		Status   string
		Replicas []struct {
			Name       string
			InRotation bool `json:"inRotation"`
			Error      string
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&ready); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || len(ready.Replicas) != 2 || !ready.Replicas[0].InRotation || ready.Replicas[1].InRotation || ready.Replicas[1].Error == "" {
		t.Errorf("/readyz: %d %+v; want 200 with the first replica in rotation, the second out with its reason", resp.StatusCode, ready)
	}

	resp, err = http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`tracker_replica_in_rotation{replica="` + ready.Replicas[0].Name + `"} 1`,
		`tracker_replica_in_rotation{replica="` + ready.Replicas[1].Name + `"} 0`, `tracker_replica_lag_seconds{replica=`} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	post := func(query, readAfter string) *http.Response {
		t.Helper()
		body, _ := json.Marshal(map[string]any{"query": query})
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		if readAfter != "" {
			req.Header.Set("Tracker-Read-After", readAfter)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var out struct{ Errors []any }
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || len(out.Errors) > 0 {
			t.Fatalf("%s: %v %v", query, err, out.Errors)
		}
		resp.Body.Close()
		return resp
	}
	w := post(`mutation { createOrganization(input: {slug: "read-after", name: "Read after", kind: OFFICE}) { organization { name } } }`, "")
	pos := w.Header.Get("Tracker-Read-After")
	if !strings.Contains(pos, "/") || !strings.Contains(w.Header.Get("Set-Cookie"), "tracker_read_after="+pos) {
		t.Fatalf("a write's response: Tracker-Read-After %q, Set-Cookie %q; want its WAL position in both", pos, w.Header.Get("Set-Cookie"))
	}
	if r := post(`{ organization(slug: "read-after") { name } }`, pos); r.Header.Get("Tracker-Read-After") != "" {
		t.Errorf("a read's response hands back a position: %q", r.Header.Get("Tracker-Read-After"))
	}
}

// TestLoadConfigReplicas checks DATABASE_REPLICA_URLS and REPLICA_MAX_LAG:
// a comma-separated list, blanks dropped; refused without a Postgres
// DATABASE_URL, since the embedded database has no replicas.
func TestLoadConfigReplicas(t *testing.T) {
	for _, tc := range []struct {
		env      map[string]string
		urls     []string
		lag      time.Duration
		errorHas string
	}{
		{env: nil, lag: 5 * time.Second},
		{env: map[string]string{"DATABASE_URL": "postgres://p/db", "DATABASE_REPLICA_URLS": " postgres://r1/db, ,postgres://r2/db ", "REPLICA_MAX_LAG": "2s"},
			urls: []string{"postgres://r1/db", "postgres://r2/db"}, lag: 2 * time.Second},
		{env: map[string]string{"DATABASE_REPLICA_URLS": "postgres://r1/db"}, errorHas: "DATABASE_REPLICA_URLS"},
		{env: map[string]string{"DATABASE_URL": "postgres://p/db", "REPLICA_MAX_LAG": "soon"}, errorHas: "REPLICA_MAX_LAG"},
	} {
		cfg, err := loadConfig(func(k string) string { return tc.env[k] })
		switch {
		case tc.errorHas != "":
			if err == nil || !strings.Contains(err.Error(), tc.errorHas) {
				t.Errorf("%v: error %v, want one saying %q", tc.env, err, tc.errorHas)
			}
		case err != nil:
			t.Errorf("%v: %v", tc.env, err)
		case !slices.Equal(cfg.ReplicaURLs, tc.urls) || cfg.ReplicaMaxLag != tc.lag:
			t.Errorf("%v: replicas %q, max lag %v; want %q, %v", tc.env, cfg.ReplicaURLs, cfg.ReplicaMaxLag, tc.urls, tc.lag)
		}
	}
}
