package models

import (
	"fmt"
	"reflect"
	"strconv"
)

// Join asks a list for the rows its rows refer to through a to-one relation
// — a partnership's organization, a participant's person — fetched in the
// same statement by a LEFT JOIN. Field is the relation's GraphQL name; after
// the list, Rows holds the referenced rows (pointers to their structs) by ID.
type Join struct {
	Field string
	// Fields are the GraphQL fields selected on the referenced rows, which
	// read only the columns these need (columns.go); nil reads them all.
	Fields []string
	Rows   map[uint]any

	link  link
	alias string
}

// prepareJoins keeps the joins e can make (to-one relations) and gives each
// its table alias.
func prepareJoins(e *entity, joins []*Join) []*Join {
	var out []*Join
	for _, j := range joins {
		l, ok := e.links[j.Field]
		if !ok || l.kind != toOne {
			continue
		}
		j.link, j.alias, j.Rows = l, "j"+strconv.Itoa(len(out)), map[uint]any{}
		out = append(out, j)
	}
	return out
}

// joinSelect returns the select list of the joined columns, each named
// alias_column.
func joinSelect(joins []*Join) string {
	var b []byte
	for _, j := range joins {
		cols := columnsOf(j.link.to.typ)
		if j.Fields != nil {
			if c, ok := j.link.to.columns(j.Fields); ok {
				cols = c
			}
		}
		for _, col := range cols {
			b = fmt.Appendf(b, ", %s.%s AS %s_%s", j.alias, col, j.alias, col)
		}
	}
	return string(b)
}

// joinFrom returns the LEFT JOINs of the joins onto the rows aliased a.
func joinFrom(joins []*Join) string {
	var b []byte
	for _, j := range joins {
		b = fmt.Appendf(b, " LEFT JOIN %s %s ON %s.id = a.%s", j.link.to.base, j.alias, j.alias, j.link.fk)
	}
	return string(b)
}

// scanType returns the struct a joined row scans into: the row itself, the
// rank columns, then one embedded struct per join.
func scanType(row reflect.Type, joins []*Join) reflect.Type {
	fields := []reflect.StructField{
		{Name: "Row", Type: row, Tag: `gorm:"embedded"`},
		{Name: "RelParent", Type: reflect.TypeFor[uint]()},
		{Name: "RelRank", Type: reflect.TypeFor[int]()},
	}
	for i, j := range joins {
		fields = append(fields, reflect.StructField{Name: "J" + strconv.Itoa(i), Type: j.link.to.typ,
			Tag: reflect.StructTag(`gorm:"embedded;embeddedPrefix:` + j.alias + `_"`)})
	}
	return reflect.StructOf(fields)
}

// collectJoined copies the joined rows of a scanned row into their joins.
func collectJoined(scanned reflect.Value, joins []*Join) {
	for i, j := range joins {
		v := scanned.Field(3 + i)
		if id := uint(StructField(v, "ID").Uint()); id != 0 {
			if _, ok := j.Rows[id]; !ok {
				p := reflect.New(v.Type())
				p.Elem().Set(v)
				j.Rows[id] = p.Interface()
			}
		}
	}
}

// columnsOf returns the column names of a row type, as GORM maps them.
func columnsOf(t reflect.Type) []string { return rowColumns(t).all }

// CanJoin reports whether field names a to-one relation of T that lists can
// fetch with a Join.
func CanJoin[T any](field string) bool {
	l, ok := entityOf[T]().links[field]
	return ok && l.kind == toOne
}

// NodeType returns the GraphQL type name of row type T.
func NodeType[T any]() string { return entityOf[T]().node }
