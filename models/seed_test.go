package models_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"tracker/models"
	"tracker/models/modelstest"
)

// snapshot counts the rows of every table and sums their versions and
// update times, to tell whether anything changed.
func snapshot(t *testing.T, s *models.Store) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, table := range []string{"sources", "places", "topics", "topic_places", "organizations", "people", "positions",
		"initiatives", "initiative_relations", "partnerships", "initiative_topics", "initiative_places", "meetings",
		"meeting_initiatives", "meeting_topics", "participants", "outcomes", "statements", "action_items",
		"action_item_contributors", "metrics", "statistics", "results", "indicators", "citations"} {
		var row struct{ N, V int64 }
		q := "SELECT COUNT(*) AS n, 0 AS v FROM " + table
		if table != "initiative_topics" && table != "initiative_places" && table != "meeting_initiatives" &&
			table != "meeting_topics" && table != "action_item_contributors" {
			q = "SELECT COUNT(*) AS n, COALESCE(SUM(version), 0) AS v FROM " + table
		}
		if err := s.DB().Raw(q).Scan(&row).Error; err != nil {
			t.Fatal(err)
		}
		var latest struct{ U string }
		if row.V > 0 {
			s.DB().Raw("SELECT CAST(MAX(updated_at) AS TEXT) AS u FROM " + table).Scan(&latest)
		}
		out[table] = fmt.Sprintf("%d rows, versions %d, last updated %s", row.N, row.V, latest.U)
	}
	return out
}

// TestSeed loads the seed data set twice: the second run changes nothing.
func TestSeed(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, d models.Dialect) {
		s := modelstest.NewStore(t, d)
		ctx := context.Background()
		data, err := models.LoadSeed()
		if err != nil {
			t.Fatal(err)
		}
		if empty, err := s.IsEmpty(ctx); err != nil || !empty {
			t.Fatalf("IsEmpty = %v, %v before seeding", empty, err)
		}
		if err := s.Seed(ctx, data); err != nil {
			t.Fatalf("first seed: %v", err)
		}
		first := snapshot(t, s)
		if err := s.Seed(ctx, data); err != nil {
			t.Fatalf("second seed: %v", err)
		}
		if diff := cmp.Diff(first, snapshot(t, s)); diff != "" {
			t.Errorf("second seed changed the data (-first +second):\n%s", diff)
		}
		if empty, err := s.IsEmpty(ctx); err != nil || empty {
			t.Errorf("IsEmpty = %v, %v after seeding", empty, err)
		}
	})
}

// TestSeedRejectsUnsupportedExcerpts checks that a fact whose excerpt is not
// in its source is refused, and nothing is written.
func TestSeedRejectsUnsupportedExcerpts(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, d models.Dialect) {
		s := modelstest.NewStore(t, d)
		data, err := models.LoadSeed()
		if err != nil {
			t.Fatal(err)
		}
		data.Sources[0].Body = "A different text."
		if err := s.Seed(context.Background(), data); err == nil {
			t.Fatal("seed accepted excerpts missing from their source")
		}
		if empty, err := s.IsEmpty(context.Background()); err != nil || !empty {
			t.Errorf("a failed seed left data behind")
		}
	})
}
