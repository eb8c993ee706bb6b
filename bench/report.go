package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// report is what a run measured, and its verdicts against the targets.
type report struct {
	Command       string        `json:"command"`
	Initiatives   int           `json:"initiatives"`
	Database      string        `json:"database"` // the server's and the floor's: postgres or sqlite
	Concurrency   int           `json:"concurrency"`
	Duration      string        `json:"duration"`
	Warmup        string        `json:"warmup"`
	Started       time.Time     `json:"started"`
	CPUs          int           `json:"cpus"`
	GoVersion     string        `json:"goVersion"`
	LoadBefore    string        `json:"loadAverageBefore"` // 1, 5, 15 minutes
	LoadAfter     string        `json:"loadAverageAfter"`
	HTTPOnly      stats         `json:"httpOnly"` // GET /healthz: the HTTP round trip alone
	Queries       []queryResult `json:"queries"`
	PeakRSS       float64       `json:"peakResidentBytes"` // over the whole run
	MetricsErrors int           `json:"metricsErrors"`     // failed scrapes
	Before        serverMetrics `json:"idleBefore"`
	After         serverMetrics `json:"idleAfter"`
	MemoryPass    bool          `json:"memoryPass"`
	IdlePass      bool          `json:"idlePass"` // goroutines and connections in use back to the baseline
}

// queryResult is one query's measurements against its floor.
type queryResult struct {
	Name            string        `json:"name"`
	GraphQL         stats         `json:"graphql"`
	Floors          []floorResult `json:"floors"`
	Peers           []peerResult  `json:"peers,omitempty"`
	Floor           string        `json:"floor"`           // the faster variant
	ThroughputRatio float64       `json:"throughputRatio"` // GraphQL rps / floor rps
	P99Ratio        float64       `json:"p99Ratio"`        // GraphQL p99 / floor p99
	PeakRSS         float64       `json:"peakResidentBytes"`
	Pass            bool          `json:"pass"`
	Misses          []string      `json:"misses,omitempty"`
}

// floorResult is the measurement of one floor variant.
type floorResult struct {
	Variant string `json:"variant"`
	Stats   stats  `json:"stats"`
}

// floor returns the faster floor variant.
func (r *queryResult) floor() floorResult {
	best := r.Floors[0]
	for _, f := range r.Floors[1:] {
		if f.Stats.RPS > best.Stats.RPS {
			best = f
		}
	}
	return best
}

// judge compares the query with its floor and the targets.
func (r *queryResult) judge() {
	f := r.floor()
	r.Floor = f.Variant
	r.ThroughputRatio = ratio(r.GraphQL.RPS, f.Stats.RPS)
	r.P99Ratio = ratio(r.GraphQL.P99, f.Stats.P99)
	r.Misses = nil
	if n := r.GraphQL.Errors + f.Stats.Errors; n > 0 || r.GraphQL.Requests == 0 {
		r.Misses = append(r.Misses, fmt.Sprintf("%d errors", n))
	}
	if r.ThroughputRatio < minThroughputRatio {
		r.Misses = append(r.Misses, fmt.Sprintf("throughput %.2f× < %.1f×", r.ThroughputRatio, minThroughputRatio))
	}
	if r.P99Ratio > maxP99Ratio {
		r.Misses = append(r.Misses, fmt.Sprintf("p99 %.2f× > %.0f×", r.P99Ratio, maxP99Ratio))
	}
	r.Pass = len(r.Misses) == 0
}

