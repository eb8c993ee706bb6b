package graph

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/99designs/gqlgen/complexity"
	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"tracker/models"
)

// Limits bound what one request may ask for. Each refusal happens before
// execution, is fast, and names the limit in extensions.code, with
// extensions.limit and extensions.actual.
//
// The bounds on the shape of a document are checked right after it is
// parsed and before it is validated: validation costs more than the
// checks, and on hostile documents much more (gqlparser's
// OverlappingFieldsCanBeMerged compares every pair of fields that share a
// response name, so a field repeated n times costs n² comparisons: 5,000
// repeats of __typename took seconds).
type Limits struct {
	// MaxDepth bounds the nesting of fields (QUERY_TOO_DEEP).
	MaxDepth int
	// MaxIntrospectionDepth bounds the nesting of fields under __schema and
	// __type (QUERY_TOO_DEEP): deep enough for GraphiQL's introspection
	// query, whose type references nest nine ofType levels (depth 15).
	MaxIntrospectionDepth int
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
	// MaxSelections bounds the selections of a document — fields, inline
	// fragments and fragment spreads — counting a fragment's selections
	// again at each spread, and a repeated field at each repeat
	// (TOO_MANY_SELECTIONS).
	MaxSelections int
	// MaxSelectionSetSize bounds the selections that one selection set
	// gathers, its fragments' included, counted the same way
	// (SELECTION_SET_TOO_LARGE).
	MaxSelectionSetSize int
	// MaxDirectives bounds the directives at one location: an operation,
	// a variable, a field, a fragment or a spread (TOO_MANY_DIRECTIVES).
	MaxDirectives int
	// MaxErrors bounds the errors of one response; the rest are summed up
	// in one more error (TOO_MANY_ERRORS).
	MaxErrors int
}

// DefaultLimits are safe for the dashboards and officers this API serves:
// the front-page query has depth 6, 32 selections and complexity about
// 12,000; GraphiQL's introspection query has introspection depth 15, 237
// selections, and 9 in its largest selection set; no query of the tests,
// the README or the benchmarks has a directive. A connection that does
// not say how many items it wants counts as its default page of 50.
// Validation of the costliest documents within these limits (1,000
// selections sharing few response names) takes about 50 ms.
var DefaultLimits = Limits{MaxDepth: 12, MaxIntrospectionDepth: 20, MaxComplexity: 1_000_000, MaxAliases: 50,
	MaxOperations: 20, MaxTokens: 20_000, MaxSelections: 1_000, MaxSelectionSetSize: 100, MaxDirectives: 5,
	MaxErrors: 10}

// Limit codes, in extensions.code.
const (
	codeTooDeep         = "QUERY_TOO_DEEP"
	codeTooComplex      = "QUERY_TOO_COMPLEX"
	codeTooManyAliases  = "TOO_MANY_ALIASES"
	codeTooManyOps      = "TOO_MANY_OPERATIONS"
	codeTooManySels     = "TOO_MANY_SELECTIONS"
	codeSetTooLarge     = "SELECTION_SET_TOO_LARGE"
	codeTooManyDirs     = "TOO_MANY_DIRECTIVES"
	codeTooManyErrors   = "TOO_MANY_ERRORS"
	codeRequestTooLarge = "REQUEST_TOO_LARGE"
	codeTimeout         = "TIMEOUT"
)

// limiter enforces Limits as a gqlgen extension: the shape of the document
// is checked right after it is parsed, before validation (which costs more
// on hostile documents), and its complexity once it is valid.
type limiter struct {
	limits Limits
	schema graphql.ExecutableSchema
	// cache is the executor's cache of valid documents: a document found
	// there passed these checks when it was first seen, and is not parsed
	// again.
	cache graphql.Cache[*ast.QueryDocument]
	// costs holds the complexity of recent operations, by the SHA-256 of
	// their document, operation name and variables.
	costs graphql.Cache[int]
}

var (
	_ graphql.HandlerExtension          = (*limiter)(nil)
	_ graphql.OperationParameterMutator = (*limiter)(nil)
	_ graphql.OperationContextMutator   = (*limiter)(nil)
)

func (*limiter) ExtensionName() string { return "Limits" }

func (l *limiter) Validate(schema graphql.ExecutableSchema) error {
	l.schema = schema
	l.costs = lru.New[int](1000)
	return nil
}

