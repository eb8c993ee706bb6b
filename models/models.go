// Package models is the tracker's vocabulary and its persistence: the
// organizations, initiatives, partnerships, meetings, action items,
// statistics and sources of a partnership story, stored in Postgres or in an
// embedded SQLite file with one behaviour on both.
//
// It knows nothing of GraphQL or HTTP; the graph package calls it.
package models

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	gosqlite "github.com/glebarez/go-sqlite"
	"github.com/glebarez/sqlite"
	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Store reads and writes the tracker's data.
type Store struct {
	db      *gorm.DB
	dialect Dialect
	now     func() time.Time
}

// NewStore returns a Store over db, opened by Open.
func NewStore(db *gorm.DB) *Store {
	return &Store{db: db, dialect: Dialect(db.Name()), now: now}
}

// Dialect returns the database the store runs on.
func (s *Store) Dialect() Dialect { return s.dialect }

// DB returns the underlying database handle, for migrations and health checks.
func (s *Store) DB() *gorm.DB { return s.db }

func (s *Store) builder() *sqlBuilder { return &sqlBuilder{dialect: s.dialect} }

// now returns the current time as both databases store it: UTC, to the
// microsecond.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// Config says which database to open.
type Config struct {
	// DatabaseURL is a postgres:// URL; empty selects the SQLite file.
	DatabaseURL string
	// SQLitePath is the embedded database file, created if missing.
	SQLitePath string
	// MaxOpenConns bounds the connection pool (0: a default per database).
	MaxOpenConns int
}

// Open connects to the database cfg names and checks that it answers.
func Open(ctx context.Context, cfg Config) (*gorm.DB, error) {
	gcfg := &gorm.Config{
		TranslateError: true,
		NowFunc:        now,
		Logger:         statementLogger{},
	}
	var (
		db  *gorm.DB
		err error
	)
	maxConns := cfg.MaxOpenConns
	if cfg.DatabaseURL != "" {
		db, err = gorm.Open(postgres.Open(cfg.DatabaseURL), gcfg)
		if maxConns == 0 {
			maxConns = 20
		}
	} else {
		registerSQLiteFunctions()
		db, err = gorm.Open(sqlite.Open(sqliteDSN(cfg.SQLitePath)), gcfg)
		if maxConns == 0 {
			maxConns = 8
		}
	}
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	sqlDB.SetMaxOpenConns(maxConns)
	sqlDB.SetMaxIdleConns(maxConns)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	if err := sqlDB.PingContext(ctx); err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	return db, nil
}

// sqliteDSN returns the connection string for the SQLite file at path:
// foreign keys enforced, write-ahead logging so readers do not wait for
// writers, a busy timeout instead of immediate SQLITE_BUSY errors, and write
// transactions that take the write lock when they begin, so two of them
// cannot deadlock upgrading from read to write.
func sqliteDSN(path string) string {
	q := url.Values{}
	for _, p := range []string{"foreign_keys(1)", "journal_mode(WAL)", "busy_timeout(10000)", "synchronous(NORMAL)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	return "file:" + path + "?" + q.Encode()
}

var registerOnce sync.Once

// registerSQLiteFunctions replaces SQLite's lower(), which folds ASCII only,
// with a Unicode one, so that case-insensitive filters behave as on Postgres.
func registerSQLiteFunctions() {
	registerOnce.Do(func() {
		gosqlite.MustRegisterDeterministicScalarFunction("lower", 1, func(_ *gosqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
			switch v := args[0].(type) {
			case string:
				return strings.ToLower(v), nil
			case []byte:
				return strings.ToLower(string(v)), nil
			}
			return args[0], nil
		})
	})
}

// dbError translates a database error into a client-safe *Error where it has
// a meaning for clients, and wraps it otherwise.
func dbError(err error, what string) error {
	var (
		appErr  *Error
		connErr *pgconn.ConnectError
		netErr  net.Error
	)
	switch {
	case err == nil:
		return nil
	case errors.As(err, &appErr):
		return err
	case errors.Is(err, gorm.ErrRecordNotFound):
		return Errorf(CodeNotFound, "%s not found", what)
	case errors.Is(err, gorm.ErrDuplicatedKey):
		return Errorf(CodeConflict, "%s already exists", what)
	case errors.Is(err, gorm.ErrForeignKeyViolated):
		return Errorf(CodeInvalid, "%s refers to something that does not exist, or is still referred to", what)
	case errors.Is(err, context.DeadlineExceeded):
		return Errorf(CodeUnavailable, "the request took too long and was stopped")
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("%s: %w", what, err)
	case errors.As(err, &connErr), errors.As(err, &netErr), errors.Is(err, driver.ErrBadConn):
		return &unavailableError{err: err}
	}
	return fmt.Errorf("%s: %w", what, err)
}

// unavailableError is a database that cannot be reached: clients see
// UNAVAILABLE, the log sees the cause.
type unavailableError struct{ err error }

func (e *unavailableError) Error() string { return "database unavailable: " + e.err.Error() }
func (e *unavailableError) Unwrap() []error {
	return []error{e.err, Errorf(CodeUnavailable, "the database is unavailable; try again shortly")}
}

// statementCounterKey carries a statement counter in a context.
type statementCounterKey struct{}

// WithStatementCounter returns a context in which every SQL statement the
// store runs increments the returned counter: tests use it to prove that a
// query's statements do not grow with its rows, and the server reports it.
func WithStatementCounter(ctx context.Context) (context.Context, *atomic.Int64) {
	n := new(atomic.Int64)
	return context.WithValue(ctx, statementCounterKey{}, n), n
}

// StatementCount returns the number of SQL statements run so far under a
// context made by WithStatementCounter, and false for any other context.
func StatementCount(ctx context.Context) (int64, bool) {
	n, ok := ctx.Value(statementCounterKey{}).(*atomic.Int64)
	if !ok {
		return 0, false
	}
	return n.Load(), true
}

// statementRecorderKey carries a StatementRecorder in a context.
type statementRecorderKey struct{}

// StatementRecorder keeps the SQL of the statements run under a context,
// with their arguments written in: tests use it to EXPLAIN what a GraphQL
// query runs.
type StatementRecorder struct {
	mu   sync.Mutex
	list []string
}

// WithStatementRecorder returns a context whose statements rec keeps.
func WithStatementRecorder(ctx context.Context) (context.Context, *StatementRecorder) {
	rec := &StatementRecorder{}
	return context.WithValue(ctx, statementRecorderKey{}, rec), rec
}

// Statements returns the SQL recorded so far.
func (r *StatementRecorder) Statements() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.list...)
}

// statementLogger is GORM's logger: it logs nothing (the server logs
// requests, and SQL may carry user data), counts statements, and records
// them where a test asked to.
type statementLogger struct{}

func (l statementLogger) LogMode(logger.LogLevel) logger.Interface { return l }
func (statementLogger) Info(context.Context, string, ...any)       {}
func (statementLogger) Warn(context.Context, string, ...any)       {}
func (statementLogger) Error(context.Context, string, ...any)      {}
func (statementLogger) Trace(ctx context.Context, _ time.Time, fc func() (string, int64), _ error) {
	if n, ok := ctx.Value(statementCounterKey{}).(*atomic.Int64); ok {
		n.Add(1)
	}
	if rec, ok := ctx.Value(statementRecorderKey{}).(*StatementRecorder); ok {
		sql, _ := fc()
		rec.mu.Lock()
		rec.list = append(rec.list, sql)
		rec.mu.Unlock()
	}
}
