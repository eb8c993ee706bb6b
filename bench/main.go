// Command bench drives a running Partnership Tracker server over HTTP with
// the dashboard query mix (bench/mix/*.graphql), at a fixed concurrency for a
// fixed time per query, and measures the floor of each query at the same
// concurrency: the same data fetched by hand-written SQL through pgx, with no
// GraphQL layer (or, with -sqlite, from the server's SQLite file). It
// reports every figure with its ratio to the floor, the server's peak
// memory, and whether its goroutines and database connections return to
// idle afterwards. With -peer it measures, in the same run, a
// PostGraphile over the same database (bench/postgraphile) with the queries
// it can express, after checking that it returns the same data. It starts
// nothing by itself.
//
// Usage:
//
//	go run ./bench -url http://127.0.0.1:8080 -database-url postgres://postgres@127.0.0.1:5432/tracker
//	go run ./bench -url … -database-url … -peer postgraphile5=http://127.0.0.1:5678 -peer-pid postgraphile5=pg5.pid
//	go run ./bench -url http://127.0.0.1:8080 -sqlite tracker.db
//
// The server must serve a database seeded with `tracker seed --synthetic N`
// and run with REPORT_STATEMENTS=true; -database-url names the same
// database, or -sqlite the server's SQLite file (SQLITE_PATH), which the
// floor opens read-only. BENCHMARKS.md explains the method and records
// results.
package main

import (
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// config is what the flags set.
type config struct {
	URL         string // the server's base URL
	DatabaseURL string // the server's Postgres database, for the floor
	SQLite      string // or the server's SQLite file
	Token       string // bearer token for the server, if it needs one
	Concurrency int
	Duration    time.Duration // measured time per query and variant
	Warmup      time.Duration // unmeasured time before each measurement
	Timeout     time.Duration // per request
	JSON        bool
	Queries     []string  // a subset of the mix; empty: all of it
	Peers       keyValues // name=URL of each peer (PostGraphile)
	PeerPIDs    keyValues // name=PID (or a file holding it) of each peer's process
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.URL, "url", "http://127.0.0.1:8080", "base `URL` of the running server")
	fs.StringVar(&cfg.DatabaseURL, "database-url", os.Getenv("DATABASE_URL"), "Postgres `URL` of the server's database, for the floor (default $DATABASE_URL)")
	fs.StringVar(&cfg.SQLite, "sqlite", "", "the server's SQLite database `file` (its SQLITE_PATH), for the floor, instead of -database-url")
	fs.StringVar(&cfg.Token, "token", os.Getenv("TRACKER_TOKEN"), "bearer `token` for a server that does not let anonymous clients read (default $TRACKER_TOKEN)")
	fs.IntVar(&cfg.Concurrency, "concurrency", 8, "concurrent workers, for the server and for the floor")
	fs.DurationVar(&cfg.Duration, "duration", 20*time.Second, "measured time per query and variant")
	fs.DurationVar(&cfg.Warmup, "warmup", 3*time.Second, "unmeasured warm-up before each measurement")
	fs.DurationVar(&cfg.Timeout, "timeout", 10*time.Second, "timeout of each request")
	fs.BoolVar(&cfg.JSON, "json", false, "print the results as JSON instead of Markdown")
	fs.Var(&cfg.Peers, "peer", "`name=URL` of a running PostGraphile over the same database, measured beside the server (repeatable; see bench/postgraphile/run)")
	fs.Var(&cfg.PeerPIDs, "peer-pid", "`name=PID` of a peer's process, or name=FILE holding it, for its CPU time and memory (repeatable)")
	queries := fs.String("queries", "", "comma-separated `names` of the mix's queries to run (default all)")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if *queries != "" {
		cfg.Queries = strings.Split(*queries, ",")
	}
	if cfg.SQLite != "" {
		cfg.DatabaseURL = "" // $DATABASE_URL is not the server's database
	}
	switch {
	case cfg.SQLite != "" && len(cfg.Peers) > 0:
		return cfg, fmt.Errorf("-peer needs -database-url: PostGraphile reads Postgres")
	case cfg.SQLite == "" && cfg.DatabaseURL == "":
		return cfg, fmt.Errorf("-database-url or -sqlite is required: the floor reads the server's database")
	case cfg.Concurrency < 1 || cfg.Concurrency > 1024:
		return cfg, fmt.Errorf("-concurrency %d: want 1 to 1024", cfg.Concurrency)
	case cfg.Duration <= 0 || cfg.Warmup < 0 || cfg.Timeout <= 0:
		return cfg, fmt.Errorf("-duration and -timeout must be positive, -warmup not negative")
	}
	for _, p := range cfg.PeerPIDs {
		if cfg.Peers.lookup(p[0]) == "" {
			return cfg, fmt.Errorf("-peer-pid %s: no -peer of that name", p[0])
		}
	}
	return cfg, nil
}

