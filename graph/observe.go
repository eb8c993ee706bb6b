package graph

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"tracker/models"
)

// Observability: every GraphQL request is logged once it is answered (a
// JSON line with its request ID, caller, operation, duration, status,
// outcome and error codes — never its credentials, variables or text),
// counted and timed in Prometheus metrics, and, when tracing is on, traced
// with a span per operation.

// exchange is what the GraphQL layer learns about a request, for the log
// and the metrics written when it ends.
type exchange struct {
	mu        sync.Mutex
	caller    string
	operation string
	opType    string
	codes     []string
	// answer is the code of an answer written outside the GraphQL layer
	// (TIMEOUT at the deadline, OVERLOADED): it is the request's outcome,
	// whatever work abandoned at the deadline records after.
	answer string
	// internal and panics count the request's internal errors and panics:
	// only the first few are logged in full (see logInternal).
	internal, panics int
}

// maxLoggedInternal bounds the internal errors, and separately the panic
// stacks, that one request writes to the log. A bug hit by every item of a
// list (or every alias of a document) would otherwise log once per item:
// once 392 panic stacks, 2.4 MB, for one 13 kB request. The rest are
// counted in the request's log line (internal_errors, panics).
const maxLoggedInternal = 3

// countInternal counts an internal error of the request (a panic when
// panic is set) and reports whether it is among the first that are logged.
func countInternal(ctx context.Context, panic bool) bool {
	ex := exchangeFrom(ctx)
	if ex == nil {
		return true
	}
	ex.mu.Lock()
	defer ex.mu.Unlock()
	n := &ex.internal
	if panic {
		n = &ex.panics
	}
	*n++
	return *n <= maxLoggedInternal
}

// noteAnswer records the code of an answer written outside the GraphQL
// layer as the request's outcome.
func noteAnswer(ctx context.Context, code string) {
	if ex := exchangeFrom(ctx); ex != nil {
		ex.mu.Lock()
		if ex.answer == "" {
			ex.answer = code
		}
		ex.mu.Unlock()
	}
}

type exchangeKey struct{}

func exchangeFrom(ctx context.Context) *exchange {
	e, _ := ctx.Value(exchangeKey{}).(*exchange)
	return e
}

// metrics are the GraphQL metrics of a handler.
type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	errors   *prometheus.CounterVec
	inFlight prometheus.Gauge
	// abandoned counts requests answered TIMEOUT whose work runs on.
	abandoned prometheus.Gauge
	names     operationNames

	// Live connections (graph/live.go, graph/sse.go), by transport
	// (websocket, sse).
	liveConnections   *prometheus.GaugeVec
	liveSubscriptions *prometheus.GaugeVec
	liveEvents        *prometheus.CounterVec
	liveLatency       *prometheus.HistogramVec
	liveRefusals      *prometheus.CounterVec
}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tracker_graphql_requests_total",
			Help: "GraphQL requests answered, by operation name and outcome (ok, or the first error's code)."}, []string{"operation", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "tracker_graphql_request_duration_seconds",
			Help:    "Time to answer GraphQL requests, by operation name.",
			Buckets: []float64{.002, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}}, []string{"operation"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tracker_graphql_errors_total",
			Help: "GraphQL errors returned, by extensions.code."}, []string{"code"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{Name: "tracker_graphql_requests_in_flight",
			Help: "GraphQL requests being answered."}),
		abandoned: prometheus.NewGauge(prometheus.GaugeOpts{Name: "tracker_graphql_requests_abandoned",
			Help: "GraphQL requests answered TIMEOUT at their deadline whose work still runs."}),
		names: operationNames{seen: map[string]bool{}},
		liveConnections: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "tracker_live_connections",
			Help: "Live connections open, by transport (websocket, sse)."}, []string{"transport"}),
		liveSubscriptions: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "tracker_live_subscriptions",
			Help: "Subscriptions and live queries running on live connections, by transport."}, []string{"transport"}),
		liveEvents: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tracker_live_events_total",
			Help: "Results written to live connections (next messages and events), by transport."}, []string{"transport"}),
		liveLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "tracker_live_delivery_seconds",
			Help:    "From a change's commit to its subscription's result being handed to the connection's writer, by transport.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}}, []string{"transport"}),
		liveRefusals: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tracker_live_refusals_total",
			Help: "Live connections refused or closed by the server, by transport and code: a WebSocket close code (4400, 4401, 4403, 4408, 4409, 4429, 4500, 1013, 4413) or an HTTP refusal's error code (OVERLOADED, TOO_MANY_CONNECTIONS)."},
			[]string{"transport", "code"}),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.duration, m.errors, m.inFlight, m.abandoned,
			m.liveConnections, m.liveSubscriptions, m.liveEvents, m.liveLatency, m.liveRefusals)
	}
	return m
}

// operationNames bounds the operation names used as metric labels: clients
// choose them, and an unbounded label would grow without end.
type operationNames struct {
	mu   sync.Mutex
	seen map[string]bool
}

const maxOperationNames = 200

var operationNamePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)

