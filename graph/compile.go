package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/vektah/gqlparser/v2/ast"

	"tracker/models"
)

// The query compiler. gqlgen parses and validates every operation, and the
// limiter, the complexity budget and the admission rules apply to it as
// before; then, as each root field of a query starts, compileRootField
// turns the field's selection — fragments spread, @include/@skip applied,
// aliases kept, arguments decoded by the executor's own decoders — into a
// models.JSONRoot, and the store runs it as one SQL statement that returns
// the field's JSON, which goes into the response untouched. A root field
// that selects anything the compiler does not cover (see docs/compiler.md),
// whose arguments the store refuses, or whose lookup finds nothing, runs
// through gqlgen's executor instead, which gives the error, the data or
// both exactly as always: the two paths answer byte for byte alike.

// compiler compiles root fields for one handler.
type compiler struct {
	store  *models.Store
	schema *executableSchema
	fields *prometheus.CounterVec // root fields by path: compiled or fallback
	plans  *lru.LRU[*plan]
	log    *slog.Logger
}

// plan is a root field's compiled statement, or nil SQL when it falls back.
type plan struct{ sql *models.CompiledJSON }

// planCacheSize bounds the compiled plans kept.
const planCacheSize = 1000

func newCompiler(store *models.Store, es graphql.ExecutableSchema, reg *prometheus.Registry, log *slog.Logger) *compiler {
	c := &compiler{store: store, schema: es.(*executableSchema), plans: lru.New[*plan](planCacheSize), log: log,
		fields: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tracker_query_root_fields_total",
			Help: "Root fields of queries answered, by path: compiled (one SQL statement building the JSON) or fallback (gqlgen's executor)."},
			[]string{"path"})}
	if reg != nil {
		reg.MustRegister(c.fields)
	}
	return c
}

// rootCounts counts one request's compiled and fallback root fields, for
// extensions.compiledFields and extensions.fallbackFields.
type rootCounts struct{ compiled, fallback atomic.Int64 }

type rootCountsKey struct{}

// aroundRootField answers a root field of a query from its compiled
// statement when it can, and through next otherwise.
func (c *compiler) aroundRootField(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
	oc := graphql.GetOperationContext(ctx)
	rf := graphql.GetRootFieldContext(ctx)
	if oc == nil || rf == nil || oc.Operation == nil || oc.Operation.Operation != ast.Query || strings.HasPrefix(rf.Field.Name, "__") {
		return next(ctx)
	}
	if raw, ok := c.run(ctx, oc, rf.Field); ok {
		c.count(ctx, true)
		return rawJSON(raw)
	}
	c.count(ctx, false)
	return next(ctx)
}

func (c *compiler) count(ctx context.Context, compiled bool) {
	path := "fallback"
	if compiled {
		path = "compiled"
	}
	c.fields.WithLabelValues(path).Inc()
	if n, ok := ctx.Value(rootCountsKey{}).(*rootCounts); ok {
		if compiled {
			n.compiled.Add(1)
		} else {
			n.fallback.Add(1)
		}
	}
}

// run compiles and runs field, reporting false when it must fall back.
func (c *compiler) run(ctx context.Context, oc *graphql.OperationContext, field graphql.CollectedField) ([]byte, bool) {
	key, cacheable := planKey(oc, field)
	pl, ok := c.plans.Get(ctx, key)
	if !ok || !cacheable {
		pl = &plan{}
		p := &planner{ctx: ctx, oc: oc, ec: newExecutionContext(oc, c.schema, nil), schema: c.schema.Schema()}
		if root, err := p.root(field); err == nil {
			pl.sql, _ = c.store.CompileJSON(root)
		}
		if cacheable {
			c.plans.Add(ctx, key, pl)
		}
	}
	if pl.sql == nil {
		return nil, false
	}
	raw, found, err := c.store.QueryJSON(ctx, pl.sql)
	if err != nil && ctx.Err() == nil {
		// The executor answers; a statement the compiler wrote that
		// fails is its bug, and said so.
		c.log.ErrorContext(ctx, compiledFailed, "field", field.Alias, "error", err)
	}
	if err != nil || !found {
		return nil, false
	}
	return raw, true
}

