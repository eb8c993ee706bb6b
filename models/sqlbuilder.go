package models

import (
	"database/sql/driver"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Dialect names the SQL database behind a Store.
type Dialect string

// The supported databases.
const (
	Postgres Dialect = "postgres"
	SQLite   Dialect = "sqlite"
)

// sqlBuilder accumulates SQL text with "?" placeholders and their arguments.
// User input only ever reaches the database as an argument: filters are
// translated field by field into fixed SQL fragments.
type sqlBuilder struct {
	dialect Dialect
	sql     strings.Builder
	args    []any
	aliases int

	// rows, when positive, is how many rows the statement returns at most,
	// so that scanning allocates for them at once.
	rows int

	// A filter's size, bounded by the Max* limits below: filters come in
	// variables, which no query limit sees.
	depth, conditions, values int
}

// Limits of a filter. Nesting counts and/or/not and relations; conditions
// count filter objects and their operators; values count the items of all
// its in/notIn lists together (each is a bound parameter, and a statement
// takes at most 65,535 on Postgres).
const (
	MaxFilterDepth      = 12
	MaxFilterConditions = 250
	MaxFilterValues     = 1000
)

// filterTooLarge is the error of a filter beyond one of its limits.
func filterTooLarge(what string, limit, actual int) error {
	e := Errorf(CodeFilterTooLarge, "the filter is too large: at most %d %s", limit, what)
	e.Details = map[string]any{"limit": limit, "actual": actual}
	return e
}

// count adds n conditions to the filter being written.
func (q *sqlBuilder) count(n int) error {
	q.conditions += n
	if q.conditions > MaxFilterConditions {
		return filterTooLarge("conditions", MaxFilterConditions, q.conditions)
	}
	return nil
}

func (q *sqlBuilder) write(parts ...string) {
	for _, p := range parts {
		q.sql.WriteString(p)
	}
}

// arg writes a placeholder for v.
func (q *sqlBuilder) arg(v any) {
	q.sql.WriteByte('?')
	q.args = append(q.args, v)
}

// dateArg writes a placeholder for d typed as a date where the context does
// not tell Postgres its type (as in a CASE); SQLite compares the text.
func (q *sqlBuilder) dateArg(d Date) {
	q.arg(d)
	if q.dialect == Postgres {
		q.write("::date")
	}
}

// newAlias returns a fresh table alias for a subquery.
func (q *sqlBuilder) newAlias() string {
	q.aliases++
	return "t" + strconv.Itoa(q.aliases)
}

// inIDs writes "expr IN (ids)" in the form each database plans best: one
// array parameter on Postgres, so the statement text does not vary with the
// number of IDs, and a JSON array on SQLite.
func (q *sqlBuilder) inIDs(expr string, ids []uint) {
	if q.dialect == Postgres {
		q.write(expr, " = ANY(")
		q.arg(int8Array(ids))
		q.write("::bigint[])")
		return
	}
	q.write(expr, " IN (SELECT value FROM json_each(")
	q.arg(joinIDs(ids, "[", "]"))
	q.write("))")
}

// int8Array is a Postgres bigint[] parameter. As a driver.Valuer it reaches
// the driver whole: GORM would expand a plain slice into a list.
type int8Array []uint

// Value returns the array's text form, such as {1,2,3}.
func (a int8Array) Value() (driver.Value, error) { return joinIDs(a, "{", "}"), nil }

// joinIDs writes ids separated by commas between open and close.
func joinIDs(ids []uint, open, close string) string {
	var b strings.Builder
	b.WriteString(open)
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatUint(uint64(id), 10))
	}
	b.WriteString(close)
	return b.String()
}

// sortExpr returns the expression a column is sorted by: text sorts by code
// point on both databases, whatever the Postgres collation.
func (q *sqlBuilder) sortExpr(alias string, f field) string {
	if f.kind == kindText && q.dialect == Postgres {
		return alias + "." + f.col + ` COLLATE "C"`
	}
	return alias + "." + f.col
}

// orderBy writes the ORDER BY terms of keys, reversed when backward. Unknown
// values sort last in either direction. An ascending key sorts as a plain
// Postgres index does (NULLS LAST), so lists in index order read the index.
func (q *sqlBuilder) orderBy(alias string, keys []orderKey, backward bool) {
	for i, k := range keys {
		if i > 0 {
			q.write(", ")
		}
		q.write(q.sortExpr(alias, k.field))
		if k.desc != backward {
			q.write(" DESC")
		} else {
			q.write(" ASC")
		}
		if k.nullable {
			if backward {
				q.write(" NULLS FIRST")
			} else {
				q.write(" NULLS LAST")
			}
		}
	}
}

