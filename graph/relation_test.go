package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"tracker/models"
)

// The schema as introspection describes it, as much as the relation test
// needs.
type (
	introType struct {
		Kind        string
		Name        string
		Interfaces  []struct{ Name string }
		Fields      []introField
		InputFields []struct{ Name string }
	}
	introField struct {
		Name string
		Args []struct {
			Name         string
			DefaultValue *string
			Type         introTypeRef
		}
		Type introTypeRef
	}
	introTypeRef struct {
		Kind   string
		Name   *string
		OfType *introTypeRef
	}
)

// named returns the named type under the list and non-null wrappers.
func (r introTypeRef) named() introTypeRef {
	for r.OfType != nil {
		r = *r.OfType
	}
	return r
}

const introspectionQuery = `{ __schema {
  queryType { name }
  types { kind name interfaces { name } inputFields { name }
    fields { name type { ...T } args { name defaultValue type { ...T } } } } } }
fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }`

// relationSchema is what the relation test reads from the schema: the types
// by name and, for each Node type, the root list of its objects.
type relationSchema struct {
	types map[string]introType
	roots map[string]string // Node type → root connection field listing it
	nodes []string          // the types implementing Node
}

func introspect(t *testing.T, c *client) relationSchema {
	t.Helper()
	var out struct {
		Schema struct {
			QueryType struct{ Name string }
			Types     []introType
		} `json:"__schema"`
	}
	c.mustQuery(introspectionQuery, nil, &out)
	s := relationSchema{types: map[string]introType{}, roots: map[string]string{}}
	for _, typ := range out.Schema.Types {
		s.types[typ.Name] = typ
		if slices.ContainsFunc(typ.Interfaces, func(i struct{ Name string }) bool { return i.Name == "Node" }) {
			s.nodes = append(s.nodes, typ.Name)
		}
	}
	sort.Strings(s.nodes)
	for _, f := range s.types[out.Schema.QueryType.Name].Fields {
		if requiredArgs(f) {
			continue
		}
		conn := *f.Type.named().Name
		if node, ok := strings.CutSuffix(conn, "Connection"); ok && s.types[node].Name != "" {
			if _, seen := s.roots[node]; !seen {
				s.roots[node] = f.Name
			}
		}
	}
	return s
}

// requiredArgs reports whether f cannot be selected without arguments.
func requiredArgs(f introField) bool {
	for _, a := range f.Args {
		if a.Type.Kind == "NON_NULL" && a.DefaultValue == nil {
			return true
		}
	}
	return false
}

// relationField is a field of a Node type whose value holds objects, with
// the selections the test makes under it.
type relationField struct {
	name string
	conn bool   // a connection: its rows are fetched and counted
	poly bool   // an interface or union: fetched in one statement per type
	sel  string // the selection set under the field
	scan string // a cheaper selection, to find objects with related rows
}

// relationFields returns the fields of typ whose values are objects.
func (s relationSchema) relationFields(typ string) []relationField {
	var out []relationField
	for _, f := range s.types[typ].Fields {
		named := f.Type.named()
		switch named.Kind {
		case "OBJECT", "INTERFACE", "UNION":
		default:
			continue
		}
		if requiredArgs(f) {
			continue
		}
		target := s.types[*named.Name]
		if node, ok := strings.CutSuffix(target.Name, "Connection"); ok && s.has(target.Name, "nodes") {
			out = append(out, relationField{name: f.Name, conn: true,
				sel:  "{ totalCount nodes { " + s.identity(node) + " } }",
				scan: "{ totalCount }"})
			continue
		}
		out = append(out, relationField{name: f.Name, poly: target.Kind != "OBJECT",
			sel: "{ " + s.identity(target.Name) + " }", scan: "{ __typename }"})
	}
	return out
}

// identity is the selection naming an object of typ: its type, and its ID
// when it has one.
func (s relationSchema) identity(typ string) string {
	if s.has(typ, "id") || s.types[typ].Kind != "OBJECT" {
		return "__typename id"
	}
	return "__typename"
}

