package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Hostile documents and the deadline: documents that cost far more to
// validate than to send (a field repeated thousands of times: gqlparser's
// field-merging rule compares every pair), directives repeated for an
// error each, introspection nested past any use, and requests that run
// past REQUEST_TIMEOUT. Each document is refused by its own limit, with
// one error, in milliseconds; a request past its deadline is answered
// TIMEOUT at the deadline and logged so.

// refusalTime is how long the refusal of a hostile document may take.
const refusalTime = 50 * time.Millisecond

// repeatedField is the document: one field repeated n times.
func repeatedField(name string, n int) string {
	return "query " + name + " { " + strings.Repeat("__typename ", n) + "}"
}

// ofTypes nests ofType n times around name.
func ofTypes(n int) string {
	return strings.Repeat("ofType { ", n) + "name" + strings.Repeat(" }", n)
}

// documentAbuseCases are the hostile documents, one request each.
func documentAbuseCases() []abuseCase {
	spreads := `{ organizations(first: 1) { nodes { ` + strings.Repeat("...F ", 30) + `} } } fragment F on Organization { ` +
		strings.Repeat("name ", 30) + `}`
	refused := func(name, query, code string) abuseCase {
		return abuseCase{name: name, body: gql(query, nil), want: []string{code}, maxTime: refusalTime, maxErrors: 1, maxBytes: 1000}
	}
	return []abuseCase{
		refused("10,000 repeated fields (110 kB)", repeatedField("U1", 10_000), "TOO_MANY_SELECTIONS"),
		refused("5,000 repeated fields", repeatedField("U2", 5_000), "TOO_MANY_SELECTIONS"),
		refused("5,000 repeated fields in an unused fragment", "{ __typename } fragment F on Query { "+strings.Repeat("__typename ", 5000)+"}",
			"TOO_MANY_SELECTIONS"),
		refused("150 fields in one selection set", repeatedField("W", 150), "SELECTION_SET_TOO_LARGE"),
		refused("a fragment of 30 fields spread 30 times in one set", spreads, "SELECTION_SET_TOO_LARGE"),
		refused("1,000 repeated directives on one field", "{ __typename "+strings.Repeat("@include(if: true) ", 1000)+"}", "TOO_MANY_DIRECTIVES"),
		refused("a 50-level introspection ofType chain (__type)", `{ __type(name: "Organization") { `+ofTypes(50)+` } }`, "QUERY_TOO_DEEP"),
		refused("a 50-level introspection ofType chain (__schema)", `{ __schema { types { `+ofTypes(50)+` } } }`, "QUERY_TOO_DEEP"),
		{name: "40 unknown fields: 10 errors and a note", body: gql("{ "+repeated(40, "nope%d")+" }", nil),
			want: []string{"GRAPHQL_VALIDATION_FAILED", "TOO_MANY_ERRORS"}, maxTime: refusalTime, maxErrors: 11, maxBytes: 3000},
	}
}

// judge is judge with the case's own bounds.
func (ac abuseCase) judge(cl *call, maxTime time.Duration) (bool, string) {
	if ac.maxTime > 0 {
		maxTime = min(maxTime, ac.maxTime)
	}
	ok, why := judge(cl, ac.want, maxTime)
	switch {
	case !ok:
		return false, why
	case ac.maxErrors > 0 && len(cl.errors) > ac.maxErrors:
		return false, fmt.Sprintf("%d errors, want at most %d", len(cl.errors), ac.maxErrors)
	case ac.maxBytes > 0 && cl.bytes > ac.maxBytes:
		return false, fmt.Sprintf("%d bytes, want at most %d", cl.bytes, ac.maxBytes)
	}
	return true, ""
}

// deadlineTimeout is the REQUEST_TIMEOUT of the server the deadline checks
// run on: short, for the checks to be.
const deadlineTimeout = time.Second

// documentAbuse runs the checks that are more than one request: four
// hostile documents at once on the abuse server, and, on a server of its
// own with a short REQUEST_TIMEOUT, requests that run past it.
func (h *harness) documentAbuse(ctx context.Context, c *client, db *database) []injectionSet {
	out := []injectionSet{h.fourAtOnce(ctx, c, db)}
	// The limits raised so that a document costly to validate gets to
	// validation, which does not look at the deadline.
	srv, err := h.startServer(ctx, "abuse-deadline", db.url, "REQUEST_TIMEOUT="+deadlineTimeout.String(),
		"MAX_SELECTIONS=100000", "MAX_SELECTION_SET_SIZE=100000", "MAX_QUERY_TOKENS=100000")
	if err != nil {
		return append(out, injectionSet{name: "a server with REQUEST_TIMEOUT=" + deadlineTimeout.String(), why: err.Error(),
			statuses: map[int]int{}, answers: map[string]int{}})
	}
	defer stopServer(srv)
	dc := newClient(srv.url, &http.Client{Transport: newTransport(4), Timeout: h.cfg.Timeout}, c.runID+"d", c.seq)
	return append(out, h.pastDeadline(ctx, dc, db, srv), h.slowBody(ctx, dc, db, srv))
}