// compiledFailed is the message logged when a compiled statement fails.
const compiledFailed = "compiled statement failed; the executor answers"

// planKey names what a root field's plan depends on: the document, the
// operation, the field's response key, the variables (which fill its
// arguments and its @include/@skip) and the day (the overdue rule compares
// with today). Nothing depends on the caller: fields whose answer does
// are never compiled.
func planKey(oc *graphql.OperationContext, field graphql.CollectedField) (string, bool) {
	vars, err := json.Marshal(oc.Variables) // map keys sorted: one spelling per value
	if err != nil {
		return "", false
	}
	var b strings.Builder
	b.Grow(len(oc.RawQuery) + len(oc.OperationName) + len(field.Alias) + len(vars) + 16)
	for _, part := range []string{oc.RawQuery, oc.OperationName, field.Alias, string(vars), time.Now().UTC().Format(time.DateOnly)} {
		b.WriteString(part)
		b.WriteByte(0)
	}
	return b.String(), true
}

// rawJSON writes JSON the database built.
type rawJSON []byte

// MarshalGQL writes the bytes as they are.
func (r rawJSON) MarshalGQL(w io.Writer) { _, _ = w.Write(r) }

// reportRootFields adds extensions.compiledFields and
// extensions.fallbackFields to each response that reports its
// sqlStatements (those of HTTP requests).
func reportRootFields(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	n := &rootCounts{}
	resp := next(context.WithValue(ctx, rootCountsKey{}, n))
	if _, counted := models.StatementCount(ctx); resp != nil && counted {
		if resp.Extensions == nil {
			resp.Extensions = map[string]any{}
		}
		resp.Extensions["compiledFields"] = int(n.compiled.Load())
		resp.Extensions["fallbackFields"] = int(n.fallback.Load())
	}
	return resp
}

// errNotCovered is a selection the planner leaves to gqlgen.
var errNotCovered = errors.New("not covered")

func notCovered(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errNotCovered, fmt.Sprintf(format, args...))
}

// rootLists are the root connections whose resolver lists rows of a type
// with the list engine (listed), by field.
var rootLists = map[string]string{
	"initiatives": "Initiative", "organizations": "Organization", "partnerships": "Partnership",
	"people": "Person", "meetings": "Meeting", "actionItems": "ActionItem", "deploymentStatistics": "Statistic",
	"metrics": "Metric", "results": "Result", "sources": "Source", "citations": "Citation", "places": "Place",
	"topics": "Topic",
}

// rootLookups are the root fields finding one object by ID or by one of
// its keys (lookup), with those keys.
var rootLookups = map[string]struct {
	typ  string
	keys []string
}{
	"initiative": {"Initiative", []string{"slug"}}, "organization": {"Organization", []string{"acronym", "slug"}},
	"person": {"Person", []string{"slug"}}, "meeting": {"Meeting", []string{"slug"}},
	"actionItem": {"ActionItem", []string{"slug"}}, "metric": {"Metric", []string{"key"}},
	"source": {"Source", []string{"slug"}},
}

// aggregateArgs are the fields other than connections whose arguments the
// compiler reads (models.JSONField.Args).
var aggregateArgs = map[string]bool{"MeetingConnection.countsByPeriod": true}

// planner turns one root field's selection into a models.JSONRoot.
type planner struct {
	ctx    context.Context
	oc     *graphql.OperationContext
	ec     *executionContext
	schema *ast.Schema
}

