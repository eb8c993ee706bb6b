package models

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"gorm.io/gorm/schema"
)

// Page holds a connection's Relay pagination arguments.
type Page struct {
	First  *int
	After  *string
	Last   *int
	Before *string
}

// Page sizes: a connection returns DefaultPageSize items when neither first
// nor last is given, and by default refuses more than DefaultMaxPageSize
// (see Store.SetMaxPageSize).
const (
	DefaultPageSize    = 50
	DefaultMaxPageSize = 1000
)

// window is a validated Page: how many rows, from which cursor, which way.
type window struct {
	limit    int
	cursor   *string
	backward bool // last/before: rows are fetched in reverse order
}

// Validate checks the page arguments, for a largest page of max items,
// without listing anything.
func (p Page) Validate(max int) error {
	_, err := p.window(max)
	return err
}

func (p Page) window(maxPage int) (window, error) {
	switch {
	case p.First != nil && p.Last != nil:
		return window{}, Errorf(CodeInvalid, "pass either first or last, not both")
	case p.First != nil && p.Before != nil:
		return window{}, Errorf(CodeInvalid, "first pages forwards: use after, not before")
	case p.Last != nil && p.After != nil:
		return window{}, Errorf(CodeInvalid, "last pages backwards: use before, not after")
	}
	w := window{limit: DefaultPageSize, cursor: p.After}
	if p.Before != nil || p.Last != nil {
		w.backward, w.cursor = true, p.Before
	}
	n := p.First
	if w.backward {
		n = p.Last
	}
	if n != nil {
		switch {
		case *n < 0:
			return window{}, Errorf(CodeInvalid, "page size %d is out of range: it must be between 0 and %d", *n, maxPage)
		case *n > maxPage:
			e := Errorf(CodePageTooLarge, "page size %d is too large: at most %d items a page", *n, maxPage)
			e.Details = map[string]any{"limit": maxPage, "actual": *n}
			return window{}, e
		}
		w.limit = *n
	}
	return w, nil
}

// PageInfo tells where a page sits within the whole list.
type PageInfo struct {
	HasNextPage     bool
	HasPreviousPage bool
	StartCursor     *string
	EndCursor       *string
}

// Edge is one item of a connection with its cursor.
type Edge[T any] struct {
	Cursor string
	Node   *T
}

// Connection is a page of a list of T (a Relay cursor connection).
type Connection[T any] struct {
	Edges    []*Edge[T]
	Nodes    []*T
	PageInfo *PageInfo
	count    func(context.Context) (int, error)
	src      *ListSource // what is listed, for aggregates
	parent   uint        // the parent this page lists rows of, for nested lists
}

// Source returns what the connection lists and, for a nested list, the
// parent it belongs to: aggregates over all pages start from it.
func (c *Connection[T]) Source() (*ListSource, uint) { return c.src, c.parent }

// ListSource is what a connection lists: the rows of an entity matching a
// filter, and for nested lists the relation and the parents whose related
// rows were listed together.
type ListSource struct {
	e         *entity
	rel       *relation // nil for a root list
	parentIDs []uint
	filter    any
}

// conditions writes the WHERE conditions of the listed rows, aliased a.
func (src *ListSource) conditions(q *sqlBuilder) error {
	if src.rel != nil {
		q.inIDs(src.rel.parent, src.parentIDs)
		if src.rel.where != "" {
			q.write(" AND ", src.rel.where)
		}
		q.write(" AND ")
	}
	return q.filter(src.e, "a", reflect.ValueOf(src.filter))
}

// from writes the FROM clause of the listed rows, with the parent key as
// rel_parent (0 for a root list) in front of the other columns sel.
func (src *ListSource) from(q *sqlBuilder, sel string) {
	parent := "0"
	join := ""
	if src.rel != nil {
		parent, join = src.rel.parent, src.rel.join
	}
	q.write("SELECT ", parent, " AS rel_parent, ", sel, " FROM ", src.e.table, " a", join)
}

