package models

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/gorm"
)

// Change events are written with the change (STYLE.md, convention 16). A
// write publishes its event in the transaction of the change and its audit
// entry: on Postgres with pg_notify, which the server delivers to listeners
// only when the transaction commits and in commit order, to every process
// listening on the database — so replicas each deliver to their own
// subscribers, and nobody sees a change that was rolled back. On SQLite,
// where there is one process, the events of a write wait in the write's
// context and go to subscribers after its commit.
//
// An event carries what identifies the change, not the changed row: each
// subscriber reloads the row through the read path, with its own role and
// visibility, so an event never leaks what its subscriber may not read.

// changeChannel is the Postgres notification channel of change events.
const changeChannel = "tracker_changes"

// Change is one committed change, as published.
type Change struct {
	// Entity is the GraphQL type of the changed object ("ActionItem").
	Entity string `json:"e"`
	// ID is the changed object's row ID.
	ID uint `json:"i"`
	// Kind says what happened.
	Kind ActionItemChangeKind `json:"k"`
	// PreviousStatus is the object's status before the change, when it
	// has one and existed before.
	PreviousStatus *ActionItemStatus `json:"p,omitempty"`
	// AuditEntryID is the audit entry recording the change.
	AuditEntryID uint `json:"a"`
	// Tables are the tables the change may have written: its entity's
	// own, the join tables linking that entity to others, and the audit
	// log. A live query re-runs only for a change of a table it reads
	// (see ReadTables); an event naming none may have written anything.
	Tables []string `json:"t,omitempty"`
	// At is when the change was published, just before its commit, in
	// Unix microseconds: for the delivery latency metric.
	At int64 `json:"at,omitempty"`
}

// Touches reports whether c may have written any of tables.
func (c Change) Touches(tables map[string]bool) bool {
	if len(c.Tables) == 0 {
		return true
	}
	for _, t := range c.Tables {
		if tables[t] {
			return true
		}
	}
	return false
}

// SubscriptionBuffer is how many events a subscriber may have waiting; a
// subscriber further behind is dropped (its channel closed), so that a
// slow consumer can never grow the server's memory.
const SubscriptionBuffer = 64

// Changes publishes change events and delivers them to this process's
// subscribers.
type Changes struct {
	store *Store

	mu       sync.Mutex
	subs     map[chan Change]bool
	listener *listener // Postgres: running while there are subscribers
	logger   *slog.Logger
}

// listener is one run of the Postgres listener.
type listener struct {
	cancel context.CancelFunc
	ready  chan struct{} // closed once LISTEN holds, or failed (err)
	err    error
}

// Changes returns the store's change events.
func (s *Store) Changes() *Changes { return s.changes }

// SetLogger sets where the listener reports lost and regained connections.
func (c *Changes) SetLogger(l *slog.Logger) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.logger = l
}

// Subscribers returns how many subscribers this process holds.
func (c *Changes) Subscribers() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.subs)
}

// Subscribe returns a channel receiving every change committed from now
// on (on Postgres, by any process on the database), until ctx ends or the
// subscriber falls SubscriptionBuffer events behind; then the channel is
// closed. On Postgres it returns once the listener is listening, so that
// no change committed after it returns is missed.
func (c *Changes) Subscribe(ctx context.Context) (<-chan Change, error) {
	ch := make(chan Change, SubscriptionBuffer)
	c.mu.Lock()
	if c.subs == nil {
		c.subs = map[chan Change]bool{}
	}
	if c.store.dialect == Postgres && c.listener == nil {
		lctx, cancel := context.WithCancel(context.Background())
		c.listener = &listener{cancel: cancel, ready: make(chan struct{})}
		go c.listen(lctx, c.listener)
	}
	l := c.listener
	if l == nil {
		c.subs[ch] = true
	}
	c.mu.Unlock()
	if l != nil {
		select {
		case <-l.ready:
		case <-ctx.Done():
			c.mu.Lock()
			if len(c.subs) == 0 && c.listener == l {
				l.cancel()
				c.listener = nil
			}
			c.mu.Unlock()
			return nil, ctx.Err()
		}
		if l.err != nil {
			return nil, Errorf(CodeUnavailable, "live updates are unavailable: %v", l.err)
		}
		c.mu.Lock()
		if c.listener != l { // stopped meanwhile by the last subscriber leaving
			c.mu.Unlock()
			return c.Subscribe(ctx)
		}
		c.subs[ch] = true
		c.mu.Unlock()
	}
	go func() {
		<-ctx.Done()
		c.drop(ch)
	}()
	return ch, nil
}

