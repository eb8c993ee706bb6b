package models

import (
	"context"
	"errors"
	"math"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Writes follow one pattern: check the caller's role, validate the input,
// then in one transaction load what is changed (locked), check the caller
// may change it, check the version the caller read, write, and record the
// change in the audit log. Any error rolls everything back.

// lock returns tx reading rows for update: on Postgres, concurrent writers
// of a row wait for each other; SQLite's write transactions are serialized
// already (they take the write lock when they begin).
func (s *Store) lock(tx *gorm.DB) *gorm.DB {
	if s.dialect == Postgres {
		return tx.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	return tx
}

// loadForUpdate loads the T row id within tx, locked, and checks with
// canChange that the caller may change it. Officers get FORBIDDEN both for
// rows they may not change and for rows that do not exist, so that they
// learn nothing of what they may not see; admins get NOT_FOUND.
func loadForUpdate[T any](ctx context.Context, s *Store, tx *gorm.DB, id uint, canChange func(*T) (bool, error)) (*T, error) {
	e := entityOf[T]()
	var row T
	err := s.lock(tx).Table(e.base).Where("id = ?", id).Take(&row).Error
	u := UserFrom(ctx)
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound) && u.Has(RoleAdmin):
		return nil, Errorf(CodeNotFound, "%s not found", e.node)
	case errors.Is(err, gorm.ErrRecordNotFound):
		return nil, forbidden(e.node)
	case err != nil:
		return nil, dbError(err, e.node)
	}
	ok, err := canChange(&row)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, forbidden(e.node)
	}
	return &row, nil
}

// loadVersioned is loadForUpdate for a write the caller based on version
// expected of the row: it fails with CONFLICT, giving the current version,
// unless the row is still at that version.
func loadVersioned[T any](ctx context.Context, s *Store, tx *gorm.DB, id uint, expected int, canChange func(*T) (bool, error)) (*T, error) {
	row, err := loadForUpdate(ctx, s, tx, id, canChange)
	if err != nil {
		return nil, err
	}
	current := int(reflect.ValueOf(row).Elem().FieldByName("Version").Int())
	if err := checkVersion(entityOf[T]().node, current, expected); err != nil {
		return nil, err
	}
	return row, nil
}

// remove deletes the T row id, which the caller read at version expected,
// if canChange lets the caller change it, and records the deletion.
func remove[T any](ctx context.Context, s *Store, id GlobalID, expected int, canChange func(tx *gorm.DB, u *User, row *T) (bool, error)) error {
	e := entityOf[T]()
	rid, err := id.As(e.node)
	if err != nil {
		return err
	}
	return s.write(ctx, RoleOfficer, func(tx *gorm.DB, u *User) error {
		row, err := loadVersioned(ctx, s, tx, rid, expected, func(row *T) (bool, error) { return canChange(tx, u, row) })
		if err != nil {
			return err
		}
		if err := tx.Delete(new(T), rid).Error; err != nil {
			return dbError(err, e.node)
		}
		return s.audit(ctx, tx, change{action: AuditActionDelete, entityType: e.node, entityID: rid, before: row})
	})
}

// checkVersion fails with CONFLICT, giving the current version, unless the
// row is at the version the caller read.
func checkVersion(node string, current, expected int) error {
	if current == expected {
		return nil
	}
	e := Errorf(CodeConflict, "this %s has changed since you read it (you sent version %d; it is at version %d): reload and retry", node, expected, current)
	e.Details = map[string]any{"currentVersion": current}
	return e
}

// saveVersioned writes all columns of row, which the caller loaded at
// version expected and changed, as version expected+1. The WHERE clause
// checks the version again, so that a write can never land on a newer
// version.
func saveVersioned[T any](s *Store, tx *gorm.DB, row *T, expected int) error {
	e := entityOf[T]()
	v := reflect.ValueOf(row).Elem()
	v.FieldByName("Version").SetInt(int64(expected + 1))
	v.FieldByName("UpdatedAt").Set(reflect.ValueOf(s.now()))
	id := v.FieldByName("ID").Uint()
	res := tx.Table(e.base).Where("id = ? AND version = ?", id, expected).Select("*").Omit("id", "created_at").Updates(row)
	if res.Error != nil {
		return dbError(res.Error, e.node)
	}
	if res.RowsAffected != 1 {
		return checkVersion(e.node, expected+1, expected) // changed under us: only possible without the lock
	}
	return nil
}

// insert creates row (its Version set to 1) within tx.
func insert[T any](tx *gorm.DB, row *T) error {
	reflect.ValueOf(row).Elem().FieldByName("Version").SetInt(1)
	if err := tx.Create(row).Error; err != nil {
		return dbError(err, entityOf[T]().node)
	}
	return nil
}