func (s relationSchema) hasInput(typ, field string) bool {
	return slices.ContainsFunc(s.types[typ].InputFields, func(f struct{ Name string }) bool { return f.Name == field })
}

// cost returns the statements the field costs over the objects objs: one
// for its rows, one more for a connection's count, and for an interface one
// per type of object it holds.
func (f relationField) cost(objs []map[string]json.RawMessage) int {
	switch {
	case f.conn:
		return 2
	case f.poly:
		types := map[string]bool{}
		for _, o := range objs {
			var v struct {
				Typename string `json:"__typename"`
			}
			if json.Unmarshal(o[f.name], &v) == nil && v.Typename != "" {
				types[v.Typename] = true
			}
		}
		return max(1, len(types))
	}
	return 1
}

func (s relationSchema) has(typ, field string) bool {
	return slices.ContainsFunc(s.types[typ].Fields, func(f introField) bool { return f.Name == field })
}

// relatedRows measures how much a field value holds: the totalCount of a
// connection, the length of a list, 1 for an object, 0 for null.
func relatedRows(v json.RawMessage) int {
	var conn struct{ TotalCount *int }
	if json.Unmarshal(v, &conn) == nil && conn.TotalCount != nil {
		return *conn.TotalCount
	}
	var list []json.RawMessage
	if json.Unmarshal(v, &list) == nil {
		return len(list)
	}
	if bytes.Equal(bytes.TrimSpace(v), []byte("null")) || len(v) == 0 {
		return 0
	}
	return 1
}

// maxCandidates is how many IDs of each type the test looks through for
// objects with related rows: the most nodes(ids:) takes.
const maxCandidates = maxNodes

// TestRelationsUnderEveryRoot walks the schema by introspection and, for
// every type implementing Node and every field of it holding objects,
// selects the field under node(id:), under nodes(ids:) and under the type's
// root list, on both databases. Each answer must be free of errors, the
// same object must answer the same under each root, and each query must
// cost one statement for the root and one per relation (two for a
// connection: its rows and its count), however many objects are asked for.
func TestRelationsUnderEveryRoot(t *testing.T) {
	eachSeeded(t, func(t *testing.T, c *client) {
		mustToken(t, c.store, models.RoleOfficer, []uint{1, 2}, nil) // a token with organizations
		mustEditActionItems(t, c.store, 1, 2)                        // action items with a history
		adminTok, _ := mustToken(t, c.store, models.RoleAdmin, nil, nil)
		admin := c.as(adminTok) // for the admin-only lists
		s := introspect(t, c)
		if len(s.nodes) < 20 {
			t.Fatalf("introspection found %d Node types: %v", len(s.nodes), s.nodes)
		}
		for _, typ := range s.nodes {
			t.Run(typ, func(t *testing.T) {
				t.Parallel()
				testRelationsOf(t, c, admin, s, typ)
			})
		}
	})
}

