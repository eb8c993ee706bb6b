package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"syscall"
	"time"
)

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// loadOptions returns the options of the configured load.
func (h *harness) loadOptions() loadOptions {
	return loadOptions{duration: h.cfg.Duration, concurrency: h.cfg.Concurrency, writeShare: h.cfg.WriteShare, timeout: h.cfg.Timeout}
}

// addResources adds the server's resource figures to r.
func (r *report) addResources(before, peak, after sample) {
	r.add("server RSS before / peak / after", "%s / %s / %s", mib(before.rss), mib(peak.rss), mib(after.rss))
	r.add("server goroutines before / peak / after", "%.0f / %.0f / %.0f", before.goroutines, peak.goroutines, after.goroutines)
	r.add("database connections open, peak", "%.0f", peak.dbOpen)
}

// serverErrors counts the error lines of a server's log.
func serverErrors(srv *server) (int, string) {
	lines, _ := srv.logLines()
	n, first := 0, ""
	for _, l := range lines {
		if strings.Contains(l, `"level":"ERROR"`) {
			if n == 0 {
				first = clip([]byte(l), 300)
			}
			n++
		}
	}
	return n, first
}

// codesExcept returns the error codes of s other than those allowed.
func codesExcept(s summary, allowed ...string) map[string]int {
	out := map[string]int{}
	for code, n := range s.codes {
		if !slices.Contains(allowed, code) {
			out[code] = n
		}
	}
	return out
}

// stopServer stops a server with SIGTERM and waits for it, for scenarios
// that do not test the stop itself.
func stopServer(srv *server) int {
	if srv.hasExited() {
		return srv.state.ExitCode()
	}
	_ = srv.cmd.Process.Signal(syscall.SIGTERM)
	return srv.wait(40 * time.Second)
}

// proveLoad runs the sustained mixed load and counts its writes back.
func (h *harness) proveLoad(ctx context.Context) (*report, error) {
	db, err := h.sharedDatabase(ctx)
	if err != nil {
		return nil, err
	}
	srv, err := h.startServer(ctx, "load", db.url)
	if err != nil {
		return nil, err
	}
	w, err := h.prepareWorkload(ctx, srv, db)
	if err != nil {
		return nil, err
	}
	idle, _ := scrape(ctx, srv.url)
	smp := startSampler(ctx, srv.url, 500*time.Millisecond)
	h.step("load: %v at concurrency %d", h.cfg.Duration, h.cfg.Concurrency)
	l := runLoad(ctx, srv, w, h.loadOptions())
	peak := smp.finish()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	_ = sleep(ctx, 3*time.Second) // let the server settle before the last sample
	after, _ := scrape(ctx, srv.url)
	t, err := countBack(ctx, db.url, l, w.versions)
	if err != nil {
		return nil, err
	}

	r := &report{title: fmt.Sprintf("load: %v at concurrency %d, %.0f%% writes", h.cfg.Duration, h.cfg.Concurrency, h.cfg.WriteShare*100)}
	s := summarize(l.col.snapshot())
	r.addSummary(s, l.elapsed)
	r.addResources(idle, peak, after)
	r.addTally(t)
	alive := !srv.hasExited()
	logErrors, firstError := serverErrors(srv)
	r.add("server log errors", "%d %s", logErrors, firstError)
	r.assert(alive, "the server ran throughout")
	r.assert(s.fiveXX == 0, "no 5xx (%d)", s.fiveXX)
	r.assert(len(codesExcept(s, "CONFLICT")) == 0, "no failed request but CONFLICT on stale versions (%s)", counts(codesExcept(s, "CONFLICT")))
	r.assert(logErrors == 0, "no error in the server's log (%d)", logErrors)
	if alive {
		r.add("server exit code after SIGTERM", "%d", stopServer(srv))
	}
	return r, nil
}
