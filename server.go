// Command tracker serves the Partnership Tracker GraphQL API.
//
// Usage (tracker --help prints it, see cli.go):
//
//	tracker [serve]   migrate, seed an empty database, and serve HTTP (default)
//	tracker migrate   apply pending migrations and exit
//	tracker seed      load the seed data set (idempotent) and exit
//	tracker seed --synthetic N   also grow the synthetic data set to N initiatives
//	tracker token create --name NAME --role ROLE [--org SLUG]... [--expires DURATION]
//	                  issue an API token and print its secret, once
//	tracker token list | tracker token revoke --id ID
//	tracker healthcheck  exit 0 if the server on LISTEN_ADDR (or PORT) is ready (for containers)
//
// Configuration comes from the environment; see loadConfig and the README.
package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"gorm.io/gorm"

	"tracker/graph"
	"tracker/models"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "tracker:", err)
		os.Exit(1)
	}
}

// config is the server's configuration, read once from the environment.
type config struct {
	DatabaseURL      string   // postgres://…; empty: the embedded SQLite file
	ReplicaURLs      []string // postgres://… of streaming read replicas of DatabaseURL
	ReplicaMaxLag    time.Duration
	SQLitePath       string
	DatabaseWait     time.Duration // how long to wait for an unreachable Postgres at start
	Port             string
	ListenAddr       string // host:port of the API; default all interfaces on Port
	MetricsAddr      string // host:port of /metrics and pprof; empty: /metrics on ListenAddr
	Seed             string // "auto": seed an empty database at start; "never"
	PlaygroundAssets string
	DashboardAssets  string
	ReportStatements bool // add extensions.sqlStatements to responses
	QueryCompiler    bool // compile covered root fields to one SQL statement each (QUERY_COMPILER=on|off)
	PublicRead       bool // anonymous requests may read
	JWT              graph.JWTConfig
	Limits           graph.Limits
	Admission        graph.Admission
	MaxPageSize      int
	MaxBodyBytes     int64
	RequestTimeout   time.Duration
	StatementTimeout time.Duration // enforced by Postgres
	Introspection    bool
	TrustedDocuments string // a manifest path: only its operations run
	PprofAddr        string // a loopback address to serve Go's profiler on
	DBMaxConns       int
	LogLevel         slog.Level
	ShutdownTimeout  time.Duration
	ShutdownDelay    time.Duration // serve on, not ready, before closing the listener
	Live             graph.LiveOptions
	LiveQueries      graph.LiveQueryOptions
}

