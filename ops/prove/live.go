package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"tracker/models"
)

// The live proof: live updates at scale, across two replicas on one
// Postgres. Subscribers hold actionItemChanged over graphql-transport-ws,
// spread over both replicas, with a mix of roles (viewers, officers of two
// organizations, an admin) and of filters, while officers write at a fixed
// rate through both replicas. The harness listens on the change channel
// itself, which gives it the commit order of every change; at the end it
// reads the audit log, the commit timestamps (track_commit_timestamp) and
// the items back from the database and computes, for each subscriber, the
// events it should have received. Its phases:
//
//  1. few: one subscriber of each of the 50 distinct subscriptions, writes
//     for a short while: the statements per change with few subscribers
//     (pg_stat_statements);
//  2. many: every subscriber, writes for -duration: the same figure, the
//     commit-to-delivery latency, the servers' memory;
//  3. sigterm: writes go on through the first replica; the second gets
//     SIGTERM; its subscribers are told (close code) and reconnect to the
//     first, where they must receive the later events.
//
// Before each phase's figures are taken, a sentinel change (an action item
// every filter includes) is written and awaited by every subscriber:
// events arrive in commit order, so once the sentinel is in, everything
// before it is too. A subscription is "ready" at the first sentinel it
// receives; from there on, it must receive exactly the events it should.

// liveSentinelEvery is how often ready writes a sentinel while it waits.
const liveSentinelEvery = 500 * time.Millisecond

// liveWaitLimit bounds every wait for subscribers (connected, ready,
// drained, reconnected).
const liveWaitLimit = 60 * time.Second

// liveFixture is the data the proof writes and filters on.
type liveFixture struct {
	orgA, orgB   uint   // the two organizations whose officers write
	slugA, slugB string //
	initiative   uint   // an initiative many of their items belong to
	sentinel     uint   // an item of orgA that only the sentinel writes touch
	officers     []*liveOfficer
	admin        liveToken
	viewer       liveToken
	// pools are the subscribers' tokens by role ("viewer", "officer A",
	// "officer B", "admin"): the subscribers of one distinct subscription
	// share a token (a distinct subscription is its document, filter and
	// caller), which servers allow up to LIVE_MAX_CONNECTIONS_PER_CALLER
	// connections each; the first officer tokens are the writers', so
	// that some subscribers see their own changes.
	pools map[string][]liveToken
}

// liveStatementGrowth is how much more the statements per change may be
// with every subscriber than with one of each distinct subscription: work
// per subscriber doubles them already at -quick's two of each.
const liveStatementGrowth = 1.25

// liveTokenShare is how many subscribers share one token.
const liveTokenShare = 10

// liveToken is an API token and the audit subject of its changes.
type liveToken struct{ secret, subject string }

// liveOfficer is an officer token with the items it moves.
type liveOfficer struct {
	liveToken
	org   uint
	items []uint
}

// stmtSnapshot is pg_stat_statements for the database at one time:
// calls by query ID, with the query's text.
type stmtSnapshot map[int64]stmtCount

type stmtCount struct {
	calls int64
	query string
}

func (s stmtSnapshot) total() int64 {
	var n int64
	for _, c := range s {
		n += c.calls
	}
	return n
}

