package graph

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"tracker/models/modelstest"
)

// TestTracing follows one traced request: it continues the caller's trace
// (W3C traceparent), with a server span, an operation span and a span per
// SQL statement beneath, and the request log names the trace.
func TestTracing(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	// The global provider can be set once per process for tracers made
	// before it (the packages' own); this is the only test that does.
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)))
	otel.SetTextMapPropagator(propagation.TraceContext{})

	var logs bytes.Buffer
	store := modelstest.Seeded(t, modelstest.Dialects()[0])
	srv := httptest.NewServer(NewHandler(store, Options{Tracing: true, Auth: AuthOptions{PublicRead: true},
		Logger: slog.New(slog.NewJSONHandler(&logs, nil))}))
	t.Cleanup(srv.Close)

	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	status, r := post(t, srv.URL+"/graphql", "application/json",
		jsonBody(`query Partners { initiatives(first: 2) { nodes { title partnerships { nodes { organization { name } } } } } }`, nil),
		"traceparent", "00-"+traceID+"-00f067aa0ba902b7-01")
	if status != 200 || len(r.Errors) > 0 {
		t.Fatalf("status %d, errors %v", status, r.Errors)
	}

	spans := rec.Ended()
	byName := map[string]int{}
	for _, s := range spans {
		if got := s.SpanContext().TraceID().String(); got != traceID {
			t.Errorf("span %q in trace %s, want the caller's %s", s.Name(), got, traceID)
		}
		byName[s.Name()]++
	}
	if byName["POST /graphql"] != 1 || byName["graphql query Partners"] != 1 || byName["sql"] < 1 { // one statement: the compiled root field
		t.Errorf("spans = %v, want one server span, one operation span and the statements", byName)
	}
	for _, s := range spans {
		if s.Name() == "sql" {
			for _, a := range s.Attributes() {
				if strings.Contains(a.Value.Emit(), "SELECT") {
					t.Errorf("a statement span carries SQL text: %v", a)
				}
			}
		}
	}

	var entry map[string]any
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		if json.Unmarshal([]byte(line), &entry) == nil && entry["msg"] == "graphql request" {
			break
		}
	}
	if entry["trace_id"] != traceID {
		t.Errorf("log line = %v, want trace_id %s", entry, traceID)
	}
}