func loadConfig(getenv func(string) string) (config, error) {
	cfg := config{
		DatabaseURL:      getenv("DATABASE_URL"),
		SQLitePath:       cmp.Or(getenv("SQLITE_PATH"), "tracker.db"),
		Port:             cmp.Or(getenv("PORT"), "8080"),
		Seed:             cmp.Or(getenv("SEED"), "auto"),
		PlaygroundAssets: cmp.Or(getenv("PLAYGROUND_ASSETS"), "web/node_modules"),
		DashboardAssets:  cmp.Or(getenv("DASHBOARD_ASSETS"), "web/dist/dashboard"),
		TrustedDocuments: getenv("TRUSTED_DOCUMENTS"),
		PprofAddr:        getenv("PPROF_ADDR"),
	}
	env := envReader{getenv: getenv}
	cfg.ReportStatements = env.bool("REPORT_STATEMENTS", false)
	// The query compiler is on unless turned off: the executor alone
	// answers every query then, the way to compare (docs/compiler.md).
	switch v := getenv("QUERY_COMPILER"); v {
	case "", "on":
		cfg.QueryCompiler = true
	case "off":
	default:
		env.fail("QUERY_COMPILER", v, "on or off")
	}
	// Anonymous reading is on for the embedded demo database, off for
	// Postgres unless asked for.
	cfg.PublicRead = env.bool("PUBLIC_READ", cfg.DatabaseURL == "")
	cfg.Introspection = env.bool("INTROSPECTION", true)
	cfg.Limits = graph.Limits{
		MaxDepth:              env.int("MAX_QUERY_DEPTH", graph.DefaultLimits.MaxDepth),
		MaxComplexity:         env.int("MAX_QUERY_COMPLEXITY", graph.DefaultLimits.MaxComplexity),
		MaxAliases:            env.int("MAX_ALIASES", graph.DefaultLimits.MaxAliases),
		MaxOperations:         env.int("MAX_OPERATIONS", graph.DefaultLimits.MaxOperations),
		MaxTokens:             env.int("MAX_QUERY_TOKENS", graph.DefaultLimits.MaxTokens),
		MaxIntrospectionDepth: env.int("MAX_INTROSPECTION_DEPTH", graph.DefaultLimits.MaxIntrospectionDepth),
		MaxSelections:         env.int("MAX_SELECTIONS", graph.DefaultLimits.MaxSelections),
		MaxSelectionSetSize:   env.int("MAX_SELECTION_SET_SIZE", graph.DefaultLimits.MaxSelectionSetSize),
		MaxDirectives:         env.int("MAX_DIRECTIVES", graph.DefaultLimits.MaxDirectives),
		MaxErrors:             env.int("MAX_ERRORS", graph.DefaultLimits.MaxErrors),
	}
	cfg.Admission = graph.Admission{
		MaxCost:       env.int("ADMISSION_MAX_COST", graph.DefaultAdmission.MaxCost),
		MinCost:       env.int("ADMISSION_MIN_COST", graph.DefaultAdmission.MinCost),
		MaxConcurrent: env.int("ADMISSION_MAX_CONCURRENT", runtime.GOMAXPROCS(0)),
		Queue:         env.int("ADMISSION_QUEUE", graph.DefaultAdmission.Queue),
		MaxWait:       env.duration("ADMISSION_MAX_WAIT", graph.DefaultAdmission.MaxWait),
	}
	cfg.MaxPageSize = env.int("MAX_PAGE_SIZE", models.DefaultMaxPageSize)
	cfg.MaxBodyBytes = int64(env.int("MAX_BODY_BYTES", 1<<20))
	cfg.RequestTimeout = env.duration("REQUEST_TIMEOUT", 15*time.Second)
	cfg.StatementTimeout = env.duration("DB_STATEMENT_TIMEOUT", 10*time.Second)
	cfg.DBMaxConns = env.int("DB_MAX_CONNS", 0)
	for _, u := range strings.Split(getenv("DATABASE_REPLICA_URLS"), ",") {
		if u = strings.TrimSpace(u); u != "" {
			cfg.ReplicaURLs = append(cfg.ReplicaURLs, u)
		}
	}
	if len(cfg.ReplicaURLs) > 0 && cfg.DatabaseURL == "" {
		env.fail("DATABASE_REPLICA_URLS", "(set)", "empty without a Postgres DATABASE_URL: the embedded database has no replicas")
	}
	cfg.ReplicaMaxLag = env.duration("REPLICA_MAX_LAG", 5*time.Second)
	cfg.ShutdownTimeout = env.duration("SHUTDOWN_TIMEOUT", 20*time.Second)
	cfg.ShutdownDelay = env.duration("SHUTDOWN_DELAY", 0)
	cfg.DatabaseWait = env.durationOrZero("DATABASE_WAIT", 60*time.Second)
	// Browsers on other origins may call the API (CORS) and open live
	// connections only from the origins listed (none by default).
	for _, o := range strings.Split(getenv("CORS_ORIGINS"), ",") {
		if o = strings.TrimSpace(o); o != "" {
			cfg.Live.OriginPatterns = append(cfg.Live.OriginPatterns, o)
		}
	}
	cfg.Live.MaxSubscriptionsPerConnection = env.int("LIVE_MAX_SUBSCRIPTIONS", 20)
	cfg.Live.MaxConnections = env.int("LIVE_MAX_CONNECTIONS", 1000)
	cfg.Live.MaxConnectionsPerCaller = env.int("LIVE_MAX_CONNECTIONS_PER_CALLER", 20)
	cfg.Live.SendQueue = env.int("LIVE_SEND_QUEUE", 64)
	cfg.Live.IdleTimeout = env.duration("LIVE_IDLE_TIMEOUT", 5*time.Minute)
	cfg.Live.InitTimeout = env.duration("LIVE_INIT_TIMEOUT", 10*time.Second)
	cfg.Live.KeepAlive = env.duration("LIVE_KEEPALIVE", 15*time.Second)
	cfg.Live.Recheck = env.duration("LIVE_RECHECK", 30*time.Second)
	cfg.LiveQueries.MinInterval = env.duration("LIVE_QUERY_INTERVAL", 200*time.Millisecond)
	cfg.JWT = graph.JWTConfig{
		Issuer: getenv("JWT_ISSUER"), Audience: getenv("JWT_AUDIENCE"),
		JWKSURL: getenv("JWT_JWKS_URL"), Secret: []byte(getenv("JWT_SECRET")),
		RoleClaim: getenv("JWT_ROLE_CLAIM"), OrgsClaim: getenv("JWT_ORGS_CLAIM"),
		MaxLifetime: env.duration("JWT_MAX_LIFETIME", graph.DefaultJWTMaxLifetime),
	}
	if env.err != nil {
		return cfg, env.err
	}
	if err := cfg.LogLevel.UnmarshalText([]byte(cmp.Or(getenv("LOG_LEVEL"), "info"))); err != nil {
		return cfg, fmt.Errorf("LOG_LEVEL: %w", err)
	}
	if n, err := strconv.Atoi(cfg.Port); err != nil || n < 0 || n > 65535 {
		return cfg, fmt.Errorf("PORT %q is not a port number", cfg.Port)
	}
	cfg.ListenAddr = cmp.Or(getenv("LISTEN_ADDR"), net.JoinHostPort("", cfg.Port))
	cfg.MetricsAddr = getenv("METRICS_ADDR")
	for name, addr := range map[string]string{"LISTEN_ADDR": cfg.ListenAddr, "METRICS_ADDR": cfg.MetricsAddr} {
		if err := checkAddr(addr); err != nil {
			return cfg, fmt.Errorf("%s %q: %w", name, addr, err)
		}
	}
	if cfg.MetricsAddr != "" && cfg.MetricsAddr == cfg.ListenAddr {
		return cfg, fmt.Errorf("METRICS_ADDR %q is LISTEN_ADDR: give /metrics an address of its own, or leave it unset", cfg.MetricsAddr)
	}
	if cfg.Seed != "auto" && cfg.Seed != "never" {
		return cfg, fmt.Errorf("SEED %q: want auto or never", cfg.Seed)
	}
	return cfg, nil
}

