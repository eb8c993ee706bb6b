package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"tracker/models"
	"tracker/models/modelstest"
)

// compiledPair is the same store served with the compiler on and off.
type compiledPair struct {
	t       *testing.T
	on, off string // URLs
	store   *models.Store
}

func newCompiledPair(t *testing.T, store *models.Store) *compiledPair {
	t.Helper()
	auth := AuthOptions{PublicRead: true}
	on := httptest.NewServer(NewHandler(store, Options{ReportStatements: true, Auth: auth}))
	off := httptest.NewServer(NewHandler(store, Options{ReportStatements: true, Auth: auth, DisableCompiler: true}))
	t.Cleanup(on.Close)
	t.Cleanup(off.Close)
	return &compiledPair{t: t, on: on.URL + "/graphql", off: off.URL + "/graphql", store: store}
}

// compiledBody is a response split into its parts.
type compiledBody struct {
	Data       json.RawMessage `json:"data"`
	Errors     json.RawMessage `json:"errors"`
	Extensions struct {
		SQLStatements  int `json:"sqlStatements"`
		CompiledFields int `json:"compiledFields"`
		FallbackFields int `json:"fallbackFields"`
	} `json:"extensions"`
}

func postRaw(t *testing.T, url, token, query string, vars map[string]any) compiledBody {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out compiledBody
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

// same runs query through both handlers and checks that data and errors
// are byte-identical, returning the compiler's response.
func (p *compiledPair) same(token, query string, vars map[string]any) compiledBody {
	p.t.Helper()
	on := postRaw(p.t, p.on, token, query, vars)
	off := postRaw(p.t, p.off, token, query, vars)
	if !bytes.Equal(on.Data, off.Data) {
		p.t.Errorf("data differ for\n%s\ncompiled: %s\nexecutor: %s", query, on.Data, off.Data)
	}
	if !bytes.Equal(on.Errors, off.Errors) {
		p.t.Errorf("errors differ for\n%s\ncompiled: %s\nexecutor: %s", query, on.Errors, off.Errors)
	}
	if off.Extensions.CompiledFields != 0 {
		p.t.Errorf("compiler off: compiledFields = %d, want 0", off.Extensions.CompiledFields)
	}
	return on
}

// compiledStore is the seed plus a small synthetic data set.
func compiledStore(t *testing.T, d models.Dialect) *models.Store {
	t.Helper()
	store := modelstest.Seeded(t, d)
	if err := store.SeedSynthetic(context.Background(), 12, nil); err != nil {
		t.Fatal(err)
	}
	// Text that needs escaping, in JSON strings and in cursors.
	modelstest.MustExec(t, store, "UPDATE organizations SET description = ?, name = ? WHERE acronym = 'SYN0003'",
		"a\\b\"c\nd\te\rf\x01g\x08h\x0ci\x1fj<k>&l\u2028m é", "Syn <&> \"quoted\" \\ \x1b name")
	// Instants with a fraction of trailing zeros and with none.
	modelstest.MustExec(t, store, "UPDATE organizations SET created_at = ? WHERE acronym = 'SYN0001'", time.Date(2020, 1, 2, 3, 4, 5, 120000000, time.UTC))
	modelstest.MustExec(t, store, "UPDATE organizations SET created_at = ? WHERE acronym = 'SYN0002'", time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC))
	// Values Go's %g writes in exponent form where Postgres writes them
	// plain, and the other way round.
	for i, v := range []float64{1234567.5, -3.25e7, 1e-7, 999999999999999.9, 1e21, 0.0001} {
		modelstest.MustExec(t, store, "UPDATE statistics SET value = ? WHERE id = (SELECT id FROM statistics ORDER BY id LIMIT 1 OFFSET ?)", v, i)
	}
	return store
}

// compilerCase is a query, its variables and how many of its root fields
// the compiler must answer (-1: do not check).
type compilerCase struct {
	name     string
	query    string
	vars     map[string]any
	compiled int
}

