package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"tracker/models"
)

// GraphQL over Server-Sent Events, the graphql-sse protocol's "distinct
// connections mode" (https://github.com/enisdenjo/graphql-sse/blob/master/PROTOCOL.md):
// a request to /graphql that accepts text/event-stream — POST with a JSON
// body, or GET with the query in the URL as for queries — is answered with
// a stream of `next` events (one per result: a subscription's events, a
// live query's results, or a query's one answer), then `complete`.
// Credentials come in the usual Authorization header, with the same roles
// and rules as queries; each stream is a live connection, bound as
// WebSockets are (in total, per caller, its credential rechecked), pinged
// with a comment line every KeepAlive, and ended when the server drains.
//
// The protocol's "single connection mode" (a reserved stream, operations
// PUT and DELETEd beside it) is not served: it exists for browsers on
// HTTP/1, whose six connections per origin distinct streams would use up;
// over HTTP/2, which any deployment behind a TLS proxy has, distinct
// streams share one connection, and a stream per operation needs no
// server-side state beyond the request.

// isEventStream reports whether r asks for a graphql-sse stream.
func isEventStream(r *http.Request) bool {
	return (r.Method == http.MethodGet || r.Method == http.MethodPost) && !isUpgrade(r) &&
		strings.Contains(r.Header.Get("Accept"), "text/event-stream")
}

// sseTransport is gqlgen's SSE transport, taking the requests that
// isEventStream accepts (sseProtocol has made a GET one a POST); its
// keep-alive comments are sseStream's, written through its writer. An
// operation that answers once is held to the rules of HTTP requests
// (oneShotRules).
type sseTransport struct {
	transport.SSE
	admission *admission
	timeout   time.Duration
}

func (t sseTransport) Supports(r *http.Request) bool { return isEventStream(r) && t.SSE.Supports(r) }

func (t sseTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	t.SSE.Do(w, r, oneShotRules{GraphExecutor: exec, admission: t.admission, timeout: t.timeout})
}

// oneShotRules holds an operation sent over SSE that answers once (a
// query not marked @live, a mutation) to the rules it would have over
// HTTP, so that a stream is no way around them: admission control (a
// refusal is the one result, OVERLOADED) and the request timeout.
// Streaming operations are bound by their connection instead.
type oneShotRules struct {
	graphql.GraphExecutor
	admission *admission
	timeout   time.Duration
}

func (e oneShotRules) DispatchOperation(ctx context.Context, opCtx *graphql.OperationContext) (graphql.ResponseHandler, context.Context) {
	op := opCtx.Operation
	if op == nil || op.Operation == ast.Subscription || (op.Operation == ast.Query && op.Directives.ForName("live") != nil) {
		return e.GraphExecutor.DispatchOperation(ctx, opCtx)
	}
	release := func() {}
	if e.admission != nil {
		var refused *refusal
		if release, refused = e.admission.admit(ctx, opCtx); refused != nil {
			return graphql.OneShot(&graphql.Response{Errors: gqlerror.List{refused.err}}), ctx
		}
	}
	ctx, cancel := context.WithTimeout(ctx, e.timeout)
	h, ctx := e.GraphExecutor.DispatchOperation(ctx, opCtx)
	// One response, then the end: asked again past the deadline, the
	// operation would answer TIMEOUT (traceOperation) again and again.
	var answered atomic.Bool
	return func(ctx context.Context) *graphql.Response {
		if answered.Swap(true) {
			return nil
		}
		defer cancel()
		defer release()
		return h(ctx)
	}, ctx
}

// sseProtocol applies the HTTP rules to a stream request before its
// credentials are checked: a POST body is JSON (415) and bounded (413); a
// GET request's query, variables and extensions become such a body,
// mutations excepted (405: GET must be safe).
func sseProtocol(maxBody int64, maxTokens int, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			body, status, err := getBody(r, maxTokens)
			if err != nil {
				if status == http.StatusMethodNotAllowed {
					w.Header().Set("Allow", "POST")
				}
				writeError(w, status, codeBadRequest, err.Error())
				return
			}
			r = r.Clone(r.Context())
			r.Method = http.MethodPost
			r.Header.Set("Content-Type", mediaJSON)
			r.ContentLength = int64(len(body))
			r.Body = io.NopCloser(bytes.NewReader(body))
			next.ServeHTTP(w, r)
			return
		}
		if !readJSONBody(w, r, maxBody) {
			return
		}
		next.ServeHTTP(w, r)
	})
}

