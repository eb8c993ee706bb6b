package graph

import (
	"context"
	"reflect"
	"strings"

	"github.com/99designs/gqlgen/complexity"
	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"tracker/models"
)

// Limits bound what one request may ask for. Each refusal happens before
// execution, is fast, and names the limit in extensions.code.
type Limits struct {
	// MaxDepth bounds the nesting of fields (QUERY_TOO_DEEP).
	MaxDepth int
	// MaxComplexity bounds the estimated work of an operation, in which a
	// list costs its page size times its items' cost (QUERY_TOO_COMPLEX).
	MaxComplexity int
	// MaxAliases bounds the aliased fields of a document (TOO_MANY_ALIASES).
	MaxAliases int
	// MaxOperations bounds the operations a document may define
	// (TOO_MANY_OPERATIONS); a request runs one of them.
	MaxOperations int
	// MaxTokens bounds the size of a document in lexical tokens; larger
	// ones are refused by the parser before anything else.
	MaxTokens int
}

// DefaultLimits are safe for the dashboards and officers this API serves:
// the front-page query has depth 6 and complexity about 12,000; a
// connection that does not say how many items it wants counts as its
// default page of 50.
var DefaultLimits = Limits{MaxDepth: 12, MaxComplexity: 1_000_000, MaxAliases: 50, MaxOperations: 20, MaxTokens: 20_000}

// Limit codes, in extensions.code.
const (
	codeTooDeep         = "QUERY_TOO_DEEP"
	codeTooComplex      = "QUERY_TOO_COMPLEX"
	codeTooManyAliases  = "TOO_MANY_ALIASES"
	codeTooManyOps      = "TOO_MANY_OPERATIONS"
	codeRequestTooLarge = "REQUEST_TOO_LARGE"
	codeTimeout         = "TIMEOUT"
)

// limiter enforces Limits as a gqlgen extension: the shape of the document
// is checked right after it is parsed, before validation (which costs more
// on hostile documents), and its complexity once it is valid.
type limiter struct {
	limits Limits
	schema graphql.ExecutableSchema
}

var (
	_ graphql.HandlerExtension          = (*limiter)(nil)
	_ graphql.OperationParameterMutator = (*limiter)(nil)
	_ graphql.OperationContextMutator   = (*limiter)(nil)
)

func (*limiter) ExtensionName() string { return "Limits" }

func (l *limiter) Validate(schema graphql.ExecutableSchema) error {
	l.schema = schema
	return nil
}

// limitError is a refusal naming its limit.
func limitError(code, msg string, limit, actual int) *gqlerror.Error {
	return &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": code, "limit": limit, "actual": actual}}
}

// MutateOperationParameters checks the document's shape.
func (l *limiter) MutateOperationParameters(_ context.Context, raw *graphql.RawParams) *gqlerror.Error {
	if raw.Query == "" {
		return nil // a persisted query, checked once resolved
	}
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: raw.Query}, l.limits.MaxTokens)
	if err != nil {
		return nil // gqlgen reports the parse error itself
	}
	if n := len(doc.Operations); n > l.limits.MaxOperations {
		return limitError(codeTooManyOps, "the document defines too many operations", l.limits.MaxOperations, n)
	}
	w := shapeWalker{fragments: map[string]*ast.FragmentDefinition{}}
	for _, f := range doc.Fragments {
		w.fragments[f.Name] = f
	}
	for _, op := range doc.Operations {
		w.walk(op.SelectionSet, 1, map[string]bool{})
	}
	if w.aliases > l.limits.MaxAliases {
		return limitError(codeTooManyAliases, "the document uses too many aliases", l.limits.MaxAliases, w.aliases)
	}
	if w.depth > l.limits.MaxDepth {
		return limitError(codeTooDeep, "the query is nested too deeply", l.limits.MaxDepth, w.depth)
	}
	return nil
}

// MutateOperationContext checks the operation's complexity.
func (l *limiter) MutateOperationContext(ctx context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	op := opCtx.Doc.Operations.ForName(opCtx.OperationName)
	if op == nil {
		return nil
	}
	c := complexity.Calculate(ctx, l.schema, op, opCtx.Variables)
	if c > l.limits.MaxComplexity {
		return limitError(codeTooComplex, "the query would fetch too much: ask for smaller pages or fewer nested lists",
			l.limits.MaxComplexity, c)
	}
	opCtx.Stats.SetExtension(costExtension, c) // for admission control
	return nil
}

