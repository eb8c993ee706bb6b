// Package modelstest gives tests real databases: each test gets its own
// freshly migrated Postgres database or SQLite file, optionally holding the
// seed data set or a fixture of its own, and loses it when it ends.
//
// Postgres is the server of TEST_DATABASE_URL (default: the local server at
// 127.0.0.1:5432, user postgres). When it cannot be reached, Postgres tests
// skip loudly, or fail when CI=true: in CI a missing database is a failure.
// TEST_DIALECTS (default "postgres,sqlite") picks the databases to run on.
//
// A test database is a copy, never a fresh migration: each test process
// migrates (and seeds, and fills a fixture) once into a template, then
// makes each test's database from it with CREATE DATABASE … TEMPLATE on
// Postgres and a file copy on SQLite. That is what keeps the suite quick;
// BenchmarkNewStore measures it.
//
// Test packages using it call Main from their TestMain, which drops the
// templates they made. A process that dies before that leaves its Postgres
// databases behind; the next process cleans them up. Every process holds an
// advisory lock named after its run, and drops only the databases of runs
// whose lock is free, so concurrent test processes on one server (go test
// runs packages in parallel) never touch each other's databases.
package modelstest

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"tracker/models"
)

// PostgresMaxOpenConns bounds the connection pool of each Postgres test
// database. Tests run in parallel, in several packages at once, on a
// server whose connection limit is usually 100: a handful of connections
// per test keeps them under it. SQLite test databases keep the default.
const PostgresMaxOpenConns = 4

// Main runs the tests of a package, then drops the templates they made.
func Main(m *testing.M) int {
	code := m.Run()
	templatesMu.Lock()
	defer templatesMu.Unlock()
	for _, t := range templates {
		if t.cleanup != nil {
			t.cleanup()
		}
	}
	pg.close()
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

// EachParallel runs fn as a parallel subtest on each database, named after
// it. Use it when fn uses only databases of its own, and no global state.
func EachParallel(t *testing.T, fn func(t *testing.T, d models.Dialect)) {
	t.Helper()
	for _, d := range Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			fn(t, d)
		})
	}
}

// NewStore returns a Store on a fresh, migrated, empty database.
func NewStore(t testing.TB, d models.Dialect) *models.Store {
	t.Helper()
	return open(t, d, empty)
}

// Seeded returns a Store on a fresh database holding the seed data set.
func Seeded(t testing.TB, d models.Dialect) *models.Store {
	t.Helper()
	return open(t, d, seeded)
}

// Fixture is a data set that tests share by copy: it is built once per
// test process and database into a template, and each test that asks for
// it gets a fresh database holding it, to change as it likes. Declare one
// as a package-level variable.
type Fixture struct {
	base *Fixture // the data it is built on; nil for the empty database
	fill func(t testing.TB, s *models.Store)
	name string
}

// NewFixture returns the fixture that fill builds on an empty, migrated
// database. fill runs once per database in the test process, in the first
// test that needs the fixture, and fails that test when it fails.
func NewFixture(name string, fill func(t testing.TB, s *models.Store)) *Fixture {
	return &Fixture{base: empty, fill: fill, name: name}
}

// Store returns a Store on a fresh database holding the fixture.
func (f *Fixture) Store(t testing.TB, d models.Dialect) *models.Store {
	t.Helper()
	return open(t, d, f)
}

// The two fixtures every test process may need: the migrated database, and
// the seed data set on it.
var (
	empty  = &Fixture{name: "empty"}
	seeded = &Fixture{base: empty, name: "seeded", fill: func(t testing.TB, s *models.Store) {
		t.Helper()
		data, err := models.LoadSeed()
		if err != nil {
			t.Fatalf("load the seed data set: %v", err)
		}
		if err := s.Seed(context.Background(), data); err != nil {
			t.Fatalf("seed: %v", err)
		}
	}}
)

// template is a fixture built into a database that test databases are
// copied from, made once per test process.
type template struct {
	once    sync.Once
	name    string // Postgres database name or SQLite file path
	err     error
	cleanup func()
}

var (
	templatesMu sync.Mutex
	templates   = map[templateKey]*template{}
)

type templateKey struct {
	d models.Dialect
	f *Fixture
}

func templateFor(d models.Dialect, f *Fixture) *template {
	templatesMu.Lock()
	defer templatesMu.Unlock()
	k := templateKey{d, f}
	if templates[k] == nil {
		templates[k] = &template{}
	}
	return templates[k]
}

// errFillFailed is a template's error while its fill runs: if fill stops
// its test (t.Fatal), the template stays unusable for the others.
var errFillFailed = errors.New("building the fixture failed in another test")