func (p *planner) root(field graphql.CollectedField) (*models.JSONRoot, error) {
	if field.Definition == nil || field.Definition.Directives.ForName("hasRole") != nil {
		return nil, notCovered("Query.%s", field.Name)
	}
	args, err := p.args("Query", field)
	if err != nil {
		return nil, err
	}
	if typ, ok := rootLists[field.Name]; ok {
		conn, err := p.connection(field, args)
		if err != nil {
			return nil, err
		}
		return &models.JSONRoot{Type: typ, List: true, Conn: conn}, nil
	}
	switch field.Name {
	case "node":
		id, _ := args["id"].(models.GlobalID)
		return p.node(id, field.Selections)
	case "nodes":
		ids, _ := args["ids"].([]*models.GlobalID)
		if len(ids) > maxNodes {
			return nil, notCovered("nodes of %d IDs", len(ids))
		}
		r := &models.JSONRoot{Nodes: make([]*models.JSONRoot, len(ids))}
		for i, id := range ids {
			if r.Nodes[i], err = p.node(*id, field.Selections); err != nil {
				return nil, err
			}
		}
		return r, nil
	}
	l, ok := rootLookups[field.Name]
	if !ok {
		return nil, notCovered("Query.%s", field.Name)
	}
	r := &models.JSONRoot{Type: l.typ}
	given := 0
	if id, _ := args["id"].(*models.GlobalID); id != nil {
		given++
		n, err := id.As(l.typ)
		if err != nil {
			return nil, err
		}
		r.By, r.ID = "id", n
	}
	for _, k := range l.keys {
		if v, _ := args[k].(*string); v != nil {
			given++
			r.By, r.Value = k, *v
		}
	}
	if given != 1 {
		return nil, notCovered("Query.%s with %d keys", field.Name, given)
	}
	if r.Fields, err = p.object(l.typ, field.Selections); err != nil {
		return nil, err
	}
	return r, nil
}

// node plans the object of global ID id, of the type the ID names.
func (p *planner) node(id models.GlobalID, sel ast.SelectionSet) (*models.JSONRoot, error) {
	if _, ok := nodeFetchers[id.Type]; !ok {
		return nil, notCovered("node of type %q", id.Type)
	}
	fields, err := p.object(id.Type, sel)
	if err != nil {
		return nil, err
	}
	return &models.JSONRoot{Type: id.Type, By: "id", ID: id.ID, Fields: fields}, nil
}

// args decodes the arguments of field of typ as the executor does.
func (p *planner) args(typ string, field graphql.CollectedField) (map[string]any, error) {
	if len(field.Definition.Arguments) == 0 {
		return nil, nil
	}
	decode, ok := argDecoders[typ+"."+field.Name]
	if !ok {
		return nil, notCovered("arguments of %s.%s", typ, field.Name)
	}
	return decode(p.ec, p.ctx, field.ArgumentMap(p.oc.Variables))
}

// connection plans a connection field with its decoded arguments.
func (p *planner) connection(field graphql.CollectedField, args map[string]any) (models.JSONField, error) {
	f := models.JSONField{Key: field.Alias, Name: field.Name, Filter: args["filter"], OrderBy: args["orderBy"]}
	f.Page.First, _ = args["first"].(*int)
	f.Page.After, _ = args["after"].(*string)
	f.Page.Last, _ = args["last"].(*int)
	f.Page.Before, _ = args["before"].(*string)
	var err error
	f.Fields, err = p.object(field.Definition.Type.Name(), field.Selections)
	return f, err
}