func testRelationsOf(t *testing.T, c, admin *client, s relationSchema, typ string) {
	fields := s.relationFields(typ)
	if len(fields) == 0 {
		t.Skipf("%s has no relation fields", typ)
	}
	root := s.roots[typ]
	candidates := make([]string, maxCandidates)
	for i := range candidates {
		candidates[i] = models.NewGlobalID(typ, uint(i+1)).String()
	}

	// Find the objects of typ, and for each field those with the most
	// related rows, in one query selecting every field under nodes(ids:).
	var scanSel strings.Builder
	for _, f := range fields {
		fmt.Fprintf(&scanSel, " %s %s", f.name, f.scan)
	}
	scanQuery := fmt.Sprintf(`query($ids: [ID!]!) { nodes(ids: $ids) { ... on %s { id%s } } }`, typ, scanSel.String())
	r := c.do(scanQuery, map[string]any{"ids": candidates})
	if r.Errors != nil && !nodeRefused(r) {
		t.Fatalf("scan: %+v", r.Errors)
	}
	if nodeRefused(r) {
		// Objects node(id:) cannot fetch (admin records): the root list
		// must still resolve their relations in bounded statements.
		testRelationsUnderRoot(t, admin, fields, typ, root)
		return
	}
	var scanned struct{ Nodes []map[string]json.RawMessage }
	if err := json.Unmarshal(r.Data, &scanned); err != nil {
		t.Fatal(err)
	}
	scanCost := 1
	for _, f := range fields {
		scanCost += f.cost(scanned.Nodes)
	}
	if got := r.Extensions.SQLStatements; got > scanCost {
		t.Errorf("scan of %d %s IDs with %d relations: %d statements, want at most %d", len(candidates), typ, len(fields), got, scanCost)
	}
	var objs []map[string]json.RawMessage
	for _, n := range scanned.Nodes {
		if n != nil {
			objs = append(objs, n)
		}
	}
	if len(objs) == 0 {
		t.Skipf("the seed data has no %s among IDs 1–%d", typ, maxCandidates)
	}

	for _, f := range fields {
		t.Run(f.name, func(t *testing.T) {
			// The object with the most related rows, then two more
			// siblings for the queries asking for several.
			ranked := slices.Clone(objs)
			slices.SortStableFunc(ranked, func(a, b map[string]json.RawMessage) int {
				return relatedRows(b[f.name]) - relatedRows(a[f.name])
			})
			ranked = ranked[:min(3, len(ranked))]
			var ids []string
			for _, o := range ranked {
				var id string
				if err := json.Unmarshal(o["id"], &id); err != nil {
					t.Fatal(err)
				}
				ids = append(ids, id)
			}
			want := relatedRows(ranked[0][f.name])
			if want == 0 {
				t.Logf("no %s of the seed data has any %s", typ, f.name)
			}
			cost := 1 + f.cost(ranked) // the root's statement, the relation's
			sel := fmt.Sprintf("... on %s { id %s %s }", typ, f.name, f.sel)

			check := func(under string, r response, value json.RawMessage) {
				t.Helper()
				if len(r.Errors) > 0 {
					t.Fatalf("under %s: %+v", under, r.Errors)
				}
				if got := r.Extensions.SQLStatements; got > cost {
					t.Errorf("under %s: %d statements, want at most %d", under, got, cost)
				}
				if got := relatedRows(value); got != want {
					t.Errorf("under %s: %d related rows, want %d (as counted by the scan)", under, got, want)
				}
			}

			var one struct{ Node map[string]json.RawMessage }
			r := c.do(`query($id: ID!) { node(id: $id) { `+sel+` } }`, map[string]any{"id": ids[0]})
			decode(t, r, &one)
			check("node", r, one.Node[f.name])
			byNode := one.Node[f.name]

			var many struct{ Nodes []map[string]json.RawMessage }
			r = c.do(`query($ids: [ID!]!) { nodes(ids: $ids) { `+sel+` } }`, map[string]any{"ids": ids})
			decode(t, r, &many)
			if len(many.Nodes) != len(ids) {
				t.Fatalf("nodes: %d objects for %d IDs", len(many.Nodes), len(ids))
			}
			check("nodes", r, many.Nodes[0][f.name])
			sameJSON(t, "nodes", many.Nodes[0][f.name], byNode)

			if root == "" {
				return
			}
			// The root list holding the same objects: filtered by ID
			// where its filter can, else its largest page.
			query, vars := fmt.Sprintf(`{ %s(first: 1000) { nodes { %s } } }`, root, sel), map[string]any(nil)
			if s.hasInput(typ+"Filter", "id") {
				query = fmt.Sprintf(`query($ids: [ID!]) { %s(filter: {id: {in: $ids}}) { nodes { %s } } }`, root, sel)
				vars = map[string]any{"ids": ids}
			}
			var listed map[string]struct{ Nodes []map[string]json.RawMessage }
			r = c.do(query, vars)
			decode(t, r, &listed)
			i := slices.IndexFunc(listed[root].Nodes, func(n map[string]json.RawMessage) bool {
				return string(n["id"]) == `"`+ids[0]+`"`
			})
			if i < 0 {
				t.Fatalf("%s: %s not listed", root, ids[0])
			}
			if len(vars) == 0 {
				cost = 1 + f.cost(listed[root].Nodes)
			}
			check(root, r, listed[root].Nodes[i][f.name])
			sameJSON(t, root, listed[root].Nodes[i][f.name], byNode)
		})
	}
}