// keyset writes the condition selecting the rows strictly after (or, when
// backward, before) the row whose key values are vals.
func (q *sqlBuilder) keyset(alias string, keys []orderKey, vals []any, backward bool) {
	q.write("(")
	first := true
	for i := range keys {
		// Disjunct i: keys before i equal, key i strictly beyond.
		k, v := keys[i], vals[i]
		if v == nil && !backward {
			continue // nothing sorts after NULL within a NULL group but later keys
		}
		if !first {
			q.write(" OR ")
		}
		first = false
		q.write("(")
		for j := range i {
			q.keyEqual(alias, keys[j], vals[j])
			q.write(" AND ")
		}
		q.keyBeyond(alias, k, v, backward)
		q.write(")")
	}
	if first {
		q.write("1 = 0")
	}
	q.write(")")
}

func (q *sqlBuilder) keyEqual(alias string, k orderKey, v any) {
	if v == nil {
		q.write(alias, ".", k.col, " IS NULL")
		return
	}
	q.write(q.sortExpr(alias, k.field), " = ")
	q.arg(bindValue(v))
}

// keyBeyond writes "key is past v" in the direction of travel, with NULLs
// last: going forward past a value includes the NULLs; going backward from
// NULL includes every value.
func (q *sqlBuilder) keyBeyond(alias string, k orderKey, v any, backward bool) {
	if v == nil { // backward from a NULL: any non-NULL value comes before
		q.write(alias, ".", k.col, " IS NOT NULL")
		return
	}
	op := " > "
	if k.desc != backward {
		op = " < "
	}
	if k.nullable && !backward {
		q.write("(", alias, ".", k.col, " IS NULL OR ", q.sortExpr(alias, k.field), op)
		q.arg(bindValue(v))
		q.write(")")
		return
	}
	q.write(q.sortExpr(alias, k.field), op)
	q.arg(bindValue(v))
}

// bindValue converts a Go value into what both drivers compare correctly.
func bindValue(v any) any {
	if t, ok := v.(time.Time); ok {
		return t.UTC()
	}
	return v
}

// filter writes the condition of a generated filter struct (*XFilter) over
// the rows of e aliased alias. A nil filter is true.
func (q *sqlBuilder) filter(e *entity, alias string, f reflect.Value) error {
	if !f.IsValid() {
		q.write("1 = 1")
		return nil
	}
	if f.Kind() == reflect.Pointer {
		if f.IsNil() {
			q.write("1 = 1")
			return nil
		}
		f = f.Elem()
	}
	if q.depth++; q.depth > MaxFilterDepth {
		return filterTooLarge("levels of nesting", MaxFilterDepth, q.depth)
	}
	defer func() { q.depth-- }()
	if err := q.count(1); err != nil {
		return err
	}
	q.write("(")
	n := 0
	and := func() {
		if n > 0 {
			q.write(" AND ")
		}
		n++
	}
	t := f.Type()
	for i := range t.NumField() {
		v := f.Field(i)
		if (v.Kind() == reflect.Pointer || v.Kind() == reflect.Slice) && v.IsNil() {
			continue
		}
		name := jsonName(t.Field(i))
		var err error
		switch name {
		case "and", "or":
			if v.Len() == 0 {
				continue
			}
			and()
			sep := map[string]string{"and": " AND ", "or": " OR "}[name]
			q.write("(")
			for j := range v.Len() {
				if j > 0 {
					q.write(sep)
				}
				if err = q.filter(e, alias, v.Index(j)); err != nil {
					return err
				}
			}
			q.write(")")
		case "not":
			and()
			q.write("NOT COALESCE(")
			err = q.filter(e, alias, v)
			q.write(", FALSE)")
		case "isNull": // a to-one relation's filter takes it out first (filterField)
			return Errorf(CodeInvalid, "isNull on %s filters an object that always exists here: put it in a to-one relation's filter, such as parent: {isNull: true}",
				WithArticle(e.node))
		default:
			and()
			err = q.filterField(e, alias, name, v)
		}
		if err != nil {
			return err
		}
	}
	if n == 0 {
		q.write("1 = 1")
	}
	q.write(")")
	return nil
}