// proveLive runs the live proof.
func (h *harness) proveLive(ctx context.Context) (*report, error) {
	n, rate := h.cfg.LiveSubscribers, h.cfg.LiveRate
	few := min(liveClasses, n)
	fewFor, postFor := 10*time.Second, 12*time.Second
	if h.cfg.Quick {
		fewFor, postFor = 3*time.Second, 4*time.Second
	}
	cl, err := h.newCluster(ctx, "shared_preload_libraries=pg_stat_statements", "track_commit_timestamp=on", "max_connections=300")
	if err != nil {
		return nil, err
	}
	defer cl.close(context.WithoutCancel(ctx))
	dbURL, err := createDatabase(ctx, cl.serverURL(), "tracker")
	if err != nil {
		return nil, err
	}
	if err := withConn(ctx, dbURL, func(conn *pgx.Conn) error {
		_, err := conn.Exec(ctx, "CREATE EXTENSION pg_stat_statements")
		return err
	}); err != nil {
		return nil, fmt.Errorf("pg_stat_statements: %w", err)
	}
	if _, err := h.seed(ctx, dbURL); err != nil {
		return nil, err
	}
	fx, err := h.liveFixture(ctx, dbURL)
	if err != nil {
		return nil, err
	}
	env := []string{"SHUTDOWN_TIMEOUT=10s", fmt.Sprintf("LIVE_MAX_CONNECTIONS=%d", n+200)}
	var servers []*server
	for _, name := range []string{"live-a", "live-b"} {
		srv, err := h.startServer(ctx, name, dbURL, env...)
		if err != nil {
			return nil, err
		}
		servers = append(servers, srv)
	}
	urls := []string{servers[0].url, servers[1].url}
	var baseline uint
	if err := withConn(ctx, dbURL, func(conn *pgx.Conn) error {
		return conn.QueryRow(ctx, "SELECT coalesce(max(id), 0) FROM audit_log").Scan(&baseline)
	}); err != nil {
		return nil, err
	}
	stream, err := startChangeStream(ctx, dbURL)
	if err != nil {
		return nil, err
	}
	defer stream.stop()

	// Live queries, where the server has them (the @live directive):
	// half of the subscribers hold one of 20 documents.
	var docs []string
	if has, err := hasLiveQueries(ctx, urls[0], fx.admin.secret); err != nil {
		return nil, err
	} else if has {
		docs = liveDocuments(fx)
		c := newClient(urls[0], &http.Client{Timeout: h.cfg.Timeout}, "docs"+randomHex(3), new(atomic.Int64))
		for i, d := range docs {
			if cl := c.post(ctx, fx.viewer.secret, "Board", d, nil); !cl.ok() {
				return nil, fmt.Errorf("live document %d fails over HTTP: %d %v %v", i, cl.status, cl.err, cl.errors)
			}
		}
	}
	settle := func() { // a live query re-runs at most every 200 ms by default
		if docs != nil {
			_ = sleep(ctx, time.Second)
		}
	}
	if err := h.issuePools(ctx, urls[0], fx, n); err != nil {
		return nil, err
	}
	subs := liveSubscribers(fx, n, docs)
	subCtx, endSubs := context.WithCancel(ctx)
	defer endSubs()
	var subWG sync.WaitGroup
	var sigtermed atomic.Bool
	next := func(from int) int { // where a subscriber whose replica ended it goes
		other := 1 - from
		if servers[other].hasExited() || (other == 1 && sigtermed.Load()) {
			return -1
		}
		return other
	}
	var connected atomic.Int64
	startSubs := func(list []*liveSubscriber) error {
		want := connected.Load() + int64(len(list))
		for i, s := range list {
			subWG.Go(func() { s.run(subCtx, urls, s.n%2, next, func() { connected.Add(1) }) })
			if i%50 == 49 {
				_ = sleep(ctx, 20*time.Millisecond) // a gentler ramp than 1,000 upgrades at once
			}
		}
		return waitFor(ctx, liveWaitLimit, func() bool { return connected.Load() >= want })
	}
	w := &liveWriter{h: h, urls: urls, fx: fx, runID: "live" + randomHex(4), rng: rand.New(rand.NewPCG(7, uint64(time.Now().UnixNano())))}
	w.alive = func(i int) bool { return !servers[i].hasExited() && !(i == 1 && sigtermed.Load()) }
	if err := w.readSentinel(ctx); err != nil {
		return nil, err
	}

	r := &report{title: fmt.Sprintf("live: %d subscribers over 2 replicas, writes at %.0f/s for %v, then SIGTERM to one replica", n, rate, h.cfg.Duration)}

	// Phase 1: few subscribers.
	h.step("live: %d subscribers, then writes for %v", few, fewFor)
	if err := startSubs(subs[:few]); err != nil {
		return nil, fmt.Errorf("connect %d subscribers: %w", few, err)
	}
	if err := w.ready(ctx, subs[:few]); err != nil {
		return nil, err
	}
	settle()
	s0, e0, err := quiet(ctx, dbURL, stream)
	if err != nil {
		return nil, err
	}
	w.run(ctx, fewFor, rate)
	if err := w.ready(ctx, subs[:few]); err != nil {
		return nil, err
	}
	settle()
	s1, e1, err := quiet(ctx, dbURL, stream)
	if err != nil {
		return nil, err
	}
	fewMetrics := []map[string]float64{scrapeLive(ctx, urls[0]), scrapeLive(ctx, urls[1])}

	// Phase 2: every subscriber.
	h.step("live: %d more subscribers, then writes for %v", n-few, h.cfg.Duration)
	idle := []sample{{}, {}}
	for i, srv := range servers {
		idle[i], _ = scrape(ctx, srv.url)
	}
	samplers := []*sampler{startSampler(ctx, urls[0], 500*time.Millisecond), startSampler(ctx, urls[1], 500*time.Millisecond)}
	connectStart := time.Now()
	if err := startSubs(subs[few:]); err != nil {
		return nil, fmt.Errorf("connect %d subscribers: %w", n, err)
	}
	connectTook := time.Since(connectStart)
	if err := w.ready(ctx, subs); err != nil {
		return nil, err
	}
	settle()
	s2, e2, err := quiet(ctx, dbURL, stream)
	if err != nil {
		return nil, err
	}
	metricsBefore := []map[string]float64{scrapeLive(ctx, urls[0]), scrapeLive(ctx, urls[1])}
	w.run(ctx, h.cfg.Duration, rate)
	mainEnd := time.Now()
	drainErr := w.ready(ctx, subs)
	drained := time.Since(mainEnd)
	settle()
	s3, e3, err := quiet(ctx, dbURL, stream)
	if err != nil {
		return nil, err
	}
	peaks := []sample{samplers[0].finish(), samplers[1].finish()}
	liveMetrics := []map[string]float64{scrapeLive(ctx, urls[0]), scrapeLive(ctx, urls[1])}

	// Phase 3: SIGTERM to the second replica while writes go on.
	h.step("live: SIGTERM to replica b during %v of writes", postFor)
	var sigAt, exitedAt time.Time
	var sigMu sync.Mutex
	go func() {
		if sleep(ctx, postFor/4) != nil {
			return
		}
		sigtermed.Store(true)
		sigMu.Lock()
		sigAt = time.Now()
		sigMu.Unlock()
		_ = servers[1].cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-servers[1].exited:
			sigMu.Lock()
			exitedAt = time.Now()
			sigMu.Unlock()
		case <-ctx.Done():
		}
	}()
	w.run(ctx, postFor, rate)
	onB, liveOnB := 0, 0
	for _, s := range subs {
		switch {
		case s.first().replica == 1 && s.doc < 0:
			onB++
		case s.first().replica == 1:
			liveOnB++
		}
	}
	// Those of b have reconnected to a.
	reconnectErr := waitFor(ctx, liveWaitLimit, func() bool {
		for _, s := range subs {
			if s.first().replica == 1 && s.current().replica != 0 {
				return false
			}
		}
		return true
	})
	finalErr := w.ready(ctx, subs)
	settle()
	lq := checkLiveQueries(ctx, subs, urls[0], 15*time.Second)
	exitB := servers[1].wait(30 * time.Second)
	sigMu.Lock()
	defer sigMu.Unlock()
	endSubs()
	if !waitGroup(&subWG, 30*time.Second) {
		return nil, fmt.Errorf("subscribers did not stop within 30 s")
	}
	stream.stop()
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	// Read back and check.
	facts, err := readLiveFacts(ctx, dbURL, baseline, stream.entries())
	if err != nil {
		return nil, err
	}
	facts.checkWrites(w.writes)
	v := verifyLive(subs, stream.entries(), facts, fx, e2, e3, sigAt)

	r.add("subscribers", "%d (%d with few), one connection each, over 2 replicas; connecting the %d others took %v", n, few, n-few, connectTook.Round(time.Millisecond))
	r.add("subscribers by role / filter", "%s / %s", counts(v.byRole), counts(v.byFilter))
	if docs == nil {
		r.add("live-query subscribers", "none: this build has no @live live queries; every subscriber holds actionItemChanged")
	} else {
		r.add("live-query subscribers", "%d over %d documents: %d results received; at the end %d equal to a fresh HTTP query, %d not, %d without a result",
			lq.subscribers, len(docs), lq.results, lq.equal, lq.differ, lq.noResult)
	}
	r.add("writes", "%s", counts(w.outcomes()))
	r.add("writes by kind", "%s", counts(w.kinds()))
	r.add("changes committed (the harness's LISTEN) / audit entries after the start", "%d / %d", len(stream.entries()), facts.audited)
	r.add("events expected / delivered", "%d / %d", v.expected, v.delivered)
	r.add("missing / duplicated / out of order / unexpected", "%d / %d / %d / %d", v.missing, v.duplicates, v.outOfOrder, v.unexpected)
	r.add("events showing a hidden field (actor or request ID) to a reader who may not see it / hiding it from one who may", "%d / %d", v.leaks, v.overHidden)
	r.add("subscribers whose subscription the server completed (dropped: more than 64 events behind) / with any problem", "%d / %d (%s)", v.completedSubs, v.problemSubs, v.firstProblem)
	r.add("commit-to-delivery latency p50 / p99 / max, many phase (commit: pg_xact_commit_timestamp of the audit entry)", "%s / %s / %s over %d deliveries",
		ms(percentile(v.latency, 50)), ms(percentile(v.latency, 99)), ms(percentile(v.latency, 100)), len(v.latency))
	r.add("occurredAt-to-delivery latency p50 / p99, many phase (occurredAt: the server's clock at the write, before its commit)", "%s / %s",
		ms(percentile(v.occurredLatency, 50)), ms(percentile(v.occurredLatency, 99)))
	r.add("draining after the writes (every subscriber's sentinel in)", "%v", drained.Round(time.Millisecond))
	few1 := perChange(s0, s1, e1-e0)
	many1 := perChange(s2, s3, e3-e2)
	r.add("database statements per change, few subscribers", "%.1f (%d statements, %d changes, %d subscribers)", few1, s1.total()-s0.total(), e1-e0, few)
	r.add("database statements per change, many subscribers", "%.1f (%d statements, %d changes, %d subscribers)", many1, s3.total()-s2.total(), e3-e2, n)
	fewGroups, manyGroups := liveGroups(fewMetrics), liveGroups(liveMetrics)
	r.add("groups the servers run (distinct live queries and subscriptions: document, variables, visibility), few / many", "%.0f / %.0f", fewGroups, manyGroups)
	r.tables = append(r.tables, topStatements(s2, s3, e3-e2))
	for i, name := range []string{"a", "b"} {
		r.add("replica "+name+" RSS idle / peak (many phase)", "%s / %s", mib(idle[i].rss), mib(peaks[i].rss))
		r.add("replica "+name+" goroutines peak / database connections peak", "%.0f / %.0f", peaks[i].goroutines, peaks[i].dbOpen)
		r.add("replica "+name+" live metrics after the many phase", "%s", liveMetricsText(liveMetrics[i]))
	}
	_, hasReexec := liveMetrics[0]["tracker_live_reexecutions_total"]
	reexec := liveMetrics[0]["tracker_live_reexecutions_total"] + liveMetrics[1]["tracker_live_reexecutions_total"] -
		metricsBefore[0]["tracker_live_reexecutions_total"] - metricsBefore[1]["tracker_live_reexecutions_total"]
	groups := liveMetrics[0]["tracker_live_queries"] + liveMetrics[1]["tracker_live_queries"]
	if hasReexec {
		perChangeReexec := 0.0
		if e3 > e2 {
			perChangeReexec = reexec / float64(e3-e2)
		}
		r.add("live-query re-executions, many phase", "%.0f for %d changes: %.1f per change, for %.0f distinct live queries (both replicas) held by %d subscribers",
			reexec, e3-e2, perChangeReexec, groups, lq.subscribers)
	}
	r.add("SIGTERM to replica b", "%d subscribers on it; close codes %s; reconnected to a %d, and receiving there %d", onB, counts(v.closeCodes), v.reconnected, v.receivingAfter)
	r.add("replica b exit code / exit after SIGTERM", "%d / %s", exitB, since(sigAt, exitedAt))
	for i, name := range []string{"a", "b"} {
		n, first := serverErrors(servers[i])
		r.add("replica "+name+" log errors", "%d %s", n, first)
	}
	r.add("events committed before b closed a connection but not delivered on it", "%d", v.lostAtClose)

	r.assert(drainErr == nil && finalErr == nil, "every subscriber received the sentinel change after the writes (%v; %v)", drainErr, finalErr)
	r.assert(facts.ackedMissing == 0 && facts.ackedTwice == 0 && facts.refusedFound == 0,
		"every acknowledged write has one audit entry, no refused one any (%d missing, %d twice, %d refused yet applied)", facts.ackedMissing, facts.ackedTwice, facts.refusedFound)
	r.assert(facts.streamMissing == 0 && facts.streamDuplicates == 0, "every action item change in the audit log was published once (%d missing, %d twice)", facts.streamMissing, facts.streamDuplicates)
	r.assert(v.missing == 0 && v.duplicates == 0 && v.outOfOrder == 0, "every subscriber received every event it should, exactly once, in commit order (%d missing, %d duplicated, %d out of order)", v.missing, v.duplicates, v.outOfOrder)
	r.assert(v.unexpected == 0, "no subscriber received an event it should not (%d)", v.unexpected)
	r.assert(v.leaks == 0, "no reader was shown who made a change, or in which request, unless admin or the actor (%d)", v.leaks)
	r.assert(len(v.earlyCloses) == 0, "no connection ended by the server before SIGTERM (%s)", counts(v.earlyCloses))
	r.assert(v.problemSubs == 0, "no subscription was completed or refused by the server (%d: %s)", v.problemSubs, v.firstProblem)
	r.assert(percentile(v.latency, 99) < 250*time.Millisecond, "commit-to-delivery p99 under 250 ms at %d subscribers (%s)", n, ms(percentile(v.latency, 99)))
	// Subscribers holding the same document and variables with the same
	// visibility share a group, which the server runs once per change.
	r.assert(few1 > 0 && many1 <= liveStatementGrowth*few1, "database statements per change independent of the subscribers: %.1f at %d, %.1f at %d holding the same %d distinct subscriptions (%.0f and %.0f groups run by the servers)", few1, few, many1, n, few, fewGroups, manyGroups)
	for i, name := range []string{"a", "b"} {
		r.assert(peaks[i].rss > 0 && peaks[i].rss < 200<<20, "replica %s RSS under 200 MiB with %d subscribers (%s)", name, n/2, mib(peaks[i].rss))
	}
	if docs != nil {
		r.assert(lq.differ == 0 && lq.noResult == 0, "every live query ended with the result of a fresh HTTP query of its document (%d differ, %d without result: %s)", lq.differ, lq.noResult, lq.first)
		r.assert(lq.problems == 0, "no live query was refused, completed or answered with errors (%d: %s)", lq.problems, cmp.Or(lq.firstProblem, "none"))
		r.assert(hasReexec && reexec <= float64(e3-e2)*groups, "re-executions per change at most the distinct live queries (%.0f for %d changes, %.0f distinct)", reexec, e3-e2, groups)
		r.assert(lq.reconnected == liveOnB && lq.receivingAfter == liveOnB, "the live queries of b resubscribed on a and received results there (%d and %d of %d)", lq.reconnected, lq.receivingAfter, liveOnB)
	}
	r.assert(v.closeCodes[1001] == onB && onB > 0, "every subscriber of b was told with 1001 Going Away (%s)", counts(v.closeCodes))
	r.assert(reconnectErr == nil && v.reconnected == onB && v.receivingAfter == onB, "every subscriber of b reconnected to a and received later events there (%d and %d of %d)", v.reconnected, v.receivingAfter, onB)
	r.assert(exitB == 0, "replica b exited 0 after SIGTERM (%d)", exitB)
	stopServer(servers[0])
	return r, nil
}

