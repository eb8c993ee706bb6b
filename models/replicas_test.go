package models_test

import (
	"strings"
	"testing"
	"time"

	"tracker/models"
	"tracker/models/modelstest"
)

// TestReadReplicas opens the store with two read replicas: one that cannot
// be reached, and the database itself (a server that is not in recovery
// has everything). The first is out of rotation, the second in; reads
// succeed all along, writes hand back a position their client's reads
// must see, and live reads go to the primary. The proof with a real
// streaming standby is `go run ./ops/prove replicas`.
func TestReadReplicas(t *testing.T) {
	postgresAddr(t) // skips without Postgres
	primary := modelstest.Seeded(t, models.Postgres)
	url := modelstest.DatabaseURL(t, primary)
	down := "postgres://postgres@" + freeAddr(t) + "/tracker?sslmode=disable&connect_timeout=1"
	ctx := t.Context()
	store := modelstest.WithReplicas(t, models.Config{DatabaseURL: url, ReplicaURLs: []string{down, url}, ReplicaMaxLag: time.Second})

	// Before the first check both are out of rotation: reads go to the
	// primary.
	first := 5
	for range 20 {
		if _, err := models.List[models.Organization](ctx, store, models.Page{First: &first}, nil, nil); err != nil {
			t.Fatalf("read: %v", err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) && !store.Replicas()[1].InUse {
		time.Sleep(50 * time.Millisecond)
	}
	hs := store.Replicas()
	if len(hs) != 2 {
		t.Fatalf("replicas = %d, want 2", len(hs))
	}
	if hs[0].InUse || hs[0].Error == "" {
		t.Errorf("unreachable replica: in rotation %v, error %q; want out, with the reason", hs[0].InUse, hs[0].Error)
	}
	if !hs[1].InUse {
		t.Errorf("reachable replica out of rotation: %q", hs[1].Error)
	}
	for range 20 {
		if _, err := models.List[models.Organization](ctx, store, models.Page{First: &first}, nil, nil); err != nil {
			t.Fatalf("read with a replica down: %v", err)
		}
	}

	// A write hands back the position after it.
	wctx, c := models.WithConsistency(models.WithUser(ctx, &models.User{Subject: "t", Name: "t", Role: models.RoleAdmin}), "")
	if _, err := store.CreateOrganization(wctx, models.NewOrganization{Slug: "replica-test", Name: "Replica test", Kind: models.OrganizationKindOffice}); err != nil {
		t.Fatal(err)
	}
	token := c.ReadAfterToken()
	if !strings.Contains(token, "/") {
		t.Fatalf("read-after token = %q, want a WAL position", token)
	}
	// The next request of that client, with the token, reads its write.
	rctx, _ := models.WithConsistency(ctx, token)
	conn, err := models.List[models.Organization](rctx, store, models.Page{First: &first}, &models.OrganizationFilter{Slug: &models.StringFilter{Eq: ptr("replica-test")}}, nil)
	if err != nil || len(conn.Nodes) != 1 {
		t.Fatalf("read after own write: %v, %d rows; want 1", err, len(conn.Nodes))
	}
	if _, err := models.List[models.Organization](models.FromPrimary(ctx), store, models.Page{First: &first}, nil, nil); err != nil {
		t.Fatalf("read from the primary: %v", err)
	}
}

// TestReadReplicaDown opens the store with one read replica, which cannot
// be reached: reads go to the primary without trying it (dbresolver itself
// would send every read to a sole replica, whatever its health).
func TestReadReplicaDown(t *testing.T) {
	postgresAddr(t) // skips without Postgres
	url := modelstest.DatabaseURL(t, modelstest.Seeded(t, models.Postgres))
	down := "postgres://postgres@" + freeAddr(t) + "/tracker?sslmode=disable&connect_timeout=1"
	ctx := t.Context()
	store := modelstest.WithReplicas(t, models.Config{DatabaseURL: url, ReplicaURLs: []string{down}})
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) && store.Replicas()[0].Checked.IsZero() {
		time.Sleep(20 * time.Millisecond)
	}
	first := 5
	for range 20 {
		if _, err := models.List[models.Organization](ctx, store, models.Page{First: &first}, nil, nil); err != nil {
			t.Fatalf("read: %v", err)
		}
	}
	if h := store.Replicas()[0]; h.InUse || strings.HasPrefix(h.Error, "a read failed") {
		t.Errorf("replica: in rotation %v, error %q; want out of rotation, and no read sent to it", h.InUse, h.Error)
	}
}

func ptr[T any](v T) *T { return &v }
