package graph

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"tracker/models"
	"tracker/models/modelstest"
)

// rawServer serves the seed data with opts, for tests of the HTTP layer.
func rawServer(t *testing.T, opts Options) (*httptest.Server, *models.Store) {
	t.Helper()
	store := modelstest.Seeded(t, modelstest.Dialects()[0])
	opts.Auth.PublicRead = true
	srv := httptest.NewServer(NewHandler(store, opts))
	t.Cleanup(srv.Close)
	return srv, store
}

// post sends a raw request and decodes the GraphQL response.
func post(t *testing.T, url, contentType, body string, header ...string) (int, response) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var r response
	_ = json.Unmarshal(raw, &r)
	return resp.StatusCode, r
}

func jsonBody(query string, vars map[string]any) string {
	b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	return string(b)
}

func TestLimits(t *testing.T) {
	srv, _ := rawServer(t, Options{Limits: Limits{MaxDepth: 6, MaxAliases: 5, MaxOperations: 2, MaxComplexity: 5000}})
	url := srv.URL + "/graphql"
	deep := `{ organizations { nodes { parent { parent { parent { parent { parent { name } } } } } } } }`
	aliases := `{ a: organizations { totalCount } b: organizations { totalCount } c: organizations { totalCount }
	  d: organizations { totalCount } e: organizations { totalCount } f: organizations { totalCount } }`
	ops := `query A { organizations { totalCount } } query B { people { totalCount } } query C { topics { totalCount } }`
	complex := `{ initiatives(first: 100) { nodes { partnerships(first: 100) { nodes { role } } } } }`
	schemas := `{ a: __schema { queryType { name } } b: __schema { queryType { name } } c: __schema { queryType { name } }
	  d: __schema { queryType { name } } e: __schema { queryType { name } } f: __schema { queryType { name } } }`
	nestedIntrospection := `{ __schema { types { fields { type { fields { type { fields { type { fields { name } } } } } } } } } }`
	circular := `query { organizations { nodes { ...A } } } fragment A on Organization { parent { ...B } } fragment B on Organization { parent { ...A } }`
	tests := []struct {
		name, query, code string
	}{
		{"Depth", deep, "QUERY_TOO_DEEP"},
		{"Aliases", aliases, "TOO_MANY_ALIASES"},
		{"IntrospectionAliases", schemas, "TOO_MANY_ALIASES"},
		{"NestedIntrospection", nestedIntrospection, "GRAPHQL_VALIDATION_FAILED"},
		{"Operations", ops, "TOO_MANY_OPERATIONS"},
		{"Complexity", complex, "QUERY_TOO_COMPLEX"},
		{"CircularFragments", circular, "GRAPHQL_VALIDATION_FAILED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			status, r := post(t, url, "application/json", jsonBody(tt.query, nil))
			if len(r.Errors) == 0 || r.Errors[0].Code() != tt.code {
				t.Fatalf("status %d, errors %+v, want %s", status, r.Errors, tt.code)
			}
			if status >= 500 {
				t.Errorf("status %d", status)
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("refusal took %s", d)
			}
			if tt.code != "GRAPHQL_VALIDATION_FAILED" && r.Errors[0].Extensions["limit"] == nil {
				t.Errorf("the refusal does not state its limit: %+v", r.Errors[0])
			}
		})
	}
	// Introspection has a depth limit of its own, MaxIntrospectionDepth.
	if _, r := post(t, url, "application/json", jsonBody(`{ __schema { types { name fields { type { ofType { ofType { ofType { ofType { name } } } } } } } } }`, nil)); len(r.Errors) > 0 {
		t.Errorf("deep introspection refused: %+v", r.Errors)
	}
}

// TestLimitsComplexityCache: the complexity of an operation is kept, by
// its text and its variables' values, which change it.
func TestLimitsComplexityCache(t *testing.T) {
	srv, _ := rawServer(t, Options{Limits: Limits{MaxComplexity: 5000}})
	url := srv.URL + "/graphql"
	complex := `{ initiatives(first: 100) { nodes { partnerships(first: 100) { nodes { role } } } } }`
	for range 2 {
		_, r := post(t, url, "application/json", jsonBody(complex, nil))
		if len(r.Errors) != 1 || r.Errors[0].Code() != "QUERY_TOO_COMPLEX" || r.Errors[0].Extensions["actual"] != 20201.0 {
			t.Fatalf("errors %+v, want QUERY_TOO_COMPLEX with actual 20201", r.Errors)
		}
	}
	paged := `query($n: Int) { initiatives(first: $n) { nodes { partnerships(first: 100) { nodes { role } } } } }`
	for _, n := range []int{1, 100, 1} {
		_, r := post(t, url, "application/json", jsonBody(paged, map[string]any{"n": n}))
		if refused := len(r.Errors) > 0 && r.Errors[0].Code() == "QUERY_TOO_COMPLEX"; refused != (n == 100) {
			t.Errorf("first: %d: errors %+v", n, r.Errors)
		}
	}
}

