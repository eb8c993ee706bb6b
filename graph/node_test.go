package graph

import (
	"testing"

	"tracker/models"
	"tracker/models/modelstest"
)

func TestNode(t *testing.T) {
	eachEmpty(t, func(t *testing.T, c *client) {
		orgs := mustOrganizations(t, c.store, []string{"INTERPOL", "ECOWAS"}, []int{1923, 0})
		acr := "INTERPOL"
		orgs[0].Acronym = &acr
		if err := c.store.DB().Save(orgs[0]).Error; err != nil {
			t.Fatal(err)
		}
		id := models.NewGlobalID("Organization", orgs[0].ID).String()
		missing := models.NewGlobalID("Organization", orgs[1].ID+100).String()

		t.Run("RoundTrip", func(t *testing.T) {
			var out struct {
				Node struct {
					ID          string
					Name        string
					FoundedYear int
				}
			}
			c.mustQuery(`query($id: ID!) { node(id: $id) { id ... on Organization { name foundedYear } } }`, map[string]any{"id": id}, &out)
			if out.Node.ID != id || out.Node.Name != "INTERPOL" || out.Node.FoundedYear != 1923 {
				t.Errorf("node = %+v", out.Node)
			}
		})
		t.Run("Nodes", func(t *testing.T) {
			var out struct {
				Nodes []*struct{ Name string }
			}
			c.mustQuery(`query($ids: [ID!]!) { nodes(ids: $ids) { ... on Organization { name } } }`,
				map[string]any{"ids": []string{missing, id}}, &out)
			if len(out.Nodes) != 2 || out.Nodes[0] != nil || out.Nodes[1] == nil || out.Nodes[1].Name != "INTERPOL" {
				t.Errorf("nodes = %+v, want [null, INTERPOL]", out.Nodes)
			}
		})
		t.Run("NodesRefusalsInOrder", func(t *testing.T) {
			// Two IDs of types an anonymous caller may not fetch: the
			// refusal reported is the first ID's, every time (it once
			// depended on the order of a map).
			audit := models.NewGlobalID("AuditEntry", 1).String()
			token := models.NewGlobalID("ApiToken", 1).String()
			const q = `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`
			for _, ids := range [][]string{{audit, token, id}, {token, audit, id}} {
				first := c.do(q, map[string]any{"ids": ids})
				if len(first.Errors) != 1 {
					t.Fatalf("nodes(%v): errors %+v, want one", ids, first.Errors)
				}
				for range 20 {
					if r := c.do(q, map[string]any{"ids": ids}); len(r.Errors) != 1 || r.Errors[0].Message != first.Errors[0].Message {
						t.Fatalf("nodes(%v): errors %+v, then %+v", ids, first.Errors, r.Errors)
					}
				}
			}
		})
		t.Run("NotFound", func(t *testing.T) {
			c.mustFail(`query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": missing}, "NOT_FOUND")
		})
		t.Run("Malformed", func(t *testing.T) {
			for _, bad := range []string{"abc", "", "T3JnYW5pemF0aW9uOjA", "Tm9wZTox", "T3JnYW5pemF0aW9uOi0x", "%%%"} {
				c.mustFail(`query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": bad}, "BAD_USER_INPUT")
			}
		})
		t.Run("LookupByAcronym", func(t *testing.T) {
			var out struct{ Organization struct{ ID string } }
			c.mustQuery(`{ organization(acronym: "INTERPOL") { id } }`, nil, &out)
			if out.Organization.ID != id {
				t.Errorf("id = %q, want %q", out.Organization.ID, id)
			}
		})
		t.Run("LookupNeedsExactlyOneKey", func(t *testing.T) {
			c.mustFail(`{ organization { id } }`, nil, "BAD_USER_INPUT")
			c.mustFail(`query($id: ID!) { organization(id: $id, acronym: "INTERPOL") { id } }`, map[string]any{"id": id}, "BAD_USER_INPUT")
		})
		t.Run("LookupWrongType", func(t *testing.T) {
			c.mustFail(`query($id: ID!) { initiative(id: $id) { id } }`, map[string]any{"id": id}, "BAD_USER_INPUT")
		})
		t.Run("LookupNotFound", func(t *testing.T) {
			c.mustFail(`{ organization(acronym: "NOPE") { id } }`, nil, "NOT_FOUND")
		})
	})
}

func TestRequestErrors(t *testing.T) {
	c := newClient(t, modelstest.NewStore(t, modelstest.Dialects()[0]))
	tests := []struct {
		name  string
		query string
		vars  map[string]any
		code  string
	}{
		{"Syntax", `{ organizations { `, nil, "GRAPHQL_PARSE_FAILED"},
		{"UnknownField", `{ organizations { nope } }`, nil, "GRAPHQL_VALIDATION_FAILED"},
		{"WrongLiteralType", `{ organizations(first: "x") { totalCount } }`, nil, "GRAPHQL_VALIDATION_FAILED"},
		{"WrongVariableType", `query($f: Int) { organizations(first: $f) { totalCount } }`, map[string]any{"f": "ten"}, "GRAPHQL_VALIDATION_FAILED"},
		{"InvalidDate", `{ meetings(filter: {date: {gt: "2009-13-45"}}) { totalCount } }`, nil, "BAD_USER_INPUT"},
		{"InvalidDateVariable", `query($d: Date) { meetings(filter: {date: {gt: $d}}) { totalCount } }`, map[string]any{"d": "yesterday"}, "BAD_USER_INPUT"},
		{"HugePage", `query($f: Int) { organizations(first: $f) { totalCount } }`, map[string]any{"f": 2000000000}, "PAGE_TOO_LARGE"},
		{"PageBeyondInt", `query($f: Int) { organizations(first: $f) { totalCount } }`, map[string]any{"f": 99999999999999}, "BAD_USER_INPUT"},
		{"TooManyNodes", `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": manyIDs(101)}, "BAD_USER_INPUT"},
		{"EmptySearch", `{ search(text: " ... ") { totalCount } }`, nil, "BAD_USER_INPUT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.mustFail(tt.query, tt.vars, tt.code)
		})
	}
}

// manyIDs returns n well-formed organization IDs.
func manyIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = models.NewGlobalID("Organization", uint(i+1)).String()
	}
	return ids
}
