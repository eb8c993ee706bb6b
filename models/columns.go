package models

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync"

	"gorm.io/gorm/schema"
)

// A list reads only the columns its caller's GraphQL selection needs:
// the caller names the fields it selects on the rows (Selecting), and the
// entity's declarations say which columns each field reads — a field bound
// to a struct field reads its column, a relation (relations.go) reads the
// keys, a computed field the columns declared with derives. The ID, every
// key column and the sort keys are always read, as batching, joins and
// cursors need them. A field the declarations do not account for reads
// every column, so that an undeclared field is slower, never wrong. Rows
// read this way hold zero values in the columns left out; no field the
// caller selected reads them.

type selectionKey struct{}

// selection is the GraphQL fields selected on the rows of one entity.
type selection struct {
	e      *entity
	fields []string
}

// Selecting returns ctx telling the lists and lookups of T rows run under it
// that their caller reads only the GraphQL fields named (on the rows
// themselves: nested selections are the business of their own fields).
func Selecting[T any](ctx context.Context, fields []string) context.Context {
	return context.WithValue(ctx, selectionKey{}, selection{e: entityOf[T](), fields: fields})
}

// derives declares that the computed GraphQL field reads the columns of the
// struct fields goNames, such as a partial date's day and precision.
func (e *entity) derives(field string, goNames ...string) *entity {
	cols := make([]string, len(goNames))
	for i, g := range goNames {
		f, ok := rowColumns(e.typ).byGoName[g]
		if !ok {
			panic(fmt.Sprintf("entity %s: field %s derives from %s, which is no column", e.node, field, g))
		}
		cols[i] = f
	}
	if e.derived == nil {
		e.derived = map[string][]string{}
	}
	e.derived[field] = cols
	return e
}

// selectList returns the select list of the rows of e aliased a that the
// selection under ctx needs, with the sort keys: "a.*" when there is no
// selection for e or it selects a field the declarations do not cover.
func (e *entity) selectList(ctx context.Context, keys []orderKey) string {
	sel, ok := ctx.Value(selectionKey{}).(selection)
	if !ok || sel.e != e {
		return "a.*"
	}
	sortCols := make([]string, len(keys))
	for i, k := range keys {
		sortCols[i] = k.col
	}
	cols, ok := e.columns(sel.fields, sortCols...)
	if !ok {
		return "a.*"
	}
	return "a." + strings.Join(cols, ", a.")
}

// columns returns, in the row struct's order, the columns of e that the
// GraphQL fields read, with the keys and the columns extra; false when a
// field is not accounted for, or e's table is a query whose columns are its
// own, and every column is to be read.
func (e *entity) columns(fields []string, extra ...string) ([]string, bool) {
	if e.table != e.base {
		return nil, false
	}
	rc := rowColumns(e.typ)
	need := make(map[string]bool, len(rc.all))
	for _, c := range rc.keys {
		need[c] = true
	}
	for _, c := range extra {
		need[c] = true
	}
	for _, f := range fields {
		if _, ok := e.links[f]; ok || f == "__typename" {
			continue // relations read the keys
		}
		if cols, ok := e.derived[f]; ok {
			for _, c := range cols {
				need[c] = true
			}
			continue
		}
		c, ok := rc.byField[strings.ToLower(f)]
		if !ok {
			return nil, false
		}
		need[c] = true
	}
	cols := make([]string, 0, len(need))
	for _, c := range rc.all {
		if need[c] {
			cols = append(cols, c)
		}
	}
	return cols, true
}

// columnSet is what selectList knows of a row type's columns.
type columnSet struct {
	all      []string          // in the struct's order
	keys     []string          // the ID and the key columns (Go names ending in ID)
	byField  map[string]string // lower-cased Go name, as gqlgen binds fields → column
	byGoName map[string]string
}

var columnSets sync.Map // reflect.Type → *columnSet

func rowColumns(t reflect.Type) *columnSet {
	if cs, ok := columnSets.Load(t); ok {
		return cs.(*columnSet)
	}
	s, err := schema.Parse(reflect.New(t).Interface(), &sync.Map{}, schema.NamingStrategy{})
	if err != nil {
		panic(fmt.Sprintf("columns of %s: %v", t, err)) // entity structs are fixed: a bug
	}
	cs := &columnSet{byField: map[string]string{}, byGoName: map[string]string{}}
	for _, c := range s.DBNames {
		f := s.FieldsByDBName[c]
		cs.all = append(cs.all, f.DBName)
		cs.byField[strings.ToLower(f.Name)] = f.DBName
		cs.byGoName[f.Name] = f.DBName
		if strings.HasSuffix(f.Name, "ID") {
			cs.keys = append(cs.keys, f.DBName)
		}
	}
	columnSets.Store(t, cs)
	return cs
}
