package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/vektah/gqlparser/v2"

	"tracker/models"
	"tracker/models/modelstest"
)

// liveQueryServer serves store with opts (public reads, metrics in a
// registry of its own) and returns it with an officer of the UN
// Secretariat as its client and the registry.
func liveQueryServer(t *testing.T, store *models.Store, opts Options) (*httptest.Server, *client, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	opts.Metrics, opts.Auth.PublicRead = reg, true
	srv := httptest.NewServer(NewHandler(store, opts))
	t.Cleanup(srv.Close)
	tok, _ := mustToken(t, store, models.RoleOfficer, []uint{orgID(t, store, "un-secretariat")}, nil)
	return srv, (&client{t: t, url: srv.URL + "/graphql", store: store}).as(tok), reg
}

// waitMetric waits until the metric name of reg is want.
func waitMetric(t *testing.T, reg *prometheus.Registry, name string, want float64) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); metricValue(t, reg, name, nil) != want; {
		if time.Now().After(deadline) {
			t.Fatalf("%s = %v, want %v", name, metricValue(t, reg, name, nil), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// liveStream is a graphql-transport-ws connection whose messages a
// goroutine reads as they come: waiting for one that does not come leaves
// the connection open (a read whose context ends closes it).
type liveStream struct {
	*wsClient
	msgs chan wsMessage
}

// openStream opens a connection to the server at url, initialised with
// payload.
func openStream(t *testing.T, url string, payload map[string]any) *liveStream {
	t.Helper()
	ws, _, err := dialLive(t, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	ws.ctx = ctx
	ws.init(payload)
	s := &liveStream{wsClient: ws, msgs: make(chan wsMessage, 100)}
	go func() {
		defer close(s.msgs)
		for {
			_, b, err := ws.conn.Read(ctx)
			if err != nil {
				return
			}
			var m wsMessage
			if json.Unmarshal(b, &m) == nil && m.Type != "ping" && m.Type != "pong" {
				s.msgs <- m
			}
		}
	}()
	return s
}

// message returns the next message within d, skipping the completes of
// operations other than id; false if none came.
func (s *liveStream) message(id string, d time.Duration) (wsMessage, bool) {
	timeout := time.After(d)
	for {
		select {
		case m, ok := <-s.msgs:
			if !ok {
				return wsMessage{}, false
			}
			if m.Type == "complete" && m.ID != id {
				continue
			}
			return m, true
		case <-timeout:
			return wsMessage{}, false
		}
	}
}

// next reads the next message, which must be a result of operation id
// without errors, and returns its data.
func (s *liveStream) next(id string) json.RawMessage {
	s.t.Helper()
	m, ok := s.message(id, 10*time.Second)
	if !ok || m.Type != "next" || m.ID != id {
		s.t.Fatalf("got %+v (%s), %v; want next for %s", m, m.Payload, ok, id)
	}
	var p struct {
		Data   json.RawMessage
		Errors []gqlError
	}
	if err := json.Unmarshal(m.Payload, &p); err != nil || len(p.Errors) > 0 {
		s.t.Fatalf("payload %s: %v", m.Payload, err)
	}
	return p.Data
}

// fails reads the next message, which must be an error of operation id
// with the given code.
func (s *liveStream) fails(id, code string) {
	s.t.Helper()
	m, ok := s.message(id, 10*time.Second)
	var errs []gqlError
	if m.Type == "next" {
		var p struct{ Errors []gqlError }
		_ = json.Unmarshal(m.Payload, &p)
		errs = p.Errors
	} else {
		_ = json.Unmarshal(m.Payload, &errs)
	}
	if !ok || m.ID != id || (m.Type != "error" && m.Type != "next") || len(errs) == 0 || errs[0].Code() != code {
		s.t.Fatalf("got %+v (%s); want an error %s for %s", m, m.Payload, code, id)
	}
}

// quiet checks that no message comes for a while, other than completes.
func (s *liveStream) quiet() {
	s.t.Helper()
	if m, ok := s.message("", 500*time.Millisecond); ok {
		s.t.Fatalf("unexpected message %+v (%s)", m, m.Payload)
	}
}

// itemStatus returns the status in the data of liveItem.
func itemStatus(t *testing.T, data json.RawMessage) string {
	t.Helper()
	var d struct{ ActionItem struct{ Status string } }
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatalf("data %s: %v", data, err)
	}
	return d.ActionItem.Status
}

const liveItem = `query Item($s: String!) @live { actionItem(slug: $s) { slug status version owner { slug } } }`

const reexecutions = "tracker_live_reexecutions_total"

// TestLiveQuery follows one action item with a live query over
// graphql-transport-ws: the full result comes first, then a new one after
// a committed change of the item; a change of a table the query does not
// read runs nothing and sends nothing; a change of a table it reads that
// leaves its result as it was runs it once and sends nothing.
func TestLiveQuery(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, d models.Dialect) {
		store := modelstest.Seeded(t, d)
		srv, c, reg := liveQueryServer(t, store, Options{LiveQueries: LiveQueryOptions{MinInterval: 20 * time.Millisecond}})
		ws := openStream(t, srv.URL, nil)
		ws.subscribe("board", liveItem, map[string]any{"s": liveSlug})
		first := ws.next("board")
		if got, want := itemStatus(t, first), itemNow(t, c, liveSlug).Status; got != want {
			t.Fatalf("first result %s, want status %s", first, want)
		}
		waitSubscribers(t, store, 1)

		previous := moveItem(t, c, liveSlug)
		update := ws.next("board")
		if got := itemStatus(t, update); got == previous || got != itemNow(t, c, liveSlug).Status {
			t.Fatalf("update %s after moving the item from %s", update, previous)
		}
		if n := metricValue(t, reg, reexecutions, nil); n != 1 {
			t.Errorf("re-executions after one change = %v, want 1", n)
		}

		// A source is of a table the query does not read.
		if _, err := store.CreateSource(adminCtx(), models.NewSource{Slug: "live-unrelated", Kind: models.SourceKindReport, Title: "Unrelated"}); err != nil {
			t.Fatal(err)
		}
		ws.quiet()
		if n := metricValue(t, reg, reexecutions, nil); n != 1 {
			t.Errorf("re-executions after a change of sources = %v, want 1", n)
		}

		// Another item of the officer's: a table the query reads, a
		// result that stays.
		var other struct {
			ActionItems struct{ Nodes []struct{ Slug string } }
		}
		c.mustQuery(`query($s: String!) { actionItems(first: 1, filter: {slug: {ne: $s}, owner: {slug: {eq: "un-secretariat"}}}) { nodes { slug } } }`,
			map[string]any{"s": liveSlug}, &other)
		if len(other.ActionItems.Nodes) != 1 {
			t.Fatal("no other action item")
		}
		moveItem(t, c, other.ActionItems.Nodes[0].Slug)
		waitMetric(t, reg, reexecutions, 2)
		ws.quiet()

		// And the item again: the query still follows it.
		moveItem(t, c, liveSlug)
		if got, want := itemStatus(t, ws.next("board")), itemNow(t, c, liveSlug).Status; got != want {
			t.Errorf("status %s, want %s", got, want)
		}
	})
}

// followInitiative is what a dashboard following an initiative holds
// (the README's "Live queries" shows it): the initiative, the progress of
// its action items, its latest meetings and the statistics of a metric.
const followInitiative = `query Follow($s: String!, $metric: String!) @live {
  initiative(slug: $s) {
    title status
    actionItems { progress { total done open blocked } }
    meetings(last: 3) { totalCount nodes { slug title date { label } } }
  }
  deploymentStatistics(last: 3, filter: {metric: {key: {eq: $metric}}}) { totalCount nodes { value asOf { label } } }
}`

// TestLiveQueryFollowsAnInitiative holds followInitiative and records,
// as an admin, a meeting of the initiative, a statistic of the metric and
// a meeting of nothing: the first two send a new result showing them, the
// last sends nothing.
func TestLiveQueryFollowsAnInitiative(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, d models.Dialect) {
		store := modelstest.Seeded(t, d)
		srv, c, _ := liveQueryServer(t, store, Options{LiveQueries: LiveQueryOptions{MinInterval: 20 * time.Millisecond}})
		tok, _ := mustToken(t, store, models.RoleAdmin, nil, nil)
		admin := c.as(tok)
		const waci = "west-africa-coast-initiative"
		ws := openStream(t, srv.URL, nil)
		ws.subscribe("f", followInitiative, map[string]any{"s": waci, "metric": "un-police-deployed"})
		type result struct {
			Initiative struct {
				Meetings struct {
					TotalCount int
					Nodes      []struct{ Slug string }
				}
			}
			DeploymentStatistics struct {
				TotalCount int
				Nodes      []struct{ Value float64 }
			}
		}
		read := func() result {
			t.Helper()
			var r result
			if err := json.Unmarshal(ws.next("f"), &r); err != nil {
				t.Fatal(err)
			}
			return r
		}
		before := read()
		waitSubscribers(t, store, 1)
		org := models.NewGlobalID("Organization", orgID(t, store, "un-secretariat")).String()

		admin.mustQuery(`mutation($org: ID!, $i: ID!) { recordMeeting(input: {slug: "live-review", title: "Live review", kind: TALKS,
			organizerId: $org, date: {date: "2030-01-02"}, initiativeIds: [$i]}) { meeting { id } } }`,
			map[string]any{"org": org, "i": gid(t, c, "initiative", waci)}, &struct{}{})
		after := read()
		if got := after.Initiative.Meetings; got.TotalCount != before.Initiative.Meetings.TotalCount+1 || got.Nodes[len(got.Nodes)-1].Slug != "live-review" {
			t.Errorf("meetings after recording one: %+v, before %+v", got, before.Initiative.Meetings)
		}

		admin.mustQuery(`mutation { recordStatistic(input: {metricKey: "un-police-deployed", value: 12345, asOf: {date: "2030-01-01"}}) { statistic { id } } }`,
			nil, &struct{}{})
		after = read()
		if got := after.DeploymentStatistics; got.TotalCount != before.DeploymentStatistics.TotalCount+1 || got.Nodes[len(got.Nodes)-1].Value != 12345 {
			t.Errorf("statistics after recording one: %+v, before %+v", got, before.DeploymentStatistics)
		}

		admin.mustQuery(`mutation($org: ID!) { recordMeeting(input: {slug: "live-other", title: "Other", kind: TALKS, organizerId: $org}) { meeting { id } } }`,
			map[string]any{"org": org}, &struct{}{})
		ws.quiet()
	})
}