// limitError is a refusal naming its limit.
func limitError(code, msg string, limit, actual int) *gqlerror.Error {
	return &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": code, "limit": limit, "actual": actual}}
}

// MutateOperationParameters checks the document's shape: one error, for
// the first limit it exceeds, however many of its parts exceed it.
func (l *limiter) MutateOperationParameters(ctx context.Context, raw *graphql.RawParams) *gqlerror.Error {
	if raw.Query == "" {
		return nil // a persisted query, checked once resolved
	}
	if l.cache != nil {
		if _, ok := l.cache.Get(ctx, raw.Query); ok {
			return nil
		}
	}
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: raw.Query}, l.limits.MaxTokens)
	if err != nil {
		return nil // gqlgen reports the parse error itself
	}
	return l.checkShape(doc)
}

// checkShape measures doc and refuses it if it exceeds a limit.
func (l *limiter) checkShape(doc *ast.QueryDocument) *gqlerror.Error {
	lim := l.limits
	if n := len(doc.Operations); n > lim.MaxOperations {
		return limitError(codeTooManyOps, "the document defines too many operations", lim.MaxOperations, n)
	}
	s := measure(doc, lim)
	switch {
	case s.aliases > lim.MaxAliases:
		return limitError(codeTooManyAliases, "the document uses too many aliases", lim.MaxAliases, s.aliases)
	case s.selections > lim.MaxSelections:
		msg := "the document has too many selections (a fragment's count at each of its spreads, a repeated field at each repeat)"
		if s.selections >= walkBudget(lim) {
			msg += fmt.Sprintf("; counting stopped at %d", s.selections)
		}
		return limitError(codeTooManySels, msg, lim.MaxSelections, s.selections)
	case s.widest > lim.MaxSelectionSetSize:
		return limitError(codeSetTooLarge, "a selection set has too many selections (its fragments' included, a repeated field at each repeat)",
			lim.MaxSelectionSetSize, s.widest)
	case s.directives > lim.MaxDirectives:
		return limitError(codeTooManyDirs, "a field, fragment or operation has too many directives", lim.MaxDirectives, s.directives)
	case s.depth > lim.MaxDepth:
		return limitError(codeTooDeep, "the query is nested too deeply", lim.MaxDepth, s.depth)
	case s.introspectionDepth > lim.MaxIntrospectionDepth:
		return limitError(codeTooDeep, "the introspection query is nested too deeply", lim.MaxIntrospectionDepth, s.introspectionDepth)
	}
	return nil
}

// MutateOperationContext checks the operation's complexity.
func (l *limiter) MutateOperationContext(ctx context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	op := opCtx.Doc.Operations.ForName(opCtx.OperationName)
	if op == nil {
		return nil
	}
	c := l.complexity(ctx, opCtx, op)
	if c > l.limits.MaxComplexity {
		return limitError(codeTooComplex, "the query would fetch too much: ask for smaller pages or fewer nested lists",
			l.limits.MaxComplexity, c)
	}
	opCtx.Stats.SetExtension(costExtension, c) // for admission control
	return nil
}

// complexity returns the complexity of op, from l.costs when it was
// computed before for the same document, operation and variables: it
// depends on nothing else (variables reach it through page sizes, and a value that does not coerce leaves its field at the
// default cost), and computing it, which coerces every field's arguments,
// was a tenth of the CPU of a small compiled query.
func (l *limiter) complexity(ctx context.Context, opCtx *graphql.OperationContext, op *ast.OperationDefinition) int {
	vars, err := json.Marshal(opCtx.Variables) // maps in key order
	if err != nil || opCtx.RawQuery == "" {
		return complexity.Calculate(ctx, l.schema, op, opCtx.Variables)
	}
	h := sha256.New()
	for _, part := range []string{opCtx.OperationName, opCtx.RawQuery, string(vars)} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	key := string(h.Sum(nil))
	if c, ok := l.costs.Get(ctx, key); ok {
		return c
	}
	c := complexity.Calculate(ctx, l.schema, op, opCtx.Variables)
	l.costs.Add(ctx, key, c)
	return c
}

