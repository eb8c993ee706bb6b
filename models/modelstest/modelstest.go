// Package modelstest gives tests real databases: each test gets its own
// freshly migrated Postgres database or SQLite file, optionally holding the
// seed data set, and loses it when it ends.
//
// Postgres is the server of TEST_DATABASE_URL (default: the local server at
// 127.0.0.1:5432, user postgres). When it cannot be reached, Postgres tests
// skip loudly, or fail when CI=true: in CI a missing database is a failure.
// TEST_DIALECTS (default "postgres,sqlite") picks the databases to run on.
//
// Test packages using it call Main from their TestMain, which drops the
// template databases it made.
package modelstest

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"tracker/models"
)

// Main runs the tests of a package, then drops the templates they made.
func Main(m *testing.M) int {
	code := m.Run()
	for _, t := range templates {
		if t.cleanup != nil {
			t.cleanup()
		}
	}
	return code
}

// Dialects returns the databases tests run on.
func Dialects() []models.Dialect {
	var out []models.Dialect
	for _, d := range strings.Split(cmp.Or(os.Getenv("TEST_DIALECTS"), "postgres,sqlite"), ",") {
		out = append(out, models.Dialect(strings.TrimSpace(d)))
	}
	return out
}

// Each runs fn as a subtest on each database, named after it.
func Each(t *testing.T, fn func(t *testing.T, d models.Dialect)) {
	t.Helper()
	for _, d := range Dialects() {
		t.Run(string(d), func(t *testing.T) { fn(t, d) })
	}
}

// NewStore returns a Store on a fresh, migrated, empty database.
func NewStore(t testing.TB, d models.Dialect) *models.Store {
	t.Helper()
	return open(t, d, false)
}

// Seeded returns a Store on a fresh database holding the seed data set.
func Seeded(t testing.TB, d models.Dialect) *models.Store {
	t.Helper()
	return open(t, d, true)
}

// template is a migrated (and possibly seeded) database that test
// databases are copied from, made once per test process.
type template struct {
	once    sync.Once
	name    string // Postgres database name or SQLite file path
	err     error
	cleanup func()
}

var (
	templatesMu sync.Mutex
	templates   = map[string]*template{}
	createMu    sync.Mutex // Postgres copies one template at a time
)

func templateFor(d models.Dialect, seeded bool) *template {
	templatesMu.Lock()
	defer templatesMu.Unlock()
	key := fmt.Sprintf("%s/%v", d, seeded)
	if templates[key] == nil {
		templates[key] = &template{}
	}
	return templates[key]
}

func open(t testing.TB, d models.Dialect, seeded bool) *models.Store {
	t.Helper()
	switch d {
	case models.Postgres:
		return openPostgres(t, seeded)
	case models.SQLite:
		return openSQLite(t, seeded)
	}
	t.Fatalf("unknown dialect %q in TEST_DIALECTS", d)
	return nil
}

// serverURL returns the URL of the Postgres server tests use.
func serverURL() string {
	return cmp.Or(os.Getenv("TEST_DATABASE_URL"), "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable")
}

// withDatabase returns the server URL pointing at database name.
func withDatabase(name string) string {
	u, err := url.Parse(serverURL())
	if err != nil {
		panic(fmt.Sprintf("TEST_DATABASE_URL: %v", err))
	}
	u.Path = "/" + name
	return u.String()
}

func randomName(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// admin runs one statement on the server's maintenance database.
func admin(ctx context.Context, stmt string) error {
	db, err := models.Open(ctx, models.Config{DatabaseURL: serverURL(), MaxOpenConns: 1})
	if err != nil {
		return err
	}
	defer closeDB(db)
	return db.WithContext(ctx).Exec(stmt).Error
}

func openPostgres(t testing.TB, seeded bool) *models.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	tmpl := templateFor(models.Postgres, seeded)
	tmpl.once.Do(func() {
		name := randomName("tracker_tmpl_")
		if err := admin(ctx, "CREATE DATABASE "+name); err != nil {
			tmpl.err = err
			return
		}
		tmpl.name = name
		tmpl.cleanup = func() {
			_ = admin(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		}
		tmpl.err = prepare(ctx, models.Config{DatabaseURL: withDatabase(name), MaxOpenConns: 2}, seeded)
	})
	if tmpl.err != nil {
		unavailable(t, "Postgres", tmpl.err)
	}

	name := randomName("tracker_test_")
	createMu.Lock()
	err := admin(ctx, "CREATE DATABASE "+name+" TEMPLATE "+tmpl.name)
	createMu.Unlock()
	if err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		if err := admin(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	return openStore(t, models.Config{DatabaseURL: withDatabase(name)})
}

func openSQLite(t testing.TB, seeded bool) *models.Store {
	t.Helper()
	tmpl := templateFor(models.SQLite, seeded)
	tmpl.once.Do(func() {
		dir, err := os.MkdirTemp("", "tracker-template-")
		if err != nil {
			tmpl.err = err
			return
		}
		tmpl.cleanup = func() { _ = os.RemoveAll(dir) }
		tmpl.name = filepath.Join(dir, "template.db")
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		tmpl.err = prepare(ctx, models.Config{SQLitePath: tmpl.name}, seeded)
	})
	if tmpl.err != nil {
		t.Fatalf("prepare SQLite template: %v", tmpl.err)
	}
	path := filepath.Join(t.TempDir(), "test.db")
	if err := copyFile(tmpl.name, path); err != nil {
		t.Fatalf("copy SQLite template: %v", err)
	}
	return openStore(t, models.Config{SQLitePath: path})
}

// prepare migrates (and seeds) a template database, then closes it: a
// Postgres template must have no connections when it is copied, and a
// SQLite file must be checkpointed.
func prepare(ctx context.Context, cfg models.Config, seeded bool) error {
	db, err := models.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeDB(db)
	if _, err := models.Migrate(ctx, db); err != nil {
		return err
	}
	if seeded {
		data, err := models.LoadSeed()
		if err != nil {
			return err
		}
		if err := models.NewStore(db).Seed(ctx, data); err != nil {
			return err
		}
	}
	if cfg.DatabaseURL == "" {
		return db.Exec("PRAGMA wal_checkpoint(TRUNCATE)").Error
	}
	return nil
}

func openStore(t testing.TB, cfg models.Config) *models.Store {
	t.Helper()
	db, err := models.Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	t.Cleanup(func() { closeDB(db) })
	return models.NewStore(db)
}

// unavailable skips a test whose database cannot be reached, loudly, or
// fails it in CI.
func unavailable(t testing.TB, what string, err error) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is required in CI but unavailable: %v", what, err)
	}
	t.Skipf("SKIPPING: %s unavailable (%v); set TEST_DATABASE_URL or TEST_DIALECTS=sqlite", what, err)
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func closeDB(db *gorm.DB) {
	if sqlDB, err := db.DB(); err == nil {
		_ = sqlDB.Close()
	}
}
