package graph

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	goparser "go/parser"
	"go/token"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	gqlast "github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"tracker/graph/internal/querygen"
	"tracker/models"
	"tracker/models/modelstest"
)

// TestDifferential sends the same queries to two handlers on one store,
// one compiling queries to SQL and one running gqlgen's executor field by
// field (Options.DisableCompiler), as every kind of caller, and checks
// that their HTTP statuses and response bodies are byte-for-byte the
// same: the generator's random queries (DIFF_QUERIES of them per
// database, default 500, from seed DIFF_SEED, default 0, and then the
// seeds that once failed unless DIFF_SEED is given), each followed
// by its next page when it reads cursors back (DIFF_ROOTS=a,b restricts
// them to those root fields), then every query of
// bench/mix, of the README and docs, and of this package's tests. A
// response with an internal error fails the test too: either side has a
// bug. The long run:
//
//	DIFF_QUERIES=10000 go test ./graph -run TestDifferential -count=1
//
// A failure prints the seed, caller, document, variables, a diff of the
// two bodies and the command that runs that seed alone.
func TestDifferential(t *testing.T) {
	t.Parallel() // on databases of its own
	n, start := 500, uint64(0)
	if s := os.Getenv("DIFF_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("DIFF_SEED=%q: %v", s, err)
		}
		start, n = v, 1
	}
	if s := os.Getenv("DIFF_QUERIES"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 0 {
			t.Fatalf("DIFF_QUERIES=%q: want a count", s)
		}
		n = v
	}
	var cfg querygen.Config
	if s := os.Getenv("DIFF_ROOTS"); s != "" {
		cfg.Roots = strings.Split(s, ",")
	}
	replay := replayDocuments(t)
	modelstest.EachParallel(t, func(t *testing.T, d models.Dialect) {
		store := modelstest.Seeded(t, d)
		dt := newDiffTarget(t, store)
		// A value Go's %g writes in exponent form and Postgres plain, set
		// after the samples are read, so that a seed asks what it always has.
		modelstest.MustExec(t, store, "UPDATE statistics SET value = 12345678.25 WHERE id = (SELECT MAX(id) FROM statistics)")
		gen := querygen.New(dt.schema, dt.samples, cfg)
		t.Run("generated", func(t *testing.T) {
			began := time.Now()
			var st diffStats
			seeds := make([]uint64, 0, n+len(diffRegressionSeeds))
			for seed := start; seed < start+uint64(n); seed++ {
				seeds = append(seeds, seed)
			}
			if os.Getenv("DIFF_SEED") == "" {
				seeds = append(seeds, diffRegressionSeeds...)
			}
			for _, seed := range seeds {
				q := gen.Generate(seed)
				role := diffRoles[seed%uint64(len(diffRoles))]
				body := dt.compare(t, d, role, q.Document, q.OperationName, q.Variables, fmt.Sprintf("seed %d", seed),
					fmt.Sprintf("DIFF_SEED=%d TEST_DIALECTS=%s go test ./graph -run 'TestDifferential/%s/generated' -count=1 -v", seed, d, d))
				st.add(body)
				if vars, ok := q.NextPage(body); ok {
					st.add(dt.compare(t, d, role, q.Document, q.OperationName, vars, fmt.Sprintf("seed %d, next page", seed),
						fmt.Sprintf("DIFF_SEED=%d TEST_DIALECTS=%s go test ./graph -run 'TestDifferential/%s/generated' -count=1 -v", seed, d, d)))
					st.pages++
				}
				if t.Failed() && dt.failures >= maxDiffFailures {
					t.Fatalf("stopping after %d failures", dt.failures)
				}
			}
			compiled, fallback := dt.rootFields(t)
			t.Logf("%d queries from seed %d, %d seeds that once failed (%d with a next page) in %v: %s; root fields compiled %v, executed %v", n, start, len(seeds)-n, st.pages, time.Since(began).Round(time.Millisecond), &st, compiled, fallback)
			// A comparison in which the compiler answers nothing proves
			// nothing.
			if n >= 100 && compiled*4 < compiled+fallback {
				t.Errorf("the compiler answered %v of %v root fields; want a quarter at least", compiled, compiled+fallback)
			}
			// A generator whose queries mostly fail proves little.
			if n >= 100 && st.clean*2 < st.total {
				t.Errorf("only %d of %d responses have no error; want most", st.clean, st.total)
			}
		})
		t.Run("replay", func(t *testing.T) {
			var st diffStats
			for i, doc := range replay {
				// Variables the document declares get generated values.
				vars := gen.Variables(uint64(i), doc.op)
				for _, role := range replayRoles {
					st.add(dt.compare(t, d, role, doc.text, doc.op.Name, vars, doc.from,
						fmt.Sprintf("TEST_DIALECTS=%s go test ./graph -run 'TestDifferential/%s/replay' -count=1 -v", d, d)))
				}
				if t.Failed() && dt.failures >= maxDiffFailures {
					t.Fatalf("stopping after %d failures", dt.failures)
				}
			}
			from := map[string]int{}
			for _, doc := range replay {
				from[strings.SplitN(doc.from, ":", 2)[0]]++
			}
			compiled, fallback := dt.rootFields(t)
			t.Logf("%d documents replayed as %v (operations by file: %v): %s; root fields compiled %v, executed %v (generated included)", len(replay), replayRoles, from, &st, compiled, fallback)
		})
	})
}