// shapeWalker measures a document's depth and counts its aliases, following
// fragment spreads; a fragment met again on its own path (a cycle, which
// validation refuses) is not followed.
type shapeWalker struct {
	fragments map[string]*ast.FragmentDefinition
	depth     int
	aliases   int
	visits    int
}

// maxVisits bounds the walk over pathological documents (fragments spread
// many times in many places).
const maxVisits = 100_000

func (w *shapeWalker) walk(set ast.SelectionSet, depth int, onPath map[string]bool) {
	for _, sel := range set {
		w.visits++
		if w.visits > maxVisits {
			w.depth = max(w.depth, 1<<20) // refuse: too large to measure
			return
		}
		switch s := sel.(type) {
		case *ast.Field:
			if s.Alias != "" && s.Alias != s.Name {
				w.aliases++ // introspection's too: each alias is a copy to answer
			}
			if depth == 0 || strings.HasPrefix(s.Name, "__") && s.Name != "__typename" {
				// Introspection nests type references deeply; its depth is
				// bounded by validation's introspection-depth rule instead,
				// and 0 stands for not measured.
				w.walk(s.SelectionSet, 0, onPath)
				continue
			}
			w.depth = max(w.depth, depth)
			w.walk(s.SelectionSet, depth+1, onPath)
		case *ast.InlineFragment:
			w.walk(s.SelectionSet, depth, onPath)
		case *ast.FragmentSpread:
			f, ok := w.fragments[s.Name]
			if !ok || onPath[s.Name] {
				continue
			}
			onPath[s.Name] = true
			w.walk(f.SelectionSet, depth, onPath)
			delete(onPath, s.Name)
		}
	}
}

// complexityRoot returns the cost functions of the schema: a connection
// costs its page size (first or last, else the default) times the cost of
// its items; other fields cost one plus their children (gqlgen's default).
func complexityRoot(maxPage int) ComplexityRoot {
	var root ComplexityRoot
	rv := reflect.ValueOf(&root).Elem()
	for i := range rv.NumField() {
		typ := rv.Field(i)
		for j := range typ.NumField() {
			f := typ.Field(j)
			if fn := pageCost(f.Type(), maxPage); fn.IsValid() {
				f.Set(fn)
			}
		}
	}
	// A search result costs more than its fields: the database ranks it
	// and cuts its snippet (a page of 1,000 takes as long as 1,000
	// meetings with their participants).
	page := root.Query.Search
	root.Query.Search = func(child int, text string, first *int, after *string, filter *models.SearchFilter) int {
		return page(child*searchResultWeight, text, first, after, filter)
	}
	return root
}

// searchResultWeight multiplies the cost of a search result's fields.
const searchResultWeight = 10

var (
	intPtr    = reflect.TypeFor[*int]()
	stringPtr = reflect.TypeFor[*string]()
)

// pageCost returns a cost function of type fn if fn's arguments are those of
// a paged field — (child, first, after, last, before, …) or, for search and
// topPartners, (child, …, first, …) — and the zero Value otherwise.
func pageCost(fn reflect.Type, maxPage int) reflect.Value {
	var first, last = -1, -1
	switch {
	case fn.NumIn() >= 5 && fn.In(1) == intPtr && fn.In(2) == stringPtr && fn.In(3) == intPtr && fn.In(4) == stringPtr:
		first, last = 1, 3
	default:
		for k := 1; k < fn.NumIn(); k++ {
			if fn.In(k) == intPtr {
				first = k
				break
			}
		}
		if first < 0 {
			return reflect.Value{}
		}
	}
	return reflect.MakeFunc(fn, func(args []reflect.Value) []reflect.Value {
		n := models.DefaultPageSize
		for _, k := range []int{first, last} {
			if k > 0 && !args[k].IsNil() {
				n = int(args[k].Elem().Int())
			}
		}
		// A page larger than the largest allowed is refused on its own,
		// with PAGE_TOO_LARGE; here it costs a largest page.
		n, child := min(max(n, 1), maxPage), max(int(args[0].Int()), 1)
		const ceiling = 1 << 40 // beyond any limit; no overflow
		cost := ceiling
		if child < ceiling/n {
			cost = 1 + n*child
		}
		return []reflect.Value{reflect.ValueOf(cost)}
	})
}
