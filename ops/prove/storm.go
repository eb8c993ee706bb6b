package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The storm: heavy but valid queries — the shapes that used to time out
// together, a meetings filter with eight `or` branches, a page of 1,000
// initiatives with their partnerships and meetings, a 1,000-result search —
// from stormClients clients at once, each sending its next one as soon as
// it is answered, for a bounded time; then stormBurst of them at the same
// instant. Meanwhile a probe asks { __typename } and /healthz, one after
// the other, as a load balancer and a light client would. Admission control
// must keep the probe quick, let some heavy queries complete, refuse the
// rest with 503 OVERLOADED and Retry-After, and keep the server's memory
// within its budget; nothing may be UNAVAILABLE, and no other 5xx.

const (
	stormClients  = 40
	stormBurst    = 200
	stormProbeP90 = 100 * time.Millisecond
	// stormPause is how long a storm client waits after a refusal before
	// asking again: less than Retry-After, as an impatient client would.
	stormPause = 100 * time.Millisecond
	// stormProbeEvery spaces the probe's requests.
	stormProbeEvery = 20 * time.Millisecond
)

// stormQueries are the heavy shapes.
var stormQueries = []readQuery{
	{"meetings-8-or", `query StormMeetings { meetings(first: 1000, filter: {or: [
		{title: {containsInsensitive: "a"}},
		{participants: {some: {organization: {name: {containsInsensitive: "e"}}}}},
		{initiatives: {some: {title: {containsInsensitive: "o"}}}},
		{place: {name: {containsInsensitive: "i"}}},
		{organizer: {acronym: {containsInsensitive: "s"}}},
		{topics: {some: {name: {containsInsensitive: "t"}}}},
		{attendeeCount: {gt: 5}},
		{date: {gte: "2000-01-01"}}]}) {
		totalCount nodes { id title date { label } place { name } participants { nodes { role organization { name } } } } } }`},
	{"initiatives-1000", `query StormInitiatives { initiatives(first: 1000) { totalCount nodes { id title kind status
		partnerships { nodes { role status organization { acronym name } } }
		meetings(first: 10) { nodes { title date { label } } } } } }`},
	{"search-1000", `query StormSearch { search(text: "meeting", first: 1000) { totalCount nodes { type title snippet rank } } }`},
}

// stormOutcome classifies an answer to a heavy query.
type stormOutcome string

const (
	outcomeCompleted  stormOutcome = "completed"
	outcomeOverloaded stormOutcome = "OVERLOADED"
	outcomeTimeout    stormOutcome = "TIMEOUT"
	outcomeOther      stormOutcome = "other"
)

// stormTally counts the outcomes of heavy queries.
type stormTally struct {
	mu          sync.Mutex
	counts      map[stormOutcome]int
	others      map[string]int // what "other" was: status and code
	unavailable int
	noRetry     int // 503 OVERLOADED without Retry-After
	completed   []time.Duration
	refused     []time.Duration
}

func newStormTally() *stormTally {
	return &stormTally{counts: map[stormOutcome]int{}, others: map[string]int{}}
}

