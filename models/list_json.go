package models

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	gosqlite "github.com/glebarez/go-sqlite"
)

// A compiled read: one SQL statement that builds the JSON of a whole
// GraphQL root field inside the database, so that the server passes the
// bytes on as they come. The graph package turns a selection set into a
// JSONRoot — GraphQL names only: response keys, field names, the typed
// arguments of each connection — and QueryJSON renders it for the dialect:
//
//   - an object is a text concatenation '{"key":' || value || … || '}',
//     written with the very escaping and number formats gqlgen uses, so
//     the bytes are those of the field-by-field executor;
//   - a to-one relation is a correlated scalar subquery on the related
//     table by key; a to-many relation (and a root list) is a connection
//     subquery: the page's rows, numbered in their order, aggregated with
//     string_agg (group_concat on SQLite), with totalCount counted
//     beside them and pageInfo from the number of rows fetched;
//   - filters, orderings and keyset cursors are the list engine's own
//     (sqlBuilder.filter, orderBy, keyset), so the two paths cannot
//     drift; global IDs and cursors are encoded in SQL.
//
// Whatever a plan names that this file cannot write exactly is refused
// with ErrNotCompiled, and the caller runs the field through gqlgen.

// ErrNotCompiled is returned for a selection the compiler does not cover.
var ErrNotCompiled = errors.New("not compiled")

// errCompiledNull is a compiled statement that yielded NULL instead of
// JSON text: a bug of the renderer, answered by the executor instead.
var errCompiledNull = errors.New("compiled query: NULL instead of JSON")

// notCompiled wraps ErrNotCompiled with what was not covered.
func notCompiled(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrNotCompiled, fmt.Sprintf(format, args...))
}

// JSONField is one entry of a selection: the response key and the GraphQL
// field it shows. Fields is the field's own selection (of an object, a
// connection, an edge, a page info or a partial date); Page, Filter and
// OrderBy are the typed arguments of a connection field.
type JSONField struct {
	Key      string
	Name     string
	Typename string // for __typename: the name of the type it is asked on
	Fields   []JSONField
	Page     Page
	Filter   any
	OrderBy  any
	Args     map[string]any // the decoded arguments of an aggregate (countsByPeriod's interval)
}

// JSONRoot is a compiled root field: a list of Type (a connection whose
// selection is Fields), or one Type object looked up By a key ("id",
// "slug", "acronym", "key") equal to Value.
type JSONRoot struct {
	Type   string
	List   bool
	Nodes  []*JSONRoot // nodes(ids:): a list of lookups by ID, null where none is found
	Conn   JSONField   // List: the connection field
	By     string
	Value  string
	ID     uint // By "id"
	Fields []JSONField
}

// hidden are the types whose rows or fields depend on who asks (audit
// entries reveal their actor to admins and to the actor only; API tokens
// are for admins): never compiled.
var hidden = map[string]bool{"AuditEntry": true, "ApiToken": true}

// CompileJSON renders r as SQL for s's dialect without running it: an
// error wrapping ErrNotCompiled if r selects what the compiler does not
// cover, the list engine's error if an argument is invalid.
func (s *Store) CompileJSON(r *JSONRoot) (*CompiledJSON, error) {
	if r.Nodes != nil {
		c := &jsonCompiler{s: s, q: s.builder()}
		c.w("SELECT '['")
		for i, n := range r.Nodes {
			e := entityByNode(n.Type)
			if e == nil || hidden[n.Type] || n.By != "id" {
				return nil, notCompiled("node of type %s", n.Type)
			}
			if i > 0 {
				c.w(" || ','")
			}
			a := c.q.newAlias()
			c.w(" || COALESCE((SELECT ")
			if err := c.object(e, a, n.Fields); err != nil {
				return nil, err
			}
			c.w(" FROM ", e.base, " ", a, " WHERE ", a, ".id = ")
			c.q.arg(int64(n.ID))
			c.w("), 'null')")
		}
		c.w(" || ']'")
		return &CompiledJSON{sql: c.q.sql.String(), args: c.q.args}, nil
	}
	e := entityByNode(r.Type)
	if e == nil || hidden[r.Type] {
		return nil, notCompiled("type %s", r.Type)
	}
	c := &jsonCompiler{s: s, q: s.builder()}
	if r.List {
		c.q.write("SELECT ")
		if err := c.connection(e, nil, "", r.Conn); err != nil {
			return nil, err
		}
		if c.seriesFilter != nil {
			c.q.write(" WHERE (SELECT COUNT(*) FROM ")
			if err := c.source(e, nil, "", c.q.newAlias(), *c.seriesFilter); err != nil {
				return nil, err
			}
			c.q.write(") <= ", strconv.Itoa(maxSeriesPoints))
		}
		return &CompiledJSON{sql: c.q.sql.String(), args: c.q.args}, nil
	}
	a := c.q.newAlias()
	c.q.write("SELECT ")
	if err := c.object(e, a, r.Fields); err != nil {
		return nil, err
	}
	c.q.write(" FROM ", e.base, " ", a, " WHERE ")
	switch r.By {
	case "id":
		c.q.write(a, ".id = ")
		c.q.arg(int64(r.ID))
	case "slug":
		c.q.write(a, ".slug = ")
		c.q.arg(canonicalSlug(r.Value))
	case "key":
		c.q.write(a, ".key = ")
		c.q.arg(r.Value)
	case "acronym":
		c.q.write("lower(", a, ".acronym) = lower(")
		c.q.arg(normalizeKey(r.Value))
		c.q.write(")")
	default:
		return nil, notCompiled("lookup by %s", r.By)
	}
	c.q.write(" LIMIT 1")
	return &CompiledJSON{sql: c.q.sql.String(), args: c.q.args}, nil
}

// CompiledJSON is a rendered root field, ready to run.
type CompiledJSON struct {
	sql  string
	args []any
}

// SQL returns the statement's text, for tests and EXPLAIN.
func (c *CompiledJSON) SQL() string { return c.sql }

// QueryJSON runs a compiled root field and returns its JSON, or false
// when its lookup found no row (the caller reports that as gqlgen does).
func (s *Store) QueryJSON(ctx context.Context, c *CompiledJSON) ([]byte, bool, error) {
	q := &sqlBuilder{dialect: s.dialect, args: c.args}
	q.sql.WriteString(c.sql)
	rows, err := s.rows(ctx, q)
	if err != nil {
		return nil, false, dbError(err, "compiled query")
	}
	defer rows.Close()
	if !rows.Next() {
		return nil, false, dbError(rows.Err(), "compiled query")
	}
	var out sql.RawBytes
	if err := rows.Scan(&out); err != nil {
		return nil, false, dbError(err, "compiled query")
	}
	if out == nil {
		// A NULL in the concatenation: a value the renderer failed to
		// guard. Never written as it is (it would be no JSON at all).
		return nil, false, errCompiledNull
	}
	b := make([]byte, len(out))
	copy(b, out)
	return b, true, dbError(rows.Close(), "compiled query")
}

