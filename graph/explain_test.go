package graph

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"tracker/models"
	"tracker/models/modelstest"
)

// mixQuery is one query of the dashboard mix in bench/mix.
type mixQuery struct {
	Name  string
	Query string
}

// loadMix reads the dashboard query mix shared with the benchmark.
func loadMix(t *testing.T) []mixQuery {
	t.Helper()
	files, err := filepath.Glob("../bench/mix/*.graphql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no dashboard queries in bench/mix: %v", err)
	}
	var out []mixQuery
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, mixQuery{Name: strings.TrimSuffix(filepath.Base(f), ".graphql"), Query: string(b)})
	}
	return out
}

// mixVariables returns the variables of the mix's queries over the
// synthetic data set: the same as the benchmark's.
func mixVariables(t *testing.T, c *client) map[string]any {
	t.Helper()
	var out struct {
		Organization struct{ ID string }
	}
	c.mustQuery(`{ organization(acronym: "SYN0007") { id } }`, nil, &out)
	return map[string]any{
		"since": "2026-01-01", "owner": out.Organization.ID, "org": out.Organization.ID,
		"metric": "synthetic-police-deployed", "slug": "syn-init-000042", "text": "maritime",
	}
}

// explainQuickScale is the synthetic size of the quick variant of
// TestExplainAtScale, the one the suite runs.
const explainQuickScale = 300

// TestExplainAtScale runs the dashboard query mix over the synthetic data
// set on Postgres, and checks with EXPLAIN that none of the statements it
// runs scans a large table sequentially.
//
// With EXPLAIN_SCALE=N (make explain: 10,000) it grows the data set to N
// initiatives and checks the planner's own choices there. Without it, the
// quick variant the suite runs grows it to a few hundred, where sequential
// scans are often the planner's best choice, and checks that each statement
// could do without them: its plan with sequential scans disabled has none
// of a large table, so an index serves it. EXPLAIN_SCALE=0 skips the test.
func TestExplainAtScale(t *testing.T) {
	t.Parallel()
	n, quick := explainQuickScale, true
	if v := os.Getenv("EXPLAIN_SCALE"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			t.Fatalf("EXPLAIN_SCALE: %v", err)
		}
		quick = false
	}
	if n == 0 {
		t.Skip("EXPLAIN_SCALE=0")
	}
	if !slices.Contains(modelstest.Dialects(), models.Postgres) {
		t.Skip("EXPLAIN needs Postgres")
	}
	ctx := context.Background()
	store := modelstest.Seeded(t, models.Postgres)
	if err := store.SeedSynthetic(ctx, n, nil); err != nil {
		t.Fatal(err)
	}
	// Large tables: those with more rows than there are initiatives.
	var large []string
	if err := store.DB().Raw(`SELECT relname FROM pg_class WHERE relkind = 'r' AND reltuples > ?
		AND relnamespace = 'public'::regnamespace`, n).Scan(&large).Error; err != nil {
		t.Fatal(err)
	}
	t.Logf("large tables at %d initiatives: %v", n, large)

	h := NewHandler(store, Options{Auth: AuthOptions{PublicRead: true}})
	c := newClient(t, store)
	vars := mixVariables(t, c)
	for _, q := range loadMix(t) {
		t.Run(q.Name, func(t *testing.T) {
			ctx, rec := models.WithStatementRecorder(context.Background())
			body, _ := json.Marshal(map[string]any{"query": q.Query, "variables": vars})
			req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/graphql", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			var resp struct{ Errors []gqlError }
			if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil || len(resp.Errors) > 0 {
				t.Fatalf("query: %v %+v", err, resp.Errors)
			}
			stmts := rec.Statements()
			if len(stmts) == 0 {
				t.Fatal("no statements recorded")
			}
			sqlDB, err := store.DB().DB()
			if err != nil {
				t.Fatal(err)
			}
			// The quick variant's setting holds for its transaction only.
			tx, err := sqlDB.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			if quick {
				if _, err := tx.Exec("SET LOCAL enable_seqscan = off"); err != nil {
					t.Fatal(err)
				}
			}
			for _, st := range stmts {
				if wholeCount.MatchString(st.SQL) {
					// Counting every row of a table reads all of them, by
					// a sequential or an index-only scan: which one the
					// planner takes depends on how much of the table
					// autovacuum has marked all-visible yet, not on us.
					continue
				}
				var plan []byte
				if err := tx.QueryRow("EXPLAIN (FORMAT JSON) "+st.SQL, st.Args...).Scan(&plan); err != nil {
					t.Fatalf("explain %s: %v", st.SQL, err)
				}
				for _, rel := range seqScans(t, plan) {
					if slices.Contains(large, rel) {
						t.Errorf("sequential scan of %s (a large table) in:\n%s %v", rel, st.SQL, st.Args)
					}
				}
			}
			t.Logf("%d statements, no sequential scan of a large table", len(stmts))
		})
	}
}

// seqScans returns the relations a JSON plan scans sequentially.
func seqScans(t *testing.T, plan []byte) []string {
	t.Helper()
	var doc []struct{ Plan map[string]any }
	if err := json.Unmarshal(plan, &doc); err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(n, parent map[string]any)
	walk = func(n, parent map[string]any) {
		// An aggregate over every row of a table (the totalCount of an
		// unfiltered list, inside a compiled statement too) reads all of
		// them by any plan: which scan it takes is autovacuum's doing
		// (see wholeCount).
		everyRow := parent != nil && parent["Node Type"] == "Aggregate" && n["Filter"] == nil
		if n["Node Type"] == "Seq Scan" && !everyRow {
			rel, _ := n["Relation Name"].(string)
			out = append(out, rel)
		}
		if kids, ok := n["Plans"].([]any); ok {
			for _, k := range kids {
				walk(k.(map[string]any), n)
			}
		}
	}
	for _, d := range doc {
		walk(d.Plan, nil)
	}
	return out
}

// wholeCount matches a count of every row of a table: the totalCount of
// an unfiltered root list.
var wholeCount = regexp.MustCompile(`^SELECT COUNT\(\*\) FROM \w+ a WHERE 1 = 1$`)
