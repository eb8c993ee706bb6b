package models_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"sync"
	"testing"

	"tracker/models"
	"tracker/models/modelstest"
)

// syntheticDigest summarizes the synthetic data in a store.
func syntheticDigest(t *testing.T, s *models.Store) string {
	t.Helper()
	h := sha256.New()
	for _, q := range []string{
		"SELECT slug || '|' || title || '|' || status || '|' || CAST(actual_start_on AS TEXT) AS v FROM initiatives WHERE slug LIKE 'syn-%' ORDER BY slug",
		`SELECT i.slug || '|' || o.slug || '|' || p.role || '|' || p.status AS v FROM partnerships p
			JOIN initiatives i ON i.id = p.initiative_id JOIN organizations o ON o.id = p.organization_id
			WHERE i.slug LIKE 'syn-%' ORDER BY i.slug, o.slug, p.role`,
		`SELECT m.slug || '|' || m.title || '|' || CAST(m.starts_on AS TEXT) || '|' || COUNT(pa.id) AS v FROM meetings m
			LEFT JOIN participants pa ON pa.meeting_id = m.id WHERE m.slug LIKE 'syn-%' GROUP BY m.slug, m.title, m.starts_on ORDER BY m.slug`,
		"SELECT a.slug || '|' || a.status || '|' || CAST(a.due_on AS TEXT) AS v FROM action_items a WHERE a.slug LIKE 'syn-%' ORDER BY a.slug",
	} {
		var rows []string
		if err := s.DB().Raw(q).Scan(&rows).Error; err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(h, rows)
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

// syntheticPools is a database holding the synthetic data set's pools of
// organizations, people and places, and no initiatives yet: what
// SeedSynthetic makes first on an empty database, and the bulk of its work
// at small sizes.
var syntheticPools = modelstest.NewFixture("synthetic pools", func(t testing.TB, s *models.Store) {
	if err := s.SeedSynthetic(context.Background(), 0, nil); err != nil {
		t.Fatalf("synthetic pools: %v", err)
	}
})

// TestSeedSynthetic checks that the synthetic data set is the same on both
// databases, that a second run adds nothing, and that growing it adds only
// what is missing, unchanged.
func TestSeedSynthetic(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var mu sync.Mutex
	digests := map[models.Dialect]string{}
	modelstest.EachParallel(t, func(t *testing.T, d models.Dialect) {
		grown := syntheticPools.Store(t, d)
		for _, n := range []int{10, 20, 20} {
			if err := grown.SeedSynthetic(ctx, n, nil); err != nil {
				t.Fatalf("synthetic %d: %v", n, err)
			}
		}
		direct := syntheticPools.Store(t, d)
		if err := direct.SeedSynthetic(ctx, 20, nil); err != nil {
			t.Fatal(err)
		}
		digest := syntheticDigest(t, direct)
		mu.Lock()
		digests[d] = digest
		mu.Unlock()
		if got := syntheticDigest(t, grown); got != digest {
			t.Errorf("grown in steps: %s, directly: %s", got, digest)
		}
		var n int64
		direct.DB().Model(&models.Initiative{}).Count(&n)
		if n != 20 {
			t.Errorf("%d initiatives, want 20", n)
		}
	})
	// After the parallel subtests.
	t.Cleanup(func() {
		if len(digests) == 2 && digests[models.Postgres] != digests[models.SQLite] {
			t.Errorf("synthetic data differs: postgres %s, sqlite %s", digests[models.Postgres], digests[models.SQLite])
		}
	})
}