// build makes the template of f on d once, by copying the template of f's
// base and filling the copy, and returns it.
func build(t testing.TB, d models.Dialect, f *Fixture) *template {
	t.Helper()
	tmpl := templateFor(d, f)
	tmpl.once.Do(func() {
		var base *template
		if f.base != nil {
			if base = build(t, d, f.base); base.err != nil {
				tmpl.err = base.err
				return
			}
		}
		tmpl.err = errFillFailed
		start := time.Now()
		switch d {
		case models.Postgres:
			tmpl.err = buildPostgres(t, tmpl, base, f)
		case models.SQLite:
			tmpl.err = buildSQLite(t, tmpl, base, f)
		default:
			tmpl.err = fmt.Errorf("unknown dialect %q in TEST_DIALECTS", d)
		}
		if tmpl.err == nil && testing.Verbose() {
			t.Logf("modelstest: built the %s template %q in %v", d, f.name, time.Since(start).Round(time.Millisecond))
		}
	})
	return tmpl
}

func open(t testing.TB, d models.Dialect, f *Fixture) *models.Store {
	t.Helper()
	tmpl := build(t, d, f)
	switch {
	case tmpl.err == nil:
	case d == models.Postgres && errors.Is(tmpl.err, errUnreachable):
		unavailable(t, "Postgres", tmpl.err)
	default:
		t.Fatalf("prepare the %s template %q: %v", d, f.name, tmpl.err)
	}
	if d == models.Postgres {
		return openPostgres(t, tmpl)
	}
	return openSQLite(t, tmpl)
}

// fill runs f's fill on the template database of cfg, then closes it: a
// Postgres template must have no connections when it is copied, and a
// SQLite file must be checkpointed.
func fill(t testing.TB, cfg models.Config, f *Fixture) (err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	db, err := models.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeDB(db)
	if f.base == nil {
		if _, err := models.Migrate(ctx, db); err != nil {
			return err
		}
	} else {
		f.fill(t, models.NewStore(db))
	}
	if cfg.DatabaseURL == "" {
		return db.Exec("PRAGMA wal_checkpoint(TRUNCATE)").Error
	}
	return nil
}

// Postgres.

// serverURL returns the URL of the Postgres server tests use.
func serverURL() string {
	return cmp.Or(os.Getenv("TEST_DATABASE_URL"), "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable")
}

// withDatabase returns the server URL pointing at database name. Test
// databases do not wait for their commits to reach the disk: a crash loses
// them anyway, and most tests commit row by row.
func withDatabase(name string) string {
	u, err := url.Parse(serverURL())
	if err != nil {
		panic(fmt.Sprintf("TEST_DATABASE_URL: %v", err))
	}
	u.Path = "/" + name
	q := u.Query()
	q.Set("synchronous_commit", "off")
	u.RawQuery = q.Encode()
	return u.String()
}

// errUnreachable marks the failure to reach the Postgres server.
var errUnreachable = errors.New("cannot reach the Postgres server")

// lockClass is the first key of the advisory locks that mark live test
// processes ("trak"); the second is the run's number.
const lockClass = 0x7472616b

// server is the connection to the Postgres server's maintenance database
// that a test process creates and drops its databases through. Its one
// connection holds the run's advisory lock for as long as the process
// lives.
type server struct {
	once sync.Once
	db   *gorm.DB
	err  error
	run  uint32 // names this process's databases
	seq  atomic.Int64
	mu   sync.Mutex // one statement at a time on the one connection
}

var pg server

// runNames matches the databases made by modelstest, capturing their run.
var runNames = regexp.MustCompile(`^tracker_(?:tmpl|test)_([0-9a-f]{8})_[0-9]+$`)

// connect opens the maintenance connection, takes the run's lock, and drops
// the databases of runs that ended without dropping them.
func (s *server) connect() error {
	s.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		db, err := models.Open(ctx, models.Config{DatabaseURL: serverURL(), MaxOpenConns: 1})
		if err != nil {
			s.err = fmt.Errorf("%w: %w", errUnreachable, err)
			return
		}
		// The lock lives as long as the connection: keep it.
		if sqlDB, err := db.DB(); err == nil {
			sqlDB.SetConnMaxIdleTime(0)
			sqlDB.SetConnMaxLifetime(0)
		}
		for {
			var b [4]byte
			_, _ = rand.Read(b[:])
			s.run = binary.BigEndian.Uint32(b[:])
			var locked bool
			if err := db.WithContext(ctx).Raw("SELECT pg_try_advisory_lock(?, ?)", lockClass, int32(s.run)).Scan(&locked).Error; err != nil {
				closeDB(db)
				s.err = fmt.Errorf("take the test run's lock: %w", err)
				return
			}
			if locked {
				break
			}
		}
		s.db = db
		s.dropAbandoned(ctx)
	})
	return s.err
}

