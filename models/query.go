package models

import (
	"context"
	"fmt"
	"reflect"
)

// entities maps each row type to its entity, so that generic functions find
// the table of their type parameter.
var entities = map[reflect.Type]*entity{}

// entityOf returns the entity of row type T.
func entityOf[T any]() *entity {
	e, ok := entities[reflect.TypeFor[T]()]
	if !ok {
		panic(fmt.Sprintf("no entity for %s", reflect.TypeFor[T]()))
	}
	return e
}

// entityByNode returns the entity of a GraphQL type, or nil.
func entityByNode(node string) *entity {
	for _, e := range entities {
		if e.node == node {
			return e
		}
	}
	return nil
}

// define registers the entity of row type T.
func define[T any](node, table string, fields map[string]string, orderBy ...string) *entity {
	var zero T
	e := newEntity(node, table, zero, fields, orderBy...)
	entities[reflect.TypeFor[T]()] = e
	return e
}

// pager holds what listing a page of T rows needs: the entity, the
// validated window and the sort keys with their signature.
type pager struct {
	e    *entity
	w    window
	keys []orderKey
	sig  string
}

func newPager[T any](s *Store, page Page, orderBy any) (*pager, error) {
	p := &pager{e: entityOf[T]()}
	var err error
	if p.w, err = page.window(s.maxPage); err != nil {
		return nil, err
	}
	if p.keys, err = p.e.orderKeys(orderBy); err != nil {
		return nil, err
	}
	p.sig = signature(p.e.node, p.keys)
	return p, nil
}

// afterCursor writes " AND <rows beyond the cursor>" if the page has one.
func (p *pager) afterCursor(q *sqlBuilder) error {
	if p.w.cursor == nil {
		return nil
	}
	vals, err := decodeCursor(*p.w.cursor, p.sig, p.keys)
	if err != nil {
		return err
	}
	q.write(" AND ")
	q.keyset("a", p.keys, vals, p.w.backward)
	return nil
}

// List returns a page of T rows matching filter (a *XFilter, nil for all) in
// the order of orderBy (a []*XOrder, empty for the default), with the rows
// they refer to through joins.
func List[T any](ctx context.Context, s *Store, page Page, filter, orderBy any, joins ...*Join) (*Connection[T], error) {
	p, err := newPager[T](s, page, orderBy)
	if err != nil {
		return nil, err
	}
	joins = prepareJoins(p.e, joins)
	where := s.builder()
	if err := where.filter(p.e, "a", reflect.ValueOf(filter)); err != nil {
		return nil, err
	}

	q := s.builder()
	q.write("SELECT ", p.e.selectList(ctx, p.keys), ", 0 AS rel_parent, 0 AS rel_rank", joinSelect(joins), " FROM ", p.e.table, " a", joinFrom(joins),
		" WHERE ", where.sql.String())
	q.args = append(q.args, where.args...)
	if err := p.afterCursor(q); err != nil {
		return nil, err
	}
	q.write(" ORDER BY ")
	q.orderBy("a", p.keys, p.w.backward)
	q.write(" LIMIT ")
	q.arg(p.w.limit + 1)
	q.rows = p.w.limit + 1

	rows, err := scanRanked[T](ctx, s, q, joins)
	if err != nil {
		return nil, dbError(err, p.e.node)
	}
	nodes := make([]*T, len(rows))
	for i := range rows {
		nodes[i] = &rows[i].Row
	}
	c := newConnection(nodes, p.w, p.keys, p.sig)
	c.src = &ListSource{e: p.e, filter: filter}
	c.count = func(ctx context.Context) (int, error) {
		q := &sqlBuilder{dialect: s.dialect, args: where.args}
		q.write("SELECT COUNT(*) FROM ", p.e.table, " a WHERE ", where.sql.String())
		var n int
		return n, dbError(s.scanOne(ctx, q, &n), p.e.node)
	}
	return c, nil
}