// envReader reads typed variables, keeping the first error.
type envReader struct {
	getenv func(string) string
	err    error
}

func (e *envReader) fail(name, v, want string) {
	if e.err == nil {
		e.err = fmt.Errorf("%s %q: want %s", name, v, want)
	}
}

func (e *envReader) bool(name string, def bool) bool {
	v := e.getenv(name)
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		e.fail(name, v, "true or false")
	}
	return b
}

func (e *envReader) int(name string, def int) int {
	v := e.getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		e.fail(name, v, "a positive number")
	}
	return n
}

// durationOrZero is duration that also takes 0, to turn something off.
func (e *envReader) durationOrZero(name string, def time.Duration) time.Duration {
	if e.getenv(name) == "0" {
		return 0
	}
	return e.duration(name, def)
}

// checkAddr checks a host:port listening address; "" is none.
func checkAddr(addr string) error {
	if addr == "" {
		return nil
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return errors.New("want host:port, such as 127.0.0.1:8080 or :8080")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("%q is not a port number", port)
	}
	return nil
}

func (e *envReader) duration(name string, def time.Duration) time.Duration {
	v := e.getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		e.fail(name, v, "a positive duration such as 15s")
	}
	return d
}

// run is the whole program; main only supplies the process's context,
// arguments, environment and error output.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c, err := parseCommand(args, stdout)
	if err != nil || c == nil { // a mistake, or help printed
		return err
	}
	cmd := c.name
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	logger := newLogger(cmd, stderr, cfg.LogLevel)
	if cmd == "healthcheck" {
		return healthcheck(ctx, cfg.ListenAddr)
	}

	db, err := models.Open(ctx, models.Config{DatabaseURL: cfg.DatabaseURL, SQLitePath: cfg.SQLitePath,
		MaxOpenConns: cfg.DBMaxConns, StatementTimeout: cfg.StatementTimeout, Wait: cfg.DatabaseWait, Logger: logger,
		ReplicaURLs: cfg.ReplicaURLs, ReplicaMaxLag: cfg.ReplicaMaxLag})
	if err != nil {
		return err
	}
	defer closeDB(db, logger)
	store := models.NewStore(db)
	store.SetMaxPageSize(cfg.MaxPageSize)
	logger.Info("database open", "dialect", store.Dialect(), "sqlite_path", sqlitePathFor(cfg))

	applied, err := models.Migrate(ctx, db)
	if err != nil {
		return err
	}
	logger.Info("migrations applied", "versions", applied)
	// The commands and the seed read what they are about to write: from
	// the primary, never from a replica that may not have it yet.
	cmdCtx := models.FromPrimary(ctx)
	switch cmd {
	case "migrate":
		return reportMigrations(ctx, db, applied, stdout)
	case "token":
		return c.token(cmdCtx, store, stdout)
	}

	if cmd == "seed" || cfg.Seed == "auto" {
		if err := seed(cmdCtx, store, cmd == "seed", logger); err != nil {
			return err
		}
	}
	if cmd == "seed" {
		fmt.Fprintln(stdout, "seed data loaded")
		return seedSynthetic(cmdCtx, store, c.synthetic, stdout, stderr)
	}
	tuneGC(getenv)
	return serve(ctx, cfg, store, logger)
}