// testRelationsUnderRoot checks the relations of a type node(id:) refuses
// under its root list only.
func testRelationsUnderRoot(t *testing.T, c *client, fields []relationField, typ, root string) {
	if root == "" {
		t.Fatalf("%s can be fetched neither by node(id:) nor by a root list", typ)
	}
	for _, f := range fields {
		t.Run(f.name, func(t *testing.T) {
			cost := 2
			if f.conn {
				cost++
			}
			var listed map[string]struct{ Nodes []map[string]json.RawMessage }
			r := c.do(fmt.Sprintf(`{ %s { nodes { id %s %s } } }`, root, f.name, f.sel), nil)
			decode(t, r, &listed)
			if got := r.Extensions.SQLStatements; got > cost+1 { // +1: the admin's credentials
				t.Errorf("under %s: %d statements, want at most %d", root, got, cost+1)
			}
			rows := 0
			for _, n := range listed[root].Nodes {
				rows += relatedRows(n[f.name])
			}
			if len(listed[root].Nodes) > 0 && rows == 0 {
				t.Logf("no %s listed has any %s", typ, f.name)
			}
		})
	}
}

// mustEditActionItems retitles the action items with the given IDs, so
// that their history holds an entry.
func mustEditActionItems(t *testing.T, store *models.Store, ids ...uint) {
	t.Helper()
	for _, id := range ids {
		a, err := models.FindByID[models.ActionItem](adminCtx(), store, id)
		if err != nil {
			t.Fatal(err)
		}
		title := a.Title + " (edited)"
		if _, err := store.UpdateActionItem(adminCtx(), models.NewGlobalID("ActionItem", id),
			models.ActionItemUpdate{ExpectedVersion: a.Version, Title: &title}); err != nil {
			t.Fatal(err)
		}
	}
}

// nodeRefused reports whether node(id:) answered that the type cannot be
// fetched by ID.
func nodeRefused(r response) bool {
	return len(r.Errors) > 0 && r.Errors[0].Code() == "BAD_USER_INPUT" && strings.Contains(r.Errors[0].Message, "cannot be fetched by ID")
}

func decode(t *testing.T, r response, out any) {
	t.Helper()
	if len(r.Errors) > 0 {
		t.Fatalf("query failed: %+v", r.Errors)
	}
	if err := json.Unmarshal(r.Data, out); err != nil {
		t.Fatalf("decode: %v\n%s", err, r.Data)
	}
}

// sameJSON fails unless got and want are the same JSON value.
func sameJSON(t *testing.T, under string, got, want json.RawMessage) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("under %s: %v", under, err)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("under node: %v", err)
	}
	gs, _ := json.Marshal(g)
	ws, _ := json.Marshal(w)
	if !bytes.Equal(gs, ws) {
		t.Errorf("under %s: %s\nunder node: %s", under, gs, ws)
	}
}

// organizationTree selects an organization's relations two levels deep:
// one statement for the object, then children (rows, count), their
// partnerships (rows, count) with their initiatives (joined), the parent,
// and the partnerships' organizations (joined) — six more, however many
// rows each level holds.
const organizationTree = `id
  children { totalCount nodes { id partnerships { totalCount nodes { id initiative { id } } } } }
  parent { id }
  partnerships { nodes { id organization { id } } }`

