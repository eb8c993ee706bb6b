// Package models is the tracker's vocabulary and its persistence: the
// organizations, initiatives, partnerships, meetings, action items,
// statistics and sources of a partnership story, stored in Postgres or in an
// embedded SQLite file with one behaviour on both.
//
// It knows nothing of GraphQL or HTTP; the graph package calls it.
//
// # How a list becomes SQL
//
// Vocabulary, defined once:
//
//   - entity: a row type with its table, its filterable and sortable fields
//     and its links (define, list.go).
//   - relation: a field of one row type holding rows of another, declared
//     once, typed, in relations.go: a Many[P, T] (hasMany by a key column of
//     T's rows, manyThrough a join table, hasTagged by a key and a type
//     column) or a One[P, T] (belongsTo by a key column of P's rows, with the
//     key as a typed accessor func(*P) *uint; refersTo for a computed P).
//     Each carries its schema field name, its SQL and its filter link.
//   - link: a relation as a filter follows it (EXISTS subqueries); derived
//     from the declaration, never declared apart.
//   - window: a validated Page — how many rows, from which cursor, which way.
//   - pager: the entity, the window and the sort keys with their signature,
//     which cursors carry.
//   - siblings: the parent rows a nested list is fetched for at once (the
//     graph package's batcher gathers them).
//   - join: a to-one relation a list fetches in its own statement by LEFT
//     JOIN, because the query selects it on the list's items.
//
// The map:
//
//	List[T]           root list: filter (sqlbuilder.go) → WHERE, pager → ORDER BY/LIMIT (query.go, cursor.go), joins (join.go)
//	ListRelated       a Many for all siblings: ROW_NUMBER() OVER (PARTITION BY parent key) cuts each parent's page
//	CountRelated      a Many's totalCount for all siblings: GROUP BY parent key
//	FindByIDs[T]      a One for all siblings: WHERE id IN (their keys, read by One.Key)
//	ListSource        what a connection lists, for the aggregates of all its pages (aggregate.go)
//	scan.go           statements run through GORM's session; rows scanned with a plan made once per type
//	replicas.go       read replicas (dbresolver): health-checked rotation, read-your-writes by WAL position
//
// A relation's declaration is checked against the row structs at start-up
// (relations.go): a key accessor that does not read its column, or a column
// the rows lack, stops the program.
package models

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	gosqlite "github.com/glebarez/go-sqlite"
	"github.com/glebarez/sqlite"
	"github.com/jackc/pgx/v5/pgconn"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Store reads and writes the tracker's data.
type Store struct {
	db       *gorm.DB
	sqlDB    *sql.DB   // the primary's pool, for the change listener's dedicated connection
	replicas *replicas // read replicas (replicas.go); nil when there are none
	dialect  Dialect
	now      func() time.Time
	maxPage  int
	writes   *writeHealth // whether the database takes writes
	tokens   *tokenCache  // API tokens recently authenticated
	changes  *Changes     // change events (changes.go)
	// placeholders rewrites statements for Postgres (scan.go).
	placeholders *placeholderCache
}

// NewStore returns a Store over db, opened by Open.
func NewStore(db *gorm.DB) *Store {
	sqlDB, err := db.DB()
	if err != nil {
		panic(fmt.Sprintf("NewStore: %v", err)) // a *gorm.DB from Open always has one
	}
	s := &Store{db: db, sqlDB: sqlDB, replicas: replicasOf(db), dialect: Dialect(db.Name()), now: now, maxPage: DefaultMaxPageSize,
		writes: &writeHealth{}, tokens: newTokenCache(), placeholders: &placeholderCache{}}
	s.changes = &Changes{store: s}
	return s
}

// SetMaxPageSize sets the largest page a connection may return.
func (s *Store) SetMaxPageSize(n int) {
	if n > 0 {
		s.maxPage = n
	}
}

// MaxPageSize returns the largest page a connection may return.
func (s *Store) MaxPageSize() int { return s.maxPage }

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
	// StatementTimeout makes Postgres cancel any statement running longer
	// (0: none), whatever happens to the client.
	StatementTimeout time.Duration
	// Wait is how long Open retries a Postgres server it cannot reach, with
	// exponential backoff (0: one attempt): a container that starts before
	// its database waits for it instead of dying.
	Wait time.Duration
	// Logger receives a line for each failed attempt; nil logs nothing.
	Logger *slog.Logger
	// ReplicaURLs are postgres:// URLs of streaming read replicas of
	// DatabaseURL (replicas.go); none: every statement goes to it.
	ReplicaURLs []string
	// ReplicaMaxLag takes a replica out of rotation while its replay is
	// further behind the primary (0: 5 s).
	ReplicaMaxLag time.Duration
}

