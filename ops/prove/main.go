// Command prove runs the operational proofs of the Partnership Tracker
// against a real server process and a real Postgres, on loopback only:
//
//	go run ./ops/prove [flags] load|restart|sigterm|abuse|audit|storm|live|replicas|all
//	go run ./ops/prove -quick all      # CI: a 10 s load at concurrency 8, the abuse set, the audit, an 8 s storm, a 10 s live proof with 100 subscribers, a 10 s replicas proof
//
// It builds the server (go build), makes a database — a temporary one on the
// Postgres of TEST_DATABASE_URL, or for `restart` a private Postgres cluster
// of its own on a free port, never the system's — seeds it with the
// synthetic data set, issues an officer token with the CLI, starts the
// server as a child process on a free loopback port, waits for /readyz and
// runs the scenario:
//
//   - load: dashboard reads and officer writes at a fixed concurrency for a
//     fixed time; no 5xx, no failed request, and every acknowledged write
//     counted back exactly once.
//   - restart: the same load while its Postgres is stopped and started
//     again; the server stays up, answers UNAVAILABLE while the database is
//     down, recovers fully, and loses no acknowledged write.
//   - sigterm: the same load on kept-alive connections, and SIGTERM to the
//     server halfway; every request the server accepted is answered, the
//     server exits 0 and logs "stopped".
//   - abuse: hostile requests (deep, wide, batched, circular, huge, malformed,
//     mistyped, injected); each answered quickly with a clear error, memory
//     bounded, and an ordinary query still answered after each.
//   - storm: 40 clients sending heavy but valid queries without pause,
//     then 200 at once, while { __typename } and /healthz are probed;
//     the probe's p90 stays under 100 ms, some heavy queries complete, the
//     rest are refused with 503 OVERLOADED and Retry-After, nothing is
//     UNAVAILABLE, and the server's RSS stays under -storm-max-rss-mib.
//   - live: live updates at scale: -live-subscribers subscribers over
//     graphql-transport-ws spread over two server processes on one private
//     Postgres, while officers write at -live-rate per second through both;
//     every subscriber receives every event it should exactly once, in
//     commit order, and nothing it should not; commit-to-delivery latency,
//     statements per change with few and many subscribers, memory; then
//     SIGTERM to one replica, whose subscribers are told and reconnect to
//     the other (see live.go).
//   - replicas: a private primary and a streaming hot standby
//     (pg_basebackup -R), two servers reading from the standby, the load
//     through both; reads served by the standby, none failing when it is
//     stopped and started again, a client's writes read back at once
//     through the other server, one server SIGTERMed while the other
//     carries on, every acknowledged write counted back (see replicas.go).
//   - audit: the GraphQL-over-HTTP conformance audits of graphql-http
//     (web/e2e/audit.mjs, needs Node and npm ci --prefix web); no MUST
//     audit may fail.
//
// It prints the figures of each scenario as a table and exits 1 when an
// assertion fails. Every loop is bounded in count and time, every HTTP call
// has a timeout, and the server, the databases and the temporary files are
// removed on every exit path, Ctrl-C included (SIGKILL of this program
// leaves them: see docs/operations.md). docs/operations.md records results.
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return
	case errors.Is(err, errFailed):
		fmt.Fprintln(os.Stderr, "prove: FAIL:", err)
	default:
		fmt.Fprintln(os.Stderr, "prove:", err)
	}
	os.Exit(1)
}

// errFailed marks a failed assertion, as opposed to an error of the
// harness itself.
var errFailed = errors.New("assertion failed")

