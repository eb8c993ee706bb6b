// Package querygen generates random, valid GraphQL query documents from a
// schema, for differential tests: the same seed gives the same document
// and variables, so a failure reproduces from its seed alone.
//
// A document is one query operation of one to a few root fields, each
// with a random selection: aliases (the same field twice with different
// arguments among them), inline and named fragments (on objects and on
// the interfaces and unions they belong to), @include and @skip with
// literal and variable conditions, variables of every input type an
// argument takes (with and without default values), filters nested with
// and/or/not and through relations, orderings of one to three keys, pages
// taken from the front or the back, __typename, node and nodes, and
// relations nested a few levels deep. Arguments take their values from
// Samples, the IDs and field values of real rows, so that most filters and
// lookups match something, and some miss.
//
// Pages after or before a cursor need a cursor the server made: a Query
// lists its cursor variables with the response path that holds their
// value, and NextPage reads them from a first response, so that the same
// document, sent again with them, asks for the next page.
//
// Config restricts what is generated, for a compiler that covers part of
// the schema.
package querygen

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// Config bounds and restricts the documents a Generator makes. The zero
// value generates everything, within the server's default limits.
type Config struct {
	// Roots are the root query fields to use; empty, every root query
	// field.
	Roots []string
	// Exclude are fields never selected, as "Type.field" (for example
	// "Query.search" or "Initiative.history").
	Exclude []string
	// MaxRelations bounds the objects nested in one another below a root
	// field, connections' edges and nodes not counted (default 4).
	MaxRelations int
	// MaxDepth bounds the nesting of fields, as the server counts it
	// (default 10: the server allows 12).
	MaxDepth int
	// MaxRootFields bounds the root fields of an operation (default 3).
	MaxRootFields int
	// MaxFields bounds the fields picked for one selection set, fragments
	// and repeats aside (default 6).
	MaxFields int
	// MaxPage bounds the page sizes asked for (default 5).
	MaxPage int
	// MaxCost bounds the product of the page sizes along a path, which is
	// what the server's complexity estimate multiplies (default 1,000).
	MaxCost int
	// MaxSelections bounds the selections of a document, counted at each
	// use as the server counts them (default 600: the server allows 1,000).
	MaxSelections int
	// MaxAliases bounds the aliases of a document (default 40: the server
	// allows 50).
	MaxAliases int
	// NoFragments, NoDirectives, NoVariables, NoAliases, NoFilters,
	// NoOrderings and NoCursors each turn one feature off.
	NoFragments, NoDirectives, NoVariables, NoAliases, NoFilters, NoOrderings, NoCursors bool
	// NoErrors keeps the generator from asking for what the server
	// refuses on purpose: malformed IDs and cursors, two pagination
	// directions at once, lookups by none or two keys.
	NoErrors bool
}

func (c Config) withDefaults() Config {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.MaxRelations, 4)
	def(&c.MaxDepth, 10)
	def(&c.MaxRootFields, 3)
	def(&c.MaxFields, 6)
	def(&c.MaxPage, 5)
	def(&c.MaxCost, 1000)
	def(&c.MaxSelections, 600)
	def(&c.MaxAliases, 40)
	return c
}

// Query is a generated request.
type Query struct {
	// Seed generated it.
	Seed uint64
	// Document is the query document.
	Document string
	// OperationName names the operation to run.
	OperationName string
	// Variables are its variables, as JSON values; variables with a
	// default value may be absent.
	Variables map[string]any
	// Cursors are the variables that NextPage fills from a response.
	Cursors []Cursor
}

// Cursor is a cursor variable of a Query and where a response holds its
// value for the next page.
type Cursor struct {
	// Variable is the variable's name, without "$".
	Variable string
	// Path is the response names leading to the cursor, from data; where
	// it crosses a list, the first element that has the rest is taken.
	Path []string
}

// NextPage returns q's variables with its cursor variables set from the
// response body of a first run, and whether any was found.
func (q Query) NextPage(body []byte) (map[string]any, bool) {
	var resp struct{ Data any }
	if json.Unmarshal(body, &resp) != nil {
		return nil, false
	}
	vars := make(map[string]any, len(q.Variables)+len(q.Cursors))
	for k, v := range q.Variables {
		vars[k] = v
	}
	found := false
	for _, c := range q.Cursors {
		if s, ok := lookup(resp.Data, c.Path).(string); ok {
			vars[c.Variable] = s
			found = true
		}
	}
	return vars, found
}

// lookup returns the value at path in v, taking the first list element
// that has it.
func lookup(v any, path []string) any {
	if len(path) == 0 {
		return v
	}
	switch v := v.(type) {
	case map[string]any:
		return lookup(v[path[0]], path[1:])
	case []any:
		for _, e := range v {
			if r := lookup(e, path); r != nil {
				return r
			}
		}
	}
	return nil
}

