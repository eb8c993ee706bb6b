package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"tracker/models"
)

// Live queries: a query operation marked @live, sent over a streaming
// transport, sends its full result, then a new one each time a committed
// change alters it. A streaming transport is one whose operations carry a
// *liveConn in their context (the WebSocket transport's InitFunc sets it);
// over plain HTTP there is none, and @live is ignored.
//
// The work is shared. Identical live queries — the same document,
// operation, variables and visibility (the caller's role and organization
// scope, and the caller themself when the document asks who they are or
// who made a change) — form one group, which runs the query once per
// change whatever the number of its members, and hands each member the
// same result. A group follows the store's change events and re-runs only
// for a change of a table it reads (derived once, from the document: see
// liveTables), at most once per MinInterval, always once more after the
// last change; a result byte-identical to the last one is not sent. Each
// run goes through the operation's own handler chain — the executor, the
// tracing, the response middlewares — with a fresh batcher and its own
// deadline, as an ordinary query does; the document limits and the
// complexity budget were checked when the operation was created.

// LiveQueryOptions configure live queries.
type LiveQueryOptions struct {
	// MinInterval is the least time between two runs of one live query
	// (default 200 ms): a burst of changes costs one run per interval,
	// and the last change of a burst is always followed by a run.
	MinInterval time.Duration
}

// defaultLiveInterval is LiveQueryOptions' default MinInterval.
const defaultLiveInterval = 200 * time.Millisecond

func (o LiveQueryOptions) withDefaults() LiveQueryOptions {
	if o.MinInterval <= 0 {
		o.MinInterval = defaultLiveInterval
	}
	return o
}

// liveDirective implements @live where it runs: as a query's directive it
// changes nothing (the liveQueries extension does the work).
func liveDirective(ctx context.Context, _ any, next graphql.Resolver) (any, error) {
	return next(ctx)
}

// liveQueries is the gqlgen extension running live queries. It must be
// the outermost operation interceptor: each run goes through the rest of
// the chain (traceOperation among it), and the end of a live query (nil)
// must reach the transport unchanged.
type liveQueries struct {
	store   *models.Store
	opts    LiveQueryOptions
	timeout time.Duration // bounds each run, as Options.Timeout bounds a request
	schema  *ast.Schema

	reexecutions prometheus.Counter
	distinct     prometheus.Gauge

	sharedSubs prometheus.Gauge

	mu     sync.Mutex
	groups map[string]*liveGroup
	subs   map[string]*subGroup // shared subscriptions: see subgroup.go
}

var (
	_ graphql.HandlerExtension     = (*liveQueries)(nil)
	_ graphql.OperationInterceptor = (*liveQueries)(nil)
)

// newLiveQueries returns the extension, its metrics joining reg (if not nil).
func newLiveQueries(store *models.Store, opts LiveQueryOptions, timeout time.Duration, reg *prometheus.Registry) *liveQueries {
	lq := &liveQueries{store: store, opts: opts.withDefaults(), timeout: timeout, groups: map[string]*liveGroup{}, subs: map[string]*subGroup{},
		reexecutions: prometheus.NewCounter(prometheus.CounterOpts{Name: "tracker_live_reexecutions_total",
			Help: "Runs of live queries after a change, one per group of identical live queries however many subscribers hold it."}),
		distinct: prometheus.NewGauge(prometheus.GaugeOpts{Name: "tracker_live_queries",
			Help: "Distinct live queries held (groups of identical live queries)."}),
		sharedSubs: prometheus.NewGauge(prometheus.GaugeOpts{Name: "tracker_live_subscription_groups",
			Help: "Distinct subscriptions held (groups of identical subscriptions, each executed once per event)."}),
	}
	if reg != nil {
		reg.MustRegister(lq.reexecutions, lq.distinct, lq.sharedSubs)
	}
	return lq
}

// ExtensionName names the extension.
func (lq *liveQueries) ExtensionName() string { return "LiveQueries" }

// Validate keeps the schema, whose types the table derivation looks up.
func (lq *liveQueries) Validate(es graphql.ExecutableSchema) error {
	lq.schema = es.Schema()
	return nil
}