// object plans the selection sel on an object of type typ.
func (p *planner) object(typ string, sel ast.SelectionSet) ([]models.JSONField, error) {
	def := p.schema.Types[typ]
	if def == nil || def.Kind != ast.Object {
		return nil, notCovered("type %s", typ)
	}
	collected, err := collectFields(p.oc, sel, implementorsOf(p.schema, typ))
	if err != nil {
		return nil, err
	}
	out := make([]models.JSONField, 0, len(collected))
	for _, f := range collected {
		if len(f.Deferrables) > 0 {
			return nil, notCovered("@defer")
		}
		if f.Name == "__typename" {
			out = append(out, models.JSONField{Key: f.Alias, Name: f.Name, Typename: typ})
			continue
		}
		fd := f.Definition
		if fd == nil || fd.Directives.ForName("hasRole") != nil {
			return nil, notCovered("%s.%s", typ, f.Name)
		}
		named := fd.Type.Name()
		nd := p.schema.Types[named]
		if nd == nil {
			return nil, notCovered("%s.%s", typ, f.Name)
		}
		isConnection := nd.Kind == ast.Object && strings.HasSuffix(named, "Connection")
		var args map[string]any // of a field that is not a connection
		switch {
		case len(fd.Arguments) > 0 && !isConnection && aggregateArgs[typ+"."+f.Name]:
			if args, err = p.args(typ, f); err != nil {
				return nil, err
			}
		case len(fd.Arguments) > 0 && !isConnection:
			return nil, notCovered("%s.%s with arguments", typ, f.Name)
		case named == "ID" && f.Name != "id":
			return nil, notCovered("%s.%s", typ, f.Name)
		}
		switch nd.Kind {
		case ast.Scalar, ast.Enum:
			out = append(out, models.JSONField{Key: f.Alias, Name: f.Name})
		case ast.Object:
			if isConnection {
				args, err := p.args(typ, f)
				if err != nil {
					return nil, err
				}
				cf, err := p.connection(f, args)
				if err != nil {
					return nil, err
				}
				out = append(out, cf)
				continue
			}
			sub, err := p.object(named, f.Selections)
			if err != nil {
				return nil, err
			}
			out = append(out, models.JSONField{Key: f.Alias, Name: f.Name, Fields: sub, Args: args})
		default:
			return nil, notCovered("%s.%s of %s type %s", typ, f.Name, nd.Kind, named)
		}
	}
	return out, nil
}

// collectFields is graphql.CollectFields, the executor's own, with one
// response key per field. CollectFields merges the fields of one key
// unless they come from fragments on two interfaces neither of which
// implements the other (`... on Node { __typename } ... on Cited {
// __typename }`): then it returns the key twice, and the executor writes
// the first and drops the second, its selection unmerged. A repeated leaf
// (the same field, no selection) is that field once either way; a
// repeated key with a selection of its own, which the executor answers
// without merging it, falls back so that the answer stays the executor's.
func collectFields(oc *graphql.OperationContext, sel ast.SelectionSet, satisfies []string) ([]graphql.CollectedField, error) {
	collected := graphql.CollectFields(oc, sel, satisfies)
	var out []graphql.CollectedField // a copy only when a key repeats
	for i, f := range collected {
		first := slices.IndexFunc(collected[:i], func(g graphql.CollectedField) bool { return g.Alias == f.Alias })
		if first < 0 {
			if out != nil {
				out = append(out, f)
			}
			continue
		}
		if g := collected[first]; g.Name != f.Name || len(g.Selections) > 0 || len(f.Selections) > 0 {
			return nil, notCovered("response key %q selected twice unmerged", f.Alias)
		}
		if out == nil {
			out = slices.Clone(collected[:i])
		}
	}
	if out == nil {
		return collected, nil
	}
	return out, nil
}

var implementors sync.Map // type name → []string

// implementorsOf returns the type conditions an object of type typ
// satisfies: its name, its interfaces and the unions it belongs to.
func implementorsOf(s *ast.Schema, typ string) []string {
	if v, ok := implementors.Load(typ); ok {
		return v.([]string)
	}
	names := []string{typ}
	names = append(names, s.Types[typ].Interfaces...)
	for _, t := range s.Types {
		if t.Kind == ast.Union {
			for _, m := range t.Types {
				if m == typ {
					names = append(names, t.Name)
				}
			}
		}
	}
	implementors.Store(typ, names)
	return names
}