// Generator makes queries of one schema.
type Generator struct {
	schema  *ast.Schema
	samples *Samples
	cfg     Config
	exclude map[string]bool
	roots   []*ast.FieldDefinition
}

// New returns a Generator of queries of schema, taking argument values
// from samples (nil: made-up values only).
func New(schema *ast.Schema, samples *Samples, cfg Config) *Generator {
	if samples == nil {
		samples = &Samples{}
	}
	g := &Generator{schema: schema, samples: samples, cfg: cfg.withDefaults(), exclude: map[string]bool{}}
	for _, e := range cfg.Exclude {
		g.exclude[e] = true
	}
	for _, f := range schema.Query.Fields {
		if strings.HasPrefix(f.Name, "__") || g.exclude["Query."+f.Name] {
			continue
		}
		if len(cfg.Roots) > 0 && !slices.Contains(cfg.Roots, f.Name) {
			continue
		}
		g.roots = append(g.roots, f)
	}
	return g
}

// Generate returns the query of seed.
func (g *Generator) Generate(seed uint64) Query {
	// A document over the bounds is made again from the next stream of
	// the same seed: the bounds are checked after the fact.
	for attempt := uint64(0); ; attempt++ {
		s := g.newState(seed, attempt)
		q := s.operation()
		if s.selections <= g.cfg.MaxSelections && s.aliases <= g.cfg.MaxAliases || attempt >= 20 {
			q.Seed = seed
			return q
		}
	}
}

// Variables returns values for the variables op declares, made as the
// generator makes them, for replaying documents written by hand.
func (g *Generator) Variables(seed uint64, op *ast.OperationDefinition) map[string]any {
	s := g.newState(seed, 0)
	vars := map[string]any{}
	for _, v := range op.VariableDefinitions {
		if v.DefaultValue != nil && s.r.IntN(2) == 0 {
			continue
		}
		vars[v.Variable] = jsonValue(s.value(v.Type, v.Variable, ""))
	}
	return vars
}

func (g *Generator) newState(seed, attempt uint64) *state {
	return &state{g: g, cfg: g.cfg, r: rand.New(rand.NewPCG(seed, attempt)), vars: map[string]any{},
		fragments: map[string]*fragment{}}
}

// state is the making of one document.
type state struct {
	g   *Generator
	cfg Config
	r   *rand.Rand

	varDefs   []string
	varNames  []string
	vars      map[string]any
	fragments map[string]*fragment
	fragOrder []string
	cursors   []Cursor
	n         int // for fresh names

	selections, aliases int
	inFragment          int // > 0 while a named fragment's body is made
	inline              int // inline fragments around the set being made
}

// fragment is a named fragment of the document.
type fragment struct {
	name, on, text      string
	names               names // the response names its selections add to a set
	selections, aliases int   // counted at each spread
	depth, cost         int   // where it was made: it goes no deeper or costlier
}

// names maps the response names of a selection set (its fragments'
// included) to what answers them, so that no two fields that cannot merge
// share a name.
type names map[string]string

func (s *state) fresh(prefix string) string {
	s.n++
	return prefix + strconv.Itoa(s.n)
}

func (s *state) chance(p float64) bool { return s.r.Float64() < p }

func (s *state) operation() Query {
	var b strings.Builder
	roots := s.g.roots
	nroots := 1 + s.r.IntN(s.cfg.MaxRootFields)
	set := names{}
	var body strings.Builder
	for range nroots {
		if len(roots) == 0 {
			break
		}
		f := roots[s.r.IntN(len(roots))]
		if slices.ContainsFunc(f.Directives, func(d *ast.Directive) bool { return d.Name == "hasRole" }) && s.chance(0.6) {
			f = roots[s.r.IntN(len(roots))] // most callers are refused them
		}
		s.field(&body, s.g.schema.Query, f, set, 1, 0, 1, []string{})
	}
	if s.chance(0.1) {
		body.WriteString(" __typename")
		s.selections++
	}
	name := "Q" + strconv.Itoa(s.r.IntN(1000))
	b.WriteString("query " + name)
	if len(s.varDefs) > 0 {
		b.WriteString("(" + strings.Join(s.varDefs, ", ") + ")")
	}
	b.WriteString(" {" + body.String() + " }\n")
	for _, n := range s.fragOrder {
		f := s.fragments[n]
		b.WriteString("\nfragment " + f.name + " on " + f.on + " " + f.text + "\n")
	}
	return Query{Document: b.String(), OperationName: name, Variables: s.vars, Cursors: s.cursors}
}

// typeOf returns the definition of t's named type.
func (s *state) typeOf(t *ast.Type) *ast.Definition { return s.g.schema.Types[t.Name()] }