// liveClasses is how many distinct subscriptions (document, filter,
// caller) the proof's subscribers hold: subscriber i holds the i-th modulo
// liveClasses, so the few phase holds each once and the many phase the
// same ones, each many times.
const liveClasses = 50

// liveSubscribers makes n subscribers: filters cycle fastest, roles
// slower, replicas alternate; with docs, half of them (on both replicas)
// hold a live query instead, the 20 documents in turn.
func liveSubscribers(fx *liveFixture, n int, docs []string) []*liveSubscriber {
	sentinel := models.NewGlobalID("ActionItem", fx.sentinel).String()
	orWith := func(f map[string]any) map[string]any {
		return map[string]any{"or": []any{map[string]any{"id": map[string]any{"eq": sentinel}}, f}}
	}
	isSentinel := func(it liveItem) bool { return it.id == fx.sentinel }
	filters := []liveFilter{
		{name: "every item", match: func(liveItem) bool { return true }},
		{name: "owner A", value: orWith(map[string]any{"owner": map[string]any{"slug": map[string]any{"eq": fx.slugA}}}),
			match: func(it liveItem) bool { return isSentinel(it) || it.owner == fx.orgA }},
		{name: "owner B", value: orWith(map[string]any{"owner": map[string]any{"slug": map[string]any{"eq": fx.slugB}}}),
			match: func(it liveItem) bool { return isSentinel(it) || it.owner == fx.orgB }},
		{name: "not owner A", value: orWith(map[string]any{"not": map[string]any{"owner": map[string]any{"slug": map[string]any{"eq": fx.slugA}}}}),
			match: func(it liveItem) bool { return isSentinel(it) || it.owner != fx.orgA }},
		{name: "initiative", value: orWith(map[string]any{"initiative": map[string]any{"id": map[string]any{"eq": models.NewGlobalID("Initiative", fx.initiative).String()}}}),
			match: func(it liveItem) bool { return isSentinel(it) || it.initiative == fx.initiative }},
	}
	subs := make([]*liveSubscriber, n)
	classes := map[string][]int{} // the classes of each role, in order
	for i := range subs {
		c := i % liveClasses
		s := &liveSubscriber{n: i, filter: filters[c%len(filters)], query: liveSubscription, doc: -1}
		if len(docs) > 0 && (c%4 == 1 || c%4 == 2) {
			s.doc = (c / 2) % len(docs)
			s.query = docs[s.doc]
		}
		s.role = liveRoles[(c/len(filters))%len(liveRoles)]
		// Every subscriber of one class holds its class's token: the
		// class is one distinct subscription (document, filter, caller)
		// however many screens hold it.
		k := slices.Index(classes[s.role], c)
		if k < 0 {
			k = len(classes[s.role])
			classes[s.role] = append(classes[s.role], c)
		}
		pool := fx.pools[s.role]
		t := pool[k%len(pool)]
		s.token, s.subject = t.secret, t.subject
		subs[i] = s
	}
	return subs
}

