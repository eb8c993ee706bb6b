package models

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/plugin/dbresolver"
)

// Read replicas. With Config.ReplicaURLs, Open registers GORM's dbresolver
// plugin: the list engine's reads (Store.rows) go to a healthy Postgres
// streaming replica; writes, and every statement inside a transaction, go
// to the primary, as dbresolver does for a statement on a transaction's
// connection.
//
// Health: a checker (Store.WatchReplicas) asks the primary for its WAL
// position and each replica for its replay position every replicaCheckEvery.
// A replica that does not answer, or whose replay is behind the primary's
// position by more than Config.ReplicaMaxLag (the time since the last
// transaction it replayed committed, while it has not replayed all), is out
// of rotation until a later check finds it well. The resolver's policy picks
// round robin among the replicas in rotation, and the primary when there
// are none, so reads never fail because a replica did.
//
// Read-your-writes, by log position rather than by time: a write records
// the primary's WAL position after its commit in the request's Consistency
// (the HTTP layer hands it back to the client as a token, which the next
// request brings back). A read with a position goes to the replicas only if
// every replica in rotation had replayed it at the last check, and to the
// primary otherwise. The caller never waits, nothing is kept per process
// (any server replica can serve the next request), and the primary only
// serves what a replica could not have yet: a client that writes sees its
// write at once, on whichever server. Live queries and subscriptions read
// from the primary (FromPrimary): they rerun because a change committed,
// and must see it.

// replicaCheckEvery is how often the checker looks at the replicas.
const replicaCheckEvery = 500 * time.Millisecond

// replicaCheckTimeout bounds one check of one server: a replica whose
// packets are dropped is out of rotation after it, not after TCP's timeout.
const replicaCheckTimeout = 2 * time.Second

// replicas is the read replicas of a primary, their health and the
// dbresolver policy over them.
type replicas struct {
	primary gorm.ConnPool
	pools   []*sql.DB
	names   []string // host:port/database, for /readyz and /metrics
	maxLag  time.Duration
	next    atomic.Uint64
	state   atomic.Pointer[[]ReplicaHealth] // the last check, one per replica
}

// ReplicaHealth is what the last check found of one read replica.
type ReplicaHealth struct {
	Name      string        `json:"name"`
	InUse     bool          `json:"inRotation"` // reads go to it
	Lag       time.Duration `json:"-"`          // its replay's delay behind the primary
	LagSecond float64       `json:"lagSeconds"` // Lag, for JSON
	Replayed  uint64        `json:"-"`          // the WAL position it had replayed
	Error     string        `json:"error,omitempty"`
	Checked   time.Time     `json:"checkedAt"`
}

// Name is the name of the GORM plugin that holds a database's replicas.
func (*replicas) Name() string { return "tracker:replicas" }

// Initialize implements gorm.Plugin.
func (*replicas) Initialize(*gorm.DB) error { return nil }

// openReplicas opens a pool per replica URL and registers dbresolver on db
// with them.
func openReplicas(db *gorm.DB, cfg Config, maxConns int) error {
	r := &replicas{primary: db.ConnPool, maxLag: cmpDuration(cfg.ReplicaMaxLag, 5*time.Second)}
	var dialectors []gorm.Dialector
	for _, u := range cfg.ReplicaURLs {
		sqlDB, err := sql.Open("pgx", withStatementTimeout(u, cfg.StatementTimeout))
		if err != nil {
			r.close()
			return fmt.Errorf("open replica %s: %w", redactedTarget(u), err)
		}
		sqlDB.SetMaxOpenConns(maxConns)
		sqlDB.SetMaxIdleConns(maxConns)
		sqlDB.SetConnMaxIdleTime(5 * time.Minute)
		r.pools = append(r.pools, sqlDB)
		r.names = append(r.names, replicaName(u))
		dialectors = append(dialectors, postgres.New(postgres.Config{Conn: sqlDB}))
	}
	// Out of rotation until the first check finds them well.
	initial := make([]ReplicaHealth, len(r.pools))
	for i := range initial {
		initial[i] = ReplicaHealth{Name: r.names[i], Error: "not checked yet"}
	}
	r.state.Store(&initial)
	resolver := dbresolver.Register(dbresolver.Config{Replicas: dialectors, Policy: dbresolver.PolicyFunc(r.resolve)})
	if err := db.Use(resolver); err != nil {
		r.close()
		return fmt.Errorf("register replicas: %w", err)
	}
	if err := db.Use(r); err != nil {
		r.close()
		return fmt.Errorf("register replicas: %w", err)
	}
	// Every read, the engine's and GORM's own, is routed by its context.
	for _, p := range []interface {
		Register(string, func(*gorm.DB)) error
	}{db.Callback().Query().Before("*"), db.Callback().Row().Before("*")} {
		if err := p.Register("tracker:consistency", r.routeStatement); err != nil {
			r.close()
			return fmt.Errorf("register replicas: %w", err)
		}
	}
	return nil
}

