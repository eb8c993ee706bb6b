package modelstest

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"tracker/models"
)

func TestMain(m *testing.M) {
	os.Exit(Main(m))
}

// BenchmarkNewStore compares the two ways of giving a test its database:
// migrating (and seeding) a new one, as each test once did, and copying a
// template, as NewStore and Seeded do. Each iteration makes a database,
// opens it, closes it and drops it.
//
//	go test -run '^$' -bench NewStore ./models/modelstest
func BenchmarkNewStore(b *testing.B) {
	ctx := context.Background()
	for _, d := range Dialects() {
		for _, f := range []*Fixture{empty, seeded} {
			b.Run(string(d)+"/"+f.name+"/migrate", func(b *testing.B) {
				for range b.N {
					switch d {
					case models.Postgres:
						if err := pg.connect(); err != nil {
							b.Skip(err)
						}
						name := pg.newName("test")
						if err := pg.create(ctx, name, ""); err != nil {
							b.Fatal(err)
						}
						if err := fillAll(b, models.Config{DatabaseURL: withDatabase(name), MaxOpenConns: PostgresMaxOpenConns}, f); err != nil {
							b.Fatal(err)
						}
						if err := pg.drop(name); err != nil {
							b.Fatal(err)
						}
					case models.SQLite:
						path := filepath.Join(b.TempDir(), "test.db")
						if err := fillAll(b, models.Config{SQLitePath: path}, f); err != nil {
							b.Fatal(err)
						}
					}
				}
			})
			b.Run(string(d)+"/"+f.name+"/copy", func(b *testing.B) {
				tmpl := build(b, d, f)
				if tmpl.err != nil {
					b.Skip(tmpl.err)
				}
				dir := b.TempDir()
				for i := range b.N {
					var cfg models.Config
					var name string
					switch d {
					case models.Postgres:
						name = pg.newName("test")
						if err := pg.create(ctx, name, tmpl.name); err != nil {
							b.Fatal(err)
						}
						cfg = models.Config{DatabaseURL: withDatabase(name), MaxOpenConns: PostgresMaxOpenConns}
					case models.SQLite:
						cfg.SQLitePath = filepath.Join(dir, strconv.Itoa(i)+".db")
						if err := copyFile(tmpl.name, cfg.SQLitePath); err != nil {
							b.Fatal(err)
						}
					}
					db, err := models.Open(ctx, cfg)
					if err != nil {
						b.Fatal(err)
					}
					closeDB(db)
					if name != "" {
						if err := pg.drop(name); err != nil {
							b.Fatal(err)
						}
					}
				}
			})
		}
	}
}

// fillAll migrates a new database and, for the seeded fixture, seeds it:
// what a test did before templates.
func fillAll(b *testing.B, cfg models.Config, f *Fixture) error {
	if err := fill(b, cfg, empty); err != nil {
		return err
	}
	if f == seeded {
		return fill(b, cfg, seeded)
	}
	return nil
}
