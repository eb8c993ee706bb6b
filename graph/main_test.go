package graph

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"tracker/models"
	"tracker/models/modelstest"
)

func TestMain(m *testing.M) {
	os.Exit(modelstest.Main(m))
}

// newTestHandler returns the full handler over the seed data set, on the
// first test database.
func newTestHandler(t *testing.T) http.Handler {
	t.Helper()
	store := modelstest.Seeded(t, modelstest.Dialects()[0])
	return NewHandler(store, Options{PlaygroundAssets: "../web/node_modules", Auth: AuthOptions{PublicRead: true}})
}

// client sends GraphQL requests over HTTP to a test server running the real
// handler.
type client struct {
	t     *testing.T
	url   string
	store *models.Store
	token string // sent as a bearer token when set
}

// as returns a client sending token as its credentials.
func (c *client) as(token string) *client {
	cc := *c
	cc.token = token
	return &cc
}

// newClient starts a server on store.
func newClient(t *testing.T, store *models.Store) *client {
	t.Helper()
	srv := httptest.NewServer(NewHandler(store, Options{ReportStatements: true, Auth: AuthOptions{PublicRead: true}}))
	t.Cleanup(srv.Close)
	return &client{t: t, url: srv.URL + "/graphql", store: store}
}

// eachSeeded runs fn as a subtest on each database, over the seed data.
func eachSeeded(t *testing.T, fn func(t *testing.T, c *client)) {
	t.Helper()
	modelstest.Each(t, func(t *testing.T, d models.Dialect) {
		fn(t, newClient(t, modelstest.Seeded(t, d)))
	})
}

// gqlError is an error of a GraphQL response.
type gqlError struct {
	Message    string         `json:"message"`
	Locations  []any          `json:"locations,omitempty"`
	Path       []any          `json:"path,omitempty"`
	Extensions map[string]any `json:"extensions"`
}

// Code returns the error's extensions.code.
func (e gqlError) Code() string {
	c, _ := e.Extensions["code"].(string)
	return c
}

// response is a decoded GraphQL response with its HTTP status.
type response struct {
	Status     int
	Data       json.RawMessage `json:"data"`
	Errors     []gqlError      `json:"errors"`
	Extensions struct {
		SQLStatements int `json:"sqlStatements"`
	} `json:"extensions"`
}

// do posts a query with variables and decodes the response.
func (c *client) do(query string, vars map[string]any) response {
	c.t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		c.t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("post: %v", err)
	}
	defer resp.Body.Close()
	var r response
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		c.t.Fatalf("decode response (status %d): %v", resp.StatusCode, err)
	}
	r.Status = resp.StatusCode
	return r
}

// mustQuery runs a query that must succeed and decodes its data into out.
func (c *client) mustQuery(query string, vars map[string]any, out any) response {
	c.t.Helper()
	r := c.do(query, vars)
	if len(r.Errors) > 0 {
		c.t.Fatalf("query failed: %+v", r.Errors)
	}
	if err := json.Unmarshal(r.Data, out); err != nil {
		c.t.Fatalf("decode data: %v\n%s", err, r.Data)
	}
	return r
}

// mustFail runs a query that must fail with an error of the given code and
// returns the first error.
func (c *client) mustFail(query string, vars map[string]any, code string) gqlError {
	c.t.Helper()
	r := c.do(query, vars)
	if len(r.Errors) == 0 {
		c.t.Fatalf("query succeeded, want error %s; data: %s", code, r.Data)
	}
	if got := r.Errors[0].Code(); got != code {
		c.t.Fatalf("error code = %s, want %s (message %q)", got, code, r.Errors[0].Message)
	}
	if r.Status >= 500 {
		c.t.Errorf("HTTP status = %d for a client error", r.Status)
	}
	return r.Errors[0]
}
