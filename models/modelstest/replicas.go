package modelstest

import (
	"context"
	"testing"

	"tracker/models"
)

// WithReplicas opens a store on cfg (a Postgres primary and its
// ReplicaURLs) with its replica checker running, both stopped and closed
// when t ends.
func WithReplicas(t testing.TB, cfg models.Config) *models.Store {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	db, err := models.Open(ctx, cfg)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	store := models.NewStore(db)
	done := make(chan struct{})
	go func() { store.WatchReplicas(ctx, nil); close(done) }()
	t.Cleanup(func() {
		cancel()
		<-done
		if sqlDB, err := db.DB(); err == nil {
			_ = sqlDB.Close()
		}
	})
	return store
}