func isLeaf(d *ast.Definition) bool { return d.Kind == ast.Scalar || d.Kind == ast.Enum }

// isConnection reports whether d is a Relay connection.
func isConnection(d *ast.Definition) bool {
	return d.Kind == ast.Object && d.Fields.ForName("pageInfo") != nil && d.Fields.ForName("edges") != nil
}

// selectable reports whether field f of parent may be picked.
func (s *state) selectable(parent *ast.Definition, f *ast.FieldDefinition) bool {
	if strings.HasPrefix(f.Name, "__") || s.g.exclude[parent.Name+"."+f.Name] {
		return false
	}
	return s.typeOf(f.Type) != nil
}

// field writes one selection of field f of parent into b: its alias,
// arguments, directives and selection set. depth is the field's nesting
// as the server counts it, rel the relations above it, cost the product
// of the page sizes above it, path the response names above it (nil where
// a cursor cannot be read back).
func (s *state) field(b *strings.Builder, parent *ast.Definition, f *ast.FieldDefinition, set names, depth, rel, cost int, path []string) {
	t := s.typeOf(f.Type)
	leaf := isLeaf(t)
	var args []string
	pageSize := 1
	var cursorVar string
	cursorFrom := ""
	if isConnection(t) {
		args, pageSize, cursorVar, cursorFrom = s.connectionArgs(f, t, cost)
	} else {
		args, pageSize = s.args(parent, f)
	}
	argText := ""
	if len(args) > 0 {
		argText = "(" + strings.Join(args, ", ") + ")"
	}
	sig := f.Name + argText + ":" + f.Type.String()
	name := f.Name
	// A name answers one field, or the same leaf again (which merges). In
	// a named fragment every field with a selection set gets a name of
	// its own: the fragment goes into sets not yet made.
	if prev, used := set[name]; used && (!leaf || prev != sig) || !leaf && s.inFragment > 0 ||
		!s.cfg.NoAliases && s.aliases < s.cfg.MaxAliases && s.chance(0.12) {
		name = s.fresh("a")
		s.aliases++
	}
	set[name] = sig
	s.selections++
	b.WriteString(" ")
	if name != f.Name {
		b.WriteString(name + ": ")
	}
	b.WriteString(f.Name + argText)
	directed := s.directives(b)
	if leaf {
		return
	}
	var sub []string
	if path != nil && !directed {
		sub = append(slices.Clip(path), name)
	}
	if cursorVar != "" && sub != nil {
		s.cursors = append(s.cursors, Cursor{Variable: cursorVar, Path: append(slices.Clip(sub), "pageInfo", cursorFrom)})
	}
	if isEntity(t) {
		rel++
	}
	s.selectionSet(b, t, depth+1, rel, cost*pageSize, sub, cursorVar != "")
}

// directives writes @include or @skip, sometimes, and reports whether it
// did.
func (s *state) directives(b *strings.Builder) bool {
	if s.cfg.NoDirectives || !s.chance(0.08) {
		return false
	}
	name := "include"
	if s.chance(0.5) {
		name = "skip"
	}
	cond := strconv.FormatBool(s.chance(0.5))
	if !s.cfg.NoVariables && s.chance(0.5) {
		v := s.fresh("b")
		val := s.chance(0.5)
		if s.chance(0.3) {
			s.defineVar(v, "Boolean", strconv.FormatBool(val), nil, false)
		} else {
			s.defineVar(v, "Boolean!", "", val, true)
		}
		cond = "$" + v
	}
	b.WriteString(" @" + name + "(if: " + cond + ")")
	return true
}

// selectionSet writes the selection set of type t. needPageInfo makes
// sure a connection's pageInfo holds the cursors the query reads back.
func (s *state) selectionSet(b *strings.Builder, t *ast.Definition, depth, rel, cost int, path []string, needPageInfo bool) {
	set := names{}
	b.WriteString(" {")
	if needPageInfo {
		pi := t.Fields.ForName("pageInfo")
		set["pageInfo"] = "pageInfo:" + pi.Type.String()
		s.selections += 5
		b.WriteString(" pageInfo { hasNextPage hasPreviousPage startCursor endCursor }")
	}
	s.fill(b, t, set, depth, rel, cost, path)
	b.WriteString(" }")
}