// TestLiveQueryMultiplexed holds one live query 100 times, over ten
// connections, and a second one with other variables: a change runs each
// distinct query once, whatever the number of its subscribers, and every
// subscriber gets the new result.
func TestLiveQueryMultiplexed(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, d models.Dialect) {
		store := modelstest.Seeded(t, d)
		srv, c, reg := liveQueryServer(t, store, Options{LiveQueries: LiveQueryOptions{MinInterval: 20 * time.Millisecond}})
		const connections, perConn = 10, 10
		var conns []*liveStream
		for range connections {
			ws := openStream(t, srv.URL, nil)
			for i := range perConn {
				ws.subscribe(fmt.Sprint(i), liveItem, map[string]any{"s": liveSlug})
			}
			for range perConn {
				if m, ok := ws.message("", 10*time.Second); !ok || m.Type != "next" {
					t.Fatalf("first result: %+v (%s), %v", m, m.Payload, ok)
				}
			}
			conns = append(conns, ws)
		}
		conns[0].subscribe("other", liveItem, map[string]any{"s": "no-such-item"})
		conns[0].fails("other", "NOT_FOUND")
		if n := metricValue(t, reg, "tracker_live_queries", nil); n != 2 {
			t.Fatalf("distinct live queries = %v, want 2", n)
		}
		waitSubscribers(t, store, 2)

		const rounds = 3
		for round := 1; round <= rounds; round++ {
			previous := moveItem(t, c, liveSlug)
			for _, ws := range conns {
				seen := map[string]bool{}
				for range perConn {
					m, ok := ws.message("", 10*time.Second)
					if !ok || m.Type != "next" || m.ID == "other" || seen[m.ID] || bytes.Contains(m.Payload, []byte(`"status":"`+previous+`"`)) {
						t.Fatalf("round %d: got %+v (%s), %v", round, m, m.Payload, ok)
					}
					seen[m.ID] = true
				}
			}
			// Both queries read action_items: each runs once; the other
			// one's result stays and is not sent.
			waitMetric(t, reg, reexecutions, float64(2*round))
		}
		for _, ws := range conns {
			ws.quiet()
		}
		if n := metricValue(t, reg, reexecutions, nil); n != 2*rounds {
			t.Errorf("re-executions = %v, want %d", n, 2*rounds)
		}
		t.Logf("%d subscribers of one live query and 1 of another: %v re-executions for %d changes", connections*perConn, metricValue(t, reg, reexecutions, nil), rounds)
	})
}

