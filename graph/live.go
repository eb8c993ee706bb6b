package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/coder/websocket"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"tracker/models"
)

// Live updates: subscriptions over graphql-transport-ws on /graphql. A
// connection authenticates once, in connection_init; each event of
// models.Changes is then resolved for each subscriber as a query would be
// (the row reloaded through the read path, the subscriber's filter and
// visibility applied), so a subscriber only ever sees what it could read.

// LiveOptions configure live updates.
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
	// MaxConnections bounds the live connections the handler holds at
	// once (default 1,000); beyond it an upgrade is refused with 503
	// OVERLOADED and Retry-After, before anything is read from it.
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
}

// Defaults of LiveOptions.
const (
	defaultMaxSubscriptions = 20
	defaultMaxConnections   = 1000
	defaultKeepAlive        = 15 * time.Second
	defaultInitTimeout      = 10 * time.Second
	defaultRecheck          = 30 * time.Second
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
	return o
}

// Close codes of graphql-transport-ws used here.
const (
	closeBadRequest   = 4400 // a message that is not one of the protocol's
	closeUnauthorized = 4401 // an operation before connection_ack
	closeForbidden    = 4403 // connection_init without acceptable credentials
	closeInitTimeout  = 4408 // no connection_init in time
	closeServerError  = 4500 // the credentials could not be checked
)

// liveSession is shared by a connection's InitFunc and its codedConn:
// the close code to send when the connection is ended from the server
// side (gqlgen closes a canceled connection with 1000).
type liveSession struct{ code atomic.Int32 }

type liveSessionKey struct{}

// withLiveSession gives each upgrade request its liveSession.
func withLiveSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), liveSessionKey{}, &liveSession{})))
	})
}

// protocolCodes wraps a WebSocket implementation so that the connection's
// close codes are graphql-transport-ws's where gqlgen uses a generic one:
// gqlgen closes a connection with 1002 (protocol error) where the
// protocol asks for 4408 (no connection_init in time), 4401 (a message
// other than connection_init before connection_ack) or 4400 (anything
// else it cannot take).
type protocolCodes struct {
	transport.WebsocketImplementation
}

// Accept accepts the connection and wraps it.
func (p protocolCodes) Accept(w http.ResponseWriter, r *http.Request, o transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	c, err := p.WebsocketImplementation.Accept(w, r, o)
	if err != nil {
		return nil, err
	}
	session, _ := r.Context().Value(liveSessionKey{}).(*liveSession)
	return &codedConn{WebsocketConn: c, session: session}, nil
}

// codedConn is a connection of protocolCodes.
type codedConn struct {
	transport.WebsocketConn
	acked   atomic.Bool  // connection_ack was sent
	session *liveSession // nil outside withLiveSession
}

// WriteJSON writes a message, noting connection_ack (looked for only
// until it is sent: the first two messages or so).
func (c *codedConn) WriteJSON(v any) error {
	if !c.acked.Load() {
		if b, err := json.Marshal(v); err == nil && bytes.Contains(b, []byte(`"type":"connection_ack"`)) {
			c.acked.Store(true)
		}
	}
	return c.WebsocketConn.WriteJSON(v)
}

// initTimeoutReason is the reason gqlgen closes an uninitialised
// connection with (graph/live_test.go checks the code it becomes).
const initTimeoutReason = "connection initialisation timeout"