// drop removes subscriber ch and closes its channel; the last one leaving
// stops the Postgres listener, which gives its connection back.
func (c *Changes) drop(ch chan Change) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.subs[ch] {
		return
	}
	delete(c.subs, ch)
	close(ch)
	if len(c.subs) == 0 && c.listener != nil {
		c.listener.cancel()
		c.listener = nil
	}
}

// deliver hands ev to every subscriber, dropping those too far behind.
func (c *Changes) deliver(ev Change) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for ch := range c.subs {
		select {
		case ch <- ev:
		default:
			delete(c.subs, ch)
			close(ch)
		}
	}
}

// listen holds a connection of its own LISTENing on changeChannel and
// delivers what arrives, reconnecting with backoff when the connection
// is lost, until ctx ends. l.ready is closed once it first listens, or
// fails to (l.err).
// It takes the connection out of the store's pool (one of MaxOpenConns)
// for as long as there are subscribers: a notification listener needs a
// session of its own, which GORM's statement API has no notion of.
func (c *Changes) listen(ctx context.Context, l *listener) {
	backoff := 100 * time.Millisecond
	first := true
	for ctx.Err() == nil {
		err := c.listenOnce(ctx, func() {
			backoff = 100 * time.Millisecond
			if first {
				close(l.ready)
				first = false
			}
		})
		if first {
			// Never listened: tell the waiting subscribers, and let
			// the next one start a listener of its own.
			l.err = err
			if l.err == nil {
				l.err = ctx.Err()
			}
			close(l.ready)
			c.mu.Lock()
			if c.listener == l {
				c.listener = nil
			}
			c.mu.Unlock()
			return
		}
		if ctx.Err() != nil {
			return
		}
		c.mu.Lock()
		l := c.logger
		c.mu.Unlock()
		if l != nil {
			l.Warn("change listener lost its connection; reconnecting", "err", err, "in", backoff)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// listenOnce listens on one connection until it fails or ctx ends. It is
// the one statement that does not go through GORM's session: LISTEN holds
// its connection for as long as the listener lives, waiting for
// notifications, which GORM has no API for; and it must be the primary's,
// as a standby can neither LISTEN nor see NOTIFY. So it takes a dedicated
// connection of the primary's pool, whatever read replicas there are.
func (c *Changes) listenOnce(ctx context.Context, listening func()) error {
	conn, err := c.store.sqlDB.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("change listener: not a pgx connection (%T)", dc)
		}
		pc := sc.Conn()
		if _, err := pc.Exec(ctx, "LISTEN "+changeChannel); err != nil {
			return err
		}
		listening()
		for {
			n, err := pc.WaitForNotification(ctx)
			if err != nil {
				// The connection's state is unknown (canceled
				// mid-wait, or broken): never give it back to the pool.
				return fmt.Errorf("%w: %v", driver.ErrBadConn, err)
			}
			var ev Change
			if err := json.Unmarshal([]byte(n.Payload), &ev); err == nil {
				c.deliver(ev)
			}
		}
	})
}

// pendingChanges are the events of one SQLite write, delivered after its
// commit.
type pendingChanges struct{ events []Change }

type pendingKey struct{}

// publish publishes ev within tx: on Postgres as a notification of the
// transaction, on SQLite into the write's pending events (see write).
func (s *Store) publish(tx *gorm.DB, ev Change) error {
	ev.At = time.Now().UnixMicro()
	if s.dialect == Postgres {
		payload, err := json.Marshal(ev)
		if err != nil {
			return fmt.Errorf("publish: %w", err)
		}
		if err := tx.Exec("SELECT pg_notify(?, ?)", changeChannel, string(payload)).Error; err != nil {
			return dbError(err, "the change")
		}
		return nil
	}
	if p, ok := tx.Statement.Context.Value(pendingKey{}).(*pendingChanges); ok {
		p.events = append(p.events, ev)
	}
	return nil
}

// changeKinds maps audit actions to the kinds of change events.
var changeKinds = map[AuditAction]ActionItemChangeKind{
	AuditActionCreate:       ActionItemChangeKindCreated,
	AuditActionUpdate:       ActionItemChangeKindUpdated,
	AuditActionStatusChange: ActionItemChangeKindStatusChanged,
	AuditActionDelete:       ActionItemChangeKindRemoved,
	AuditActionRevoke:       ActionItemChangeKindUpdated,
}