type jsonCompiler struct {
	s *Store
	q *sqlBuilder
	// seriesFilter is the filter of a root list whose series is asked
	// for: the statement then yields no row, and the executor answers
	// with its error, when the series would have more than
	// maxSeriesPoints points.
	seriesFilter *any
}

func (c *jsonCompiler) w(parts ...string) { c.q.write(parts...) }

// key writes the text of a JSON key and its colon, after a comma unless
// first, as an SQL literal followed by ||.
func (c *jsonCompiler) key(k string, first bool, open string) {
	sep := ","
	if first {
		sep = open
	}
	c.w("'", sep, `"`, k, `":' || `)
}

// object writes the JSON text of the row aliased a of e, with fields.
func (c *jsonCompiler) object(e *entity, a string, fields []JSONField) error {
	if hidden[e.node] {
		return notCompiled("type %s", e.node)
	}
	if len(fields) == 0 {
		c.w("'{}'")
		return nil
	}
	c.w("(")
	for i, f := range fields {
		c.key(f.Key, i == 0, "{")
		if err := c.value(e, a, f); err != nil {
			return err
		}
		c.w(" || ")
	}
	c.w("'}')")
	return nil
}

// value writes the JSON text of field f of the row aliased a of e.
func (c *jsonCompiler) value(e *entity, a string, f JSONField) error {
	if f.Name == "__typename" {
		c.w(`'"`, f.Typename, `"'`)
		return nil
	}
	if f.Name == "id" {
		c.globalID(e.node, a+".id")
		return nil
	}
	if l, ok := e.links[f.Name]; ok {
		if l.kind == toOne {
			b := c.q.newAlias()
			c.w("COALESCE((SELECT ")
			if err := c.object(l.to, b, f.Fields); err != nil {
				return err
			}
			c.w(" FROM ", l.to.base, " ", b, " WHERE ", b, ".id = ", a, ".", l.fk, "), 'null')")
			return nil
		}
		return c.connection(l.to, &l, a, f)
	}
	if f.Name == "isOverdue" && e.node == "ActionItem" {
		c.w("CASE WHEN ")
		if err := overdueFilter(c.q, a, reflect.ValueOf(ptrTo(true))); err != nil {
			return err
		}
		c.w(" THEN 'true' ELSE 'false' END")
		return nil
	}
	if pd, ok := partialDateOf(e.typ, f.Name); ok {
		return c.partialDate(a, pd, f.Fields)
	}
	col, ok := outputColumn(e.typ, f.Name)
	if !ok {
		return notCompiled("%s.%s", e.node, f.Name)
	}
	if len(f.Fields) > 0 {
		return notCompiled("%s.%s has a selection", e.node, f.Name)
	}
	return c.scalar(a+"."+col.col, col)
}

func ptrTo[T any](v T) *T { return &v }

// scalar writes the JSON of column expr as gqlgen writes its Go value.
func (c *jsonCompiler) scalar(expr string, f field) error {
	if f.nullable {
		c.w("CASE WHEN ", expr, " IS NULL THEN 'null' ELSE ")
	}
	switch {
	case f.kind == kindText && f.enum:
		c.w(`'"' || `, expr, ` || '"'`)
	case f.kind == kindText:
		c.jsonString(expr)
	case f.kind == kindInt || f.kind == kindID:
		c.w("CAST(", expr, " AS TEXT)")
	case f.kind == kindBool:
		c.w("CASE WHEN ", expr, " THEN 'true' ELSE 'false' END")
	case f.kind == kindDate:
		c.w(`'"' || `, c.dateText(expr), ` || '"'`)
	case f.kind == kindFloat:
		c.w(c.floatText(expr))
	case f.kind == kindTime:
		if err := c.timeJSON(expr); err != nil {
			return err
		}
	default:
		return notCompiled("column %s of kind %d", f.col, f.kind)
	}
	if f.nullable {
		c.w(" END")
	}
	return nil
}

// dateText returns the YYYY-MM-DD text of a date expression.
func (c *jsonCompiler) dateText(expr string) string {
	if c.q.dialect == Postgres {
		return "to_char(" + expr + ", 'YYYY-MM-DD')"
	}
	return "substr(" + expr + ", 1, 10)"
}

// floatText returns the text of a double precision expression as Go's
// %g writes it (gqlgen's MarshalFloat, strconv's 'g' of the cursors): the
// shortest digits that round-trip, in exponent form when the decimal
// exponent is below -4 or at least 6. Postgres
// writes the same shortest digits (extra_float_digits 1, its default)
// with the same exponent form ("1e-05", "1.5e+15") outside exponents -4
// to 14, so only 1e6 ≤ |x| < 1e15 differs: "1234567.5" where Go writes
// "1.2345675e+06", rewritten here from the digits Postgres wrote.
func (c *jsonCompiler) floatText(expr string) string {
	if c.q.dialect == SQLite {
		return "tracker_gql_float(" + expr + ")"
	}
	plain := "abs(" + expr + ")::text"
	whole := "split_part(" + plain + ", '.', 1)"
	digits := "rtrim(" + whole + " || split_part(" + plain + ", '.', 2), '0')"
	return "CASE WHEN abs(" + expr + ") >= 1e6 AND abs(" + expr + ") < 1e15 THEN " +
		"CASE WHEN " + expr + " < 0 THEN '-' ELSE '' END || left(" + digits + ", 1) || " +
		"CASE WHEN length(" + digits + ") > 1 THEN '.' || substr(" + digits + ", 2) ELSE '' END || " +
		"'e+' || lpad(CAST(length(" + whole + ") - 1 AS TEXT), 2, '0') ELSE " + expr + "::text END"
}

// timeJSON writes the JSON of a DateTime expression as gqlgen's
// MarshalTime writes the time.Time the driver scans: null for the zero
// time, else RFC 3339 with the fraction's trailing zeros dropped, in the
// time's own location. SQLite's driver parses the stored text in the
// offset it holds (tracker_gql_time parses it the same way); pgx gives
// time.Local, written here only when that is UTC ("Z").
func (c *jsonCompiler) timeJSON(expr string) error {
	if c.q.dialect == SQLite {
		c.w("tracker_gql_time(", expr, ")")
		return nil
	}
	if !localIsUTC() {
		return notCompiled("DateTime in a local time zone other than UTC")
	}
	c.w("CASE WHEN ", expr, " = '0001-01-01 00:00:00+00' THEN 'null' ELSE '\"' || ", c.pgUTCText(expr), " || '\"' END")
	return nil
}

// pgUTCText returns the RFC 3339 text of a timestamptz expression in UTC,
// as Go's time.RFC3339Nano writes it.
func (c *jsonCompiler) pgUTCText(expr string) string {
	utc := "(" + expr + " AT TIME ZONE 'UTC')"
	us := "to_char(" + utc + ", 'US')"
	return "to_char(" + utc + `, 'YYYY-MM-DD"T"HH24:MI:SS') || CASE WHEN ` + us + " = '000000' THEN '' ELSE '.' || rtrim(" + us + ", '0') END || 'Z'"
}