// dropAbandoned drops the databases of test runs whose process is gone,
// which left them behind when it crashed or was killed. A failure leaves
// them for the next run.
func (s *server) dropAbandoned(ctx context.Context) {
	var names []string
	if err := s.db.WithContext(ctx).Raw("SELECT datname FROM pg_database WHERE datname LIKE 'tracker\\_t%' ORDER BY datname").
		Scan(&names).Error; err != nil {
		return
	}
	byRun := map[string][]string{}
	for _, n := range names {
		if m := runNames.FindStringSubmatch(n); m != nil {
			byRun[m[1]] = append(byRun[m[1]], n)
		}
	}
	for run, dbs := range byRun {
		b, _ := hex.DecodeString(run)
		key := int32(binary.BigEndian.Uint32(b))
		var free bool
		if s.db.WithContext(ctx).Raw("SELECT pg_try_advisory_lock(?, ?)", lockClass, key).Scan(&free).Error != nil || !free {
			continue // its process still runs (or it is ours)
		}
		for _, n := range dbs {
			_ = s.db.WithContext(ctx).Exec("DROP DATABASE IF EXISTS " + n + " WITH (FORCE)").Error
		}
		s.db.WithContext(ctx).Exec("SELECT pg_advisory_unlock(?, ?)", lockClass, key)
	}
}

// newName returns a new database name of this run.
func (s *server) newName(kind string) string {
	return fmt.Sprintf("tracker_%s_%08x_%d", kind, s.run, s.seq.Add(1))
}

// exec runs one statement, such as CREATE DATABASE, on the maintenance
// connection.
func (s *server) exec(ctx context.Context, stmt string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.db.WithContext(ctx).Exec(stmt).Error
}

func (s *server) close() {
	if s.db != nil {
		closeDB(s.db) // and with it the run's lock
		s.db = nil
	}
}

// create makes database name as a copy of template (empty: the server's
// default template).
func (s *server) create(ctx context.Context, name, template string) error {
	stmt := "CREATE DATABASE " + name
	if template != "" {
		stmt += " TEMPLATE " + template
	}
	return s.exec(ctx, stmt)
}

func (s *server) drop(name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return s.exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
}

// buildPostgres makes tmpl a database copied from base (or migrated, for
// the empty database) and filled with f.
func buildPostgres(t testing.TB, tmpl, base *template, f *Fixture) error {
	t.Helper()
	if err := pg.connect(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	name, from := pg.newName("tmpl"), ""
	if base != nil {
		from = base.name
	}
	if err := pg.create(ctx, name, from); err != nil {
		return fmt.Errorf("create template database: %w", err)
	}
	tmpl.name = name
	tmpl.cleanup = func() { _ = pg.drop(name) }
	return fill(t, models.Config{DatabaseURL: withDatabase(name), MaxOpenConns: PostgresMaxOpenConns}, f)
}

func openPostgres(t testing.TB, tmpl *template) *models.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	name := pg.newName("test")
	if err := pg.create(ctx, name, tmpl.name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		if err := pg.drop(name); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	return openStore(t, models.Config{DatabaseURL: withDatabase(name), MaxOpenConns: PostgresMaxOpenConns})
}

// SQLite.

// buildSQLite makes tmpl a file copied from base (or migrated, for the
// empty database) and filled with f.
func buildSQLite(t testing.TB, tmpl, base *template, f *Fixture) error {
	t.Helper()
	dir, err := os.MkdirTemp("", "tracker-template-")
	if err != nil {
		return err
	}
	tmpl.cleanup = func() { _ = os.RemoveAll(dir) }
	tmpl.name = filepath.Join(dir, "template.db")
	if base != nil {
		if err := copyFile(base.name, tmpl.name); err != nil {
			return err
		}
	}
	return fill(t, models.Config{SQLitePath: tmpl.name}, f)
}

func openSQLite(t testing.TB, tmpl *template) *models.Store {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.db")
	if err := copyFile(tmpl.name, path); err != nil {
		t.Fatalf("copy SQLite template: %v", err)
	}
	return openStore(t, models.Config{SQLitePath: path})
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

// Replica returns a second Store on the Postgres database of s, as a
// second server process would hold it: a pool and a change listener of
// its own.
func Replica(t testing.TB, s *models.Store) *models.Store {
	t.Helper()
	var name string
	if err := s.DB().Raw("SELECT current_database()").Scan(&name).Error; err != nil {
		t.Fatalf("replica: %v", err)
	}
	return openStore(t, models.Config{DatabaseURL: withDatabase(name), MaxOpenConns: PostgresMaxOpenConns})
}

// DatabaseURL returns the connection string of the Postgres database of s,
// for a test that opens it again with other settings (read replicas).
func DatabaseURL(t testing.TB, s *models.Store) string {
	t.Helper()
	var name string
	if err := s.DB().Raw("SELECT current_database()").Scan(&name).Error; err != nil {
		t.Fatalf("database URL: %v", err)
	}
	return withDatabase(name)
}
