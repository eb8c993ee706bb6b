package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"tracker/graph"
)

// TestCloseWhenDraining checks that once draining, responses ask the client
// to close their connection, and that before, connections are kept alive.
func TestCloseWhenDraining(t *testing.T) {
	var draining atomic.Bool
	srv := httptest.NewServer(closeWhenDraining(draining.Load, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "ok")
	})))
	defer srv.Close()
	get := func() *http.Response {
		t.Helper()
		resp, err := srv.Client().Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	// The client reads "Connection: close" into Response.Close.
	if resp := get(); resp.Close {
		t.Error("before draining: the response closes its connection")
	}
	draining.Store(true)
	if resp := get(); !resp.Close {
		t.Error("while draining: the response keeps its connection")
	}
}

// TestLoadConfigDocumentLimits checks that the document limits come from
// the environment, and default to graph.DefaultLimits.
func TestLoadConfigDocumentLimits(t *testing.T) {
	env := map[string]string{"MAX_SELECTIONS": "500", "MAX_SELECTION_SET_SIZE": "40", "MAX_DIRECTIVES": "2",
		"MAX_INTROSPECTION_DEPTH": "16", "MAX_ERRORS": "3"}
	cfg, err := loadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	got := cfg.Limits
	if got.MaxSelections != 500 || got.MaxSelectionSetSize != 40 || got.MaxDirectives != 2 || got.MaxIntrospectionDepth != 16 || got.MaxErrors != 3 {
		t.Errorf("limits = %+v", got)
	}
	cfg, err = loadConfig(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Limits != graph.DefaultLimits {
		t.Errorf("default limits = %+v, want %+v", cfg.Limits, graph.DefaultLimits)
	}
	if _, err := loadConfig(func(k string) string { return map[string]string{"MAX_SELECTIONS": "-1"}[k] }); err == nil {
		t.Error("MAX_SELECTIONS=-1 accepted")
	}
}
