package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/coder/websocket"
	"github.com/vektah/gqlparser/v2/ast"

	"tracker/models"
)

// Live updates: subscriptions over graphql-transport-ws on /graphql. A
// connection authenticates once, in connection_init; each event of
// models.Changes is then resolved for each subscriber as a query would be
// (the row reloaded through the read path, the subscriber's filter and
// visibility applied), so a subscriber only ever sees what it could read.

// LiveOptions configure live updates, over WebSocket and SSE.
type LiveOptions struct {
	// OriginPatterns are the origins (host patterns, as
	// github.com/coder/websocket matches them: "dash.example.org",
	// "*.example.org") from which a browser may open a WebSocket; a
	// cross-origin upgrade from any other origin is refused with 403.
	// Empty allows same-origin upgrades only.
	OriginPatterns []string
	// MaxSubscriptionsPerConnection bounds the subscriptions one
	// connection holds at once (default 20).
	MaxSubscriptionsPerConnection int
	// MaxConnections bounds the live connections (WebSocket and SSE) the
	// handler holds at once (default 1,000); beyond it an upgrade or a
	// stream request is refused with 503 OVERLOADED and Retry-After,
	// before anything is read from it.
	MaxConnections int
	// KeepAlive is how often the server pings an idle connection
	// (default 15 s).
	KeepAlive time.Duration
	// InitTimeout is how long a connection may take to send
	// connection_init (default 10 s).
	InitTimeout time.Duration
	// Recheck is how often a connection's credential is checked again
	// (default 30 s): a revoked API token ends its connections with 4403
	// within this (plus the token cache's 5 s on other replicas). A
	// connection also ends at its credential's expiry.
	Recheck time.Duration
	// MaxConnectionsPerCaller bounds the live connections (WebSocket and
	// SSE together) one caller — one User.Subject — holds at once
	// (default 20); beyond it a WebSocket is closed with 1013 at
	// connection_init and an SSE request refused with 429
	// TOO_MANY_CONNECTIONS. Anonymous connections are bound by
	// MaxConnections only.
	MaxConnectionsPerCaller int
	// SendQueue bounds the messages waiting to be written to one
	// WebSocket (default 64): a client that does not read what it is
	// sent fills it, and is then closed with 4413 rather than allowed to
	// grow the server's memory.
	SendQueue int
	// IdleTimeout closes a WebSocket that has held no operation for this
	// long (default 5 min) with 1000.
	IdleTimeout time.Duration
	// Drain, once drained, ends every live connection: a WebSocket with
	// 1001 (going away), an SSE stream without its complete event, so
	// that clients reconnect, to another replica. The server drains it on
	// SIGTERM once the HTTP drain has begun. Nil: never.
	Drain *LiveDrain
}

// LiveDrain ends the live connections of the handlers it is given to
// (LiveOptions.Drain) when the server shuts down.
type LiveDrain struct {
	once  sync.Once
	done  chan struct{}
	mu    sync.Mutex
	conns []*liveConnections
}

// NewLiveDrain returns a LiveDrain not yet drained.
func NewLiveDrain() *LiveDrain { return &LiveDrain{done: make(chan struct{})} }

// Drain ends every live connection and waits until they are gone, or ctx
// ends. Live connections opened from now on end at once.
func (d *LiveDrain) Drain(ctx context.Context) error {
	d.once.Do(func() { close(d.done) })
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if d.open() == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d live connections still open: %w", d.open(), ctx.Err())
		case <-tick.C:
		}
	}
}

// draining returns a channel closed once Drain is called (nil, never
// closed, for a nil d).
func (d *LiveDrain) draining() <-chan struct{} {
	if d == nil {
		return nil
	}
	return d.done
}

func (d *LiveDrain) track(lc *liveConnections) {
	if d != nil {
		d.mu.Lock()
		d.conns = append(d.conns, lc)
		d.mu.Unlock()
	}
}