// mustExist checks that every id names a row of table; field names the
// input for the error.
func (s *Store) mustExist(ctx context.Context, tx *gorm.DB, table, field string, ids ...uint) error {
	if len(ids) == 0 {
		return nil
	}
	q := s.builder()
	q.write("SELECT COUNT(DISTINCT a.id) FROM ", table, " a WHERE ")
	q.inIDs("a.id", ids)
	var n int
	if err := tx.WithContext(ctx).Raw(q.sql.String(), q.args...).Scan(&n).Error; err != nil {
		return dbError(err, table)
	}
	distinct := map[uint]bool{}
	for _, id := range ids {
		distinct[id] = true
	}
	if n != len(distinct) {
		return invalid(field, "%s refers to something that does not exist", field)
	}
	return nil
}

// idAs returns the row ID of an optional input ID of type typ.
func idAs(field string, gid *GlobalID, typ string) (*uint, error) {
	if gid == nil {
		return nil, nil
	}
	id, err := gid.As(typ)
	if err != nil {
		return nil, invalid(field, "%s: %s", field, ErrorMessage(err))
	}
	return &id, nil
}

// idsAs returns the row IDs of input IDs of type typ.
func idsAs(field string, gids []*GlobalID, typ string) ([]uint, error) {
	out := make([]uint, 0, len(gids))
	for _, g := range gids {
		id, err := idAs(field, g, typ)
		if err != nil {
			return nil, err
		}
		out = append(out, *id)
	}
	return out, nil
}

// slugPattern is the form of a canonical slug (see slugKey).
var slugPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// checkText validates a required (min 1) or optional (min 0) text and
// returns it trimmed.
func checkText(field, s string, min, max int) (string, error) {
	s = strings.TrimSpace(s)
	n := utf8.RuneCountInString(s)
	switch {
	case !utf8.ValidString(s):
		return "", invalid(field, "%s is not valid UTF-8", field)
	case n < min:
		return "", invalid(field, "%s must not be empty", field)
	case n > max:
		return "", invalid(field, "%s is too long: %d characters, at most %d", field, n, max)
	}
	return s, nil
}

// optText validates an optional text input and returns it trimmed, "" when
// absent.
func optText(field string, s *string, max int) (string, error) {
	if s == nil {
		return "", nil
	}
	return checkText(field, *s, 0, max)
}

// Limits of text inputs.
const (
	maxName = 300
	maxText = 20000
)

// partialDate turns a PartialDateInput into a date column and its precision:
// the first day of its period.
func partialDate(field string, in *PartialDateInput) (*Date, *DatePrecision, error) {
	if in == nil {
		return nil, nil, nil
	}
	p := DatePrecisionDay
	if in.Precision != nil {
		p = *in.Precision
	}
	if !p.IsValid() {
		return nil, nil, invalid(field, "unknown precision %q", p)
	}
	if y := in.Date.Time().Year(); y < 1000 || y > 3000 {
		return nil, nil, invalid(field, "%s must be between the years 1000 and 3000", field)
	}
	d := PartialDate{Date: in.Date, Precision: p}.Start()
	return &d, &p, nil
}

// checkFinite validates a number.
func checkFinite(field string, v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return invalid(field, "%s must be a finite number", field)
	}
	return nil
}

// checkURL validates an optional http(s) URL.
func checkURL(field, s string) error {
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(s) > 2000 {
		return invalid(field, "%s must be an http or https URL", field)
	}
	return nil
}

// checkRange validates an optional integer.
func checkRange(field string, v *int, min, max int) error {
	if v != nil && (*v < min || *v > max) {
		return invalid(field, "%s must be between %d and %d", field, min, max)
	}
	return nil
}

// utc returns t in UTC to the microsecond, as both databases store times.
func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC().Truncate(time.Microsecond)
	return &u
}

// write runs fn in a transaction as a caller holding at least role r.
func (s *Store) write(ctx context.Context, r Role, fn func(tx *gorm.DB, u *User) error) error {
	u, err := requireRole(ctx, r)
	if err != nil {
		return err
	}
	// Errors from the transaction itself (begin, commit, a statement fn
	// did not map) go through dbError too: a database that goes away in
	// the middle of a write is UNAVAILABLE, and nothing was written.
	// The write's change events wait in its context (SQLite; Postgres
	// sends them with the commit) and go out once it committed.
	pending := &pendingChanges{}
	tctx := context.WithValue(ctx, pendingKey{}, pending)
	err = dbError(s.db.WithContext(tctx).Transaction(func(tx *gorm.DB) error { return fn(tx, u) }), "the change")
	s.writes.noteWrite(err)
	if err == nil {
		s.noteWrite(ctx)
		for _, ev := range pending.events {
			s.changes.deliver(ev)
		}
	}
	return err
}
