package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"tracker/models"
)

// A small graphql-transport-ws client for the live proof: one connection
// per subscriber, one subscription per connection, as a dashboard holds
// it. It records every event with the time it arrived, and how each
// connection ended (its close code), and reconnects once to another
// replica when the server ends the connection.

// wsMessage is a graphql-transport-ws message.
type wsMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// liveEvent is one event a subscriber received.
type liveEvent struct {
	audit    uint // the audit entry's row ID: what identifies the change
	item     uint
	kind     string
	at       time.Time // when it arrived
	occurred time.Time // auditEntry.occurredAt
	// What of the actor it was shown (nil: hidden).
	subject, name, tokenID, requestID *string
	problem                           string // an event that could not be decoded
}

// segment is one connection of a subscriber, from its dial to its end.
type segment struct {
	replica  int
	events   []liveEvent
	problems []string // errors, unexpected messages
	// How it ended: byServer when the server closed it (or it broke),
	// with the close code (1006 when it broke without one).
	byServer  bool
	code      int
	reason    string
	endedAt   time.Time
	completed bool // the server completed the subscription
	// A live query's results: how many, and the last one's data.
	results int
	last    json.RawMessage
}

// liveSubscriber is one dashboard: a token, a filter, a replica.
type liveSubscriber struct {
	n       int
	role    string // viewer, officer, admin
	token   string
	subject string // its audit subject, token:<id>
	filter  liveFilter
	query   string // the document subscribed to
	// doc is the index of its live query among liveDocuments, -1 for
	// actionItemChanged.
	doc int

	mu       sync.Mutex
	segments []*segment
}

// liveFilter is a subscriber's filter: what it sends, and what it means.
type liveFilter struct {
	name  string
	value map[string]any // nil: every action item
	match func(liveItem) bool
}

// liveItem is what the filters look at, read back from the database.
type liveItem struct{ id, owner, initiative uint }

// current returns the subscriber's last segment.
func (s *liveSubscriber) current() *segment {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.segments) == 0 {
		return nil
	}
	return s.segments[len(s.segments)-1]
}

// running reports whether its current subscription runs: connected, and
// not completed by the server.
func (s *liveSubscriber) running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.segments) == 0 {
		return false
	}
	seg := s.segments[len(s.segments)-1]
	return seg.endedAt.IsZero() && !seg.completed
}

// first returns the subscriber's first segment.
func (s *liveSubscriber) first() *segment {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.segments[0]
}

// hasEvent reports whether its current connection received an event of
// item with an audit entry ID of at least after, and it still runs; for a
// live query, whether it received its first result.
func (s *liveSubscriber) hasEvent(item uint, after uint) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.segments) == 0 {
		return false
	}
	seg := s.segments[len(s.segments)-1]
	if !seg.endedAt.IsZero() {
		return false
	}
	if s.doc >= 0 {
		return seg.results > 0
	}
	for _, e := range seg.events {
		if e.item == item && e.audit >= after {
			return true
		}
	}
	return false
}

// liveSubscription is the actionItemChanged document of the proof.
const liveSubscription = `subscription Board($f: ActionItemFilter) {
  actionItemChanged(filter: $f) {
    kind
    actionItem { id version status }
    auditEntry { id entityId occurredAt requestId actor { role subject name tokenId } }
  }
}`

// wsDialTimeout bounds a dial, connection_init and its ack.
const wsDialTimeout = 15 * time.Second

// maxMessages bounds the messages read from one connection.
const maxMessages = 1_000_000

// maxSegments bounds a subscriber's reconnections.
const maxSegments = 3

// run holds the subscriber's subscription on replica start until ctx
// ends; when the server ends the connection it reconnects once to
// another replica (next picks it), up to maxSegments connections.
func (s *liveSubscriber) run(ctx context.Context, urls []string, start int, next func(int) int, connected func()) {
	replica := start
	for range maxSegments {
		seg := &segment{replica: replica}
		s.mu.Lock()
		s.segments = append(s.segments, seg)
		s.mu.Unlock()
		s.hold(ctx, urls[replica], seg, connected)
		connected = func() {}
		if ctx.Err() != nil || !seg.byServer {
			return
		}
		replica = next(replica)
		if replica < 0 {
			return
		}
	}
}

