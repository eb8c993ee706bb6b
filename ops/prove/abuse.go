package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"tracker/models"
)

// abuseCase is a hostile request and the answers acceptable for it: error
// codes, "data" for a successful answer, or "any" for any error with a
// code other than INTERNAL_SERVER_ERROR.
type abuseCase struct {
	name        string
	method      string // default POST
	contentType string // default application/json
	body        []byte // POST body
	query       string // GET query string
	token       string // default the viewer's
	want        []string
	// Bounds tighter than the defaults, when set: the answer's time
	// (default -abuse-max-time), its errors and its size in bytes.
	maxTime   time.Duration
	maxErrors int
	maxBytes  int
}

// gql encodes a GraphQL request body.
func gql(query string, vars map[string]any) []byte {
	b, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		panic(err) // only maps of plain values: cannot fail
	}
	return b
}

// rawID encodes an ID the way the server does, from any text.
func rawID(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// nested returns a selection of depth fields: organizations, nodes, then
// parents.
func nested(depth int) string {
	var b strings.Builder
	b.WriteString("{ organizations(first: 1) { nodes { ")
	for range depth - 2 {
		b.WriteString("parent { ")
	}
	b.WriteString("name")
	b.WriteString(strings.Repeat(" }", depth))
	b.WriteString(" }")
	return b.String()
}

// repeated joins n copies of format (with %d the index) with spaces.
func repeated(n int, format string) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprintf(format, i)
	}
	return strings.Join(parts, " ")
}

// nestedFilter returns an OrganizationFilter nesting key depth times
// around a condition on the name, as JSON.
func nestedFilter(key string, depth int) json.RawMessage {
	var b bytes.Buffer
	for range depth {
		fmt.Fprintf(&b, `{%q:`, key)
	}
	b.WriteString(`{"name":{"eq":"x"}}`)
	b.WriteString(strings.Repeat("}", depth))
	return b.Bytes()
}

