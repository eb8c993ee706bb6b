package graph

import (
	"context"
	"log/slog"
	"net/http"
	"runtime"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/vektah/gqlparser/v2/ast"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"

	"tracker/models"
)

// Options configure the HTTP handler. The zero value is a working handler
// with safe limits.
type Options struct {
	// Logger receives the request log and operational messages; nil
	// discards them.
	Logger *slog.Logger
	// PlaygroundAssets is the directory holding GraphiQL's npm packages
	// (web/node_modules).
	PlaygroundAssets string
	// DashboardAssets is the directory of the dashboard's build
	// (web/dist/dashboard), served at /dashboard/; see dashboard.go.
	DashboardAssets string
	// ReportStatements adds the number of SQL statements a request ran to
	// its response, as extensions.sqlStatements: for tests and benchmarks.
	ReportStatements bool
	// Metrics is the Prometheus registry the handler's metrics join and
	// that /metrics serves; nil serves none.
	Metrics *prometheus.Registry
	// PrivateMetrics keeps /metrics off this handler: another listener,
	// on a private address, serves the registry.
	PrivateMetrics bool
	// Auth configures authentication.
	Auth AuthOptions
	// Limits bound each request; zero fields take DefaultLimits' values.
	Limits Limits
	// Admission bounds the expensive operations running at once; zero
	// fields take DefaultAdmission's values.
	Admission Admission
	// MaxBodyBytes bounds request bodies (default 1 MiB).
	MaxBodyBytes int64
	// Timeout bounds each request, from reading its body to writing its
	// response, database work included (default 15 s).
	Timeout time.Duration
	// MaxAbandoned bounds the requests answered TIMEOUT whose work still
	// runs (default twice the CPUs); beyond it new requests are refused
	// with 503 OVERLOADED until some of that work ends.
	MaxAbandoned int
	// DisableIntrospection turns schema introspection off, and with it the
	// "did you mean" suggestions of validation errors.
	DisableIntrospection bool
	// Draining reports whether the server is shutting down, which /readyz
	// reports as not ready; nil never drains.
	Draining func() bool
	// TrustedDocuments, when not nil, is the only operations that may run,
	// by the SHA-256 of their text; see LoadTrustedDocuments. Otherwise
	// clients may register queries as automatic persisted queries.
	TrustedDocuments map[string]string
	// Live configures subscriptions over WebSocket.
	Live LiveOptions
	// DisableCompiler runs every query through gqlgen's executor, field
	// by field, instead of compiling the root fields it covers into one
	// SQL statement each that builds their JSON (QUERY_COMPILER=off).
	// Both give byte-identical responses; the compiler is faster.
	DisableCompiler bool
	// LiveQueries configures queries marked @live.
	LiveQueries LiveQueryOptions
	// Tracing wraps requests in OpenTelemetry server spans, continuing the
	// caller's trace, for the global tracer provider. Off, requests carry
	// no span of their own (operations and statements still ask the
	// provider, which costs nothing when none is set).
	Tracing bool
}

// Defaults of Options.
const (
	defaultMaxBodyBytes = 1 << 20
	defaultTimeout      = 15 * time.Second
	apqCacheSize        = 1000
)

