package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tracker/graph"
	"tracker/models"
)

// TestSQLiteFloor checks that each SQLite floor statement returns the
// server's data for its query of the mix, through the real handler over a
// small synthetic SQLite database, with the query compiler and with the
// executor: what the benchmark checks before measuring, at a small size.
func TestSQLiteFloor(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "tracker.db")
	db, err := models.Open(ctx, models.Config{SQLitePath: path})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := models.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	store := models.NewStore(db)
	// The mix's slug is the 42nd synthetic initiative's.
	if err := store.SeedSynthetic(ctx, 60, nil); err != nil {
		t.Fatal(err)
	}

	floor, err := openSQLiteFloor(ctx, path, 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(floor.close)
	mix, err := loadMix(nil, floor.variants())
	if err != nil {
		t.Fatal(err)
	}
	for _, compiler := range []bool{true, false} {
		name := map[bool]string{true: "compiler", false: "executor"}[compiler]
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(graph.NewHandler(store, graph.Options{ReportStatements: true, DisableCompiler: !compiler,
				Auth: graph.AuthOptions{PublicRead: true}}))
			t.Cleanup(srv.Close)
			s := &session{gql: &gqlClient{url: srv.URL + "/graphql", http: http.DefaultClient}, db: floor}
			if _, err := s.setup(ctx, time.Now().UTC()); err != nil {
				t.Fatal(err)
			}
			for _, q := range mix {
				if _, err := q.check(ctx, s.gql, s.vars, s.p); err != nil {
					t.Error(err)
				}
			}
		})
	}
}

// TestFTSQuery checks the search text's FTS5 query.
func TestFTSQuery(t *testing.T) {
	if got, want := ftsQuery("Maritime, security!"), `"maritime" "security"`; got != want {
		t.Errorf("ftsQuery = %q, want %q", got, want)
	}
}

// TestSQLiteFlags checks that -sqlite replaces -database-url and refuses
// peers, which read Postgres.
func TestSQLiteFlags(t *testing.T) {
	t.Setenv("DATABASE_URL", "postgres://elsewhere/db")
	cfg, err := parseFlags([]string{"-sqlite", "tracker.db"}, io.Discard)
	if err != nil || cfg.SQLite != "tracker.db" || cfg.DatabaseURL != "" {
		t.Errorf("parseFlags(-sqlite) = %+v, %v; want the file and no database URL", cfg, err)
	}
	for _, args := range [][]string{
		{"-sqlite", "tracker.db", "-peer", "postgraphile5=http://127.0.0.1:5678"},
		{"-sqlite", "tracker.db", "-concurrency", "0"},
	} {
		if _, err := parseFlags(args, io.Discard); err == nil {
			t.Errorf("parseFlags(%q): no error", args)
		}
	}
	t.Setenv("DATABASE_URL", "")
	if _, err := parseFlags(nil, io.Discard); err == nil || !strings.Contains(err.Error(), "-sqlite") {
		t.Errorf("parseFlags with no database: err = %v, want one naming -sqlite", err)
	}
}
