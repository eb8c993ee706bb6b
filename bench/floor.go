package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The floor of a query is its data fetched by hand-written SQL from the
// server's database, with no GraphQL layer, into the same JSON document as
// the server's response data: same shape, same rows, same order, same page
// sizes, same computed fields. The database is the server's Postgres,
// through pgx, or its SQLite file, through the SQLite driver the server
// uses (sqlitefloor.go). Each query has up to two variants:
//
//   - json: one statement that builds the whole document inside the
//     database (json_build_object and json_agg on Postgres, json_object and
//     json_group_array on SQLite), read as bytes;
//   - go: the fewest statements, decoded into Go structs and marshalled with
//     encoding/json. Several statements go in one pgx batch: one round trip.
//     (Postgres only: on SQLite there is no round trip to save, and the json
//     variant is one statement for every query.)
//
// The faster variant is the floor. Each file named after a query of the mix
// holds its Postgres variants, sqlitefloor.go the SQLite ones.

// floorDB is the database the floor reads: the server's Postgres or its
// SQLite file.
type floorDB interface {
	// variants returns the floor variants of each query of the mix, by
	// name, bound to this database.
	variants() map[string][]variant
	// cpu returns the CPU time used so far by the database and this process.
	cpu(ctx context.Context) cpuUse
	close()
}

// variant is one hand-written way of fetching a query's data.
type variant struct {
	name       string // "json" or "go"
	statements int    // SQL statements per fetch
	fetch      func(ctx context.Context, p params) ([]byte, error)
}

// task returns a task fetching the variant's data once per call.
func (v variant) task(p params) task {
	return func(ctx context.Context) outcome {
		b, err := v.fetch(ctx, p)
		if err != nil {
			return outcome{err: err}
		}
		return outcome{statements: v.statements, bytes: len(b)}
	}
}

// pgFloor is the floor on the server's Postgres.
type pgFloor struct{ pool *pgxpool.Pool }

// openPgFloor connects to the Postgres at databaseURL with one connection
// per worker.
func openPgFloor(ctx context.Context, databaseURL string, concurrency int) (pgFloor, error) {
	poolCfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return pgFloor{}, fmt.Errorf("-database-url: %w", err)
	}
	poolCfg.MaxConns, poolCfg.MinConns = int32(concurrency), int32(concurrency)
	pool, err := pgxpool.NewWithConfig(ctx, poolCfg)
	if err != nil {
		return pgFloor{}, fmt.Errorf("connect to the database: %w", err)
	}
	return pgFloor{pool}, nil
}

func (f pgFloor) close()                         { f.pool.Close() }
func (f pgFloor) cpu(ctx context.Context) cpuUse { return readCPU(ctx, f.pool) }

func (f pgFloor) variants() map[string][]variant {
	one := f.jsonVariant
	batch := func(statements int, fetch func(context.Context, *pgxpool.Pool, params) ([]byte, error)) variant {
		return variant{name: "go", statements: statements, fetch: func(ctx context.Context, p params) ([]byte, error) {
			return fetch(ctx, f.pool, p)
		}}
	}
	return map[string][]variant{
		"frontpage":   {one(frontPageSQL(), frontPageArgs), batch(4, frontPageGo)},
		"actionitems": {one(actionItemsSQL(), actionItemsArgs), batch(1, actionItemsGo)},
		"series":      {one(seriesSQL(), seriesArgs), batch(1, seriesGo)},
		"aggregate":   {one(aggregateSQL(), aggregateArgs), batch(4, aggregateGo)},
		"search":      {one(searchSQL(), searchArgs), batch(1, searchGo)},
		// The queries measured against PostGraphile have a json variant only.
		"overview":      {one(overviewSQL(), overviewArgs)},
		"initiative":    {one(initiativeSQL(), initiativeArgs)},
		"organizations": {one(organizationsSQL(), organizationsArgs)},
		"blocked":       {one(blockedSQL(), blockedArgs)},
	}
}

// jsonVariant is the variant running sql, one statement returning the whole
// document, with the arguments args makes.
func (f pgFloor) jsonVariant(sql string, args func(params) []any) variant {
	return variant{name: "json", statements: 1, fetch: func(ctx context.Context, p params) ([]byte, error) {
		var b []byte
		err := f.pool.QueryRow(ctx, sql, args(p)...).Scan(&b)
		return b, err
	}}
}