// InterceptOperation runs a live query or a subscription sent over a
// streaming transport as a member of its group, counted against the
// connection's bound, and passes every other operation on.
func (lq *liveQueries) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	lc, _ := ctx.Value(liveConnKey{}).(*liveConn)
	if lc == nil || oc == nil || oc.Operation == nil {
		return next(ctx)
	}
	subscription := oc.Operation.Operation == ast.Subscription
	if !subscription && (oc.Operation.Operation != ast.Query || oc.Operation.Directives.ForName("live") == nil) {
		return next(ctx)
	}
	if lc.subs.Add(1) > lc.max {
		lc.subs.Add(-1)
		return graphql.OneShot(&graphql.Response{Errors: gqlerror.List{{Message: "too many subscriptions on this connection: at most " + strconv.Itoa(int(lc.max)),
			Extensions: map[string]any{"code": codeTooManySubscriptions}}}})
	}
	context.AfterFunc(ctx, func() { lc.subs.Add(-1) })
	// Live queries and subscriptions run again because a change committed:
	// they read from the primary, which has it, not from a replica that
	// may not yet.
	ctx = models.FromPrimary(ctx)
	if subscription {
		return lq.interceptSubscription(ctx, oc, next)
	}
	m := &liveMember{ctx: ctx, next: next, ready: make(chan struct{}, 1)}
	key, tables, all := liveKey(lq.schema, oc, models.UserFrom(ctx))
	var once sync.Once
	return func(rctx context.Context) *graphql.Response {
		// The member joins its group on the transport's first call, once
		// the transport holds what DispatchOperation returned: the group
		// may run the member's handler chain from then on.
		once.Do(func() {
			g := lq.join(key, tables, all, m)
			context.AfterFunc(ctx, func() { lq.leave(g, m) })
		})
		return m.next1(rctx)
	}
}

// liveMember is one subscriber's live query.
type liveMember struct {
	ctx  context.Context // the operation's: ends with the subscription
	next graphql.OperationHandler

	mu      sync.Mutex
	pending *graphql.Response // the newest result not yet sent
	ended   bool              // the group ended: nothing more after pending
	ready   chan struct{}     // signalled when pending is set or ended
}

// offer makes resp the member's next result, replacing one not yet sent:
// a member that reads slowly skips to the newest full result.
func (m *liveMember) offer(resp *graphql.Response) {
	m.mu.Lock()
	r := *resp // each transport marshals its own copy; the data is shared, read-only
	m.pending = &r
	m.mu.Unlock()
	select {
	case m.ready <- struct{}{}:
	default:
	}
}

// end tells the member its group ended (the change feed failed).
func (m *liveMember) end() {
	m.mu.Lock()
	m.ended = true
	m.mu.Unlock()
	select {
	case m.ready <- struct{}{}:
	default:
	}
}

// next1 returns the member's next result, waiting for it; nil once the
// subscription or its group ended, which ends the operation.
func (m *liveMember) next1(ctx context.Context) *graphql.Response {
	for {
		m.mu.Lock()
		r, ended := m.pending, m.ended
		m.pending = nil
		m.mu.Unlock()
		switch {
		case r != nil:
			return r
		case ended:
			return nil
		}
		select {
		case <-m.ready:
		case <-ctx.Done():
			return nil
		case <-m.ctx.Done():
			return nil
		}
	}
}

// liveGroup is the identical live queries of one key.
type liveGroup struct {
	lq     *liveQueries
	key    string
	tables map[string]bool
	all    bool // reads tables it cannot name: every change re-runs it
	ctx    context.Context
	cancel context.CancelFunc
	kick   chan struct{} // a run is due

	mu      sync.Mutex
	members []*liveMember
	last    []byte            // data and errors of the last result sent
	result  *graphql.Response // the last result sent, for members joining
}

// join adds m to the group of key, starting the group if it is new.
func (lq *liveQueries) join(key string, tables map[string]bool, all bool, m *liveMember) *liveGroup {
	lq.mu.Lock()
	defer lq.mu.Unlock()
	g := lq.groups[key]
	if g == nil {
		ctx, cancel := context.WithCancel(context.Background())
		g = &liveGroup{lq: lq, key: key, tables: tables, all: all, ctx: ctx, cancel: cancel, kick: make(chan struct{}, 1)}
		lq.groups[key] = g
		lq.distinct.Set(float64(len(lq.groups)))
		defer func() { go g.run() }() // once m is a member: the first run is for it
	}
	g.mu.Lock()
	g.members = append(g.members, m)
	if g.result != nil {
		m.offer(g.result)
	}
	g.mu.Unlock()
	return g
}