// getBody returns the JSON body standing for the GraphQL request in the URL
// of a GET stream request, or the status and reason refusing it.
func getBody(r *http.Request, maxTokens int) ([]byte, int, error) {
	q := r.URL.Query()
	env := map[string]any{"query": q.Get("query")}
	if name := q.Get("operationName"); name != "" {
		env["operationName"] = name
	}
	for _, k := range []string{"variables", "extensions"} {
		if v := q.Get(k); v != "" {
			if !json.Valid([]byte(v)) {
				return nil, http.StatusBadRequest, requestError(k + " must be a JSON object")
			}
			env[k] = json.RawMessage(v)
		}
	}
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: q.Get("query")}, maxTokens)
	if err == nil {
		if op := doc.Operations.ForName(q.Get("operationName")); op != nil && op.Operation == ast.Mutation {
			return nil, http.StatusMethodNotAllowed, requestError("mutations must be sent by POST")
		}
	}
	b, err := json.Marshal(env)
	if err != nil {
		return nil, http.StatusBadRequest, requestError("the request could not be read")
	}
	return b, 0, nil
}

// sseStream runs an authenticated stream request as a live connection:
// within the caller's bound (429 TOO_MANY_CONNECTIONS beyond it), with
// a liveConn in its context, no write or read deadline (it lasts for
// hours), a comment line every KeepAlive, and an end when its credential
// is revoked or expires (a last `next` with an UNAUTHENTICATED error, then
// `complete`) or the server drains (the stream ends without `complete`,
// which graphql-sse clients take for a lost connection and retry).
func sseStream(store *models.Store, auth AuthOptions, o LiveOptions, lc *liveConnections, m *metrics, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u := models.UserFrom(r.Context())
		release, ok := lc.claim(u)
		if !ok {
			m.liveRefusals.WithLabelValues(transportSSE, codeTooManyConnections).Inc()
			w.Header().Set("Retry-After", "5")
			writeError(w, http.StatusTooManyRequests, codeTooManyConnections,
				"too many live connections for this caller; close one, or try again later")
			return
		}
		defer release()
		rc := http.NewResponseController(w)
		_ = rc.SetWriteDeadline(time.Time{}) // not supported by every writer (httptest's recorder)
		_ = rc.SetReadDeadline(time.Time{})

		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		ctx = context.WithValue(ctx, liveConnKey{}, &liveConn{max: int32(o.MaxSubscriptionsPerConnection), transport: transportSSE})
		sw := &sseWriter{ResponseWriter: w, rc: rc, events: m.liveEvents.WithLabelValues(transportSSE)}
		defer sw.finish()
		go func() {
			tick := time.NewTicker(o.KeepAlive)
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
					sw.comment()
				}
			}
		}()
		go func() {
			switch superviseLive(ctx, store, auth, o, u, r.Header.Get("Authorization"), nil) {
			case endRevoked:
				m.liveRefusals.WithLabelValues(transportSSE, string(models.CodeUnauthenticated)).Inc()
				sw.event("next", `{"errors":[{"message":"the credentials were revoked or expired","extensions":{"code":"UNAUTHENTICATED"}}]}`)
			case endDraining:
				sw.cut()
			}
			cancel()
		}()
		next.ServeHTTP(sw, r.WithContext(ctx))
	})
}

// sseWriteTimeout bounds each write of a stream: a client that stops
// reading blocks its stream's writes once its socket's buffers are full,
// and is disconnected when one has not gone out within it.
const sseWriteTimeout = 30 * time.Second

// sseWriter is the response writer of a stream: one event per write,
// never two at once, each within sseWriteTimeout, comments only once
// gqlgen has begun the stream, and nothing after the stream was cut or
// its handler returned.
type sseWriter struct {
	http.ResponseWriter
	rc      *http.ResponseController
	events  prometheus.Counter
	mu      sync.Mutex
	started bool // gqlgen wrote the stream's first line
	closed  bool
}

func (w *sseWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return len(b), nil
	}
	w.started = true
	if bytes.HasPrefix(b, []byte("event: next\n")) {
		w.events.Inc()
	}
	_ = w.rc.SetWriteDeadline(time.Now().Add(sseWriteTimeout))
	return w.ResponseWriter.Write(b)
}

func (w *sseWriter) Flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.closed {
		_ = w.rc.Flush()
	}
}

// comment writes a keep-alive comment line.
func (w *sseWriter) comment() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.started && !w.closed {
		_ = w.rc.SetWriteDeadline(time.Now().Add(sseWriteTimeout))
		_, _ = w.ResponseWriter.Write([]byte(": ping\n\n"))
		_ = w.rc.Flush()
	}
}

// event writes one event of the server's own.
func (w *sseWriter) event(name, data string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.started && !w.closed {
		_ = w.rc.SetWriteDeadline(time.Now().Add(sseWriteTimeout))
		_, _ = w.ResponseWriter.Write([]byte("event: " + name + "\ndata: " + data + "\n\n"))
		_ = w.rc.Flush()
	}
}

// cut ends the stream where it is: nothing more is written, not even
// complete.
func (w *sseWriter) cut() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
}

// finish stops writes once the handler returns.
func (w *sseWriter) finish() { w.cut() }

// Unwrap gives http.ResponseController the writer underneath.
func (w *sseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
