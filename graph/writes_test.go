package graph

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"tracker/models"
	"tracker/models/modelstest"
)

// refuseWrites makes store's database answer reads and refuse writes, as a
// read-only file or a standby does: one connection, set read-only.
func refuseWrites(t *testing.T, store *models.Store) {
	t.Helper()
	sqlDB, err := store.DB().DB()
	if err != nil {
		t.Fatal(err)
	}
	sqlDB.SetMaxOpenConns(1)
	switch store.Dialect() {
	case models.SQLite:
		modelstest.MustExec(t, store, "PRAGMA query_only = ON")
	case models.Postgres:
		modelstest.MustExec(t, store, "SET default_transaction_read_only = on")
	}
}

// readiness returns /readyz's status and body for the server of c.
func readiness(t *testing.T, c *client) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get(strings.TrimSuffix(c.url, "/graphql") + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

const createOrg = `mutation($s: String!, $d: String) { createOrganization(input: {slug: $s, name: "Body", kind: OTHER, description: $d}) {
	organization { id } } }`

// TestReadOnlyDatabase checks that a database that refuses writes makes
// the server not ready, and its writes UNAVAILABLE saying why, while reads
// go on.
func TestReadOnlyDatabase(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, d models.Dialect) {
		store := modelstest.Seeded(t, d)
		adminTok, _ := mustToken(t, store, models.RoleAdmin, nil, nil)
		c := newClient(t, store).as(adminTok)
		refuseWrites(t, store)

		status, body := readiness(t, c)
		if status != http.StatusServiceUnavailable || body["reason"] != "database refuses writes" ||
			!strings.Contains(body["detail"].(string), "read-only") {
			t.Errorf("/readyz = %d %v, want 503 saying the database refuses writes, read-only", status, body)
		}
		r := c.do(createOrg, map[string]any{"s": "new-body"})
		if len(r.Errors) != 1 || r.Errors[0].Code() != "UNAVAILABLE" || !strings.Contains(r.Errors[0].Message, "refuses writes (it is read-only)") {
			t.Errorf("write to a read-only database: %+v, want UNAVAILABLE saying it is read-only", r.Errors)
		}
		var out struct{ Organization struct{ Slug string } }
		c.mustQuery(`{ organization(slug: "dpko") { slug } }`, nil, &out)
		if out.Organization.Slug != "dpko" {
			t.Errorf("read from a read-only database = %+v", out)
		}
	})
}

// TestFullDatabase fills a SQLite database to its limit: the write that
// does not fit answers UNAVAILABLE, and the server reports itself not
// ready, although the readiness probe's small write still fits in place.
func TestFullDatabase(t *testing.T) {
	store := modelstest.Seeded(t, models.SQLite)
	adminTok, _ := mustToken(t, store, models.RoleAdmin, nil, nil)
	c := newClient(t, store).as(adminTok)
	if status, body := readiness(t, c); status != http.StatusOK {
		t.Fatalf("/readyz before = %d %v", status, body)
	}
	sqlDB, err := store.DB().DB()
	if err != nil {
		t.Fatal(err)
	}
	sqlDB.SetMaxOpenConns(1)
	modelstest.MustExec(t, store, "VACUUM") // no free pages left to fill
	var pages int
	if err := store.DB().Raw("PRAGMA page_count").Scan(&pages).Error; err != nil {
		t.Fatal(err)
	}
	modelstest.MustExec(t, store, "PRAGMA max_page_count = "+itoa(uint(pages)))

	r := c.do(createOrg, map[string]any{"s": "big-body", "d": strings.Repeat("a long description ", 1000)})
	if len(r.Errors) != 1 || r.Errors[0].Code() != "UNAVAILABLE" || !strings.Contains(r.Errors[0].Message, "disk is full") {
		t.Errorf("write to a full database: %+v, want UNAVAILABLE saying its disk is full", r.Errors)
	}
	status, body := readiness(t, c)
	if status != http.StatusServiceUnavailable || !strings.Contains(body["detail"].(string), "disk is full") {
		t.Errorf("/readyz after = %d %v, want 503 saying the disk is full", status, body)
	}
}