// The four shapes of the dashboards, as the issue measures them.
const (
	shapeFrontPage = `query FrontPage {
  initiatives(first: 50) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes {
      id title kind status
      actualStart { label date precision start end }
      partnerships { nodes { role status organization { id acronym name } } }
      meetings(last: 5, orderBy: [{field: DATE}]) {
        nodes { title date { label } participants { nodes { role person { name } organization { acronym } } } }
      }
      actionItems { totalCount nodes { title status due { label } isOverdue } }
    }
  }
}`
	shapeInitiative = `query Initiative($slug: String!) {
  initiative(slug: $slug) {
    id title description objective kind status
    plannedStart { label } actualStart { label } plannedEnd { label } actualEnd { label }
    partnerships { totalCount nodes { id role status organization { id name acronym kind foundedYear headquarters { name } } } }
    meetings { totalCount nodes { id title kind status date { label start end } place { name } organizer { name }
      participants { nodes { role description person { name slug } organization { acronym } } } } }
    actionItems { totalCount nodes { id title status due { label } isOverdue owner { acronym name } } }
  }
}`
	shapeOrganizations = `query Organizations {
  organizations(first: 20) {
    nodes { id name acronym partnerships { nodes { role status initiative { id title status } } } }
  }
}`
	shapeBlocked = `query Blocked {
  actionItems(first: 50, filter: {status: {eq: BLOCKED}}) {
    totalCount
    nodes { id title status due { label } initiative { title } owner { acronym name } }
  }
}`
)