// localIsUTC reports whether time.Local is UTC at every instant that
// matters: on the solstices of every year from 1900 to 2100.
var localIsUTC = sync.OnceValue(func() bool {
	for y := 1900; y <= 2100; y++ {
		for _, m := range []time.Month{time.January, time.July} {
			if _, off := time.Date(y, m, 1, 12, 0, 0, 0, time.Local).Zone(); off != 0 {
				return false
			}
		}
	}
	return true
})

// sqliteTimeFormats are the layouts the SQLite driver parses DATETIME
// text with (glebarez/go-sqlite's parseTimeFormats), in its order.
var sqliteTimeFormats = []string{
	"2006-01-02 15:04:05.999999999-07:00",
	"2006-01-02T15:04:05.999999999-07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04",
	"2006-01-02T15:04",
	"2006-01-02",
}

// parseSQLiteTime parses DATETIME text as the SQLite driver does when it
// scans it into a time.Time.
func parseSQLiteTime(v driver.Value) (time.Time, error) {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case []byte:
		s = string(x)
	case time.Time:
		return x, nil
	default:
		return time.Time{}, fmt.Errorf("DATETIME holds %T", v)
	}
	ts := s
	if i := strings.Index(ts, "m="); i > 0 {
		ts = ts[:i]
	}
	if t, err := time.Parse("2006-01-02 15:04:05.999999999 -0700 MST", strings.TrimSpace(ts)); err == nil {
		return t, nil
	}
	ts = strings.TrimSuffix(s, "Z")
	for _, f := range sqliteTimeFormats {
		if t, err := time.ParseInLocation(f, ts, time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("DATETIME text %q", s)
}

// controlChars matches the control characters, which text rarely holds:
// text without any needs only its backslashes and quotes escaped.
const controlChars = `'[\x01-\x1f]'`

// jsonString writes the JSON string of a text expression exactly as
// gqlgen's MarshalString does.
func (c *jsonCompiler) jsonString(expr string) {
	if c.q.dialect == SQLite {
		c.w("tracker_gql_quote(", expr, ")")
		return
	}
	c.w("CASE WHEN ", expr, " ~ ", controlChars, " THEN '\"' || ")
	slow := "replace(replace(" + expr + `, '\', '\\'), '"', '\"')`
	for ch := 1; ch < 0x20; ch++ {
		esc := fmt.Sprintf(`\u00%02X`, ch)
		switch ch {
		case '\t':
			esc = `\t`
		case '\n':
			esc = `\n`
		case '\r':
			esc = `\r`
		}
		slow = "replace(" + slow + ", chr(" + strconv.Itoa(ch) + "), '" + esc + "')"
	}
	c.w(slow, ` || '"' ELSE '"' || replace(replace(`, expr, `, '\', '\\'), '"', '\"') || '"' END`)
}

// globalID writes the JSON string of the global ID of node type typ whose
// key is expr: base64url of "Type:id", unpadded.
func (c *jsonCompiler) globalID(typ, expr string) {
	if c.q.dialect == SQLite {
		c.w(`'"' || tracker_b64url('`, typ, `:' || `, expr, `) || '"'`)
		return
	}
	c.w(`'"' || `, c.pgBase64URL("'"+typ+":' || "+expr+"::text"), ` || '"'`)
}

// pgBase64URL returns Postgres's unpadded base64url of a text expression.
func (c *jsonCompiler) pgBase64URL(expr string) string {
	return "rtrim(translate(encode(convert_to(" + expr + ", 'UTF8'), 'base64'), '+/' || chr(10), '-_'), '=')"
}

// partialDateCols are the columns behind a PartialDate field.
type partialDateCols struct{ date, precision string }

// partialDate writes the JSON of a PartialDate of the row aliased a.
func (c *jsonCompiler) partialDate(a string, pd partialDateCols, fields []JSONField) error {
	d, p := a+"."+pd.date, "COALESCE("+a+"."+pd.precision+", 'DAY')"
	c.w("CASE WHEN ", d, " IS NULL THEN 'null' ELSE ")
	if len(fields) == 0 {
		c.w("'{}'")
	}
	pg := c.q.dialect == Postgres
	for i, f := range fields {
		c.key(f.Key, i == 0, "{")
		switch f.Name {
		case "__typename":
			c.w(`'"`, f.Typename, `"'`)
		case "date":
			c.w(`'"' || `, c.dateText(d), ` || '"'`)
		case "precision":
			c.w(`'"' || `, p, ` || '"'`)
		case "start":
			if pg {
				c.w(`'"' || CASE `, p, " WHEN 'YEAR' THEN to_char(date_trunc('year', ", d, "), 'YYYY-MM-DD') WHEN 'MONTH' THEN to_char(date_trunc('month', ", d, "), 'YYYY-MM-DD') ELSE to_char(", d, `, 'YYYY-MM-DD') END || '"'`)
			} else {
				c.w(`'"' || CASE `, p, " WHEN 'YEAR' THEN strftime('%Y-01-01', ", d, ") WHEN 'MONTH' THEN strftime('%Y-%m-01', ", d, ") ELSE substr(", d, `, 1, 10) END || '"'`)
			}
		case "end":
			if pg {
				c.w(`'"' || CASE `, p, " WHEN 'YEAR' THEN to_char(date_trunc('year', ", d, ") + interval '1 year' - interval '1 day', 'YYYY-MM-DD') WHEN 'MONTH' THEN to_char(date_trunc('month', ", d, ") + interval '1 month' - interval '1 day', 'YYYY-MM-DD') ELSE to_char(", d, `, 'YYYY-MM-DD') END || '"'`)
			} else {
				c.w(`'"' || CASE `, p, " WHEN 'YEAR' THEN date(", d, ", 'start of year', '+1 year', '-1 day') WHEN 'MONTH' THEN date(", d, ", 'start of month', '+1 month', '-1 day') ELSE substr(", d, `, 1, 10) END || '"'`)
			}
		case "label":
			if pg {
				c.w(`'"' || CASE `, p, " WHEN 'YEAR' THEN to_char(", d, ", 'YYYY') WHEN 'MONTH' THEN to_char(", d, ", 'FMMonth YYYY') ELSE to_char(", d, `, 'FMDD FMMonth YYYY') END || '"'`)
			} else {
				month := "CASE CAST(strftime('%m', " + d + ") AS INTEGER)"
				for m := time.January; m <= time.December; m++ {
					month += " WHEN " + strconv.Itoa(int(m)) + " THEN '" + m.String() + "'"
				}
				month += " END"
				c.w(`'"' || CASE `, p, " WHEN 'YEAR' THEN strftime('%Y', ", d, ") WHEN 'MONTH' THEN ", month, " || ' ' || strftime('%Y', ", d,
					") ELSE CAST(CAST(strftime('%d', ", d, ") AS INTEGER) AS TEXT) || ' ' || ", month, " || ' ' || strftime('%Y', ", d, `) END || '"'`)
			}
		default:
			return notCompiled("PartialDate.%s", f.Name)
		}
		c.w(" || ")
	}
	if len(fields) > 0 {
		c.w("'}'")
	}
	c.w(" END")
	return nil
}

// connection writes the JSON of a connection over the rows of e: the
// related rows of the row aliased parent through l, or all rows when l
// is nil (a root list).
func (c *jsonCompiler) connection(e *entity, l *link, parent string, f JSONField) error {
	if hidden[e.node] {
		return notCompiled("type %s", e.node)
	}
	if l != nil && l.kind == toMany && l.typeCol != "" && e.node != "Citation" {
		return notCompiled("tagged relation to %s", e.node)
	}
	w, err := f.Page.window(c.s.maxPage)
	if err != nil {
		return err
	}
	keys, err := e.orderKeys(f.OrderBy)
	if err != nil {
		return err
	}
	sig := signature(e.node, keys)
	var cursorVals []any
	if w.cursor != nil {
		if cursorVals, err = decodeCursor(*w.cursor, sig, keys); err != nil {
			return err
		}
	}
	// What the selection needs: the page's items (one expression per
	// nodes or edges entry), their cursors, the count of rows fetched.
	var items []JSONField // nodes and edges fields, in order
	needRows, needCursors := false, false
	for _, cf := range f.Fields {
		switch cf.Name {
		case "nodes", "edges":
			items = append(items, cf)
			needRows = true
		case "pageInfo":
			needRows = true
			for _, pf := range cf.Fields {
				if pf.Name == "startCursor" || pf.Name == "endCursor" {
					needCursors = true
				}
			}
		case "totalCount", "__typename":
		case "progress":
			if e.node != "ActionItem" {
				return notCompiled("%sConnection.%s", e.node, cf.Name)
			}
		case "countsByRole":
			if e.node != "Partnership" {
				return notCompiled("%sConnection.%s", e.node, cf.Name)
			}
		case "countsByPeriod", "countsByPlace":
			if e.node != "Meeting" {
				return notCompiled("%sConnection.%s", e.node, cf.Name)
			}
		case "series":
			// Only at the root: the executor bounds the points of all the
			// parents it lists together, which a nested series cannot see.
			if e.node != "Statistic" || l != nil {
				return notCompiled("%sConnection.%s", e.node, cf.Name)
			}
			c.seriesFilter = &f.Filter
		default:
			return notCompiled("%sConnection.%s", e.node, cf.Name)
		}
	}
	limit := strconv.Itoa(w.limit)
	// The outer object, over z: the aggregated page.
	c.w("(SELECT ")
	for i, cf := range f.Fields {
		c.key(cf.Key, i == 0, "{")
		switch cf.Name {
		case "__typename":
			c.w(`'"`, cf.Typename, `"'`)
		case "totalCount":
			b := c.q.newAlias()
			c.w("CAST((SELECT COUNT(*) FROM ")
			if err := c.source(e, l, parent, b, f.Filter); err != nil {
				return err
			}
			c.w(") AS TEXT)")
		case "progress":
			if err := c.progress(e, l, parent, f.Filter, cf.Fields); err != nil {
				return err
			}
		case "countsByRole":
			if err := c.countsByRole(e, l, parent, f.Filter, cf.Fields); err != nil {
				return err
			}
		case "countsByPeriod":
			if err := c.countsByPeriod(e, l, parent, f.Filter, cf); err != nil {
				return err
			}
		case "countsByPlace":
			if err := c.countsByPlace(e, l, parent, f.Filter, cf.Fields); err != nil {
				return err
			}
		case "series":
			if err := c.series(e, f.Filter, cf.Fields); err != nil {
				return err
			}
		case "nodes", "edges":
			c.w("'[' || COALESCE(z.rel_a", strconv.Itoa(indexOf(items, cf)), ", '') || ']'")
		case "pageInfo":
			more := "CASE WHEN z.rel_n > " + limit + " THEN 'true' ELSE 'false' END"
			given := map[bool]string{true: "'true'", false: "'false'"}[w.cursor != nil]
			first, last := "z.rel_cf", "z.rel_cl"
			if w.backward {
				first, last = last, first
			}
			for j, pf := range cf.Fields {
				c.key(pf.Key, j == 0, "{")
				switch pf.Name {
				case "__typename":
					c.w(`'"`, pf.Typename, `"'`)
				case "hasNextPage":
					c.w(map[bool]string{false: more, true: given}[w.backward])
				case "hasPreviousPage":
					c.w(map[bool]string{true: more, false: given}[w.backward])
				case "startCursor":
					c.w("COALESCE('\"' || ", first, " || '\"', 'null')")
				case "endCursor":
					c.w("COALESCE('\"' || ", last, " || '\"', 'null')")
				default:
					return notCompiled("PageInfo.%s", pf.Name)
				}
				c.w(" || ")
			}
			if len(cf.Fields) == 0 {
				c.w("'{'")
				c.w(" || ")
			}
			c.w("'}'")
		}
		c.w(" || ")
	}
	if len(f.Fields) == 0 {
		c.w("'{' || ")
	}
	c.w("'}'")
	if !needRows {
		c.w(")")
		return nil
	}
	// z: the page aggregated. y: the rows fetched, numbered in page
	// order (reversed when paging backwards). x: the rows fetched, one
	// beyond the page to tell whether more follow.
	pg := c.q.dialect == Postgres
	dir := ""
	if w.backward {
		dir = " DESC"
	}
	// z: the page aggregated, each item's JSON built for the rows of the
	// page only. y: the rows fetched, numbered in page order (reversed
	// when paging backwards). x: the rows fetched, one beyond the page to
	// tell whether more follow.
	y, x, b := c.q.newAlias(), c.q.newAlias(), c.q.newAlias()
	c.w(" FROM (SELECT COUNT(*) AS rel_n")
	for i, it := range items {
		n := strconv.Itoa(i)
		agg := "string_agg"
		if !pg {
			agg = "group_concat"
		}
		c.w(", ", agg, "(CASE WHEN ", y, ".rel_rn <= ", limit, " THEN ")
		if it.Name == "nodes" {
			if err := c.object(e, y, it.Fields); err != nil {
				return err
			}
		} else if err := c.edge(e, y, keys, sig, it.Fields); err != nil {
			return err
		}
		c.w(" END, ','")
		if pg {
			c.w(" ORDER BY ", y, ".rel_rn", dir)
		}
		c.w(") AS rel_a", n)
	}
	if needCursors {
		least := "LEAST"
		if !pg {
			least = "MIN"
		}
		c.w(", MAX(CASE WHEN ", y, ".rel_rn = 1 AND ", y, ".rel_rn <= ", limit, " THEN ")
		c.cursor(y, keys, sig)
		c.w(" END) AS rel_cf, MAX(CASE WHEN ", y, ".rel_rn = ", least, "(", y, ".rel_cnt, ", limit, ") THEN ")
		c.cursor(y, keys, sig)
		c.w(" END) AS rel_cl")
	}
	c.w(" FROM (SELECT ", x, ".*, ROW_NUMBER() OVER (ORDER BY ")
	c.q.orderBy(x, keys, w.backward)
	c.w(") AS rel_rn, COUNT(*) OVER () AS rel_cnt FROM (SELECT ", b, ".* FROM ")
	if err := c.source(e, l, parent, b, f.Filter); err != nil {
		return err
	}
	if cursorVals != nil {
		c.w(" AND ")
		c.q.keyset(b, keys, cursorVals, w.backward)
	}
	c.w(" ORDER BY ")
	c.q.orderBy(b, keys, w.backward)
	c.w(" LIMIT ", strconv.Itoa(w.limit+1), ") ", x)
	if !pg {
		c.w(" ORDER BY rel_rn", dir) // group_concat takes the rows in this order
	}
	c.w(") ", y, ") z)")
	return nil
}

func indexOf(items []JSONField, f JSONField) int {
	for i := range items {
		if items[i].Key == f.Key {
			return i
		}
	}
	return -1
}

// source writes "table b [JOIN …] WHERE <the rows listed>": the related
// rows of parent through l (all rows if l is nil) matching filter.
func (c *jsonCompiler) source(e *entity, l *link, parent, b string, filter any) error {
	c.w(e.table, " ", b)
	if l != nil && l.kind == viaTable {
		j := c.q.newAlias()
		c.w(" JOIN ", l.via, " ", j, " ON ", j, ".", l.far, " = ", b, ".id WHERE ", j, ".", l.near, " = ", parent, ".id AND ")
	} else if l != nil {
		c.w(" WHERE ", b, ".", l.fk, " = ", parent, ".id AND ")
		if l.typeCol != "" {
			c.w(b, ".", l.typeCol, " = '", l.typeName, "' AND ")
		}
	} else {
		c.w(" WHERE ")
	}
	// Each filter is bounded on its own, as the list engine bounds it.
	c.q.conditions, c.q.values = 0, 0
	return c.q.filter(e, b, reflect.ValueOf(filter))
}

// edge writes the JSON of an edge of the row aliased b.
func (c *jsonCompiler) edge(e *entity, b string, keys []orderKey, sig string, fields []JSONField) error {
	if len(fields) == 0 {
		c.w("'{}'")
		return nil
	}
	c.w("(")
	for i, f := range fields {
		c.key(f.Key, i == 0, "{")
		switch f.Name {
		case "__typename":
			c.w(`'"`, f.Typename, `"'`)
		case "cursor":
			c.w(`'"' || `)
			c.cursor(b, keys, sig)
			c.w(` || '"'`)
		case "node":
			if err := c.object(e, b, f.Fields); err != nil {
				return err
			}
		default:
			return notCompiled("%sEdge.%s", e.node, f.Name)
		}
		c.w(" || ")
	}
	c.w("'}')")
	return nil
}

// cursor writes the text of the cursor of the row aliased b: base64url of
// the JSON array [signature hash, key values...], as encodeCursor writes it.
func (c *jsonCompiler) cursor(b string, keys []orderKey, sig string) {
	if c.q.dialect == SQLite {
		kinds := make([]byte, len(keys))
		for i, k := range keys {
			kinds[i] = byte('0' + k.kind)
		}
		c.w("tracker_cursor('", sigHash(sig), "', '", string(kinds), "'")
		for _, k := range keys {
			c.w(", ", b, ".", k.col)
		}
		c.w(")")
		return
	}
	var j strings.Builder
	j.WriteString(`'["` + sigHash(sig) + `"'`)
	for _, k := range keys {
		col := b + "." + k.col
		var v string
		switch k.kind {
		case kindText:
			v = "replace(replace(replace(replace(replace(to_json(" + col + `)::text, '<', '\u003c'), '>', '\u003e'), '&', '\u0026'), chr(8232), '\u2028'), chr(8233), '\u2029')`
		case kindInt, kindID:
			v = col + "::text"
		case kindBool:
			v = "CASE WHEN " + col + " THEN 'true' ELSE 'false' END"
		case kindDate:
			v = `'"' || to_char(` + col + `, 'YYYY-MM-DD') || '"'`
		case kindFloat:
			v = `'"' || ` + c.floatText(col) + ` || '"'`
		case kindTime:
			v = `'"' || ` + c.pgUTCText(col) + ` || '"'`
		}
		if k.nullable {
			v = "COALESCE(" + v + ", 'null')"
		}
		j.WriteString(" || ',' || " + v)
	}
	j.WriteString(" || ']'")
	c.w(c.pgBase64URL(j.String()))
}

// outputColumn returns the column behind the GraphQL field name of row
// type t when gqlgen writes it straight from a struct field: a field of
// that name, with no method of that name beside it (a method computes).
func outputColumn(t reflect.Type, name string) (field, bool) {
	if name == "" {
		return field{}, false
	}
	goName := strings.ToUpper(name[:1]) + name[1:]
	if _, ok := reflect.PointerTo(t).MethodByName(goName); ok {
		return field{}, false
	}
	if _, ok := t.FieldByName(goName); !ok {
		return field{}, false
	}
	f, err := columnField(t, goName)
	return f, err == nil
}

var partialDates sync.Map // partialDateKey → partialDateCols (or nil)

type partialDateKey struct {
	t    reflect.Type
	name string
}

// partialDateOf returns the date and precision columns a *PartialDate
// method of row type t reads, found by calling it on probe rows: each
// *Date field set in turn tells which date it returns, each
// *DatePrecision field which precision.
func partialDateOf(t reflect.Type, name string) (partialDateCols, bool) {
	key := partialDateKey{t, name}
	if v, ok := partialDates.Load(key); ok {
		pd, ok := v.(partialDateCols)
		return pd, ok
	}
	pd, ok := probePartialDate(t, name)
	if ok {
		partialDates.Store(key, pd)
	} else {
		partialDates.Store(key, nil)
	}
	return pd, ok
}

func probePartialDate(t reflect.Type, name string) (partialDateCols, bool) {
	if name == "" {
		return partialDateCols{}, false
	}
	m, ok := reflect.PointerTo(t).MethodByName(strings.ToUpper(name[:1]) + name[1:])
	if !ok || m.Type.NumIn() != 1 || m.Type.NumOut() != 1 || m.Type.Out(0) != reflect.TypeFor[*PartialDate]() {
		return partialDateCols{}, false
	}
	// The fields that may hold the date and the precision, optional
	// (pointers) or not.
	var dates, precisions []string
	for i := range t.NumField() {
		switch t.Field(i).Type {
		case reflect.TypeFor[*Date](), reflect.TypeFor[Date]():
			dates = append(dates, t.Field(i).Name)
		case reflect.TypeFor[*DatePrecision](), reflect.TypeFor[DatePrecision]():
			precisions = append(precisions, t.Field(i).Name)
		}
	}
	// set stores x in a field of type T or *T.
	set := func(f reflect.Value, x any) {
		if f.Kind() == reflect.Pointer {
			p := reflect.New(f.Type().Elem())
			p.Elem().Set(reflect.ValueOf(x))
			f.Set(p)
			return
		}
		f.Set(reflect.ValueOf(x))
	}
	call := func(set func(reflect.Value)) *PartialDate {
		row := reflect.New(t)
		set(row.Elem())
		return m.Func.Call([]reflect.Value{row})[0].Interface().(*PartialDate)
	}
	var pd partialDateCols
	for _, d := range dates {
		probe := NewDate(1234, time.May, 6)
		if got := call(func(v reflect.Value) { set(v.FieldByName(d), probe) }); got != nil && got.Date == probe {
			if pd.date != "" {
				return partialDateCols{}, false
			}
			f, err := columnField(t, d)
			if err != nil {
				return partialDateCols{}, false
			}
			pd.date = f.col
			for _, p := range precisions {
				got := call(func(v reflect.Value) {
					set(v.FieldByName(d), probe)
					set(v.FieldByName(p), DatePrecisionMonth)
				})
				if got.Precision == DatePrecisionMonth {
					f, err := columnField(t, p)
					if err != nil || pd.precision != "" {
						return partialDateCols{}, false
					}
					pd.precision = f.col
				}
			}
		}
	}
	return pd, pd.date != "" && pd.precision != ""
}

// registerJSONFunctions adds the functions compiled reads call on SQLite,
// which has no base64: each is the Go code the executor runs, so both
// paths write the same bytes.
func registerJSONFunctions() {
	gosqlite.MustRegisterDeterministicScalarFunction("tracker_gql_quote", 1, func(_ *gosqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		switch v := args[0].(type) {
		case nil:
			return "null", nil
		case string:
			return quoteGQL(v), nil
		case []byte:
			return quoteGQL(string(v)), nil
		}
		return nil, fmt.Errorf("tracker_gql_quote: %T", args[0])
	})
	gosqlite.MustRegisterDeterministicScalarFunction("tracker_gql_float", 1, func(_ *gosqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		switch v := args[0].(type) {
		case float64:
			return fmt.Sprintf("%g", v), nil // gqlgen's MarshalFloat
		case int64:
			return fmt.Sprintf("%g", float64(v)), nil
		}
		return nil, fmt.Errorf("tracker_gql_float: %T", args[0])
	})
	gosqlite.MustRegisterDeterministicScalarFunction("tracker_gql_time", 1, func(_ *gosqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		if args[0] == nil {
			return "null", nil
		}
		t, err := parseSQLiteTime(args[0])
		if err != nil {
			return nil, fmt.Errorf("tracker_gql_time: %w", err)
		}
		if t.IsZero() {
			return "null", nil // gqlgen's MarshalTime
		}
		return strconv.Quote(t.Format(time.RFC3339Nano)), nil
	})
	gosqlite.MustRegisterDeterministicScalarFunction("tracker_b64url", 1, func(_ *gosqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		switch v := args[0].(type) {
		case string:
			return base64.RawURLEncoding.EncodeToString([]byte(v)), nil
		case []byte:
			return base64.RawURLEncoding.EncodeToString(v), nil
		}
		return nil, fmt.Errorf("tracker_b64url: %T", args[0])
	})
	gosqlite.MustRegisterDeterministicScalarFunction("tracker_cursor", -1, func(_ *gosqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		return sqliteCursor(args)
	})
}

// sqliteCursor is encodeCursor over SQLite values: the signature hash,
// the kinds of the keys (one digit each), then the key values.
func sqliteCursor(args []driver.Value) (driver.Value, error) {
	if len(args) < 2 {
		return nil, fmt.Errorf("tracker_cursor: %d arguments", len(args))
	}
	h, _ := args[0].(string)
	kinds, _ := args[1].(string)
	vals := args[2:]
	if len(kinds) != len(vals) {
		return nil, fmt.Errorf("tracker_cursor: %d kinds for %d values", len(kinds), len(vals))
	}
	out := make([]any, 0, len(vals)+1)
	out = append(out, h)
	for i, v := range vals {
		if b, ok := v.([]byte); ok {
			v = string(b)
		}
		if v == nil {
			out = append(out, nil)
			continue
		}
		switch fieldKind(kinds[i] - '0') {
		case kindText:
			s, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("tracker_cursor: text key holds %T", v)
			}
			out = append(out, s)
		case kindInt, kindID:
			n, ok := v.(int64)
			if !ok {
				return nil, fmt.Errorf("tracker_cursor: integer key holds %T", v)
			}
			out = append(out, n)
		case kindBool:
			n, ok := v.(int64)
			if !ok {
				return nil, fmt.Errorf("tracker_cursor: boolean key holds %T", v)
			}
			out = append(out, n != 0)
		case kindDate:
			var d Date
			if err := d.Scan(v); err != nil {
				return nil, err
			}
			out = append(out, d.String())
		case kindTime:
			t, err := parseSQLiteTime(v)
			if err != nil {
				return nil, fmt.Errorf("tracker_cursor: %w", err)
			}
			out = append(out, t.UTC().Format(time.RFC3339Nano))
		case kindFloat:
			f, ok := v.(float64)
			if !ok {
				if n, isInt := v.(int64); isInt {
					f, ok = float64(n), true
				}
			}
			if !ok {
				return nil, fmt.Errorf("tracker_cursor: float key holds %T", v)
			}
			out = append(out, strconv.FormatFloat(f, 'g', -1, 64))
		default:
			return nil, fmt.Errorf("tracker_cursor: key kind %c", kinds[i])
		}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// quoteGQL returns s as a JSON string the way gqlgen's MarshalString
// writes it: \t, \n, \r, \\ and \" escaped by name, the other control
// characters as \u00XX in upper-case hex, everything else as it is.
func quoteGQL(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	start := 0
	for i, c := range s {
		if c >= 0x20 && c != '\\' && c != '"' {
			continue
		}
		b.WriteString(s[start:i])
		switch c {
		case '\t':
			b.WriteString(`\t`)
		case '\r':
			b.WriteString(`\r`)
		case '\n':
			b.WriteString(`\n`)
		case '\\':
			b.WriteString(`\\`)
		case '"':
			b.WriteString(`\"`)
		default:
			b.WriteString(`\u00`)
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xf])
		}
		start = i + 1
	}
	b.WriteString(s[start:])
	b.WriteByte('"')
	return b.String()
}

