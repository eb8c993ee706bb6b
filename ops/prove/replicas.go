package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// The replicas proof: a private primary and a streaming hot standby made
// from it with pg_basebackup -R, two server processes reading from the
// standby (DATABASE_REPLICA_URLS), the dashboard mix and officers' writes
// through both. Then, in the same run: the standby stopped (fast) at 30 %
// of the duration and started again at 50 %; one server SIGTERMed at 80 %.
// Asserted: the standby serves most rows read while it is up (its
// pg_stat_database against the primary's); no read fails, standby down or
// not; it is back in rotation on both servers after its restart; a client
// that wrote reads its write at once through the other server
// (Tracker-Read-After); every acknowledged write is counted back once;
// the surviving server answers everything to the end.

// The quick variant: a 6 s load (the timeline needs no more) over 50
// synthetic initiatives, the fewest the mix asks for (syn-init-000042):
// seeding 200 takes 4 to 10 s on a busy machine.
const (
	quickReplicasDuration  = 6 * time.Second
	quickReplicasSynthetic = 50
)

// proveReplicas runs the replicas proof.
func (h *harness) proveReplicas(ctx context.Context) (*report, error) {
	d := h.cfg.Duration
	if h.cfg.Quick {
		d = min(d, quickReplicasDuration)
	}
	if d < quickReplicasDuration {
		return nil, fmt.Errorf("replicas needs -duration of at least %v: %v", quickReplicasDuration, d)
	}
	primary, err := h.newCluster(ctx)
	if err != nil {
		return nil, err
	}
	dbURL, err := createDatabase(ctx, primary.serverURL(), "tracker")
	if err != nil {
		return nil, err
	}
	synthetic := h.cfg.Synthetic
	if h.cfg.Quick {
		synthetic = min(synthetic, quickReplicasSynthetic)
	}
	db, err := h.seedSynthetic(ctx, dbURL, synthetic)
	if err != nil {
		return nil, err
	}
	standby, err := h.newStandby(ctx, primary, "hot_standby_feedback=on")
	if err != nil {
		return nil, err
	}
	standbyURL := withPort(dbURL, standby.port)
	if err := waitCaughtUp(ctx, dbURL, standbyURL, 60*time.Second); err != nil {
		return nil, err
	}
	// Admission waits instead of shedding: the proof is about where reads
	// go, and a shared machine's load would otherwise refuse some of the
	// heaviest (OVERLOADED), as the storm proof shows it should.
	env := []string{"DATABASE_REPLICA_URLS=" + standbyURL, "REPLICA_MAX_LAG=2s", "ADMISSION_QUEUE=256", "ADMISSION_MAX_WAIT=15s"}
	a, err := h.startServer(ctx, "replicas-a", dbURL, env...)
	if err != nil {
		return nil, err
	}
	b, err := h.startServer(ctx, "replicas-b", dbURL, env...)
	if err != nil {
		return nil, err
	}
	for _, s := range []*server{a, b} {
		if err := waitFor(ctx, 20*time.Second, func() bool { return replicaInRotation(ctx, s.url) }); err != nil {
			return nil, fmt.Errorf("the standby never came into rotation on %s: %w", s.url, err)
		}
	}
	w, err := h.prepareWorkload(ctx, a, db)
	if err != nil {
		return nil, err
	}
	wa, wb := splitWorkload(w)

	stopAt, startAt, sigtermAt := d*30/100, d*50/100, d*80/100
	var aTerminated atomic.Bool
	optsA, optsB := h.loadOptions(), h.loadOptions()
	optsA.concurrency = max(1, optsA.concurrency/2)
	optsB.concurrency = max(1, optsB.concurrency/2)
	optsA.duration, optsB.duration = d, d
	optsA.stopAfterFailure = aTerminated.Load

	s0, p0 := rowsRead(ctx, standbyURL), rowsRead(ctx, dbURL)
	began := time.Now()
	ryw := &rywChecker{w: w, a: a, b: b, aGone: &aTerminated, prefix: "ryw" + randomHex(4) + "-"}
	var wg sync.WaitGroup
	var la, lb *loadRun
	wg.Go(func() { la = runLoad(ctx, a, wa, optsA) })
	wg.Go(func() { lb = runLoad(ctx, b, wb, optsB) })
	wg.Go(func() { ryw.run(ctx, began.Add(d)) })

	// The timeline, in this goroutine.
	var s1, p1, s2 int64
	var stopped, started, rejoined, terminated time.Time
	var timelineErr error
	func() {
		if sleep(ctx, time.Until(began.Add(stopAt))) != nil {
			return
		}
		s1, p1 = rowsRead(ctx, standbyURL), rowsRead(ctx, dbURL)
		h.step("replicas: stopping the standby")
		if timelineErr = standby.stop(ctx, "fast"); timelineErr != nil {
			return
		}
		stopped = time.Now()
		if sleep(ctx, time.Until(began.Add(startAt))) != nil {
			return
		}
		h.step("replicas: starting the standby")
		if timelineErr = standby.start(ctx); timelineErr != nil {
			return
		}
		started = time.Now()
		if err := waitFor(ctx, sigtermAt-startAt, func() bool {
			return replicaInRotation(ctx, a.url) && replicaInRotation(ctx, b.url)
		}); err == nil {
			rejoined = time.Now()
		}
		// Its statistics start again from zero after recovery.
		s2 = rowsRead(ctx, standbyURL)
		if sleep(ctx, time.Until(began.Add(sigtermAt))) != nil {
			return
		}
		h.step("replicas: SIGTERM to server a")
		terminated = time.Now()
		aTerminated.Store(true)
		timelineErr = a.cmd.Process.Signal(syscall.SIGTERM)
	}()
	wg.Wait()
	s3, p3 := rowsRead(ctx, standbyURL), rowsRead(ctx, dbURL)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if timelineErr != nil {
		return nil, timelineErr
	}
	exitA := a.wait(40 * time.Second)
	ta, err := countBack(ctx, dbURL, la, wa.versions)
	if err != nil {
		return nil, err
	}
	tb, err := countBack(ctx, dbURL, lb, wb.versions)
	if err != nil {
		return nil, err
	}
	rywLost, err := ryw.countBack(ctx, dbURL)
	if err != nil {
		return nil, err
	}

	r := &report{title: fmt.Sprintf("replicas: a primary, a streaming standby and two servers, %v of the dashboard mix and officers' writes at concurrency %d; standby stopped at %v, started at %v; server a SIGTERMed at %v",
		d, h.cfg.Concurrency, stopAt, startAt, sigtermAt)}
	callsA, callsB := la.col.snapshot(), lb.col.snapshot()
	all := summarize(append(append([]*call{}, callsA...), callsB...))
	r.addSummary(all, time.Since(began))
	failedReads, failedBefore := 0, 0
	var failedSample []string
	for _, c := range append(append([]*call{}, callsA...), callsB...) {
		write := c.kind == "RecordStatistic" || c.kind == "UpdateActionItemStatus"
		if c.ok() || c.code() == "CONFLICT" {
			continue
		}
		if !terminated.IsZero() && c.end.After(terminated) && containsCall(callsA, c) {
			continue // server a is going away: its clients move on
		}
		failedBefore++
		if !write {
			failedReads++
			if len(failedSample) < 5 {
				failedSample = append(failedSample, fmt.Sprintf("%s: HTTP %d %s %v", c.kind, c.status, c.code(), c.err))
			}
		}
	}
	sb := summarize(callsB)
	standbyRows, primaryRowsUp := (s1-s0)+(s3-s2), p1-p0
	r.add("rows read (pg_stat_database tup_returned + tup_fetched)", "standby %d while up (%d before it stopped, %d after it rejoined); primary %d over the run (%d while the standby was up before its stop)",
		standbyRows, s1-s0, s3-s2, p3-p0, primaryRowsUp)
	r.add("standby stopped / started / back in rotation on both servers", "%s / %s / %s",
		since(began, stopped), since(began, started), since(started, rejoined))
	r.add("read-your-writes through the other server", "%d writes read back at once with Tracker-Read-After: %d stale; without it %d of %d were stale",
		ryw.checked.Load(), ryw.stale.Load(), ryw.staleWithout.Load(), ryw.checked.Load())
	r.add("server a after SIGTERM", "exit code %d", exitA)
	r.add("server b", "%d requests, %d ok, codes %s", sb.n, sb.ok, counts(sb.codes))
	r.add("writes (server a)", "")
	r.addTally(ta)
	r.add("writes (server b)", "")
	r.addTally(tb)
	errsA, _ := serverErrors(a)
	errsB, _ := serverErrors(b)
	r.add("server log errors a / b", "%d / %d", errsA, errsB)

	r.assert(standbyRows > 0 && s1-s0 > primaryRowsUp, "the standby served most rows read while it was up (%d against the primary's %d)", s1-s0, primaryRowsUp)
	r.assert(failedReads == 0, "no read failed, standby down or not (%d%s)", failedReads, sampleOf(failedSample))
	r.assert(failedBefore == 0, "no request failed but server a's after its SIGTERM (%d)", failedBefore)
	r.assert(!rejoined.IsZero(), "the standby came back into rotation on both servers after its restart")
	r.assert(ryw.checked.Load() > 0 && ryw.stale.Load() == 0, "every write was read back at once through the other server (%d of %d stale)",
		ryw.stale.Load(), ryw.checked.Load())
	r.assert(ryw.failed.Load() == 0, "the read-your-writes client saw no failure (%d%s)", ryw.failed.Load(), sampleOf(ryw.failures))
	r.assert(len(rywLost) == 0, "every write of the read-your-writes client acknowledged is counted back once (%d not%s)", len(rywLost), sampleOf(rywLost))
	r.assert(exitA == 0, "server a exited 0 after SIGTERM (%d)", exitA)
	r.assert(sb.n > 0 && sb.n == sb.ok+sb.codes["CONFLICT"], "server b answered every request to the end (%d of %d: %d data, %d CONFLICT on a stale version)", sb.ok+sb.codes["CONFLICT"], sb.n, sb.ok, sb.codes["CONFLICT"])
	if !b.hasExited() {
		r.add("server b exit code after SIGTERM", "%d", stopServer(b))
	}
	return r, nil
}