// TestLiveQueryVisibility follows an item's history as a viewer and as
// the officer who changes it: the viewer's live result is, byte for byte,
// what the viewer's query answers over HTTP (who made a change hidden),
// and the officer, seeing themself, gets a result of their own.
func TestLiveQueryVisibility(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, d models.Dialect) {
		store := modelstest.Seeded(t, d)
		srv, officer, _ := liveQueryServer(t, store, Options{LiveQueries: LiveQueryOptions{MinInterval: 20 * time.Millisecond}})
		viewerTok, _ := mustToken(t, store, models.RoleViewer, nil, nil)
		viewer := officer.as(viewerTok)
		const doc = `query History($s: String!) @live { actionItem(slug: $s) { status history(first: 3) { nodes { action toStatus actor { role subject } } } } }`
		vars := map[string]any{"s": liveSlug}

		subscribe := func(token string) *liveStream {
			ws := openStream(t, srv.URL, map[string]any{"authorization": "Bearer " + token})
			ws.subscribe("h", doc, vars)
			ws.next("h")
			return ws
		}
		vws, ows := subscribe(viewerTok), subscribe(officer.token)
		waitSubscribers(t, store, 2)
		moveItem(t, officer, liveSlug)

		got := vws.next("h")
		want := viewer.do(doc, vars)
		if len(want.Errors) > 0 {
			t.Fatal(want.Errors)
		}
		if !bytes.Equal(got, want.Data) {
			t.Errorf("viewer's live result\n%s\nwant the viewer's query's\n%s", got, want.Data)
		}
		if !bytes.Contains(got, []byte(`"subject":null`)) || bytes.Contains(got, []byte(`"subject":"token:`)) {
			t.Errorf("the viewer sees who made the change: %s", got)
		}
		if mine := ows.next("h"); !bytes.Contains(mine, []byte(`"subject":"token:`)) {
			t.Errorf("the officer does not see themself: %s", mine)
		}
	})
}