// liveRoles are the subscribers' roles, in turn: 60 % viewers, 20 %
// officers of A, 10 % of B, 10 % admins.
var liveRoles = []string{"viewer", "viewer", "viewer", "viewer", "viewer", "viewer", "officer A", "officer A", "officer B", "admin"}

// issuePools issues, through the API as the admin, the tokens of the n
// subscribers of liveSubscribers: enough of each role for liveTokenShare
// subscribers each.
func (h *harness) issuePools(ctx context.Context, base string, fx *liveFixture, n int) error {
	need := map[string]int{}
	for i := range n {
		c := i % liveClasses
		need[liveRoles[(c/5)%len(liveRoles)]]++
	}
	fx.pools = map[string][]liveToken{"officer A": {fx.officers[0].liveToken}, "officer B": {fx.officers[1].liveToken}}
	c := newClient(base, &http.Client{Timeout: h.cfg.Timeout}, "tokens"+randomHex(3), new(atomic.Int64))
	for _, role := range slices.Sorted(maps.Keys(need)) {
		for k := len(fx.pools[role]); k < (need[role]+liveTokenShare-1)/liveTokenShare; k++ {
			in := map[string]any{"name": fmt.Sprintf("live %s %d", role, k), "role": "VIEWER"}
			switch role {
			case "officer A":
				in["role"], in["organizationIds"] = "OFFICER", []string{models.NewGlobalID("Organization", fx.orgA).String()}
			case "officer B":
				in["role"], in["organizationIds"] = "OFFICER", []string{models.NewGlobalID("Organization", fx.orgB).String()}
			case "admin":
				in["role"] = "ADMIN"
			}
			cl := c.post(ctx, fx.admin.secret, "CreateApiToken", `mutation($in: NewApiToken!) { createApiToken(input: $in) { token apiToken { id } } }`,
				map[string]any{"in": in})
			var out struct {
				CreateApiToken *struct {
					Token    string
					APIToken struct{ ID string } `json:"apiToken"`
				}
			}
			if !cl.ok() || json.Unmarshal(cl.data, &out) != nil || out.CreateApiToken == nil {
				return fmt.Errorf("issue a %s token: %v %v", role, cl.err, cl.errors)
			}
			id, err := rowID(out.CreateApiToken.APIToken.ID, "ApiToken")
			if err != nil {
				return err
			}
			fx.pools[role] = append(fx.pools[role], liveToken{secret: out.CreateApiToken.Token, subject: fmt.Sprintf("token:%d", id)})
		}
	}
	return nil
}