func (q *sqlBuilder) filterField(e *entity, alias, name string, v reflect.Value) error {
	if f, ok := e.fields[name]; ok {
		return q.operators(alias, f, v.Elem())
	}
	if s, ok := e.specials[name]; ok {
		return s(q, alias, v)
	}
	l, ok := e.links[name]
	if !ok {
		return fmt.Errorf("%s filter: field %q is not mapped", e.node, name)
	}
	switch l.kind {
	case toOne:
		if isNull := v.Elem().FieldByName("IsNull"); isNull.IsValid() && !isNull.IsNil() {
			return q.toOneIsNull(l, alias, v, isNull.Elem().Bool())
		}
		if id, ok := onlyIDEquals(v.Elem()); ok { // the common case needs no subquery
			n, err := id.As(l.to.node)
			if err != nil {
				return err
			}
			q.write(alias, ".", l.fk, " = ")
			q.arg(int64(n))
			return nil
		}
		return q.exists(l, alias, v, false)
	}
	// A list filter: {some, every, none}.
	lf := v.Elem()
	terms := 0
	for _, quant := range []string{"Some", "Every", "None"} {
		inner := lf.FieldByName(quant)
		if inner.IsNil() {
			continue
		}
		if terms > 0 {
			q.write(" AND ")
		}
		terms++
		var err error
		switch quant {
		case "Some":
			err = q.exists(l, alias, inner, false)
		case "Every": // no related row fails the filter
			q.write("NOT ")
			err = q.exists(l, alias, inner, true)
		case "None":
			q.write("NOT ")
			err = q.exists(l, alias, inner, false)
		}
		if err != nil {
			return err
		}
	}
	if terms == 0 {
		q.write("1 = 1")
	}
	return nil
}

// toOneIsNull writes the condition of a to-one relation's filter f that
// sets isNull: whether the row refers to no related row, and the filter's
// other conditions on the related row, if any.
func (q *sqlBuilder) toOneIsNull(l link, alias string, f reflect.Value, isNull bool) error {
	if err := q.count(1); err != nil {
		return err
	}
	q.write("(", alias, ".", l.fk, map[bool]string{true: " IS NULL", false: " IS NOT NULL"}[isNull])
	rest := reflect.New(f.Elem().Type())
	rest.Elem().Set(f.Elem())
	rest.Elem().FieldByName("IsNull").SetZero()
	if !rest.Elem().IsZero() {
		q.write(" AND ")
		if err := q.exists(l, alias, rest, false); err != nil {
			return err
		}
	}
	q.write(")")
	return nil
}

// exists writes EXISTS (a related row of l matching inner), or with negate,
// EXISTS (a related row not matching inner).
func (q *sqlBuilder) exists(l link, outer string, inner reflect.Value, negate bool) error {
	a := q.newAlias()
	switch l.kind {
	case toOne:
		q.write("EXISTS (SELECT 1 FROM ", l.to.table, " ", a, " WHERE ", a, ".id = ", outer, ".", l.fk, " AND ")
	case toMany:
		q.write("EXISTS (SELECT 1 FROM ", l.to.table, " ", a, " WHERE ", a, ".", l.fk, " = ", outer, ".id AND ")
		if l.typeCol != "" {
			q.write(a, ".", l.typeCol, " = ")
			q.arg(l.typeName)
			q.write(" AND ")
		}
	case viaTable:
		j := q.newAlias()
		q.write("EXISTS (SELECT 1 FROM ", l.via, " ", j, " JOIN ", l.to.table, " ", a, " ON ", a, ".id = ", j, ".", l.far,
			" WHERE ", j, ".", l.near, " = ", outer, ".id AND ")
	}
	if negate {
		q.write("NOT COALESCE(")
	}
	if err := q.filter(l.to, a, inner); err != nil {
		return err
	}
	if negate {
		q.write(", FALSE)")
	}
	q.write(")")
	return nil
}

