package graph

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

	"gorm.io/gorm"

	"tracker/models"
	"tracker/models/modelstest"
)

// TestExecutorSelectsAskedColumns checks that the executor's lists and
// lookups read only the columns the query's fields need — with the keys,
// sort keys and the columns computed fields derive from — and answer as
// the compiler does, byte for byte.
func TestExecutorSelectsAskedColumns(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, d models.Dialect) {
		store := compiledStore(t, d)
		var mu sync.Mutex
		var stmts []string
		if err := store.DB().Callback().Row().After("*").Register("test:columns", func(db *gorm.DB) {
			mu.Lock()
			stmts = append(stmts, db.Statement.SQL.String())
			mu.Unlock()
		}); err != nil {
			t.Fatal(err)
		}
		p := newCompiledPair(t, store)
		// Each case: a query, and for the table each statement reads
		// (FROM <table> a), the columns it must select.
		for _, tc := range []struct {
			query string
			want  map[string]string
			// Joined to-one rows: the columns wanted, and not wanted.
			joined, notJoined []string
		}{
			{`{ initiatives(first: 5) { nodes { title partnerships(first: 3) { nodes { role organization { name } } } } } }`,
				map[string]string{
					"initiatives":  "a.id, a.title",
					"partnerships": "a.id, a.initiative_id, a.organization_id, a.role",
				},
				[]string{"j0.id AS j0_id, j0.name AS j0_name, j0.parent_id AS j0_parent_id"}, []string{"j0.description", "j0.slug"}},
			// Computed fields read the columns they derive from.
			{`{ actionItems(first: 5) { nodes { isOverdue nextStatuses } } }`,
				map[string]string{"action_items": "a.id, a.status, a.initiative_id, a.owner_organization_id, a.meeting_id, a.due_on, a.due_precision"}, nil, nil},
			// The organizations' headquarters come by ID (FindByIDs).
			{`{ initiatives(first: 50) { nodes { partnerships(first: 50) { nodes { organization { headquarters { name } } } } } } }`,
				map[string]string{"places": "a.id, a.name, a.parent_id"}, nil, nil},
			{`{ meetings(first: 5, orderBy: [{field: TITLE}]) { edges { cursor node { date { date precision } ... on Node { id } } } } }`,
				map[string]string{"meetings": "a.id, a.title, a.starts_on, a.date_precision, a.place_id, a.organizer_organization_id"}, nil, nil},
			{`{ organizations(first: 5) { nodes { ... on Cited { citations(first: 1) { nodes { id } } } parent { name acronym } } } }`,
				map[string]string{"organizations": "a.id, a.name, a.parent_id, a.headquarters_place_id", "citations": "a.id, a.source_id, a.subject_id"},
				[]string{"j0.id AS j0_id, j0.acronym AS j0_acronym, j0.name AS j0_name, j0.parent_id AS j0_parent_id"}, []string{"j0.description"}},
		} {
			mu.Lock()
			stmts = nil
			mu.Unlock()
			p.same("", tc.query, nil)
			mu.Lock()
			got, all := selects(stmts), strings.Join(stmts, "\n")
			mu.Unlock()
			for table, cols := range tc.want {
				found := false
				for _, sel := range got[table] {
					if sameColumns(sel, cols) {
						found = true
					}
				}
				if !found {
					t.Errorf("%s\n%s: selects %q, want one with %q", tc.query, table, got[table], cols)
				}
			}
			for _, s := range tc.joined {
				if !strings.Contains(all, s) {
					t.Errorf("%s\njoins no %q:\n%s", tc.query, s, all)
				}
			}
			for _, s := range tc.notJoined {
				if strings.Contains(all, s) {
					t.Errorf("%s\njoins %q", tc.query, s)
				}
			}
			for table, sels := range got {
				for _, sel := range sels {
					if strings.Contains(sel, "a.*") && table != "initiative_relations" {
						t.Errorf("%s\n%s: selects %q", tc.query, table, sel)
					}
				}
			}
		}
	})
}

var selectList = regexp.MustCompile(`SELECT (a\.[^()]*?)(?:, (?:0|[a-z._]+) AS rel_parent.*?)? FROM ([a-z_]+) a\b`)

// selects returns the select lists of the list engine's statements over
// rows aliased a, by table.
func selects(stmts []string) map[string][]string {
	out := map[string][]string{}
	for _, s := range stmts {
		for _, m := range selectList.FindAllStringSubmatch(s, -1) {
			out[m[2]] = append(out[m[2]], m[1])
		}
	}
	return out
}

// sameColumns reports whether the select list sel names exactly the
// columns of want, in any order.
func sameColumns(sel, want string) bool {
	a, b := strings.Split(sel, ", "), strings.Split(want, ", ")
	if len(a) != len(b) {
		return false
	}
	set := map[string]bool{}
	for _, c := range a {
		set[c] = true
	}
	for _, c := range b {
		if !set[c] {
			return false
		}
	}
	return true
}

// BenchmarkExecutorDashboard runs the dashboard query over 100 initiatives
// through the executor (the compiler off), whose lists read only the
// columns the query selects:
//
//	go test ./graph -run '^$' -bench ExecutorDashboard -benchtime 3s -count 5
func BenchmarkExecutorDashboard(b *testing.B) {
	body, _ := json.Marshal(map[string]any{"query": dashboardQuery})
	for _, d := range modelstest.Dialects() {
		b.Run(string(d), func(b *testing.B) {
			h := NewHandler(dashboardData[100].Store(b, d), Options{Auth: AuthOptions{PublicRead: true}, DisableCompiler: true})
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != http.StatusOK || bytes.Contains(w.Body.Bytes(), []byte(`"errors"`)) {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
		})
	}
}