// groupBy returns the GROUP BY list: the parent key, then cols.
func (src *ListSource) groupBy(cols ...string) string {
	if src.rel != nil {
		cols = append([]string{src.rel.parent}, cols...)
	}
	return strings.Join(cols, ", ")
}

// TotalCount returns the number of items matching the connection's filter
// across all pages. It is computed only when asked for.
func (c *Connection[T]) TotalCount(ctx context.Context) (int, error) {
	if c.count == nil {
		return 0, fmt.Errorf("connection has no counter")
	}
	return c.count(ctx)
}

// SetCounter sets how TotalCount is computed; batch loaders use it to count
// many connections in one statement.
func (c *Connection[T]) SetCounter(count func(context.Context) (int, error)) {
	c.count = count
}

// newConnection builds a page from rows fetched with one extra row beyond the
// limit, which only tells whether more follow.
func newConnection[T any](rows []*T, w window, keys []orderKey, sig string) *Connection[T] {
	more := len(rows) > w.limit
	if more {
		rows = rows[:w.limit]
	}
	if w.backward {
		slices.Reverse(rows)
	}
	c := &Connection[T]{Nodes: rows, Edges: make([]*Edge[T], len(rows)), PageInfo: &PageInfo{}}
	for i, r := range rows {
		c.Edges[i] = &Edge[T]{Cursor: encodeCursor(sig, keys, reflect.ValueOf(r).Elem()), Node: r}
	}
	if len(rows) > 0 {
		c.PageInfo.StartCursor, c.PageInfo.EndCursor = &c.Edges[0].Cursor, &c.Edges[len(rows)-1].Cursor
	}
	if w.backward {
		c.PageInfo.HasPreviousPage, c.PageInfo.HasNextPage = more, w.cursor != nil
	} else {
		c.PageInfo.HasNextPage, c.PageInfo.HasPreviousPage = more, w.cursor != nil
	}
	return c
}

// fieldKind is the type of a filterable or sortable column.
type fieldKind int

const (
	kindText fieldKind = iota
	kindInt
	kindFloat
	kindBool
	kindDate
	kindTime
	kindID
)

// field is a filterable and sortable column of an entity.
type field struct {
	col      string // column name
	goName   string // struct field holding the column's value
	kind     fieldKind
	nullable bool
	enum     bool   // kindText holding a generated enum: names only, nothing to escape
	node     string // for kindID: the type of the IDs it holds
}

// link is a relation an entity's filter can follow to another entity.
type link struct {
	to   *entity
	kind linkKind
	fk   string // toOne: column of the outer row; toMany: column of the inner row
	via  string // viaTable: the join table
	near string // viaTable: join-table column referencing the outer row
	far  string // viaTable: join-table column referencing the inner row

	typeCol, typeName string // toMany to tagged rows: the inner column holding the outer row's type, and that type
}

type linkKind int

const (
	toOne linkKind = iota
	toMany
	viaTable
)

// special is a filter field with no column behind it, such as isOverdue.
type special func(q *sqlBuilder, alias string, v reflect.Value) error

// entity maps a GraphQL object type to its table: which filter fields are
// which columns, which relations filters can follow, how lists are ordered.
type entity struct {
	node     string // GraphQL type name
	table    string // table name, or a parenthesized query with an id column
	base     string // the table rows are stored in, looked up by ID
	typ      reflect.Type
	fields   map[string]field
	links    map[string]link
	specials map[string]special
	orderBy  []string            // default ordering: GraphQL field names, "-" prefix for descending
	derived  map[string][]string // computed GraphQL fields → the columns they read (columns.go)
}