// config is what the flags set.
type config struct {
	Scenario     string
	Quick        bool
	Duration     time.Duration // of the load
	Concurrency  int
	WriteShare   float64 // share of iterations that write
	Synthetic    int     // initiatives of the synthetic data set
	Timeout      time.Duration
	DatabaseURL  string // the Postgres server temporary databases are made on
	StopMode     string // pg_ctl stop mode for restart
	Down         time.Duration
	SigtermAt    time.Duration
	AbuseMaxTime time.Duration
	MaxRSS       int64 // bytes
	StormMaxRSS  int64 // bytes
	Keep         bool
	Verbose      bool
	// The live proof's subscribers and writes per second.
	LiveSubscribers int
	LiveRate        float64
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("prove", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: go run ./ops/prove [flags] load|restart|sigterm|abuse|audit|storm|live|replicas|all")
		fs.PrintDefaults()
	}
	fs.BoolVar(&cfg.Quick, "quick", false, "CI mode: a 10 s load at concurrency 8, an 8 s storm, a 10 s live proof with 100 subscribers; with all, only load, abuse, storm, audit, live and replicas")
	fs.DurationVar(&cfg.Duration, "duration", 60*time.Second, "length of the load (load, restart, sigterm) and of the storm (at most 60 s)")
	fs.IntVar(&cfg.Concurrency, "concurrency", 32, "concurrent clients of the load")
	fs.Float64Var(&cfg.WriteShare, "writes", 0.2, "share of the load's iterations that write (half statistics, half status moves)")
	fs.IntVar(&cfg.Synthetic, "synthetic", 200, "synthetic initiatives to seed (tracker seed --synthetic N)")
	fs.DurationVar(&cfg.Timeout, "timeout", 20*time.Second, "timeout of each HTTP request")
	fs.StringVar(&cfg.DatabaseURL, "database-url", cmp.Or(os.Getenv("TEST_DATABASE_URL"), "postgres://postgres@127.0.0.1:5432/postgres"),
		"Postgres `URL` to create (and drop) a temporary database on, for load, sigterm and abuse (default $TEST_DATABASE_URL)")
	fs.StringVar(&cfg.StopMode, "stop-mode", "fast", "how restart stops Postgres: fast (clean) or immediate (as a crash)")
	fs.DurationVar(&cfg.Down, "down", 5*time.Second, "how long restart keeps Postgres down")
	fs.DurationVar(&cfg.SigtermAt, "sigterm-at", 0, "when sigterm sends SIGTERM, from the start of the load (default half of -duration)")
	fs.DurationVar(&cfg.AbuseMaxTime, "abuse-max-time", 2*time.Second, "longest acceptable answer to an abusive request")
	maxRSS := fs.Int64("max-rss-mib", 512, "largest acceptable resident memory of the server during abuse, in MiB")
	stormMaxRSS := fs.Int64("storm-max-rss-mib", 160, "largest acceptable resident memory of the server during the storm, in MiB")
	fs.IntVar(&cfg.LiveSubscribers, "live-subscribers", 1000, "concurrent subscribers of the live proof (-quick: 100)")
	fs.Float64Var(&cfg.LiveRate, "live-rate", 10, "officers' writes per second during the live proof")
	fs.BoolVar(&cfg.Keep, "keep", false, "keep the temporary directory (server logs) after the run")
	fs.BoolVar(&cfg.Verbose, "v", false, "print each abusive request's outcome and the harness's steps")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return cfg, errors.New("want exactly one scenario")
	}
	cfg.Scenario = fs.Arg(0)
	cfg.MaxRSS = *maxRSS << 20
	cfg.StormMaxRSS = *stormMaxRSS << 20
	if cfg.Quick {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if !set["duration"] {
			cfg.Duration = 10 * time.Second
		}
		if !set["concurrency"] {
			cfg.Concurrency = 8
		}
		if !set["live-subscribers"] {
			cfg.LiveSubscribers = 100
		}
	}
	if cfg.SigtermAt == 0 {
		cfg.SigtermAt = cfg.Duration / 2
	}
	switch {
	case cfg.Duration <= 0 || cfg.Duration > 30*time.Minute:
		return cfg, fmt.Errorf("-duration %v: want up to 30m", cfg.Duration)
	case cfg.Concurrency < 1 || cfg.Concurrency > 512:
		return cfg, fmt.Errorf("-concurrency %d: want 1 to 512", cfg.Concurrency)
	case cfg.WriteShare < 0 || cfg.WriteShare > 1:
		return cfg, fmt.Errorf("-writes %v: want 0 to 1", cfg.WriteShare)
	case cfg.LiveSubscribers < 1 || cfg.LiveSubscribers > 5000:
		return cfg, fmt.Errorf("-live-subscribers %d: want 1 to 5000", cfg.LiveSubscribers)
	case cfg.LiveRate <= 0 || cfg.LiveRate > 200:
		return cfg, fmt.Errorf("-live-rate %v: want up to 200", cfg.LiveRate)
	case cfg.StopMode != "fast" && cfg.StopMode != "immediate":
		return cfg, fmt.Errorf("-stop-mode %q: want fast or immediate", cfg.StopMode)
	case cfg.Down <= 0 || cfg.Down > 5*time.Minute:
		return cfg, fmt.Errorf("-down %v: want up to 5m", cfg.Down)
	case cfg.SigtermAt >= cfg.Duration:
		return cfg, fmt.Errorf("-sigterm-at %v must fall within -duration %v", cfg.SigtermAt, cfg.Duration)
	}
	return cfg, nil
}