// rootFields returns how many root fields the compiled handler has
// answered by the compiler and by the executor so far.
func (dt *diffTarget) rootFields(t *testing.T) (compiled, fallback float64) {
	const name = "tracker_query_root_fields_total"
	return metricValue(t, dt.metrics, name, map[string]string{"path": "compiled"}), metricValue(t, dt.metrics, name, map[string]string{"path": "fallback"})
}

// diffRegressionSeeds are seeds of the long run that once failed (see
// docs/compiler.md, "What the differential run found"), sent in every run
// after its own; TestCompiler holds the smallest query of each bug.
var diffRegressionSeeds = []uint64{544, 2378, 2595, 3823, 5241, 5874, 7014, 7343, 7842}

// maxDiffFailures stops a run that fails everywhere.
const maxDiffFailures = 10

// diffRoles are the callers generated queries are sent as, in turn;
// replayRoles those each hand-written query is sent as: the least and the
// most a caller may read.
var (
	diffRoles   = []string{"anonymous", "viewer", "officer", "admin"}
	replayRoles = []string{"anonymous", "admin"}
)

// diffTarget is the two handlers of a differential test on one store.
type diffTarget struct {
	compiled, executed http.Handler
	metrics            *prometheus.Registry // the compiled handler's
	logs               [2]*syncBuffer
	tokens             map[string]string
	schema             *gqlast.Schema
	samples            *querygen.Samples
	failures           int
}

// syncBuffer is a log the handlers may write from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// take returns what was logged since the last call.
func (b *syncBuffer) take() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.b.String()
	b.b.Reset()
	return s
}

func newDiffTarget(t *testing.T, store *models.Store) *diffTarget {
	t.Helper()
	dt := &diffTarget{logs: [2]*syncBuffer{{}, {}}, schema: NewExecutableSchema(Config{Resolvers: &Resolver{}}).Schema()}
	opts := func(log *syncBuffer, disable bool) Options {
		return Options{Auth: AuthOptions{PublicRead: true}, DisableCompiler: disable,
			Logger: slog.New(slog.NewJSONHandler(log, &slog.HandlerOptions{Level: slog.LevelError}))}
	}
	dt.metrics = prometheus.NewRegistry()
	compiledOpts := opts(dt.logs[0], false)
	compiledOpts.Metrics = dt.metrics
	dt.compiled = NewHandler(store, compiledOpts)
	dt.executed = NewHandler(store, opts(dt.logs[1], true))
	viewer, _ := mustToken(t, store, models.RoleViewer, nil, nil)
	officer, _ := mustToken(t, store, models.RoleOfficer, []uint{orgID(t, store, "un-secretariat")}, nil)
	adminTok, _ := mustToken(t, store, models.RoleAdmin, nil, nil)
	dt.tokens = map[string]string{"anonymous": "", "viewer": viewer, "officer": officer, "admin": adminTok}
	dt.samples = &querygen.Samples{}
	for _, q := range querygen.SampleQueries(dt.schema) {
		_, body := dt.send(t, dt.executed, adminTok, q, "", nil)
		if err := dt.samples.Add(body); err != nil {
			t.Fatalf("samples from %s: %v", q, err)
		}
	}
	if len(dt.samples.IDs) < 10 {
		t.Fatalf("samples of %d types, want IDs of every seeded type: %v", len(dt.samples.IDs), dt.samples.IDs)
	}
	return dt
}

// send posts a query to h and returns the status and body.
func (dt *diffTarget) send(t *testing.T, h http.Handler, token, query, operation string, vars map[string]any) (int, []byte) {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "operationName": operation, "variables": vars})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w.Code, w.Body.Bytes()
}

