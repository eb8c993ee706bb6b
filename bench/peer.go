package main

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// A peer is another GraphQL server over the same database, measured beside
// ours with the same queries, concurrency and durations: PostGraphile
// (bench/postgraphile, started by bench/postgraphile/run). A query of the mix
// has a peer document when postgraphile/queries holds one of its name,
// written for PostGraphile 5; PostGraphile 4 names the row ID `id` where 5
// names it `rowId`, so for a peer whose schema has no `rowId` the benchmark
// replaces one with the other.
//
// Before measuring, the peer's response must hold the same data as ours,
// once its unavoidable differences of naming and shape are normalised (see
// normalizePeer): the documents alias PostGraphile's fields to our names.

// peerFiles are PostGraphile's documents of the mix's queries.
//
//go:embed postgraphile/queries/*.graphql
var peerFiles embed.FS

// peerNA says, for each query of the mix without a peer document, why
// PostGraphile cannot answer it as it stands (amber preset, no SQL functions
// added to the database).
var peerNA = map[string]string{
	"frontpage":   "PartialDate labels and the action-item progress (counts, overdue, share done) are computed: they need SQL functions or an aggregates plugin",
	"actionitems": "isOverdue and due labels are computed, and `status in (…)` needs the connection-filter plugin",
	"series":      "the change and change % between points are computed",
	"aggregate":   "grouped counts need the aggregates plugin (@graphile/pg-aggregates)",
	"search":      "full-text ranks and ts_headline snippets need a SQL function",
}

// peerDocument returns PostGraphile's document of the mix query name, or "".
func peerDocument(name string) (string, error) {
	b, err := peerFiles.ReadFile(path.Join("postgraphile/queries", name+".graphql"))
	if os.IsNotExist(err) {
		return "", nil
	}
	return string(b), err
}

// peer is one server measured beside ours.
type peer struct {
	name string // as -peer names it
	gql  *gqlClient
	pid  int  // its process, whose tree's CPU time and memory are read; 0: unknown
	v4   bool // it names row IDs `id` (PostGraphile 4), not `rowId`
}

// newPeer returns the peer name at rawURL (its base URL or its /graphql
// endpoint), with the process pid names (see readPID; "" for none), after
// finding out which PostGraphile it is.
func newPeer(ctx context.Context, name, rawURL, pid string, client *http.Client) (*peer, error) {
	base, err := baseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("-peer %s: %w", name, err)
	}
	p := &peer{name: name, gql: &gqlClient{url: base + "/graphql", http: client}}
	if pid != "" {
		if p.pid, err = readPID(pid); err != nil {
			return nil, fmt.Errorf("-peer-pid %s: %w", name, err)
		}
		if _, _, ok := procUse(p.pid); !ok {
			return nil, fmt.Errorf("-peer-pid %s: no process %d on this machine", name, p.pid)
		}
	}
	return p, p.detect(ctx)
}

// document returns the peer's version of a peer document.
func (p *peer) document(doc string) string {
	if p.v4 {
		return strings.ReplaceAll(doc, "rowId", "id")
	}
	return doc
}

// detect finds out which PostGraphile the peer is.
func (p *peer) detect(ctx context.Context) error {
	var out struct {
		Type *struct{ Fields []struct{ Name string } } `json:"__type"`
	}
	if err := p.gql.query(ctx, `{ __type(name: "Initiative") { fields { name } } }`, nil, &out); err != nil {
		return fmt.Errorf("peer %s: %w", p.name, err)
	}
	if out.Type == nil {
		return fmt.Errorf("peer %s has no type Initiative: is it PostGraphile over the tracker's database?", p.name)
	}
	p.v4 = !slices.ContainsFunc(out.Type.Fields, func(f struct{ Name string }) bool { return f.Name == "rowId" })
	return nil
}

// checkPeer fails unless the peer's response to q, normalised, holds the
// data of ours.
func (q *mixQuery) checkPeer(ctx context.Context, ours []byte, p *peer, vars map[string]any) error {
	resp, err := p.gql.do(ctx, p.document(q.peer), vars)
	if err != nil {
		return fmt.Errorf("%s: peer %s: %w", q.name, p.name, err)
	}
	got, err := normalizePeer(resp.Data)
	if err != nil {
		return fmt.Errorf("%s: peer %s: %w", q.name, p.name, err)
	}
	if d := jsonDiff(ours, got); d != "" {
		return fmt.Errorf("%s: peer %s does not return the server's data (server: ours, floor: the peer's): %s", q.name, p.name, d)
	}
	return nil
}

// normalizePeer rewrites PostGraphile's response data into our shape, the
// mapping BENCHMARKS.md documents:
//
//   - an object with __typename and id (the documents select the row ID as
//     id, next to __typename) gets our global ID, base64url("Type:id"), and
//     loses __typename: PostGraphile's type names are ours;
//   - keys a__b (aliases of columns) fold into an object a with key b, null
//     when all its keys are: PostGraphile has dueOn and duePrecision where
//     we have due { date precision }.
//
// Everything else — field names (aliased), enum values (text in
// PostGraphile), dates, numbers, nulls, list order — must already be equal.
func normalizePeer(data []byte) ([]byte, error) {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, fmt.Errorf("decode response: %w", err)
	}
	v, err := normalizeValue(v)
	if err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