// splitWorkload divides the officer's action items between two loads, so
// that each one's version count-back sees only its own moves.
func splitWorkload(w *workload) (*workload, *workload) {
	a, b := *w, *w
	half := len(w.items) / 2
	if half == 0 {
		half = len(w.items)
	}
	a.items, b.items = w.items[:half], w.items[half:]
	if len(b.items) == 0 {
		b.items = a.items
	}
	for _, x := range []*workload{&a, &b} {
		ids, _ := itemIDs(x)
		x.versions = map[uint]int{}
		for _, id := range ids {
			x.versions[id] = w.versions[id]
		}
	}
	if len(w.items) < 2 { // one item: only a moves it
		b.versions = map[uint]int{}
	}
	return &a, &b
}

func containsCall(list []*call, c *call) bool {
	for _, x := range list {
		if x == c {
			return true
		}
	}
	return false
}

// withPort returns dbURL on another port of the same host.
func withPort(dbURL string, port int) string {
	u, err := url.Parse(dbURL)
	if err != nil {
		return dbURL
	}
	u.Host = fmt.Sprintf("%s:%d", u.Hostname(), port)
	return u.String()
}

// waitCaughtUp waits until the standby has replayed all the primary had
// written when the wait began.
func waitCaughtUp(ctx context.Context, primaryURL, standbyURL string, limit time.Duration) error {
	var target string
	if err := withConn(ctx, primaryURL, func(c *pgx.Conn) error {
		return c.QueryRow(ctx, "SELECT pg_current_wal_lsn()::text").Scan(&target)
	}); err != nil {
		return err
	}
	return waitFor(ctx, limit, func() bool {
		var ok bool
		err := withConn(ctx, standbyURL, func(c *pgx.Conn) error {
			return c.QueryRow(ctx, "SELECT COALESCE(pg_last_wal_replay_lsn() >= $1::pg_lsn, false)", target).Scan(&ok)
		})
		return err == nil && ok
	})
}