// liveFixture picks the organizations, items and initiative of the
// proof and issues its tokens.
func (h *harness) liveFixture(ctx context.Context, dbURL string) (*liveFixture, error) {
	fx := &liveFixture{}
	err := withConn(ctx, dbURL, func(conn *pgx.Conn) error {
		rows, err := conn.Query(ctx, `SELECT o.id, o.slug FROM action_items a JOIN organizations o ON o.id = a.owner_organization_id
			WHERE o.slug LIKE 'syn-org-%' AND a.status <> 'CANCELLED'
			GROUP BY o.id, o.slug ORDER BY count(*) DESC, o.slug LIMIT 2`)
		if err != nil {
			return err
		}
		var orgs []uint
		var slugs []string
		for rows.Next() {
			var id uint
			var slug string
			if err := rows.Scan(&id, &slug); err != nil {
				return err
			}
			orgs, slugs = append(orgs, id), append(slugs, slug)
		}
		if rows.Err() != nil || len(orgs) < 2 {
			return fmt.Errorf("want two organizations owning open action items: %v", rows.Err())
		}
		fx.orgA, fx.orgB, fx.slugA, fx.slugB = orgs[0], orgs[1], slugs[0], slugs[1]
		for _, org := range orgs {
			var ids []uint
			rows, err := conn.Query(ctx, `SELECT id FROM action_items WHERE owner_organization_id = $1 AND status <> 'CANCELLED' ORDER BY id LIMIT 60`, org)
			if err != nil {
				return err
			}
			for rows.Next() {
				var id uint
				if err := rows.Scan(&id); err != nil {
					return err
				}
				ids = append(ids, id)
			}
			if rows.Err() != nil || len(ids) < 3 {
				return fmt.Errorf("organization %d owns too few open action items (%d): %v", org, len(ids), rows.Err())
			}
			fx.officers = append(fx.officers, &liveOfficer{org: org, items: ids})
		}
		fx.sentinel = fx.officers[0].items[0]
		fx.officers[0].items = fx.officers[0].items[1:]
		all := append(slices.Clone(fx.officers[0].items), fx.officers[1].items...)
		return conn.QueryRow(ctx, `SELECT initiative_id FROM action_items WHERE id = ANY($1) AND initiative_id IS NOT NULL
			GROUP BY initiative_id ORDER BY count(*) DESC, initiative_id LIMIT 1`, all).Scan(&fx.initiative)
	})
	if err != nil {
		return nil, fmt.Errorf("the live proof's data: %w", err)
	}
	for i, o := range fx.officers {
		slug := []string{fx.slugA, fx.slugB}[i]
		if o.liveToken, err = h.liveToken(ctx, dbURL, "live-officer-"+slug, "officer", slug); err != nil {
			return nil, err
		}
	}
	if fx.admin, err = h.liveToken(ctx, dbURL, "live-admin", "admin", ""); err != nil {
		return nil, err
	}
	if fx.viewer, err = h.liveToken(ctx, dbURL, "live-viewer", "viewer", ""); err != nil {
		return nil, err
	}
	return fx, nil
}

// liveToken issues a token with the CLI and returns it with its audit
// subject, token:<id>, read from the first line the CLI prints.
func (h *harness) liveToken(ctx context.Context, dbURL, name, role, org string) (liveToken, error) {
	args := []string{"token", "create", "--name", name, "--role", role}
	if org != "" {
		args = append(args, "--org", org)
	}
	out, err := h.command(ctx, time.Minute, h.tmp, h.serverEnv(dbURL, "LOG_LEVEL=warn"), h.bin, args...)
	if err != nil {
		return liveToken{}, err
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	secret := strings.TrimSpace(lines[len(lines)-1])
	var id int
	if _, err := fmt.Sscanf(lines[0], "token %d ", &id); err != nil || !strings.HasPrefix(secret, "trk_") {
		return liveToken{}, fmt.Errorf("tracker token create printed no token: %q", out)
	}
	return liveToken{secret: secret, subject: "token:" + strconv.Itoa(id)}, nil
}

// waitFor polls cond every 50 ms until it holds, up to limit.
func waitFor(ctx context.Context, limit time.Duration, cond func() bool) error {
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("not within %v", limit)
		}
		if err := sleep(ctx, 50*time.Millisecond); err != nil {
			return err
		}
	}
	return nil
}