// fourAtOnce sends four different 10,000-repeat documents at once.
func (h *harness) fourAtOnce(ctx context.Context, c *client, db *database) injectionSet {
	s := injectionSet{name: "four different 10,000-repeat documents at once", n: 4, statuses: map[int]int{}, answers: map[string]int{}, ok: true}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			cl := c.post(ctx, db.viewer, "four at once", repeatedField(fmt.Sprintf("U%d", 10+i), 10_000), nil)
			ok, why := judge(cl, []string{"TOO_MANY_SELECTIONS"}, refusalTime)
			mu.Lock()
			defer mu.Unlock()
			s.statuses[cl.status]++
			s.answers[answer(cl)]++
			s.max, s.bytes = max(s.max, cl.duration()), max(s.bytes, cl.bytes)
			if !ok && s.ok {
				s.ok, s.why = false, why
			}
		})
	}
	wg.Wait()
	return s
}

// pastDeadlineRepeats is how many times pastDeadline repeats a field:
// validation compares every pair, and 10,000 take about 3.5 s on a quiet
// machine, well past deadlineTimeout (5,000, once 2–5 s, came to 0.9 s
// when the server's CPU per request was cut, and got data).
const pastDeadlineRepeats = 10_000

// pastDeadline sends a document that takes seconds to validate
// (pastDeadlineRepeats, let through by the raised limits): it is answered
// TIMEOUT at the deadline, and logged so, though its validation runs on.
func (h *harness) pastDeadline(ctx context.Context, c *client, db *database, srv *server) injectionSet {
	s := injectionSet{name: fmt.Sprintf("%d repeats let through to validation, REQUEST_TIMEOUT=%v", pastDeadlineRepeats, deadlineTimeout), n: 1,
		statuses: map[int]int{}, answers: map[string]int{}, ok: true}
	cl := c.post(ctx, db.viewer, "past the deadline", repeatedField("Slow", pastDeadlineRepeats), nil)
	s.statuses[cl.status]++
	s.answers[answer(cl)]++
	s.max, s.bytes = cl.duration(), cl.bytes
	ok, why := judge(cl, []string{"TIMEOUT"}, deadlineTimeout+time.Second)
	s.ok, s.why = ok, why
	if logged := loggedOutcome(ctx, srv, cl.reqID); ok && logged != "TIMEOUT" {
		s.ok, s.why = false, "logged as "+logged
	}
	s.answers["logged "+loggedOutcome(ctx, srv, cl.reqID)]++
	return s
}

// slowBody sends a request whose body comes a byte every 100 ms, past the
// deadline: it is answered 408 TIMEOUT at the deadline, and logged so.
func (h *harness) slowBody(ctx context.Context, c *client, db *database, srv *server) injectionSet {
	s := injectionSet{name: fmt.Sprintf("a body sent a byte every 100 ms past REQUEST_TIMEOUT=%v", deadlineTimeout), n: 1,
		statuses: map[int]int{}, answers: map[string]int{}, ok: true}
	fail := func(why string) injectionSet {
		s.ok, s.why = false, why
		return s
	}
	u, err := url.Parse(c.url)
	if err != nil {
		return fail(err.Error())
	}
	conn, err := (&net.Dialer{Timeout: 5 * time.Second}).DialContext(ctx, "tcp", u.Host)
	if err != nil {
		return fail(err.Error())
	}
	defer conn.Close()
	reqID := c.runID + "-slow-body"
	body := string(gql("{ __typename }", nil))
	start := time.Now()
	_ = conn.SetDeadline(start.Add(10 * time.Second))
	fmt.Fprintf(conn, "POST /graphql HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nAuthorization: Bearer %s\r\n"+
		"X-Request-Id: %s\r\nContent-Length: %d\r\n\r\n", u.Host, db.viewer, reqID, len(body))
	go func() {
		for i := range len(body) {
			if _, err := conn.Write([]byte{body[i]}); err != nil || sleep(ctx, 100*time.Millisecond) != nil {
				return
			}
		}
	}()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return fail("no answer: " + err.Error())
	}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	took := time.Since(start)
	s.max, s.bytes = took, len(raw)
	s.statuses[resp.StatusCode]++
	var r struct{ Errors []gqlError }
	_ = json.Unmarshal(raw, &r)
	code := "(none)"
	if len(r.Errors) > 0 {
		code = r.Errors[0].code()
	}
	s.answers[code]++
	logged := loggedOutcome(ctx, srv, reqID)
	s.answers["logged "+logged]++
	switch {
	case resp.StatusCode != http.StatusRequestTimeout || code != "TIMEOUT":
		return fail(fmt.Sprintf("HTTP %d %s", resp.StatusCode, code))
	case took > deadlineTimeout+time.Second:
		return fail("answered after " + ms(took))
	case logged != "TIMEOUT":
		return fail("logged as " + logged)
	}
	return s
}

// loggedOutcome returns the outcome the server logged for the request with
// ID reqID, waiting up to two seconds for its line.
func loggedOutcome(ctx context.Context, srv *server, reqID string) string {
	for range 20 {
		lines, _ := srv.logLines()
		for _, l := range lines {
			var entry struct {
				Msg       string `json:"msg"`
				RequestID string `json:"request_id"`
				Outcome   string `json:"outcome"`
			}
			if json.Unmarshal([]byte(l), &entry) == nil && entry.Msg == "graphql request" && entry.RequestID == reqID {
				return entry.Outcome
			}
		}
		if sleep(ctx, 100*time.Millisecond) != nil {
			break
		}
	}
	return "(no log line)"
}