func (d *LiveDrain) open() int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	var n int64
	for _, lc := range d.conns {
		n += lc.open.Load()
	}
	return n
}

// Defaults of LiveOptions.
const (
	defaultMaxSubscriptions = 20
	defaultMaxConnections   = 1000
	defaultKeepAlive        = 15 * time.Second
	defaultInitTimeout      = 10 * time.Second
	defaultRecheck          = 30 * time.Second
	defaultMaxPerCaller     = 20
	defaultSendQueue        = 64
	defaultIdleTimeout      = 5 * time.Minute
)

func (o LiveOptions) withDefaults() LiveOptions {
	if o.MaxSubscriptionsPerConnection <= 0 {
		o.MaxSubscriptionsPerConnection = defaultMaxSubscriptions
	}
	if o.MaxConnections <= 0 {
		o.MaxConnections = defaultMaxConnections
	}
	if o.KeepAlive <= 0 {
		o.KeepAlive = defaultKeepAlive
	}
	if o.InitTimeout <= 0 {
		o.InitTimeout = defaultInitTimeout
	}
	if o.Recheck <= 0 {
		o.Recheck = defaultRecheck
	}
	if o.MaxConnectionsPerCaller <= 0 {
		o.MaxConnectionsPerCaller = defaultMaxPerCaller
	}
	if o.SendQueue <= 0 {
		o.SendQueue = defaultSendQueue
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = defaultIdleTimeout
	}
	return o
}

// Close codes of graphql-transport-ws used here, and the WebSocket
// codes (RFC 6455) of the server's own limits.
const (
	closeBadRequest       = 4400 // a message that is not one of the protocol's
	closeUnauthorized     = 4401 // an operation before connection_ack
	closeForbidden        = 4403 // connection_init without acceptable credentials
	closeInitTimeout      = 4408 // no connection_init in time
	closeDuplicateID      = 4409 // a subscribe reusing the ID of a running operation
	closeTooManyInits     = 4429 // a second connection_init
	closeServerError      = 4500 // the credentials could not be checked
	closeIdle             = 1000 // no operation for IdleTimeout
	closeGoingAway        = 1001 // the server is draining: reconnect elsewhere
	closeSlowConsumer     = 4413 // the send queue is full: the client does not read (not RFC 6455's 1008, which graphql-ws clients never retry)
	closeTooManyForCaller = 1013 // MaxConnectionsPerCaller reached: try again later
)

// liveSession is shared by a connection's InitFunc, its supervisor and
// its codedConn: the close code to send when the connection is ended from
// the server side (gqlgen closes a canceled connection with 1000), and
// the operations it runs, for the idle timeout.
type liveSession struct {
	mu     sync.Mutex
	code   int    // 0: none chosen
	reason string // of code
	sent   int    // the close code sent, for the log and metrics
	active map[string]bool
	idle   time.Time // since when no operation runs
	cancel context.CancelFunc
}

type liveSessionKey struct{}

// withLiveSession gives each upgrade request its liveSession.
func withLiveSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := &liveSession{active: map[string]bool{}, idle: time.Now()}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), liveSessionKey{}, s)))
	})
}

// end chooses the code the connection closes with (the first chosen
// wins) and ends it.
func (s *liveSession) end(code int, reason string) {
	s.mu.Lock()
	if s.code == 0 {
		s.code, s.reason = code, reason
	}
	cancel := s.cancel
	s.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

// chosen returns the code chosen by end, if any.
func (s *liveSession) chosen() (int, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.code, s.reason
}

// idleSince returns since when the connection runs no operation (zero
// while it runs one).
func (s *liveSession) idleSince() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.active) > 0 {
		return time.Time{}
	}
	return s.idle
}

// start notes operation id; it reports false when one runs under that ID.
func (s *liveSession) start(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.active[id] {
		return false
	}
	s.active[id] = true
	return true
}

// stop notes that operation id ended.
func (s *liveSession) stop(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.active[id] {
		delete(s.active, id)
		if len(s.active) == 0 {
			s.idle = time.Now()
		}
	}
}