// waitGroup waits for wg up to limit.
func waitGroup(wg *sync.WaitGroup, limit time.Duration) bool {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(limit):
		return false
	}
}

// quiet returns pg_stat_statements and the number of changes committed
// so far, taken when nothing else runs (after a ready).
func quiet(ctx context.Context, dbURL string, st *changeStream) (stmtSnapshot, int, error) {
	snap := stmtSnapshot{}
	err := withConn(ctx, dbURL, func(conn *pgx.Conn) error {
		rows, err := conn.Query(ctx, `SELECT queryid, calls, query FROM pg_stat_statements
			WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND queryid IS NOT NULL`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id, calls int64
			var q string
			if err := rows.Scan(&id, &calls, &q); err != nil {
				return err
			}
			c := snap[id]
			snap[id] = stmtCount{calls: c.calls + calls, query: q}
		}
		return rows.Err()
	})
	return snap, len(st.entries()), err
}

// liveGroups is the groups two replicas run, from their metrics: each
// distinct live query and each distinct subscription, run once per change
// for all its subscribers.
func liveGroups(metrics []map[string]float64) float64 {
	var n float64
	for _, m := range metrics {
		n += m["tracker_live_queries"] + m["tracker_live_subscription_groups"]
	}
	return n
}

// perChange is the statements between two snapshots per change.
func perChange(a, b stmtSnapshot, changes int) float64 {
	if changes <= 0 {
		return 0
	}
	return float64(b.total()-a.total()) / float64(changes)
}

// topStatements is the table of the statements run most between two
// snapshots.
func topStatements(a, b stmtSnapshot, changes int) table {
	t := table{title: "Statements run most in the many phase (pg_stat_statements)", header: []string{"statement", "calls", "per change"}}
	type row struct {
		q string
		n int64
	}
	var rows []row
	for id, c := range b {
		if d := c.calls - a[id].calls; d > 0 {
			rows = append(rows, row{c.query, d})
		}
	}
	slices.SortFunc(rows, func(x, y row) int { return int(y.n - x.n) })
	for _, r := range rows[:min(6, len(rows))] {
		per := 0.0
		if changes > 0 {
			per = float64(r.n) / float64(changes)
		}
		t.rows = append(t.rows, []string{clip([]byte(strings.Join(strings.Fields(r.q), " ")), 110), fmt.Sprint(r.n), fmt.Sprintf("%.1f", per)})
	}
	return t
}

// scrapeLive returns the server's tracker_live_* metrics, summed over
// their labels.
func scrapeLive(ctx context.Context, base string) map[string]float64 {
	out := map[string]float64{}
	code, body := get(ctx, &http.Client{Timeout: 3 * time.Second}, base+"/metrics")
	if code != http.StatusOK {
		return out
	}
	for line := range strings.SplitSeq(string(body), "\n") {
		if !strings.HasPrefix(line, "tracker_live_") {
			continue
		}
		name, value, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		if i := strings.IndexByte(name, '{'); i >= 0 {
			name = name[:i]
		}
		if strings.HasSuffix(name, "_bucket") {
			continue
		}
		if v, err := strconv.ParseFloat(value, 64); err == nil {
			out[name] += v
		}
	}
	return out
}

func liveMetricsText(m map[string]float64) string {
	if len(m) == 0 {
		return "none exposed"
	}
	var parts []string
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}) {
		parts = append(parts, fmt.Sprintf("%s %g", strings.TrimPrefix(k, "tracker_live_"), m[k]))
	}
	return strings.Join(parts, ", ")
}

// changeStream is the harness's own LISTEN on the change channel: the
// commit order of every change.
type changeStream struct {
	conn   *pgx.Conn
	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	list   []streamEntry
	once   sync.Once
}

type streamEntry struct {
	models.Change
	at time.Time
}

// maxStreamEntries bounds the stream's loop.
const maxStreamEntries = 1_000_000

func startChangeStream(ctx context.Context, dbURL string) (*changeStream, error) {
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(cctx, dbURL)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(cctx, "LISTEN tracker_changes"); err != nil {
		conn.Close(context.Background())
		return nil, err
	}
	lctx, lcancel := context.WithCancel(ctx)
	st := &changeStream{conn: conn, cancel: lcancel, done: make(chan struct{})}
	go func() {
		defer close(st.done)
		for range maxStreamEntries {
			n, err := conn.WaitForNotification(lctx)
			if err != nil {
				return
			}
			var ev models.Change
			if json.Unmarshal([]byte(n.Payload), &ev) == nil {
				st.mu.Lock()
				st.list = append(st.list, streamEntry{ev, time.Now()})
				st.mu.Unlock()
			}
		}
	}()
	return st, nil
}

func (st *changeStream) entries() []streamEntry {
	st.mu.Lock()
	defer st.mu.Unlock()
	return slices.Clone(st.list)
}

func (st *changeStream) stop() {
	st.once.Do(func() {
		st.cancel()
		<-st.done
		st.conn.Close(context.Background())
	})
}

// liveWriter writes as the fixture's officers at a fixed rate through the
// live replicas.
type liveWriter struct {
	h     *harness
	urls  []string
	alive func(int) bool
	fx    *liveFixture
	runID string

	seq, n   atomic.Int64
	mu       sync.Mutex
	rng      *rand.Rand
	writes   []write
	sentinel int // the sentinel item's version
}

// maxWritesInFlight bounds the writes running at once: a tick finding as
// many skips its write.
const maxWritesInFlight = 16

// run writes at rate per second for d.
func (w *liveWriter) run(ctx context.Context, d time.Duration, rate float64) {
	tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer tick.Stop()
	end := time.After(d)
	sem := make(chan struct{}, maxWritesInFlight)
	var wg sync.WaitGroup
	defer wg.Wait()
	for range int(d.Seconds()*rate) + 10 {
		select {
		case <-ctx.Done():
			return
		case <-end:
			return
		case <-tick.C:
		}
		select {
		case sem <- struct{}{}:
		default:
			w.record(write{kind: "skipped", outcome: "skipped"})
			continue
		}
		wg.Go(func() {
			defer func() { <-sem }()
			w.write(ctx)
		})
	}
}

