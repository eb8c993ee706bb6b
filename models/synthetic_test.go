package models_test

import (
	"context"
	"crypto/sha256"
	"fmt"
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

// TestSeedSynthetic checks that the synthetic data set is the same on both
// databases, that a second run adds nothing, and that growing it adds only
// what is missing, unchanged.
func TestSeedSynthetic(t *testing.T) {
	ctx := context.Background()
	digests := map[models.Dialect]string{}
	modelstest.Each(t, func(t *testing.T, d models.Dialect) {
		grown := modelstest.NewStore(t, d)
		for _, n := range []int{10, 20, 20} {
			if err := grown.SeedSynthetic(ctx, n, nil); err != nil {
				t.Fatalf("synthetic %d: %v", n, err)
			}
		}
		direct := modelstest.NewStore(t, d)
		if err := direct.SeedSynthetic(ctx, 20, nil); err != nil {
			t.Fatal(err)
		}
		digests[d] = syntheticDigest(t, direct)
		if got := syntheticDigest(t, grown); got != digests[d] {
			t.Errorf("grown in steps: %s, directly: %s", got, digests[d])
		}
		var n int64
		direct.DB().Model(&models.Initiative{}).Count(&n)
		if n != 20 {
			t.Errorf("%d initiatives, want 20", n)
		}
	})
	if len(digests) == 2 && digests[models.Postgres] != digests[models.SQLite] {
		t.Errorf("synthetic data differs: postgres %s, sqlite %s", digests[models.Postgres], digests[models.SQLite])
	}
}