// protocolCodes wraps a WebSocket implementation so that the connection's
// close codes are graphql-transport-ws's where gqlgen uses a generic one,
// and gives each connection a bounded send queue:
//
//   - gqlgen closes a connection with 1002 (protocol error) where the
//     protocol asks for 4408 (no connection_init in time), 4401 (a
//     message other than connection_init before connection_ack), 4429 (a
//     second connection_init) or 4400 (anything else it cannot take);
//   - gqlgen runs a subscribe that reuses the ID of a running operation
//     (losing its hold on the first), where the protocol closes with 4409;
//   - gqlgen writes each message at once, blocking the operation while
//     the client does not read; here messages wait in a queue of
//     LiveOptions.SendQueue, written in order by one writer, and a
//     connection whose queue is full is closed with 4413.
type protocolCodes struct {
	transport.WebsocketImplementation
	queue   int
	metrics *metrics
}

// Accept accepts the connection and wraps it.
func (p protocolCodes) Accept(w http.ResponseWriter, r *http.Request, o transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	c, err := p.WebsocketImplementation.Accept(w, r, o)
	if err != nil {
		return nil, err
	}
	session, _ := r.Context().Value(liveSessionKey{}).(*liveSession)
	if session == nil {
		session = &liveSession{active: map[string]bool{}, idle: time.Now()}
	}
	cc := &codedConn{WebsocketConn: c, session: session, metrics: p.metrics,
		queue: make(chan any, max(p.queue, 1)), stop: make(chan struct{}), done: make(chan struct{})}
	go cc.write()
	return cc, nil
}

// codedConn is a connection of protocolCodes.
type codedConn struct {
	transport.WebsocketConn
	session *liveSession
	metrics *metrics
	acked   atomic.Bool // connection_ack was sent
	inited  atomic.Bool // connection_init was received
	pending struct {
		sync.Mutex
		code   int // the code of the protocol error the next 1002 close stands for
		reason string
	}
	errored  map[string]bool // operations ended by an error message (WriteJSON's, which gqlgen serializes)
	queue    chan any        // messages to write, and at last a closeFrame
	stop     chan struct{}   // closed by Close: the writer stops
	done     chan struct{}   // closed when the writer has stopped
	closing  atomic.Bool     // a closeFrame is queued, or the connection is too slow
	slow     atomic.Bool
	stopOnce sync.Once
}

// closeFrame, queued last, closes the connection once what was queued
// before it is written.
type closeFrame struct {
	code   int
	reason string
}

// closeFlush bounds how long closing a connection waits for its queued
// messages to be written.
const closeFlush = 2 * time.Second

// write writes the queued messages in order until a closeFrame or Close.
func (c *codedConn) write() {
	defer close(c.done)
	for {
		select {
		case <-c.stop:
			return
		case v := <-c.queue:
			if f, ok := v.(closeFrame); ok {
				_ = c.WebsocketConn.WriteClose(f.code, f.reason)
				return
			}
			if err := c.WebsocketConn.WriteJSON(v); err != nil {
				return
			}
			if t, _ := messageFields(v); t == "next" {
				c.metrics.liveEvents.WithLabelValues(transportWebSocket).Inc()
			}
		}
	}
}

// messageFields returns the type and id of a graphql-transport-ws
// message as gqlgen writes it (a struct with Type and ID fields).
func messageFields(v any) (typ, id string) {
	rv := reflect.Indirect(reflect.ValueOf(v))
	if rv.Kind() != reflect.Struct {
		return "", ""
	}
	if f := rv.FieldByName("Type"); f.IsValid() && f.Kind() == reflect.String {
		typ = f.String()
	}
	if f := rv.FieldByName("ID"); f.IsValid() && f.Kind() == reflect.String {
		id = f.String()
	}
	return typ, id
}