// Open connects to the database cfg names and checks that it answers,
// waiting up to cfg.Wait for a Postgres server that cannot be reached yet.
func Open(ctx context.Context, cfg Config) (*gorm.DB, error) {
	gcfg := &gorm.Config{
		TranslateError: true,
		NowFunc:        now,
		Logger:         statementLogger{},
		// The ping below retries; GORM's own would fail at once.
		DisableAutomaticPing: true,
	}
	var (
		db  *gorm.DB
		err error
	)
	maxConns := cfg.MaxOpenConns
	if cfg.DatabaseURL != "" {
		db, err = gorm.Open(postgres.Open(withStatementTimeout(cfg.DatabaseURL, cfg.StatementTimeout)), gcfg)
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
	if err := ping(ctx, sqlDB, cfg); err != nil {
		_ = sqlDB.Close()
		return nil, err
	}
	if len(cfg.ReplicaURLs) > 0 {
		if cfg.DatabaseURL == "" {
			_ = sqlDB.Close()
			return nil, errors.New("open database: read replicas need a Postgres DATABASE_URL")
		}
		if err := openReplicas(db, cfg, maxConns); err != nil {
			_ = sqlDB.Close()
			return nil, err
		}
	}
	return db, nil
}

// Backoff of Open's attempts to reach Postgres: the first retry after
// firstRetry, each next one after twice as long, at most maxRetryGap.
// An attempt that gets no answer (a server whose packets are dropped)
// gives up after attemptTimeout.
const (
	firstRetry     = 250 * time.Millisecond
	maxRetryGap    = 8 * time.Second
	attemptTimeout = 10 * time.Second
)

// ping checks that the database answers, retrying an unreachable Postgres
// server until cfg.Wait has passed. Each failed attempt is logged with the
// server's address, never with the password.
func ping(ctx context.Context, sqlDB *sql.DB, cfg Config) error {
	start := time.Now()
	gap := firstRetry
	for attempt := 1; ; attempt++ {
		attemptCtx, cancel := context.WithTimeout(ctx, attemptTimeout)
		err := sqlDB.PingContext(attemptCtx)
		cancel()
		if err == nil {
			if attempt > 1 && cfg.Logger != nil {
				cfg.Logger.Info("database reachable", "attempts", attempt, "waited", time.Since(start).Round(time.Millisecond).String())
			}
			return nil
		}
		waited := time.Since(start)
		if cfg.DatabaseURL == "" || !retryable(err) || waited >= cfg.Wait || ctx.Err() != nil {
			if attempt > 1 {
				return fmt.Errorf("connect to database %s: gave up after %s and %d attempts (DATABASE_WAIT %s): %s",
					redactedTarget(cfg.DatabaseURL), waited.Round(time.Millisecond), attempt, cfg.Wait, redact(err, cfg.DatabaseURL))
			}
			return fmt.Errorf("connect to database %s: %s", redactedTarget(cfg.DatabaseURL), redact(err, cfg.DatabaseURL))
		}
		gap = min(gap, cfg.Wait-waited)
		if cfg.Logger != nil {
			cfg.Logger.Warn("database not reachable yet; retrying", "target", redactedTarget(cfg.DatabaseURL), "attempt", attempt,
				"retry_in", gap.String(), "waited", waited.Round(time.Millisecond).String(), "limit", cfg.Wait.String(),
				"err", redact(err, cfg.DatabaseURL))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("connect to database: %w", ctx.Err())
		case <-time.After(gap):
		}
		gap = min(2*gap, maxRetryGap)
	}
}

// retryable reports whether a failure to connect may pass by itself: the
// server is not reachable, or is starting up. A refusal by a server that
// answers — a wrong password, a database that does not exist — does not.
func retryable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "57P03" || strings.HasPrefix(pgErr.Code, "08") // cannot connect now; connection exceptions
	}
	return ErrorCode(dbError(err, "database")) == CodeUnavailable
}

// redactedTarget names the Postgres server of a connection string for the
// log: host, port, database and user, without the password.
func redactedTarget(dsn string) string {
	c, err := pgconn.ParseConfig(dsn)
	if err != nil {
		return "(unparsable DATABASE_URL)"
	}
	return fmt.Sprintf("host=%s port=%d database=%s user=%s", c.Host, c.Port, c.Database, c.User)
}

// redact returns err's text with the connection string's password, if it
// has one and it appears, masked: errors of drivers may quote what they
// were given.
func redact(err error, dsn string) string {
	msg := err.Error()
	if c, perr := pgconn.ParseConfig(dsn); perr == nil && c.Password != "" {
		msg = strings.ReplaceAll(msg, c.Password, "xxxxx")
		msg = strings.ReplaceAll(msg, url.QueryEscape(c.Password), "xxxxx")
	}
	return msg
}

// withStatementTimeout adds Postgres's statement_timeout setting to a
// connection string, in URL or keyword form.
func withStatementTimeout(dsn string, d time.Duration) string {
	if d <= 0 {
		return dsn
	}
	ms := strconv.FormatInt(d.Milliseconds(), 10)
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		q := u.Query()
		if q.Get("statement_timeout") == "" {
			q.Set("statement_timeout", ms)
		}
		u.RawQuery = q.Encode()
		return u.String()
	}
	if strings.Contains(dsn, "statement_timeout") {
		return dsn
	}
	return dsn + " statement_timeout=" + ms
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
	// A URI filename: characters such as # and ? in the path are escaped.
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
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
		registerJSONFunctions()
	})
}