// leave removes m from g; the last member leaving stops the group.
func (lq *liveQueries) leave(g *liveGroup, m *liveMember) {
	lq.mu.Lock()
	defer lq.mu.Unlock()
	g.mu.Lock()
	g.members = slices.DeleteFunc(g.members, func(x *liveMember) bool { return x == m })
	empty := len(g.members) == 0
	g.mu.Unlock()
	if empty && lq.groups[g.key] == g {
		delete(lq.groups, g.key)
		lq.distinct.Set(float64(len(lq.groups)))
		g.cancel()
	}
}

// run follows the change events for g and runs the query: once at once,
// then after each relevant change, at most once per interval, until the
// group ends.
func (g *liveGroup) run() {
	events, err := g.lq.store.Changes().Subscribe(g.ctx)
	if err != nil {
		g.fail(err)
		return
	}
	go g.follow(events)
	interval := g.lq.opts.MinInterval
	first := true
	var last time.Time
	for {
		if !first {
			select {
			case <-g.ctx.Done():
				return
			case <-g.kick:
			}
			if wait := time.Until(last.Add(interval)); wait > 0 {
				t := time.NewTimer(wait)
				select {
				case <-g.ctx.Done():
					t.Stop()
					return
				case <-t.C:
				}
			}
			select { // the changes that came meanwhile are covered by this run
			case <-g.kick:
			default:
			}
			g.lq.reexecutions.Inc()
		}
		first = false
		last = time.Now()
		g.runOnce()
	}
}

// follow reads the change events of g, asking for a run on each change
// of a table g reads; the reader never waits on a run, so that the event
// buffer never fills. A feed that ends while g runs (its subscriber fell
// behind, or the listener failed) is taken up again, with a run for what
// may have been missed.
func (g *liveGroup) follow(events <-chan models.Change) {
	for {
		for ev := range events {
			if g.all || ev.Touches(g.tables) {
				g.due()
			}
		}
		if g.ctx.Err() != nil {
			return
		}
		var err error
		if events, err = g.lq.store.Changes().Subscribe(g.ctx); err != nil {
			if g.ctx.Err() == nil {
				g.fail(err)
			}
			return
		}
		g.due()
	}
}

// due asks for a run of g.
func (g *liveGroup) due() {
	select {
	case g.kick <- struct{}{}:
	default:
	}
}

// fail ends g's members with err (live updates are unavailable), and
// lets the next subscriber of its query start a group anew.
func (g *liveGroup) fail(err error) {
	resp := &graphql.Response{Errors: gqlerror.List{{Message: models.ErrorMessage(err), Extensions: map[string]any{"code": models.ErrorCode(err)}}}}
	lq := g.lq
	lq.mu.Lock()
	if lq.groups[g.key] == g {
		delete(lq.groups, g.key)
		lq.distinct.Set(float64(len(lq.groups)))
	}
	g.mu.Lock()
	members := slices.Clone(g.members)
	g.mu.Unlock()
	lq.mu.Unlock()
	g.cancel()
	for _, m := range members {
		m.offer(resp)
		m.end()
	}
}