// progress writes the JSON of the ActionItemProgress of the action items
// of a connection, as Store.ActionItemProgress computes it.
func (c *jsonCompiler) progress(e *entity, l *link, parent string, filter any, fields []JSONField) error {
	b := c.q.newAlias()
	// A selection of no count (only __typename, or statuses without
	// their counts) is read from the count of the items, one row always:
	// over the items themselves it would yield no row (NULL) when none
	// matches, and one per item otherwise.
	aggregated := false
	count := func(cond string) string {
		aggregated = true
		return "COALESCE(SUM(CASE WHEN " + cond + " THEN 1 ELSE 0 END), 0)"
	}
	status := func(st ...ActionItemStatus) string {
		list := make([]string, len(st))
		for i, s := range st {
			list[i] = "'" + string(s) + "'"
		}
		return count(b + ".status IN (" + strings.Join(list, ", ") + ")")
	}
	c.w("(SELECT ")
	if len(fields) == 0 {
		c.w("'{}'")
	}
	for i, f := range fields {
		c.key(f.Key, i == 0, "{")
		switch f.Name {
		case "__typename":
			c.w(`'"`, f.Typename, `"'`)
		case "total":
			aggregated = true
			c.w("CAST(COUNT(*) AS TEXT)")
		case "done":
			c.w("CAST(", status(ActionItemStatusDone), " AS TEXT)")
		case "open":
			c.w("CAST(", status(ActionItemStatusNotStarted, ActionItemStatusInProgress, ActionItemStatusBlocked), " AS TEXT)")
		case "blocked":
			c.w("CAST(", status(ActionItemStatusBlocked), " AS TEXT)")
		case "overdue":
			aggregated = true
			c.w("CAST(COALESCE(SUM(CASE WHEN ")
			if err := overdueFilter(c.q, b, trueValue); err != nil {
				return err
			}
			c.w(" THEN 1 ELSE 0 END), 0) AS TEXT)")
		case "shareDone":
			countable := "(COUNT(*) - " + status(ActionItemStatusCancelled) + ")"
			share := c.floatText("(CAST(" + status(ActionItemStatusDone) + " AS DOUBLE PRECISION) / " + countable + ")")
			c.w("CASE WHEN ", countable, " > 0 THEN ", share, " ELSE 'null' END")
		case "countsByStatus", "byStatus":
			c.w("'['")
			for j, st := range AllActionItemStatus {
				if j > 0 {
					c.w(" || ','")
				}
				c.w(" || ")
				if len(f.Fields) == 0 {
					c.w("'{}'")
				}
				for k, sf := range f.Fields {
					c.key(sf.Key, k == 0, "{")
					switch sf.Name {
					case "__typename":
						c.w(`'"`, sf.Typename, `"'`)
					case "status":
						c.w(`'"`, string(st), `"'`)
					case "count":
						c.w("CAST(", status(st), " AS TEXT)")
					default:
						return notCompiled("ActionItemStatusCount.%s", sf.Name)
					}
					c.w(" || ")
				}
				if len(f.Fields) > 0 {
					c.w("'}'")
				}
			}
			c.w(" || ']'")
		default:
			return notCompiled("ActionItemProgress.%s", f.Name)
		}
		c.w(" || ")
	}
	if len(fields) > 0 {
		c.w("'}'")
	}
	c.w(" FROM ")
	if !aggregated {
		c.w("(SELECT COUNT(*) AS rel_n FROM ")
	}
	if err := c.source(e, l, parent, b, filter); err != nil {
		return err
	}
	if !aggregated {
		c.w(") ", c.q.newAlias())
	}
	c.w(")")
	return nil
}

