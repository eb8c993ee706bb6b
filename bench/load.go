package main

import (
	"context"
	"math"
	"slices"
	"sync"
	"time"
)

// outcome is the result of one request.
type outcome struct {
	err        error
	statements int // SQL statements the request ran; -1 if unknown
	bytes      int // size of the response
}

// task sends one request. Each worker has its own task, which may reuse
// buffers from one request to the next.
type task func(ctx context.Context) outcome

// driver runs tasks back to back at a fixed concurrency for a fixed time.
type driver struct {
	concurrency int
	duration    time.Duration
	warmup      time.Duration
	timeout     time.Duration
	settle      time.Duration                // idle time before each measurement, for the database's counters to catch up
	cpu         func(context.Context) cpuUse // the database's and this process's CPU time
}

// maxRequestsPerWorker bounds the requests of one worker in one
// measurement, and so the latencies kept in memory.
const maxRequestsPerWorker = 2_000_000

// stats summarizes a measurement. Latencies are of the requests that
// succeeded, in milliseconds.
type stats struct {
	Requests   int     `json:"requests"` // that succeeded
	Errors     int     `json:"errors"`
	FirstError string  `json:"firstError,omitempty"`
	Seconds    float64 `json:"seconds"`
	RPS        float64 `json:"rps"` // successful requests per second
	P50        float64 `json:"p50Ms"`
	P90        float64 `json:"p90Ms"`
	P99        float64 `json:"p99Ms"`
	Max        float64 `json:"maxMs"`
	Statements float64 `json:"statementsPerRequest"` // mean; -1 if unknown

	// Transactions is the database's transactions per request, from
	// pg_stat_database: what a peer, which reports no statements, runs.
	// One statement outside a transaction is one transaction, a pgx batch
	// one in all. A busy backend publishes its counts about once a second,
	// so they lag the measurement by up to a second at both ends, which
	// cancels out; an idle one 10 s later, which is why, with peers, each
	// measurement starts after statsSettle of quiet.
	Transactions float64 `json:"transactionsPerRequest"`
	Bytes        float64 `json:"bytesPerResponse"` // mean

	// CPU time per successful request, in milliseconds: the server's and
	// its allocations (when the measurement is of the server), the
	// database's backends (when Postgres runs on this machine), and this
	// process's (the load generator, or the floor's own Go code).
	ServerCPU   float64 `json:"serverCpuMsPerRequest,omitempty"`
	ServerAlloc float64 `json:"serverAllocKBPerRequest,omitempty"`
	DBCPU       float64 `json:"databaseCpuMsPerRequest"`
	BenchCPU    float64 `json:"benchCpuMsPerRequest"`
}

// measure warms up with one worker per task for d.warmup, then measures for
// d.duration. newTask makes each worker's task. Around the measurement it
// reads the CPU time of the database and of this process, and if probe is
// not nil the server's metrics, for its CPU time and allocations.
func (d driver) measure(ctx context.Context, newTask func() task, probe func(context.Context) (serverMetrics, error)) (stats, error) {
	tasks := make([]task, d.concurrency)
	for i := range tasks {
		tasks[i] = newTask()
	}
	if d.settle > 0 {
		select {
		case <-ctx.Done():
			return stats{}, ctx.Err()
		case <-time.After(d.settle):
		}
	}
	if d.warmup > 0 {
		d.drive(ctx, tasks, d.warmup)
	}
	var before serverMetrics
	if probe != nil {
		var err error
		if before, err = probe(ctx); err != nil {
			return stats{}, err
		}
	}
	cpu := d.cpu(ctx)
	s := d.drive(ctx, tasks, d.duration)
	if s.Requests == 0 {
		return s, ctx.Err()
	}
	n := float64(s.Requests)
	db, self, xacts := d.cpu(ctx).since(cpu)
	s.DBCPU, s.BenchCPU = db*1000/n, self*1000/n
	s.Transactions = -1
	if xacts >= 0 {
		s.Transactions = xacts / n
	}
	if probe != nil {
		after, err := probe(ctx)
		if err != nil {
			return s, err
		}
		s.ServerCPU = (after.CPU - before.CPU) * 1000 / n
		s.ServerAlloc = (after.Alloc - before.Alloc) / 1024 / n
	}
	return s, ctx.Err()
}

// drive runs every task in its own worker, back to back, until dur has
// passed, and summarizes what they did.
func (d driver) drive(ctx context.Context, tasks []task, dur time.Duration) stats {
	type tally struct {
		lat        []time.Duration
		errors     int
		firstErr   error
		statements int
		counted    int // requests whose statements are known
		bytes      int
	}
	tallies := make([]tally, len(tasks))
	start := time.Now()
	deadline := start.Add(dur)
	var wg sync.WaitGroup
	for w, t := range tasks {
		wg.Go(func() {
			tl := &tallies[w]
			tl.lat = make([]time.Duration, 0, 1024)
			for range maxRequestsPerWorker {
				if ctx.Err() != nil || !time.Now().Before(deadline) {
					return
				}
				rctx, cancel := context.WithTimeout(ctx, d.timeout)
				t0 := time.Now()
				o := t(rctx)
				lat := time.Since(t0)
				cancel()
				if o.err != nil {
					tl.errors++
					if tl.firstErr == nil {
						tl.firstErr = o.err
					}
					continue
				}
				tl.lat = append(tl.lat, lat)
				tl.bytes += o.bytes
				if o.statements >= 0 {
					tl.statements += o.statements
					tl.counted++
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)

	var s stats
	var lat []time.Duration
	statements, counted, bytes := 0, 0, 0
	for _, tl := range tallies {
		lat = append(lat, tl.lat...)
		s.Errors += tl.errors
		if tl.firstErr != nil && s.FirstError == "" {
			s.FirstError = tl.firstErr.Error()
		}
		statements += tl.statements
		counted += tl.counted
		bytes += tl.bytes
	}
	slices.Sort(lat)
	s.Requests = len(lat)
	s.Seconds = elapsed.Seconds()
	s.RPS = float64(s.Requests) / s.Seconds
	s.P50, s.P90, s.P99 = percentile(lat, 50), percentile(lat, 90), percentile(lat, 99)
	s.Max = percentile(lat, 100)
	s.Statements = -1
	if counted > 0 {
		s.Statements = float64(statements) / float64(counted)
	}
	if s.Requests > 0 {
		s.Bytes = float64(bytes) / float64(s.Requests)
	}
	return s
}

// percentile returns the nearest-rank p-th percentile of sorted latencies,
// in milliseconds; 0 if there are none.
func percentile(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	i = min(max(i, 0), len(sorted)-1)
	return float64(sorted[i]) / float64(time.Millisecond)
}