func (o Options) withDefaults() Options {
	d := DefaultLimits
	l := &o.Limits
	for _, f := range []struct{ v, def *int }{{&l.MaxDepth, &d.MaxDepth}, {&l.MaxIntrospectionDepth, &d.MaxIntrospectionDepth},
		{&l.MaxComplexity, &d.MaxComplexity}, {&l.MaxAliases, &d.MaxAliases}, {&l.MaxOperations, &d.MaxOperations},
		{&l.MaxTokens, &d.MaxTokens}, {&l.MaxSelections, &d.MaxSelections}, {&l.MaxSelectionSetSize, &d.MaxSelectionSetSize},
		{&l.MaxDirectives, &d.MaxDirectives}, {&l.MaxErrors, &d.MaxErrors}} {
		if *f.v <= 0 {
			*f.v = *f.def
		}
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = defaultMaxBodyBytes
	}
	if o.Timeout <= 0 {
		o.Timeout = defaultTimeout
	}
	if o.MaxAbandoned <= 0 {
		o.MaxAbandoned = 2 * runtime.GOMAXPROCS(0)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	o.Live = o.Live.withDefaults()
	return o
}

// DefaultQuery opens the playground: the partnerships story in one query.
const DefaultQuery = `# Welcome to the Partnership Tracker. Press the ▶ button to run this query,
# and open the Docs panel to explore every type and field.
query Partnerships {
  initiatives(first: 10) {
    totalCount
    nodes {
      title
      kind
      status
      actualStart { label }
      partnerships {
        nodes {
          role
          status
          organization { acronym name }
        }
      }
      meetings(first: 3) {
        nodes { title date { label } place { name } }
      }
      citations(first: 1) {
        nodes { field excerpt }
      }
    }
  }
}
`

// NewHandler returns the tracker's HTTP handler: GraphQL at /graphql (POST,
// and GET for queries), the GraphiQL playground at /, the dashboard at
// /dashboard/, health checks at
// /healthz (alive) and /readyz (database reachable, migrated and taking
// writes), and Prometheus metrics at /metrics unless they are private.
func NewHandler(store *models.Store, opts Options) http.Handler {
	opts = opts.withDefaults()
	m := newMetrics(opts.Metrics)

	es := NewExecutableSchema(Config{
		Resolvers:  &Resolver{Store: store},
		Directives: DirectiveRoot{HasRole: hasRole, Live: liveDirective},
		Complexity: complexityRoot(store.MaxPageSize()),
	})
	srv := handler.New(es)
	adm := newAdmission(opts.Admission, opts.Metrics)
	liveConns := &liveConnections{max: int64(opts.Live.MaxConnections), perCaller: opts.Live.MaxConnectionsPerCaller, metrics: m}
	opts.Live.Drain.track(liveConns)
	srv.AddTransport(sseTransport{admission: adm, timeout: opts.Timeout}) // before httpTransport, which would take its requests too
	srv.AddTransport(httpTransport{admission: adm})
	srv.AddTransport(websocketTransport(store, opts.Auth, opts.Live, liveConns, m, opts.Logger))
	store.Changes().SetLogger(opts.Logger)
	queryCache := lru.New[*ast.QueryDocument](1000)
	srv.SetQueryCache(queryCache)
	srv.SetParserTokenLimit(opts.Limits.MaxTokens)
	if opts.DisableIntrospection {
		srv.SetDisableSuggestion(true)
	} else {
		srv.Use(extension.Introspection{})
	}
	dash := newDashboard(opts.DashboardAssets, opts.Logger)
	if opts.TrustedDocuments != nil {
		srv.Use(trustedDocuments(withDashboardOperations(opts.TrustedDocuments, dash.operations())))
	} else {
		srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](apqCacheSize)})
	}
	srv.Use(&limiter{limits: opts.Limits, cache: queryCache})
	srv.SetErrorPresenter(presentError(opts.Logger))
	srv.SetRecoverFunc(recoverPanic(opts.Logger))
	// observeLive counts and times each subscriber's operation. Live
	// queries and subscriptions then run in groups (liveQueries), each
	// run going through the operation middleware that follows.
	srv.AroundOperations(observeLive(m))
	srv.Use(newLiveQueries(store, opts.LiveQueries, opts.Timeout, opts.Metrics))
	srv.AroundOperations(traceOperation)
	if !opts.DisableCompiler {
		srv.AroundRootFields(newCompiler(store, es, opts.Metrics, opts.Logger).aroundRootField)
	}
	srv.AroundResponses(recordErrors(m))
	srv.AroundResponses(capErrors(opts.Limits.MaxErrors))
	srv.AroundResponses(orderErrors)
	if opts.ReportStatements {
		srv.AroundResponses(reportStatements)
		srv.AroundResponses(reportRootFields)
	}
	srv.AroundResponses(freshBatcher(store))
	srv.AroundResponses(handBackReadAfter)

	// Outermost first: an ID for the request, its log line and metrics,
	// a deadline, the HTTP rules (reading the body by the deadline), an
	// answer by the deadline whatever the rest does, the caller, then
	// GraphQL.
	var api http.Handler = withConsistency(withBatcher(store, srv))
	api = noteCaller(api)
	api = authenticate(store, opts.Auth, adm, api)
	api = answerByDeadline(opts.Logger, &abandoned{max: int64(opts.MaxAbandoned), gauge: m.abandoned}, api)
	api = protocol(opts.MaxBodyBytes, opts.Limits.MaxTokens, api)
	api = withDeadline(opts.Timeout, api)
	api = observe(opts.Logger, m, api)
	api = withRequestID(api)
	if opts.Tracing {
		api = otelhttp.NewHandler(api, "/graphql")
	}

	// A WebSocket upgrade skips the request deadline and the HTTP body
	// rules, which a connection living for hours has no use for: it
	// authenticates in connection_init, and each operation it starts
	// still passes the document limits (the limiter extension).
	var live http.Handler = withRequestID(withLiveSession(withBatcher(store, srv)))
	// A stream (graphql-sse) skips them too, once its body is read; it
	// authenticates as requests do.
	var stream http.Handler = withBatcher(store, srv)
	stream = sseStream(store, opts.Auth, opts.Live, liveConns, m, stream)
	stream = authenticate(store, opts.Auth, adm, stream)
	stream = sseProtocol(opts.MaxBodyBytes, opts.Limits.MaxTokens, stream)
	stream = withRequestID(stream)
	var graphqlHandler http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case isUpgrade(r):
			liveConns.serve(w, r, live, transportWebSocket)
		case isEventStream(r):
			liveConns.serve(w, r, stream, transportSSE)
		default:
			api.ServeHTTP(w, r)
		}
	})
	graphqlHandler = withCORS(opts.Live.OriginPatterns, graphqlHandler)

	mux := http.NewServeMux()
	mux.Handle("/graphql", graphqlHandler)
	mux.HandleFunc("GET /healthz", healthz)
	mux.HandleFunc("GET /readyz", readyz(store, opts.Draining))
	if opts.Metrics != nil && !opts.PrivateMetrics {
		mux.Handle("GET /metrics", promhttp.HandlerFor(opts.Metrics, promhttp.HandlerOpts{}))
	}
	mux.Handle("/dashboard", dash)
	mux.Handle("/dashboard/", dash)
	mux.Handle("/", newPlayground("/graphql", opts.PlaygroundAssets, DefaultQuery, opts.Logger))
	return mux
}

// reportStatements adds extensions.sqlStatements to each response.
func reportStatements(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if n, ok := models.StatementCount(ctx); ok && resp != nil {
		if resp.Extensions == nil {
			resp.Extensions = map[string]any{}
		}
		resp.Extensions["sqlStatements"] = n
	}
	return resp
}
