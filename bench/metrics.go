package main

import (
	"bufio"
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// serverMetrics are the figures read from the server's Prometheus metrics.
type serverMetrics struct {
	RSS        float64 `json:"residentBytes"`      // process_resident_memory_bytes
	Goroutines float64 `json:"goroutines"`         // go_goroutines
	InUse      float64 `json:"dbInUseConnections"` // go_sql_in_use_connections
	Open       float64 `json:"dbOpenConnections"`  // go_sql_open_connections
	CPU        float64 `json:"cpuSeconds"`         // process_cpu_seconds_total
	Alloc      float64 `json:"allocatedBytes"`     // go_memstats_alloc_bytes_total
}

// monitor polls the server's /metrics and keeps the peak resident memory,
// over the whole run and since the last call to phase.
type monitor struct {
	url  string
	http *http.Client

	mu            sync.Mutex
	overall, last float64 // peaks
	errors        int     // failed scrapes
}

// maxScrapes bounds the polling loop (a day at 200 ms).
const maxScrapes = 432_000

// run polls every interval until ctx is done.
func (m *monitor) run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for range maxScrapes {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := m.scrape(ctx); err != nil && ctx.Err() == nil {
			m.mu.Lock()
			m.errors++
			m.mu.Unlock()
		}
	}
}

// phase returns the peak resident memory since the previous call.
func (m *monitor) phase() float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := m.last
	m.last = 0
	return p
}

// peak returns the peak resident memory of the whole run and the number of
// scrapes that failed.
func (m *monitor) peak() (float64, int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.overall, m.errors
}

// settle reads the metrics until the server is idle and returns the last
// reading. Without a baseline, idle means two readings 200 ms apart with the
// same goroutines and connections in use; with one, it means goroutines and
// connections in use back to the baseline. It gives up after settleTimeout,
// returning the last reading: the caller judges it.
func (m *monitor) settle(ctx context.Context, baseline *serverMetrics) (serverMetrics, error) {
	prev, err := m.scrape(ctx)
	if err != nil {
		return prev, err
	}
	for range int(settleTimeout / (200 * time.Millisecond)) {
		if baseline != nil && prev.Goroutines <= baseline.Goroutines && prev.InUse <= baseline.InUse {
			return prev, nil
		}
		select {
		case <-ctx.Done():
			return prev, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
		cur, err := m.scrape(ctx)
		if err != nil {
			return cur, err
		}
		if baseline == nil && cur.Goroutines == prev.Goroutines && cur.InUse == prev.InUse {
			return cur, nil
		}
		prev = cur
	}
	return prev, nil
}

// scrape reads the server's metrics once and records its resident memory.
func (m *monitor) scrape(ctx context.Context) (serverMetrics, error) {
	var sm serverMetrics
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.url, nil)
	if err != nil {
		return sm, err
	}
	resp, err := m.http.Do(req)
	if err != nil {
		return sm, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return sm, fmt.Errorf("GET %s: HTTP %d", m.url, resp.StatusCode)
	}
	want := map[string]*float64{
		"process_resident_memory_bytes": &sm.RSS,
		"go_goroutines":                 &sm.Goroutines,
		"go_sql_in_use_connections":     &sm.InUse,
		"go_sql_open_connections":       &sm.Open,
		"process_cpu_seconds_total":     &sm.CPU,
		"go_memstats_alloc_bytes_total": &sm.Alloc,
	}
	found := 0
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		name, rest, _ := strings.Cut(line, " ")
		name, _, _ = strings.Cut(name, "{")
		if p, ok := want[name]; ok {
			// The value follows the last space of labels, if any.
			v, err := strconv.ParseFloat(rest[strings.LastIndexByte(rest, ' ')+1:], 64)
			if err != nil {
				return sm, fmt.Errorf("metric %s: %w", name, err)
			}
			*p = v
			found++
		}
	}
	if err := sc.Err(); err != nil {
		return sm, err
	}
	if found < len(want) {
		return sm, fmt.Errorf("%s lacks some of the metrics %s", m.url, strings.Join(slices.Sorted(maps.Keys(want)), ", "))
	}
	m.mu.Lock()
	m.overall, m.last = max(m.overall, sm.RSS), max(m.last, sm.RSS)
	m.mu.Unlock()
	return sm, nil
}