// NextReader reads the next message, noting what the protocol's close
// codes need: a second connection_init (4429), a subscribe reusing a
// running operation's ID (4409, which gqlgen would run), and the
// operations running (for the idle timeout; in the older graphql-ws
// protocol too, whose messages are start and stop).
func (c *codedConn) NextReader() (int, io.Reader, error) {
	t, r, err := c.WebsocketConn.NextReader()
	if err != nil {
		return t, r, err
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return t, nil, err
	}
	var m struct {
		ID   string `json:"id"`
		Type string `json:"type"`
	}
	if json.Unmarshal(b, &m) != nil {
		return t, bytes.NewReader(b), nil
	}
	if c.Subprotocol() != "graphql-transport-ws" {
		switch m.Type {
		case "start":
			c.session.start(m.ID)
		case "stop":
			c.session.stop(m.ID)
		}
		return t, bytes.NewReader(b), nil
	}
	switch m.Type {
	case "connection_init":
		if c.inited.Swap(true) {
			c.protocolError(closeTooManyInits, "Too many initialisation requests")
		}
	case "subscribe":
		if !c.session.start(m.ID) {
			c.protocolError(closeDuplicateID, "Subscriber for "+m.ID+" already exists")
			// A message gqlgen does not take after connection_ack: it
			// closes the connection, with the code just noted.
			b = []byte(`{"type":"connection_init"}`)
		}
	case "complete":
		c.session.stop(m.ID)
	}
	return t, bytes.NewReader(b), nil
}

// protocolError notes the code of the protocol error gqlgen is about to
// close the connection for.
func (c *codedConn) protocolError(code int, reason string) {
	c.pending.Lock()
	defer c.pending.Unlock()
	if c.pending.code == 0 {
		c.pending.code, c.pending.reason = code, reason
	}
}

// WriteJSON queues a message, noting connection_ack and the operations
// that end; a full queue closes the connection with 4413. The complete
// gqlgen sends after an operation's error message is dropped: in
// graphql-transport-ws, error ends the operation.
func (c *codedConn) WriteJSON(v any) error {
	typ, id := messageFields(v)
	switch typ {
	case "connection_ack":
		c.acked.Store(true)
	case "error":
		c.session.stop(id)
		if c.Subprotocol() != "graphql-transport-ws" {
			break
		}
		if c.errored == nil {
			c.errored = map[string]bool{}
		}
		c.errored[id] = true
	case "complete":
		c.session.stop(id)
		if c.errored[id] {
			delete(c.errored, id)
			return nil
		}
	}
	if c.closing.Load() {
		return net.ErrClosed
	}
	select {
	case c.queue <- v:
		return nil
	default:
		c.tooSlow()
		return errSlowConsumer
	}
}

var errSlowConsumer = errors.New("the client does not read what it is sent: its send queue is full")

// tooSlow closes the connection of a client that does not read, at once:
// the close frame goes out as soon as the client reads again (within the
// WebSocket library's close timeout), after what it has not read yet.
func (c *codedConn) tooSlow() {
	if !c.slow.CompareAndSwap(false, true) {
		return
	}
	c.closing.Store(true)
	c.session.mu.Lock()
	c.session.sent = closeSlowConsumer
	c.session.mu.Unlock()
	_ = c.WebsocketConn.WriteClose(closeSlowConsumer, "Slow consumer: the send queue is full")
	c.session.end(closeSlowConsumer, "")
}

// initTimeoutReason is the reason gqlgen closes an uninitialised
// connection with (graph/live_test.go checks the code it becomes).
const initTimeoutReason = "connection initialisation timeout"

