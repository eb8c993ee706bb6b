package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"tracker/models"
)

// The lists and lookups of the batcher read only the columns their rows'
// selected fields need: these functions name the fields selected on the
// rows, and models (columns.go) turns them into columns.

// selectingItems returns ctx telling models which fields are selected on
// the items of the connection being resolved, under nodes and edges.node.
func selectingItems[T any](ctx context.Context) context.Context {
	fc := graphql.GetFieldContext(ctx)
	opCtx := graphql.GetOperationContext(ctx)
	node := models.NodeType[T]()
	var fields []string
	for _, f := range graphql.CollectFields(opCtx, fc.Field.Selections, []string{node + "Connection"}) {
		switch f.Name {
		case "nodes":
			fields = appendFields(opCtx, fields, node, f.Selections)
		case "edges":
			for _, g := range graphql.CollectFields(opCtx, f.Selections, []string{node + "Edge"}) {
				if g.Name == "node" {
					fields = appendFields(opCtx, fields, node, g.Selections)
				}
			}
		}
	}
	return models.Selecting[T](ctx, fields)
}

// selectingObject returns ctx telling models which fields are selected on
// the T object the field being resolved returns.
func selectingObject[T any](ctx context.Context) context.Context {
	node := models.NodeType[T]()
	return models.Selecting[T](ctx, appendFields(graphql.GetOperationContext(ctx), nil, node, graphql.GetFieldContext(ctx).Field.Selections))
}

// appendFields appends the names of the fields sel selects on an object of
// type node, through fragments on the type and on every interface and
// union it belongs to, as the executor collects them.
func appendFields(opCtx *graphql.OperationContext, fields []string, node string, sel ast.SelectionSet) []string {
	for _, f := range graphql.CollectFields(opCtx, sel, satisfies(node)) {
		fields = append(fields, f.Name)
	}
	return fields
}

// satisfies returns the type node and the abstract types it belongs to.
func satisfies(node string) []string {
	names := []string{node}
	for _, d := range parsedSchema.GetImplements(parsedSchema.Types[node]) {
		names = append(names, d.Name)
	}
	return names
}