// client returns a client of a live replica, alternating.
func (w *liveWriter) client() *client {
	i := int(w.n.Add(1)) % 2
	if !w.alive(i) {
		i = 1 - i
	}
	return newClient(w.urls[i], &http.Client{Timeout: w.h.cfg.Timeout}, w.runID, &w.seq)
}

// write makes one change: mostly a status move, else a title change or a
// new item.
func (w *liveWriter) write(ctx context.Context) {
	w.mu.Lock()
	o := w.fx.officers[w.rng.IntN(3)/2] // A twice as often as B
	item := o.items[w.rng.IntN(len(o.items))]
	r := w.rng.Float64()
	w.mu.Unlock()
	c := w.client()
	id := models.NewGlobalID("ActionItem", item).String()
	k := w.n.Add(1)
	switch {
	case r < 0.1:
		cl := c.post(ctx, o.secret, "CreateActionItem", `mutation($in: NewActionItem!) { createActionItem(input: $in) { actionItem { id } } }`,
			map[string]any{"in": map[string]any{"slug": fmt.Sprintf("%s-%d", w.runID, k), "title": fmt.Sprintf("Live proof item %d", k),
				"ownerId": models.NewGlobalID("Organization", o.org).String(), "initiativeId": models.NewGlobalID("Initiative", w.fx.initiative).String()}})
		w.record(write{note: cl.reqID, kind: "create", outcome: writeOutcome(cl, cl.ok()), code: cl.code()})
		return
	}
	read := c.post(ctx, o.secret, "ActionItem", `query($id: ID!) { node(id: $id) { ... on ActionItem { status version } } }`, map[string]any{"id": id})
	var got struct {
		Node *struct {
			Status  string
			Version int
		}
	}
	if !read.ok() || json.Unmarshal(read.data, &got) != nil || got.Node == nil {
		w.record(write{kind: "read", outcome: "refused", code: read.code()})
		return
	}
	if r < 0.3 {
		cl := c.post(ctx, o.secret, "UpdateActionItem", `mutation($id: ID!, $in: ActionItemUpdate!) { updateActionItem(id: $id, input: $in) { actionItem { version } } }`,
			map[string]any{"id": id, "in": map[string]any{"expectedVersion": got.Node.Version, "title": fmt.Sprintf("Live proof title %d", k)}})
		w.record(write{note: cl.reqID, kind: "update", item: id, outcome: writeOutcome(cl, cl.ok()), code: cl.code()})
		return
	}
	to := "IN_PROGRESS"
	switch got.Node.Status {
	case "IN_PROGRESS":
		to = "DONE"
		if k%5 == 0 {
			to = "BLOCKED"
		}
	case "CANCELLED":
		w.record(write{kind: "read", outcome: "refused", code: "CANCELLED"})
		return
	}
	cl := c.post(ctx, o.secret, "UpdateActionItemStatus", `mutation($in: UpdateActionItemStatusInput!) { updateActionItemStatus(input: $in) { actionItem { version } } }`,
		map[string]any{"in": map[string]any{"id": id, "status": to, "note": fmt.Sprintf("live proof %d", k), "expectedVersion": got.Node.Version}})
	w.record(write{note: cl.reqID, kind: "move", item: id, outcome: writeOutcome(cl, cl.ok()), code: cl.code()})
}

// readSentinel reads the sentinel item's version.
func (w *liveWriter) readSentinel(ctx context.Context) error {
	c := w.client()
	cl := c.post(ctx, w.fx.officers[0].secret, "Sentinel", `query($id: ID!) { node(id: $id) { ... on ActionItem { version } } }`,
		map[string]any{"id": models.NewGlobalID("ActionItem", w.fx.sentinel).String()})
	var got struct{ Node *struct{ Version int } }
	if !cl.ok() || json.Unmarshal(cl.data, &got) != nil || got.Node == nil {
		return fmt.Errorf("read the sentinel item: %v %v", cl.err, cl.errors)
	}
	w.sentinel = got.Node.Version
	return nil
}

// ready writes sentinel changes until every subscriber of list whose
// subscription runs has received one written by this call: then each has
// received everything committed before it. A sentinel reaches every
// subscription that existed at its commit, so another is written only for
// those that did not yet, at growing intervals (a backlog is not made
// worse by sentinels).
func (w *liveWriter) ready(ctx context.Context, list []*liveSubscriber) error {
	var first uint // the audit ID of this call's first sentinel: a later one counts
	deadline := time.Now().Add(liveWaitLimit)
	waiting := func() int {
		n := 0
		for _, s := range list {
			if s.running() && !s.hasEvent(w.fx.sentinel, first) {
				n++
			}
		}
		return n
	}
	every := liveSentinelEvery
	for time.Now().Before(deadline) {
		c := w.client()
		cl := c.post(ctx, w.fx.officers[0].secret, "Sentinel", `mutation($id: ID!, $in: ActionItemUpdate!) {
			updateActionItem(id: $id, input: $in) { actionItem { version history(first: 1) { nodes { id } } } } }`,
			map[string]any{"id": models.NewGlobalID("ActionItem", w.fx.sentinel).String(),
				"in": map[string]any{"expectedVersion": w.sentinel, "title": fmt.Sprintf("Live proof sentinel %d", w.sentinel+1)}})
		var out struct {
			UpdateActionItem *struct {
				ActionItem struct {
					Version int
					History struct{ Nodes []struct{ ID string } }
				}
			}
		}
		acked := cl.ok() && json.Unmarshal(cl.data, &out) == nil && out.UpdateActionItem != nil
		w.record(write{note: cl.reqID, kind: "sentinel", outcome: writeOutcome(cl, acked), code: cl.code()})
		if !acked {
			if err := w.readSentinel(ctx); err != nil {
				return err
			}
			if err := sleep(ctx, 100*time.Millisecond); err != nil {
				return err
			}
			continue
		}
		w.sentinel = out.UpdateActionItem.ActionItem.Version
		if first == 0 && len(out.UpdateActionItem.ActionItem.History.Nodes) > 0 {
			first, _ = rowID(out.UpdateActionItem.ActionItem.History.Nodes[0].ID, "AuditEntry")
		}
		if err := waitFor(ctx, min(every, time.Until(deadline)), func() bool { return waiting() == 0 }); err == nil {
			return nil
		} else if ctx.Err() != nil {
			return err
		}
		every = min(2*every, 8*time.Second)
	}
	return fmt.Errorf("%d of %d subscribers did not receive a sentinel change within %v", waiting(), len(list), liveWaitLimit)
}