// Unlisted returns a connection over the T rows matching filter without
// fetching any: for a query that asks only for totalCount or aggregates.
func Unlisted[T any](ctx context.Context, s *Store, filter any) *Connection[T] {
	e := entityOf[T]()
	c := &Connection[T]{PageInfo: &PageInfo{}, src: &ListSource{e: e, filter: filter}}
	c.count = func(ctx context.Context) (int, error) {
		where := s.builder()
		if err := where.filter(e, "a", reflect.ValueOf(filter)); err != nil {
			return 0, err
		}
		q := &sqlBuilder{dialect: s.dialect, args: where.args}
		q.write("SELECT COUNT(*) FROM ", e.table, " a WHERE ", where.sql.String())
		var n int
		return n, dbError(s.scanOne(ctx, q, &n), e.node)
	}
	return c
}

// UnlistedRelated is Unlisted for the related rows of each parent; their
// counters are left to the caller, which counts all parents at once.
func UnlistedRelated[P, T any](r *Many[P, T], parentIDs []uint, filter any) map[uint]*Connection[T] {
	src := r.source(parentIDs, filter)
	out := make(map[uint]*Connection[T], len(parentIDs))
	for _, id := range parentIDs {
		out[id] = &Connection[T]{PageInfo: &PageInfo{}, src: src, parent: id}
	}
	return out
}

// scanRanked runs q and scans its rows, with the rows they join.
func scanRanked[T any](ctx context.Context, s *Store, q *sqlBuilder, joins []*Join) ([]ranked[T], error) {
	if len(joins) == 0 {
		var rows []ranked[T]
		err := s.scanAll(ctx, q, &rows)
		return rows, err
	}
	scanned := reflect.New(reflect.SliceOf(scanType(reflect.TypeFor[T](), joins)))
	if err := s.scanAll(ctx, q, scanned.Interface()); err != nil {
		return nil, err
	}
	list := scanned.Elem()
	rows := make([]ranked[T], list.Len())
	for i := range rows {
		v := list.Index(i)
		rows[i] = ranked[T]{Row: v.Field(0).Interface().(T), RelParent: uint(v.Field(1).Uint()), RelRank: int(v.Field(2).Int())}
		collectJoined(v, joins)
	}
	return rows, nil
}

// relation is the SQL of a to-many relation, derived from its declaration
// (relations.go).
type relation struct {
	name   string // "Type.field", for error messages
	field  string // the schema field
	parent string // SQL expression of the parent key over alias a (and j)
	join   string // FROM clause addition, such as a join table aliased j
	where  string // fixed condition, such as the subject type of citations
}

// ranked is a row of T fetched for one parent, with its rank in the parent's
// ordering.
type ranked[T any] struct {
	Row       T `gorm:"embedded"`
	RelParent uint
	RelRank   int
}

// byParent groups rows by their parent, in their order; every parent of ids
// gets a list, possibly empty.
func byParent[T any](ids []uint, rows []ranked[T]) map[uint][]*T {
	out := make(map[uint][]*T, len(ids))
	for _, id := range ids {
		out[id] = []*T{}
	}
	for i := range rows {
		out[rows[i].RelParent] = append(out[rows[i].RelParent], &rows[i].Row)
	}
	return out
}

// ListRelated returns one page of related rows for each parent ID, in one
// statement whatever the number of parents: rows are numbered within each
// parent by a window function and cut at the page size. Every parent gets a
// connection, possibly empty.
func ListRelated[P, T any](ctx context.Context, s *Store, r *Many[P, T], parentIDs []uint, page Page, filter, orderBy any, joins ...*Join) (map[uint]*Connection[T], error) {
	p, err := newPager[T](s, page, orderBy)
	if err != nil {
		return nil, err
	}
	joins = prepareJoins(p.e, joins)
	q := s.builder()
	q.write("SELECT * FROM (SELECT ", p.e.selectList(ctx, p.keys), ", ", r.parent, " AS rel_parent, ROW_NUMBER() OVER (PARTITION BY ", r.parent, " ORDER BY ")
	q.orderBy("a", p.keys, p.w.backward)
	q.write(") AS rel_rank", joinSelect(joins), " FROM ", p.e.table, " a", r.join, joinFrom(joins), " WHERE ")
	src := r.source(parentIDs, filter)
	if err := src.conditions(q); err != nil {
		return nil, err
	}
	if err := p.afterCursor(q); err != nil {
		return nil, err
	}
	q.write(") r WHERE r.rel_rank <= ")
	q.arg(p.w.limit + 1)
	q.write(" ORDER BY r.rel_parent, r.rel_rank")

	rows, err := scanRanked[T](ctx, s, q, joins)
	if err != nil {
		return nil, dbError(err, r.name)
	}
	lists := byParent(parentIDs, rows)
	out := make(map[uint]*Connection[T], len(parentIDs))
	for _, id := range parentIDs {
		c := newConnection(lists[id], p.w, p.keys, p.sig)
		c.src, c.parent = src, id
		out[id] = c
	}
	return out, nil
}