// WriteClose closes the connection, once what is queued is written, with
// the protocol's code.
func (c *codedConn) WriteClose(code int, reason string) error {
	if code == transport.WebsocketCloseNormalClosure {
		if ended, why := c.session.chosen(); ended != 0 {
			code, reason = ended, why
		}
	}
	if code == transport.WebsocketCloseProtocolError && c.Subprotocol() == "graphql-transport-ws" {
		c.pending.Lock()
		pending, why := c.pending.code, c.pending.reason
		c.pending.Unlock()
		switch {
		case pending != 0:
			code, reason = pending, why
		case reason == initTimeoutReason:
			code, reason = closeInitTimeout, "Connection initialisation timeout"
		case !c.acked.Load() && reason == "unexpected message":
			code, reason = closeUnauthorized, "Unauthorized"
		default:
			code = closeBadRequest
		}
	}
	if c.slow.Load() || !c.closing.CompareAndSwap(false, true) {
		return nil
	}
	c.session.mu.Lock()
	c.session.sent = code
	c.session.mu.Unlock()
	select {
	case c.queue <- closeFrame{code, reason}:
	default:
		c.tooSlow()
	}
	return nil
}

// Close closes the connection once its writer has written what was
// queued (within closeFlush).
func (c *codedConn) Close() error {
	if c.closing.Load() && !c.slow.Load() {
		select {
		case <-c.done:
		case <-time.After(closeFlush):
		}
	}
	c.stopOnce.Do(func() { close(c.stop) })
	return c.WebsocketConn.Close()
}

// SetReadLimit passes the transport's message size limit on.
func (c *codedConn) SetReadLimit(n int64) {
	if l, ok := c.WebsocketConn.(transport.WebsocketReadLimiter); ok {
		l.SetReadLimit(n)
	}
}

// SetReadDeadline passes the transport's pong deadline on.
func (c *codedConn) SetReadDeadline(t time.Time) error {
	if d, ok := c.WebsocketConn.(transport.WebsocketReadDeadliner); ok {
		return d.SetReadDeadline(t)
	}
	return nil
}

// codeTooManySubscriptions refuses a subscription beyond
// MaxSubscriptionsPerConnection.
const codeTooManySubscriptions = "TOO_MANY_SUBSCRIPTIONS"

// codeTooManyConnections refuses an SSE request beyond
// MaxConnectionsPerCaller.
const codeTooManyConnections = "TOO_MANY_CONNECTIONS"

// Transports of live connections, as metrics label them.
const (
	transportWebSocket = "websocket"
	transportSSE       = "sse"
)

// liveConn is the state of one live connection (a WebSocket, or an SSE
// request); an operation whose context has one may stream.
type liveConn struct {
	max       int32
	subs      atomic.Int32
	transport string // transportWebSocket or transportSSE
}

type liveConnKey struct{}