// abuseCases returns the abuse set. ids are real IDs to misuse.
func abuseCases(orgID, itemID, cursor string) []abuseCase {
	const orgsQuery = `query($f: OrganizationFilter) { organizations(filter: $f, first: 5) { totalCount } }`
	ors := make([]map[string]any, 20_000)
	for i := range ors {
		ors[i] = map[string]any{"name": map[string]any{"eq": fmt.Sprintf("x%d", i)}}
	}
	ins := make([]string, 60_000)
	for i := range ins {
		ins[i] = fmt.Sprintf("x%d", i)
	}
	ids := make([]string, 1000)
	for i := range ids {
		ids[i] = models.NewGlobalID("Organization", uint(i+1)).String()
	}
	batch := make([]json.RawMessage, 100)
	for i := range batch {
		batch[i] = gql("{ __typename }", nil)
	}
	batchBody, _ := json.Marshal(batch)
	big := bytes.Repeat([]byte(" "), 5<<20)
	bigBody := append(append([]byte(`{"query": "{ __typename }`), big...), []byte(`"}`)...)
	bigVars := gql("query($s: String) { __typename }", map[string]any{"s": strings.Repeat("A", 5<<20)})
	// Each fragment spreads the next one twice: 2^30 expansions.
	var fanout strings.Builder
	fanout.WriteString("{ ...F0 } ")
	for i := range 30 {
		fmt.Fprintf(&fanout, "fragment F%d on Query { __typename ...F%d ...F%d } ", i, i+1, i+1)
	}
	fanout.WriteString("fragment F30 on Query { __typename }")
	cases := []abuseCase{
		{name: "depth 50", body: gql(nested(50), nil), want: []string{"QUERY_TOO_DEEP"}},
		{name: "1,000 aliases", body: gql("{ "+repeated(1000, "a%d: organizations(first: 1) { totalCount }")+" }", nil), want: []string{"TOO_MANY_ALIASES"}},
		{name: "1,000 aliases of __typename", body: gql("{ "+repeated(1000, "a%d: __typename")+" }", nil), want: []string{"data", "TOO_MANY_ALIASES"}},
		{name: "100 operations in one document", body: gql(repeated(100, "query q%d { __typename }"), nil), want: []string{"TOO_MANY_OPERATIONS"}},
		{name: "a JSON batch of 100 operations", body: batchBody, want: []string{"any"}},
		{name: "circular fragments", body: gql(`{ organizations(first: 1) { nodes { ...A } } }
			fragment A on Organization { name parent { ...B } } fragment B on Organization { name parent { ...A } }`, nil),
			want: []string{"GRAPHQL_VALIDATION_FAILED"}},
		{name: "a fragment spreading itself", body: gql(`{ ...A } fragment A on Query { __typename ...A }`, nil), want: []string{"GRAPHQL_VALIDATION_FAILED"}},
		{name: "fragments spread 2^30 times", body: gql(fanout.String(), nil), want: []string{"TOO_MANY_SELECTIONS", "QUERY_TOO_DEEP", "QUERY_TOO_COMPLEX", "GRAPHQL_VALIDATION_FAILED"}},
		{name: "30,000 tokens", body: gql("{ "+strings.Repeat("__typename ", 30_000)+"}", nil), want: []string{"GRAPHQL_PARSE_FAILED"}},
		{name: "a 5 MB body", body: bigBody, want: []string{"REQUEST_TOO_LARGE"}},
		{name: "5 MB of variables", body: bigVars, want: []string{"REQUEST_TOO_LARGE"}},
		{name: "malformed JSON", body: []byte(`{"query": "{ __typename }"`), want: []string{"any"}},
		{name: "JSON nested 100,000 deep", body: []byte(`{"query": "{ __typename }", "variables": {"v": ` +
			strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000) + `}}`), want: []string{"any"}},
		{name: "an empty body", body: []byte{}, want: []string{"any"}},
		{name: "a form post", contentType: "application/x-www-form-urlencoded", body: []byte("query=%7B__typename%7D"), want: []string{"UNSUPPORTED_MEDIA_TYPE"}},
		{name: "a mutation by GET", method: http.MethodGet, query: url.Values{"query": {`mutation { revokeApiToken(id: "x") { apiToken { id } } }`}}.Encode(),
			want: []string{"METHOD_NOT_ALLOWED"}},
		{name: "wrong variable type: String for Int", body: gql(`query($n: Int) { organizations(first: $n) { totalCount } }`, map[string]any{"n": "ten"}),
			want: []string{"GRAPHQL_VALIDATION_FAILED"}},
		{name: "wrong variable type: object for ID", body: gql(`query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": map[string]any{"a": 1}}),
			want: []string{"GRAPHQL_VALIDATION_FAILED"}},
		{name: "wrong variable type: list for a filter", body: gql(orgsQuery, map[string]any{"f": []int{1, 2}}), want: []string{"GRAPHQL_VALIDATION_FAILED"}},
		{name: "a required variable missing", body: gql(`query($id: ID!) { node(id: $id) { id } }`, nil), want: []string{"GRAPHQL_VALIDATION_FAILED"}},
		{name: "integer literal 2^70", body: gql(`{ organizations(first: 1180591620717411303424) { totalCount } }`, nil), want: []string{"GRAPHQL_VALIDATION_FAILED"}},
		{name: "integer variable 1e300", body: []byte(`{"query": "query($n: Int) { organizations(first: $n) { totalCount } }", "variables": {"n": 1e300}}`),
			want: []string{"GRAPHQL_VALIDATION_FAILED"}},
		{name: "first: 2147483647", body: gql(`{ organizations(first: 2147483647) { totalCount } }`, nil), want: []string{"PAGE_TOO_LARGE"}},
		{name: "first: -1", body: gql(`{ organizations(first: -1) { totalCount } }`, nil), want: []string{"BAD_USER_INPUT"}},
		{name: "integer filter 3,000,000,000 (beyond 32 bits)", body: gql(orgsQuery, map[string]any{"f": map[string]any{"foundedYear": map[string]any{"eq": 3_000_000_000}}}),
			want: []string{"GRAPHQL_VALIDATION_FAILED", "BAD_USER_INPUT"}},
		{name: "float filter 1e308", body: gql(`query($v: Float) { deploymentStatistics(filter: {value: {gte: $v}}, first: 1) { totalCount } }`, map[string]any{"v": 1e308}),
			want: []string{"data", "BAD_USER_INPUT"}},
		{name: "NUL byte in a string filter", body: gql(orgsQuery, map[string]any{"f": map[string]any{"name": map[string]any{"contains": "a\x00b"}}}),
			want: []string{"data", "BAD_USER_INPUT"}},
		{name: "invalid cursor: not base64", body: gql(`{ organizations(first: 1, after: "%%%not a cursor%%%") { nodes { id } } }`, nil), want: []string{"BAD_USER_INPUT"}},
		{name: "invalid cursor: base64 of another shape", body: gql(`query($c: String) { organizations(first: 1, after: $c) { nodes { id } } }`,
			map[string]any{"c": rawID(`{"id": [1, 2, {"x": null}]}`)}), want: []string{"BAD_USER_INPUT"}},
		{name: "a cursor of another ordering", body: gql(`query($c: String) { organizations(first: 1, after: $c, orderBy: [{field: FOUNDED_YEAR}]) { nodes { id } } }`,
			map[string]any{"c": cursor}), want: []string{"BAD_USER_INPUT"}},
		{name: "invalid ID: not base64", body: gql(`{ node(id: "%%%") { id } }`, nil), want: []string{"BAD_USER_INPUT"}},
		{name: "invalid ID: unknown type", body: gql(`query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": rawID("Bogus:1")}), want: []string{"BAD_USER_INPUT"}},
		{name: "invalid ID: number 2^70", body: gql(`query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": rawID("Organization:1180591620717411303424")}),
			want: []string{"BAD_USER_INPUT"}},
		{name: "invalid ID: negative", body: gql(`query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": rawID("Organization:-5")}), want: []string{"BAD_USER_INPUT"}},
		{name: "an ID of the wrong type", body: gql(`query($id: ID!) { organization(id: $id) { id } }`, map[string]any{"id": itemID}), want: []string{"BAD_USER_INPUT"}},
		{name: "an ID of the wrong type in a filter", body: gql(orgsQuery, map[string]any{"f": map[string]any{"id": map[string]any{"eq": itemID}}}),
			want: []string{"BAD_USER_INPUT"}},
		{name: "an ID that does not exist", body: gql(`query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": models.NewGlobalID("Organization", 1<<40).String()}),
			want: []string{"NOT_FOUND", "data"}},
		{name: "nodes(ids:) with 1,000 IDs", body: gql(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": ids}), want: []string{"BAD_USER_INPUT"}},
		{name: "a filter nested 5,000 deep (not)", body: gql(orgsQuery, map[string]any{"f": nestedFilter("not", 5000)}), want: []string{"FILTER_TOO_COMPLEX"}},
		{name: "a filter nested 500 relations deep (parent)", body: gql(orgsQuery, map[string]any{"f": nestedFilter("parent", 500)}),
			want: []string{"FILTER_TOO_COMPLEX"}},
		{name: "a filter of 20,000 alternatives (or)", body: gql(orgsQuery, map[string]any{"f": map[string]any{"or": ors}}), want: []string{"FILTER_TOO_COMPLEX"}},
		{name: "an in-list of 60,000 values", body: gql(orgsQuery, map[string]any{"f": map[string]any{"name": map[string]any{"in": ins}}}),
			want: []string{"FILTER_TOO_COMPLEX"}},
	}
	cases = append(cases, relationCases(orgID, itemID)...)
	cases = append(cases, documentAbuseCases()...)
	return append(cases, credentialCases(itemID)...)
}

// introspectionAliases is sent last: if it is not refused, it keeps the
// server busy.
var introspectionAliases = abuseCase{name: "1,000 aliases of introspection (__schema)",
	body: gql("{ "+repeated(1000, "a%d: __schema { types { fields { description } } }")+" }", nil),
	want: []string{"TOO_MANY_ALIASES", "QUERY_TOO_COMPLEX"}}

// judge says whether a call is an acceptable answer to a case.
func judge(c *call, want []string, maxTime time.Duration) (bool, string) {
	switch {
	case c.status == 0 && c.transport == "timeout":
		return false, "no answer within " + c.duration().Round(time.Second).String()
	case c.status == 0:
		return false, "no answer: " + c.transport
	case c.status >= 500:
		return false, fmt.Sprintf("HTTP %d", c.status)
	case c.err != nil:
		return false, c.err.Error()
	case c.duration() > maxTime:
		return false, "slow"
	case len(c.errors) == 0:
		if slices.Contains(want, "data") {
			return true, ""
		}
		return false, "answered with data"
	}
	for _, code := range c.codes() {
		ok := slices.Contains(want, code) || slices.Contains(want, "any") && code != "(none)" && code != "INTERNAL_SERVER_ERROR"
		if !ok {
			return false, "unexpected " + code
		}
	}
	return true, ""
}

// answer formats what a call was answered with.
func answer(c *call) string {
	switch {
	case c.status == 0:
		return "(" + c.transport + ")"
	case len(c.errors) > 0:
		return strings.Join(slices.Compact(c.codes()), ", ")
	case c.err != nil:
		return "(not GraphQL)"
	}
	return "data"
}

// proveAbuse sends the abuse set, checking after each request that an
// ordinary query is still answered.
func (h *harness) proveAbuse(ctx context.Context) (*report, error) {
	db, err := h.sharedDatabase(ctx)
	if err != nil {
		return nil, err
	}
	srv, err := h.startServer(ctx, "abuse", db.url, abuseJWTEnv...)
	if err != nil {
		return nil, err
	}
	runID := "abuse" + randomHex(4)
	c := newClient(srv.url, &http.Client{Transport: newTransport(8), Timeout: h.cfg.Timeout}, runID, new(atomic.Int64))
	var ids struct {
		Organizations struct {
			Nodes    []struct{ ID string }
			PageInfo struct{ EndCursor string }
		}
		ActionItems struct{ Nodes []struct{ ID string } }
	}
	prep := c.post(ctx, db.viewer, "prepare", `{ organizations(first: 1) { nodes { id } pageInfo { endCursor } } actionItems(first: 1) { nodes { id } } }`, nil)
	if !prep.ok() || json.Unmarshal(prep.data, &ids) != nil || len(ids.Organizations.Nodes) == 0 || len(ids.ActionItems.Nodes) == 0 {
		return nil, fmt.Errorf("look up IDs: %v %v", prep.err, prep.errors)
	}
	ordinary := func() *call {
		return c.post(ctx, db.viewer, "ordinary", `{ organization(acronym: "SYN0007") { id name } }`, nil)
	}
	idle, _ := scrape(ctx, srv.url)
	smp := startSampler(ctx, srv.url, 200*time.Millisecond)
	r := &report{title: fmt.Sprintf("abuse: each answered within %v, RSS under %s, an ordinary query answered after each", h.cfg.AbuseMaxTime, mib(float64(h.cfg.MaxRSS)))}
	t := table{title: "Abuse set", header: []string{"request", "HTTP", "answer", "time", "bytes", "RSS after", "ordinary query after", "verdict"}}
	var failed []string
	ordinaryFailures := 0
	row := func(name string, status, answerText string, d time.Duration, size int, ok bool, why string) {
		rss := "?"
		if s, ok := scrape(ctx, srv.url); ok {
			rss = mib(s.rss)
		}
		o := ordinary()
		after := fmt.Sprintf("%s %s", answer(o), ms(o.duration()))
		if !o.ok() || o.duration() > h.cfg.AbuseMaxTime {
			ordinaryFailures++
			ok, why = false, strings.TrimPrefix(why+"; ordinary query after failed", "; ")
		}
		verdict := "ok"
		if ok && why == "slow" {
			verdict = "ok, but slow"
		}
		if !ok {
			verdict = "FAIL: " + why
			failed = append(failed, name)
		}
		t.rows = append(t.rows, []string{name, status, answerText, ms(d), fmt.Sprint(size), rss, after, verdict})
	}
	var slowWarnings []string
	for _, ac := range abuseCases(ids.Organizations.Nodes[0].ID, ids.ActionItems.Nodes[0].ID, ids.Organizations.PageInfo.EndCursor) {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		cl := h.sendCase(ctx, c, db, ac)
		ok, why := ac.judge(cl, h.cfg.AbuseMaxTime)
		if ok && cl.duration() > h.cfg.AbuseMaxTime {
			why = "slow"
			slowWarnings = append(slowWarnings, fmt.Sprintf("%s (%s)", ac.name, ms(cl.duration())))
		}
		if h.cfg.Verbose {
			fmt.Fprintf(h.log, "prove: abuse %q: HTTP %d %s in %v\n", ac.name, cl.status, answer(cl), cl.duration())
		}
		row(ac.name, fmt.Sprint(cl.status), answer(cl), cl.duration(), cl.bytes, ok, why)
	}
	inj, err := h.injections(ctx, c, db)
	if err != nil {
		return nil, err
	}
	inj = append(inj, h.documentAbuse(ctx, c, db)...)
	for _, s := range inj {
		row(s.name, counts(s.statuses), counts(s.answers), s.max, s.bytes, s.ok, s.why)
	}
	last := h.sendCase(ctx, c, db, introspectionAliases)
	ok, why := judge(last, introspectionAliases.want, h.cfg.AbuseMaxTime)
	row(introspectionAliases.name, fmt.Sprint(last.status), answer(last), last.duration(), last.bytes, ok, why)

	// A request the client gave up on may still run in the server: wait
	// (up to 2 minutes) until none is in flight.
	busy := time.Now()
	for range 1200 {
		if s, ok := scrape(ctx, srv.url); ok && s.inFlight == 0 || ctx.Err() != nil {
			break
		}
		_ = sleep(ctx, 100*time.Millisecond)
	}
	busyFor := time.Since(busy)
	_ = sleep(ctx, 3*time.Second)
	peak := smp.finish()
	after, _ := scrape(ctx, srv.url)
	peak.rss = max(peak.rss, after.rss)
	r.tables = append(r.tables, t)
	r.add("server busy after the last answer (requests in flight)", "%s", ms(busyFor))
	r.addResources(idle, peak, after)
	alive := !srv.hasExited()
	logErrors, firstError := serverErrors(srv)
	r.add("server log errors", "%d %s", logErrors, firstError)
	r.assert(alive, "the server ran throughout")
	r.assert(len(failed) == 0, "every abusive request answered quickly with a clear error (%d failed: %s)", len(failed), strings.Join(failed, "; "))
	r.add("slower than -abuse-max-time, within the request timeout", "%d %s", len(slowWarnings), strings.Join(slowWarnings, "; "))
	r.assert(ordinaryFailures == 0, "an ordinary query answered after each (%d not)", ordinaryFailures)
	r.assert(peak.rss <= float64(h.cfg.MaxRSS), "server RSS stayed under %s (peak %s)", mib(float64(h.cfg.MaxRSS)), mib(peak.rss))
	if alive {
		r.add("server exit code after SIGTERM", "%d", stopServer(srv))
	}
	return r, nil
}

// sendCase sends one abusive request.
func (h *harness) sendCase(ctx context.Context, c *client, db *database, ac abuseCase) *call {
	method := cmpOr(ac.method, http.MethodPost)
	target := c.url
	if ac.query != "" {
		target += "?" + ac.query
	}
	req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(ac.body))
	if err != nil {
		return &call{kind: ac.name, err: err, transport: "encode", start: time.Now(), end: time.Now()}
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", cmpOr(ac.contentType, "application/json"))
	}
	req.Header.Set("Authorization", "Bearer "+cmpOr(ac.token, db.viewer))
	return c.do(req, ac.name)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// injectionPayloads are hostile strings: SQL injection attempts, LIKE
// wildcards and placeholders.
var injectionPayloads = []string{
	`' OR '1'='1`,
	`'; DROP TABLE organizations; --`,
	`" OR ""="`,
	`') OR pg_sleep(5) IS NULL --`,
	`%' UNION SELECT token_hash, NULL FROM api_tokens --`,
	`%_\`,
	`$1 ? :name @p1`,
	`Robert'); DELETE FROM statistics; --`,
}

// injectionSet is the figures of a family of injection requests.
type injectionSet struct {
	name     string
	n        int
	statuses map[int]int
	answers  map[string]int
	max      time.Duration
	bytes    int
	ok       bool
	why      string
}

// injections sends every injection payload through every string filter of
// every filterable list, through search and the lookups by slug and
// acronym, and as a stored note read back; then checks that no table lost
// or gained rows.
func (h *harness) injections(ctx context.Context, c *client, db *database) ([]injectionSet, error) {
	targets, err := stringFilters(ctx, c, db.admin)
	if err != nil {
		return nil, err
	}
	tables := []string{"organizations", "action_items", "statistics", "api_tokens"}
	before, err := rowCounts(ctx, db.url, tables)
	if err != nil {
		return nil, err
	}
	type req struct {
		query string
		vars  map[string]any
		want  []string
	}
	var filters, lookups []req
	for _, t := range targets {
		for _, op := range []string{"eq", "contains", "containsInsensitive", "startsWith", "in"} {
			for _, p := range injectionPayloads {
				var v any = p
				typ := "String"
				if op == "in" {
					v, typ = []string{p}, "[String!]"
				}
				filters = append(filters, req{fmt.Sprintf("query($v: %s) { %s(first: 1, filter: {%s: {%s: $v}}) { %s } }", typ, t.root, t.field, op, t.selection),
					map[string]any{"v": v}, []string{"data", "BAD_USER_INPUT"}})
			}
		}
	}
	for _, p := range injectionPayloads {
		lookups = append(lookups,
			req{`query($v: String!) { search(text: $v, first: 3) { totalCount } }`, map[string]any{"v": p}, []string{"data", "BAD_USER_INPUT"}},
			req{`query($v: String) { organization(slug: $v) { id } }`, map[string]any{"v": p}, []string{"data", "NOT_FOUND", "BAD_USER_INPUT"}},
			req{`query($v: String) { organization(acronym: $v) { id } }`, map[string]any{"v": p}, []string{"data", "NOT_FOUND", "BAD_USER_INPUT"}},
			req{`query($v: String) { initiative(slug: $v) { id } }`, map[string]any{"v": p}, []string{"data", "NOT_FOUND", "BAD_USER_INPUT"}})
	}
	run := func(name string, reqs []req) injectionSet {
		s := injectionSet{name: name, n: len(reqs), statuses: map[int]int{}, answers: map[string]int{}, ok: true}
		var mu sync.Mutex
		var wg sync.WaitGroup
		next := atomic.Int64{}
		for range 4 {
			wg.Go(func() {
				for {
					i := int(next.Add(1)) - 1
					if i >= len(reqs) || ctx.Err() != nil {
						return
					}
					cl := c.post(ctx, db.admin, "injection", reqs[i].query, reqs[i].vars)
					ok, why := judge(cl, reqs[i].want, h.cfg.AbuseMaxTime)
					mu.Lock()
					s.statuses[cl.status]++
					s.answers[answer(cl)]++
					s.max = max(s.max, cl.duration())
					s.bytes = max(s.bytes, cl.bytes)
					if !ok && s.ok {
						s.ok, s.why = false, fmt.Sprintf("%s in %s", why, clip([]byte(reqs[i].query), 120))
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		s.name = fmt.Sprintf("%s (%d requests)", name, s.n)
		return s
	}
	out := []injectionSet{
		run(fmt.Sprintf("SQL injection in every string filter: %d filters × 5 operators × %d payloads", len(targets), len(injectionPayloads)), filters),
		run("SQL injection in search and lookups by slug and acronym", lookups),
	}
	out = append(out, h.storedInjection(ctx, c, db))
	after, err := rowCounts(ctx, db.url, tables)
	if err != nil {
		return nil, err
	}
	// The stored notes add rows to statistics; nothing else may change.
	n := len(injectionPayloads)
	stored := out[len(out)-1]
	s := injectionSet{name: "row counts unchanged by the injections", statuses: map[int]int{}, answers: map[string]int{}, ok: true}
	for _, t := range tables {
		want := before[t]
		if t == "statistics" && stored.ok {
			want += n
		}
		s.answers[fmt.Sprintf("%s %d→%d", t, before[t], after[t])]++
		if after[t] != want {
			s.ok, s.why = false, fmt.Sprintf("%s had %d rows, now %d", t, before[t], after[t])
		}
	}
	return append(out, s), nil
}

// storedInjection records each payload as a statistic's note, as an
// officer, and reads it back: it must come back verbatim.
func (h *harness) storedInjection(ctx context.Context, c *client, db *database) injectionSet {
	s := injectionSet{name: "SQL injection stored as a note and read back verbatim", statuses: map[int]int{}, answers: map[string]int{}, ok: true}
	var org struct{ Organization struct{ ID string } }
	o := c.post(ctx, db.viewer, "prepare", `query($slug: String) { organization(slug: $slug) { id } }`, map[string]any{"slug": db.officerOrg})
	if !o.ok() || json.Unmarshal(o.data, &org) != nil {
		s.ok, s.why = false, "cannot find the officer's organization"
		return s
	}
	for _, p := range injectionPayloads {
		cl := c.post(ctx, db.officer, "stored", `mutation($in: NewStatistic!) { recordStatistic(input: $in) { statistic { id } } }`,
			map[string]any{"in": map[string]any{"metricKey": syntheticMetric, "value": 1, "asOf": map[string]any{"date": "2026-11-02"},
				"scopeOrganizationId": org.Organization.ID, "note": p}})
		s.n++
		s.statuses[cl.status]++
		s.max = max(s.max, cl.duration())
		var out struct {
			RecordStatistic struct{ Statistic struct{ ID string } }
		}
		if !cl.ok() || json.Unmarshal(cl.data, &out) != nil {
			s.answers[answer(cl)]++
			s.ok, s.why = false, "recordStatistic failed: "+answer(cl)
			continue
		}
		back := c.post(ctx, db.viewer, "stored", `query($id: ID!) { node(id: $id) { ... on Statistic { note } } }`,
			map[string]any{"id": out.RecordStatistic.Statistic.ID})
		s.n++
		s.statuses[back.status]++
		s.max = max(s.max, back.duration())
		var got struct{ Node struct{ Note string } }
		if !back.ok() || json.Unmarshal(back.data, &got) != nil || got.Node.Note != p {
			s.answers["not read back"]++
			s.ok, s.why = false, fmt.Sprintf("note %q read back as %q", p, got.Node.Note)
			continue
		}
		s.answers["verbatim"]++
	}
	s.name = fmt.Sprintf("%s (%d requests)", s.name, s.n)
	return s
}

// filterTarget is a string field of a list's filter.
type filterTarget struct {
	root, field, selection string
}

// stringFilters finds, by introspection, every root list taking a filter
// and the StringFilter fields of that filter.
func stringFilters(ctx context.Context, c *client, token string) ([]filterTarget, error) {
	type typeRef struct {
		Kind, Name string
		OfType     *typeRef
	}
	named := func(t *typeRef) string {
		for t != nil && t.Name == "" {
			t = t.OfType
		}
		if t == nil {
			return ""
		}
		return t.Name
	}
	var schema struct {
		Schema struct {
			QueryType struct {
				Fields []struct {
					Name string
					Args []struct {
						Name string
						Type *typeRef
					}
					Type *typeRef
				}
			}
			Types []struct {
				Name        string
				InputFields []struct {
					Name string
					Type *typeRef
				}
				Fields []struct{ Name string }
			}
		} `json:"__schema"`
	}
	ref := "kind name ofType { kind name ofType { kind name ofType { kind name } } }"
	cl := c.post(ctx, token, "introspection", fmt.Sprintf(`{ __schema {
		queryType { fields { name args { name type { %s } } type { %s } } }
		types { name inputFields { name type { %s } } fields { name } } } }`, ref, ref, ref), nil)
	if !cl.ok() || json.Unmarshal(cl.data, &schema) != nil {
		return nil, fmt.Errorf("introspect the schema: %v %v", cl.err, cl.errors)
	}
	inputs := map[string][]string{} // filter type → its StringFilter fields
	fieldsOf := map[string][]string{}
	for _, t := range schema.Schema.Types {
		for _, f := range t.InputFields {
			if named(f.Type) == "StringFilter" {
				inputs[t.Name] = append(inputs[t.Name], f.Name)
			}
		}
		for _, f := range t.Fields {
			fieldsOf[t.Name] = append(fieldsOf[t.Name], f.Name)
		}
	}
	var out []filterTarget
	for _, f := range schema.Schema.QueryType.Fields {
		for _, a := range f.Args {
			if a.Name != "filter" {
				continue
			}
			ret := fieldsOf[named(f.Type)]
			if !slices.Contains(ret, "totalCount") || !slices.ContainsFunc(f.Args, func(a struct {
				Name string
				Type *typeRef
			}) bool {
				return a.Name == "first"
			}) {
				continue
			}
			for _, field := range inputs[named(a.Type)] {
				out = append(out, filterTarget{root: f.Name, field: field, selection: "totalCount"})
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("introspection found no string filter")
	}
	return out, nil
}

// rowCounts counts the rows of tables.
func rowCounts(ctx context.Context, dbURL string, tables []string) (map[string]int, error) {
	out := map[string]int{}
	err := withConn(ctx, dbURL, func(conn *pgx.Conn) error {
		for _, t := range tables {
			var n int
			if err := conn.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{t}.Sanitize()).Scan(&n); err != nil {
				return err
			}
			out[t] = n
		}
		return nil
	})
	return out, err
}