// fill writes the selections of a set of type t into b, at least
// one.
func (s *state) fill(b *strings.Builder, t *ast.Definition, set names, depth, rel, cost int, path []string) {
	var fields []*ast.FieldDefinition
	for _, f := range t.Fields {
		if !s.selectable(t, f) {
			continue
		}
		ft := s.typeOf(f.Type)
		if !isLeaf(ft) && (depth >= s.cfg.MaxDepth || rel >= s.cfg.MaxRelations && isEntity(ft)) {
			continue
		}
		fields = append(fields, f)
	}
	abstract := t.Kind == ast.Interface || t.Kind == ast.Union
	n := 1 + s.r.IntN(s.cfg.MaxFields)
	if s.inFragment > 0 || s.inline > 0 {
		n = 1 + s.r.IntN(min(3, s.cfg.MaxFields)) // they are repeated or nested
	}
	wrote := 0
	for i := 0; i < n || wrote == 0; i++ {
		if s.selections >= s.cfg.MaxSelections && wrote > 0 {
			break
		}
		k := s.r.IntN(10)
		switch {
		case k == 0 || len(fields) == 0:
			b.WriteString(" __typename")
			set["__typename"] = "__typename:String!"
			s.selections++
		case k == 1 && s.canInline() && s.inlineFragment(b, t, set, depth, rel, cost, path):
		case k == 2 && !s.cfg.NoFragments && s.spread(b, t, set, depth, rel, cost):
		case abstract && k < 5 && s.canInline() && s.inlineFragment(b, t, set, depth, rel, cost, path):
		default:
			f := fields[s.r.IntN(len(fields))]
			if _, again := set[f.Name]; again && s.chance(0.7) {
				f = fields[s.r.IntN(len(fields))] // fewer repeats
			}
			s.field(b, t, f, set, depth, rel, cost, path)
		}
		wrote++
	}
}

// isEntity reports whether d is a row of its own (an object with an ID,
// or an interface or union of such): entering one is a relation level.
// Connections, edges, partial dates and aggregates are not.
func isEntity(d *ast.Definition) bool {
	return d.Kind != ast.Object || d.Fields.ForName("id") != nil
}

// inlineFragment writes an inline fragment into a set of type t: on t, on
// an interface of t, on a possible type of an abstract t, or without a
// type condition.
func (s *state) inlineFragment(b *strings.Builder, t *ast.Definition, set names, depth, rel, cost int, path []string) bool {
	s.inline++
	defer func() { s.inline-- }()
	on := s.overlapping(t)
	cond := s.r.IntN(len(on) + 1)
	b.WriteString(" ...")
	s.selections++
	target := t
	if cond < len(on) {
		target = on[cond]
		b.WriteString(" on " + target.Name)
	}
	s.directives(b)
	b.WriteString(" {")
	if target.Name != t.Name {
		path = nil // the response may hold it only for some objects
	}
	s.fill(b, target, set, depth, rel, cost, path)
	b.WriteString(" }")
	return true
}

// canInline reports whether an inline fragment may go here: they nest
// two deep at most, else the sets on abstract types (which take many)
// would grow without end.
func (s *state) canInline() bool { return !s.cfg.NoFragments && s.inline < 2 }

// overlapping returns the types a fragment in a set of type t may be on:
// t, its interfaces, and for an abstract t its possible types.
func (s *state) overlapping(t *ast.Definition) []*ast.Definition {
	out := []*ast.Definition{t}
	for _, i := range t.Interfaces {
		if d := s.g.schema.Types[i]; d != nil {
			out = append(out, d)
		}
	}
	if t.Kind == ast.Interface || t.Kind == ast.Union {
		out = append(out, s.g.schema.GetPossibleTypes(t)...)
	}
	return out
}

// spread writes a spread of a named fragment into a set of type t, and
// reports whether it could: the fragment's fields must merge with the
// set's. A fragment is made on first use, then spread again where it is
// no deeper and no costlier; fragments hold no spreads of their own.
func (s *state) spread(b *strings.Builder, t *ast.Definition, set names, depth, rel, cost int) bool {
	if s.inFragment > 0 {
		return false
	}
	on := s.overlapping(t)
	target := on[s.r.IntN(len(on))]
	var candidates []*fragment
	for _, n := range s.fragOrder {
		if f := s.fragments[n]; f.on == target.Name && depth <= f.depth && cost <= f.cost {
			candidates = append(candidates, f)
		}
	}
	var f *fragment
	if len(candidates) > 0 && s.chance(0.6) {
		f = candidates[s.r.IntN(len(candidates))]
	} else {
		snap := s.snapshot()
		f = &fragment{name: s.fresh("F" + target.Name), on: target.Name, names: names{}, depth: depth, cost: cost}
		var body strings.Builder
		s.inFragment++
		body.WriteString("{")
		// shallow: one more relation at most below where it is spread
		s.fill(&body, target, f.names, depth, max(rel, s.cfg.MaxRelations-1), cost, nil)
		body.WriteString(" }")
		s.inFragment--
		f.text = body.String()
		f.selections, f.aliases = s.selections-snap.selections, s.aliases-snap.aliases
		if clash(set, f.names) {
			s.restore(snap) // and its variables with it: they must all be used
			return false
		}
		s.selections, s.aliases = snap.selections, snap.aliases // counted at each spread, below
		s.fragments[f.name] = f
		s.fragOrder = append(s.fragOrder, f.name)
	}
	if clash(set, f.names) {
		return false
	}
	for n, sig := range f.names {
		set[n] = sig
	}
	b.WriteString(" ..." + f.name)
	s.directives(b)
	s.selections += 1 + f.selections
	s.aliases += f.aliases // the server counts them at each spread too
	return true
}

