package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"gorm.io/gorm"

	"tracker/graph"
	"tracker/models"
	"tracker/models/modelstest"
)

// TestEveryStatementThroughGORM proves that every statement a request runs,
// the list engine's and the compiler's reads as well as the writes, goes
// through GORM's callbacks, where plugins (read replicas, tracing,
// metrics) see it: a callback registered on each of GORM's processors
// counts the request's statements, and the count equals the statements
// the request reports.
func TestEveryStatementThroughGORM(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, d models.Dialect) {
		store := modelstest.Seeded(t, d)
		var seen atomic.Int64
		count := func(db *gorm.DB) {
			if _, ok := models.StatementCount(db.Statement.Context); ok {
				seen.Add(1)
			}
		}
		cb := store.DB().Callback()
		for name, p := range map[string]interface {
			Register(string, func(*gorm.DB)) error
		}{"query": cb.Query().After("*"), "row": cb.Row().After("*"), "raw": cb.Raw().After("*"),
			"create": cb.Create().After("*"), "update": cb.Update().After("*"), "delete": cb.Delete().After("*")} {
			if err := p.Register("test:count_"+name, count); err != nil {
				t.Fatal(err)
			}
		}
		admin := models.WithUser(context.Background(), &models.User{Subject: "test-admin", Name: "test", Role: models.RoleAdmin})
		token, _, err := store.CreateAPIToken(admin, models.NewTokenSpec{Name: "gorm path", Role: models.RoleAdmin})
		if err != nil {
			t.Fatal(err)
		}
		for _, compiler := range []bool{false, true} {
			srv := httptest.NewServer(graph.NewHandler(store, graph.Options{ReportStatements: true, DisableCompiler: !compiler}))
			t.Cleanup(srv.Close)
			for _, q := range []string{
				`{ initiatives(first: 10) { totalCount nodes { title partnerships { nodes { role organization { name } } }
				   meetings(first: 3) { nodes { title participants { nodes { person { name } } } } } actionItems { progress { total done } } } } }`,
				`{ organizations(first: 5, filter: {name: {contains: "a"}}) { nodes { name partnerships { totalCount } } } }`,
				`mutation { createOrganization(input: {slug: "gorm-path-` + map[bool]string{false: "a", true: "b"}[compiler] + `", name: "Gorm path ` + map[bool]string{false: "a", true: "b"}[compiler] + `", kind: OFFICE}) { organization { name partnerships { totalCount } } } }`,
			} {
				seen.Store(0)
				n := post(t, srv.URL, token, q)
				if n == 0 {
					t.Fatalf("no statements reported for %s", q)
				}
				if got := seen.Load(); got != n {
					t.Errorf("compiler %v: GORM callbacks saw %d statements, the request ran %d: %s", compiler, got, n, q)
				}
			}
		}
	})
}

// post sends query with token and returns the statements it reports,
// failing on any error.
func post(t *testing.T, url, token, query string) int64 {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query})
	req, _ := http.NewRequest(http.MethodPost, url+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r struct {
		Errors     []any `json:"errors"`
		Extensions struct {
			SQLStatements int64 `json:"sqlStatements"`
		} `json:"extensions"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || len(r.Errors) > 0 {
		t.Fatalf("%s: %v %v", query, err, r.Errors)
	}
	return r.Extensions.SQLStatements
}