// isUpgrade reports whether r asks for a WebSocket.
func isUpgrade(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// liveConnections counts a handler's open live connections against their
// bounds, in total and per caller: each holds goroutines and a subscriber
// buffer for hours, so without one a client could open them until memory
// runs out.
type liveConnections struct {
	open      atomic.Int64
	max       int64
	perCaller int
	metrics   *metrics

	mu      sync.Mutex
	callers map[string]int
}

// serve runs the live connection of r through next if the bound allows,
// and refuses it with 503 OVERLOADED otherwise.
func (lc *liveConnections) serve(w http.ResponseWriter, r *http.Request, next http.Handler, transport string) {
	if lc.open.Add(1) > lc.max {
		lc.open.Add(-1)
		lc.metrics.liveRefusals.WithLabelValues(transport, codeOverloaded).Inc()
		writeOverloaded(w, "5", "the server holds as many live connections as it allows; try again later")
		return
	}
	defer lc.open.Add(-1)
	g := lc.metrics.liveConnections.WithLabelValues(transport)
	g.Inc()
	defer g.Dec()
	next.ServeHTTP(w, r)
}

// claim takes one of u's places (none for an anonymous caller); it
// reports false when u holds as many as it may. release gives it back.
func (lc *liveConnections) claim(u *models.User) (release func(), ok bool) {
	if u == nil {
		return func() {}, true
	}
	lc.mu.Lock()
	defer lc.mu.Unlock()
	if lc.callers[u.Subject] >= lc.perCaller {
		return nil, false
	}
	if lc.callers == nil {
		lc.callers = map[string]int{}
	}
	lc.callers[u.Subject]++
	var once sync.Once
	return func() {
		once.Do(func() {
			lc.mu.Lock()
			defer lc.mu.Unlock()
			if lc.callers[u.Subject]--; lc.callers[u.Subject] <= 0 {
				delete(lc.callers, u.Subject)
			}
		})
	}, true
}

// websocketTransport is gqlgen's WebSocket transport (graphql-transport-ws
// and the older graphql-ws) configured for the tracker: credentials from
// connection_init, checked as HTTP requests' Authorization header is.
func websocketTransport(store *models.Store, auth AuthOptions, o LiveOptions, lc *liveConnections, m *metrics, logger *slog.Logger) transport.Websocket {
	return transport.Websocket{
		Implementation: protocolCodes{WebsocketImplementation: transport.CoderWebsocketImplementation{AcceptOptions: websocket.AcceptOptions{
			OriginPatterns: o.OriginPatterns,
		}}, queue: o.SendQueue, metrics: m},
		KeepAlivePingInterval: o.KeepAlive,
		// A live connection has no request log line of its own (it is
		// not an HTTP exchange once upgraded): its end is logged instead.
		CloseFunc: func(ctx context.Context, code int) {
			if s, ok := ctx.Value(liveSessionKey{}).(*liveSession); ok {
				s.mu.Lock()
				if s.sent != 0 {
					code = s.sent
				}
				s.mu.Unlock()
			}
			if code != closeIdle && code != closeGoingAway {
				m.liveRefusals.WithLabelValues(transportWebSocket, strconv.Itoa(code)).Inc()
			}
			caller := ""
			if u := models.UserFrom(ctx); u != nil {
				caller = u.Subject
			}
			logger.Info("live connection closed", "request_id", models.RequestID(ctx), "caller", caller, "close_code", code)
		},
		InitTimeout: o.InitTimeout,
		InitFunc: func(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
			u, code, err := initCaller(ctx, store, auth, p.Authorization())
			if err != nil {
				return transport.WithWebsocketCloseCode(ctx, code), nil, err
			}
			release, ok := lc.claim(u)
			if !ok {
				return transport.WithWebsocketCloseCode(transport.AppendCloseReason(ctx, "Try again later: too many connections for this caller"), closeTooManyForCaller),
					nil, models.Errorf(codeTooManyConnections, "too many live connections for this caller: at most %d", o.MaxConnectionsPerCaller)
			}
			if u != nil {
				ctx = models.WithUser(ctx, u)
			}
			ctx, cancel := context.WithCancel(ctx)
			session, _ := ctx.Value(liveSessionKey{}).(*liveSession)
			if session == nil {
				session = &liveSession{active: map[string]bool{}, idle: time.Now()}
			}
			session.mu.Lock()
			session.cancel = cancel
			session.mu.Unlock()
			go func() {
				defer release()
				switch superviseLive(ctx, store, auth, o, u, p.Authorization(), session.idleSince) {
				case endRevoked:
					session.end(closeForbidden, "Forbidden: the credentials were revoked or expired")
				case endDraining:
					session.end(closeGoingAway, "Going away: the server is shutting down")
				case endIdle:
					session.end(closeIdle, "Idle: no operation for "+o.IdleTimeout.String())
				}
				<-ctx.Done()
			}()
			return context.WithValue(ctx, liveConnKey{}, &liveConn{max: int32(o.MaxSubscriptionsPerConnection), transport: transportWebSocket}), nil, nil
		},
	}
}

// endReason is why superviseLive ended a live connection.
type endReason int

const (
	endNone     endReason = iota // the connection ended by itself
	endRevoked                   // its credential expired or no longer authenticates
	endDraining                  // the server is shutting down
	endIdle                      // it ran no operation for IdleTimeout
)

// superviseLive watches the live connection of ctx until it ends, and
// reports why it should be ended: its credential (u, sent as header)
// expires or, checked every Recheck, no longer authenticates (a revoked
// API token); the server drains; or idleSince (nil: never idle) is
// IdleTimeout ago.
func superviseLive(ctx context.Context, store *models.Store, auth AuthOptions, o LiveOptions, u *models.User, header string, idleSince func() time.Time) endReason {
	var expiry <-chan time.Time
	if u != nil && u.ExpiresAt != nil {
		t := time.NewTimer(time.Until(*u.ExpiresAt))
		defer t.Stop()
		expiry = t.C
	}
	var recheck <-chan time.Time
	if u != nil {
		tick := time.NewTicker(o.Recheck)
		defer tick.Stop()
		recheck = tick.C
	}
	var idle <-chan time.Time
	if idleSince != nil {
		tick := time.NewTicker(max(o.IdleTimeout/4, time.Millisecond))
		defer tick.Stop()
		idle = tick.C
	}
	for {
		select {
		case <-ctx.Done():
			return endNone
		case <-o.Drain.draining():
			return endDraining
		case <-expiry:
			return endRevoked
		case <-recheck:
			if _, code, _ := initCaller(ctx, store, auth, header); code == closeForbidden {
				return endRevoked
			}
		case <-idle:
			if since := idleSince(); !since.IsZero() && time.Since(since) >= o.IdleTimeout {
				return endIdle
			}
		}
	}
}

// initCaller returns the caller of a connection_init's authorization
// ("Bearer <token>"), nil for none where public reads are allowed, or the
// close code and reason refusing the connection.
func initCaller(ctx context.Context, store *models.Store, auth AuthOptions, header string) (*models.User, int, error) {
	if header == "" {
		if !auth.PublicRead {
			return nil, closeForbidden, models.Errorf(models.CodeUnauthenticated, "this server needs credentials: send {\"authorization\": \"Bearer <token>\"} in connection_init")
		}
		return nil, 0, nil
	}
	scheme, credential, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || credential == "" {
		return nil, closeForbidden, models.Errorf(models.CodeUnauthenticated, "authorization must be: Bearer <token>")
	}
	u, err := identify(ctx, store, auth, strings.TrimSpace(credential))
	switch {
	case err == nil:
		return u, 0, nil
	case models.ErrorCode(err) == models.CodeUnauthenticated:
		return nil, closeForbidden, err
	default:
		return nil, closeServerError, models.Errorf(models.CodeUnavailable, "could not check the credentials; try again shortly")
	}
}

// deliveryClock carries the commit times of a subscription's events from
// its resolver, which pushes each before handing the event on, to its
// responses, which pop them in the same order (observeLive).
type deliveryClock struct {
	mu sync.Mutex
	at []int64 // Unix microseconds
}

type deliveryClockKey struct{}

// noteCommit records the commit time (Unix microseconds, 0: unknown) of
// the event the subscription of ctx is about to hand on.
func noteCommit(ctx context.Context, at int64) {
	if d, ok := ctx.Value(deliveryClockKey{}).(*deliveryClock); ok && at != 0 {
		d.mu.Lock()
		if len(d.at) < 2*models.SubscriptionBuffer { // bounded: events dropped on the way leave theirs
			d.at = append(d.at, at)
		}
		d.mu.Unlock()
	}
}

func (d *deliveryClock) pop() (int64, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.at) == 0 {
		return 0, false
	}
	at := d.at[0]
	d.at = d.at[1:]
	return at, true
}