// runOnce runs the query for g, with the context and handler chain of
// one of its members (any: they ask the same with the same visibility),
// and hands the result to every member if it changed.
func (g *liveGroup) runOnce() {
	g.mu.Lock()
	var m *liveMember
	for _, x := range g.members {
		if x.ctx.Err() == nil {
			m = x
			break
		}
	}
	g.mu.Unlock()
	if m == nil {
		return
	}
	// The run keeps the member's values (caller, operation) but not its
	// end: the group's end, or the run's deadline, stops it.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(m.ctx), g.lq.timeout)
	defer cancel()
	stop := context.AfterFunc(g.ctx, cancel)
	defer stop()
	ctx = context.WithValue(ctx, batcherKey{}, newBatcher(g.lq.store))
	resp := m.next(ctx)(ctx)
	if resp == nil || g.ctx.Err() != nil {
		return
	}
	b, err := json.Marshal(struct {
		Data   json.RawMessage `json:"data"`
		Errors gqlerror.List   `json:"errors"`
	}{resp.Data, resp.Errors})
	if err != nil {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.result != nil && bytes.Equal(b, g.last) {
		return
	}
	g.last, g.result = b, resp
	for _, x := range g.members {
		x.offer(resp)
	}
}

// liveKey returns what identifies the live query of oc for caller u —
// its document, operation, variables and the caller's visibility — and
// the tables it reads.
func liveKey(schema *ast.Schema, oc *graphql.OperationContext, u *models.User) (string, map[string]bool, bool) {
	tables, all, personal := liveTables(schema, oc)
	vars, _ := json.Marshal(oc.Variables) // map keys sorted: equal variables, equal text
	var who strings.Builder
	if u != nil {
		who.WriteString(string(u.Role))
		orgs := slices.Clone(u.Organizations)
		slices.Sort(orgs)
		for _, o := range orgs {
			who.WriteString("," + strconv.FormatUint(uint64(o), 10))
		}
		switch {
		case personal == askViewer:
			// The answer is the caller: each caller has a group of
			// their own.
			b, _ := json.Marshal(u)
			who.WriteString("|")
			who.Write(b)
		case personal == askActor && !u.Has(models.RoleAdmin) && (u.TokenID == nil || u.Has(models.RoleOfficer)):
			// Who made a change shows to admins (all alike) and to the
			// actor (AuditEntry.RevealsActor): a caller who may have
			// written has a group of their own. An API token's role is
			// fixed, so a viewer's token never wrote anything.
			who.WriteString("|" + u.Subject)
		}
	}
	key, _ := json.Marshal([]string{oc.RawQuery, oc.OperationName, string(vars), who.String()})
	return string(key), tables, all
}

// personalFields are the fields whose answer depends on who asks, beyond
// their role and scope: the caller themself, or whether the caller made a
// change.
var personalFields = map[string]personalField{"viewer": askViewer, "actor": askActor, "requestId": askActor}

// personalField says how a field's answer depends on who asks.
type personalField int

const (
	impersonal personalField = iota
	askActor                 // who made a change: the actor sees it
	askViewer                // the caller themself
)

// liveTables walks the selection of oc's operation and returns the tables
// it reads: for each field, the table of the type it returns, the join
// table of a relation, what a computed field reads, and what its filter
// argument follows. all reports a selection that may read any table (an
// interface or a union, whose objects may be of any type; a search).
// personal reports fields answering differently for callers of one
// visibility (see personalFields).
func liveTables(schema *ast.Schema, oc *graphql.OperationContext) (tables map[string]bool, all bool, personal personalField) {
	tables = map[string]bool{}
	add := func(ts []string) {
		for _, t := range ts {
			tables[t] = true
		}
	}
	var walk func(parent string, set ast.SelectionSet)
	walk = func(parent string, set ast.SelectionSet) {
		for _, sel := range set {
			switch sel := sel.(type) {
			case *ast.Field:
				if strings.HasPrefix(sel.Name, "__") || sel.Definition == nil {
					continue
				}
				personal = max(personal, personalFields[sel.Name])
				typ := sel.Definition.Type.Name()
				// A connection reads its items' table even when it is asked
				// only for a count or an aggregate.
				add(models.TypeTables(strings.TrimSuffix(typ, "Connection")))
				ts, every := models.FieldTables(parent, sel.Name)
				add(ts)
				all = all || every
				if f, ok := sel.ArgumentMap(oc.Variables)["filter"]; ok && f != nil {
					add(models.FilterTables(strings.TrimSuffix(typ, "Connection"), f))
				}
				if def := schema.Types[typ]; def != nil && (def.Kind == ast.Interface || def.Kind == ast.Union) {
					all = true
				}
				walk(typ, sel.SelectionSet)
			case *ast.InlineFragment:
				typ := parent
				if sel.TypeCondition != "" {
					typ = sel.TypeCondition
				}
				add(models.TypeTables(typ))
				walk(typ, sel.SelectionSet)
			case *ast.FragmentSpread:
				if sel.Definition != nil {
					add(models.TypeTables(sel.Definition.TypeCondition))
					walk(sel.Definition.TypeCondition, sel.Definition.SelectionSet)
				}
			}
		}
	}
	walk("Query", oc.Operation.SelectionSet)
	return tables, all, personal
}