// groups writes the JSON array of the groups of the rows of a connection,
// one object per group, as the aggregates of aggregate.go list them: cols
// are the columns of a group over the rows aliased b (rel_n their count
// among them), extra a further condition on the rows ("" for none), group
// the grouping expression, order the groups' order over those columns,
// and item writes one group's fields from the columns of alias g.
func (c *jsonCompiler) groups(e *entity, l *link, parent string, filter any, fields []JSONField,
	cols func(b string) string, extra func(b string) string, group func(b string) string, order string,
	item func(g string, f JSONField) error) error {
	b, g := c.q.newAlias(), c.q.newAlias()
	pg := c.q.dialect == Postgres
	agg := "string_agg"
	if !pg {
		agg = "group_concat"
	}
	c.w("(SELECT '[' || COALESCE(", agg, "(")
	if len(fields) == 0 {
		c.w("'{}'")
	}
	for i, f := range fields {
		c.key(f.Key, i == 0, "{")
		if f.Name == "__typename" {
			c.w(`'"`, f.Typename, `"'`)
		} else if err := item(g, f); err != nil {
			return err
		}
		c.w(" || ")
	}
	if len(fields) > 0 {
		c.w("'}'")
	}
	c.w(", ','")
	if pg {
		c.w(" ORDER BY ", order)
	}
	c.w("), '') || ']' FROM (SELECT ", cols(b), ", COUNT(*) AS rel_n FROM ")
	if err := c.source(e, l, parent, b, filter); err != nil {
		return err
	}
	if extra != nil {
		c.w(" AND ", extra(b))
	}
	c.w(" GROUP BY ", group(b))
	if !pg {
		c.w(" ORDER BY ", order) // group_concat takes the rows in this order
	}
	c.w(") ", g, ")")
	return nil
}

