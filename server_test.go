package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

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

// TestLoadConfigAddresses checks the listening addresses and waits read
// from the environment.
// TestLoadConfigQueryCompiler checks that the query compiler is on unless
// QUERY_COMPILER=off.
func TestLoadConfigQueryCompiler(t *testing.T) {
	for v, want := range map[string]bool{"": true, "on": true, "off": false} {
		cfg, err := loadConfig(func(k string) string { return map[string]string{"QUERY_COMPILER": v}[k] })
		if err != nil || cfg.QueryCompiler != want {
			t.Errorf("QUERY_COMPILER=%q: compiler %v, error %v; want %v", v, cfg.QueryCompiler, err, want)
		}
	}
	if _, err := loadConfig(func(k string) string { return map[string]string{"QUERY_COMPILER": "yes"}[k] }); err == nil || !strings.Contains(err.Error(), "QUERY_COMPILER") {
		t.Errorf("QUERY_COMPILER=yes: error %v, want one naming it", err)
	}
}

func TestLoadConfigAddresses(t *testing.T) {
	for _, tc := range []struct {
		env                       map[string]string
		listen, metrics, errorHas string
		wait                      time.Duration
	}{
		{env: nil, listen: ":8080", wait: time.Minute},
		{env: map[string]string{"PORT": "9000"}, listen: ":9000", wait: time.Minute},
		{env: map[string]string{"LISTEN_ADDR": "127.0.0.1:7000", "METRICS_ADDR": "127.0.0.1:9090", "DATABASE_WAIT": "0"},
			listen: "127.0.0.1:7000", metrics: "127.0.0.1:9090"},
		{env: map[string]string{"DATABASE_WAIT": "2m"}, listen: ":8080", wait: 2 * time.Minute},
		{env: map[string]string{"LISTEN_ADDR": "localhost"}, errorHas: "want host:port"},
		{env: map[string]string{"METRICS_ADDR": ":http"}, errorHas: "not a port number"},
		{env: map[string]string{"LISTEN_ADDR": ":9000", "METRICS_ADDR": ":9000"}, errorHas: "address of its own"},
		{env: map[string]string{"DATABASE_WAIT": "soon"}, errorHas: "DATABASE_WAIT"},
		{env: map[string]string{"JWT_MAX_LIFETIME": "-1h"}, errorHas: "JWT_MAX_LIFETIME"},
	} {
		cfg, err := loadConfig(func(k string) string { return tc.env[k] })
		switch {
		case tc.errorHas != "":
			if err == nil || !strings.Contains(err.Error(), tc.errorHas) {
				t.Errorf("%v: error %v, want one saying %q", tc.env, err, tc.errorHas)
			}
		case err != nil:
			t.Errorf("%v: %v", tc.env, err)
		case cfg.ListenAddr != tc.listen || cfg.MetricsAddr != tc.metrics || cfg.DatabaseWait != tc.wait:
			t.Errorf("%v: listen %q, metrics %q, wait %v; want %q, %q, %v", tc.env, cfg.ListenAddr, cfg.MetricsAddr,
				cfg.DatabaseWait, tc.listen, tc.metrics, tc.wait)
		case cfg.JWT.MaxLifetime != 24*time.Hour:
			t.Errorf("%v: JWT max lifetime %v, want 24h", tc.env, cfg.JWT.MaxLifetime)
		}
	}
}

// TestMetricsAddr runs the server with LISTEN_ADDR and METRICS_ADDR: the API
// answers on the first, /metrics and the profiler on the second only.
func TestMetricsAddr(t *testing.T) {
	api, private := freeAddr(t), freeAddr(t)
	env := map[string]string{"SQLITE_PATH": filepath.Join(t.TempDir(), "t.db"), "SEED": "never", "LOG_LEVEL": "warn",
		"LISTEN_ADDR": api, "METRICS_ADDR": private}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, func(k string) string { return env[k] }, io.Discard, io.Discard) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	get := func(url string) (int, string) {
		resp, err := http.Get(url)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if status, _ := get("http://" + api + "/readyz"); status == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the server did not get ready")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if status, body := get("http://" + private + "/metrics"); status != http.StatusOK || !strings.Contains(body, "go_goroutines") {
		t.Errorf("METRICS_ADDR /metrics = %d, want 200 with Go metrics", status)
	}
	if status, _ := get("http://" + private + "/debug/pprof/"); status != http.StatusOK {
		t.Errorf("METRICS_ADDR /debug/pprof/ = %d, want 200 on a loopback address", status)
	}
	if status, body := get("http://" + api + "/metrics"); status == http.StatusOK && strings.Contains(body, "go_goroutines") {
		t.Error("the API's listener serves /metrics although METRICS_ADDR is set")
	}
	if status, _ := get("http://" + private + "/graphql"); status != http.StatusNotFound {
		t.Errorf("METRICS_ADDR /graphql = %d, want 404", status)
	}
}

// freeAddr returns a loopback address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
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

// TestDrainLiveConnections runs the server, opens a WebSocket subscription
// and an SSE stream, and stops the server as SIGTERM does: the WebSocket
// is closed with 1001 (going away) and the stream ends without complete,
// so that clients reconnect to another replica, and run returns.
func TestDrainLiveConnections(t *testing.T) {
	addr := freeAddr(t)
	env := map[string]string{"SQLITE_PATH": filepath.Join(t.TempDir(), "t.db"), "SEED": "never", "LOG_LEVEL": "warn",
		"LISTEN_ADDR": addr, "LIVE_KEEPALIVE": "50ms"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, func(k string) string { return env[k] }, io.Discard, io.Discard) }()
	for deadline := time.Now().Add(30 * time.Second); ; {
		if resp, err := http.Get("http://" + addr + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the server did not get ready")
		}
		time.Sleep(50 * time.Millisecond)
	}
	const subscription = `{"query":"subscription { actionItemChanged { kind } }"}`

	wctx, wcancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer wcancel()
	ws, _, err := websocket.Dial(wctx, "ws://"+addr+"/graphql", &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	for _, m := range []string{`{"type":"connection_init"}`, `{"id":"1","type":"subscribe","payload":` + subscription + `}`} {
		if err := ws.Write(wctx, websocket.MessageText, []byte(m)); err != nil {
			t.Fatal(err)
		}
	}
	if _, b, err := ws.Read(wctx); err != nil || !strings.Contains(string(b), "connection_ack") {
		t.Fatalf("connection_init: %s, %v", b, err)
	}

	req, _ := http.NewRequestWithContext(wctx, http.MethodPost, "http://"+addr+"/graphql", strings.NewReader(subscription))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	stream := bufio.NewReader(resp.Body)
	if line, err := stream.ReadString('\n'); err != nil || !strings.HasPrefix(line, ":") {
		t.Fatalf("stream: %q, %v", line, err)
	}

	cancel() // as SIGTERM
	var readErr error
	for readErr == nil {
		_, _, readErr = ws.Read(wctx)
	}
	if got := websocket.CloseStatus(readErr); got != websocket.StatusGoingAway {
		t.Errorf("WebSocket: close %d (%v), want 1001", got, readErr)
	}
	rest, err := io.ReadAll(stream)
	if err != nil || strings.Contains(string(rest), "event: complete") || strings.Contains(string(rest), "event: next") {
		t.Errorf("stream after SIGTERM: %q, %v; want its end, without complete", rest, err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("run did not return after SIGTERM")
	}
}