// publishAudited publishes the event of change c, recorded as audit entry
// id: every audited write has one, naming its entity and the tables it
// may have written, so that live queries know which of them to re-run.
func (s *Store) publishAudited(tx *gorm.DB, c change, id uint) error {
	kind, ok := changeKinds[c.action]
	if !ok {
		return fmt.Errorf("publish: no change kind for audit action %s", c.action) // the actions are fixed: a bug
	}
	ev := Change{Entity: c.entityType, ID: c.entityID, Kind: kind, AuditEntryID: id, PreviousStatus: c.from,
		Tables: writtenTables()[c.entityType]}
	if b, ok := c.before.(*ActionItem); ok && b != nil && ev.PreviousStatus == nil {
		st := b.Status
		ev.PreviousStatus = &st
	}
	return s.publish(tx, ev)
}

// writtenTables maps each entity's GraphQL type to the tables a write of
// it may touch: its own table, every join table of a relation at either
// of its ends, and the audit log. It errs on the side of more tables: a
// live query re-run for nothing sends nothing, one not re-run would stay
// stale.
var writtenTables = sync.OnceValue(func() map[string][]string {
	out := map[string][]string{}
	add := func(node, table string) {
		if !slices.Contains(out[node], table) {
			out[node] = append(out[node], table)
		}
	}
	for _, e := range entities {
		add(e.node, e.base)
		add(e.node, auditLog.base)
	}
	for _, e := range entities {
		for _, l := range e.links {
			if l.kind == viaTable {
				add(e.node, l.via)
				add(l.to.node, l.via)
			}
		}
	}
	for _, ts := range out {
		slices.Sort(ts)
	}
	return out
})

// What a query reads, for live queries: the graph package walks a query's
// selection and asks, for each field, which tables it reads. The answers
// come from the entities and relations declared in this package, so a new
// relation is covered as soon as it is declared.

// TypeTables returns the table the rows of GraphQL type node are stored
// in, if node is an entity.
func TypeTables(node string) []string {
	if e := entityByNode(node); e != nil {
		return []string{e.base}
	}
	return nil
}

// FieldTables returns the tables that field of GraphQL type node reads
// besides those of the type it returns: a relation's join table, or what
// a computed field reads. all reports a field that may read any table
// (a full-text search).
func FieldTables(node, field string) (tables []string, all bool) {
	if t, ok := computedReads[node+"."+field]; ok {
		return t, t == nil
	}
	e := entityByNode(node)
	if e == nil {
		return nil, false
	}
	if l, ok := e.links[field]; ok {
		return linkTables(l), false
	}
	return nil, false
}

// computedReads are the fields computed from tables their type does not
// name; nil for any table.
var computedReads = map[string][]string{
	"Query.search":             nil,
	"Query.topPartners":        {"initiatives", "meetings", "organizations", "participants", "partnerships"},
	"Indicator.change":         {"statistics"},
	"Indicator.changePercent":  {"statistics"},
	"Organization.ancestors":   {"organizations"},
	"Organization.memberCount": {"statistics"},
}

// linkTables returns the tables following l reads.
func linkTables(l link) []string {
	if l.kind == viaTable {
		return []string{l.to.base, l.via}
	}
	return []string{l.to.base}
}

// FilterTables returns the tables that filter, a filter on GraphQL type
// node as decoded from a request's arguments (maps, lists and values),
// reads through its relation filters ({partnerships: {some: {…}}},
// {parent: {…}}), besides node's own table.
func FilterTables(node string, filter any) []string {
	e := entityByNode(node)
	if e == nil {
		return nil
	}
	var out []string
	var walk func(e *entity, v any)
	walk = func(e *entity, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, sub := range v {
				if l, ok := e.links[k]; ok {
					out = append(out, linkTables(l)...)
					walk(l.to, sub)
					continue
				}
				walk(e, sub) // and, or, not, some, every, none
			}
		case []any:
			for _, sub := range v {
				walk(e, sub)
			}
		}
	}
	walk(e, filter)
	return out
}

// ActionItemChange is one committed change of an action item as a
// subscriber sees it: the item and audit entry are read for the
// subscriber when the event is delivered.
type ActionItemChange struct {
	Kind           ActionItemChangeKind
	ActionItem     *ActionItem // nil once removed
	PreviousStatus *ActionItemStatus
	AuditEntry     *AuditEntry // nil when the subscriber may not see it
}