// sendBatch runs the queued statements of b in one round trip and calls
// their callbacks.
func sendBatch(ctx context.Context, pool *pgxpool.Pool, b *pgx.Batch) error {
	return pool.SendBatch(ctx, b).Close()
}

// Page sizes of the mix: the front page's $first default, the server's
// default page size for lists with no first, the front page's meetings and
// the action-item list's first, and the search's first.
const (
	frontPageSize   = 50
	defaultPageSize = 50
	meetingsPerRow  = 3
	actionItemsPage = 50
	searchPageSize  = 10
)

// SQL fragments shared by the json variants.

// labelSQL is the SQL of a PartialDate's label: "2009", "March 2009" or
// "23 March 2009".
func labelSQL(date, precision string) string {
	return "CASE " + precision + " WHEN 'YEAR' THEN to_char(" + date + ", 'YYYY') WHEN 'MONTH' THEN to_char(" + date +
		", 'FMMonth YYYY') ELSE to_char(" + date + ", 'FMDD FMMonth YYYY') END"
}

// globalIDSQL is the SQL of a global ID: base64url("Type:id"), unpadded.
func globalIDSQL(typ, id string) string {
	return base64URLSQL("'" + typ + ":' || " + id)
}

// base64URLSQL is the SQL of the unpadded base64url encoding of a text.
func base64URLSQL(text string) string {
	return "translate(encode(convert_to(" + text + ", 'UTF8'), 'base64'), E'+/=\\n', '-_')"
}

// overdueSQL is the SQL of "action item a is overdue": open, and its due
// period ended before today; year, month and today are the parameters of
// the first days of today's year and month, and today.
func overdueSQL(a, year, month, today string) string {
	return "(" + a + ".status NOT IN ('DONE', 'CANCELLED') AND " + a + ".due_on < CASE " + a + ".due_precision WHEN 'YEAR' THEN " +
		year + "::date WHEN 'MONTH' THEN " + month + "::date ELSE " + today + "::date END)"
}

// Go helpers shared by the go variants.

// label is a PartialDate as the mix selects it.
type label struct {
	Label string `json:"label"`
}

// newLabel returns the label of a date known to precision, nil for no date.
func newLabel(d *time.Time, precision *string) *label {
	if d == nil {
		return nil
	}
	switch deref(precision) {
	case "YEAR":
		return &label{d.Format("2006")}
	case "MONTH":
		return &label{d.Format("January 2006")}
	}
	return &label{d.Format("2 January 2006")}
}

// isOverdue reports whether an action item of status due on d (to
// precision) is open and its due period ended before today.
func isOverdue(status string, d *time.Time, precision *string, today time.Time) bool {
	if d == nil || status == "DONE" || status == "CANCELLED" {
		return false
	}
	end := *d
	switch deref(precision) {
	case "YEAR":
		end = time.Date(d.Year(), time.January, 1, 0, 0, 0, 0, time.UTC).AddDate(1, 0, -1)
	case "MONTH":
		end = time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, 1, -1)
	}
	return end.Before(today)
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// nodes is a connection as the mix selects it: its nodes only.
type nodes[T any] struct {
	Nodes []T `json:"nodes"`
}

// named is an object of which the mix selects the name only.
type named struct {
	Name string `json:"name"`
}

// titled is an object of which the mix selects the title only.
type titled struct {
	Title string `json:"title"`
}

func itoa(n int) string { return strconv.Itoa(n) }

// globalID returns the global ID of row id of type typ.
func globalID(typ string, id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(typ + ":" + strconv.FormatInt(id, 10)))
}

// sigHash is the hash of an ordering's signature that the server's cursors
// start with.
func sigHash(sig string) string {
	h := fnv.New32a()
	h.Write([]byte(sig))
	return strconv.FormatUint(uint64(h.Sum32()), 36)
}

// cursor returns the server's cursor of a row in the initiatives' default
// order (title, then ID).
func cursor(sig, title string, id int64) (string, error) {
	b, err := json.Marshal([]any{sig, title, id})
	return base64.RawURLEncoding.EncodeToString(b), err
}

// shareDone is done / (total - cancelled), nil when that is zero.
func shareDone(done, total, cancelled int) *float64 {
	if n := total - cancelled; n > 0 {
		s := float64(done) / float64(n)
		return &s
	}
	return nil
}
