package graph

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"tracker/models"
)

// Relations are resolved level by level: when the first object at a place in
// the response (a path with list indexes removed, such as
// "initiatives.nodes.partnerships") asks for a relation, the batcher fetches
// that relation for all its siblings — every object at the same place — in
// one statement, and the others read the result. So a query costs one
// statement per relation field it selects, however many rows come back, and
// nothing waits on a timer as time-window dataloaders do.
//
// Siblings are known because every resolver that returns objects inside a
// list registers them under its path before the objects' own fields are
// resolved; an object outside any list (node(id:), organization(id:), a
// mutation payload) is alone at its place and needs none. A list nobody
// registered is an internal error (siblingsOf), so that a forgotten
// registration fails a test instead of costing one statement per object.
// The relations themselves are the typed declarations of models
// (relations.go): related takes a models.Many, one a models.One, and the
// join planner asks models which fields are to-one relations.

// batcher holds one request's sibling sets and batch results.
type batcher struct {
	store *models.Store

	mu       sync.Mutex
	siblings map[string][]any // path → objects returned there
	calls    map[string]*call // batch key → its fetch
}

// call is one batch fetch; whoever arrives first runs it, the rest wait.
type call struct {
	once sync.Once
	val  any
	err  error
}

type batcherKey struct{}

// withBatcher gives each request its own batcher.
func withBatcher(store *models.Store, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), batcherKey{}, newBatcher(store))))
	})
}

// newBatcher returns an empty batcher.
func newBatcher(store *models.Store) *batcher {
	return &batcher{store: store, siblings: map[string][]any{}, calls: map[string]*call{}}
}

func batcherFrom(ctx context.Context) *batcher {
	return ctx.Value(batcherKey{}).(*batcher)
}

// do runs fetch once per key for the request and returns its result.
func (b *batcher) do(key string, fetch func() (any, error)) (any, error) {
	b.mu.Lock()
	c, ok := b.calls[key]
	if !ok {
		c = &call{}
		b.calls[key] = c
	}
	b.mu.Unlock()
	c.once.Do(func() { c.val, c.err = fetch() })
	return c.val, c.err
}

func (b *batcher) register(path string, objs []any) {
	b.mu.Lock()
	b.siblings[path] = objs
	b.mu.Unlock()
}

// siblingsOf returns the objects at the same place as the object whose field
// is being resolved. An object outside any list stands alone at its place —
// the object of node(id:), of a single-object root such as organization(id:),
// of a mutation payload — and needs no registration; objects inside a list
// must have been registered by the resolver that returned them, or the
// relation would be fetched once per object: that is a bug, reported as an
// internal error rather than hidden.
func (b *batcher) siblingsOf(ctx context.Context, obj any) ([]any, error) {
	fc := graphql.GetFieldContext(ctx)
	path := objectPath(fc)
	b.mu.Lock()
	objs, ok := b.siblings[path]
	b.mu.Unlock()
	switch {
	case ok:
		return objs, nil
	case !inList(fc.Parent):
		return []any{obj}, nil
	}
	return nil, fmt.Errorf("batch: %s.%s at %s: the objects at %q were not registered by the resolver that returned them",
		fc.Object, fc.Field.Name, fc.Path(), path)
}

// inList reports whether the value of fc is inside a list of the response.
func inList(fc *graphql.FieldContext) bool {
	for ; fc != nil; fc = fc.Parent {
		if fc.Index != nil {
			return true
		}
	}
	return false
}

// fieldPath is the place of the field being resolved, list indexes removed.
func fieldPath(ctx context.Context) string {
	return pathOf(graphql.GetFieldContext(ctx))
}

// objectPath is the place of the object whose field fc is. The items of a
// connection, reached through nodes or edges.node (whatever the aliases),
// share the connection's place; a connection is known by its type, so that
// root fields named node or nodes are places of their own.
func objectPath(fc *graphql.FieldContext) string {
	obj := producer(fc.Parent)
	if obj == nil || obj.Field.Field == nil {
		return ""
	}
	switch {
	case obj.Field.Name == "nodes" && strings.HasSuffix(obj.Object, "Connection"):
		return pathOf(producer(obj.Parent)) + "/items"
	case obj.Field.Name == "node" && strings.HasSuffix(obj.Object, "Edge"):
		edges := producer(obj.Parent)
		return pathOf(producer(edges.Parent)) + "/items"
	}
	return pathOf(obj)
}

