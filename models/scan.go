package models

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/schema"
)

// The list engine builds its SQL itself and scans rows with a plan worked
// out once per row type and column list: GORM's general-purpose reflective
// scanning cost a fifth of the CPU of a dashboard query. The statements
// still run through GORM's session and its Row callbacks, so that plugins
// see every read as they see the writes: dbresolver sends them to a read
// replica (replicas.go), tracing and metrics plugins observe them.

// rows runs the query q built and returns its rows. Every statement is
// counted, traced and, for tests, recorded, as GORM's are.
func (s *Store) rows(ctx context.Context, q *sqlBuilder) (*sql.Rows, error) {
	text := q.sql.String()
	if s.dialect == Postgres {
		text = s.placeholders.rewrite(text)
	}
	begin := time.Now()
	tx := s.session(ctx, text, q.args)
	rows, err := tx.Rows()
	if err != nil && s.replicas.failed(tx.Statement.ConnPool, err) {
		// A read replica that fails a read is out of rotation at once, and
		// the read goes to the primary: a replica going away costs time,
		// not an error.
		rows, err = s.session(FromPrimary(ctx), text, q.args).Rows()
	}
	observeStatement(ctx, begin, func() (string, []any) { return text, q.args }, err)
	return rows, err
}

// retryOnPrimary reports whether a read under ctx that failed with err
// mid-way is to be read again from the primary: it may have been cut off
// by a read replica going away.
func (s *Store) retryOnPrimary(ctx context.Context, err error) bool {
	c := ConsistencyFrom(ctx)
	return err != nil && s.replicas != nil && (c == nil || !c.primary) && ErrorCode(dbError(err, "read")) == CodeUnavailable
}

// session returns a GORM session holding the finished statement text with
// its arguments, as Raw leaves one, but without Raw's rewriting: the text
// already has its dialect's placeholders, and Raw would expand slice
// arguments and read ? and @ inside quoted text as placeholders. Being
// SQL text, the read-replica resolver routes it as it routes a Raw SELECT,
// and replicas.go's callback sends it to the primary where it must. Its
// context tells the statement logger that rows observes the statement
// itself, with its arguments.
func (s *Store) session(ctx context.Context, text string, args []any) *gorm.DB {
	tx := s.db.WithContext(context.WithValue(ctx, engineStatementKey{}, true)).Raw("")
	tx.Statement.SQL.WriteString(text)
	tx.Statement.Vars = append(tx.Statement.Vars, args...)
	return tx
}

// engineStatementKey marks the context of a list engine statement.
type engineStatementKey struct{}

// placeholderCache keeps dollarPlaceholders' rewrites of recent statement
// texts: a compiled query's statement is kilobytes, the same for each
// request of its document, and rewriting it was a few percent of the CPU of
// a small compiled query. It holds up to placeholderCacheBytes of text,
// and starts again empty beyond.
type placeholderCache struct {
	mu    sync.Mutex
	texts map[string]string
	bytes int
}

const placeholderCacheBytes = 4 << 20

// rewrite returns dollarPlaceholders(text); a nil cache keeps nothing.
func (c *placeholderCache) rewrite(text string) string {
	if c == nil {
		return dollarPlaceholders(text)
	}
	c.mu.Lock()
	out, ok := c.texts[text]
	c.mu.Unlock()
	if ok {
		return out
	}
	out = dollarPlaceholders(text)
	if n := len(text) + len(out); n <= placeholderCacheBytes/64 {
		c.mu.Lock()
		if c.texts == nil || c.bytes+n > placeholderCacheBytes {
			c.texts, c.bytes = map[string]string{}, 0
		}
		c.texts[text] = out
		c.bytes += n
		c.mu.Unlock()
	}
	return out
}

// dollarPlaceholders rewrites ? placeholders as Postgres's $1, $2, …,
// leaving quoted text alone.
func dollarPlaceholders(text string) string {
	// A compiled statement is kilobytes with a few placeholders and
	// hundreds of quoted keys: text is copied in pieces between
	// placeholders, found with IndexByte, and quoted sections are skipped
	// whole. Each byte is looked at about twice.
	q := strings.IndexByte(text, '?') // the next placeholder candidate, at or after pos
	if q < 0 {
		return text
	}
	var b strings.Builder
	b.Grow(len(text) + 16)
	n, from, pos := 0, 0, 0 // from: the first byte not yet copied
	for q >= 0 {
		if a := strings.IndexByte(text[pos:q], '\''); a >= 0 {
			// A quoted section opens before q: skip to its end.
			e := strings.IndexByte(text[pos+a+1:], '\'')
			if e < 0 {
				break // unterminated: the rest is quoted
			}
			pos += a + 1 + e + 1
		} else {
			b.WriteString(text[from:q])
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			from, pos = q+1, q+1
		}
		if q < pos {
			if q = strings.IndexByte(text[pos:], '?'); q >= 0 {
				q += pos
			}
		}
	}
	b.WriteString(text[from:])
	return b.String()
}