// judge sets the run's memory and idle verdicts.
func (rep *report) judge() {
	rep.MemoryPass = rep.PeakRSS > 0 && rep.PeakRSS < maxRSS
	rep.IdlePass = rep.After.Goroutines <= rep.Before.Goroutines && rep.After.InUse <= rep.Before.InUse
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// markdown writes the report as Markdown.
func (rep *report) markdown(w io.Writer) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	p("### %s, %d initiatives, concurrency %d, %s per measurement\n\n", rep.Database, rep.Initiatives, rep.Concurrency, rep.Duration)
	p("`%s`\n\n", rep.Command)
	p("Started %s on %d CPUs with %s (load average %s before, %s after); %s warm-up before each measurement. Latencies in ms; the floor is the faster of its two variants.\n\n",
		rep.Started.Format(time.RFC3339), rep.CPUs, rep.GoVersion, rep.LoadBefore, rep.LoadAfter, rep.Warmup)
	p("| Query | SQL/req | GraphQL req/s | p50 | p99 | Errors | Floor (SQL/req) | Floor req/s | p50 | p99 | Throughput ratio | p99 ratio | Peak RSS | Verdict |\n")
	p("|---|--:|--:|--:|--:|--:|---|--:|--:|--:|--:|--:|--:|---|\n")
	for _, q := range rep.Queries {
		g, f := q.GraphQL, q.floor().Stats
		verdict := "PASS"
		if !q.Pass {
			verdict = "MISS: " + strings.Join(q.Misses, ", ")
		}
		p("| %s | %s | %.0f | %.2f | %.2f | %d | %s (%s) | %.0f | %.2f | %.2f | %.2f | %.2f | %s | %s |\n",
			q.Name, statements(g.Statements), g.RPS, g.P50, g.P99, g.Errors, q.Floor, statements(f.Statements), f.RPS, f.P50, f.P99,
			q.ThroughputRatio, q.P99Ratio, megabytes(q.PeakRSS), verdict)
	}
	p("\nBoth floor variants (json: one statement building the JSON in the database; go: the fewest statements decoded into Go, one round trip) and response sizes:\n\n")
	p("| Query | json req/s | p50 | p99 | go req/s | p50 | p99 | GraphQL bytes | json bytes | go bytes |\n")
	p("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, q := range rep.Queries {
		p("| %s", q.Name)
		for _, name := range []string{"json", "go"} {
			if i := slices.IndexFunc(q.Floors, func(f floorResult) bool { return f.Variant == name }); i >= 0 {
				f := q.Floors[i].Stats
				p(" | %.0f | %.2f | %.2f", f.RPS, f.P50, f.P99)
			} else {
				p(" | – | – | –")
			}
		}
		p(" | %.0f", q.GraphQL.Bytes)
		for _, name := range []string{"json", "go"} {
			if i := slices.IndexFunc(q.Floors, func(f floorResult) bool { return f.Variant == name }); i >= 0 {
				p(" | %.0f", q.Floors[i].Stats.Bytes)
			} else {
				p(" | –")
			}
		}
		p(" |\n")
	}
	if rep.Database == "sqlite" {
		p("\nCPU time per request in ms (SQLite runs inside the server and, for the floor, inside this process: its time is theirs, and the database column is 0; bench: this process, the HTTP client or the floor's statement), and the server's allocations:\n\n")
	} else {
		p("\nCPU time per request in ms (Postgres: the backends serving the database; bench: this process, the HTTP client or the floor's Go code), and the server's allocations:\n\n")
	}
	p("| Query | GraphQL: server | database | bench | total | Server alloc KB/req | Floor: database | bench | total |\n")
	p("|---|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, q := range rep.Queries {
		g, f := q.GraphQL, q.floor().Stats
		p("| %s | %.2f | %.2f | %.2f | %.2f | %.0f | %.2f | %.2f | %.2f |\n", q.Name, g.ServerCPU, g.DBCPU, g.BenchCPU,
			g.ServerCPU+g.DBCPU+g.BenchCPU, g.ServerAlloc, f.DBCPU, f.BenchCPU, f.DBCPU+f.BenchCPU)
	}
	if slices.ContainsFunc(rep.Queries, func(q queryResult) bool { return len(q.Peers) > 0 }) {
		rep.peerMarkdown(w)
	}
	h := rep.HTTPOnly
	p("\nThe HTTP round trip alone (GET /healthz, same client and concurrency): %.0f req/s, p50 %.2f ms, p99 %.2f ms, %d errors; server CPU %.3f ms/req.\n",
		h.RPS, h.P50, h.P99, h.Errors, h.ServerCPU)
	p("Server peak resident memory over the run: %s (target < %s): %s.\n", megabytes(rep.PeakRSS), megabytes(maxRSS), pass(rep.MemoryPass))
	p("Idle before → after the run: goroutines %.0f → %.0f, database connections in use %.0f → %.0f (open %.0f → %.0f): %s.\n",
		rep.Before.Goroutines, rep.After.Goroutines, rep.Before.InUse, rep.After.InUse, rep.Before.Open, rep.After.Open, pass(rep.IdlePass))
	for _, q := range rep.Queries {
		for _, s := range append([]stats{q.GraphQL}, statsOf(q.Floors)...) {
			if s.FirstError != "" {
				p("First error of %s: %s\n", q.Name, s.FirstError)
			}
		}
	}
	if rep.MetricsErrors > 0 {
		p("%d scrapes of /metrics failed.\n", rep.MetricsErrors)
	}
}