// send posts one heavy query and records its outcome.
func (t *stormTally) send(ctx context.Context, hc *http.Client, url, token string, q readQuery) stormOutcome {
	body, _ := json.Marshal(map[string]any{"query": q.text})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return outcomeOther
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	start := time.Now()
	resp, err := hc.Do(req)
	var b []byte
	status, retry := 0, ""
	if err == nil {
		b, err = io.ReadAll(io.LimitReader(resp.Body, maxResponse))
		resp.Body.Close()
		status, retry = resp.StatusCode, resp.Header.Get("Retry-After")
	}
	took := time.Since(start)
	outcome, detail := classifyStorm(status, b, err)
	if ctx.Err() != nil && err != nil {
		return outcomeOther // cut short by the end of the run: not counted
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.counts[outcome]++
	switch outcome {
	case outcomeCompleted:
		t.completed = append(t.completed, took)
	case outcomeOverloaded:
		t.refused = append(t.refused, took)
		if status != http.StatusServiceUnavailable || retry == "" {
			t.noRetry++
		}
	case outcomeOther:
		t.others[detail]++
	}
	if strings.Contains(detail, "UNAVAILABLE") {
		t.unavailable++
	}
	return outcome
}

// classifyStorm names an answer. A response without errors starts with
// its data (the server writes errors first), so the large ones are not
// decoded: on a two-core machine the clients' CPU is the server's too.
func classifyStorm(status int, body []byte, err error) (stormOutcome, string) {
	if err != nil {
		return outcomeOther, "transport: " + classify(err)
	}
	if status == http.StatusOK && bytes.HasPrefix(body, []byte(`{"data":{`)) {
		return outcomeCompleted, ""
	}
	var r struct{ Errors []gqlError }
	_ = json.Unmarshal(body, &r)
	code := "(none)"
	if len(r.Errors) > 0 {
		code = r.Errors[0].code()
	}
	detail := fmt.Sprintf("HTTP %d %s", status, code)
	switch {
	case code == "OVERLOADED" && status == http.StatusServiceUnavailable:
		return outcomeOverloaded, detail
	case code == "TIMEOUT" && status < 500:
		return outcomeTimeout, detail
	}
	return outcomeOther, detail
}

// stormProbe asks { __typename } and /healthz in turn until stopped.
type stormProbe struct {
	mu       sync.Mutex
	typename []time.Duration
	healthz  []time.Duration
	failures map[string]int
	stop     context.CancelFunc
	done     chan struct{}
}

func startStormProbe(ctx context.Context, base, token string, timeout time.Duration) *stormProbe {
	ctx, cancel := context.WithCancel(ctx)
	p := &stormProbe{failures: map[string]int{}, stop: cancel, done: make(chan struct{})}
	hc := &http.Client{Transport: newTransport(2), Timeout: timeout}
	body := []byte(`{"query":"{ __typename }"}`)
	go func() {
		defer close(p.done)
		for i := 0; i < maxSamples*10 && ctx.Err() == nil; i++ {
			var req *http.Request
			if i%2 == 0 {
				req, _ = http.NewRequestWithContext(ctx, http.MethodPost, base+"/graphql", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+token)
			} else {
				req, _ = http.NewRequestWithContext(ctx, http.MethodGet, base+"/healthz", nil)
			}
			start := time.Now()
			resp, err := hc.Do(req)
			var b []byte
			if err == nil {
				b, _ = io.ReadAll(io.LimitReader(resp.Body, 1<<16))
				resp.Body.Close()
			}
			took := time.Since(start)
			if ctx.Err() != nil {
				return
			}
			p.mu.Lock()
			switch {
			case err != nil:
				p.failures["transport: "+classify(err)]++
			case resp.StatusCode != http.StatusOK:
				p.failures[fmt.Sprintf("%s HTTP %d %s", req.URL.Path, resp.StatusCode, clip(b, 120))]++
			case i%2 == 0 && !bytes.Contains(b, []byte(`"__typename":"Query"`)):
				p.failures["__typename: "+clip(b, 120)]++
			}
			if i%2 == 0 {
				p.typename = append(p.typename, took)
			} else {
				p.healthz = append(p.healthz, took)
			}
			p.mu.Unlock()
			select {
			case <-ctx.Done():
				return
			case <-time.After(stormProbeEvery):
			}
		}
	}()
	return p
}

// finish stops the probe; its figures are then safe to read.
func (p *stormProbe) finish() {
	p.stop()
	<-p.done
}

// rssSampler reads the server's resident memory from /proc every 50 ms:
// /metrics, which the other scenarios scrape, is itself an HTTP request
// that a storm could delay.
type rssSampler struct {
	peak atomic.Int64
	stop context.CancelFunc
	done chan struct{}
}

func startRSSSampler(ctx context.Context, pid int) *rssSampler {
	ctx, cancel := context.WithCancel(ctx)
	s := &rssSampler{stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for range maxSamples * 5 {
			if rss, ok := procStatus(pid, "VmRSS"); ok && rss > s.peak.Load() {
				s.peak.Store(rss)
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

func (s *rssSampler) finish() int64 {
	s.stop()
	<-s.done
	return s.peak.Load()
}

// procStatus returns a memory field of /proc/<pid>/status, in bytes.
func procStatus(pid int, field string) (int64, bool) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || name != field {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		return kb << 10, err == nil
	}
	return 0, false
}

// proveStorm runs the storm against a server of its own and reports.
func (h *harness) proveStorm(ctx context.Context) (*report, error) {
	db, err := h.sharedDatabase(ctx)
	if err != nil {
		return nil, err
	}
	srv, err := h.startServer(ctx, "storm", db.url)
	if err != nil {
		return nil, err
	}
	url := srv.url + "/graphql"
	one := &http.Client{Timeout: h.cfg.Timeout}
	warm := newStormTally()
	for _, q := range stormQueries {
		if o := warm.send(ctx, one, url, db.viewer, q); o != outcomeCompleted {
			return nil, fmt.Errorf("query %s fails on an idle server: %s %v", q.name, o, warm.others)
		}
	}
	idleRSS, _ := procStatus(srv.cmd.Process.Pid, "VmRSS")
	duration := min(h.cfg.Duration, 60*time.Second)
	if h.cfg.Quick {
		duration = min(duration, 8*time.Second)
	}
	r := &report{title: fmt.Sprintf("storm: %d heavy clients for %v, then %d heavy queries at once; { __typename } p90 under %v, RSS under %s",
		stormClients, duration, stormBurst, stormProbeP90, mib(float64(h.cfg.StormMaxRSS)))}
	rss := startRSSSampler(ctx, srv.cmd.Process.Pid)

	// The storm: each client sends its next query as soon as it has its
	// answer, or stormPause after a refusal.
	storm := newStormTally()
	probe := startStormProbe(ctx, srv.url, db.viewer, h.cfg.Timeout)
	hc := &http.Client{Transport: newTransport(stormClients), Timeout: h.cfg.Timeout}
	sctx, cancel := context.WithTimeout(ctx, duration)
	var wg sync.WaitGroup
	began := time.Now()
	for i := range stormClients {
		wg.Go(func() {
			for n := 0; n < 100_000 && sctx.Err() == nil; n++ {
				if storm.send(sctx, hc, url, db.viewer, stormQueries[(i+n)%len(stormQueries)]) == outcomeOverloaded {
					select {
					case <-sctx.Done():
					case <-time.After(stormPause):
					}
				}
			}
		})
	}
	wg.Wait()
	cancel()
	elapsed := time.Since(began)
	probe.finish()
	stormRSS := rss.finish()
	hc.CloseIdleConnections()

	// The burst: stormBurst queries released at the same instant.
	rss = startRSSSampler(ctx, srv.cmd.Process.Pid)
	burst := newStormTally()
	burstProbe := startStormProbe(ctx, srv.url, db.viewer, h.cfg.Timeout)
	bc := &http.Client{Transport: newTransport(stormBurst), Timeout: h.cfg.Timeout}
	gate := make(chan struct{})
	burstBegan := time.Now()
	for i := range stormBurst {
		wg.Go(func() {
			<-gate
			burst.send(ctx, bc, url, db.viewer, stormQueries[i%len(stormQueries)])
		})
	}
	close(gate)
	wg.Wait()
	burstElapsed := time.Since(burstBegan)
	burstProbe.finish()
	burstRSS := rss.finish()
	bc.CloseIdleConnections()
	hwm, _ := procStatus(srv.cmd.Process.Pid, "VmHWM")
	admissionMetrics := scrapeAdmission(ctx, srv.url)

	for _, ph := range []struct {
		name    string
		t       *stormTally
		p       *stormProbe
		elapsed time.Duration
		rss     int64
	}{{"storm", storm, probe, elapsed, stormRSS}, {"burst", burst, burstProbe, burstElapsed, burstRSS}} {
		t, p := ph.t, ph.p
		r.add(ph.name+": heavy completed / OVERLOADED / TIMEOUT / other", "%d / %d / %d / %d in %v",
			t.counts[outcomeCompleted], t.counts[outcomeOverloaded], t.counts[outcomeTimeout], t.counts[outcomeOther], ph.elapsed.Round(time.Millisecond))
		r.add(ph.name+": heavy completed in p50 / p90 / max", "%s / %s / %s",
			ms(percentile(t.completed, 50)), ms(percentile(t.completed, 90)), ms(percentile(t.completed, 100)))
		r.add(ph.name+": OVERLOADED answered in p50 / p90 / max", "%s / %s / %s",
			ms(percentile(t.refused, 50)), ms(percentile(t.refused, 90)), ms(percentile(t.refused, 100)))
		r.add(ph.name+": { __typename } p50 / p90 / p99 / max", "%s / %s / %s / %s (%d probes)",
			ms(percentile(p.typename, 50)), ms(percentile(p.typename, 90)), ms(percentile(p.typename, 99)), ms(percentile(p.typename, 100)), len(p.typename))
		r.add(ph.name+": /healthz p50 / p90 / p99 / max", "%s / %s / %s / %s",
			ms(percentile(p.healthz, 50)), ms(percentile(p.healthz, 90)), ms(percentile(p.healthz, 99)), ms(percentile(p.healthz, 100)))
		r.add(ph.name+": peak server RSS", "%s", mib(float64(ph.rss)))
		r.add(ph.name+": other answers", "%s", counts(t.others))
		r.add(ph.name+": probe failures", "%s", counts(p.failures))

		r.assert(len(p.typename) > 0 && percentile(p.typename, 90) < stormProbeP90, "%s: { __typename } p90 %s under %v",
			ph.name, ms(percentile(p.typename, 90)), stormProbeP90)
		r.assert(t.counts[outcomeCompleted] > 0, "%s: some heavy queries completed (%d)", ph.name, t.counts[outcomeCompleted])
		r.assert(t.unavailable == 0, "%s: no UNAVAILABLE (%d)", ph.name, t.unavailable)
		r.assert(t.counts[outcomeOther] == 0, "%s: no 5xx other than 503 OVERLOADED, no failed exchange (%s)", ph.name, counts(t.others))
		r.assert(t.noRetry == 0, "%s: every OVERLOADED is a 503 with Retry-After (%d without)", ph.name, t.noRetry)
		r.assert(len(p.failures) == 0, "%s: every probe answered 200 (%s)", ph.name, counts(p.failures))
		r.assert(ph.rss < h.cfg.StormMaxRSS, "%s: peak RSS %s under %s", ph.name, mib(float64(ph.rss)), mib(float64(h.cfg.StormMaxRSS)))
	}
	r.add("server RSS idle / high-water mark", "%s / %s", mib(float64(idleRSS)), mib(float64(hwm)))
	r.add("server admission metrics at the end", "%s", admissionMetrics)
	if srv.hasExited() {
		r.assert(false, "the server is still running")
	}
	return r, nil
}

// scrapeAdmission returns the server's admission counters, for the report.
func scrapeAdmission(ctx context.Context, base string) string {
	code, body := get(ctx, &http.Client{Timeout: 5 * time.Second}, base+"/metrics")
	if code != http.StatusOK {
		return fmt.Sprintf("/metrics: HTTP %d", code)
	}
	var out []string
	for line := range strings.SplitSeq(string(body), "\n") {
		if strings.HasPrefix(line, "tracker_admission_") && !strings.Contains(line, "_bucket") {
			out = append(out, strings.TrimPrefix(line, "tracker_admission_"))
		}
	}
	return strings.Join(out, ", ")
}