// observeLive counts the streaming operations of live connections
// (subscriptions, and queries marked @live) and times each of their
// results from the commit of the change it reports.
func observeLive(m *metrics) graphql.OperationMiddleware {
	return func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		lc, _ := ctx.Value(liveConnKey{}).(*liveConn)
		oc := graphql.GetOperationContext(ctx)
		if lc == nil || oc == nil || oc.Operation == nil ||
			(oc.Operation.Operation != ast.Subscription && oc.Operation.Directives.ForName("live") == nil) {
			return next(ctx)
		}
		g := m.liveSubscriptions.WithLabelValues(lc.transport)
		g.Inc()
		context.AfterFunc(ctx, g.Dec)
		clock := &deliveryClock{}
		h := next(context.WithValue(ctx, deliveryClockKey{}, clock))
		latency := m.liveLatency.WithLabelValues(lc.transport)
		return func(ctx context.Context) *graphql.Response {
			resp := h(ctx)
			if at, ok := clock.pop(); ok && resp != nil {
				latency.Observe(time.Since(time.UnixMicro(at)).Seconds())
			}
			return resp
		}
	}
}

// freshBatcher gives each event of a subscription a batcher of its own:
// a connection lives long, and what one event read is stale for the next.
func freshBatcher(store *models.Store) graphql.ResponseMiddleware {
	return func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		if oc := graphql.GetOperationContext(ctx); oc != nil && oc.Operation != nil && oc.Operation.Operation == "subscription" {
			ctx = context.WithValue(ctx, batcherKey{}, newBatcher(store))
		}
		return next(ctx)
	}
}