func compilerCases(vars map[string]any) []compilerCase {
	return []compilerCase{
		{"front page shape", shapeFrontPage, nil, 1},
		{"initiative in full", shapeInitiative, map[string]any{"slug": vars["slug"]}, 1},
		{"organizations shape", shapeOrganizations, nil, 1},
		{"blocked action items", shapeBlocked, nil, 1},
		{"aliases and typename", `{ a: initiatives(first: 2) { __typename t: totalCount pageInfo { __typename hasPreviousPage startCursor }
			edges { __typename cursor node { __typename id name: title } } } b: organizations(last: 3) { edges { cursor } nodes { slug } } }`, nil, 2},
		{"fragments and directives", `query($yes: Boolean!, $no: Boolean!) { initiatives(first: 3) { nodes { ...Ini ... on Node { id } ... on Initiative @include(if: $yes) { slug }
			kind @skip(if: $yes) status @include(if: $no) } } } fragment Ini on Initiative { title partnerships(first: 1) { nodes { ... on Partnership { role } } } }`,
			map[string]any{"yes": true, "no": false}, 1},
		{"filters", `{ organizations(filter: {or: [{name: {contains: "Syn"}}, {acronym: {startsWith: "UN"}}], not: {kind: {eq: GOVERNMENT}}}, orderBy: [{field: KIND, direction: DESC}, {field: NAME}]) {
			totalCount nodes { name kind parent { name } } } }`, nil, 1},
		{"relation filters", `{ initiatives(filter: {partnerships: {some: {organization: {acronym: {eq: "SYN0007"}}}}}) { totalCount nodes { title } } }`, nil, 1},
		{"overdue filter", `{ actionItems(filter: {isOverdue: true}, orderBy: [{field: TITLE}]) { totalCount nodes { title isOverdue } } }`, nil, 1},
		{"nested pages", `{ initiatives(first: 4, orderBy: [{field: TITLE, direction: DESC}]) { nodes { meetings(first: 2, orderBy: [{field: DATE, direction: DESC}]) {
			totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { title } } } } } }`, nil, 1},
		{"empty page", `{ initiatives(first: 0) { totalCount pageInfo { hasNextPage startCursor endCursor } nodes { id } } }`, nil, 1},
		{"only count", `{ meetings { totalCount } }`, nil, 1},
		{"lookups", `query($slug: String!) { initiative(slug: $slug) { title } organization(acronym: "syn0007") { name } }`,
			map[string]any{"slug": vars["slug"]}, 2},
		{"node and nodes", `query($org: ID!, $missing: ID!) { node(id: $org) { __typename id ... on Organization { name partnerships(first: 2) { nodes { role } } } ... on Initiative { title } }
			nodes(ids: [$org, $missing, $org]) { id ... on Organization { acronym } } }`,
			map[string]any{"org": vars["org"], "missing": models.NewGlobalID("Organization", 999999).String()}, 2},
		{"missing node falls back", `query($missing: ID!) { node(id: $missing) { id } }`,
			map[string]any{"missing": models.NewGlobalID("Organization", 999999).String()}, 0},
		{"escaping", `{ organizations(filter: {acronym: {startsWith: "SYN000"}}, orderBy: [{field: NAME}]) { edges { cursor node { name description } } } }`, nil, 1},
		{"not found", `{ organization(slug: "nope") { name } }`, nil, 0},
		{"too large a page falls back", `{ initiatives(first: 5000) { nodes { id } } }`, nil, 0},
		{"progress", `{ initiatives(first: 6) { nodes { actionItems { progress { __typename total done open blocked overdue shareDone
			countsByStatus { status count } byStatus { count } } } } } actionItems(filter: {status: {ne: DONE}}) { progress { shareDone total } } }`, nil, 2},
		// Regressions the differential run found (DIFF_QUERIES=10000, seeds
		// in the names), each the smallest query that showed it.
		//
		// A progress of no count was an unaggregated subquery over the items:
		// no row, NULL, so no JSON at all, when none matched (`"actionItems":}`),
		// and more than one row, an error, when several did.
		{"progress of no count (seeds 544, 2378, 7343, 7842)", `{ actionItems(filter: {title: {eq: "none such"}}) { progress { __typename countsByStatus { status }
			byStatus { __typename } } totalCount } initiatives(first: 3) { nodes { actionItems { progress { __typename } } } } }`, nil, 2},
		{"progress with every field skipped (seed 544)", `{ actionItems(filter: {title: {eq: "none such"}}) { progress { total @skip(if: true) } totalCount } }`, nil, 1},
		// __typename from fragments on two interfaces, neither implementing
		// the other: CollectFields returns the key twice, the executor
		// writes it once.
		{"a key from fragments on two interfaces (seeds 2595, 3823, 5874, 7014)", `{ initiatives(first: 2) { nodes { ... on Cited { __typename }
			... on Node { __typename id } ... on Node { t: __typename } ... on Cited { t: __typename } title } } }`, nil, 1},
		{"floats", `{ deploymentStatistics(first: 8, orderBy: [{field: VALUE, direction: DESC}, {field: ID}]) { totalCount pageInfo { startCursor endCursor }
			edges { cursor node { value asOf { date } } } } metric(key: "un-police-deployed") { statistics(last: 3, orderBy: [{field: VALUE}]) { edges { cursor node { id value } } } } }`, nil, 2},
		{"date-times", `{ organizations(first: 6, orderBy: [{field: CREATED_AT}, {field: UPDATED_AT, direction: DESC}]) { pageInfo { startCursor endCursor }
			edges { cursor node { acronym createdAt updatedAt } } } sources(last: 3) { nodes { publishedAt createdAt } } }`, nil, 2},
		{"series", `{ deploymentStatistics(filter: {metric: {key: {eq: "un-police-deployed"}}}) { __typename series { __typename metric { name unit } scope scopeOrganization { name } scopePlace { name } change changePercent
			points { __typename value asOf { label date } change changePercent statistic { id value } } } } metrics(first: 3) { nodes { key } } }`, nil, 2},
		{"series, few fields", `{ deploymentStatistics(filter: {value: {gt: 100}, metric: {key: {startsWith: "un-"}}}) { series { change } a: series { points { change } } }
			e: deploymentStatistics(filter: {value: {lt: -1}}) { series { scope } } }`, nil, 2},
		{"series of too many points falls back", `{ deploymentStatistics { series { change } } }`, nil, 0},
		// Each points entry of a series is aggregated on its own.
		{"series with points twice (seed 1230)", `{ deploymentStatistics(filter: {metric: {key: {eq: "un-police-deployed"}}}) { series { points { value }
			a: points { asOf { label } changePercent } } } }`, nil, 1},
		{"nested series falls back", `{ metrics(first: 2) { nodes { statistics { series { change } } } } }`, nil, 0},
		{"counts by role", `{ initiatives(first: 5) { nodes { partnerships { countsByRole { __typename role count organizations } } } }
			partnerships(filter: {role: {ne: FUNDING}}) { totalCount countsByRole { role c: count } } none: partnerships(filter: {organization: {acronym: {eq: "none such"}}}) { countsByRole { role } } }`, nil, 3},
		{"counts by period", `{ initiatives(first: 5) { nodes { meetings { m: countsByPeriod { period start end count } q: countsByPeriod(interval: QUARTER) { __typename period start end count }
			y: countsByPeriod(interval: YEAR) { end period } } } } meetings(filter: {title: {eq: "none such"}}) { countsByPeriod { count } } }`, nil, 2},
		{"counts by place", `{ meetings { countsByPlace { __typename count place { name id parent { name } } } } initiatives(first: 4) { nodes { meetings { countsByPlace { count place { __typename } } } } } }`, nil, 2},
		{"counts with fields skipped", `{ meetings { countsByPlace { count @skip(if: true) } countsByPeriod(interval: YEAR) { period @include(if: false) } } partnerships { countsByRole { role @skip(if: true) } } }`, nil, 2},
		{"bad cursor falls back", `{ initiatives(after: "nope") { nodes { id } } }`, nil, 0},
		{"the mix's aggregate dashboard", `query($slug: String!) { initiative(slug: $slug) { title meetings { totalCount countsByPeriod(interval: QUARTER) { period count } } } }`,
			map[string]any{"slug": vars["slug"]}, 1},
	}
}