// dbError translates a database error into a client-safe *Error where it has
// a meaning for clients, and wraps it otherwise.
func dbError(err error, what string) error {
	var (
		appErr  *Error
		connErr *pgconn.ConnectError
		netErr  net.Error
		pgErr   *pgconn.PgError
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
		return Errorf(CodeTimeout, "the request took too long and was stopped")
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("%s: %w", what, err)
	case errors.As(err, &pgErr) && pgErr.Code == "57014": // statement_timeout
		return Errorf(CodeTimeout, "the request took too long and was stopped")
	case errors.As(err, &pgErr) && strings.HasPrefix(pgErr.Code, "22"):
		// A data exception: a value the database cannot hold (an integer
		// out of range, a NUL character). The scalars reject most of them
		// first; this catches the rest.
		return Errorf(CodeInvalid, "invalid value: %s", pgErr.Message)
	case errors.As(err, &pgErr) && pgErr.Code == "25006": // read_only_sql_transaction: a standby, or default_transaction_read_only
		return &writeRefusedError{err: err, reason: "it is read-only"}
	case errors.As(err, &pgErr) && pgErr.Code == "53100": // disk_full
		return &writeRefusedError{err: err, reason: "its disk is full"}
	case sqliteCode(err) == sqliteReadOnly:
		return &writeRefusedError{err: err, reason: "it is read-only"}
	case sqliteCode(err) == sqliteFull:
		return &writeRefusedError{err: err, reason: "its disk is full"}
	case errors.As(err, &pgErr) && (strings.HasPrefix(pgErr.Code, "08") || strings.HasPrefix(pgErr.Code, "57P")):
		// Connection exceptions, and the server shutting down or starting.
		return &unavailableError{err: err}
	case errors.As(err, &connErr), errors.As(err, &netErr), errors.Is(err, driver.ErrBadConn),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed), errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), pgconn.Timeout(err),
		// A connection the driver closed when the server went away, and any
		// failure pgx reports before the statement reached the server.
		errors.Is(err, pgconn.ErrConnClosed), pgconn.SafeToRetry(err):
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

// StatementRecorder keeps the statements run under a context, with their
// arguments: tests use it to EXPLAIN what a GraphQL query runs.
type StatementRecorder struct {
	mu   sync.Mutex
	list []RecordedStatement
}

// RecordedStatement is a statement as the database received it.
type RecordedStatement struct {
	SQL  string
	Args []any
}

// WithStatementRecorder returns a context whose statements rec keeps.
func WithStatementRecorder(ctx context.Context) (context.Context, *StatementRecorder) {
	rec := &StatementRecorder{}
	return context.WithValue(ctx, statementRecorderKey{}, rec), rec
}

// Statements returns the statements recorded so far.
func (r *StatementRecorder) Statements() []RecordedStatement {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]RecordedStatement(nil), r.list...)
}

// observeStatement counts a statement run under ctx, traces it when the
// request is traced, and records it when a test asked to; stmt is only
// called for that.
func observeStatement(ctx context.Context, begin time.Time, stmt func() (string, []any), err error) {
	if n, ok := ctx.Value(statementCounterKey{}).(*atomic.Int64); ok {
		n.Add(1)
	}
	// A span per statement when the request is traced. Its SQL is left
	// out: it carries the request's values.
	if trace.SpanFromContext(ctx).IsRecording() {
		_, span := tracer.Start(ctx, "sql", trace.WithTimestamp(begin), trace.WithSpanKind(trace.SpanKindClient))
		if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
			span.SetStatus(codes.Error, "statement failed")
		}
		span.End()
	}
	if rec, ok := ctx.Value(statementRecorderKey{}).(*StatementRecorder); ok {
		sql, args := stmt()
		rec.mu.Lock()
		rec.list = append(rec.list, RecordedStatement{SQL: sql, Args: args})
		rec.mu.Unlock()
	}
}

var tracer = otel.Tracer("tracker/models")

// statementLogger is GORM's logger: it logs nothing (the server logs
// requests, and SQL may carry user data), counts statements, and records
// them where a test asked to.
type statementLogger struct{}

func (l statementLogger) LogMode(logger.LogLevel) logger.Interface { return l }
func (statementLogger) Info(context.Context, string, ...any)       {}
func (statementLogger) Warn(context.Context, string, ...any)       {}
func (statementLogger) Error(context.Context, string, ...any)      {}
func (statementLogger) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), err error) {
	if ctx.Value(engineStatementKey{}) != nil {
		return // Store.rows observes it, with its arguments
	}
	observeStatement(ctx, begin, func() (string, []any) {
		sql, _ := fc() // GORM writes the arguments into the text
		return sql, nil
	}, err)
}