// actionItemChanged resolves Subscription.actionItemChanged: it follows
// the store's change events and sends, for each change of an action item,
// the item as the subscriber reads it now, if it matches filter.
func actionItemChanged(ctx context.Context, store *models.Store, filter *models.ActionItemFilter) (<-chan *models.ActionItemChange, error) {
	lc, _ := ctx.Value(liveConnKey{}).(*liveConn)
	if lc == nil {
		return nil, models.Errorf(models.CodeInvalid, "subscriptions need a live connection: a WebSocket (graphql-transport-ws) or Server-Sent Events (graphql-sse)")
	}
	// The connection's subscription bound was applied by liveQueries,
	// which runs identical subscriptions once for all their subscribers.
	events, err := store.Changes().Subscribe(ctx)
	if err != nil {
		return nil, err
	}
	out := make(chan *models.ActionItemChange, 1)
	go func() {
		defer close(out)
		for ev := range events {
			if ev.Entity != "ActionItem" {
				continue
			}
			c, err := resolveChange(ctx, store, ev, filter)
			if err != nil || c == nil {
				continue // nothing this subscriber may see, or the database failed it: skip, as a query would show nothing
			}
			noteCommit(ctx, ev.At)
			select {
			case out <- c:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

// resolveChange reads the change ev for the subscriber of ctx: nil when
// the item is not visible to it or does not match filter.
func resolveChange(ctx context.Context, store *models.Store, ev models.Change, filter *models.ActionItemFilter) (*models.ActionItemChange, error) {
	c := &models.ActionItemChange{Kind: ev.Kind, PreviousStatus: ev.PreviousStatus}
	if ev.Kind == models.ActionItemChangeKindRemoved {
		if !models.UserFrom(ctx).Has(models.RoleAdmin) {
			return nil, nil
		}
		e, err := models.FindByID[models.AuditEntry](ctx, store, ev.AuditEntryID)
		if err != nil {
			return nil, err
		}
		c.AuditEntry = e
		return c, nil
	}
	id := models.NewGlobalID("ActionItem", ev.ID)
	f := &models.ActionItemFilter{ID: &models.IDFilter{Eq: &id}}
	if filter != nil {
		f = &models.ActionItemFilter{And: []*models.ActionItemFilter{f, filter}}
	}
	one := 1
	page, err := models.List[models.ActionItem](ctx, store, models.Page{First: &one}, f, nil)
	if err != nil {
		return nil, err
	}
	if len(page.Nodes) == 0 {
		return nil, nil
	}
	c.ActionItem = page.Nodes[0]
	// The entry is part of the item's history, which whoever sees the
	// item may read; AuditEntry's resolvers hide who made it.
	e, err := models.FindByID[models.AuditEntry](ctx, store, ev.AuditEntryID)
	if err != nil {
		return nil, err
	}
	c.AuditEntry = e
	return c, nil
}
