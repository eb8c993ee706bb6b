package querygen_test

import (
	"encoding/base64"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"

	"tracker/graph/internal/querygen"
)

// loadSchema reads the project's schema.
func loadSchema(t *testing.T) *ast.Schema {
	t.Helper()
	b, err := os.ReadFile("../../../schema.graphqls")
	if err != nil {
		t.Fatal(err)
	}
	schema, gerr := gqlparser.LoadSchema(&ast.Source{Name: "schema.graphqls", Input: string(b)})
	if gerr != nil {
		t.Fatal(gerr)
	}
	return schema
}

// samples are made-up rows: validation does not read them, but the
// generator takes other paths with them.
func samples() *querygen.Samples {
	id := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	return &querygen.Samples{
		IDs: map[string][]string{"Organization": {id("Organization:1"), id("Organization:2")}, "Initiative": {id("Initiative:1")}},
		Values: map[string]map[string][]any{
			"Organization": {"name": {"United Nations Office on Drugs and Crime"}, "acronym": {"UNODC"}, "foundedYear": {1997.0}},
			"Initiative":   {"slug": {"west-africa-coast-initiative"}, "actualStart": {"2009-07-01"}},
		},
	}
}

// TestGeneratedQueriesAreValid checks that every generated document
// validates against the schema with zero errors, that its variables
// coerce to their declared types, and that the same seed gives the same
// query.
func TestGeneratedQueriesAreValid(t *testing.T) {
	schema := loadSchema(t)
	for _, c := range []struct {
		cfg   querygen.Config
		seeds uint64
	}{{querygen.Config{}, 2000}, {querygen.Config{NoFragments: true, NoVariables: true, Roots: []string{"initiatives", "node"}}, 300}} {
		cfg := c.cfg
		gen := querygen.New(schema, samples(), cfg)
		features := map[string]int{}
		for seed := range c.seeds {
			q := gen.Generate(seed)
			doc, err := parser.ParseQuery(&ast.Source{Input: q.Document})
			if err != nil {
				t.Fatalf("seed %d: parse: %v\n%s", seed, err, q.Document)
			}
			if errs := validator.ValidateWithRules(schema, doc, nil); len(errs) > 0 {
				t.Fatalf("seed %d: %d validation errors, first %v\n%s", seed, len(errs), errs[0], q.Document)
			}
			op := doc.Operations.ForName(q.OperationName)
			if op == nil || op.Operation != ast.Query {
				t.Fatalf("seed %d: no query operation %q", seed, q.OperationName)
			}
			if _, err := validator.VariableValues(schema, op, q.Variables); err != nil {
				t.Fatalf("seed %d: variables %v: %v\n%s", seed, q.Variables, err, q.Document)
			}
			if cfg.NoFragments && strings.Contains(q.Document, "...") || cfg.NoVariables && strings.Contains(q.Document, "$") {
				t.Fatalf("seed %d: config %+v not followed:\n%s", seed, cfg, q.Document)
			}
			for _, sel := range op.SelectionSet {
				if f, ok := sel.(*ast.Field); ok && len(cfg.Roots) > 0 && f.Name != "__typename" && !slices.Contains(cfg.Roots, f.Name) {
					t.Fatalf("seed %d: root field %s, want one of %v", seed, f.Name, cfg.Roots)
				}
			}
			if again := gen.Generate(seed); again.Document != q.Document {
				t.Fatalf("seed %d gave two documents:\n%s\n%s", seed, q.Document, again.Document)
			}
			for name, sign := range map[string]string{"alias": ": ", "inline fragment": "... on", "fragment": "fragment ",
				"include": "@include", "skip": "@skip", "variable": "$", "filter": "filter:", "and/or/not": "not:",
				"orderBy": "orderBy:", "last": "last:", "node": "node(", "nodes": "nodes(ids", "__typename": "__typename",
				"countsByRole": "countsByRole", "countsByPeriod(interval": "countsByPeriod(interval:", "countsByPlace": "countsByPlace",
				"series": "series {", "progress": "progress {"} {
				if strings.Contains(q.Document, sign) {
					features[name]++
				}
			}
			if len(q.Cursors) > 0 {
				features["cursor variable"]++
			}
		}
		t.Logf("config %+v: documents with each feature, of %d: %v", cfg, c.seeds, features)
		if len(cfg.Roots) == 0 {
			for _, f := range []string{"alias", "inline fragment", "fragment", "include", "skip", "variable", "filter", "and/or/not",
				"orderBy", "last", "node", "nodes", "__typename", "cursor variable",
				"countsByRole", "countsByPeriod(interval", "countsByPlace", "series", "progress"} {
				if features[f] < 20 {
					t.Errorf("only %d documents of 2000 have a %s", features[f], f)
				}
			}
		}
	}
}

// TestNextPage reads cursors back from a response.
func TestNextPage(t *testing.T) {
	q := querygen.Query{Variables: map[string]any{"n1": 2}, Cursors: []querygen.Cursor{
		{Variable: "c1", Path: []string{"a", "nodes", "meetings", "pageInfo", "endCursor"}}}}
	body := `{"data": {"a": {"nodes": [{"meetings": null}, {"meetings": {"pageInfo": {"endCursor": "xyz"}}}]}}}`
	vars, ok := q.NextPage([]byte(body))
	if !ok || vars["c1"] != "xyz" || vars["n1"] != 2 {
		t.Errorf("NextPage = %v, %v; want c1 xyz and n1 2", vars, ok)
	}
	if _, ok := q.NextPage([]byte(`{"data": {"a": null}}`)); ok {
		t.Error("NextPage found a cursor in a response without one")
	}
}