func (n *operationNames) label(name string) string {
	if name == "" {
		return "anonymous"
	}
	if !operationNamePattern.MatchString(name) {
		return "other"
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.seen[name] && len(n.seen) >= maxOperationNames {
		return "other"
	}
	n.seen[name] = true
	return name
}

// statusWriter records the status and size of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection, for its
// deadlines.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

// observe logs, counts and times each request it wraps.
func observe(logger *slog.Logger, m *metrics, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ex := &exchange{}
		sw := &statusWriter{ResponseWriter: w}
		m.inFlight.Inc()
		defer m.inFlight.Dec()
		ctx, statements := models.WithStatementCounter(context.WithValue(r.Context(), exchangeKey{}, ex))
		next.ServeHTTP(sw, r.WithContext(ctx))

		elapsed := time.Since(start)
		ex.mu.Lock()
		caller, op, opType, errCodes, answer := ex.caller, ex.operation, ex.opType, ex.codes, ex.answer
		internal, panics := ex.internal, ex.panics
		ex.mu.Unlock()
		outcome := "ok"
		if answer != "" {
			outcome, errCodes = answer, []string{answer}
		} else if len(errCodes) > 0 {
			outcome = errCodes[0]
		} else if sw.status >= 400 {
			outcome = http.StatusText(sw.status)
		}
		label := m.names.label(op)
		m.requests.WithLabelValues(label, outcome).Inc()
		m.duration.WithLabelValues(label).Observe(elapsed.Seconds())

		level := slog.LevelInfo
		switch {
		case sw.status == http.StatusServiceUnavailable:
			level = slog.LevelWarn // a dependency is down: its own alert, not a bug
		case sw.status >= 500:
			level = slog.LevelError
		}
		if !logger.Enabled(r.Context(), level) {
			return // LOG_LEVEL=warn: no line, and no cost building one
		}
		attrs := []slog.Attr{
			slog.String("request_id", models.RequestID(r.Context())),
			slog.String("method", r.Method),
			slog.Int("status", sw.status),
			slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000),
			slog.Int("bytes", sw.bytes),
			slog.String("outcome", outcome),
		}
		if caller != "" {
			attrs = append(attrs, slog.String("caller", caller))
		}
		if op != "" {
			attrs = append(attrs, slog.String("operation", op))
		}
		if opType != "" {
			attrs = append(attrs, slog.String("operation_type", opType))
		}
		if len(errCodes) > 0 {
			attrs = append(attrs, slog.Any("error_codes", errCodes))
		}
		attrs = append(attrs, slog.Int64("sql_statements", statements.Load()))
		if internal > 0 {
			attrs = append(attrs, slog.Int("internal_errors", internal))
		}
		if panics > 0 {
			attrs = append(attrs, slog.Int("panics", panics))
		}
		if sc := trace.SpanContextFromContext(r.Context()); sc.IsValid() {
			attrs = append(attrs, slog.String("trace_id", sc.TraceID().String()))
		}
		logger.LogAttrs(r.Context(), level, "graphql request", attrs...)
	})
}

// noteCaller records who is calling, once authentication has run: the log
// line and the trace carry the caller's subject, never the credential.
func noteCaller(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u := models.UserFrom(r.Context()); u != nil {
			if ex := exchangeFrom(r.Context()); ex != nil {
				ex.mu.Lock()
				ex.caller = u.Subject
				ex.mu.Unlock()
			}
			trace.SpanFromContext(r.Context()).SetAttributes(attribute.String("enduser.id", u.Subject),
				attribute.String("enduser.role", string(u.Role)))
		}
		next.ServeHTTP(w, r)
	})
}

var tracer = otel.Tracer("tracker/graph")

// traceOperation wraps each GraphQL operation in a span and records its name
// and type for the log.
func traceOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	opCtx := graphql.GetOperationContext(ctx)
	name, typ := opCtx.OperationName, ""
	if opCtx.Operation != nil {
		typ = string(opCtx.Operation.Operation)
		if name == "" {
			name = opCtx.Operation.Name
		}
	}
	if ex := exchangeFrom(ctx); ex != nil {
		ex.mu.Lock()
		ex.operation, ex.opType = name, typ
		ex.mu.Unlock()
	}
	ctx, span := tracer.Start(ctx, "graphql "+typ+" "+name, trace.WithAttributes(
		attribute.String("graphql.operation.name", name), attribute.String("graphql.operation.type", typ)))
	handler := next(ctx)
	_, live := ctx.Value(liveConnKey{}).(*liveConn)
	streaming := typ == "subscription" || (live && opCtx.Operation != nil && opCtx.Operation.Directives.ForName("live") != nil)
	return func(ctx context.Context) *graphql.Response {
		defer span.End() // one response per operation: no subscriptions or @defer here
		resp := handler(ctx)
		if resp == nil && ctx.Err() != nil && !streaming {
			// The request's time ran out before its operation ran; gqlgen
			// then answers nothing, and the client deserves a reason. A
			// stream's nil (a subscription's, or a live query's on a live
			// connection) is its end (its connection or operation is
			// over): answering it would make gqlgen ask for the next
			// response at once, forever.
			resp = &graphql.Response{Errors: gqlerror.List{{Message: timeoutMessage,
				Extensions: map[string]any{"code": codeTimeout}}}}
			noteAnswer(ctx, codeTimeout)
		}
		if resp != nil && len(resp.Errors) > 0 {
			span.SetStatus(codes.Error, resp.Errors[0].Message)
		}
		return resp
	}
}

// recordErrors notes the codes of a response's errors for the log and the
// metrics.
func recordErrors(m *metrics) graphql.ResponseMiddleware {
	return func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		resp := next(ctx)
		if resp == nil || len(resp.Errors) == 0 {
			return resp
		}
		ex := exchangeFrom(ctx)
		if ex != nil {
			ex.mu.Lock()
			abandoned := ex.answer != ""
			ex.mu.Unlock()
			if abandoned {
				return resp // answered already: these errors reach nobody
			}
		}
		for _, e := range resp.Errors {
			code := string(models.CodeInternal)
			if c, ok := e.Extensions["code"]; ok {
				code = fmt.Sprint(c) // a string or a models.Code
			}
			m.errors.WithLabelValues(code).Inc()
			if ex != nil {
				ex.mu.Lock()
				ex.codes = append(ex.codes, code)
				ex.mu.Unlock()
			}
		}
		return resp
	}
}