// countsByRole writes PartnershipConnection.countsByRole as
// Store.PartnershipCountsByRole computes it: the roles held, in the
// enum's order.
func (c *jsonCompiler) countsByRole(e *entity, l *link, parent string, filter any, fields []JSONField) error {
	var order strings.Builder
	order.WriteString("CASE rel_role")
	for i, r := range AllPartnershipRole {
		fmt.Fprintf(&order, " WHEN '%s' THEN %d", r, i)
	}
	order.WriteString(" END")
	return c.groups(e, l, parent, filter, fields,
		func(b string) string {
			return b + ".role AS rel_role, COUNT(DISTINCT " + b + ".organization_id) AS rel_orgs"
		}, nil,
		func(b string) string { return b + ".role" }, order.String(),
		func(g string, f JSONField) error {
			switch f.Name {
			case "role":
				c.w(`'"' || `, g, `.rel_role || '"'`)
			case "count":
				c.w("CAST(", g, ".rel_n AS TEXT)")
			case "organizations":
				c.w("CAST(", g, ".rel_orgs AS TEXT)")
			default:
				return notCompiled("PartnershipRoleCount.%s", f.Name)
			}
			return nil
		})
}

// countsByPeriod writes MeetingConnection.countsByPeriod as
// Store.MeetingCountsByPeriod computes it: the periods of the meetings
// with a start date, earliest first, each period's bounds derived from its
// name as periodBounds derives them.
func (c *jsonCompiler) countsByPeriod(e *entity, l *link, parent string, filter any, f JSONField) error {
	interval, ok := f.Args["interval"].(TimeInterval)
	if !ok || !interval.IsValid() {
		return notCompiled("countsByPeriod interval %v", f.Args["interval"])
	}
	pg := c.q.dialect == Postgres
	months := map[TimeInterval]int{TimeIntervalMonth: 1, TimeIntervalQuarter: 3, TimeIntervalYear: 12}[interval]
	start := func(g string) string {
		p := g + ".rel_period"
		switch {
		case interval == TimeIntervalYear:
			return p + " || '-01-01'"
		case interval == TimeIntervalMonth:
			return p + " || '-01'"
		case pg:
			return "left(" + p + ", 4) || '-' || lpad(CAST(CAST(right(" + p + ", 1) AS INTEGER) * 3 - 2 AS TEXT), 2, '0') || '-01'"
		}
		return "substr(" + p + ", 1, 4) || '-' || printf('%02d', CAST(substr(" + p + ", 7) AS INTEGER) * 3 - 2) || '-01'"
	}
	end := func(g string) string {
		if pg {
			return "to_char(CAST(" + start(g) + " AS DATE) + interval '" + strconv.Itoa(months) + " months' - interval '1 day', 'YYYY-MM-DD')"
		}
		return "date(" + start(g) + ", '+" + strconv.Itoa(months) + " months', '-1 day')"
	}
	order := "rel_period"
	if pg {
		order += ` COLLATE "C"`
	}
	return c.groups(e, l, parent, filter, f.Fields,
		func(b string) string { return periodExpr(c.q.dialect, interval, b+".starts_on") + " AS rel_period" },
		func(b string) string { return b + ".starts_on IS NOT NULL" },
		func(b string) string { return periodExpr(c.q.dialect, interval, b+".starts_on") }, order,
		func(g string, f JSONField) error {
			switch f.Name {
			case "period":
				c.w(`'"' || `, g, `.rel_period || '"'`)
			case "start":
				c.w(`'"' || `, start(g), ` || '"'`)
			case "end":
				c.w(`'"' || `, end(g), ` || '"'`)
			case "count":
				c.w("CAST(", g, ".rel_n AS TEXT)")
			default:
				return notCompiled("PeriodCount.%s", f.Name)
			}
			return nil
		})
}