// Targets of the issue "Dashboards at scale", point 7.
const (
	minThroughputRatio = 0.5   // GraphQL requests/s ≥ half the floor's
	maxP99Ratio        = 3.0   // GraphQL p99 ≤ 3 × the floor's
	maxRSS             = 150e6 // server resident memory, bytes
	settleTimeout      = 10 * time.Second

	// statsSettle is the quiet before each measurement of a run with
	// peers: a Postgres backend gone idle publishes the transactions it
	// counted in its last second 10 s later (PGSTAT_IDLE_INTERVAL), which
	// would otherwise fall into the next measurement's.
	statsSettle = 11 * time.Second
)

// run is the whole program: it connects, checks that the floor fetches the
// server's data, measures, and writes the report.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	base, err := baseURL(cfg.URL)
	if err != nil {
		return err
	}
	httpClient := &http.Client{Transport: &http.Transport{
		MaxIdleConns:        2 * cfg.Concurrency,
		MaxIdleConnsPerHost: 2 * cfg.Concurrency,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}}
	defer httpClient.CloseIdleConnections()
	var db floorDB
	if cfg.SQLite != "" {
		db, err = openSQLiteFloor(ctx, cfg.SQLite, cfg.Concurrency)
	} else {
		db, err = openPgFloor(ctx, cfg.DatabaseURL, cfg.Concurrency)
	}
	if err != nil {
		return err
	}
	defer db.close()
	mix, err := loadMix(cfg.Queries, db.variants())
	if err != nil {
		return err
	}

	s := &session{
		cfg:  cfg,
		base: base,
		http: httpClient,
		gql:  &gqlClient{url: base + "/graphql", token: cfg.Token, http: httpClient},
		db:   db,
		// One connection for the metrics, so that scrapes never overlap and
		// hold the same number of server goroutines before and after the run.
		mon: &monitor{url: base + "/metrics", http: &http.Client{Timeout: 2 * time.Second,
			Transport: &http.Transport{MaxConnsPerHost: 1, MaxIdleConnsPerHost: 1}}},
		logf: func(format string, a ...any) { fmt.Fprintf(stderr, "bench: "+format+"\n", a...) },
	}
	setupCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	n, err := s.setup(setupCtx, time.Now().UTC())
	if err != nil {
		return err
	}
	for _, kv := range cfg.Peers {
		p, err := newPeer(setupCtx, kv[0], kv[1], cfg.PeerPIDs.lookup(kv[0]), httpClient)
		if err != nil {
			return err
		}
		s.peers = append(s.peers, p)
	}
	s.logf("%d initiatives; checking that the floor and the peers fetch the same data as the server", n)
	for _, q := range mix {
		ours, err := q.check(setupCtx, s.gql, s.vars, s.p)
		if err != nil {
			return err
		}
		for _, p := range s.peers {
			if q.peer == "" {
				continue
			}
			if err := q.checkPeer(setupCtx, ours, p, s.vars); err != nil {
				return err
			}
		}
	}
	rep, err := s.measure(ctx, mix)
	if err != nil {
		return err
	}
	rep.Command, rep.Initiatives, rep.Database = commandLine(args), n, "postgres"
	if cfg.SQLite != "" {
		rep.Database = "sqlite"
	}
	if cfg.JSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	rep.markdown(stdout)
	return nil
}

// session is what a run measures with.
type session struct {
	cfg   config
	base  string // the server's base URL
	http  *http.Client
	gql   *gqlClient
	db    floorDB // for the floor
	mon   *monitor
	peers []*peer
	vars  map[string]any // the mix's variables
	p     params         // the same, for the floor
	logf  func(format string, a ...any)
}