// capErrors bounds the errors of each response: validation reports each
// offending node (1,000 repeated directives gave 1,999 errors, 294 kB),
// and a client needs the first few to mend its request. It runs inside
// recordErrors, so that the log and the metrics count what was sent.
func capErrors(maxErrors int) graphql.ResponseMiddleware {
	return func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		resp := next(ctx)
		if resp == nil || len(resp.Errors) <= maxErrors {
			return resp
		}
		n := len(resp.Errors)
		more := limitError(codeTooManyErrors, fmt.Sprintf("%d more errors are left out", n-maxErrors), maxErrors, n)
		resp.Errors = append(resp.Errors[:maxErrors:maxErrors], more)
		return resp
	}
}

// shape is what measure finds of a document.
type shape struct {
	selections         int // all, counted at each use
	widest             int // the selections of the largest selection set
	directives         int // the most at one location
	aliases            int
	depth              int // of fields outside introspection
	introspectionDepth int // of fields under __schema and __type
}

// walkBudget bounds the walk over pathological documents (fragments
// spread many times in many places): past it the walk stops, and the
// document is refused with the count so far as its actual size. Below it
// the count is exact; a visit costs nanoseconds.
func walkBudget(lim Limits) int { return max(10*lim.MaxSelections, 100_000) }

// measure walks doc's operations, following fragment spreads at each use,
// then the fragments no operation uses (validation walks those too). A
// fragment met again on its own path (a cycle, which validation refuses)
// is not followed. The walk stops after walkBudget selections.
func measure(doc *ast.QueryDocument, lim Limits) shape {
	w := shapeWalker{fragments: make(map[string]*ast.FragmentDefinition, len(doc.Fragments)),
		used: map[string]bool{}, onPath: map[string]bool{}, budget: walkBudget(lim)}
	for _, f := range doc.Fragments {
		w.fragments[f.Name] = f
		w.directives(f.Directives)
	}
	for _, op := range doc.Operations {
		w.directives(op.Directives)
		for _, v := range op.VariableDefinitions {
			w.directives(v.Directives)
		}
		w.set(op.SelectionSet, 1, false)
	}
	for _, f := range doc.Fragments {
		if !w.used[f.Name] {
			w.used[f.Name] = true
			w.onPath[f.Name] = true
			w.set(f.SelectionSet, 1, false)
			delete(w.onPath, f.Name)
		}
	}
	return w.shape
}

// shapeWalker measures a document; see measure.
type shapeWalker struct {
	shape
	fragments map[string]*ast.FragmentDefinition
	used      map[string]bool // fragments spread somewhere
	onPath    map[string]bool // fragments being walked
	budget    int
}

func (w *shapeWalker) directives(list ast.DirectiveList) {
	w.shape.directives = max(w.shape.directives, len(list))
}

// set walks a selection set whose fields are at depth, under introspection
// or not, and notes its size.
func (w *shapeWalker) set(set ast.SelectionSet, depth int, introspection bool) {
	if n := w.gather(set, depth, introspection); n > w.widest {
		w.widest = n
	}
}

// gather walks the selections of set and of the fragments in it, which
// validation and execution merge into one set, and returns how many there
// are.
func (w *shapeWalker) gather(set ast.SelectionSet, depth int, introspection bool) int {
	n := 0
	for _, sel := range set {
		if w.selections >= w.budget {
			return n
		}
		w.selections++
		n++
		switch s := sel.(type) {
		case *ast.Field:
			w.directives(s.Directives)
			if s.Alias != "" && s.Alias != s.Name {
				w.aliases++ // introspection's too: each alias is a copy to answer
			}
			// __schema and __type start introspection; __typename is a
			// leaf of whatever holds it.
			in := introspection || strings.HasPrefix(s.Name, "__") && s.Name != "__typename"
			if in {
				w.introspectionDepth = max(w.introspectionDepth, depth)
			} else {
				w.depth = max(w.depth, depth)
			}
			if len(s.SelectionSet) > 0 {
				w.set(s.SelectionSet, depth+1, in)
			}
		case *ast.InlineFragment:
			w.directives(s.Directives)
			n += w.gather(s.SelectionSet, depth, introspection)
		case *ast.FragmentSpread:
			w.directives(s.Directives)
			f, ok := w.fragments[s.Name]
			if !ok || w.onPath[s.Name] {
				continue
			}
			w.used[s.Name] = true
			w.onPath[s.Name] = true
			n += w.gather(f.SelectionSet, depth, introspection)
			delete(w.onPath, s.Name)
		}
	}
	return n
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
