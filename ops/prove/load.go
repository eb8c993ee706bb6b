package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// workload is what the load needs to know about the server's data.
type workload struct {
	viewer, officer string         // tokens: dashboards read as viewers, officers write
	reads           []readQuery    // the dashboard mix, bench/mix/*.graphql
	readVars        map[string]any // their variables, as graph/explain_test.go's mixVariables
	orgID           string         // the officer's organization, whose figures it records
	items           []string       // the action items the officer moves
	versions        map[uint]int   // their versions before the load, by database key
}

// readQuery is a query of the dashboard mix.
type readQuery struct{ name, text string }

// syntheticMetric is the metric the synthetic data set's series use.
const syntheticMetric = "synthetic-police-deployed"

// prepareWorkload reads the dashboard mix and looks up, through the API,
// the IDs the load needs; it checks that every query of the mix answers.
func (h *harness) prepareWorkload(ctx context.Context, srv *server, db *database) (*workload, error) {
	w := &workload{viewer: db.viewer, officer: db.officer}
	files, err := filepath.Glob(filepath.Join(h.root, "bench", "mix", "*.graphql"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("no dashboard queries in bench/mix: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		w.reads = append(w.reads, readQuery{name: strings.TrimSuffix(filepath.Base(f), ".graphql"), text: string(b)})
	}
	c := newClient(srv.url, &http.Client{Timeout: h.cfg.Timeout}, "prepare-"+randomHex(4), new(atomic.Int64))
	var out struct {
		Read  struct{ ID string }
		Owner struct{ ID string }
		Items struct{ Nodes []struct{ ID string } }
	}
	cl := c.post(ctx, w.viewer, "prepare", `query($slug: String!) {
		read: organization(acronym: "SYN0007") { id }
		owner: organization(slug: $slug) { id }
		items: actionItems(first: 100, filter: {owner: {slug: {eq: $slug}}, status: {ne: CANCELLED}}) { nodes { id } }
	}`, map[string]any{"slug": db.officerOrg})
	if !cl.ok() || json.Unmarshal(cl.data, &out) != nil {
		return nil, fmt.Errorf("look up the workload's IDs: %v %v", cl.err, cl.errors)
	}
	w.orgID = out.Owner.ID
	for _, n := range out.Items.Nodes {
		w.items = append(w.items, n.ID)
	}
	if len(w.items) == 0 {
		return nil, fmt.Errorf("%s owns no open action item", db.officerOrg)
	}
	ids, err := itemIDs(w)
	if err != nil {
		return nil, err
	}
	if w.versions, err = versions(ctx, db.url, ids); err != nil {
		return nil, err
	}
	w.readVars = map[string]any{"since": "2026-01-01", "owner": out.Read.ID, "org": out.Read.ID,
		"metric": syntheticMetric, "slug": "syn-init-000042", "text": "maritime"}
	for _, q := range w.reads {
		if cl := c.post(ctx, w.viewer, q.name, q.text, w.readVars); !cl.ok() {
			return nil, fmt.Errorf("query %s fails before the load: HTTP %d %v %v", q.name, cl.status, cl.err, cl.errors)
		}
	}
	return w, nil
}

// loadOptions shape a load.
type loadOptions struct {
	duration    time.Duration
	concurrency int
	writeShare  float64
	timeout     time.Duration
	// oneConnEach gives each client one kept-alive connection of its own
	// (the SIGTERM proof follows each connection).
	oneConnEach bool
	// stopAfterFailure stops a client at its first failed exchange after
	// it (the SIGTERM proof: the server is going away).
	stopAfterFailure func() bool
}

// loadRun is a running or finished load.
type loadRun struct {
	w       *workload
	opts    loadOptions
	runID   string
	seq     atomic.Int64 // request IDs
	notes   atomic.Int64 // write notes
	col     *collector
	mu      sync.Mutex
	writes  []write
	start   time.Time
	elapsed time.Duration
}

// write is a write the load sent, identified by the unique note it
// carries, and what the server said of it.
type write struct {
	note    string
	kind    string // statistic or move
	item    string // the action item moved
	outcome string // acked, refused (certainly not applied) or unknown
	code    string
}

// maxIterations bounds each client's loop, whatever the duration.
const maxIterations = 1_000_000

// failureBackoff is how long a client waits after an UNAVAILABLE answer or
// a failed exchange before its next request.
const failureBackoff = 100 * time.Millisecond

// runLoad runs the load against srv until its duration is over (or ctx is
// done) and returns it with every call recorded.
func runLoad(ctx context.Context, srv *server, w *workload, opts loadOptions) *loadRun {
	l := &loadRun{w: w, opts: opts, runID: "prove" + randomHex(4), col: newCollector(), start: time.Now()}
	end := l.start.Add(opts.duration)
	var shared *http.Transport
	if !opts.oneConnEach {
		shared = newTransport(opts.concurrency)
		defer shared.CloseIdleConnections()
	}
	var wg sync.WaitGroup
	for i := range opts.concurrency {
		tr := shared
		if tr == nil {
			tr = newTransport(1)
			defer tr.CloseIdleConnections()
		}
		c := newClient(srv.url, &http.Client{Transport: tr, Timeout: opts.timeout}, l.runID, &l.seq)
		wg.Go(func() { l.client(ctx, i, c, end) })
	}
	wg.Wait()
	l.elapsed = time.Since(l.start)
	return l
}

// client is one simulated user: it reads dashboards and, in share
// writeShare of its iterations, writes as an officer.
func (l *loadRun) client(ctx context.Context, id int, c *client, end time.Time) {
	rng := rand.New(rand.NewPCG(uint64(id), uint64(time.Now().UnixNano())))
	for range maxIterations {
		if ctx.Err() != nil || time.Now().After(end) {
			return
		}
		var last *call
		switch r := rng.Float64(); {
		case r < l.opts.writeShare/2:
			last = l.recordStatistic(ctx, c)
		case r < l.opts.writeShare:
			last = l.moveStatus(ctx, c, rng)
		default:
			q := l.w.reads[rng.IntN(len(l.w.reads))]
			last = c.post(ctx, l.w.viewer, q.name, q.text, l.w.readVars)
			l.col.add(last)
		}
		if last.status == 0 && l.opts.stopAfterFailure != nil && l.opts.stopAfterFailure() {
			return
		}
		// A polite client backs off when the server says it cannot serve.
		if last.status == 0 || last.status == http.StatusServiceUnavailable || last.code() == "UNAVAILABLE" {
			_ = sleep(ctx, failureBackoff)
		}
	}
}

// recordStatistic records a figure whose note is unique to this write.
func (l *loadRun) recordStatistic(ctx context.Context, c *client) *call {
	n := l.notes.Add(1)
	note := fmt.Sprintf("%s-s%d", l.runID, n)
	cl := c.post(ctx, l.w.officer, "RecordStatistic", `mutation($in: NewStatistic!) {
		recordStatistic(input: $in) { statistic { id note } }
	}`, map[string]any{"in": map[string]any{"metricKey": syntheticMetric, "value": n,
		"asOf": map[string]any{"date": "2026-11-01", "precision": "DAY"}, "scopeOrganizationId": l.w.orgID, "note": note}})
	var out struct {
		RecordStatistic *struct{ Statistic struct{ Note string } }
	}
	acked := cl.ok() && json.Unmarshal(cl.data, &out) == nil && out.RecordStatistic != nil && out.RecordStatistic.Statistic.Note == note
	l.record(write{note: note, kind: "statistic", outcome: writeOutcome(cl, acked), code: cl.code()})
	l.col.add(cl)
	return cl
}

// moveStatus reads an action item and moves it one step along the
// workflow at the version read; under contention the move may meet
// CONFLICT, an expected answer, counted apart.
func (l *loadRun) moveStatus(ctx context.Context, c *client, rng *rand.Rand) *call {
	item := l.w.items[rng.IntN(len(l.w.items))]
	read := c.post(ctx, l.w.officer, "ActionItem", `query($id: ID!) { node(id: $id) { ... on ActionItem { status version } } }`,
		map[string]any{"id": item})
	var got struct {
		Node *struct {
			Status  string
			Version int
		}
	}
	ok := read.ok() && json.Unmarshal(read.data, &got) == nil && got.Node != nil
	l.col.add(read)
	if !ok {
		return read
	}
	to := ""
	switch got.Node.Status {
	case "NOT_STARTED", "BLOCKED", "DONE":
		to = "IN_PROGRESS"
	case "IN_PROGRESS":
		to = "DONE"
		if rng.IntN(5) == 0 {
			to = "BLOCKED"
		}
	default:
		return read // CANCELLED: final
	}
	note := fmt.Sprintf("%s-m%d", l.runID, l.notes.Add(1))
	cl := c.post(ctx, l.w.officer, "UpdateActionItemStatus", `mutation($in: UpdateActionItemStatusInput!) {
		updateActionItemStatus(input: $in) { actionItem { status version } }
	}`, map[string]any{"in": map[string]any{"id": item, "status": to, "note": note, "expectedVersion": got.Node.Version}})
	var out struct {
		UpdateActionItemStatus *struct{ ActionItem struct{ Version int } }
	}
	acked := cl.ok() && json.Unmarshal(cl.data, &out) == nil && out.UpdateActionItemStatus != nil &&
		out.UpdateActionItemStatus.ActionItem.Version == got.Node.Version+1
	l.record(write{note: note, kind: "move", item: item, outcome: writeOutcome(cl, acked), code: cl.code()})
	l.col.add(cl)
	return cl
}

func (l *loadRun) record(w write) {
	l.mu.Lock()
	l.writes = append(l.writes, w)
	l.mu.Unlock()
}

// refusals are the codes of writes certainly not applied: refused before
// or by their transaction's checks.
var refusals = []string{"CONFLICT", "BAD_USER_INPUT", "FORBIDDEN", "UNAUTHENTICATED", "GRAPHQL_VALIDATION_FAILED", "GRAPHQL_PARSE_FAILED"}

// writeOutcome classifies a write's answer: acknowledged; refused, so
// certainly not applied (a workflow or version refusal, a 503 from
// authentication, which runs before any write, or a connection refused);
// or unknown (no answer, a
// timeout, or the database failing during the write, which may have
// committed).
func writeOutcome(cl *call, acked bool) string {
	switch {
	case acked:
		return "acked"
	case cl.status == http.StatusServiceUnavailable, cl.transport == "refused",
		len(cl.errors) > 0 && slices.Contains(refusals, cl.errors[0].code()):
		return "refused"
	}
	return "unknown"
}