// countsByPlace writes MeetingConnection.countsByPlace as
// Store.MeetingCountsByPlace computes it: most meetings first, then by
// place ID, meetings with no known place (null) as place 0.
func (c *jsonCompiler) countsByPlace(e *entity, l *link, parent string, filter any, fields []JSONField) error {
	places := entityByNode("Place")
	if places == nil {
		return notCompiled("type Place")
	}
	return c.groups(e, l, parent, filter, fields,
		func(b string) string { return b + ".place_id AS rel_place" }, nil,
		func(b string) string { return b + ".place_id" }, "rel_n DESC, COALESCE(rel_place, 0)",
		func(g string, f JSONField) error {
			switch f.Name {
			case "place":
				p := c.q.newAlias()
				c.w("COALESCE((SELECT ")
				if err := c.object(places, p, f.Fields); err != nil {
					return err
				}
				c.w(" FROM ", places.base, " ", p, " WHERE ", p, ".id = ", g, ".rel_place), 'null')")
			case "count":
				c.w("CAST(", g, ".rel_n AS TEXT)")
			default:
				return notCompiled("PlaceCount.%s", f.Name)
			}
			return nil
		})
}

// series writes StatisticConnection.series as Store.StatisticSeries
// computes it: the rows grouped by metric and scope, the series in the
// order of their keys and the points by date then ID (the executor's
// ORDER BY, NULLs where the dialect puts them), each point's change from
// the previous one and each series' from its first point to its last,
// in double precision as Go's delta computes them.
func (c *jsonCompiler) series(e *entity, filter any, fields []JSONField) error {
	pg := c.q.dialect == Postgres
	agg := "string_agg"
	if !pg {
		agg = "group_concat"
	}
	b, p, s := c.q.newAlias(), c.q.newAlias(), c.q.newAlias()
	var points []JSONField // each points entry, aggregated on its own
	for _, f := range fields {
		if f.Name == "points" {
			points = append(points, f)
		}
	}
	keys := "metric_id, scope_organization_id, scope_place_id, scope"
	within := "as_of, id"
	c.w("(SELECT '[' || COALESCE(", agg, "(")
	if len(fields) == 0 {
		c.w("'{}'")
	}
	for i, f := range fields {
		c.key(f.Key, i == 0, "{")
		switch f.Name {
		case "__typename":
			c.w(`'"`, f.Typename, `"'`)
		case "metric", "scopeOrganization", "scopePlace", "scope":
			if err := c.value(e, s, f); err != nil {
				return err
			}
		case "points":
			c.w("'[' || ", s, ".rel_points", strconv.Itoa(indexOf(points, f)), " || ']'")
		case "change", "changePercent":
			c.delta(f.Name, s+".rel_n > 1", s+".rel_last", s+".rel_first")
		default:
			return notCompiled("StatisticSeries.%s", f.Name)
		}
		c.w(" || ")
	}
	if len(fields) > 0 {
		c.w("'}'")
	}
	c.w(", ',' ORDER BY ", s+".metric_id, ", s+".scope_organization_id, ", s+".scope_place_id, ", s+".scope")
	c.w("), '') || ']' FROM (SELECT ", keys, ", COUNT(*) AS rel_n, MAX(rel_first) AS rel_first, MAX(rel_last) AS rel_last, ")
	for i, pf := range points {
		c.w(agg, "(")
		if err := c.seriesPoint(e, p, pf.Fields); err != nil {
			return err
		}
		c.w(", ',' ORDER BY ", p, ".as_of, ", p, ".id) AS rel_points", strconv.Itoa(i), ", ")
	}
	c.w("0 AS rel_none FROM (SELECT ", b, ".*, ROW_NUMBER() OVER w AS rel_i, LAG(", b, ".value) OVER w AS rel_prev, ",
		"FIRST_VALUE(", b, ".value) OVER w AS rel_first, LAST_VALUE(", b, ".value) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS rel_last FROM ")
	if err := c.source(e, nil, "", b, filter); err != nil {
		return err
	}
	c.w(" WINDOW w AS (PARTITION BY ", keys, " ORDER BY ", within, ")) ", p, " GROUP BY ", keys, ") ", s, ")")
	return nil
}