// rowsRead returns the rows the server of dbURL returned and fetched for
// its database, or -1 when it cannot tell.
func rowsRead(ctx context.Context, dbURL string) int64 {
	var n int64 = -1
	_ = withConn(ctx, dbURL, func(c *pgx.Conn) error {
		return c.QueryRow(ctx, "SELECT tup_returned + tup_fetched FROM pg_stat_database WHERE datname = current_database()").Scan(&n)
	})
	return n
}

// replicaInRotation reports whether the server's /readyz says its read
// replica is in rotation.
func replicaInRotation(ctx context.Context, base string) bool {
	code, body := get(ctx, &http.Client{Timeout: 2 * time.Second}, base+"/readyz")
	var out struct {
		Replicas []struct {
			InRotation bool `json:"inRotation"`
		} `json:"replicas"`
	}
	if code != http.StatusOK || json.Unmarshal(body, &out) != nil || len(out.Replicas) == 0 {
		return false
	}
	for _, r := range out.Replicas {
		if !r.InRotation {
			return false
		}
	}
	return true
}

// rywChecker is an officer who records a figure through one server and
// reads it back at once through the other: with the Tracker-Read-After
// token the write came with, which must find it, and without, which may
// not (counted, to show the token matters).
type rywChecker struct {
	w            *workload
	a, b         *server
	aGone        *atomic.Bool
	prefix       string
	hc           http.Client
	checked      atomic.Int64
	stale        atomic.Int64
	staleWithout atomic.Int64
	failed       atomic.Int64
	mu           sync.Mutex
	acked        []string
	failures     []string // the first few failures' reasons
}

