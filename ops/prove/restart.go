package main

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// readyzProbe polls /readyz and records when its answer changes.
type readyzProbe struct {
	mu      sync.Mutex
	changes []readyzChange
	stop    context.CancelFunc
	done    chan struct{}
}

type readyzChange struct {
	at     time.Time
	status int
}

func startReadyzProbe(ctx context.Context, base string, every time.Duration) *readyzProbe {
	ctx, cancel := context.WithCancel(ctx)
	p := &readyzProbe{stop: cancel, done: make(chan struct{})}
	hc := &http.Client{Timeout: 2 * time.Second}
	go func() {
		defer close(p.done)
		last := -1
		for range maxSamples {
			code, _ := get(ctx, hc, base+"/readyz")
			if ctx.Err() != nil {
				return
			}
			if code != last {
				p.mu.Lock()
				p.changes = append(p.changes, readyzChange{time.Now(), code})
				p.mu.Unlock()
				last = code
			}
			if sleep(ctx, every) != nil {
				return
			}
		}
	}()
	return p
}

func (p *readyzProbe) finish() []readyzChange {
	p.stop()
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.changes)
}

// proveRestart runs the load on a private Postgres cluster, which it stops
// and starts again in the middle.
func (h *harness) proveRestart(ctx context.Context) (*report, error) {
	if least := h.cfg.Down + 15*time.Second; h.cfg.Duration < least {
		return nil, fmt.Errorf("restart needs -duration of at least -down + 15 s: %v", least)
	}
	cl, err := h.newCluster(ctx)
	if err != nil {
		return nil, err
	}
	dbURL, err := createDatabase(ctx, cl.serverURL(), "tracker")
	if err != nil {
		return nil, err
	}
	db, err := h.seed(ctx, dbURL)
	if err != nil {
		return nil, err
	}
	srv, err := h.startServer(ctx, "restart", dbURL)
	if err != nil {
		return nil, err
	}
	w, err := h.prepareWorkload(ctx, srv, db)
	if err != nil {
		return nil, err
	}

	idle, _ := scrape(ctx, srv.url)
	smp := startSampler(ctx, srv.url, 500*time.Millisecond)
	probe := startReadyzProbe(ctx, srv.url, 100*time.Millisecond)
	stopAt := h.cfg.Duration * 35 / 100
	var stopBegan, stopped, startBegan, started time.Time
	var restartErr error
	restarted := make(chan struct{})
	go func() {
		defer close(restarted)
		if sleep(ctx, stopAt) != nil {
			return
		}
		h.step("restart: stopping Postgres (%s)", h.cfg.StopMode)
		stopBegan = time.Now()
		if restartErr = cl.stop(ctx, h.cfg.StopMode); restartErr != nil {
			return
		}
		stopped = time.Now()
		if sleep(ctx, h.cfg.Down) != nil {
			return
		}
		h.step("restart: starting Postgres")
		startBegan = time.Now()
		if restartErr = cl.start(ctx); restartErr != nil {
			return
		}
		started = time.Now()
	}()
	l := runLoad(ctx, srv, w, h.loadOptions())
	<-restarted
	peak := smp.finish()
	changes := probe.finish()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if restartErr != nil {
		return nil, fmt.Errorf("restart Postgres: %w", restartErr)
	}
	if started.IsZero() {
		return nil, fmt.Errorf("the load (%v) ended before Postgres was restarted: lengthen -duration", h.cfg.Duration)
	}
	_ = sleep(ctx, 3*time.Second)
	after, _ := scrape(ctx, srv.url)
	alive := !srv.hasExited()
	// An ordinary read and write after the load.
	c := newClient(srv.url, &http.Client{Timeout: h.cfg.Timeout}, l.runID+"-after", &l.seq)
	readAfter := c.post(ctx, w.viewer, "after", w.reads[0].text, w.readVars)
	t, err := countBack(ctx, dbURL, l, w.versions)
	if err != nil {
		return nil, err
	}

	calls := l.col.snapshot()
	var during, recovery, steady []*call
	var firstOKRead, firstOKWrite, lastFailure time.Time
	for _, c := range calls {
		failed := !c.ok() && c.code() != "CONFLICT"
		switch {
		case c.end.Before(stopBegan):
			continue
		case c.start.Before(started):
			during = append(during, c)
		default:
			recovery = append(recovery, c)
		}
		if c.start.After(started) {
			write := c.kind == "RecordStatistic" || c.kind == "UpdateActionItemStatus"
			if c.ok() && !write && (firstOKRead.IsZero() || c.end.Before(firstOKRead)) {
				firstOKRead = c.end
			}
			if c.ok() && write && (firstOKWrite.IsZero() || c.end.Before(firstOKWrite)) {
				firstOKWrite = c.end
			}
		}
		if failed && c.end.After(lastFailure) {
			lastFailure = c.end
		}
	}
	// Steady: from 5 s after the last failure (or the restart) on.
	settled := started
	if lastFailure.After(settled) {
		settled = lastFailure
	}
	for _, c := range recovery {
		if c.start.After(settled) {
			steady = append(steady, c)
		}
	}

	r := &report{title: fmt.Sprintf("restart: Postgres stopped (%s) at %v for %v, during a %v load at concurrency %d",
		h.cfg.StopMode, stopAt, h.cfg.Down, h.cfg.Duration, h.cfg.Concurrency)}
	all := summarize(calls)
	r.addSummary(all, l.elapsed)
	r.add("Postgres stop took / down / start took", "%s / %s / %s", ms(stopped.Sub(stopBegan)), ms(startBegan.Sub(stopped)), ms(started.Sub(startBegan)))
	sd := summarize(during)
	r.add("during the outage (calls overlapping stop → started)", "%d: %d ok; statuses %s; codes %s", sd.n, sd.ok, counts(sd.statuses), counts(sd.codes))
	r.add("readyz", "%s", describeReadyz(changes, l.start))
	r.add("first ok read / write after Postgres was up", "%s / %s", since(started, firstOKRead), since(started, firstOKWrite))
	r.add("last failed request ended, after Postgres was up", "%s", since(started, lastFailure))
	ss := summarize(steady)
	r.add("after recovery", "%d requests, %d ok; codes %s", ss.n, ss.ok, counts(ss.codes))
	r.addResources(idle, peak, after)
	r.addTally(t)
	logErrors, _ := serverErrors(srv)
	r.add("server log errors", "%d", logErrors)

	r.assert(alive, "the server did not crash")
	r.assert(all.statuses[500] == 0 && all.statuses[502] == 0 && all.fiveXX == all.statuses[503],
		"no 5xx but 503 from authentication while the database is down (%s)", counts(all.statuses))
	unclear := codesExcept(all, "CONFLICT", "UNAVAILABLE", "TIMEOUT")
	r.assert(len(unclear) == 0, "every failure is a clear UNAVAILABLE or TIMEOUT (others: %s)", counts(unclear))
	outside := 0
	for _, c := range calls {
		if !c.ok() && c.code() != "CONFLICT" && c.end.Before(stopBegan) {
			outside++
		}
	}
	r.assert(outside == 0, "no failure before Postgres stopped (%d)", outside)
	r.assert(sd.n > sd.ok, "clients saw the outage (%d of %d failed)", sd.n-sd.ok, sd.n)
	r.assert(!firstOKRead.IsZero() && !firstOKWrite.IsZero(), "reads and writes succeeded again after the restart")
	r.assert(!lastFailure.After(started.Add(10*time.Second)), "failures stopped within 10 s of Postgres being up (%s)", since(started, lastFailure))
	r.assert(ss.n > 0 && ss.n == ss.ok+ss.codes["CONFLICT"], "after recovery every request succeeded (%d of %d)", ss.ok, ss.n)
	r.assert(len(changes) > 0 && changes[len(changes)-1].status == http.StatusOK, "/readyz answers 200 again")
	r.assert(readAfter.ok(), "an ordinary query after the load succeeds")
	if alive {
		r.add("server exit code after SIGTERM", "%d", stopServer(srv))
	}
	return r, nil
}

// since formats t relative to from, or "never".
func since(from, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return ms(t.Sub(from))
}

// describeReadyz formats the changes of /readyz relative to start.
func describeReadyz(changes []readyzChange, start time.Time) string {
	parts := make([]string, len(changes))
	for i, c := range changes {
		parts[i] = fmt.Sprintf("%d at %.1f s", c.status, c.at.Sub(start).Seconds())
	}
	return strings.Join(parts, " → ")
}