// newEntity describes the table of sample's type. fields maps GraphQL field
// names to struct field names; column names and kinds follow from those.
func newEntity(node, table string, sample any, fields map[string]string, orderBy ...string) *entity {
	registerNodeType(node)
	e := &entity{node: node, table: table, base: table, typ: reflect.TypeOf(sample), fields: map[string]field{}, links: map[string]link{}, specials: map[string]special{}, orderBy: orderBy}
	typ := reflect.TypeOf(sample)
	for gql, goName := range fields {
		f, err := columnField(typ, goName)
		if err != nil {
			panic(fmt.Sprintf("entity %s: %v", node, err))
		}
		if f.kind == kindID {
			f.node = node
		}
		e.fields[gql] = f
	}
	for _, o := range orderBy {
		if _, ok := e.fields[strings.TrimPrefix(o, "-")]; !ok {
			panic(fmt.Sprintf("entity %s: default order field %s is not a field", node, o))
		}
	}
	return e
}

// columnField describes the column of row type typ's struct field goName:
// its name (GORM's, or its gorm column tag) and its kind.
func columnField(typ reflect.Type, goName string) (field, error) {
	sf, ok := typ.FieldByName(goName)
	if !ok {
		return field{}, fmt.Errorf("no struct field %s", goName)
	}
	f := field{col: schema.NamingStrategy{}.ColumnName("", goName), goName: goName}
	if col, ok := strings.CutPrefix(sf.Tag.Get("gorm"), "column:"); ok {
		f.col = col
	}
	t := sf.Type
	if t.Kind() == reflect.Pointer {
		f.nullable, t = true, t.Elem()
	}
	switch {
	case t == reflect.TypeFor[Date]():
		f.kind = kindDate
	case t.String() == "time.Time":
		f.kind = kindTime
	case goName == "ID":
		f.kind = kindID
	case t.Kind() == reflect.String:
		f.kind, f.enum = kindText, t != reflect.TypeFor[string]()
	case t.Kind() == reflect.Bool:
		f.kind = kindBool
	case t.Kind() == reflect.Float64:
		f.kind = kindFloat
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		f.kind = kindInt
	default:
		return field{}, fmt.Errorf("field %s has unsupported type %s", goName, t)
	}
	return f, nil
}

// orderKey is one term of an ORDER BY, with what a cursor needs to resume
// after a row.
type orderKey struct {
	field
	desc bool
}

// orderKeys translates a GraphQL orderBy list (a slice of *XOrder with Field
// and Direction) into sort keys ending with the ID, which makes them total.
func (e *entity) orderKeys(orderBy any) ([]orderKey, error) {
	var keys []orderKey
	add := func(name string, desc bool) error {
		f, ok := e.fields[name]
		if !ok {
			return fmt.Errorf("%s: order field %q is not mapped", e.node, name)
		}
		if !slices.ContainsFunc(keys, func(k orderKey) bool { return k.col == f.col }) {
			keys = append(keys, orderKey{field: f, desc: desc})
		}
		return nil
	}
	v := reflect.ValueOf(orderBy)
	if v.Kind() == reflect.Slice && v.Len() > 0 {
		if v.Len() > 5 {
			return nil, Errorf(CodeInvalid, "orderBy takes at most 5 keys")
		}
		for i := range v.Len() {
			o := reflect.Indirect(v.Index(i))
			if !o.IsValid() {
				return nil, Errorf(CodeInvalid, "orderBy items must not be null")
			}
			name := enumToField(o.FieldByName("Field").String())
			if err := add(name, o.FieldByName("Direction").String() == "DESC"); err != nil {
				return nil, err
			}
		}
	} else {
		for _, o := range e.orderBy {
			if err := add(strings.TrimPrefix(o, "-"), strings.HasPrefix(o, "-")); err != nil {
				return nil, err
			}
		}
	}
	if err := add("id", false); err != nil {
		return nil, err
	}
	return keys, nil
}

// enumToField turns an order enum value such as ACTUAL_START into the
// GraphQL field name actualStart.
func enumToField(s string) string {
	parts := strings.Split(strings.ToLower(s), "_")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}

// signature names an ordering so that a cursor made under one ordering is
// refused under another.
func signature(node string, keys []orderKey) string {
	var b strings.Builder
	b.WriteString(node)
	for _, k := range keys {
		b.WriteByte(',')
		b.WriteString(k.col)
		if k.desc {
			b.WriteString(" desc")
		}
	}
	return b.String()
}