func normalizeValue(v any) (any, error) {
	switch v := v.(type) {
	case []any:
		for i := range v {
			var err error
			if v[i], err = normalizeValue(v[i]); err != nil {
				return nil, err
			}
		}
		return v, nil
	case map[string]any:
		out := make(map[string]any, len(v))
		folded := map[string]map[string]any{}
		for k, x := range v {
			x, err := normalizeValue(x)
			if err != nil {
				return nil, err
			}
			if outer, inner, ok := strings.Cut(k, "__"); ok && outer != "" && inner != "" {
				if folded[outer] == nil {
					folded[outer] = map[string]any{}
				}
				folded[outer][inner] = x
				continue
			}
			out[k] = x
		}
		for k, f := range folded {
			out[k] = nil
			for _, x := range f {
				if x != nil {
					out[k] = f
					break
				}
			}
		}
		if typ, ok := out["__typename"].(string); ok {
			if id, ok := out["id"]; ok {
				var n string
				switch id := id.(type) {
				case string: // BigInt
					n = id
				case float64:
					n = strconv.FormatFloat(id, 'f', -1, 64)
				default:
					return nil, fmt.Errorf("%s id %v: want a row ID", typ, id)
				}
				num, err := strconv.ParseInt(n, 10, 64)
				if err != nil {
					return nil, fmt.Errorf("%s id %q: want a row ID", typ, n)
				}
				out["id"] = globalID(typ, num)
			}
			delete(out, "__typename")
		}
		return out, nil
	}
	return v, nil
}

// peerResult is the measurement of a query on one peer.
type peerResult struct {
	Peer    string  `json:"peer"`
	NA      string  `json:"na,omitempty"` // why the peer cannot run the query; then no stats
	Stats   *stats  `json:"stats,omitempty"`
	PeakRSS float64 `json:"peakResidentBytes,omitempty"` // of its processes
}

// processTree returns the process pid and its descendants (the workers of
// PostGraphile 4's cluster), from /proc.
func processTree(pid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	children := map[int][]int{}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		_, rest, ok := strings.Cut(string(b), ") ")
		f := strings.Fields(rest)
		if !ok || len(f) < 2 {
			continue
		}
		if ppid, err := strconv.Atoi(f[1]); err == nil {
			children[ppid] = append(children[ppid], p)
		}
	}
	tree := []int{pid}
	for i := 0; i < len(tree); i++ {
		tree = append(tree, children[tree[i]]...)
	}
	return tree
}

// procUse returns the CPU seconds (user and system) and the resident bytes
// of a process; false if it is gone.
func procUse(pid int) (cpu, rss float64, ok bool) {
	dir := "/proc/" + strconv.Itoa(pid)
	b, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return 0, 0, false
	}
	_, rest, found := strings.Cut(string(b), ") ")
	f := strings.Fields(rest)
	if !found || len(f) < 22 {
		return 0, 0, false
	}
	ut, err1 := strconv.ParseFloat(f[11], 64)
	st, err2 := strconv.ParseFloat(f[12], 64)
	pages, err3 := strconv.ParseFloat(f[21], 64) // rss, field 24
	if err1 != nil || err2 != nil || err3 != nil {
		return 0, 0, false
	}
	return (ut + st) / clockTicks, pages * float64(os.Getpagesize()), true
}

// probe reads the CPU time and resident memory of the peer's processes, as
// the server's metrics give ours; zero if its process is unknown.
func (p *peer) probe(context.Context) (serverMetrics, error) {
	var m serverMetrics
	if p.pid == 0 {
		return m, nil
	}
	for _, pid := range processTree(p.pid) {
		if cpu, rss, ok := procUse(pid); ok {
			m.CPU += cpu
			m.RSS += rss
		}
	}
	return m, nil
}

// peakRSS samples the peer's resident memory every interval while f runs,
// and returns f's result and the peak.
func (p *peer) peakRSS(ctx context.Context, every time.Duration, f func() (stats, error)) (stats, float64, error) {
	if p.pid == 0 {
		s, err := f()
		return s, 0, err
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var peak float64
	wg.Go(func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			if m, _ := p.probe(ctx); m.RSS > peak {
				peak = m.RSS
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	})
	s, err := f()
	cancel()
	wg.Wait()
	return s, peak, err
}

// keyValues is a repeatable flag of NAME=VALUE pairs, in order.
type keyValues [][2]string

func (kv *keyValues) String() string {
	var s []string
	for _, p := range *kv {
		s = append(s, p[0]+"="+p[1])
	}
	return strings.Join(s, ",")
}

func (kv *keyValues) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" || v == "" {
		return fmt.Errorf("%q: want NAME=VALUE", s)
	}
	*kv = append(*kv, [2]string{k, v})
	return nil
}

// lookup returns the value of name, or "".
func (kv keyValues) lookup(name string) string {
	for _, p := range kv {
		if p[0] == name {
			return p[1]
		}
	}
	return ""
}

// readPID returns the process ID s gives: a number, or a file holding one.
func readPID(s string) (int, error) {
	if n, err := strconv.Atoi(s); err == nil {
		return n, nil
	}
	b, err := os.ReadFile(s)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}