// TestLiveQueryOverHTTP checks that @live over HTTP POST answers once, as
// the query would.
func TestLiveQueryOverHTTP(t *testing.T) {
	store := modelstest.Seeded(t, modelstest.Dialects()[0])
	_, c, reg := liveQueryServer(t, store, Options{})
	var out struct{ ActionItem struct{ Slug, Status string } }
	c.mustQuery(liveItem, map[string]any{"s": liveSlug}, &out)
	if out.ActionItem.Slug != liveSlug {
		t.Errorf("answer %+v", out)
	}
	if n := metricValue(t, reg, "tracker_live_queries", nil); n != 0 {
		t.Errorf("distinct live queries after an HTTP request = %v, want 0", n)
	}
}

// TestLiveQueryAcrossReplicas holds a live query on one of two handlers
// of one Postgres database: a change written through the other reaches it.
func TestLiveQueryAcrossReplicas(t *testing.T) {
	if !contains(modelstest.Dialects(), models.Postgres) {
		t.Skip("needs Postgres")
	}
	store := modelstest.Seeded(t, models.Postgres)
	_, c, _ := liveQueryServer(t, store, Options{})
	replica := modelstest.Replica(t, store)
	other, _, _ := liveQueryServer(t, replica, Options{})
	ws := openStream(t, other.URL, nil)
	ws.subscribe("1", liveItem, map[string]any{"s": liveSlug})
	ws.next("1")
	waitSubscribers(t, replica, 1)
	previous := moveItem(t, c, liveSlug)
	if got := itemStatus(t, ws.next("1")); got == previous {
		t.Errorf("status %s after the move from it", got)
	}
	if n := store.Changes().Subscribers(); n != 0 {
		t.Errorf("the writing replica holds %d subscribers", n)
	}
}