// hold runs one connection until ctx ends or the server ends it.
func (s *liveSubscriber) hold(ctx context.Context, base string, seg *segment, connected func()) {
	finish := func(byServer bool, code int, reason string) {
		s.mu.Lock()
		seg.byServer, seg.code, seg.reason, seg.endedAt = byServer, code, reason, time.Now()
		s.mu.Unlock()
	}
	problem := func(format string, args ...any) {
		s.mu.Lock()
		if len(seg.problems) < 10 {
			seg.problems = append(seg.problems, fmt.Sprintf(format, args...))
		}
		s.mu.Unlock()
	}
	dctx, cancel := context.WithTimeout(ctx, wsDialTimeout)
	defer cancel()
	conn, resp, err := websocket.Dial(dctx, "ws"+strings.TrimPrefix(base, "http")+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		problem("dial: HTTP %d %v", status, err)
		finish(ctx.Err() == nil, 0, "dial failed")
		return
	}
	defer conn.CloseNow()
	conn.SetReadLimit(1 << 20)
	send := func(c context.Context, m wsMessage) error {
		b, _ := json.Marshal(m)
		return conn.Write(c, websocket.MessageText, b)
	}
	initPayload, _ := json.Marshal(map[string]any{"authorization": "Bearer " + s.token})
	if err := send(dctx, wsMessage{Type: "connection_init", Payload: initPayload}); err != nil {
		problem("connection_init: %v", err)
		finish(ctx.Err() == nil, closeCode(err), "init failed")
		return
	}
	for i := 0; ; i++ {
		_, b, err := conn.Read(dctx)
		if err != nil || i == 10 {
			problem("waiting for connection_ack: %v", err)
			finish(ctx.Err() == nil, closeCode(err), "no ack")
			return
		}
		var m wsMessage
		if json.Unmarshal(b, &m) == nil && m.Type == "connection_ack" {
			break
		}
	}
	vars := map[string]any{"f": s.filter.value}
	if s.doc >= 0 {
		vars = nil
	}
	sub, _ := json.Marshal(map[string]any{"query": s.query, "variables": vars})
	if err := send(dctx, wsMessage{ID: "1", Type: "subscribe", Payload: sub}); err != nil {
		problem("subscribe: %v", err)
		finish(ctx.Err() == nil, closeCode(err), "subscribe failed")
		return
	}
	cancel()
	connected()
	for range maxMessages {
		_, b, err := conn.Read(ctx)
		if err != nil {
			if ctx.Err() != nil {
				finish(false, 0, "")
				conn.Close(websocket.StatusNormalClosure, "")
				return
			}
			finish(true, closeCode(err), closeReason(err))
			return
		}
		at := time.Now()
		var m wsMessage
		if err := json.Unmarshal(b, &m); err != nil {
			problem("undecodable message: %s", clip(b, 200))
			continue
		}
		switch m.Type {
		case "next":
			if s.doc >= 0 {
				var r struct {
					Data   json.RawMessage
					Errors []gqlError
				}
				if err := json.Unmarshal(m.Payload, &r); err != nil || len(r.Errors) > 0 || len(r.Data) == 0 {
					problem("live query result with errors: %s", clip(m.Payload, 300))
					continue
				}
				s.mu.Lock()
				seg.results++
				seg.last = r.Data
				s.mu.Unlock()
				continue
			}
			ev := decodeChange(m.Payload)
			ev.at = at
			if ev.problem != "" {
				problem("%s", ev.problem)
				continue
			}
			s.mu.Lock()
			seg.events = append(seg.events, ev)
			s.mu.Unlock()
		case "ping":
			wctx, wcancel := context.WithTimeout(ctx, 5*time.Second)
			_ = send(wctx, wsMessage{Type: "pong"})
			wcancel()
		case "pong":
		case "complete":
			s.mu.Lock()
			seg.completed = true
			s.mu.Unlock()
			problem("the server completed the subscription")
		default:
			problem("message %s: %s", m.Type, clip(m.Payload, 300))
		}
	}
	problem("more than %d messages", maxMessages)
	finish(false, 0, "")
}

// decodeChange decodes the payload of a next message.
func decodeChange(payload json.RawMessage) liveEvent {
	var r struct {
		Data *struct {
			ActionItemChanged struct {
				Kind       string
				AuditEntry *struct {
					ID, EntityID string
					OccurredAt   time.Time
					RequestID    *string
					Actor        struct {
						Subject, Name, TokenID *string
					}
				}
			}
		}
		Errors []gqlError
	}
	if err := json.Unmarshal(payload, &r); err != nil {
		return liveEvent{problem: fmt.Sprintf("undecodable event: %v", err)}
	}
	if len(r.Errors) > 0 || r.Data == nil || r.Data.ActionItemChanged.AuditEntry == nil {
		return liveEvent{problem: fmt.Sprintf("event with errors or without its audit entry: %s", clip(payload, 300))}
	}
	c := r.Data.ActionItemChanged
	a := c.AuditEntry
	ev := liveEvent{kind: c.Kind, occurred: a.OccurredAt, subject: a.Actor.Subject, name: a.Actor.Name, tokenID: a.Actor.TokenID, requestID: a.RequestID}
	var err1, err2 error
	ev.audit, err1 = rowID(a.ID, "AuditEntry")
	ev.item, err2 = rowID(a.EntityID, "ActionItem")
	if err := errors.Join(err1, err2); err != nil {
		ev.problem = fmt.Sprintf("event with unreadable IDs: %v", err)
	}
	return ev
}

// rowID returns the database key of a global ID of type typ.
func rowID(id, typ string) (uint, error) {
	g, err := models.ParseGlobalID(id)
	if err != nil {
		return 0, err
	}
	return g.As(typ)
}

// closeCode returns the WebSocket close code of the error that ended a
// connection: 1006 when it ended without a close frame.
func closeCode(err error) int {
	if c := websocket.CloseStatus(err); c != -1 {
		return int(c)
	}
	return 1006
}

func closeReason(err error) string {
	var ce websocket.CloseError
	if errors.As(err, &ce) {
		return ce.Reason
	}
	return classify(err)
}