// measure measures the HTTP round trip alone, then each query of the mix
// and its floor, while polling the server's metrics; it records the server's
// idle state before and after.
func (s *session) measure(ctx context.Context, mix []*mixQuery) (*report, error) {
	s.http.CloseIdleConnections()
	before, err := s.mon.settle(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("server metrics: %w", err)
	}
	pollCtx, stopPolling := context.WithCancel(ctx)
	var polling sync.WaitGroup
	polling.Go(func() { s.mon.run(pollCtx, 200*time.Millisecond) })
	defer polling.Wait()
	defer stopPolling()

	rep := &report{
		Concurrency: s.cfg.Concurrency,
		Duration:    s.cfg.Duration.String(),
		Warmup:      s.cfg.Warmup.String(),
		Started:     time.Now().UTC().Truncate(time.Second),
		CPUs:        runtime.NumCPU(),
		GoVersion:   runtime.Version(),
		Before:      before,
		LoadBefore:  loadAverage(),
	}
	d := driver{concurrency: s.cfg.Concurrency, duration: s.cfg.Duration, warmup: s.cfg.Warmup, timeout: s.cfg.Timeout,
		cpu: s.db.cpu}
	if len(s.peers) > 0 {
		d.settle = statsSettle
	}
	s.logf("HTTP round trip alone: GET /healthz")
	if rep.HTTPOnly, err = d.measure(ctx, func() task { return s.gql.getTask(s.base + "/healthz") }, s.mon.scrape); err != nil {
		return nil, err
	}
	for _, q := range mix {
		body, err := json.Marshal(map[string]any{"query": q.query, "variables": s.vars})
		if err != nil {
			return nil, err
		}
		res := queryResult{Name: q.name}
		s.logf("%s: GraphQL", q.name)
		s.mon.phase()
		if res.GraphQL, err = d.measure(ctx, func() task { return s.gql.task(body) }, s.mon.scrape); err != nil {
			return nil, err
		}
		res.PeakRSS = s.mon.phase()
		for _, p := range s.peers {
			pr := peerResult{Peer: p.name}
			if q.peer == "" {
				pr.NA = cmp.Or(peerNA[q.name], "no document in bench/postgraphile/queries")
				res.Peers = append(res.Peers, pr)
				continue
			}
			body, err := json.Marshal(map[string]any{"query": p.document(q.peer), "variables": s.vars})
			if err != nil {
				return nil, err
			}
			s.logf("%s: peer %s", q.name, p.name)
			st, peak, err := p.peakRSS(ctx, 200*time.Millisecond, func() (stats, error) {
				return d.measure(ctx, func() task { return p.gql.task(body) }, p.probe)
			})
			if err != nil {
				return nil, err
			}
			pr.Stats, pr.PeakRSS = &st, peak
			res.Peers = append(res.Peers, pr)
		}
		for _, v := range q.floor {
			s.logf("%s: floor %s", q.name, v.name)
			st, err := d.measure(ctx, func() task { return v.task(s.p) }, nil)
			if err != nil {
				return nil, err
			}
			res.Floors = append(res.Floors, floorResult{Variant: v.name, Stats: st})
		}
		res.judge()
		rep.Queries = append(rep.Queries, res)
	}

	stopPolling()
	polling.Wait()
	s.http.CloseIdleConnections()
	if rep.After, err = s.mon.settle(ctx, &before); err != nil {
		return nil, fmt.Errorf("server metrics: %w", err)
	}
	rep.LoadAfter = loadAverage()
	rep.PeakRSS, rep.MetricsErrors = s.mon.peak()
	rep.judge()
	return rep, nil
}

// loadAverage returns the machine's load averages over 1, 5 and 15 minutes
// (Linux), to tell how busy it was; "" if unknown.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}

// baseURL returns the server's base URL from -url, which may also name its
// /graphql endpoint.
func baseURL(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("-url %q: want http://host:port", s)
	}
	u.Path = strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), "/graphql")
	u.RawQuery, u.Fragment = "", ""
	return u.String(), nil
}

// commandLine returns the command that ran the benchmark, with the token
// and any password in a URL redacted.
func commandLine(args []string) string {
	out := []string{"go", "run", "./bench"}
	for i, a := range args {
		name, val, ok := strings.Cut(a, "=")
		switch {
		case i > 0 && strings.TrimLeft(args[i-1], "-") == "token":
			a = "REDACTED"
		case ok && strings.TrimLeft(name, "-") == "token":
			a = name + "=REDACTED"
		case ok:
			if u, err := url.Parse(val); err == nil && u.User != nil {
				a = name + "=" + u.Redacted()
			}
		default:
			if u, err := url.Parse(a); err == nil && u.User != nil {
				a = u.Redacted()
			}
		}
		if strings.ContainsAny(a, " \t'\"$&;|<>*?()") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		out = append(out, a)
	}
	return strings.Join(out, " ")
}