// TestLiveQueryLimits checks that a live query passes the limits of a
// query: the complexity budget and the depth limit refuse it with their
// codes, and it counts against the connection's subscriptions.
func TestLiveQueryLimits(t *testing.T) {
	store := modelstest.Seeded(t, modelstest.Dialects()[0])
	srv, _, _ := liveQueryServer(t, store, Options{Limits: Limits{MaxComplexity: 500, MaxDepth: 5},
		Live: LiveOptions{MaxSubscriptionsPerConnection: 2}})
	ws := openStream(t, srv.URL, nil)
	ws.subscribe("big", `query @live { initiatives(first: 100) { nodes { partnerships(first: 100) { nodes { role } } } } }`, nil)
	ws.fails("big", codeTooComplex)
	ws.subscribe("deep", `query @live { actionItem(slug: "x") { owner { actionItems { nodes { owner { slug } } } } } }`, nil)
	ws.fails("deep", "QUERY_TOO_DEEP")

	ws.subscribe("1", liveItem, map[string]any{"s": liveSlug})
	ws.next("1")
	ws.subscribe("2", changedSubscription, nil)
	waitSubscribers(t, store, 2)
	ws.subscribe("3", liveItem, map[string]any{"s": liveSlug})
	ws.fails("3", codeTooManySubscriptions)
}

// TestLiveQueryCoalesces moves an item several times in a burst: the live
// query runs fewer times than there were changes, and its last result is
// the item's final state.
func TestLiveQueryCoalesces(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, d models.Dialect) {
		store := modelstest.Seeded(t, d)
		srv, c, reg := liveQueryServer(t, store, Options{LiveQueries: LiveQueryOptions{MinInterval: 400 * time.Millisecond}})
		ws := openStream(t, srv.URL, nil)
		ws.subscribe("1", liveItem, map[string]any{"s": liveSlug})
		ws.next("1")
		waitSubscribers(t, store, 1)
		const burst = 6
		for range burst {
			moveItem(t, c, liveSlug)
		}
		final := itemNow(t, c, liveSlug)
		var last json.RawMessage
		for {
			m, ok := ws.message("1", 2*time.Second)
			if !ok {
				break
			}
			last = m.Payload
		}
		runs := metricValue(t, reg, reexecutions, nil)
		if runs >= burst || runs < 1 {
			t.Errorf("re-executions for a burst of %d changes = %v", burst, runs)
		}
		want := fmt.Sprintf(`"status":"%s","version":%d`, final.Status, final.Version)
		if !bytes.Contains(last, []byte(want)) {
			t.Errorf("last result %s, want the final state (%s)", last, want)
		}
		t.Logf("a burst of %d changes: %v re-executions", burst, runs)
	})
}