func statsOf(fs []floorResult) []stats {
	out := make([]stats, len(fs))
	for i, f := range fs {
		out[i] = f.Stats
	}
	return out
}

func statements(n float64) string {
	if n < 0 {
		return "?"
	}
	return fmt.Sprintf("%.3g", n)
}

func megabytes(b float64) string { return fmt.Sprintf("%.1f MB", b/1e6) }

func pass(ok bool) string {
	if ok {
		return "PASS"
	}
	return "MISS"
}

// bestPeer returns the peer measurement of the query with the most
// requests/s, if any.
func (r *queryResult) bestPeer() (peerResult, bool) {
	var best peerResult
	for _, p := range r.Peers {
		if p.Stats != nil && (best.Stats == nil || p.Stats.RPS > best.Stats.RPS) {
			best = p
		}
	}
	return best, best.Stats != nil
}

// peerMarkdown writes the comparison with the peers: a summary per query
// against the fastest peer and the floor, then every server's figures.
func (rep *report) peerMarkdown(w io.Writer) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	p("\n#### Against the peers\n\n")
	p("Ours ÷ the fastest peer and ÷ the floor, in requests/s; CPU is each server's own, per request:\n\n")
	p("| Query | floor req/s | fastest peer | peer req/s | ours req/s | ours ÷ peer | ours ÷ floor | p99 ms ours / peer / floor | CPU ms/req ours vs peer | peak RSS ours vs peer |\n")
	p("|---|--:|---|--:|--:|--:|--:|--:|--:|--:|\n")
	var na []string
	for _, q := range rep.Queries {
		for _, pr := range q.Peers {
			if pr.NA != "" {
				na = append(na, fmt.Sprintf("%s on %s: %s", q.Name, pr.Peer, pr.NA))
			}
		}
		best, ok := q.bestPeer()
		if !ok {
			continue
		}
		g, f, b := q.GraphQL, q.floor().Stats, *best.Stats
		cpu, rss := "?", "?" // no -peer-pid
		if best.PeakRSS > 0 {
			cpu, rss = fmt.Sprintf("%.2f", b.ServerCPU), megabytes(best.PeakRSS)
		}
		p("| %s | %.0f | %s | %.0f | %.0f | **%.2f** | %.2f | %.1f / %.1f / %.1f | %.2f vs %s | %s vs %s |\n",
			q.Name, f.RPS, best.Peer, b.RPS, g.RPS, ratio(g.RPS, b.RPS), ratio(g.RPS, f.RPS), g.P99, b.P99, f.P99,
			g.ServerCPU, cpu, megabytes(q.PeakRSS), rss)
	}
	p("\nEvery server (SQL/req: the statements the tracker reports, n/a for a peer; xacts/req: the database's transactions per request from pg_stat_database, which is statements per request for a server that runs each outside a transaction; server CPU: the tracker's from its metrics, a peer's from /proc of its processes; ours ÷ this in requests/s):\n\n")
	p("| Query | Server | req/s | p50 | p99 | errors | SQL/req | xacts/req | server CPU ms/req | Postgres CPU ms/req | peak RSS | ours ÷ this |\n")
	p("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, q := range rep.Queries {
		if _, ok := q.bestPeer(); !ok {
			continue
		}
		g := q.GraphQL
		row := func(server string, s stats, sql, cpu, rss string) {
			p("| %s | %s | %.0f | %.2f | %.2f | %d | %s | %s | %s | %.2f | %s | %.2f |\n", q.Name, server, s.RPS, s.P50, s.P99,
				s.Errors, sql, statements(s.Transactions), cpu, s.DBCPU, rss, ratio(g.RPS, s.RPS))
		}
		row("tracker", g, statements(g.Statements), fmt.Sprintf("%.2f", g.ServerCPU), megabytes(q.PeakRSS))
		for _, pr := range q.Peers {
			if pr.Stats != nil {
				cpu, rss := "?", "?" // no -peer-pid
				if pr.PeakRSS > 0 {
					cpu, rss = fmt.Sprintf("%.2f", pr.Stats.ServerCPU), megabytes(pr.PeakRSS)
				}
				row(pr.Peer, *pr.Stats, "n/a", cpu, rss)
			}
		}
		for _, f := range q.Floors {
			row("floor "+f.Variant, f.Stats, statements(f.Stats.Statements), "–", "–")
		}
	}
	if len(na) > 0 {
		p("\nNot measured on a peer (n/a):\n\n")
		for _, s := range na {
			p("- %s\n", s)
		}
	}
}