func TestHTTPProtocol(t *testing.T) {
	srv, _ := rawServer(t, Options{MaxBodyBytes: 10_000})
	url := srv.URL + "/graphql"

	t.Run("MutationByGET", func(t *testing.T) {
		resp, err := http.Get(url + "?query=" + urlEscape(`mutation { revokeApiToken(id: "x") { apiToken { id } } }`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "POST" {
			t.Errorf("status %d, Allow %q", resp.StatusCode, resp.Header.Get("Allow"))
		}
	})
	t.Run("FormContentTypes", func(t *testing.T) {
		for _, ct := range []string{"application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain", ""} {
			status, r := post(t, url, ct, `{"query":"{ organizations { totalCount } }"}`)
			if status != http.StatusUnsupportedMediaType || len(r.Errors) == 0 {
				t.Errorf("%q: status %d", ct, status)
			}
		}
	})
	t.Run("BodyTooLarge", func(t *testing.T) {
		status, r := post(t, url, "application/json", `{"query":"`+strings.Repeat(" ", 20_000)+`{ organizations { totalCount } }"}`)
		if status != http.StatusRequestEntityTooLarge || len(r.Errors) == 0 || r.Errors[0].Code() != "REQUEST_TOO_LARGE" {
			t.Errorf("status %d, errors %+v", status, r.Errors)
		}
	})
	t.Run("MalformedJSON", func(t *testing.T) {
		status, r := post(t, url, "application/json", `{"query": "{ organizations`)
		if status != http.StatusBadRequest || len(r.Errors) == 0 {
			t.Errorf("status %d, errors %+v", status, r.Errors)
		}
	})
	t.Run("BatchedOperations", func(t *testing.T) {
		batch := "[" + strings.TrimSuffix(strings.Repeat(`{"query":"{ organizations { totalCount } }"},`, 100), ",") + "]"
		status, r := post(t, url, "application/json", batch)
		if status != http.StatusBadRequest || len(r.Errors) == 0 {
			t.Errorf("status %d, errors %+v", status, r.Errors)
		}
	})
	t.Run("GraphQLResponseJSON", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(`{"query":"{ organizations { totalCount } }"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/graphql-response+json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/graphql-response+json") {
			t.Errorf("Content-Type = %q", ct)
		}
	})
}

func urlEscape(s string) string { return url.QueryEscape(s) }

func TestIntrospectionOff(t *testing.T) {
	srv, _ := rawServer(t, Options{DisableIntrospection: true})
	_, r := post(t, srv.URL+"/graphql", "application/json", jsonBody(`{ __schema { types { name } } }`, nil))
	if len(r.Errors) == 0 {
		t.Fatal("introspection answered while off")
	}
	_, r = post(t, srv.URL+"/graphql", "application/json", jsonBody(`{ organizatoins { totalCount } }`, nil))
	if len(r.Errors) == 0 || strings.Contains(r.Errors[0].Message, "Did you mean") {
		t.Errorf("suggestion given while introspection is off: %+v", r.Errors)
	}
}

func TestTimeout(t *testing.T) {
	srv, _ := rawServer(t, Options{Timeout: time.Nanosecond})
	_, r := post(t, srv.URL+"/graphql", "application/json", jsonBody(`{ organizations { nodes { name } } }`, nil))
	if len(r.Errors) == 0 || r.Errors[0].Code() != "TIMEOUT" {
		t.Errorf("errors %+v, want TIMEOUT", r.Errors)
	}
}

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestPersistedQueries(t *testing.T) {
	const q = `{ organizations { totalCount } }`
	ext := func(hash string) map[string]any {
		return map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hash}}
	}
	body := func(query string, hash string) string {
		m := map[string]any{"extensions": ext(hash)}
		if query != "" {
			m["query"] = query
		}
		b, _ := json.Marshal(m)
		return string(b)
	}
	t.Run("Automatic", func(t *testing.T) {
		srv, _ := rawServer(t, Options{})
		url := srv.URL + "/graphql"
		if _, r := post(t, url, "application/json", body("", sha(q))); len(r.Errors) == 0 || r.Errors[0].Message != "PersistedQueryNotFound" {
			t.Fatalf("unknown hash: %+v", r.Errors)
		}
		if _, r := post(t, url, "application/json", body(q, sha(q))); len(r.Errors) > 0 {
			t.Fatalf("register: %+v", r.Errors)
		}
		if _, r := post(t, url, "application/json", body("", sha(q))); len(r.Errors) > 0 || !strings.Contains(string(r.Data), "totalCount") {
			t.Fatalf("by hash: %s %+v", r.Data, r.Errors)
		}
	})
	t.Run("Trusted", func(t *testing.T) {
		manifest := filepath.Join(t.TempDir(), "manifest.json")
		b, _ := json.Marshal(map[string]any{"format": "apollo-persisted-query-manifest", "version": 1,
			"operations": []map[string]any{{"id": sha(q), "name": "Count", "type": "query", "body": q}}})
		if err := os.WriteFile(manifest, b, 0o600); err != nil {
			t.Fatal(err)
		}
		docs, err := LoadTrustedDocuments(manifest)
		if err != nil {
			t.Fatal(err)
		}
		srv, _ := rawServer(t, Options{TrustedDocuments: docs})
		url := srv.URL + "/graphql"
		for name, b := range map[string]string{"text": jsonBody(q, nil), "hash": body("", sha(q))} {
			if _, r := post(t, url, "application/json", b); len(r.Errors) > 0 {
				t.Errorf("trusted by %s: %+v", name, r.Errors)
			}
		}
		if _, r := post(t, url, "application/json", jsonBody(`{ people { totalCount } }`, nil)); len(r.Errors) == 0 || r.Errors[0].Code() != "OPERATION_NOT_TRUSTED" {
			t.Errorf("untrusted: %+v", r.Errors)
		}
		bad := filepath.Join(t.TempDir(), "bad.json")
		_ = os.WriteFile(bad, []byte(`{"0000": "{ people { totalCount } }"}`), 0o600)
		if _, err := LoadTrustedDocuments(bad); err == nil {
			t.Error("a manifest with a wrong hash was accepted")
		}
	})
}

// TestRequestLogAndMetrics checks the request log line (request ID, caller,
// operation, outcome, codes — and never the credential) and the metrics.
func TestRequestLogAndMetrics(t *testing.T) {
	var logs bytes.Buffer
	reg := prometheus.NewRegistry()
	store := modelstest.Seeded(t, modelstest.Dialects()[0])
	tok, _ := mustToken(t, store, models.RoleViewer, nil, nil)
	srv := httptest.NewServer(NewHandler(store, Options{Metrics: reg, Logger: slog.New(slog.NewJSONHandler(&logs, nil))}))
	t.Cleanup(srv.Close)
	post(t, srv.URL+"/graphql", "application/json", jsonBody(`query Count { organizations { totalCount } }`, nil),
		"Authorization", "Bearer "+tok, "X-Request-Id", "req-42")
	post(t, srv.URL+"/graphql", "application/json", jsonBody(`query Broken { node(id: "abc") { id } }`, nil),
		"Authorization", "Bearer "+tok)

	var requests []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var entry map[string]any
		if json.Unmarshal([]byte(line), &entry) == nil && entry["msg"] == "graphql request" {
			requests = append(requests, entry)
		}
	}
	if len(requests) != 2 {
		t.Fatalf("log = %s", logs.String())
	}
	first, second := requests[0], requests[1]
	if first["request_id"] != "req-42" || first["operation"] != "Count" || first["outcome"] != "ok" ||
		first["caller"] == nil || first["duration_ms"] == nil || first["sql_statements"] == nil {
		t.Errorf("log line = %v", first)
	}
	if second["outcome"] != "BAD_USER_INPUT" || second["operation"] != "Broken" {
		t.Errorf("log line = %v", second)
	}
	if strings.Contains(logs.String(), tok) || strings.Contains(logs.String(), "Bearer") {
		t.Error("the log holds a credential")
	}

	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, want := range []string{`tracker_graphql_requests_total{operation="Count",outcome="ok"} 1`,
		`tracker_graphql_errors_total{code="BAD_USER_INPUT"} 1`, `tracker_graphql_request_duration_seconds_bucket`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// fast is how long a refusal may take, end to end over loopback: 50 ms,
// ten times that under the race detector.
func fast() time.Duration {
	if raceDetector {
		return 500 * time.Millisecond
	}
	return 50 * time.Millisecond
}

// quickest returns the shortest of three runs of fn: on a shared machine
// the others measure its neighbours.
func quickest(fn func()) time.Duration {
	best := time.Hour
	for range 3 {
		start := time.Now()
		fn()
		best = min(best, time.Since(start))
	}
	return best
}

// repeatedFields is a document repeating one field n times, as the issue's
// hostile client sent it; tag makes documents that differ.
func repeatedFields(tag string, n int) string {
	return "query " + tag + " { " + strings.Repeat("__typename ", n) + "}"
}

// TestDocumentLimits checks the bounds on a document's shape, checked
// before validation: each refusal is one error naming its limit, in
// milliseconds.
func TestDocumentLimits(t *testing.T) {
	srv, _ := rawServer(t, Options{})
	url := srv.URL + "/graphql"
	ofTypes := func(n int) string {
		return `{ __type(name: "Organization") { ` + strings.Repeat("ofType { ", n) + "name" + strings.Repeat(" }", n) + " } }"
	}
	spreads := `{ organizations(first: 1) { nodes { ` + strings.Repeat("...F ", 30) + `} } } fragment F on Organization { ` +
		strings.Repeat("name ", 30) + `}`
	var fanout strings.Builder // each fragment spreads the next twice: 2^30 selections
	fanout.WriteString("{ ...F0 } ")
	for i := range 30 {
		fmt.Fprintf(&fanout, "fragment F%d on Query { __typename ...F%d ...F%d } ", i, i+1, i+1)
	}
	fanout.WriteString("fragment F30 on Query { __typename }")
	unused := `{ __typename } fragment Unused on Query { ` + strings.Repeat("__typename ", 5000) + `}`
	tests := []struct {
		name, query, code string
		limit, actual     int // actual 0: not checked
	}{
		{"10,000 repeated fields", repeatedFields("U1", 10_000), "TOO_MANY_SELECTIONS", 1000, 10_000},
		{"5,000 repeated fields", repeatedFields("U2", 5_000), "TOO_MANY_SELECTIONS", 1000, 5_000},
		{"repeats in an unused fragment", unused, "TOO_MANY_SELECTIONS", 1000, 5_001},
		{"fragments spread 2^30 times", fanout.String(), "TOO_MANY_SELECTIONS", 1000, 0},
		{"150 fields in one set", repeatedFields("W", 150), "SELECTION_SET_TOO_LARGE", 100, 150},
		{"a fragment spread 30 times", spreads, "SELECTION_SET_TOO_LARGE", 100, 930},
		{"1,000 directives on one field", "{ __typename " + strings.Repeat("@include(if: true) ", 1000) + "}", "TOO_MANY_DIRECTIVES", 5, 1000},
		{"6 directives on an operation", "query Q " + strings.Repeat("@skip(if: false) ", 6) + "{ __typename }", "TOO_MANY_DIRECTIVES", 5, 6},
		{"a 50-level ofType chain", ofTypes(50), "QUERY_TOO_DEEP", 20, 52},
		{"a 20-level ofType chain", ofTypes(20), "QUERY_TOO_DEEP", 20, 22},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := jsonBody(tt.query, nil)
			took := quickest(func() {
				status, r := post(t, url, "application/json", body)
				if len(r.Errors) != 1 || r.Errors[0].Code() != tt.code {
					t.Fatalf("status %d, errors %+v, want one %s", status, r.Errors, tt.code)
				}
				e := r.Errors[0].Extensions
				if e["limit"] != float64(tt.limit) || tt.actual > 0 && e["actual"] != float64(tt.actual) {
					t.Errorf("limit %v, actual %v; want %d, %d", e["limit"], e["actual"], tt.limit, tt.actual)
				}
				if r.Data != nil {
					t.Errorf("a refusal has data: %s", r.Data)
				}
			})
			if took > fast() {
				t.Errorf("refusal took %v, want under %v", took, fast())
			}
		})
	}
	t.Run("four 10,000-repeat documents at once", func(t *testing.T) {
		// They share the machine's cores: each within four single bounds.
		took := quickest(func() {
			var wg sync.WaitGroup
			for i := range 4 {
				wg.Go(func() {
					_, r := post(t, url, "application/json", jsonBody(repeatedFields(fmt.Sprintf("U%d", 10+i), 10_000), nil))
					if len(r.Errors) != 1 || r.Errors[0].Code() != "TOO_MANY_SELECTIONS" {
						t.Errorf("errors %+v", r.Errors)
					}
				})
			}
			wg.Wait()
		})
		if took > 4*fast() {
			t.Errorf("the four refusals took %v", took)
		}
	})
	t.Run("GraphiQL's introspection query", func(t *testing.T) {
		q, err := os.ReadFile("testdata/graphiql-introspection.graphql")
		if err != nil {
			t.Fatal(err)
		}
		_, r := post(t, url, "application/json", jsonBody(string(q), nil))
		if len(r.Errors) > 0 || !strings.Contains(string(r.Data), `"queryType"`) {
			t.Errorf("errors %+v", r.Errors)
		}
	})
	t.Run("errors capped", func(t *testing.T) {
		// 40 unknown fields: validation reports each, the response the
		// first ten and a note.
		_, r := post(t, url, "application/json", jsonBody("{ "+repeated(40, "nope%d")+" }", nil))
		if len(r.Errors) != 11 || r.Errors[0].Code() != "GRAPHQL_VALIDATION_FAILED" || r.Errors[10].Code() != "TOO_MANY_ERRORS" ||
			r.Errors[10].Extensions["limit"] != float64(10) || r.Errors[10].Extensions["actual"] != float64(40) {
			t.Errorf("%d errors: %+v", len(r.Errors), r.Errors)
		}
	})
}

// repeated joins n copies of format (with %d the index) with spaces.
func repeated(n int, format string) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprintf(format, i)
	}
	return strings.Join(parts, " ")
}

// TestDocumentLimitsConfigured checks that each bound is the one given in
// Options.
func TestDocumentLimitsConfigured(t *testing.T) {
	srv, _ := rawServer(t, Options{Limits: Limits{MaxSelections: 20, MaxSelectionSetSize: 3, MaxDirectives: 1,
		MaxIntrospectionDepth: 4, MaxErrors: 2}})
	url := srv.URL + "/graphql"
	for _, tt := range []struct{ query, code string }{
		{repeatedFields("A", 21), "TOO_MANY_SELECTIONS"},
		{repeatedFields("B", 4), "SELECTION_SET_TOO_LARGE"},
		{"{ __typename @include(if: true) @skip(if: false) }", "TOO_MANY_DIRECTIVES"},
		{`{ __type(name: "Query") { ofType { ofType { ofType { name } } } } }`, "QUERY_TOO_DEEP"},
		{"{ a b c }", "GRAPHQL_VALIDATION_FAILED"},
	} {
		_, r := post(t, url, "application/json", jsonBody(tt.query, nil))
		if len(r.Errors) == 0 || r.Errors[0].Code() != tt.code {
			t.Errorf("%s: errors %+v, want %s", tt.query, r.Errors, tt.code)
		}
		if tt.code == "GRAPHQL_VALIDATION_FAILED" && (len(r.Errors) != 3 || r.Errors[2].Code() != "TOO_MANY_ERRORS") {
			t.Errorf("%s: errors %+v, want 2 and a note", tt.query, r.Errors)
		}
	}
	if _, r := post(t, url, "application/json", jsonBody(`{ __type(name: "Query") { ofType { ofType { name } } } }`, nil)); len(r.Errors) > 0 {
		t.Errorf("introspection within the depth limit refused: %+v", r.Errors)
	}
}

// requestLog collects a handler's request log lines by request ID.
type requestLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *requestLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// outcome returns the logged outcome of the request with ID id, waiting
// up to a second for its line.
func (l *requestLog) outcome(t *testing.T, id string) string {
	t.Helper()
	for range 100 {
		l.mu.Lock()
		lines := strings.Split(l.buf.String(), "\n")
		l.mu.Unlock()
		for _, line := range lines {
			var entry map[string]any
			if json.Unmarshal([]byte(line), &entry) == nil && entry["msg"] == "graphql request" && entry["request_id"] == id {
				s, _ := entry["outcome"].(string)
				return s
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no log line for request %s", id)
	return ""
}

// TestDeadline checks that REQUEST_TIMEOUT is the deadline of the whole
// request: work that ignores its context (validation, here of a document
// the limits were raised for) is answered TIMEOUT at the deadline, a body
// sent slowly is cut off at it, the log's outcome is what the client got,
// and abandoned work cannot pile up.
func TestDeadline(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, d models.Dialect) {
		const timeout = 200 * time.Millisecond
		logs := &requestLog{}
		store := modelstest.Seeded(t, d)
		// Limits raised so that a document costly to validate gets through.
		opts := Options{Timeout: timeout, MaxAbandoned: 1, Logger: slog.New(slog.NewJSONHandler(logs, nil)),
			Limits: Limits{MaxSelections: 1 << 20, MaxSelectionSetSize: 1 << 20, MaxTokens: 1 << 20}}
		opts.Auth.PublicRead = true
		srv := httptest.NewServer(NewHandler(store, opts))
		t.Cleanup(srv.Close)
		url := srv.URL + "/graphql"
		// Validating 3,000 repeats takes several times the timeout.
		slow := jsonBody(repeatedFields("Slow", 3000), nil)

		start := time.Now()
		status, r := post(t, url, "application/json", slow, "X-Request-Id", "slow-1")
		if took := time.Since(start); took > timeout+time.Second {
			t.Errorf("answered after %v, deadline %v", took, timeout)
		}
		if status != http.StatusOK || len(r.Errors) != 1 || r.Errors[0].Code() != "TIMEOUT" || r.Data != nil {
			t.Fatalf("status %d, errors %+v, data %s; want TIMEOUT", status, r.Errors, r.Data)
		}
		if got := logs.outcome(t, "slow-1"); got != "TIMEOUT" {
			t.Errorf("logged outcome %q, want TIMEOUT", got)
		}

		// The first one's validation still runs: the next is refused at
		// once rather than pile more work up (while that validation holds
		// one of the machine's cores: four single bounds).
		start = time.Now()
		status, r = post(t, url, "application/json", slow, "X-Request-Id", "slow-2", "Accept", "application/graphql-response+json")
		if took := time.Since(start); status != http.StatusServiceUnavailable || len(r.Errors) != 1 || r.Errors[0].Code() != "OVERLOADED" || took > 4*fast() {
			t.Errorf("status %d, errors %+v in %v; want a fast OVERLOADED", status, r.Errors, took)
		}
		if got := logs.outcome(t, "slow-2"); got != "OVERLOADED" {
			t.Errorf("logged outcome %q, want OVERLOADED", got)
		}

		// Once it ends, requests are answered again.
		ordinary := jsonBody(`{ organization(acronym: "INTERPOL") { name } }`, nil)
		var last response
		for range 300 {
			if _, last = post(t, url, "application/json", ordinary); len(last.Errors) == 0 {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if len(last.Errors) > 0 || !strings.Contains(string(last.Data), "Criminal Police") {
			t.Fatalf("an ordinary query after the abandoned work: %+v %s", last.Errors, last.Data)
		}

		t.Run("SlowBody", func(t *testing.T) {
			conn, err := net.Dial("tcp", srv.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			body := `{"query": "{ __typename }"}`
			start := time.Now()
			fmt.Fprintf(conn, "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Request-Id: slow-body\r\nContent-Length: %d\r\n\r\n", len(body))
			// A byte every 50 ms: the body would take 1.3 s.
			go func() {
				for i := range len(body) {
					if _, err := conn.Write([]byte{body[i]}); err != nil {
						return
					}
					time.Sleep(50 * time.Millisecond)
				}
			}()
			_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			if took := time.Since(start); took > timeout+time.Second {
				t.Errorf("answered after %v, deadline %v", took, timeout)
			}
			if resp.StatusCode != http.StatusRequestTimeout || !strings.Contains(string(raw), `"TIMEOUT"`) {
				t.Errorf("status %d, body %s; want 408 TIMEOUT", resp.StatusCode, raw)
			}
			if got := logs.outcome(t, "slow-body"); got != "TIMEOUT" {
				t.Errorf("logged outcome %q, want TIMEOUT", got)
			}
		})
	})
}