// run is the whole program: main supplies the context, cancelled on
// Ctrl-C, so that every deferred clean-up runs.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	scenarios := map[string][]string{
		"load": {"load"}, "restart": {"restart"}, "sigterm": {"sigterm"}, "abuse": {"abuse"}, "audit": {"audit"},
		"storm": {"storm"}, "live": {"live"}, "replicas": {"replicas"}, "all": {"load", "sigterm", "abuse", "storm", "audit", "restart", "live", "replicas"},
	}
	list, ok := scenarios[cfg.Scenario]
	if !ok {
		return fmt.Errorf("unknown scenario %q: want load, restart, sigterm, abuse, audit, storm, live, replicas or all", cfg.Scenario)
	}
	if cfg.Quick && cfg.Scenario == "all" {
		list = []string{"load", "abuse", "storm", "audit", "live", "replicas"}
	}

	h, err := newHarness(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer h.close()
	fmt.Fprintf(stdout, "prove %v: %s, duration %v, concurrency %d, writes %.0f%%, synthetic %d, on %s\n",
		list, time.Now().UTC().Format(time.RFC3339), cfg.Duration, cfg.Concurrency, cfg.WriteShare*100, cfg.Synthetic, machine())

	var failed []string
	for _, name := range list {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		fmt.Fprintf(stdout, "\n== %s ==\n", name)
		began, loadBefore := time.Now(), loadAverage()
		var rep *report
		switch name {
		case "load":
			rep, err = h.proveLoad(ctx)
		case "restart":
			rep, err = h.proveRestart(ctx)
		case "sigterm":
			rep, err = h.proveSigterm(ctx)
		case "abuse":
			rep, err = h.proveAbuse(ctx)
		case "audit":
			rep, err = h.proveAudit(ctx)
		case "storm":
			rep, err = h.proveStorm(ctx)
		case "live":
			rep, err = h.proveLive(ctx)
		case "replicas":
			rep, err = h.proveReplicas(ctx)
		}
		if rep != nil {
			rep.add("started (UTC) / took", "%s / %v", began.UTC().Format(time.RFC3339), time.Since(began).Round(time.Second))
			rep.add("machine load (1-minute average) at start / end", "%s / %s", loadBefore, loadAverage())
			rep.print(stdout)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if len(rep.failures) > 0 {
			failed = append(failed, name)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("%w in %v", errFailed, failed)
	}
	fmt.Fprintf(stdout, "\nPASS %v\n", list)
	return nil
}

// loadAverage returns the machine's 1-minute load average: on a shared
// machine, figures mean little without it.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	fields := strings.Fields(string(b))
	if len(fields) == 0 {
		return "?"
	}
	return fields[0]
}
