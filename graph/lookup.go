package graph

import (
	"context"

	"tracker/models"
)

// page gathers a connection's pagination arguments.
func page(first *int, after *string, last *int, before *string) models.Page {
	return models.Page{First: first, After: after, Last: last, Before: before}
}

// nodeID returns the global ID of the typ object with database ID id.
func nodeID(typ string, id uint) (*models.GlobalID, error) {
	gid := models.NewGlobalID(typ, id)
	return &gid, nil
}

// key is one way of naming an object in a root lookup, such as by slug.
type key[T any] struct {
	name  string
	value *string
	find  func(context.Context, string) (*T, error)
}

func by[T any](name string, value *string, find func(context.Context, string) (*T, error)) key[T] {
	return key[T]{name: name, value: value, find: find}
}

// lookup finds the T object named by exactly one of id and keys, and
// registers it for its fields' batches.
func lookup[T any](ctx context.Context, store *models.Store, typ string, id *models.GlobalID, keys ...key[T]) (*T, error) {
	names := "id"
	given := 0
	if id != nil {
		given++
	}
	for _, k := range keys {
		names += " or " + k.name
		if k.value != nil {
			given++
		}
	}
	if given != 1 {
		return nil, models.Errorf(models.CodeInvalid, "give exactly one of %s", names)
	}
	if id != nil {
		n, err := id.As(typ)
		if err != nil {
			return nil, err
		}
		obj, err := models.FindByID[T](ctx, store, n)
		return found(ctx, obj, err)
	}
	for _, k := range keys {
		if k.value != nil {
			obj, err := k.find(ctx, *k.value)
			return found(ctx, obj, err)
		}
	}
	panic("unreachable")
}

// node resolves node(id:).
func node(ctx context.Context, store *models.Store, id models.GlobalID) (models.Node, error) {
	nodes, err := nodesByID(ctx, store, []models.GlobalID{id})
	if err != nil {
		return nil, err
	}
	n, ok := nodes[id]
	if !ok {
		return nil, models.Errorf(models.CodeNotFound, "%s not found", id.Type)
	}
	batcherFrom(ctx).register(fieldPath(ctx), []any{n})
	return n, nil
}

// maxNodes bounds nodes(ids:).
const maxNodes = 100

// nodeList resolves nodes(ids:): the objects in the order given, null for
// those that do not exist.
func nodeList(ctx context.Context, store *models.Store, ids []*models.GlobalID) ([]models.Node, error) {
	if len(ids) > maxNodes {
		return nil, models.Errorf(models.CodeInvalid, "nodes takes at most %d IDs, got %d", maxNodes, len(ids))
	}
	gids := make([]models.GlobalID, len(ids))
	for i, id := range ids {
		gids[i] = *id
	}
	nodes, err := nodesByID(ctx, store, gids)
	if err != nil {
		return nil, err
	}
	out := make([]models.Node, len(gids))
	objs := make([]any, 0, len(nodes))
	for i, id := range gids {
		out[i] = nodes[id] // nil interface when missing
		if out[i] != nil {
			objs = append(objs, out[i])
		}
	}
	batcherFrom(ctx).register(fieldPath(ctx), objs)
	return out, nil
}

// objects turns a slice of model pointers into a sibling list.
func objects[T any](items []*T) []any {
	out := make([]any, len(items))
	for i, it := range items {
		out[i] = it
	}
	return out
}

// object turns one model pointer into a sibling list.
func object[T any](item *T) []any {
	if item == nil {
		return nil
	}
	return []any{item}
}

// noObjects is for computed values that hold no objects.
func noObjects[V any](V) []any { return nil }

// searched resolves search and registers its results.
func searched(ctx context.Context, store *models.Store, text string, p models.Page, filter *models.SearchFilter) (*models.SearchResultConnection, error) {
	c, err := store.Search(ctx, text, p, filter)
	if err != nil {
		return nil, err
	}
	registerItems(ctx, fieldPath(ctx)+"/items", c.Nodes)
	return c, nil
}

// topPartners resolves topPartners and registers the organizations ranked.
// An argument given as null takes its default, as one left out does
// (gqlgen passes nil for an explicit null).
func topPartners(ctx context.Context, store *models.Store, first *int, by *models.PartnerRanking, filter *models.OrganizationFilter) ([]*models.PartnerActivity, error) {
	n, ranking := defaultTopPartners, models.PartnerRankingInitiatives
	if first != nil {
		n = *first
	}
	if by != nil {
		ranking = *by
	}
	partners, err := store.TopPartners(ctx, n, ranking, filter)
	if err != nil {
		return nil, err
	}
	batcherFrom(ctx).register(fieldPath(ctx), objects(partners))
	return partners, nil
}

// defaultTopPartners is the default of topPartners(first:), in the schema.
const defaultTopPartners = 10