// fail counts a failure of the checker's, with its reason.
func (c *rywChecker) fail(format string, args ...any) {
	c.failed.Add(1)
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.failures) < 5 {
		c.failures = append(c.failures, fmt.Sprintf(format, args...))
	}
}

// rywMaxChecks bounds the checker's loop.
const rywMaxChecks = 100_000

func (c *rywChecker) run(ctx context.Context, end time.Time) {
	c.hc.Timeout = 10 * time.Second
	for i := range rywMaxChecks {
		if ctx.Err() != nil || time.Now().After(end) {
			return
		}
		from, to := c.a, c.b
		if i%2 == 1 {
			from, to = c.b, c.a
		}
		if c.aGone.Load() {
			from, to = c.b, c.b
		}
		note := fmt.Sprintf("%s%d", c.prefix, i)
		var out struct {
			RecordStatistic *struct{ Statistic struct{ ID, Note string } }
		}
		token, err := c.post(ctx, from, "", `mutation($in: NewStatistic!) { recordStatistic(input: $in) { statistic { id note } } }`,
			map[string]any{"in": map[string]any{"metricKey": syntheticMetric, "value": i, "asOf": map[string]any{"date": "2026-11-02", "precision": "DAY"},
				"scopeOrganizationId": c.w.orgID, "note": note}}, &out)
		if err != nil || out.RecordStatistic == nil || out.RecordStatistic.Statistic.Note != note {
			if !c.aGone.Load() {
				c.fail("write through %s: %v", from.url, err)
			}
			_ = sleep(ctx, 50*time.Millisecond)
			continue
		}
		c.mu.Lock()
		c.acked = append(c.acked, note)
		c.mu.Unlock()
		if token == "" || strings.HasPrefix(token, "FFFFFFFF/") {
			c.fail("a write through %s handed back Tracker-Read-After %q, not its position", from.url, token)
			continue
		}
		id := out.RecordStatistic.Statistic.ID
		for _, with := range []string{token, ""} {
			var got struct {
				Node *struct{ Note string }
			}
			if _, err := c.post(ctx, to, with, `query($id: ID!) { node(id: $id) { ... on Statistic { note } } }`, map[string]any{"id": id}, &got); err != nil && !errors.Is(err, errNotFound) {
				if !c.aGone.Load() {
					c.fail("read through %s (token %q): %v", to.url, with, err)
				}
				continue
			}
			fresh := got.Node != nil && got.Node.Note == note
			switch {
			case with != "" && !fresh:
				c.stale.Add(1)
			case with == "" && !fresh:
				c.staleWithout.Add(1)
			}
		}
		c.checked.Add(1)
		_ = sleep(ctx, 20*time.Millisecond)
	}
}

// post sends a request as the officer, with a read-after token if given,
// and returns the token of the response.
func (c *rywChecker) post(ctx context.Context, s *server, readAfter, query string, vars map[string]any, out any) (string, error) {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url+"/graphql", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.w.officer)
	if readAfter != "" {
		req.Header.Set("Tracker-Read-After", readAfter)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var r struct {
		Data   json.RawMessage `json:"data"`
		Errors []gqlError      `json:"errors"`
	}
	switch {
	case json.NewDecoder(resp.Body).Decode(&r) != nil:
		return "", fmt.Errorf("HTTP %d, not a GraphQL response", resp.StatusCode)
	case resp.StatusCode == http.StatusOK && len(r.Errors) == 1 && r.Errors[0].code() == "NOT_FOUND":
		return "", errNotFound
	case resp.StatusCode != http.StatusOK || len(r.Errors) > 0:
		return "", fmt.Errorf("HTTP %d, errors %v", resp.StatusCode, r.Errors)
	case json.Unmarshal(r.Data, out) != nil:
		return "", fmt.Errorf("HTTP %d, data %s", resp.StatusCode, clip(r.Data, 200))
	}
	return resp.Header.Get("Tracker-Read-After"), nil
}

// errNotFound is a read that did not find what it asked for: after a
// write, a stale read.
var errNotFound = errors.New("NOT_FOUND")

// countBack returns the checker's acknowledged writes not found exactly
// once on the primary.
func (c *rywChecker) countBack(ctx context.Context, dbURL string) ([]string, error) {
	var found map[string]int
	err := withConn(ctx, dbURL, func(conn *pgx.Conn) (err error) {
		found, err = statisticNotes(ctx, conn, c.prefix)
		return err
	})
	if err != nil {
		return nil, err
	}
	var bad []string
	for _, n := range c.acked {
		if found[n] != 1 {
			bad = append(bad, fmt.Sprintf("%s found %d times", n, found[n]))
		}
	}
	return bad, nil
}
