package models

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"gorm.io/gorm"
)

// migrations holds the schema of each database as numbered, forward-only SQL
// files; both directories have the same versions and end in the same tables.
//
//go:embed migrations
var migrations embed.FS

// provider returns the goose migration provider for db's dialect. On
// Postgres, an advisory lock keeps two servers starting at once from
// migrating at the same time.
func provider(db *gorm.DB) (*goose.Provider, error) {
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	var (
		dialect goose.Dialect
		opts    []goose.ProviderOption
	)
	switch Dialect(db.Name()) {
	case Postgres:
		dialect = goose.DialectPostgres
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 120)) // 1 s apart, for 2 minutes
		if err != nil {
			return nil, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	case SQLite:
		dialect = goose.DialectSQLite3
	default:
		return nil, fmt.Errorf("no migrations for database %q", db.Name())
	}
	fsys, err := fs.Sub(migrations, "migrations/"+db.Name())
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(dialect, sqlDB, fsys, opts...)
}

// Migrate applies the migrations db has not had yet and returns their
// versions.
func Migrate(ctx context.Context, db *gorm.DB) ([]int64, error) {
	p, err := provider(db)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	results, err := p.Up(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	versions := make([]int64, len(results))
	for i, r := range results {
		versions[i] = r.Source.Version
	}
	return versions, nil
}

// MigrationState reports the schema version db is at and the latest one
// this build knows.
func MigrationState(ctx context.Context, db *gorm.DB) (current, latest int64, err error) {
	p, err := provider(db)
	if err != nil {
		return 0, 0, err
	}
	if current, err = p.GetDBVersion(ctx); err != nil {
		return 0, 0, err
	}
	sources := p.ListSources()
	if len(sources) > 0 {
		latest = sources[len(sources)-1].Version
	}
	return current, latest, nil
}
