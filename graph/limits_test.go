package graph

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
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
	// Introspection is not limited by depth.
	if _, r := post(t, url, "application/json", jsonBody(`{ __schema { types { name fields { type { ofType { ofType { ofType { ofType { name } } } } } } } } }`, nil)); len(r.Errors) > 0 {
		t.Errorf("deep introspection refused: %+v", r.Errors)
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