// clash reports whether a response name of add answers something else in
// set.
func clash(set, add names) bool {
	for n, sig := range add {
		if prev, ok := set[n]; ok && prev != sig {
			return true
		}
	}
	return false
}

// snapshot is what a state had made, to go back to.
type snapshot struct{ vars, selections, aliases, n int }

func (s *state) snapshot() snapshot {
	return snapshot{len(s.varNames), s.selections, s.aliases, s.n}
}

func (s *state) restore(sn snapshot) {
	for _, v := range s.varNames[sn.vars:] {
		delete(s.vars, v)
	}
	s.varNames, s.varDefs = s.varNames[:sn.vars], s.varDefs[:sn.vars]
	s.selections, s.aliases = sn.selections, sn.aliases
}

// defineVar declares variable name (without "$") of type typ, with a
// default value if def is not empty, and its value in the request if set.
func (s *state) defineVar(name, typ, def string, value any, set bool) {
	d := "$" + name + ": " + typ
	if def != "" {
		d += " = " + def
	}
	s.varNames = append(s.varNames, name)
	s.varDefs = append(s.varDefs, d)
	if set {
		s.vars[name] = value
	}
}

// connectionArgs returns the arguments of connection field f: a page,
// sometimes after or before a cursor variable read back from the first
// response, a filter and an ordering.
func (s *state) connectionArgs(f *ast.FieldDefinition, t *ast.Definition, cost int) (args []string, page int, cursorVar, from string) {
	page = 50 // the server's default page
	maxPage := s.cfg.MaxPage
	has := func(n string) bool { return f.Arguments.ForName(n) != nil }
	mode := s.r.IntN(10)
	if mode == 9 && s.chance(0.7) {
		mode = s.r.IntN(9) // refusals: about one connection in thirty
	}
	if cost*50 > s.cfg.MaxCost && mode < 2 {
		mode = 2
	}
	size := 1 + s.r.IntN(maxPage)
	sizeArg := func(name string) string {
		if !s.cfg.NoVariables && s.chance(0.2) {
			v := s.fresh("n")
			if s.chance(0.4) {
				s.defineVar(v, "Int", strconv.Itoa(size), nil, false)
			} else {
				s.defineVar(v, "Int", "", size, true)
			}
			return name + ": $" + v
		}
		return name + ": " + strconv.Itoa(size)
	}
	cursor := func(name string) {
		cursorVar = s.fresh("c")
		s.defineVar(cursorVar, "String", "", nil, false)
		args = append(args, name+": $"+cursorVar)
	}
	switch {
	case mode < 2 && has("first"):
		// the default page
	case mode < 6 || !has("last"):
		if has("first") {
			args = append(args, sizeArg("first"))
			page = size
		}
		if mode == 5 && has("after") && !s.cfg.NoCursors && !s.cfg.NoVariables && s.inFragment == 0 {
			cursor("after")
			from = "endCursor"
		}
	case mode < 9:
		args = append(args, sizeArg("last"))
		page = size
		if mode == 8 && has("before") && !s.cfg.NoCursors && !s.cfg.NoVariables && s.inFragment == 0 {
			cursor("before")
			from = "startCursor"
		}
	default:
		switch {
		case s.cfg.NoErrors:
			args = append(args, sizeArg("first"))
			page = size
		case s.chance(0.5) && has("after"):
			args = append(args, sizeArg("first"), `after: "bm90LWEtY3Vyc29y"`) // a cursor no list made
			page = size
		default:
			args = append(args, sizeArg("first"), "last: 1") // two directions
			page = size
		}
	}
	for _, a := range f.Arguments {
		switch a.Name {
		case "first", "last", "after", "before":
			continue
		case "filter":
			if s.cfg.NoFilters || !s.chance(0.4) {
				continue
			}
		case "orderBy":
			if s.cfg.NoOrderings || !s.chance(0.4) {
				continue
			}
		default:
			if !a.Type.NonNull && !s.chance(0.3) {
				continue
			}
		}
		args = append(args, s.arg(a, t.Name))
	}
	return args, page, cursorVar, from
}

// nodeOf returns the name of the items' type of a connection or the type
// itself.
func (s *state) nodeOf(t *ast.Definition) string {
	if isConnection(t) {
		if n := t.Fields.ForName("nodes"); n != nil {
			return n.Type.Name()
		}
	}
	return t.Name
}

