package graph

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"runtime"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"golang.org/x/sync/semaphore"
)

// Admission control: the operations estimated to cost at least MinCost (the
// complexity the limits already compute) share a budget of MaxCost, each
// holding its cost until its response is written. One that does not fit
// waits in a short queue, first come first served, for at most MaxWait;
// beyond that, or with the queue full, it is refused at once with HTTP 503,
// Retry-After and OVERLOADED. Cheaper operations — { __typename }, the
// dashboards' queries, health checks, which do not reach GraphQL — never
// wait: a storm of heavy queries cannot starve them, and since the heavy
// ones that run are few, neither the CPU nor the database's connections are
// all theirs.

// Admission bounds the expensive work the server does at once; zero fields
// take DefaultAdmission's values.
type Admission struct {
	// MaxCost is the total estimated cost of the operations running at
	// once. An operation costing more (up to the complexity limit) runs
	// alone.
	MaxCost int
	// MinCost is the estimated cost from which an operation counts against
	// MaxCost; cheaper ones run at once.
	MinCost int
	// MaxConcurrent bounds the operations counting against MaxCost that
	// run at once, whatever their estimates: each holds at least
	// MaxCost/MaxConcurrent. Zero: GOMAXPROCS, one per CPU the server may
	// use, since more only share the same CPUs, each taking longer and
	// holding its memory longer, and slow the cheap requests down.
	MaxConcurrent int
	// Queue bounds the operations waiting for the budget.
	Queue int
	// MaxWait bounds the wait for the budget, and the wait for a database
	// connection to check an API token's credentials.
	MaxWait time.Duration
}

// DefaultAdmission runs one expensive operation per CPU at once; the
// heaviest the complexity limit allows (1,000,000) runs alone. For scale:
// a page of 1,000 initiatives with their partnerships and meetings costs
// 348,001, a page of 1,000 meetings with their participants 209,001, a
// 1,000-result search 60,001, all expensive; the dashboards (the front
// page costs 29,101, the others under 1,000) never wait.
// docs/operations.md has the figures of a storm.
var DefaultAdmission = Admission{MaxCost: 1_000_000, MinCost: 50_000, Queue: 8, MaxWait: time.Second}

// codeOverloaded is the code of a request refused for want of capacity.
const codeOverloaded = "OVERLOADED"

// costExtension names the operation's estimated cost in its Stats, where
// the limiter leaves it for admission.
const costExtension = "tracker.cost"

func (a Admission) withDefaults() Admission {
	d := DefaultAdmission
	if a.MaxCost <= 0 {
		a.MaxCost = d.MaxCost
	}
	if a.MinCost <= 0 {
		a.MinCost = d.MinCost
	}
	if a.MaxConcurrent <= 0 {
		a.MaxConcurrent = runtime.GOMAXPROCS(0)
	}
	if a.Queue <= 0 {
		a.Queue = d.Queue
	}
	if a.MaxWait <= 0 {
		a.MaxWait = d.MaxWait
	}
	return a
}

// admission is the running budget of a handler.
type admission struct {
	cfg        Admission
	budget     *semaphore.Weighted
	waiting    atomic.Int64
	retryAfter string // seconds, for the Retry-After header

	inFlight prometheus.Gauge
	queued   prometheus.Gauge
	admitted prometheus.Counter
	refused  *prometheus.CounterVec
	wait     prometheus.Histogram
}

func newAdmission(cfg Admission, reg *prometheus.Registry) *admission {
	cfg = cfg.withDefaults()
	a := &admission{cfg: cfg, budget: semaphore.NewWeighted(int64(cfg.MaxCost)),
		retryAfter: strconv.Itoa(int(max(1, math.Ceil(cfg.MaxWait.Seconds())))),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{Name: "tracker_admission_cost_in_flight",
			Help: "Estimated cost of the operations holding the admission budget."}),
		queued: prometheus.NewGauge(prometheus.GaugeOpts{Name: "tracker_admission_queued",
			Help: "Operations waiting for the admission budget."}),
		admitted: prometheus.NewCounter(prometheus.CounterOpts{Name: "tracker_admission_admitted_total",
			Help: "Operations that held the admission budget (cheap ones, which do not, are not counted)."}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tracker_admission_refused_total",
			Help: "Requests refused with OVERLOADED, by reason: queue_full, wait (no budget within the wait) or credentials (no database connection to check them within the wait)."},
			[]string{"reason"}),
		wait: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "tracker_admission_wait_seconds",
			Help:    "Time operations waited in the admission queue, admitted or not.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}}),
	}
	limit := prometheus.NewGauge(prometheus.GaugeOpts{Name: "tracker_admission_cost_limit",
		Help: "The admission budget (ADMISSION_MAX_COST)."})
	limit.Set(float64(cfg.MaxCost))
	if reg != nil {
		reg.MustRegister(a.inFlight, a.queued, a.admitted, a.refused, a.wait, limit)
	}
	return a
}