// delta writes a change (name "change") or a changePercent from prev to
// cur, null unless more holds, or for a percent of a zero prev: the
// executor's delta, in SQL.
func (c *jsonCompiler) delta(name, more, cur, prev string) {
	if name == "change" {
		c.w("CASE WHEN ", more, " THEN ", c.floatText("("+cur+" - "+prev+")"), " ELSE 'null' END")
		return
	}
	c.w("CASE WHEN ", more, " AND ", prev, " <> 0 THEN ",
		c.floatText("(("+cur+" - "+prev+") * 100 / "+prev+")"), " ELSE 'null' END")
}

// seriesPoint writes one SeriesPoint of the statistic aliased p (with its
// rel_i, rel_prev columns).
func (c *jsonCompiler) seriesPoint(e *entity, p string, fields []JSONField) error {
	if len(fields) == 0 {
		c.w("'{}'")
		return nil
	}
	for i, f := range fields {
		c.key(f.Key, i == 0, "{")
		switch f.Name {
		case "__typename":
			c.w(`'"`, f.Typename, `"'`)
		case "statistic":
			if err := c.object(e, p, f.Fields); err != nil {
				return err
			}
		case "value", "asOf":
			if err := c.value(e, p, f); err != nil {
				return err
			}
		case "change", "changePercent":
			c.delta(f.Name, p+".rel_i > 1", p+".value", p+".rel_prev")
		default:
			return notCompiled("SeriesPoint.%s", f.Name)
		}
		c.w(" || ")
	}
	c.w("'}'")
	return nil
}