// Garbage collector defaults for serving, each taken only when its
// standard variable (GOGC, GOMEMLIMIT) is unset. A GraphQL response is
// built from many short-lived objects while little stays live, so Go's
// default (collect when the heap doubles) spends a sixth of the CPU
// collecting; collecting at five times the live heap, under a soft limit on
// the process's Go memory, keeps that low with the footprint still bounded.
const (
	defaultGCPercent   = 400
	defaultMemoryLimit = 100 << 20
)

func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
}

// seed loads the seed data set: always when asked to, and otherwise only into
// an empty database.
func seed(ctx context.Context, store *models.Store, always bool, logger *slog.Logger) error {
	if !always {
		empty, err := store.IsEmpty(ctx)
		if err != nil || !empty {
			return err
		}
	}
	data, err := models.LoadSeed()
	if err != nil {
		return err
	}
	start := time.Now()
	if err := store.Seed(ctx, data); err != nil {
		return err
	}
	logger.Info("seed data loaded", "duration", time.Since(start).Round(time.Millisecond).String())
	return nil
}

// seedSynthetic grows the synthetic data set to n initiatives, if n is not
// 0, telling its progress on stderr, for it can take minutes.
func seedSynthetic(ctx context.Context, store *models.Store, n int, stdout, stderr io.Writer) error {
	if n == 0 {
		return nil
	}
	start := time.Now()
	last := time.Now()
	err := store.SeedSynthetic(ctx, n, func(done, total int) {
		if time.Since(last) > 5*time.Second && done < total {
			last = time.Now()
			fmt.Fprintf(stderr, "synthetic data: %d of %d initiatives (%s)\n", done, total, time.Since(start).Round(time.Second))
		}
	})
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "synthetic data: %d initiatives (%s)\n", n, time.Since(start).Round(time.Millisecond))
	return err
}

// reportMigrations tells which migrations ran and the version the
// database is at.
func reportMigrations(ctx context.Context, db *gorm.DB, applied []int64, stdout io.Writer) error {
	current, _, err := models.MigrationState(ctx, db)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "database at migration version %d (%d applied now)\n", current, len(applied))
	return err
}

