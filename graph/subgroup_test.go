package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"

	"tracker/models"
	"tracker/models/modelstest"
)

// TestSubscriptionsShared holds one actionItemChanged subscription ten
// times over two connections, and another one once: the store's change
// feed has two subscribers (one per group, so each change is read once
// per distinct subscription), and every subscriber receives every event
// of its subscription exactly once, in commit order.
func TestSubscriptionsShared(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, d models.Dialect) {
		store := modelstest.Seeded(t, d)
		srv, c, reg := liveQueryServer(t, store, Options{})
		match := map[string]any{"f": map[string]any{"slug": map[string]any{"eq": liveSlug}}}
		const perConn = 5
		var conns []*liveStream
		for range 2 {
			ws := openStream(t, srv.URL, nil)
			for i := range perConn {
				ws.subscribe(fmt.Sprint(i), changedSubscription, match)
			}
			conns = append(conns, ws)
		}
		conns[0].subscribe("other", changedSubscription, map[string]any{"f": map[string]any{"slug": map[string]any{"eq": "no-such-item"}}})
		waitMetric(t, reg, "tracker_live_subscription_groups", 2)
		waitSubscribers(t, store, 2)
		time.Sleep(200 * time.Millisecond) // every member joins its group on the transport's first read, just after
		if n := store.Changes().Subscribers(); n != 2 {
			t.Fatalf("change feed subscribers = %d, want 2 (one per distinct subscription)", n)
		}

		// Changes in quick succession: each event's bytes must stay the
		// event's while the next is being produced (gqlgen reuses one
		// buffer for a subscription's responses).
		const rounds = 8
		var previous [rounds]string
		for round := range rounds {
			previous[round] = moveItem(t, c, liveSlug)
		}
		for _, ws := range conns {
			got := map[string][]string{}
			for range rounds * perConn {
				m, ok := ws.message("", 10*time.Second)
				if !ok || m.Type != "next" || m.ID == "other" {
					t.Fatalf("got %+v (%s), %v", m, m.Payload, ok)
				}
				var p struct{ Data liveChange }
				if err := json.Unmarshal(m.Payload, &p); err != nil || p.Data.ActionItemChanged.PreviousStatus == nil {
					t.Fatalf("payload %s: %v", m.Payload, err)
				}
				got[m.ID] = append(got[m.ID], *p.Data.ActionItemChanged.PreviousStatus)
			}
			for i := range perConn {
				if fmt.Sprint(got[fmt.Sprint(i)]) != fmt.Sprint(previous[:]) {
					t.Errorf("subscription %d got previous statuses %v, want %v in commit order", i, got[fmt.Sprint(i)], previous)
				}
			}
			ws.quiet()
		}

		// The last member leaving ends its group; the other stays.
		for i := range perConn {
			conns[1].send(wsMessage{Type: "complete", ID: fmt.Sprint(i)})
			conns[0].send(wsMessage{Type: "complete", ID: fmt.Sprint(i)})
		}
		waitMetric(t, reg, "tracker_live_subscription_groups", 1)
		waitSubscribers(t, store, 1)
	})
}

// TestLiveKeyVisibility checks who shares a group when the document asks
// who made a change: admins (who all see it) and viewers holding API
// tokens (which never wrote anything) share one; officers, who may be
// the actor, and identity-provider viewers, whose role may have changed,
// each have their own.
func TestLiveKeyVisibility(t *testing.T) {
	schema := NewExecutableSchema(Config{Resolvers: &Resolver{}}).Schema()
	doc, errs := gqlparser.LoadQuery(schema, changedSubscription)
	if errs != nil {
		t.Fatal(errs)
	}
	oc := &graphql.OperationContext{RawQuery: changedSubscription, Doc: doc, Operation: doc.Operations[0]}
	token := func(id uint) *uint { return &id }
	key := func(u *models.User) string { k, _, _ := liveKey(schema, oc, u); return k }
	for _, tc := range []struct {
		name  string
		a, b  *models.User
		share bool
	}{
		{"two admins", &models.User{Subject: "token:1", Role: models.RoleAdmin, TokenID: token(1)}, &models.User{Subject: "jwt:x", Role: models.RoleAdmin}, true},
		{"two viewers' tokens", &models.User{Subject: "token:2", Role: models.RoleViewer, TokenID: token(2)}, &models.User{Subject: "token:3", Role: models.RoleViewer, TokenID: token(3)}, true},
		{"two officers", &models.User{Subject: "token:4", Role: models.RoleOfficer, TokenID: token(4), Organizations: []uint{1}}, &models.User{Subject: "token:5", Role: models.RoleOfficer, TokenID: token(5), Organizations: []uint{1}}, false},
		{"two viewers signed in", &models.User{Subject: "jwt:a", Role: models.RoleViewer}, &models.User{Subject: "jwt:b", Role: models.RoleViewer}, false},
		{"a viewer and an admin", &models.User{Subject: "token:2", Role: models.RoleViewer, TokenID: token(2)}, &models.User{Subject: "token:1", Role: models.RoleAdmin, TokenID: token(1)}, false},
	} {
		if share := key(tc.a) == key(tc.b); share != tc.share {
			t.Errorf("%s: share a group %v, want %v", tc.name, share, tc.share)
		}
	}
}

// TestSharedSubscriptionKeepsEachResponse runs a group over a handler
// that, as gqlgen's subscriptions do, writes each response into one
// buffer it reuses: every member still gets each response as it was.
func TestSharedSubscriptionKeepsEachResponse(t *testing.T) {
	lq := newLiveQueries(nil, LiveQueryOptions{}, time.Second, nil)
	const events = 20
	var buf bytes.Buffer
	sent := 0
	start := make(chan struct{}) // every member has joined
	next := func(context.Context) graphql.ResponseHandler {
		return func(ctx context.Context) *graphql.Response {
			<-start
			if sent == events {
				<-ctx.Done()
				return nil
			}
			sent++
			buf.Reset()
			fmt.Fprintf(&buf, `{"n":%d}`, sent)
			return &graphql.Response{Data: buf.Bytes()}
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var members []*subMember
	for range 3 {
		m := &subMember{ctx: ctx, next: next, queue: make(chan *graphql.Response, models.SubscriptionBuffer)}
		lq.joinSub("k", m)
		members = append(members, m)
	}
	close(start)
	for i, m := range members {
		for n := 1; n <= events; n++ {
			select {
			case r := <-m.queue:
				if want := fmt.Sprintf(`{"n":%d}`, n); string(r.Data) != want {
					t.Fatalf("member %d: response %d is %s, want %s", i, n, r.Data, want)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("member %d: no response %d", i, n)
			}
		}
	}
}
