package graph

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

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

		const rounds = 3
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