// args returns the arguments of a field that is not a connection.
func (s *state) args(parent *ast.Definition, f *ast.FieldDefinition) ([]string, int) {
	var args []string
	page := 1
	t := s.typeOf(f.Type)
	// Lookups take exactly one of their optional keys.
	var optional []*ast.ArgumentDefinition
	for _, a := range f.Arguments {
		if !a.Type.NonNull && a.DefaultValue == nil {
			optional = append(optional, a)
		}
	}
	lookup := parent == s.g.schema.Query && len(optional) >= 2 && len(optional) == len(f.Arguments)
	if lookup {
		pick := optional[s.r.IntN(len(optional))]
		for _, a := range optional {
			switch {
			case a == pick && (s.cfg.NoErrors || !s.chance(0.01)):
			case a != pick && !s.cfg.NoErrors && s.chance(0.01):
			default:
				continue
			}
			args = append(args, s.arg(a, t.Name))
		}
		return args, page
	}
	for _, a := range f.Arguments {
		if !a.Type.NonNull && !s.chance(0.4) {
			continue
		}
		if a.Name == "first" && a.Type.Name() == "Int" {
			n := 1 + s.r.IntN(s.cfg.MaxPage)
			args = append(args, "first: "+strconv.Itoa(n))
			page = n
			continue
		}
		args = append(args, s.arg(a, t.Name))
	}
	if f.Type.Elem != nil && page == 1 && len(f.Arguments) > 0 && f.Arguments.ForName("first") != nil {
		if d := f.Arguments.ForName("first").DefaultValue; d != nil {
			page, _ = strconv.Atoi(d.Raw)
		}
	}
	return args, page
}

// arg returns "name: value" for argument a of a field of type owner (its
// items' type for a connection), the value literal or a variable.
func (s *state) arg(a *ast.ArgumentDefinition, owner string) string {
	v := s.value(a.Type, a.Name, s.nodeOf(s.g.schema.Types[owner]))
	if !s.cfg.NoVariables && s.chance(0.3) {
		name := s.fresh("v")
		if !a.Type.NonNull && v != nil && s.chance(0.2) {
			s.defineVar(name, a.Type.String(), literal(v), nil, false)
		} else {
			s.defineVar(name, a.Type.String(), "", jsonValue(v), true)
		}
		return a.Name + ": $" + name
	}
	return a.Name + ": " + literal(v)
}

// lookupKeys are the arguments of lookups, which take exactly one key:
// never null.
var lookupKeys = map[string]bool{"id": true, "slug": true, "key": true, "acronym": true}

// enumValue is a value of an enum type.
type enumValue string

// object is an input object's value, its fields in order.
type object []field

type field struct {
	name  string
	value any
}

// value returns a value of type t for an argument or input field named
// name, whose rows are of type owner when known.
func (s *state) value(t *ast.Type, name, owner string) any {
	if !t.NonNull && !lookupKeys[name] && s.chance(0.02) {
		return nil
	}
	if t.Elem != nil {
		n := 1 + s.r.IntN(3)
		if name == "ids" {
			n = 1 + s.r.IntN(5)
		}
		out := make([]any, 0, n)
		for range n {
			out = append(out, s.value(t.Elem, name, owner))
		}
		return out
	}
	d := s.g.schema.Types[t.Name()]
	switch d.Kind {
	case ast.Enum:
		return enumValue(d.EnumValues[s.r.IntN(len(d.EnumValues))].Name)
	case ast.InputObject:
		switch {
		case name == "filter" || isRowFilter(d):
			if rt := rowType(s.g.schema, d); rt != "" {
				owner = rt
			}
			return s.filter(d, owner, 0)
		case strings.HasSuffix(d.Name, "Order"):
			return s.order(d)
		}
		return s.input(d, owner)
	}
	return s.scalar(d.Name, name, owner)
}

