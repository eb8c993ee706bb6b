package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// proveSigterm runs the load on kept-alive connections and sends SIGTERM
// to the server halfway.
func (h *harness) proveSigterm(ctx context.Context) (*report, error) {
	db, err := h.sharedDatabase(ctx)
	if err != nil {
		return nil, err
	}
	const shutdownTimeout = 20 * time.Second
	srv, err := h.startServer(ctx, "sigterm", db.url, "SHUTDOWN_TIMEOUT="+shutdownTimeout.String())
	if err != nil {
		return nil, err
	}
	w, err := h.prepareWorkload(ctx, srv, db)
	if err != nil {
		return nil, err
	}
	var sent atomic.Bool
	var sigAt time.Time
	// A few slow requests (a legitimate filter through a relation, a
	// second or more each) sent just before SIGTERM: the drain must wait
	// for them.
	var slow sync.WaitGroup
	slowCalls := make([]*call, 4)
	slowBody := slowFilterBody()
	go func() {
		if sleep(ctx, h.cfg.SigtermAt-300*time.Millisecond) != nil {
			return
		}
		for i := range slowCalls {
			c := newClient(srv.url, &http.Client{Transport: newTransport(1), Timeout: h.cfg.Timeout}, "slow"+randomHex(4), new(atomic.Int64))
			slow.Go(func() { slowCalls[i] = c.postBody(ctx, w.viewer, "SlowFilter", slowBody) })
		}
		if sleep(ctx, 300*time.Millisecond) != nil {
			return
		}
		h.step("sigterm: SIGTERM to the server")
		sigAt = time.Now()
		_ = srv.cmd.Process.Signal(syscall.SIGTERM)
		sent.Store(true)
	}()
	opts := h.loadOptions()
	opts.oneConnEach = true
	opts.stopAfterFailure = sent.Load
	opts.duration = h.cfg.Duration + shutdownTimeout // ends when every client is refused
	l := runLoad(ctx, srv, w, opts)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	exit := srv.wait(shutdownTimeout + 15*time.Second)
	exitedAt := time.Now()
	slow.Wait()
	if !sent.Load() {
		return nil, fmt.Errorf("the load ended before SIGTERM was sent")
	}
	slowAnswered, slowInFlight := 0, 0
	var slowLast time.Time
	for _, c := range slowCalls {
		if c == nil {
			continue
		}
		l.col.add(c)
		if c.start.Before(sigAt) && c.end.After(sigAt) {
			slowInFlight++
			if c.ok() {
				slowAnswered++
				if c.end.After(slowLast) {
					slowLast = c.end
				}
			}
		}
	}
	lines, err := srv.logLines()
	if err != nil {
		return nil, err
	}
	logged := map[string]bool{}
	stoppedLogged := false
	for _, line := range lines {
		var e struct {
			Msg       string `json:"msg"`
			RequestID string `json:"request_id"`
		}
		if json.Unmarshal([]byte(line), &e) != nil {
			continue
		}
		if e.Msg == "graphql request" {
			logged[e.RequestID] = true
		}
		if strings.HasPrefix(e.Msg, "stopped") {
			stoppedLogged = true
		}
	}
	t, err := countBack(ctx, db.url, l, w.versions)
	if err != nil {
		return nil, err
	}

	// Each request is answered, or unanswered; an unanswered one is a
	// failure if the server accepted it (its log has the request's ID:
	// the server logs every request it reads, once answered, and exited 0
	// after logging "stopped", so nothing it read was cut short), and
	// otherwise a new connection refused or a kept-alive one closed before
	// the server read the request from it.
	type phase struct{ n, answered, refused, unread, acceptedUnanswered, other int }
	var before_, inFlight, after_ phase
	var unansweredIDs []string
	var lastAnswer time.Time
	answeredCodes := map[string]int{}
	otherCodes := map[string]int{}
	calls := l.col.snapshot()
	for _, c := range calls {
		p := &after_
		switch {
		case c.end.Before(sigAt):
			p = &before_
		case c.start.Before(sigAt):
			p = &inFlight
		}
		p.n++
		switch {
		case c.status != 0:
			p.answered++
			if c.end.After(lastAnswer) {
				lastAnswer = c.end
			}
			if c.code() != "" {
				answeredCodes[c.code()]++
			}
		case logged[c.reqID]:
			p.acceptedUnanswered++
			unansweredIDs = append(unansweredIDs, c.reqID)
		case c.transport == "refused":
			p.refused++
		case c.reused && (c.transport == "reset" || c.transport == "eof" || c.transport == "closed-idle"):
			p.unread++
		default:
			p.other++
			otherCodes[c.code()]++
		}
	}
	accepted := before_.answered + inFlight.answered + after_.answered
	unanswered := before_.acceptedUnanswered + inFlight.acceptedUnanswered + after_.acceptedUnanswered

	r := &report{title: fmt.Sprintf("sigterm: SIGTERM at %v into a load at concurrency %d, one kept-alive connection per client",
		h.cfg.SigtermAt, h.cfg.Concurrency)}
	all := summarize(calls)
	r.addSummary(all, l.elapsed)
	r.add("before SIGTERM", "%d requests, %d answered", before_.n, before_.answered)
	r.add("in flight at SIGTERM", "%d: %d answered, %d on a kept-alive connection the server closed before reading them, %d accepted and unanswered",
		inFlight.n, inFlight.answered, inFlight.unread, inFlight.acceptedUnanswered)
	r.add("sent after SIGTERM", "%d: %d answered, %d new connections refused, %d on a kept-alive connection closed before being read, %d accepted and unanswered",
		after_.n, after_.answered, after_.refused, after_.unread, after_.acceptedUnanswered)
	r.add("slow requests (about a second) in flight at SIGTERM", "%d of %d answered with data, the last %s after SIGTERM",
		slowAnswered, slowInFlight, since(sigAt, slowLast))
	r.add("accepted vs answered", "%d accepted (answered, or in the server's log), %d answered", accepted+unanswered, accepted)
	r.add("other failures", "%s", counts(otherCodes))
	r.add("last answer / server exit, after SIGTERM", "%s / %s", since(sigAt, lastAnswer), since(sigAt, exitedAt))
	r.add("server exit code", "%d", exit)
	r.add("errors among answered requests", "%s", counts(answeredCodes))
	r.addTally(t)

	r.assert(before_.n == before_.answered, "every request before SIGTERM answered (%d of %d)", before_.answered, before_.n)
	r.assert(unanswered == 0, "every request the server accepted was answered (%d not%s)", unanswered, sampleOf(unansweredIDs))
	r.assert(len(otherCodes) == 0, "requests around SIGTERM are answered, refused as new connections, or closed unread (others: %s)", counts(otherCodes))
	r.assert(inFlight.answered > 0, "requests in flight at SIGTERM were answered (%d)", inFlight.answered)
	r.assert(slowInFlight > 0 && slowAnswered == slowInFlight, "slow requests in flight at SIGTERM were answered with data (%d of %d)", slowAnswered, slowInFlight)
	r.assert(all.fiveXX == 0, "no 5xx (%s)", counts(all.statuses))
	delete(answeredCodes, "CONFLICT")
	r.assert(len(answeredCodes) == 0, "no error but CONFLICT among answered requests (%s)", counts(answeredCodes))
	r.assert(exit == 0, "the server exited 0 (%d)", exit)
	r.assert(stoppedLogged, `the server logged "stopped"`)
	return r, nil
}

// slowFilterBody is a legitimate but slow query, a second or more: the
// meetings with a participant named like any of 8 names, each condition an
// EXISTS evaluated for every meeting.
func slowFilterBody() []byte {
	ors := make([]map[string]any, 8)
	for i := range ors {
		ors[i] = map[string]any{"participants": map[string]any{"some": map[string]any{
			"person": map[string]any{"name": map[string]any{"containsInsensitive": fmt.Sprintf("zz%d", i)}}}}}
	}
	return gql(`query($f: MeetingFilter) { meetings(filter: $f, first: 5) { totalCount } }`, map[string]any{"f": map[string]any{"or": ors}})
}
