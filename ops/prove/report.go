package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// report is what a scenario prints: its figures, and its assertions with
// their outcome.
type report struct {
	title    string
	figures  [][2]string
	tables   []table
	checks   []check
	failures []string
}

type check struct {
	ok   bool
	what string
}

type table struct {
	title  string
	header []string
	rows   [][]string
}

// add records a figure.
func (r *report) add(name, format string, args ...any) {
	r.figures = append(r.figures, [2]string{name, fmt.Sprintf(format, args...)})
}

// assert records an assertion.
func (r *report) assert(ok bool, format string, args ...any) {
	what := fmt.Sprintf(format, args...)
	r.checks = append(r.checks, check{ok, what})
	if !ok {
		r.failures = append(r.failures, what)
	}
}

// print writes the report as Markdown tables.
func (r *report) print(w io.Writer) {
	cell := strings.NewReplacer("|", `\|`, "\n", " ")
	fmt.Fprintf(w, "\n| %s | |\n|---|---|\n", cell.Replace(r.title))
	for _, f := range r.figures {
		fmt.Fprintf(w, "| %s | %s |\n", cell.Replace(f[0]), cell.Replace(f[1]))
	}
	for _, t := range r.tables {
		fmt.Fprintf(w, "\n%s\n\n| %s |\n|%s\n", t.title, strings.Join(t.header, " | "), strings.Repeat("---|", len(t.header)))
		for _, row := range t.rows {
			cells := make([]string, len(row))
			for i, c := range row {
				cells[i] = cell.Replace(c)
			}
			fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
		}
	}
	fmt.Fprintln(w)
	for _, c := range r.checks {
		mark := "ok  "
		if !c.ok {
			mark = "FAIL"
		}
		fmt.Fprintf(w, "%s %s\n", mark, c.what)
	}
}

// collector keeps every call of a run, for the figures computed after it.
// Its size is bounded by the run's bounded loops.
type collector struct {
	mu    sync.Mutex
	start time.Time
	calls []*call
}

func newCollector() *collector { return &collector{start: time.Now()} }

func (c *collector) add(cl *call) {
	cl.data = nil // decoded already; not kept
	c.mu.Lock()
	c.calls = append(c.calls, cl)
	c.mu.Unlock()
}

// snapshot returns the calls recorded so far.
func (c *collector) snapshot() []*call {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.calls)
}

// summary is the figures of a set of calls.
type summary struct {
	n         int
	ok        int
	statuses  map[int]int
	codes     map[string]int // every error code, and transport failures
	fiveXX    int
	latencies []time.Duration
	byKind    map[string][]time.Duration
}

func summarize(calls []*call) summary {
	s := summary{statuses: map[int]int{}, codes: map[string]int{}, byKind: map[string][]time.Duration{}}
	for _, c := range calls {
		s.n++
		if c.ok() {
			s.ok++
		}
		s.statuses[c.status]++
		if c.status >= 500 {
			s.fiveXX++
		}
		switch {
		case c.status == 0:
			s.codes[c.code()]++
		case len(c.errors) > 0:
			for _, code := range c.codes() {
				s.codes[code]++
			}
		case c.err != nil:
			s.codes["undecodable"]++
		}
		s.latencies = append(s.latencies, c.duration())
		s.byKind[c.kind] = append(s.byKind[c.kind], c.duration())
	}
	return s
}

// percentile returns the p-th percentile (0–100) of ds, sorting ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	i := int(float64(len(ds)-1) * p / 100)
	return ds[i]
}

// counts formats a map of counts as "a 3, b 1", largest first.
func counts[K comparable](m map[K]int) string {
	if len(m) == 0 {
		return "none"
	}
	keys := slices.Collect(maps.Keys(m))
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return fmt.Sprint(keys[i]) < fmt.Sprint(keys[j])
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%v: %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

// ms formats a duration in milliseconds.
func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

// mib formats bytes in MiB.
func mib(b float64) string { return fmt.Sprintf("%.0f MiB", b/(1<<20)) }

// addSummary adds the figures of s, over elapsed, to r.
func (r *report) addSummary(s summary, elapsed time.Duration) {
	r.add("requests", "%d in %v (%.0f/s)", s.n, elapsed.Round(time.Millisecond), float64(s.n)/elapsed.Seconds())
	r.add("answered ok", "%d", s.ok)
	r.add("latency p50 / p99 / max", "%s / %s / %s", ms(percentile(s.latencies, 50)), ms(percentile(s.latencies, 99)), ms(percentile(s.latencies, 100)))
	r.add("HTTP statuses", "%s", counts(s.statuses))
	r.add("5xx", "%d", s.fiveXX)
	r.add("errors by code", "%s", counts(s.codes))
	t := table{title: "Latency by operation", header: []string{"operation", "requests", "p50", "p99", "max"}}
	for _, k := range slices.Sorted(maps.Keys(s.byKind)) {
		ds := s.byKind[k]
		t.rows = append(t.rows, []string{k, fmt.Sprint(len(ds)), ms(percentile(ds, 50)), ms(percentile(ds, 99)), ms(percentile(ds, 100))})
	}
	r.tables = append(r.tables, t)
}
