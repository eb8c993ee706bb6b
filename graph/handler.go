package graph

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/vektah/gqlparser/v2/ast"

	"tracker/models"
)

// Options configure the HTTP handler.
type Options struct {
	// Logger receives operational messages; nil discards them.
	Logger *slog.Logger
	// PlaygroundAssets is the directory holding GraphiQL's npm packages
	// (web/node_modules).
	PlaygroundAssets string
	// ReportStatements adds the number of SQL statements a request ran to
	// its response, as extensions.sqlStatements: for tests and benchmarks.
	ReportStatements bool
	// Metrics is the Prometheus registry served at /metrics; nil serves
	// none.
	Metrics *prometheus.Registry
	// Auth configures authentication.
	Auth AuthOptions
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
// and GET for queries), the GraphiQL playground at /, health checks at
// /healthz (alive) and /readyz (database reachable and migrated), and
// Prometheus metrics at /metrics.
func NewHandler(store *models.Store, opts Options) http.Handler {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	srv := handler.New(NewExecutableSchema(Config{
		Resolvers:  &Resolver{Store: store},
		Directives: DirectiveRoot{HasRole: hasRole},
	}))
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	srv.Use(extension.Introspection{})
	srv.SetErrorPresenter(presentError(logger))
	srv.SetRecoverFunc(recoverPanic(logger))
	if opts.ReportStatements {
		srv.AroundResponses(reportStatements)
	}

	mux := http.NewServeMux()
	mux.Handle("/graphql", withRequestID(authenticate(store, opts.Auth, withBatcher(store, srv))))
	mux.HandleFunc("GET /healthz", healthz)
	mux.HandleFunc("GET /readyz", readyz(store))
	if opts.Metrics != nil {
		mux.Handle("GET /metrics", promhttp.HandlerFor(opts.Metrics, promhttp.HandlerOpts{}))
	}
	mux.Handle("/", newPlayground("/graphql", opts.PlaygroundAssets, DefaultQuery, logger))
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