// scanAll runs q and appends its rows to *dest, a slice of structs or of
// pointers to structs, matching columns to fields by name as GORM maps them
// (embedded structs included, with their prefixes). Unknown columns are
// skipped.
func (s *Store) scanAll(ctx context.Context, q *sqlBuilder, dest any) error {
	err := s.scanAllOnce(ctx, q, dest)
	if s.retryOnPrimary(ctx, err) {
		err = s.scanAllOnce(FromPrimary(ctx), q, dest) // dest is only set once all rows are read
	}
	return err
}

func (s *Store) scanAllOnce(ctx context.Context, q *sqlBuilder, dest any) error {
	rows, err := s.rows(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	slice := reflect.ValueOf(dest).Elem()
	elem := slice.Type().Elem()
	byPointer := elem.Kind() == reflect.Pointer
	if byPointer {
		elem = elem.Elem()
	}
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	var plan [][]int
	if elem.Kind() == reflect.Struct && elem != reflect.TypeFor[time.Time]() {
		plan = planFor(elem, cols)
	} else {
		plan = [][]int{{}} // a slice of single values: the first column
		plan = append(plan, make([][]int, len(cols)-1)...)
	}
	targets := make([]fieldScanner, len(cols))
	dests := make([]any, len(cols))
	for i := range dests {
		dests[i] = &targets[i]
	}
	// Rows go into one growing array of values, not one allocation each;
	// pointers into it are handed out once it stops moving.
	vals := slice
	if byPointer {
		vals = reflect.MakeSlice(reflect.SliceOf(elem), 0, capacityFor(q))
	} else if vals.Len() == 0 {
		vals = reflect.MakeSlice(slice.Type(), 0, capacityFor(q))
	}
	zero := reflect.Zero(elem)
	for rows.Next() {
		vals = reflect.Append(vals, zero)
		row := vals.Index(vals.Len() - 1)
		for i, path := range plan {
			targets[i].v = reflect.Value{}
			if path != nil {
				targets[i].v = row.FieldByIndex(path) // the row itself for an empty path
			}
		}
		if err := rows.Scan(dests...); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if !byPointer {
		slice.Set(vals)
		return nil
	}
	ptrs := reflect.MakeSlice(slice.Type(), vals.Len(), vals.Len())
	for i := range vals.Len() {
		ptrs.Index(i).Set(vals.Index(i).Addr())
	}
	slice.Set(reflect.AppendSlice(slice, ptrs))
	return nil
}

// scanOne runs q, which returns one row of one column, into dest.
func (s *Store) scanOne(ctx context.Context, q *sqlBuilder, dest any) error {
	err := s.scanOneOnce(ctx, q, dest)
	if s.retryOnPrimary(ctx, err) {
		err = s.scanOneOnce(FromPrimary(ctx), q, dest)
	}
	return err
}

func (s *Store) scanOneOnce(ctx context.Context, q *sqlBuilder, dest any) error {
	rows, err := s.rows(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	if rows.Next() {
		if err := rows.Scan(&fieldScanner{v: reflect.ValueOf(dest).Elem()}); err != nil {
			return err
		}
	}
	return rows.Err()
}

var plans sync.Map // planKey → [][]int

type planKey struct {
	typ  reflect.Type
	cols string
}

// planFor returns, for each column, the index path of the field of typ it
// fills, or nil.
func planFor(typ reflect.Type, cols []string) [][]int {
	key := planKey{typ, strings.Join(cols, ",")}
	if p, ok := plans.Load(key); ok {
		return p.([][]int)
	}
	sch, err := schema.Parse(reflect.New(typ).Interface(), &sync.Map{}, schema.NamingStrategy{})
	if err != nil {
		panic(fmt.Sprintf("scan plan for %s: %v", typ, err)) // fixed types: a bug
	}
	plan := make([][]int, len(cols))
	for i, c := range cols {
		if f := sch.LookUpField(c); f != nil {
			plan[i] = f.StructField.Index
		}
	}
	plans.Store(key, plan)
	return plan
}

// fieldScanner scans one column into a struct field, converting the values
// both drivers return into the field's type. NULL leaves the zero value,
// as a LEFT JOIN that found no row needs.
type fieldScanner struct{ v reflect.Value }

func (f *fieldScanner) Scan(src any) error {
	if !f.v.IsValid() {
		return nil // a column no field takes
	}
	return assign(f.v, src)
}

var (
	scannerType  = reflect.TypeFor[sql.Scanner]()
	scannerTypes sync.Map // reflect.Type → bool
)

// isScanner reports whether *t implements sql.Scanner, remembering the
// answer: reflect's check is costly for every column of every row.
func isScanner(t reflect.Type) bool {
	if ok, found := scannerTypes.Load(t); found {
		return ok.(bool)
	}
	ok := reflect.PointerTo(t).Implements(scannerType)
	scannerTypes.Store(t, ok)
	return ok
}

func assign(v reflect.Value, src any) error {
	if src == nil {
		v.SetZero()
		return nil
	}
	if v.Kind() == reflect.Pointer {
		p := reflect.New(v.Type().Elem())
		if err := assign(p.Elem(), src); err != nil {
			return err
		}
		v.Set(p)
		return nil
	}
	if isScanner(v.Type()) {
		return v.Addr().Interface().(sql.Scanner).Scan(src)
	}
	switch v.Kind() {
	case reflect.String:
		switch x := src.(type) {
		case string:
			v.SetString(x)
			return nil
		case []byte:
			v.SetString(string(x))
			return nil
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if n, ok := toInt(src); ok {
			v.SetInt(n)
			return nil
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if n, ok := toInt(src); ok && n >= 0 {
			v.SetUint(uint64(n))
			return nil
		}
	case reflect.Float32, reflect.Float64:
		switch x := src.(type) {
		case float64:
			v.SetFloat(x)
			return nil
		case float32:
			v.SetFloat(float64(x))
			return nil
		case int64:
			v.SetFloat(float64(x))
			return nil
		case string:
			if f, err := strconv.ParseFloat(x, 64); err == nil {
				v.SetFloat(f)
				return nil
			}
		}
	case reflect.Bool:
		switch x := src.(type) {
		case bool:
			v.SetBool(x)
			return nil
		case int64:
			v.SetBool(x != 0)
			return nil
		}
	case reflect.Struct:
		if t, ok := src.(time.Time); ok && v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(t))
			return nil
		}
	}
	return fmt.Errorf("scan: cannot store %T into %s", src, v.Type())
}

func toInt(src any) (int64, bool) {
	switch x := src.(type) {
	case int64:
		return x, true
	case int32:
		return int64(x), true
	case float64:
		return int64(x), x == float64(int64(x))
	case string:
		n, err := strconv.ParseInt(x, 10, 64)
		return n, err == nil
	case []byte:
		n, err := strconv.ParseInt(string(x), 10, 64)
		return n, err == nil
	}
	return 0, false
}

// StructField returns the field called name of the struct v (a struct value, or a
// pointer to one). The field's index is looked up once per type: reflect's
// search by name is slow, and its deep stack makes goroutines grow theirs.
// It panics if the struct has no such field, as reflect does.
func StructField(v reflect.Value, name string) reflect.Value {
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	key := fieldKey{v.Type(), name}
	idx, ok := fieldIndexes.Load(key)
	if !ok {
		f, found := v.Type().FieldByName(name)
		if !found {
			panic("models: " + v.Type().String() + " has no field " + name)
		}
		idx, _ = fieldIndexes.LoadOrStore(key, f.Index)
	}
	return v.FieldByIndex(idx.([]int))
}

type fieldKey struct {
	typ  reflect.Type
	name string
}

var fieldIndexes sync.Map // fieldKey → []int

// capacityFor is the number of rows to allocate for before scanning q's:
// all of them when q says how many it returns at most (a page, whose first
// screen is usually full), within a bound.
func capacityFor(q *sqlBuilder) int {
	const unknown, most = 16, 1024
	switch {
	case q.rows <= 0:
		return unknown
	case q.rows > most:
		return most
	}
	return q.rows
}