// refusal is a request turned away for want of capacity; the transport
// answers it with 503 and Retry-After.
type refusal struct {
	retryAfter string
	err        *gqlerror.Error
}

// admit waits for the budget an operation of opCtx needs and returns its
// release, or the refusal to answer instead.
func (a *admission) admit(ctx context.Context, opCtx *graphql.OperationContext) (func(), *refusal) {
	cost, _ := opCtx.Stats.GetExtension(costExtension).(int)
	if cost < a.cfg.MinCost {
		return func() {}, nil
	}
	n := int64(max(min(cost, a.cfg.MaxCost), a.minWeight()))
	if !a.budget.TryAcquire(n) {
		if a.waiting.Add(1) > int64(a.cfg.Queue) {
			a.waiting.Add(-1)
			return nil, a.refuse("queue_full", "the server is busy with other expensive queries; try again shortly")
		}
		a.queued.Inc()
		start := time.Now()
		wctx, cancel := context.WithTimeout(ctx, a.cfg.MaxWait)
		err := a.budget.Acquire(wctx, n)
		cancel()
		a.waiting.Add(-1)
		a.queued.Dec()
		a.wait.Observe(time.Since(start).Seconds())
		switch {
		case err != nil && ctx.Err() != nil:
			// The request's own time ran out while it waited.
			return nil, &refusal{retryAfter: a.retryAfter, err: &gqlerror.Error{
				Message: "the request took too long and was stopped", Extensions: map[string]any{"code": codeTimeout}}}
		case err != nil:
			return nil, a.refuse("wait", fmt.Sprintf("the server is busy with other expensive queries (waited %v); try again shortly", a.cfg.MaxWait))
		}
	}
	a.admitted.Inc()
	a.inFlight.Add(float64(n))
	return func() {
		a.inFlight.Sub(float64(n))
		a.budget.Release(n)
	}, nil
}

// minWeight is what the cheapest counted operation holds, so that at most
// MaxConcurrent run at once.
func (a *admission) minWeight() int {
	return (a.cfg.MaxCost + a.cfg.MaxConcurrent - 1) / a.cfg.MaxConcurrent
}

func (a *admission) refuse(reason, message string) *refusal {
	a.refused.WithLabelValues(reason).Inc()
	return &refusal{retryAfter: a.retryAfter, err: &gqlerror.Error{Message: message,
		Extensions: map[string]any{"code": codeOverloaded}}}
}

// write answers a refused request: 503 with Retry-After, and the error,
// whose code the request log and metrics take as the outcome.
func (e *refusal) write(ctx context.Context, w http.ResponseWriter) {
	noteCode(ctx, fmt.Sprint(e.err.Extensions["code"]))
	w.Header().Set("Retry-After", e.retryAfter)
	w.WriteHeader(http.StatusServiceUnavailable)
	writeRequestErrors(w, &graphql.Response{Errors: gqlerror.List{e.err}})
}

// credentialsRefusal answers a request whose credentials could not be
// checked for want of a database connection within the admission wait:
// the database is busy, not down.
func (a *admission) credentialsRefusal(ctx context.Context, w http.ResponseWriter) {
	a.refused.WithLabelValues("credentials").Inc()
	noteCode(ctx, codeOverloaded)
	writeOverloaded(w, a.retryAfter, "the server is too busy to check the credentials; try again shortly")
}

// writeOverloaded answers a request refused outside the executor for want
// of capacity: 503, Retry-After (in seconds) and one OVERLOADED error.
func writeOverloaded(w http.ResponseWriter, retryAfter, message string) {
	w.Header().Set("Retry-After", retryAfter)
	writeError(w, http.StatusServiceUnavailable, codeOverloaded, message)
}

// noteCode records the code of a request answered outside the executor,
// for its log line and metrics.
func noteCode(ctx context.Context, code string) {
	if ex := exchangeFrom(ctx); ex != nil {
		ex.mu.Lock()
		ex.codes = append(ex.codes, code)
		ex.mu.Unlock()
	}
}
