package graph

import (
	"bytes"
	"context"
	"slices"
	"sync"

	"github.com/99designs/gqlgen/graphql"

	"tracker/models"
)

// Shared subscriptions: identical subscriptions — the same document,
// operation, variables and visibility, as liveKey defines them for live
// queries — share one execution. Each change event is resolved and its
// selection executed once per group, whatever the number of its members,
// and every member receives the same responses in the same order: the
// database work of a change depends on the distinct subscriptions held,
// not on the screens holding them.
//
// A member joins its group when the transport first asks for a response,
// and receives what the group produces from then on. Its queue holds
// models.SubscriptionBuffer responses; a member further behind is dropped
// (its subscription completes), as a subscriber of the change feed is, so
// one slow screen never holds the others back nor grows memory.

// subGroup is the identical subscriptions of one key.
type subGroup struct {
	key    string
	ctx    context.Context // ends when the last member leaves
	cancel context.CancelFunc

	mu      sync.Mutex
	members []*subMember
	ended   bool
}

// subMember is one subscriber of a group.
type subMember struct {
	ctx   context.Context // the operation's: ends with the subscription
	next  graphql.OperationHandler
	queue chan *graphql.Response // closed when the group ends or drops it
}

// interceptSubscription runs the subscription of ctx as a member of its
// group.
func (lq *liveQueries) interceptSubscription(ctx context.Context, oc *graphql.OperationContext, next graphql.OperationHandler) graphql.ResponseHandler {
	key, _, _ := liveKey(lq.schema, oc, models.UserFrom(ctx))
	m := &subMember{ctx: ctx, next: next, queue: make(chan *graphql.Response, models.SubscriptionBuffer)}
	var once sync.Once
	return func(rctx context.Context) *graphql.Response {
		once.Do(func() {
			g := lq.joinSub(key, m)
			context.AfterFunc(ctx, func() { lq.leaveSub(g, m) })
		})
		select {
		case r, ok := <-m.queue:
			if !ok {
				return nil
			}
			return r
		case <-rctx.Done():
			return nil
		case <-ctx.Done():
			return nil
		}
	}
}

// joinSub adds m to the group of key, starting the group, with m's
// handler chain, if it is new.
func (lq *liveQueries) joinSub(key string, m *subMember) *subGroup {
	lq.mu.Lock()
	defer lq.mu.Unlock()
	g := lq.subs[key]
	if g == nil {
		ctx, cancel := context.WithCancel(context.Background())
		g = &subGroup{key: key, ctx: ctx, cancel: cancel}
		lq.subs[key] = g
		lq.sharedSubs.Set(float64(len(lq.subs)))
		defer func() { go lq.runSub(g, m) }() // once m is a member: its first event is its own
	}
	g.mu.Lock()
	if g.ended {
		close(m.queue)
	} else {
		g.members = append(g.members, m)
	}
	g.mu.Unlock()
	return g
}

// leaveSub removes m from g; the last member leaving ends the group.
func (lq *liveQueries) leaveSub(g *subGroup, m *subMember) {
	lq.mu.Lock()
	defer lq.mu.Unlock()
	g.mu.Lock()
	g.members = slices.DeleteFunc(g.members, func(x *subMember) bool { return x == m })
	empty := len(g.members) == 0
	g.mu.Unlock()
	if empty {
		lq.forgetSub(g)
		g.cancel()
	}
}

// forgetSub removes g from the groups (lq.mu held), so that the next
// subscriber of its key starts a group anew.
func (lq *liveQueries) forgetSub(g *subGroup) {
	if lq.subs[g.key] == g {
		delete(lq.subs, g.key)
		lq.sharedSubs.Set(float64(len(lq.subs)))
	}
}

// runSub executes g's subscription once, through the handler chain of its
// first member (the members ask the same with the same visibility, so
// any would do), with that member's values but not its end, and hands
// each response to every member.
func (lq *liveQueries) runSub(g *subGroup, first *subMember) {
	ctx, cancel := context.WithCancel(context.WithValue(context.WithoutCancel(first.ctx), deliveryClockKey{}, &deliveryClock{}))
	defer cancel()
	stop := context.AfterFunc(g.ctx, cancel)
	defer stop()
	responses := first.next(ctx)
	for {
		resp := responses(ctx)
		if resp == nil || ctx.Err() != nil {
			break
		}
		// gqlgen writes each response of a subscription into one buffer
		// it reuses for the next: the members, which marshal theirs
		// later, get a copy.
		shared := *resp
		shared.Data = bytes.Clone(resp.Data)
		resp = &shared
		at, _ := ctx.Value(deliveryClockKey{}).(*deliveryClock).pop()
		g.mu.Lock()
		g.members = slices.DeleteFunc(g.members, func(m *subMember) bool {
			noteCommit(m.ctx, at) // before the member can take resp and look for its commit time
			select {
			case m.queue <- resp:
				return false
			default: // too far behind: dropped, its subscription completes
				close(m.queue)
				return true
			}
		})
		g.mu.Unlock()
	}
	// The group ended (its change feed failed or fell behind, or its last
	// member left): its members' subscriptions complete.
	lq.mu.Lock()
	lq.forgetSub(g)
	lq.mu.Unlock()
	g.mu.Lock()
	g.ended = true
	for _, m := range g.members {
		close(m.queue)
	}
	g.members = nil
	g.mu.Unlock()
}