// TestCompiler checks, on both databases, that compiled root fields give
// the executor's very bytes, in one statement each, and that what the
// compiler does not cover falls back.
func TestCompiler(t *testing.T) {
	modelstest.EachParallel(t, func(t *testing.T, d models.Dialect) {
		p := newCompiledPair(t, compiledStore(t, d))
		c := newClient(t, p.store)
		vars := mixVariables(t, c)
		vars["slug"] = "syn-init-000007" // the mix's is beyond this small data set
		for _, tc := range compilerCases(vars) {
			t.Run(tc.name, func(t *testing.T) {
				p.t = t
				got := p.same("", tc.query, tc.vars)
				if tc.compiled >= 0 && got.Extensions.CompiledFields != tc.compiled {
					t.Errorf("compiledFields = %d, want %d (fallback %d)", got.Extensions.CompiledFields, tc.compiled, got.Extensions.FallbackFields)
				}
				if got.Extensions.FallbackFields == 0 && got.Extensions.SQLStatements != got.Extensions.CompiledFields {
					t.Errorf("sqlStatements = %d for %d compiled root fields", got.Extensions.SQLStatements, got.Extensions.CompiledFields)
				}
			})
		}
		for _, q := range loadMix(t) {
			t.Run("mix/"+q.Name, func(t *testing.T) {
				p.t = t
				got := p.same("", q.Query, vars)
				// The dashboards the compiler covers whole: the front page,
				// one initiative in full, the work lists.
				if covered := map[string]bool{"frontpage": true, "initiative": true, "actionitems": true, "blocked": true, "organizations": true, "aggregate": true, "series": true}; covered[q.Name] && got.Extensions.FallbackFields != 0 {
					t.Errorf("%s: %d root fields fell back, want none", q.Name, got.Extensions.FallbackFields)
				}
				t.Logf("%s: compiled %d, fallback %d, %d statements", q.Name, got.Extensions.CompiledFields, got.Extensions.FallbackFields, got.Extensions.SQLStatements)
			})
		}
	})
}

// TestCompilerRoles checks that callers of each role get the executor's
// answers, admin-only fields included.
func TestCompilerRoles(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, d models.Dialect) {
		p := newCompiledPair(t, compiledStore(t, d))
		var org struct{ Organization struct{ ID string } }
		newClient(t, p.store).mustQuery(`{ organization(acronym: "SYN0007") { id } }`, nil, &org)
		gid, err := models.ParseGlobalID(org.Organization.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, role := range []models.Role{models.RoleViewer, models.RoleOfficer, models.RoleAdmin} {
			t.Run(strings.ToLower(string(role)), func(t *testing.T) {
				p.t = t
				var orgs []uint
				if role == models.RoleOfficer {
					orgs = []uint{gid.ID}
				}
				token, _ := mustToken(t, p.store, role, orgs, nil)
				got := p.same(token, `{ viewer { role } initiatives(first: 2) { nodes { title } } auditLog(first: 2) { nodes { action } } }`, nil)
				if got.Extensions.CompiledFields != 1 {
					t.Errorf("compiledFields = %d, want 1", got.Extensions.CompiledFields)
				}
			})
		}
	})
}

// TestCompilerMetrics checks that /metrics counts root fields by path.
func TestCompilerMetrics(t *testing.T) {
	store := modelstest.Seeded(t, modelstest.Dialects()[0])
	srv := httptest.NewServer(NewHandler(store, Options{Metrics: prometheus.NewRegistry(), Auth: AuthOptions{PublicRead: true}}))
	t.Cleanup(srv.Close)
	postRaw(t, srv.URL+"/graphql", "", `{ initiatives(first: 1) { nodes { title } } topPartners { organization { name } } }`, nil)
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, want := range []string{`tracker_query_root_fields_total{path="compiled"} 1`, `tracker_query_root_fields_total{path="fallback"} 1`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// TestCompilerArgDecoders checks that the compiler has the executor's
// argument decoder of every query field that takes arguments.
func TestCompilerArgDecoders(t *testing.T) {
	schema := NewExecutableSchema(Config{}).Schema()
	for _, typ := range schema.Types {
		if typ.Kind != "OBJECT" || strings.HasPrefix(typ.Name, "__") || typ.Name == "Mutation" || typ.Name == "Subscription" {
			continue
		}
		for _, f := range typ.Fields {
			if len(f.Arguments) == 0 || strings.HasPrefix(f.Name, "__") {
				continue
			}
			if _, ok := argDecoders[typ.Name+"."+f.Name]; !ok {
				t.Errorf("argDecoders lacks %s.%s: add (*executionContext).field_%s_%s_args", typ.Name, f.Name, typ.Name, f.Name)
			}
		}
	}
}
