package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// maxResponse bounds what is read of a response.
const maxResponse = 64 << 20

// client sends GraphQL requests to a server and records what became of
// each one. Every request carries an X-Request-Id unique to the run, which
// the server echoes and logs, so that a request can be looked for in the
// server's log.
type client struct {
	url   string // the GraphQL endpoint
	hc    *http.Client
	runID string
	seq   *atomic.Int64 // shared by the clients of a run
}

func newClient(base string, hc *http.Client, runID string, seq *atomic.Int64) *client {
	return &client{url: base + "/graphql", hc: hc, runID: runID, seq: seq}
}

// newTransport returns an HTTP transport to the server keeping up to
// conns connections alive.
func newTransport(conns int) *http.Transport {
	return &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		MaxConnsPerHost:     conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
}

// gqlError is an error of a GraphQL response.
type gqlError struct {
	Message    string         `json:"message"`
	Extensions map[string]any `json:"extensions"`
}

// code returns the error's extensions.code, or "(none)".
func (e gqlError) code() string {
	if c, ok := e.Extensions["code"].(string); ok {
		return c
	}
	return "(none)"
}

// call is one request and what became of it.
type call struct {
	kind      string // what it was, for the tables: the operation's name
	reqID     string
	start     time.Time
	end       time.Time
	status    int // 0: no response
	bytes     int
	data      json.RawMessage
	errors    []gqlError
	err       error  // no complete, decodable response
	transport string // the class of err when the exchange failed: refused, reset, eof, timeout…
	reused    bool   // sent on an established (kept-alive) connection
	dialed    bool   // a new connection was attempted for it
}

func (c *call) duration() time.Duration { return c.end.Sub(c.start) }

// code returns the first error's code, "" when there is none, or the
// failure's class when there was no response.
func (c *call) code() string {
	switch {
	case c.err != nil && c.status == 0:
		return "transport:" + c.transport
	case len(c.errors) > 0:
		return c.errors[0].code()
	case c.err != nil:
		return "undecodable"
	}
	return ""
}

// codes returns the codes of all its errors.
func (c *call) codes() []string {
	out := make([]string, 0, len(c.errors))
	for _, e := range c.errors {
		out = append(out, e.code())
	}
	return out
}

// ok reports whether it was answered with 200, data and no error.
func (c *call) ok() bool { return c.err == nil && c.status == http.StatusOK && len(c.errors) == 0 }

// post sends a GraphQL request as JSON.
func (c *client) post(ctx context.Context, token, kind, query string, vars map[string]any) *call {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return &call{kind: kind, err: err, transport: "encode", start: time.Now(), end: time.Now()}
	}
	return c.postBody(ctx, token, kind, body)
}

// postBody sends body as a JSON POST request.
func (c *client) postBody(ctx context.Context, token, kind string, body []byte) *call {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return &call{kind: kind, err: err, transport: "encode", start: time.Now(), end: time.Now()}
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return c.do(req, kind)
}

// do sends req and reads and decodes the whole response.
func (c *client) do(req *http.Request, kind string) *call {
	cl := &call{kind: kind, reqID: fmt.Sprintf("%s-%d", c.runID, c.seq.Add(1))}
	req.Header.Set("X-Request-Id", cl.reqID)
	got := false
	trace := &httptrace.ClientTrace{
		ConnectStart: func(string, string) { cl.dialed = true },
		GotConn: func(info httptrace.GotConnInfo) {
			if !got {
				got, cl.reused = true, info.Reused
			}
		},
	}
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), trace))
	cl.start = time.Now()
	defer func() { cl.end = time.Now() }()
	resp, err := c.hc.Do(req)
	if err != nil {
		cl.err, cl.transport = err, classify(err)
		return cl
	}
	defer resp.Body.Close()
	cl.status = resp.StatusCode
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	cl.bytes = len(body)
	switch {
	case err != nil:
		cl.err, cl.transport = fmt.Errorf("read the response: %w", err), classify(err)
		cl.status = 0 // no complete response
		return cl
	case len(body) > maxResponse:
		cl.err, cl.transport = fmt.Errorf("response larger than %d bytes", maxResponse), "too-large"
		return cl
	}
	var r struct {
		Data   json.RawMessage `json:"data"`
		Errors []gqlError      `json:"errors"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		cl.err = fmt.Errorf("HTTP %d, not a GraphQL response: %s", resp.StatusCode, clip(body, 200))
		return cl
	}
	cl.data, cl.errors = r.Data, r.Errors
	return cl
}

// classify names the way an exchange failed.
func classify(err error) string {
	var netErr net.Error
	switch {
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "reset"
	case errors.Is(err, syscall.EPIPE):
		return "broken-pipe"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "eof"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return "timeout"
	case strings.Contains(err.Error(), "server closed idle connection"):
		return "closed-idle"
	}
	return "other"
}