// onlyIDEquals reports whether filter f sets nothing but id: {eq: ...}.
func onlyIDEquals(f reflect.Value) (GlobalID, bool) {
	idf := f.FieldByName("ID")
	if !idf.IsValid() || idf.IsNil() {
		return GlobalID{}, false
	}
	for i := range f.NumField() {
		if f.Type().Field(i).Name != "ID" && !f.Field(i).IsZero() {
			return GlobalID{}, false
		}
	}
	idv := idf.Elem()
	eq := idv.FieldByName("Eq")
	for i := range idv.NumField() {
		if idv.Type().Field(i).Name != "Eq" && !idv.Field(i).IsZero() {
			return GlobalID{}, false
		}
	}
	if eq.IsNil() {
		return GlobalID{}, false
	}
	return eq.Elem().Interface().(GlobalID), true
}

// operators writes the conditions of an operator input such as StringFilter
// on column f.
func (q *sqlBuilder) operators(alias string, f field, ops reflect.Value) error {
	col := alias + "." + f.col
	q.write("(")
	n := 0
	t := ops.Type()
	for i := range t.NumField() {
		v := ops.Field(i)
		if (v.Kind() == reflect.Pointer || v.Kind() == reflect.Slice) && v.IsNil() {
			continue
		}
		if n > 0 {
			q.write(" AND ")
		}
		n++
		if err := q.count(1); err != nil {
			return err
		}
		op := jsonName(t.Field(i))
		switch op {
		case "isNull":
			if v.Elem().Bool() {
				q.write(col, " IS NULL")
			} else {
				q.write(col, " IS NOT NULL")
			}
			continue
		case "in", "notIn":
			if q.values += v.Len(); q.values > MaxFilterValues {
				return filterTooLarge("values in its lists", MaxFilterValues, q.values)
			}
			if v.Len() == 0 { // IN () is not SQL; an empty set matches nothing
				q.write(map[string]string{"in": "1 = 0", "notIn": "1 = 1"}[op])
				continue
			}
			vals := make([]any, v.Len())
			for j := range v.Len() {
				x, err := operand(f, v.Index(j))
				if err != nil {
					return err
				}
				vals[j] = x
			}
			q.write(col, map[string]string{"in": " IN ", "notIn": " NOT IN "}[op], "(")
			for j, x := range vals {
				if j > 0 {
					q.write(", ")
				}
				q.arg(x)
			}
			q.write(")")
			continue
		}
		x, err := operand(f, v)
		if err != nil {
			return err
		}
		switch op {
		case "eq", "ne", "lt", "lte", "gt", "gte":
			sym := map[string]string{"eq": " = ", "ne": " <> ", "lt": " < ", "lte": " <= ", "gt": " > ", "gte": " >= "}[op]
			q.write(col, sym)
			q.arg(x)
		case "contains":
			q.write(q.position(col, "?"), " > 0")
			q.args = append(q.args, x)
		case "containsInsensitive":
			q.write(q.position("lower("+col+")", "lower(?)"), " > 0")
			q.args = append(q.args, x)
		case "startsWith":
			s := x.(string)
			q.write("substr(", col, ", 1, ")
			q.arg(utf8.RuneCountInString(s))
			q.write(") = ")
			q.arg(s)
		default:
			return fmt.Errorf("filter operator %q is not supported", op)
		}
	}
	if n == 0 {
		q.write("1 = 1")
	}
	q.write(")")
	return nil
}

// position returns the SQL for the 1-based position of needle in haystack, 0
// if absent: a case-sensitive substring test on both databases (SQLite's LIKE
// ignores case).
func (q *sqlBuilder) position(haystack, needle string) string {
	if q.dialect == Postgres {
		return "strpos(" + haystack + ", " + needle + ")"
	}
	return "instr(" + haystack + ", " + needle + ")"
}

// operand converts one filter value into a query argument for column f.
func operand(f field, v reflect.Value) (any, error) {
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	switch x := v.Interface().(type) {
	case GlobalID:
		id, err := x.As(f.node)
		return int64(id), err
	case Date, time.Time:
		return bindValue(x), nil
	}
	switch v.Kind() {
	case reflect.String:
		return v.String(), nil // enums are stored by name
	case reflect.Bool:
		return v.Bool(), nil
	case reflect.Int, reflect.Int64, reflect.Int32:
		return v.Int(), nil
	case reflect.Float64:
		return v.Float(), nil
	}
	return nil, fmt.Errorf("filter value of type %s is not supported", v.Type())
}

// jsonName returns the GraphQL name of a generated struct field.
func jsonName(sf reflect.StructField) string {
	name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
	return name
}