// producer returns the context of the field that produced fc's value,
// skipping the contexts of list elements.
func producer(fc *graphql.FieldContext) *graphql.FieldContext {
	for fc != nil && fc.Index != nil {
		fc = fc.Parent
	}
	return fc
}

// pathOf is the place of fc's field in the response, by field names and
// aliases only (list indexes left out): "initiatives.nodes.partnerships".
// It walks the context chain without building an ast.Path, as it runs for
// every resolved relation.
func pathOf(fc *graphql.FieldContext) string {
	var names [24]string
	n, size := 0, 0
	for it := fc; it != nil; it = it.Parent {
		if it.Index == nil && it.Field.Field != nil {
			if n == len(names) {
				return pathString(fc.Path()) // deeper than any allowed query
			}
			names[n] = it.Field.Alias
			size += len(it.Field.Alias) + 1
			n++
		}
	}
	var b strings.Builder
	b.Grow(size)
	for i := n - 1; i >= 0; i-- {
		b.WriteString(names[i])
		if i > 0 {
			b.WriteByte('.')
		}
	}
	return b.String()
}

func pathString(p ast.Path) string {
	var b strings.Builder
	for _, e := range p {
		if name, ok := e.(ast.PathName); ok {
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(string(name))
		}
	}
	return b.String()
}

// resolving checks that the relation named name ("Type.field") is the one
// declared for the field being resolved, so that a resolver handing the
// wrong declaration — whose joins and batches would be keyed by another
// field — fails its first test instead of returning another field's rows.
func resolving(ctx context.Context, name string) error {
	fc := graphql.GetFieldContext(ctx)
	if want := fc.Object + "." + fc.Field.Name; name != want {
		return fmt.Errorf("batch: %s resolves with the relation declared for %s", want, name)
	}
	return nil
}

// notRegistered is the error of an object missing from the siblings its
// batch was fetched for.
func notRegistered(ctx context.Context) error {
	fc := graphql.GetFieldContext(ctx)
	return fmt.Errorf("batch: %s.%s at %s: the object is not among the siblings registered at %q",
		fc.Object, fc.Field.Name, fc.Path(), objectPath(fc))
}

// idOf returns the database ID of a model object.
func idOf(obj any) uint {
	return uint(models.StructField(reflect.ValueOf(obj), "ID").Uint())
}

// listed resolves a root list and registers its items, fetching in the same
// statement the to-one relations its items select.
func listed[T any](ctx context.Context, store *models.Store, page models.Page, filter, orderBy any) (*models.Connection[T], error) {
	if !selectsRows(ctx) {
		return models.Unlisted[T](ctx, store, filter), page.Validate(store.MaxPageSize())
	}
	joins := planJoins[T](ctx)
	c, err := models.List[T](selectingItems[T](ctx), store, page, filter, orderBy, joins.models()...)
	if err != nil {
		return nil, err
	}
	registerItems(ctx, fieldPath(ctx)+"/items", c.Nodes)
	joins.prime(batcherFrom(ctx))
	return c, nil
}

// listedBy resolves a root list that a Store method returns (one that
// checks the caller's role first) and registers its items.
func listedBy[T, F, O any](ctx context.Context, list func(context.Context, models.Page, F, O) (*models.Connection[T], error), page models.Page, filter F, orderBy O) (*models.Connection[T], error) {
	c, err := list(ctx, page, filter, orderBy)
	if err != nil {
		return nil, err
	}
	registerItems(ctx, fieldPath(ctx)+"/items", c.Nodes)
	return c, nil
}

// found resolves a root field returning one object and registers it.
func found[T any](ctx context.Context, obj *T, err error) (*T, error) {
	if err != nil {
		return nil, err
	}
	batcherFrom(ctx).register(fieldPath(ctx), []any{obj})
	return obj, nil
}

func registerItems[T any](ctx context.Context, path string, items []*T) {
	objs := make([]any, len(items))
	for i, it := range items {
		objs[i] = it
	}
	batcherFrom(ctx).register(path, objs)
}