// serve answers HTTP until ctx is done (SIGTERM or interrupt), then stops
// accepting connections, reports itself not ready, and drains in-flight
// requests within the shutdown timeout; the database closes after.
func serve(ctx context.Context, cfg config, store *models.Store, logger *slog.Logger) error {
	metrics, err := newMetrics(store)
	if err != nil {
		return err
	}
	stopTracing, tracing, err := startTracing(ctx, logger)
	if err != nil {
		return err
	}
	defer stopTracing()
	if err := startProfiling(cfg.PprofAddr, logger); err != nil {
		return err
	}
	stopMetrics, err := startMetricsServer(cfg.MetricsAddr, metrics, logger)
	if err != nil {
		return err
	}
	defer stopMetrics()
	opts := graph.Options{Logger: logger, PlaygroundAssets: cfg.PlaygroundAssets, DashboardAssets: cfg.DashboardAssets, ReportStatements: cfg.ReportStatements,
		Metrics: metrics, PrivateMetrics: cfg.MetricsAddr != "", Auth: graph.AuthOptions{PublicRead: cfg.PublicRead}, Limits: cfg.Limits,
		Admission:    cfg.Admission,
		MaxBodyBytes: cfg.MaxBodyBytes, Timeout: cfg.RequestTimeout, DisableIntrospection: !cfg.Introspection,
		Tracing: tracing, Live: cfg.Live, LiveQueries: cfg.LiveQueries, DisableCompiler: !cfg.QueryCompiler}
	if cfg.JWT.Issuer != "" || cfg.JWT.JWKSURL != "" || len(cfg.JWT.Secret) > 0 {
		if opts.Auth.JWT, err = graph.NewJWTVerifier(ctx, cfg.JWT); err != nil {
			return fmt.Errorf("JWT configuration: %w", err)
		}
	}
	if cfg.TrustedDocuments != "" {
		if opts.TrustedDocuments, err = graph.LoadTrustedDocuments(cfg.TrustedDocuments); err != nil {
			return err
		}
	}
	var draining atomic.Bool
	opts.Draining = draining.Load
	liveDrain := graph.NewLiveDrain()
	opts.Live.Drain = liveDrain
	logger.Info("configuration", "public_read", cfg.PublicRead, "jwt", opts.Auth.JWT != nil,
		"introspection", cfg.Introspection, "trusted_documents", len(opts.TrustedDocuments),
		"max_depth", cfg.Limits.MaxDepth, "max_complexity", cfg.Limits.MaxComplexity, "max_page_size", cfg.MaxPageSize,
		"admission_max_cost", cfg.Admission.MaxCost, "admission_min_cost", cfg.Admission.MinCost,
		"admission_max_concurrent", cfg.Admission.MaxConcurrent,
		"admission_queue", cfg.Admission.Queue, "admission_max_wait", cfg.Admission.MaxWait.String(),
		"max_selections", cfg.Limits.MaxSelections,
		"request_timeout", cfg.RequestTimeout.String(), "statement_timeout", cfg.StatementTimeout.String())

	srv := &http.Server{
		Addr:              cfg.ListenAddr,
		Handler:           closeWhenDraining(draining.Load, graph.NewHandler(store, opts)),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      cfg.RequestTimeout + 15*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		// In-flight requests keep their context when shutdown starts: they
		// are drained, not cancelled.
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
		ErrorLog:    slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", srv.Addr)
	if err != nil {
		return err
	}
	logger.Info("listening", "addr", ln.Addr().String(), "playground", "http://"+loopbackFor(ln.Addr().String())+"/")

	// Read replicas are checked until the server has drained: requests
	// still in flight at shutdown read from them.
	watchCtx, stopWatch := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWatch()
	go store.WatchReplicas(watchCtx, logger)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// Not ready from now on, and every response closes its connection, so
	// that clients and load balancers move elsewhere; with SHUTDOWN_DELAY
	// the server goes on answering meanwhile, for balancers to notice.
	// (Server.SetKeepAlivesEnabled(false) would also close the idle
	// connections at once, racing requests arriving on them.)
	draining.Store(true)
	if cfg.ShutdownDelay > 0 {
		logger.Info("shutting down: not ready, still serving", "delay", cfg.ShutdownDelay.String())
		time.Sleep(cfg.ShutdownDelay)
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	// Live connections last for hours: they are told to go (WebSocket
	// close 1001, SSE streams ended without complete) so that their
	// clients reconnect to another replica, and gone before the rest.
	logger.Info("shutting down: closing live connections")
	if err := liveDrain.Drain(shutdownCtx); err != nil {
		logger.Warn("shutting down: live connections did not all close", "err", err)
	}
	logger.Info("shutting down: draining in-flight requests", "timeout", cfg.ShutdownTimeout.String())
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	logger.Info("stopped: every accepted request was answered")
	return nil
}

// closeWhenDraining asks for each connection to be closed after its
// response once draining reports true.
func closeWhenDraining(draining func() bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if draining() {
			w.Header().Set("Connection", "close")
		}
		next.ServeHTTP(w, r)
	})
}

// healthcheck asks the server listening on addr whether it is ready, for
// container health checks in images that have no HTTP client.
func healthcheck(ctx context.Context, addr string) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+loopbackFor(addr)+"/readyz", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("not ready: HTTP %d", resp.StatusCode)
	}
	return nil
}

// loopbackFor returns the address a local client reaches a listener on
// addr at: a listener on all interfaces is reached on the loopback one.
func loopbackFor(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

func closeDB(db *gorm.DB, logger *slog.Logger) {
	sqlDB, err := db.DB()
	if err == nil {
		err = sqlDB.Close()
	}
	if err != nil {
		logger.Error("close database", "err", err)
	}
}

// sqlitePathFor reports the SQLite file in use, if any, for the log.
func sqlitePathFor(cfg config) string {
	if cfg.DatabaseURL != "" {
		return ""
	}
	return cfg.SQLitePath
}