// TestRelationsUnderSingleObjectRoots resolves the same nested relations of
// one organization reached through node(id:), organization(id:),
// organization(acronym:) and a mutation payload: the same data each time,
// in the same statements.
func TestRelationsUnderSingleObjectRoots(t *testing.T) {
	eachSeeded(t, func(t *testing.T, c *client) {
		adminTok, _ := mustToken(t, c.store, models.RoleAdmin, nil, nil)
		admin := c.as(adminTok)
		// The organization with the most children.
		var orgs struct {
			Organizations struct {
				Nodes []struct {
					ID       string
					Acronym  *string
					Version  int
					Children struct{ TotalCount int }
				}
			}
		}
		c.mustQuery(`{ organizations(first: 1000) { nodes { id acronym version children { totalCount } } } }`, nil, &orgs)
		best := orgs.Organizations.Nodes[0]
		for _, o := range orgs.Organizations.Nodes {
			if o.Children.TotalCount > best.Children.TotalCount && o.Acronym != nil {
				best = o
			}
		}
		if best.Children.TotalCount < 2 || best.Acronym == nil {
			t.Fatalf("the seed data has no organization with an acronym and children: %+v", best)
		}
		const cost = 1 + 6
		vars := map[string]any{"id": best.ID, "acronym": *best.Acronym, "v": best.Version}
		var want json.RawMessage
		for _, q := range []struct{ root, query string }{
			{"node", `query($id: ID!) { node(id: $id) { ... on Organization { ` + organizationTree + ` } } }`},
			{"organization", `query($id: ID!) { organization(id: $id) { ` + organizationTree + ` } }`},
			{"organization", `query($acronym: String!) { organization(acronym: $acronym) { ` + organizationTree + ` } }`},
		} {
			var out map[string]json.RawMessage
			r := c.do(q.query, vars)
			decode(t, r, &out)
			if got := r.Extensions.SQLStatements; got > cost {
				t.Errorf("%s: %d statements, want at most %d", q.query, got, cost)
			}
			if want == nil {
				want = out[q.root]
				continue
			}
			sameJSON(t, q.query, out[q.root], want)
		}

		// A payload: the statements beyond those of the same mutation
		// selecting only the ID are the relations'.
		mutate := func(sel string, version int) response {
			return admin.do(`mutation($id: ID!, $v: Int!) { updateOrganization(id: $id, input: {expectedVersion: $v}) {
			  organization { `+sel+` } } }`, map[string]any{"id": best.ID, "v": version})
		}
		bare := mutate("id", best.Version)
		decode(t, bare, &map[string]any{})
		var out struct {
			UpdateOrganization struct{ Organization json.RawMessage }
		}
		full := mutate(organizationTree, best.Version+1)
		decode(t, full, &out)
		if got := full.Extensions.SQLStatements - bare.Extensions.SQLStatements; got > cost-1 {
			t.Errorf("payload relations: %d statements, want at most %d", got, cost-1)
		}
		sameJSON(t, "updateOrganization", out.UpdateOrganization.Organization, want)
	})
}

// TestUnregisteredSiblingsAreAnError proves the batcher's rule: an object
// outside any list stands alone, while objects inside a list that nobody
// registered are an internal error, not one statement per object.
func TestUnregisteredSiblingsAreAnError(t *testing.T) {
	// gqlgen chains field contexts through the context, as it resolves.
	field := func(ctx context.Context, object, name string) context.Context {
		return graphql.WithFieldContext(ctx, &graphql.FieldContext{Object: object,
			Field: graphql.CollectedField{Field: &ast.Field{Name: name, Alias: name}}})
	}
	element := func(ctx context.Context, i int) context.Context {
		fc := graphql.GetFieldContext(ctx)
		return graphql.WithFieldContext(ctx, &graphql.FieldContext{Index: &i, Object: fc.Object, Field: fc.Field})
	}
	obj := &models.Organization{ID: 1}

	b := &batcher{siblings: map[string][]any{}, calls: map[string]*call{}}
	alone := field(field(context.Background(), "Query", "node"), "Organization", "children")
	if got, err := b.siblingsOf(alone, obj); err != nil || len(got) != 1 {
		t.Errorf("object of node(id:): siblings %v, %v; want itself", got, err)
	}

	listed := field(element(field(context.Background(), "Query", "nodes"), 0), "Organization", "children")
	if _, err := b.siblingsOf(listed, obj); err == nil || !strings.Contains(err.Error(), "not registered") {
		t.Errorf("unregistered objects of nodes(ids:): error %v, want one naming the missing registration", err)
	}
	b.register("nodes", []any{obj, &models.Organization{ID: 2}})
	if got, err := b.siblingsOf(listed, obj); err != nil || len(got) != 2 {
		t.Errorf("registered objects of nodes(ids:): siblings %v, %v; want both", got, err)
	}
}
