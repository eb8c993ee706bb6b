package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
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
