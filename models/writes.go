package models

import (
	"context"
	"errors"
	"sync"
	"time"

	gosqlite "github.com/glebarez/go-sqlite"
	"gorm.io/gorm"
)

// A database may answer reads and refuse writes: a SQLite file made
// read-only or on a full disk, a Postgres standby or one set to
// default_transaction_read_only, a Postgres server out of disk. Such a
// write answers UNAVAILABLE saying why (see dbError), and readiness reports
// it, from two sources: a probe that writes one row of the write_probe
// table, at most every probeInterval, and the outcome of the last write,
// since a full disk may still take the probe's small write in place.

// SQLite's primary result codes for a refused write.
const (
	sqliteReadOnly = 8  // SQLITE_READONLY
	sqliteFull     = 13 // SQLITE_FULL
)

// sqliteCode returns the primary result code of a SQLite error, or 0.
func sqliteCode(err error) int {
	var e *gosqlite.Error
	if errors.As(err, &e) {
		return e.Code() & 0xff // extended codes keep the primary code in the low byte
	}
	return 0
}

// writeRefusedError is a write the database refused although it answers:
// clients see UNAVAILABLE and why, the log sees the cause.
type writeRefusedError struct {
	err    error
	reason string // "it is read-only", "its disk is full"
}

func (e *writeRefusedError) Error() string { return "database refuses writes: " + e.err.Error() }
func (e *writeRefusedError) Unwrap() []error {
	return []error{e.err, Errorf(CodeUnavailable, "the database refuses writes (%s); try again later", e.reason)}
}

// probeInterval bounds how often the readiness check writes: /readyz is
// public, and a flood of it must not become a flood of writes.
const probeInterval = 5 * time.Second

// refusalMemory is how long a refused write keeps the server not ready
// after it, unless a write succeeds first.
const refusalMemory = 30 * time.Second

// writeHealth remembers whether the database takes writes.
type writeHealth struct {
	probing   sync.Mutex // one probe at a time
	mu        sync.Mutex // guards the fields below; never held during a statement
	probedAt  time.Time
	probeErr  error     // the last probe's refusal, or nil
	refusedAt time.Time // the last refused write
	refused   error
}

// noteWrite records the outcome of a write for readiness.
func (w *writeHealth) noteWrite(err error) {
	var refused *writeRefusedError
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case err == nil:
		w.refused = nil
	case errors.As(err, &refused):
		w.refused, w.refusedAt = refused, time.Now()
	}
}

// CheckWrites returns nil when the database takes writes, and an
// UNAVAILABLE error saying why when it refuses them. A probe that cannot
// tell (the database busy, the request's time up), or one already under
// way, leaves the last verdict.
func (s *Store) CheckWrites(ctx context.Context) error {
	w := s.writes
	w.mu.Lock()
	due := time.Since(w.probedAt) >= probeInterval
	w.mu.Unlock()
	// While one probe waits (for the write lock behind a long write, say),
	// other checks answer with the last verdict instead of queueing.
	if due && w.probing.TryLock() {
		defer w.probing.Unlock()
		err := dbError(s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			return tx.Exec("UPDATE write_probe SET probed_at = ? WHERE id = 1", s.now()).Error
		}), "write probe")
		var refused *writeRefusedError
		w.mu.Lock()
		switch {
		case err == nil:
			w.probeErr, w.probedAt = nil, time.Now()
		case errors.As(err, &refused):
			w.probeErr, w.probedAt = refused, time.Now()
		}
		w.mu.Unlock()
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case w.probeErr != nil:
		return w.probeErr
	case w.refused != nil && time.Since(w.refusedAt) < refusalMemory:
		return w.refused
	}
	return nil
}
