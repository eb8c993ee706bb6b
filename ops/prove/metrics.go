package main

import (
	"bufio"
	"bytes"
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// sample is what /metrics says about the server's resources at one time.
type sample struct {
	at         time.Time
	rss        float64 // process_resident_memory_bytes
	goroutines float64 // go_goroutines
	dbOpen     float64 // go_sql_open_connections
	dbInUse    float64 // go_sql_in_use_connections
	inFlight   float64 // tracker_graphql_requests_in_flight
}

// scrape reads /metrics once.
func scrape(ctx context.Context, base string) (sample, bool) {
	hc := &http.Client{Timeout: 3 * time.Second}
	code, body := get(ctx, hc, base+"/metrics")
	if code != http.StatusOK {
		return sample{}, false
	}
	s := sample{at: time.Now()}
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		name, value, ok := strings.Cut(line, " ")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		if i := strings.IndexByte(name, '{'); i >= 0 {
			name = name[:i]
		}
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			continue
		}
		switch name {
		case "process_resident_memory_bytes":
			s.rss = v
		case "go_goroutines":
			s.goroutines = v
		case "go_sql_open_connections":
			s.dbOpen = v
		case "go_sql_in_use_connections":
			s.dbInUse = v
		case "tracker_graphql_requests_in_flight":
			s.inFlight = v
		}
	}
	return s, s.rss > 0
}

// sampler scrapes /metrics every interval until stopped, keeping the peak.
type sampler struct {
	mu   sync.Mutex
	peak sample
	n    int
	stop context.CancelFunc
	done chan struct{}
}

// maxSamples bounds a sampler's loop.
const maxSamples = 20_000

func startSampler(ctx context.Context, base string, every time.Duration) *sampler {
	ctx, cancel := context.WithCancel(ctx)
	s := &sampler{stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for range maxSamples {
			if cur, ok := scrape(ctx, base); ok {
				s.mu.Lock()
				s.n++
				if cur.rss > s.peak.rss {
					s.peak.rss = cur.rss
				}
				if cur.goroutines > s.peak.goroutines {
					s.peak.goroutines = cur.goroutines
				}
				if cur.dbOpen > s.peak.dbOpen {
					s.peak.dbOpen = cur.dbOpen
				}
				s.mu.Unlock()
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// finish stops the sampler and returns the peaks it saw.
func (s *sampler) finish() sample {
	s.stop()
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peak
}