func (w *liveWriter) record(wr write) {
	w.mu.Lock()
	w.writes = append(w.writes, wr)
	w.mu.Unlock()
}

func (w *liveWriter) outcomes() map[string]int {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := map[string]int{}
	for _, wr := range w.writes {
		k := wr.outcome
		if wr.code != "" && wr.outcome != "acked" {
			k += " " + wr.code
		}
		out[k]++
	}
	return out
}

func (w *liveWriter) kinds() map[string]int {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := map[string]int{}
	for _, wr := range w.writes {
		out[wr.kind]++
	}
	return out
}

// liveFacts is what the database says of the run's changes.
type liveFacts struct {
	items     map[uint]liveItem
	committed map[uint]time.Time // commit time by audit entry
	subject   map[uint]string    // actor by audit entry
	requestID map[uint]string
	audited   int            // action item audit entries after the baseline
	byRequest map[string]int // their number by request ID
	// Acknowledged writes vs the audit log.
	ackedMissing, ackedTwice, refusedFound int
	// Audit log vs the published stream.
	streamMissing, streamDuplicates int
}

// readLiveFacts reads the run's audit entries, their commit times and the
// items they changed.
func readLiveFacts(ctx context.Context, dbURL string, baseline uint, entries []streamEntry) (*liveFacts, error) {
	f := &liveFacts{items: map[uint]liveItem{}, committed: map[uint]time.Time{}, subject: map[uint]string{}, requestID: map[uint]string{}}
	byRequest := map[string]int{}
	err := withConn(ctx, dbURL, func(conn *pgx.Conn) error {
		rows, err := conn.Query(ctx, `SELECT id, entity_id, actor_subject, request_id, pg_xact_commit_timestamp(xmin)
			FROM audit_log WHERE id > $1 AND entity_type = 'ActionItem'`, baseline)
		if err != nil {
			return err
		}
		var itemIDs []uint
		for rows.Next() {
			var id, item uint
			var subject, req string
			var at *time.Time
			if err := rows.Scan(&id, &item, &subject, &req, &at); err != nil {
				return err
			}
			f.audited++
			if at != nil {
				f.committed[id] = *at
			}
			f.subject[id], f.requestID[id] = subject, req
			byRequest[req]++
			itemIDs = append(itemIDs, item)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = conn.Query(ctx, `SELECT id, owner_organization_id, coalesce(initiative_id, 0) FROM action_items WHERE id = ANY($1)`, itemIDs)
		if err != nil {
			return err
		}
		for rows.Next() {
			var it liveItem
			if err := rows.Scan(&it.id, &it.owner, &it.initiative); err != nil {
				return err
			}
			f.items[it.id] = it
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("read the audit log back: %w", err)
	}
	f.byRequest = byRequest
	seen := map[uint]int{}
	for _, e := range entries {
		if e.Entity == "ActionItem" {
			seen[e.AuditEntryID]++
		}
	}
	for id := range f.subject {
		switch seen[id] {
		case 0:
			f.streamMissing++
		case 1:
		default:
			f.streamDuplicates++
		}
	}
	return f, nil
}

// liveDocuments are the 20 distinct live queries of the proof: boards of
// the two organizations' action items, the initiative's progress, counts
// by status, and a few that read nothing the writes touch.
func liveDocuments(fx *liveFixture) []string {
	initiative := models.NewGlobalID("Initiative", fx.initiative).String()
	var docs []string
	for i := range 20 {
		slug := []string{fx.slugA, fx.slugB}[i%2]
		var body string
		switch i % 5 {
		case 0:
			body = fmt.Sprintf(`actionItems(first: %d, filter: {owner: {slug: {eq: %q}}}) { totalCount nodes { id title status version } }`, 5+i, slug)
		case 1:
			body = fmt.Sprintf(`actionItems(first: %d, filter: {owner: {slug: {eq: %q}}, status: {ne: DONE}}) { totalCount progress { done open blocked total } nodes { id status } }`, 3+i, slug)
		case 2:
			body = fmt.Sprintf(`actionItems(first: %d, filter: {initiative: {id: {eq: %q}}}) { totalCount progress { done total countsByStatus { status count } } nodes { id status owner { slug } } }`, 2+i, initiative)
		case 3:
			body = fmt.Sprintf(`organization(slug: %q) { name actionItems(first: %d) { totalCount progress { done open total } } }`, slug, 4+i)
		default:
			body = fmt.Sprintf(`organizations(first: %d) { totalCount nodes { id name } }`, 2+i)
		}
		docs = append(docs, fmt.Sprintf("query Board%d @live { %s }", i, body))
	}
	return docs
}

// hasLiveQueries reports whether the server declares the @live directive.
func hasLiveQueries(ctx context.Context, base, token string) (bool, error) {
	c := newClient(base, &http.Client{Timeout: 20 * time.Second}, "introspect"+randomHex(3), new(atomic.Int64))
	cl := c.post(ctx, token, "Directives", `{ __schema { directives { name } } }`, nil)
	var out struct {
		Schema struct{ Directives []struct{ Name string } } `json:"__schema"`
	}
	if !cl.ok() || json.Unmarshal(cl.data, &out) != nil {
		return false, fmt.Errorf("introspect the directives: %v %v", cl.err, cl.errors)
	}
	return slices.ContainsFunc(out.Schema.Directives, func(d struct{ Name string }) bool { return d.Name == "live" }), nil
}