// scalar returns a value of scalar type typ for field name of rows of
// type owner, from the samples mostly.
func (s *state) scalar(typ, name, owner string) any {
	sm := s.g.samples
	switch typ {
	case "ID":
		switch {
		case name == "ids" || owner == "" || owner == "Node" || sm.IDs[owner] == nil:
			return s.anyID()
		case !s.cfg.NoErrors && s.chance(0.02):
			return "bm9wZQ" // not an ID this API made
		case s.chance(0.07):
			return base64.RawURLEncoding.EncodeToString([]byte(owner + ":987654")) // no such row
		}
		return pick(s, sm.IDs[owner])
	case "Int":
		if v, ok := pickTyped[float64](s, sm.Values[owner][name]); ok && s.chance(0.7) {
			return int(v)
		}
		return s.r.IntN(2012)
	case "Float":
		if v, ok := pickTyped[float64](s, sm.Values[owner][name]); ok && s.chance(0.7) {
			return v
		}
		return float64(s.r.IntN(10000)) / 4
	case "Boolean":
		return s.chance(0.5)
	case "Date":
		if v, ok := pickTyped[string](s, sm.Values[owner][name]); ok && s.chance(0.8) {
			return v
		}
		return fmt.Sprintf("%04d-%02d-%02d", 2000+s.r.IntN(15), 1+s.r.IntN(12), 1+s.r.IntN(28))
	case "DateTime":
		if v, ok := pickTyped[string](s, sm.Values[owner][name]); ok && s.chance(0.8) {
			return v
		}
		return fmt.Sprintf("%04d-%02d-%02dT00:00:00Z", 2000+s.r.IntN(30), 1+s.r.IntN(12), 1+s.r.IntN(28))
	case "String":
		if name == "text" {
			return s.word()
		}
		if v, ok := pickTyped[string](s, sm.Values[owner][name]); ok && s.chance(0.85) {
			return v
		}
		return s.word()
	}
	return nil // JSON and other scalars take null
}

// anyID returns the ID of a row of any type, or sometimes of none.
func (s *state) anyID() string {
	types := s.g.samples.types()
	if len(types) == 0 || s.chance(0.05) {
		return base64.RawURLEncoding.EncodeToString([]byte("Organization:987654"))
	}
	typ := types[s.r.IntN(len(types))]
	if noNode[typ] && (s.cfg.NoErrors || !s.chance(0.1)) {
		typ = types[0]
	}
	return pick(s, s.g.samples.IDs[typ])
}

// noNode are the types whose IDs node(id:) refuses.
var noNode = map[string]bool{"AuditEntry": true, "ApiToken": true}

// word returns a word of the samples' text, or a made-up one.
func (s *state) word() string {
	words := s.g.samples.words()
	if len(words) == 0 || s.chance(0.1) {
		return []string{"zzyzx", "police", "drug", "West", "un"}[s.r.IntN(5)]
	}
	return words[s.r.IntN(len(words))]
}

// order returns one key of an ordering.
func (s *state) order(d *ast.Definition) any {
	var o object
	for _, f := range d.Fields {
		if f.Type.NonNull || s.chance(0.6) {
			o = append(o, field{f.Name, s.value(f.Type, f.Name, "")})
		}
	}
	return o
}

// input returns a value of input object d, its required fields and some
// others.
func (s *state) input(d *ast.Definition, owner string) any {
	var o object
	for _, f := range d.Fields {
		nested := s.g.schema.Types[f.Type.Name()].Kind == ast.InputObject
		if f.Type.NonNull || !nested && s.chance(0.4) {
			o = append(o, field{f.Name, s.value(f.Type, f.Name, owner)})
		}
	}
	return o
}

// filter returns a filter of input type d over rows of type owner:
// conditions on its fields, and at shallow levels and/or/not and
// conditions on relations.
func (s *state) filter(d *ast.Definition, owner string, level int) any {
	return s.rowFilter(d, owner, level, false)
}

// rowFilter returns a filter of input type d; toOne says it filters a
// to-one relation, the one place isNull on a row means something.
func (s *state) rowFilter(d *ast.Definition, owner string, level int, toOne bool) any {
	var o object
	n := 1 + s.r.IntN(3)
	seen := map[string]bool{}
	for range n {
		f := d.Fields[s.r.IntN(len(d.Fields))]
		if seen[f.Name] {
			continue
		}
		ft := s.g.schema.Types[f.Type.Name()]
		deeper := ft.Kind == ast.InputObject && isRowFilter(ft)
		if (f.Name == "and" || f.Name == "or" || f.Name == "not" || deeper) && level >= 2 {
			continue
		}
		if f.Name == "isNull" && !toOne && (s.cfg.NoErrors || !s.chance(0.02)) {
			continue // a row is never null; only a to-one relation may be
		}
		seen[f.Name] = true
		var v any
		switch {
		case f.Name == "and" || f.Name == "or":
			var list []any
			for range 1 + s.r.IntN(2) {
				list = append(list, s.filter(d, owner, level+1))
			}
			v = list
		case f.Name == "not":
			v = s.filter(d, owner, level+1)
		case ft.Kind == ast.InputObject && ft.Fields.ForName("some") != nil:
			// a list relation: some, every or none of its rows
			q := ft.Fields[s.r.IntN(len(ft.Fields))]
			inner := s.g.schema.Types[q.Type.Name()]
			v = object{{q.Name, s.filter(inner, rowType(s.g.schema, inner), level+1)}}
		case deeper:
			v = s.rowFilter(ft, rowType(s.g.schema, ft), level+1, true)
		case ft.Kind == ast.InputObject:
			v = s.condition(ft, f.Name, owner)
		default:
			v = s.value(f.Type, f.Name, owner)
		}
		o = append(o, field{f.Name, v})
	}
	if len(o) == 0 {
		return object{}
	}
	return o
}