// CountRelated returns, for each parent ID, how many related rows match
// filter, in one statement.
func CountRelated[P, T any](ctx context.Context, s *Store, r *Many[P, T], parentIDs []uint, filter any) (map[uint]int, error) {
	src := r.source(parentIDs, filter)
	q := s.builder()
	src.from(q, "COUNT(*) AS n")
	q.write(" WHERE ")
	if err := src.conditions(q); err != nil {
		return nil, err
	}
	q.write(" GROUP BY ", src.groupBy())
	var rows []struct {
		RelParent uint
		N         int
	}
	if err := s.scanAll(ctx, q, &rows); err != nil {
		return nil, dbError(err, r.name)
	}
	out := make(map[uint]int, len(parentIDs))
	for _, id := range parentIDs {
		out[id] = 0
	}
	for _, row := range rows {
		out[row.RelParent] = row.N
	}
	return out, nil
}

// source returns the ListSource of the rows related to parentIDs.
func (r *Many[P, T]) source(parentIDs []uint, filter any) *ListSource {
	return &ListSource{e: entityOf[T](), rel: &r.relation, parentIDs: parentIDs, filter: filter}
}

// FindByIDs returns the T rows with the given IDs, keyed by ID; IDs with no
// row are absent from the map.
func FindByIDs[T any](ctx context.Context, s *Store, ids []uint) (map[uint]*T, error) {
	e := entityOf[T]()
	q := s.builder()
	q.write("SELECT ", e.selectList(ctx, nil), " FROM ", e.base, " a WHERE ")
	q.inIDs("a.id", ids)
	var rows []*T
	if err := s.scanAll(ctx, q, &rows); err != nil {
		return nil, dbError(err, e.node)
	}
	out := make(map[uint]*T, len(rows))
	for _, r := range rows {
		out[uint(StructField(reflect.ValueOf(r), "ID").Uint())] = r
	}
	return out, nil
}

// FindByID returns the T row with the given ID, or a CodeNotFound error.
func FindByID[T any](ctx context.Context, s *Store, id uint) (*T, error) {
	rows, err := FindByIDs[T](ctx, s, []uint{id})
	if err != nil {
		return nil, err
	}
	if r, ok := rows[id]; ok {
		return r, nil
	}
	return nil, Errorf(CodeNotFound, "%s not found", entityOf[T]().node)
}

// findBy returns the T row whose column col equals v, or a CodeNotFound error.
func findBy[T any](ctx context.Context, s *Store, col string, v any) (*T, error) {
	return findWhere[T](ctx, s, "a."+col+" = ", v, "")
}

// findByFolded returns the T row whose column col equals v ignoring case,
// through the column's lower(col) index, or a CodeNotFound error.
func findByFolded[T any](ctx context.Context, s *Store, col string, v string) (*T, error) {
	return findWhere[T](ctx, s, "lower(a."+col+") = lower(", v, ")")
}

// findWhere returns the first T row for which the condition before v
// after holds, or a CodeNotFound error.
func findWhere[T any](ctx context.Context, s *Store, before string, v any, after string) (*T, error) {
	e := entityOf[T]()
	var rows []*T
	q := s.builder()
	q.write("SELECT a.* FROM ", e.base, " a WHERE ", before)
	q.arg(v)
	q.write(after, " LIMIT 1")
	if err := s.scanAll(ctx, q, &rows); err != nil {
		return nil, dbError(err, e.node)
	}
	if len(rows) == 0 {
		return nil, Errorf(CodeNotFound, "%s not found", e.node)
	}
	return rows[0], nil
}