// routeStatement sends a read to the primary when its context needs what
// the replicas may not have yet (route), and a list engine statement to
// the replicas otherwise: the engine only reads, whether its text starts
// with SELECT (dbresolver's guess for raw SQL) or not.
func (r *replicas) routeStatement(db *gorm.DB) {
	ctx := db.Statement.Context
	switch {
	case r.route(ctx) == dbresolver.Write:
		dbresolver.Write.ModifyStatement(db.Statement)
	case ctx.Value(engineStatementKey{}) != nil:
		dbresolver.Read.ModifyStatement(db.Statement)
	}
}

func cmpDuration(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// replicaName is host:port/database of a connection string.
func replicaName(dsn string) string {
	c, err := pgconn.ParseConfig(dsn)
	if err != nil {
		return "(unparsable replica URL)"
	}
	return fmt.Sprintf("%s:%d/%s", c.Host, c.Port, c.Database)
}

// replicasOf returns the replicas openReplicas registered on db, or nil.
func replicasOf(db *gorm.DB) *replicas {
	r, _ := db.Config.Plugins[(*replicas)(nil).Name()].(*replicas)
	return r
}

func (r *replicas) close() {
	for _, p := range r.pools {
		_ = p.Close()
	}
}

// resolve is the dbresolver policy: round robin over the replicas in
// rotation, the primary when none is.
func (r *replicas) resolve(pools []gorm.ConnPool) gorm.ConnPool {
	state := *r.state.Load()
	n := len(state)
	start := int(r.next.Add(1))
	for k := range n {
		i := (start + k) % n
		if state[i].InUse && i < len(pools) {
			return pools[i]
		}
	}
	return r.primary
}

// failed reports whether a read that failed with err on pool is to be
// retried on the primary: pool is a read replica, and err says it cannot
// be reached or is going away. It takes the replica out of rotation until
// the checker finds it well again. A nil r has no replicas.
func (r *replicas) failed(pool gorm.ConnPool, err error) bool {
	if r == nil || pool == r.primary || ErrorCode(dbError(err, "read")) != CodeUnavailable {
		return false
	}
	for {
		old := r.state.Load()
		next := append([]ReplicaHealth(nil), *old...)
		found := false
		for i, p := range r.pools {
			if gorm.ConnPool(p) == pool {
				found = true
				next[i].InUse, next[i].Error = false, "a read failed: "+redact(err, "")
			}
		}
		if !found {
			return false
		}
		if r.state.CompareAndSwap(old, &next) {
			return true
		}
	}
}

// route says where a read under ctx goes: dbresolver.Read (a replica in
// rotation, or the primary when none is) or dbresolver.Write (the primary).
//
// With none in rotation it is the primary here, not in the policy:
// dbresolver asks the policy only when there are two replicas or more.
func (r *replicas) route(ctx context.Context) dbresolver.Operation {
	c, _ := ctx.Value(consistencyKey{}).(*Consistency)
	if c != nil && c.primary {
		return dbresolver.Write
	}
	var after uint64
	if c != nil {
		after = c.after.Load()
	}
	inUse := 0
	for _, h := range *r.state.Load() {
		switch {
		case !h.InUse:
		case h.Replayed < after:
			return dbresolver.Write
		default:
			inUse++
		}
	}
	if inUse == 0 {
		return dbresolver.Write
	}
	return dbresolver.Read
}

// check looks at every replica once and puts it in or out of rotation.
func (r *replicas) check(ctx context.Context) {
	var primaryLSN uint64
	{
		cctx, cancel := context.WithTimeout(ctx, replicaCheckTimeout)
		var text string
		err := r.primary.QueryRowContext(cctx, "SELECT pg_current_wal_lsn()::text").Scan(&text)
		cancel()
		if err == nil {
			primaryLSN, _ = parseLSN(text)
		}
	}
	next := make([]ReplicaHealth, len(r.pools))
	var wg sync.WaitGroup
	for i, p := range r.pools {
		wg.Go(func() {
			next[i] = r.checkOne(ctx, p, primaryLSN)
			next[i].Name = r.names[i]
		})
	}
	wg.Wait()
	r.state.Store(&next)
}

func (r *replicas) checkOne(ctx context.Context, p *sql.DB, primaryLSN uint64) ReplicaHealth {
	h := ReplicaHealth{Checked: time.Now()}
	cctx, cancel := context.WithTimeout(ctx, replicaCheckTimeout)
	defer cancel()
	var (
		recovering bool
		replayed   sql.NullString
		behind     sql.NullFloat64
	)
	err := p.QueryRowContext(cctx, `SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text,
		EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())::float8`).Scan(&recovering, &replayed, &behind)
	if err != nil {
		h.Error = redact(err, "")
		return h
	}
	if !recovering {
		// Promoted, or a primary named as a replica: it has everything.
		h.InUse, h.Replayed = true, ^uint64(0)
		return h
	}
	h.Replayed, _ = parseLSN(replayed.String)
	caughtUp := h.Replayed >= primaryLSN
	if primaryLSN != 0 && !caughtUp && behind.Valid {
		h.Lag = time.Duration(behind.Float64 * float64(time.Second))
	}
	h.LagSecond = h.Lag.Seconds()
	switch {
	case primaryLSN == 0:
		h.Error = "the primary's position is unknown"
	case !caughtUp && !behind.Valid:
		// Started, and replayed no transaction yet: how far behind it
		// is cannot be told, so it waits until it has caught up.
		h.Error = "catching up since it started"
	case h.Lag > r.maxLag:
		h.Error = fmt.Sprintf("lagging %s behind the primary (REPLICA_MAX_LAG %s)", h.Lag.Round(time.Millisecond), r.maxLag)
	default:
		h.InUse = true
	}
	return h
}

// parseLSN reads a WAL position as Postgres writes it, "16/B374D848".
func parseLSN(s string) (uint64, error) {
	hi, lo, ok := strings.Cut(s, "/")
	if !ok {
		return 0, fmt.Errorf("not a WAL position: %q", s)
	}
	h, err := strconv.ParseUint(hi, 16, 32)
	if err != nil {
		return 0, err
	}
	l, err := strconv.ParseUint(lo, 16, 32)
	if err != nil {
		return 0, err
	}
	return h<<32 | l, nil
}

// WatchReplicas checks the read replicas until ctx ends, putting them in
// and out of rotation; it returns at once when there are none. logger
// hears of every change of rotation.
func (s *Store) WatchReplicas(ctx context.Context, logger *slog.Logger) {
	r := s.replicas
	if r == nil {
		return
	}
	defer r.close()
	tick := time.NewTicker(replicaCheckEvery)
	defer tick.Stop()
	for {
		before := *r.state.Load()
		r.check(ctx)
		if logger != nil {
			for i, h := range *r.state.Load() {
				if h.InUse != before[i].InUse {
					logger.Info("read replica rotation", "replica", h.Name, "inRotation", h.InUse, "reason", h.Error)
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// Replicas returns what the last check found of each read replica; nil
// when there are none.
func (s *Store) Replicas() []ReplicaHealth {
	if s.replicas == nil {
		return nil
	}
	return append([]ReplicaHealth(nil), *s.replicas.state.Load()...)
}

// consistencyKey carries a request's Consistency.
type consistencyKey struct{}

// Consistency is what a request's reads must see: its own writes and those
// its client made before (a WAL position), or everything (the primary).
type Consistency struct {
	after   atomic.Uint64
	wrote   atomic.Bool
	primary bool
}

// WithConsistency returns a context whose reads see every write made under
// it, and the writes up to the position in token (from ReadAfterToken; an
// empty or malformed token adds nothing).
func WithConsistency(ctx context.Context, token string) (context.Context, *Consistency) {
	c := &Consistency{}
	if lsn, err := parseLSN(token); err == nil {
		c.after.Store(lsn)
	}
	return context.WithValue(ctx, consistencyKey{}, c), c
}

// FromPrimary returns a context whose reads go to the primary.
func FromPrimary(ctx context.Context) context.Context {
	return context.WithValue(ctx, consistencyKey{}, &Consistency{primary: true})
}

// ConsistencyFrom returns the Consistency of ctx, or nil.
func ConsistencyFrom(ctx context.Context) *Consistency {
	c, _ := ctx.Value(consistencyKey{}).(*Consistency)
	return c
}

// ReadAfterToken returns the token of the position c's reads must see, for
// the client's next request; empty when the request wrote nothing (or
// there are no replicas).
func (c *Consistency) ReadAfterToken() string {
	lsn := c.after.Load()
	if lsn == 0 || !c.wrote.Load() {
		return ""
	}
	return fmt.Sprintf("%X/%X", lsn>>32, uint32(lsn))
}

// noteWrite records, after a write under ctx committed, the primary's WAL
// position, which the request's later reads and the client's next requests
// must see. Without replicas there is nothing to wait for.
func (s *Store) noteWrite(ctx context.Context) {
	c, _ := ctx.Value(consistencyKey{}).(*Consistency)
	if s.replicas == nil || c == nil {
		return
	}
	c.wrote.Store(true)
	var text string
	if err := s.db.WithContext(ctx).Clauses(dbresolver.Write).Raw("SELECT pg_current_wal_lsn()::text").Scan(&text).Error; err != nil {
		// Unknown: read everything else of this client from the primary.
		c.after.Store(^uint64(0))
		return
	}
	if lsn, err := parseLSN(text); err == nil {
		for {
			old := c.after.Load()
			if lsn <= old || c.after.CompareAndSwap(old, lsn) {
				break
			}
		}
	}
}
