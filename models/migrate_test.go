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