// TestLiveQueryEnds checks that a live query ended by the client
// (complete) runs no more, and that closing the connection leaves no
// goroutine of its own behind and nothing spinning.
func TestLiveQueryEnds(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, d models.Dialect) {
		store := modelstest.Seeded(t, d)
		srv, c, reg := liveQueryServer(t, store, Options{LiveQueries: LiveQueryOptions{MinInterval: 20 * time.Millisecond}})
		ws := openStream(t, srv.URL, nil)
		ws.subscribe("1", liveItem, map[string]any{"s": liveSlug})
		ws.next("1")
		waitSubscribers(t, store, 1)
		ws.send(wsMessage{ID: "1", Type: "complete"})
		waitMetric(t, reg, "tracker_live_queries", 0)
		waitSubscribers0(t, store)
		moveItem(t, c, liveSlug)
		ws.quiet()
		if n := metricValue(t, reg, reexecutions, nil); n != 0 {
			t.Errorf("re-executions after complete = %v, want 0", n)
		}

		ws.subscribe("2", liveItem, map[string]any{"s": liveSlug})
		ws.next("2")
		waitSubscribers(t, store, 1)
		ws.conn.Close(websocket.StatusNormalClosure, "")
		waitMetric(t, reg, "tracker_live_queries", 0)
		waitSubscribers0(t, store)
		for deadline := time.Now().Add(10 * time.Second); ; {
			left := liveGoroutines()
			if left == "" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("goroutines left after the connection closed:\n%s", left)
			}
			time.Sleep(20 * time.Millisecond)
		}
		if cpu := cpuDuring(500 * time.Millisecond); cpu > 250*time.Millisecond {
			t.Errorf("%v of CPU in 500 ms after the connection closed: something spins", cpu)
		}
	})
}

// waitSubscribers0 waits until store's process holds no subscriber.
func waitSubscribers0(t *testing.T, store *models.Store) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); store.Changes().Subscribers() != 0; {
		if time.Now().After(deadline) {
			t.Fatalf("subscribers = %d, want 0", store.Changes().Subscribers())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// liveGoroutines returns the stacks of goroutines serving live
// operations: a group of live queries or a WebSocket connection.
func liveGoroutines() string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "graph.(*liveGroup)") || strings.Contains(g, "(*wsConnection)") {
			out = append(out, g)
		}
	}
	return strings.Join(out, "\n\n")
}

// cpuDuring returns the CPU time the process used during d.
func cpuDuring(d time.Duration) time.Duration {
	used := func() time.Duration {
		var ru syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	before := used()
	time.Sleep(d)
	return used() - before
}

// TestLiveQueryTables checks the tables live queries are derived to read:
// a connection asked only for an aggregate, relations through join
// tables, a filter's relations (from variables), an interface (any
// table), and the fields that make a query personal.
func TestLiveQueryTables(t *testing.T) {
	schema := NewExecutableSchema(Config{Resolvers: &Resolver{}}).Schema()
	for _, tc := range []struct {
		doc      string
		vars     map[string]any
		want     string
		all      bool
		personal personalField
	}{
		{doc: `query @live { actionItems { progress { done } } }`, want: "action_items"},
		{doc: `query @live { initiative(slug: "x") { meetings { nodes { place { name } } } } }`, want: "initiatives meeting_initiatives meetings places"},
		{doc: `query($f: InitiativeFilter) @live { initiatives(filter: $f) { totalCount } }`,
			vars: map[string]any{"f": map[string]any{"partnerships": map[string]any{"some": map[string]any{"organization": map[string]any{"acronym": map[string]any{"eq": "AU"}}}}}},
			want: "initiatives organizations partnerships"},
		{doc: `query @live { node(id: "x") { id } }`, all: true, want: ""},
		{doc: `query @live { actionItem(slug: "x") { history { nodes { actor { role } } } } }`, want: "action_items audit_log", personal: askActor},
		{doc: `query @live { viewer { role } }`, want: "", personal: askViewer},
		{doc: `query @live { viewer { role } actionItem(slug: "x") { history { nodes { requestId } } } }`, want: "action_items audit_log", personal: askViewer},
	} {
		doc, errs := gqlparser.LoadQuery(schema, tc.doc)
		if errs != nil {
			t.Fatalf("%s: %v", tc.doc, errs)
		}
		tables, all, personal := liveTables(schema, &graphql.OperationContext{Doc: doc, Operation: doc.Operations[0], Variables: tc.vars})
		var got []string
		for tbl := range tables {
			got = append(got, tbl)
		}
		slices.Sort(got)
		if strings.Join(got, " ") != tc.want || all != tc.all || personal != tc.personal {
			t.Errorf("%s: tables %v, all %v, personal %v; want %s, %v, %v", tc.doc, got, all, personal, tc.want, tc.all, tc.personal)
		}
	}
}