// related resolves the to-many relation rel of obj as a connection, fetched
// for all of obj's siblings at once, and registers the items of all of them.
func related[P, T any](ctx context.Context, rel *models.Many[P, T], obj *P, page models.Page, filter, orderBy any) (*models.Connection[T], error) {
	b := batcherFrom(ctx)
	// The place identifies the arguments too: GraphQL lets two selections
	// share a response name at one place only with the same arguments.
	path := fieldPath(ctx)
	res, err := b.do("list|"+path, func() (any, error) {
		if err := resolving(ctx, rel.Name()); err != nil {
			return nil, err
		}
		siblings, err := b.siblingsOf(ctx, obj)
		if err != nil {
			return nil, err
		}
		ids := siblingIDs[P](siblings)
		var conns map[uint]*models.Connection[T]
		if selectsRows(ctx) {
			joins := planJoins[T](ctx)
			if conns, err = models.ListRelated(selectingItems[T](ctx), b.store, rel, ids, page, filter, orderBy, joins.models()...); err != nil {
				return nil, err
			}
			joins.prime(b)
		} else {
			if err := page.Validate(b.store.MaxPageSize()); err != nil {
				return nil, err
			}
			conns = models.UnlistedRelated(rel, ids, filter)
		}
		var items []*T
		for _, id := range ids {
			items = append(items, conns[id].Nodes...)
			conns[id].SetCounter(func(ctx context.Context) (int, error) {
				counts, err := b.do("count|"+path, func() (any, error) {
					return models.CountRelated(ctx, b.store, rel, ids, filter)
				})
				if err != nil {
					return 0, err
				}
				return counts.(map[uint]int)[id], nil
			})
		}
		registerItems(ctx, path+"/items", items)
		return conns, nil
	})
	if err != nil {
		return nil, err
	}
	c, ok := res.(map[uint]*models.Connection[T])[idOf(obj)]
	if !ok {
		return nil, notRegistered(ctx)
	}
	return c, nil
}