// isRowFilter reports whether d filters rows (it has and/or/not), rather
// than the values of one field.
func isRowFilter(d *ast.Definition) bool { return d.Fields.ForName("and") != nil }

// rowType returns the object type a row filter's rows are of.
func rowType(schema *ast.Schema, d *ast.Definition) string {
	n := strings.TrimSuffix(d.Name, "Filter")
	if t := schema.Types[n]; t != nil && t.Kind == ast.Object {
		return n
	}
	return ""
}

// condition returns one to two conditions of an operator filter (eq, in,
// contains…) on field name of rows of type owner.
func (s *state) condition(d *ast.Definition, name, owner string) any {
	var o object
	for range 1 + s.r.IntN(2) {
		op := d.Fields[s.r.IntN(len(d.Fields))]
		if slices.ContainsFunc(o, func(f field) bool { return f.name == op.Name }) {
			continue
		}
		var v any
		switch op.Name {
		case "isNull":
			v = s.chance(0.3)
		case "contains", "containsInsensitive", "startsWith":
			str, _ := s.scalar("String", name, owner).(string)
			v = substring(s, str, op.Name == "startsWith")
			if op.Name == "containsInsensitive" {
				v = strings.ToUpper(v.(string))
			}
		default:
			v = s.value(op.Type, name, owner)
		}
		o = append(o, field{op.Name, v})
	}
	return o
}

// substring returns a piece of str, its beginning if prefix.
func substring(s *state, str string, prefix bool) string {
	r := []rune(str)
	if len(r) < 2 {
		return str
	}
	start := 0
	if !prefix {
		start = s.r.IntN(len(r) - 1)
	}
	end := start + 1 + s.r.IntN(min(6, len(r)-start))
	return string(r[start:end])
}

func pick(s *state, list []string) string {
	if len(list) == 0 {
		return ""
	}
	return list[s.r.IntN(len(list))]
}

func pickTyped[T any](s *state, list []any) (T, bool) {
	var zero T
	if len(list) == 0 {
		return zero, false
	}
	v, ok := list[s.r.IntN(len(list))].(T)
	return v, ok
}

// literal writes v as a GraphQL value.
func literal(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case enumValue:
		return string(v)
	case string:
		b, _ := json.Marshal(v) // JSON's escapes are GraphQL's
		return string(b)
	case bool:
		return strconv.FormatBool(v)
	case int:
		return strconv.Itoa(v)
	case float64:
		s := strconv.FormatFloat(v, 'f', -1, 64)
		if !strings.ContainsAny(s, ".eE") {
			s += ".0"
		}
		return s
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = literal(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case object:
		parts := make([]string, len(v))
		for i, f := range v {
			parts[i] = f.name + ": " + literal(f.value)
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	panic(fmt.Sprintf("querygen: no literal for %T", v))
}

// jsonValue returns v as a JSON variable value.
func jsonValue(v any) any {
	switch v := v.(type) {
	case enumValue:
		return string(v)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = jsonValue(e)
		}
		return out
	case object:
		out := make(map[string]any, len(v))
		for _, f := range v {
			out[f.name] = jsonValue(f.value)
		}
		return out
	}
	return v
}

// Samples are values of real rows, for arguments that find something.
type Samples struct {
	// IDs are global IDs by type name.
	IDs map[string][]string
	// Values are field values by type name and field name: strings
	// (text, dates, instants) and numbers (float64).
	Values map[string]map[string][]any

	sortedTypes []string
	allWords    []string
}

func (sm *Samples) types() []string {
	if sm.sortedTypes == nil {
		for t := range sm.IDs {
			sm.sortedTypes = append(sm.sortedTypes, t)
		}
		sort.Strings(sm.sortedTypes)
	}
	return sm.sortedTypes
}

func (sm *Samples) words() []string {
	if sm.allWords == nil {
		seen := map[string]bool{}
		for _, t := range sm.typesWithValues() {
			for _, f := range []string{"name", "title"} {
				for _, v := range sm.Values[t][f] {
					s, _ := v.(string)
					for _, w := range strings.Fields(s) {
						w = strings.Trim(w, ".,;:()'\"")
						if len(w) >= 4 && !seen[w] {
							seen[w] = true
							sm.allWords = append(sm.allWords, w)
						}
					}
				}
			}
		}
		sort.Strings(sm.allWords)
	}
	return sm.allWords
}

func (sm *Samples) typesWithValues() []string {
	var out []string
	for t := range sm.Values {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}
