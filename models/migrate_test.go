package models_test

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"tracker/models"
	"tracker/models/modelstest"
)

func TestMain(m *testing.M) {
	os.Exit(modelstest.Main(m))
}

// columns returns "table.column" for every column of the domain tables.
func columns(t *testing.T, s *models.Store) []string {
	t.Helper()
	var rows []struct{ Name string }
	var err error
	switch s.Dialect() {
	case models.Postgres:
		err = s.DB().Raw(`SELECT table_name || '.' || column_name AS name FROM information_schema.columns
			WHERE table_schema = 'public'`).Scan(&rows).Error
	case models.SQLite:
		err = s.DB().Raw(`SELECT m.name || '.' || c.name AS name FROM sqlite_master m, pragma_table_info(m.name) c
			WHERE m.type = 'table'`).Scan(&rows).Error
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rows {
		// Search documents are each database's own full-text machinery;
		// goose keeps its own table.
		if !strings.HasPrefix(r.Name, "search_documents") && !strings.HasPrefix(r.Name, "goose_") && !strings.HasPrefix(r.Name, "sqlite_") {
			out = append(out, r.Name)
		}
	}
	slices.Sort(out)
	return out
}

// TestMigrationsAgree checks that both databases end with the same tables
// and columns, and at the same version.
func TestMigrationsAgree(t *testing.T) {
	t.Parallel()
	if len(modelstest.Dialects()) < 2 {
		t.Skip("needs both databases")
	}
	pg, lite := modelstest.NewStore(t, models.Postgres), modelstest.NewStore(t, models.SQLite)
	if diff := cmp.Diff(columns(t, pg), columns(t, lite)); diff != "" {
		t.Errorf("columns (-postgres +sqlite):\n%s", diff)
	}
	ctx := context.Background()
	for _, s := range []*models.Store{pg, lite} {
		current, latest, err := models.MigrationState(ctx, s.DB())
		if err != nil {
			t.Fatal(err)
		}
		if current != latest || latest < 2 {
			t.Errorf("%s: at version %d of %d", s.Dialect(), current, latest)
		}
	}
}

// TestMigrateIsIdempotent runs the migrations on an up-to-date database.
func TestMigrateIsIdempotent(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, d models.Dialect) {
		s := modelstest.NewStore(t, d)
		applied, err := models.Migrate(context.Background(), s.DB())
		if err != nil {
			t.Fatal(err)
		}
		if len(applied) != 0 {
			t.Errorf("applied %v again", applied)
		}
	})
}

// TestFoldedKeyIndexes checks that both databases hold the same
// case-insensitive unique indexes on their keys, and that they refuse a key
// differing only in case.
func TestFoldedKeyIndexes(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, d models.Dialect) {
		s := modelstest.NewStore(t, d)
		var names []string
		q := `SELECT indexname FROM pg_indexes WHERE schemaname = 'public' AND indexname LIKE '%_folded_key' ORDER BY 1`
		if d == models.SQLite {
			q = `SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE '%_folded_key' ORDER BY 1`
		}
		if err := s.DB().Raw(q).Scan(&names).Error; err != nil {
			t.Fatal(err)
		}
		want := []string{"action_items_slug_folded_key", "initiatives_slug_folded_key", "meetings_slug_folded_key",
			"organizations_acronym_folded_key", "organizations_slug_folded_key", "people_slug_folded_key", "places_slug_folded_key",
			"results_slug_folded_key", "sources_slug_folded_key", "topics_slug_folded_key"}
		if diff := cmp.Diff(want, names); diff != "" {
			t.Errorf("folded key indexes (-want +got):\n%s", diff)
		}
		modelstest.MustExec(t, s, `INSERT INTO organizations (slug, acronym, name, kind) VALUES ('a', 'ÉCOLE', 'A', 'OTHER')`)
		if err := s.DB().Exec(`INSERT INTO organizations (slug, acronym, name, kind) VALUES ('b', 'école', 'B', 'OTHER')`).Error; err == nil {
			t.Error("a second acronym differing only in (non-ASCII) case was stored")
		}
	})
}