// WriteClose closes the connection with the protocol's code.
func (c *codedConn) WriteClose(code int, reason string) error {
	if c.session != nil && code == transport.WebsocketCloseNormalClosure {
		if ended := int(c.session.code.Load()); ended != 0 {
			code, reason = ended, "Forbidden: the credentials were revoked or expired"
		}
	}
	if code == transport.WebsocketCloseProtocolError && c.Subprotocol() == "graphql-transport-ws" {
		switch {
		case reason == initTimeoutReason:
			code, reason = closeInitTimeout, "Connection initialisation timeout"
		case !c.acked.Load() && reason == "unexpected message":
			code, reason = closeUnauthorized, "Unauthorized"
		default:
			code = closeBadRequest
		}
	}
	return c.WebsocketConn.WriteClose(code, reason)
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

// liveConn is the state of one WebSocket connection.
type liveConn struct {
	max  int32
	subs atomic.Int32
}

type liveConnKey struct{}

// isUpgrade reports whether r asks for a WebSocket.
func isUpgrade(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// liveConnections counts a handler's open live connections against their
// bound: each holds goroutines and a subscriber buffer for hours, so
// without one a client could open them until memory runs out.
type liveConnections struct {
	open atomic.Int64
	max  int64
}

// serve runs the live connection of r through next if the bound allows,
// and refuses it with 503 OVERLOADED otherwise.
func (lc *liveConnections) serve(w http.ResponseWriter, r *http.Request, next http.Handler) {
	if lc.open.Add(1) > lc.max {
		lc.open.Add(-1)
		writeOverloaded(w, "5", "the server holds as many live connections as it allows; try again later")
		return
	}
	defer lc.open.Add(-1)
	next.ServeHTTP(w, r)
}

// websocketTransport is gqlgen's WebSocket transport (graphql-transport-ws
// and the older graphql-ws) configured for the tracker: credentials from
// connection_init, checked as HTTP requests' Authorization header is.
func websocketTransport(store *models.Store, auth AuthOptions, o LiveOptions, logger *slog.Logger) transport.Websocket {
	return transport.Websocket{
		Implementation: protocolCodes{transport.CoderWebsocketImplementation{AcceptOptions: websocket.AcceptOptions{
			OriginPatterns: o.OriginPatterns,
		}}},
		KeepAlivePingInterval: o.KeepAlive,
		// A live connection has no request log line of its own (it is
		// not an HTTP exchange once upgraded): its end is logged instead.
		CloseFunc: func(ctx context.Context, code int) {
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
			if u != nil {
				ctx = models.WithUser(ctx, u)
				var cancel context.CancelFunc
				ctx, cancel = context.WithCancel(ctx)
				go watchCredential(ctx, cancel, store, auth, o.Recheck, u, p.Authorization())
			}
			return context.WithValue(ctx, liveConnKey{}, &liveConn{max: int32(o.MaxSubscriptionsPerConnection)}), nil, nil
		},
	}
}

// watchCredential ends the connection of ctx (cancel, with 4403) when
// its credential expires or, checked every recheck, no longer
// authenticates (a revoked API token); it returns when ctx ends.
func watchCredential(ctx context.Context, cancel context.CancelFunc, store *models.Store, auth AuthOptions, recheck time.Duration, u *models.User, header string) {
	defer cancel()
	var expiry <-chan time.Time
	if u.ExpiresAt != nil {
		t := time.NewTimer(time.Until(*u.ExpiresAt))
		defer t.Stop()
		expiry = t.C
	}
	tick := time.NewTicker(recheck)
	defer tick.Stop()
	end := func() {
		if s, ok := ctx.Value(liveSessionKey{}).(*liveSession); ok {
			s.code.Store(closeForbidden)
		}
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-expiry:
			end()
			return
		case <-tick.C:
			if _, code, _ := initCaller(ctx, store, auth, header); code == closeForbidden {
				end()
				return
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
		return nil, models.Errorf(models.CodeInvalid, "subscriptions need a WebSocket (graphql-transport-ws)")
	}
	if lc.subs.Add(1) > lc.max {
		lc.subs.Add(-1)
		return nil, &gqlerror.Error{Message: "too many subscriptions on this connection: at most " + strconv.Itoa(int(lc.max)),
			Extensions: map[string]any{"code": codeTooManySubscriptions}}
	}
	events, err := store.Changes().Subscribe(ctx)
	if err != nil {
		lc.subs.Add(-1)
		return nil, err
	}
	out := make(chan *models.ActionItemChange, 1)
	go func() {
		defer lc.subs.Add(-1)
		defer close(out)
		for ev := range events {
			if ev.Entity != "ActionItem" {
				continue
			}
			c, err := resolveChange(ctx, store, ev, filter)
			if err != nil || c == nil {
				continue // nothing this subscriber may see, or the database failed it: skip, as a query would show nothing
			}
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