// compare sends one request to both handlers and reports any difference,
// or an internal error in either, and returns the body.
func (dt *diffTarget) compare(t *testing.T, d models.Dialect, role, query, operation string, vars map[string]any, what, rerun string) []byte {
	t.Helper()
	token := dt.tokens[role]
	status1, body1 := dt.send(t, dt.compiled, token, query, operation, vars)
	status2, body2 := dt.send(t, dt.executed, token, query, operation, vars)
	log1, log2 := dt.logs[0].take(), dt.logs[1].take()
	var problems []string
	if status1 != status2 {
		problems = append(problems, fmt.Sprintf("HTTP status %d compiled, %d executed", status1, status2))
	}
	if !bytes.Equal(body1, body2) {
		problems = append(problems, "bodies differ (- compiled, + executed):\n"+cmp.Diff(jsonLines(body1), jsonLines(body2)),
			"compiled body: "+truncate(string(body1), 4000))
	}
	if strings.Contains(log1, compiledFailed) {
		problems = append(problems, "a compiled statement failed: "+log1)
	}
	for i, b := range [][]byte{body1, body2} {
		side := []string{"compiled", "executed"}[i]
		if st := []int{status1, status2}[i]; st >= 500 {
			problems = append(problems, fmt.Sprintf("HTTP status %d (%s)", st, side))
		}
		if bytes.Contains(b, []byte(`"`+string(models.CodeInternal)+`"`)) {
			problems = append(problems, fmt.Sprintf("internal error (%s): %s\nserver log: %s", side, b, []string{log1, log2}[i]))
		}
	}
	if len(problems) > 0 {
		dt.failures++
		varsJSON, _ := json.Marshal(vars)
		request, _ := json.Marshal(map[string]any{"query": query, "operationName": operation, "variables": vars})
		t.Errorf("%s on %s as %s:\n%s\n\ndocument:\n%s\nvariables: %s\n\nreproduce: %s\nor POST to /graphql, as %s:\n%s",
			what, d, role, strings.Join(problems, "\n"), query, varsJSON, rerun, role, request)
	}
	return body1
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// jsonLines returns body indented, a line per value, for a readable diff.
func jsonLines(body []byte) []string {
	var out bytes.Buffer
	if json.Indent(&out, body, "", "  ") != nil {
		return strings.Split(string(body), "\n")
	}
	return strings.Split(out.String(), "\n")
}

// diffStats counts what the responses of a run were.
type diffStats struct {
	total, clean, pages int
	codes               map[string]int // first error code of responses with errors
}

func (s *diffStats) add(body []byte) {
	s.total++
	var r struct{ Errors []gqlError }
	_ = json.Unmarshal(body, &r)
	if len(r.Errors) == 0 {
		s.clean++
		return
	}
	if s.codes == nil {
		s.codes = map[string]int{}
	}
	s.codes[r.Errors[0].Code()]++
}

func (s *diffStats) String() string {
	return fmt.Sprintf("%d responses, %d without errors; first error codes of the others: %v", s.total, s.clean, s.codes)
}

// replayDocument is a query document written by hand, and one of its
// operations.
type replayDocument struct {
	text, from string
	op         *gqlast.OperationDefinition
}

// replayDocuments returns the queries of bench/mix, of the README and the
// docs, of graph/testdata, and of this package's tests (every string
// literal that parses as a document of queries only), one per operation.
func replayDocuments(t *testing.T) []replayDocument {
	t.Helper()
	var out []replayDocument
	seen := map[string]bool{}
	add := func(text, from string) {
		doc, err := parser.ParseQuery(&gqlast.Source{Input: text})
		if err != nil || len(doc.Operations) == 0 || seen[text] {
			return
		}
		seen[text] = true
		for _, op := range doc.Operations {
			if op.Operation != gqlast.Query {
				return // writes would change what the other handler reads
			}
		}
		for _, op := range doc.Operations {
			out = append(out, replayDocument{text: text, from: from, op: op})
		}
	}
	files, err := filepath.Glob("../bench/mix/*.graphql")
	if err != nil {
		t.Fatal(err)
	}
	testdata, _ := filepath.Glob("testdata/*.graphql")
	for _, f := range append(files, testdata...) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		add(string(b), f)
	}
	if len(files) < 5 {
		t.Fatalf("found %d queries in bench/mix, want 5", len(files))
	}
	docs, _ := filepath.Glob("../docs/*.md")
	for _, f := range append([]string{"../README.md"}, docs...) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for rest := string(b); ; {
			lang, body, next, ok := nextFence(rest)
			if !ok {
				break
			}
			rest = next
			if lang == "graphql" {
				add(body, f+": "+firstLine(body))
			}
		}
	}
	tests, err := filepath.Glob("*_test.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, f := range tests {
		file, err := goparser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err == nil && strings.ContainsAny(s, "{") {
				add(s, fset.Position(lit.Pos()).String())
			}
			return true
		})
	}
	slices.SortStableFunc(out, func(a, b replayDocument) int { return strings.Compare(a.from, b.from) })
	return out
}