// siblingIDs returns the distinct IDs of the siblings of type P, in order.
func siblingIDs[P any](siblings []any) []uint {
	seen := make(map[uint]bool, len(siblings))
	ids := make([]uint, 0, len(siblings))
	for _, s := range siblings {
		if p, ok := s.(*P); ok {
			id := idOf(p)
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	return ids
}

// fetchedOne is the batch of a to-one relation at one place: the rows found
// by ID, and the keys that were asked for (nil when the batch came from a
// join, which saw every row of the list).
type fetchedOne struct {
	rows  map[uint]any
	asked map[uint]bool
}

// one resolves the to-one relation rel of obj, fetching it for all of obj's
// siblings at once. A nil key resolves to nil; a key with no row is
// NOT_FOUND.
func one[P, T any](ctx context.Context, rel *models.One[P, T], obj *P) (*T, error) {
	key, ok := rel.Key(obj)
	if !ok {
		return nil, nil
	}
	b := batcherFrom(ctx)
	path := fieldPath(ctx)
	res, err := b.do("one|"+path, func() (any, error) {
		if err := resolving(ctx, rel.Name()); err != nil {
			return nil, err
		}
		siblings, err := b.siblingsOf(ctx, obj)
		if err != nil {
			return nil, err
		}
		asked := map[uint]bool{}
		var ids []uint
		for _, s := range siblings {
			if p, ok := s.(*P); ok {
				if id, ok := rel.Key(p); ok && !asked[id] {
					asked[id] = true
					ids = append(ids, id)
				}
			}
		}
		rows, err := models.FindByIDs[T](selectingObject[T](ctx), b.store, ids)
		if err != nil {
			return nil, err
		}
		found := make(map[uint]any, len(rows))
		items := make([]any, 0, len(rows))
		for _, id := range ids {
			if r, ok := rows[id]; ok {
				found[id] = r
				items = append(items, r)
			}
		}
		b.register(path, items)
		return fetchedOne{rows: found, asked: asked}, nil
	})
	if err != nil {
		return nil, err
	}
	f := res.(fetchedOne)
	row, ok := f.rows[key]
	switch {
	case ok:
		return row.(*T), nil
	case f.asked != nil && !f.asked[key]:
		return nil, notRegistered(ctx)
	}
	return nil, models.Errorf(models.CodeNotFound, "%s not found", models.NodeType[T]())
}

// perSibling resolves a field computed for all siblings at once by fetch,
// which returns a value per parent ID; the objects in the values are
// registered as the siblings of their place.
func perSibling[V any, P any](ctx context.Context, obj *P, fetch func(ctx context.Context, ids []uint) (map[uint]V, error), objects func(V) []any) (V, error) {
	b := batcherFrom(ctx)
	path := fieldPath(ctx)
	res, err := b.do("per|"+path, func() (any, error) {
		siblings, err := b.siblingsOf(ctx, obj)
		if err != nil {
			return nil, err
		}
		vals, err := fetch(ctx, siblingIDs[P](siblings))
		if err != nil {
			return nil, err
		}
		var objs []any
		for _, v := range vals {
			objs = append(objs, objects(v)...)
		}
		b.register(path, objs)
		return vals, nil
	})
	if err != nil {
		var zero V
		return zero, err
	}
	return res.(map[uint]V)[idOf(obj)], nil
}

// nodeFetchers load Nodes of each type by ID.
var nodeFetchers = map[string]func(context.Context, *models.Store, []uint) (map[uint]models.Node, error){}

func fetchNodes[T any, PT interface {
	*T
	models.Node
}](typ string) {
	nodeFetchers[typ] = func(ctx context.Context, s *models.Store, ids []uint) (map[uint]models.Node, error) {
		rows, err := models.FindByIDs[T](ctx, s, ids)
		if err != nil {
			return nil, err
		}
		out := make(map[uint]models.Node, len(rows))
		for id, r := range rows {
			out[id] = PT(r)
		}
		return out, nil
	}
}

func init() {
	fetchNodes[models.Organization]("Organization")
	fetchNodes[models.Person]("Person")
	fetchNodes[models.Position]("Position")
	fetchNodes[models.Initiative]("Initiative")
	fetchNodes[models.InitiativeRelation]("InitiativeRelation")
	fetchNodes[models.Partnership]("Partnership")
	fetchNodes[models.Meeting]("Meeting")
	fetchNodes[models.Participant]("Participant")
	fetchNodes[models.Outcome]("Outcome")
	fetchNodes[models.Statement]("Statement")
	fetchNodes[models.ActionItem]("ActionItem")
	fetchNodes[models.Metric]("Metric")
	fetchNodes[models.Statistic]("Statistic")
	fetchNodes[models.Result]("Result")
	fetchNodes[models.Indicator]("Indicator")
	fetchNodes[models.Source]("Source")
	fetchNodes[models.Citation]("Citation")
	fetchNodes[models.Place]("Place")
	fetchNodes[models.Topic]("Topic")
	fetchNodes[models.TopicPlace]("TopicPlace")
}

// nodesByID loads the objects with the given global IDs, one statement per
// type, registering them all at the current place. Missing objects are absent.
func nodesByID(ctx context.Context, store *models.Store, ids []models.GlobalID) (map[models.GlobalID]models.Node, error) {
	// Types in the order the IDs first name them, so that of two refusals
	// (types that cannot be fetched, or are not the caller's to read) the
	// same one is reported every time.
	byType := map[string][]uint{}
	var types []string
	for _, id := range ids {
		if _, seen := byType[id.Type]; !seen {
			types = append(types, id.Type)
		}
		byType[id.Type] = append(byType[id.Type], id.ID)
	}
	out := make(map[models.GlobalID]models.Node, len(ids))
	for _, typ := range types {
		keys := byType[typ]
		fetch, ok := nodeFetchers[typ]
		if !ok {
			return nil, models.Errorf(models.CodeInvalid, "%s objects cannot be fetched by ID", typ)
		}
		rows, err := fetch(ctx, store, keys)
		if err != nil {
			return nil, err
		}
		for id, n := range rows {
			out[models.NewGlobalID(typ, id)] = n
		}
	}
	return out, nil
}

// nodeOf resolves a polymorphic Node field whose global ID is read from each
// sibling by gid, fetching the nodes of all siblings at once.
func nodeOf[P any](ctx context.Context, obj *P, gid func(*P) models.GlobalID) (models.Node, error) {
	b := batcherFrom(ctx)
	path := fieldPath(ctx)
	res, err := b.do("node|"+path, func() (any, error) {
		siblings, err := b.siblingsOf(ctx, obj)
		if err != nil {
			return nil, err
		}
		var ids []models.GlobalID
		for _, s := range siblings {
			if p, ok := s.(*P); ok {
				ids = append(ids, gid(p))
			}
		}
		nodes, err := nodesByID(ctx, b.store, ids)
		if err != nil {
			return nil, err
		}
		objs := make([]any, 0, len(nodes))
		for _, n := range nodes {
			objs = append(objs, n)
		}
		b.register(path, objs)
		return nodes, nil
	})
	if err != nil {
		return nil, err
	}
	n, ok := res.(map[models.GlobalID]models.Node)[gid(obj)]
	if !ok {
		return nil, models.Errorf(models.CodeNotFound, "%s not found", gid(obj).Type)
	}
	return n, nil
}

// aggregate resolves an aggregate of a connection — all its pages — computed
// by fetch for all the sibling connections at once (the pages of the same
// nested list under each parent share one source). The objects in the values
// are registered as the siblings of their place.
func aggregate[V any, T any](ctx context.Context, c *models.Connection[T], fetch func(context.Context, *models.ListSource) (map[uint]V, error), objects func(V) []any) (V, error) {
	b := batcherFrom(ctx)
	path := fieldPath(ctx)
	src, parent := c.Source()
	res, err := b.do("agg|"+path, func() (any, error) {
		vals, err := fetch(ctx, src)
		if err != nil {
			return nil, err
		}
		var objs []any
		for _, v := range vals {
			objs = append(objs, objects(v)...)
		}
		b.register(path, objs)
		return vals, nil
	})
	if err != nil {
		var zero V
		return zero, err
	}
	return res.(map[uint]V)[parent], nil
}

// derived resolves a field holding objects already in memory (a plain struct
// field such as a series' points), registering the values of all of obj's
// siblings together so that the objects' own relations batch.
func derived[V any, P any](ctx context.Context, obj *P, get func(*P) V, objects func(V) []any) (V, error) {
	b := batcherFrom(ctx)
	path := fieldPath(ctx)
	_, err := b.do("derived|"+path, func() (any, error) {
		siblings, err := b.siblingsOf(ctx, obj)
		if err != nil {
			return nil, err
		}
		var objs []any
		for _, s := range siblings {
			if p, ok := s.(*P); ok {
				objs = append(objs, objects(get(p))...)
			}
		}
		b.register(path, objs)
		return nil, nil
	})
	if err != nil {
		var zero V
		return zero, err
	}
	return get(obj), nil
}

// plannedJoin is a to-one relation selected on the items of the connection
// being resolved, with the places its resolvers will look for it.
type plannedJoin struct {
	join  *models.Join
	paths []string
}

type plannedJoins []*plannedJoin

// planJoins looks ahead in the query at the fields selected on the items
// of the connection being resolved (under nodes, or edges.node) and returns
// the to-one relations among them, so that the list fetches them in the same
// statement.
func planJoins[T any](ctx context.Context) plannedJoins {
	fc := graphql.GetFieldContext(ctx)
	opCtx := graphql.GetOperationContext(ctx)
	node := models.NodeType[T]()
	conn := pathOf(fc)
	byName := map[string]*plannedJoin{}
	var out plannedJoins
	items := func(sel ast.SelectionSet, prefix string) {
		for _, f := range graphql.CollectFields(opCtx, sel, []string{node, "Node", "Cited"}) {
			if len(f.Selections) == 0 || !models.CanJoin[T](f.Name) {
				continue
			}
			pj, ok := byName[f.Name]
			if !ok {
				pj = &plannedJoin{join: &models.Join{Field: f.Name}}
				byName[f.Name] = pj
				out = append(out, pj)
			}
			pj.paths = append(pj.paths, prefix+"."+f.Alias)
			pj.join.Fields = appendFields(opCtx, pj.join.Fields, f.Definition.Type.Name(), f.Selections)
		}
	}
	for _, f := range graphql.CollectFields(opCtx, fc.Field.Selections, []string{node + "Connection"}) {
		switch f.Name {
		case "nodes":
			items(f.Selections, conn+"."+f.Alias)
		case "edges":
			for _, g := range graphql.CollectFields(opCtx, f.Selections, []string{node + "Edge"}) {
				if g.Name == "node" {
					items(g.Selections, conn+"."+f.Alias+"."+g.Alias)
				}
			}
		}
	}
	return out
}

// selectsRows reports whether the connection being resolved is asked for
// its rows (nodes, edges or pageInfo), or only for totalCount and
// aggregates, which need no rows fetched.
func selectsRows(ctx context.Context) bool {
	fc := graphql.GetFieldContext(ctx)
	for _, f := range graphql.CollectFields(graphql.GetOperationContext(ctx), fc.Field.Selections, nil) {
		switch f.Name {
		case "nodes", "edges", "pageInfo":
			return true
		}
	}
	return false
}

func (pj plannedJoins) models() []*models.Join {
	out := make([]*models.Join, len(pj))
	for i, j := range pj {
		out[i] = j.join
	}
	return out
}

// prime hands the joined rows to the to-one resolvers that will ask for
// them, as if their batch had run.
func (pj plannedJoins) prime(b *batcher) {
	for _, j := range pj {
		objs := make([]any, 0, len(j.join.Rows))
		for _, r := range j.join.Rows {
			objs = append(objs, r)
		}
		for _, path := range j.paths {
			b.register(path, objs)
			_, _ = b.do("one|"+path, func() (any, error) { return fetchedOne{rows: j.join.Rows}, nil })
		}
	}
}
