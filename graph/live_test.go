package graph

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"tracker/models"
	"tracker/models/modelstest"
)

// wsClient speaks graphql-transport-ws to a test server.
type wsClient struct {
	t    *testing.T
	conn *websocket.Conn
	ctx  context.Context
}

// wsMessage is a graphql-transport-ws message.
type wsMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// dialLive opens a graphql-transport-ws connection to the server at
// httpURL, with header on the upgrade request.
func dialLive(t *testing.T, httpURL string, header http.Header) (*wsClient, *http.Response, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	conn, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(httpURL, "http")+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}, HTTPHeader: header})
	if err != nil {
		return nil, resp, err
	}
	t.Cleanup(func() { conn.Close(websocket.StatusNormalClosure, "") })
	return &wsClient{t: t, conn: conn, ctx: ctx}, resp, nil
}

func (c *wsClient) send(m wsMessage) {
	c.t.Helper()
	b, _ := json.Marshal(m)
	if err := c.conn.Write(c.ctx, websocket.MessageText, b); err != nil {
		c.t.Fatalf("send %s: %v", m.Type, err)
	}
}

// read returns the next message other than a ping or pong, or the error
// that ended the connection; within d.
func (c *wsClient) read(d time.Duration) (wsMessage, error) {
	ctx, cancel := context.WithTimeout(c.ctx, d)
	defer cancel()
	for {
		_, b, err := c.conn.Read(ctx)
		if err != nil {
			return wsMessage{}, err
		}
		var m wsMessage
		if err := json.Unmarshal(b, &m); err != nil {
			c.t.Fatalf("message %s: %v", b, err)
		}
		if m.Type != "ping" && m.Type != "pong" && m.Type != "ka" {
			return m, nil
		}
	}
}

// init sends connection_init with payload and expects connection_ack.
func (c *wsClient) init(payload map[string]any) {
	c.t.Helper()
	b, _ := json.Marshal(payload)
	c.send(wsMessage{Type: "connection_init", Payload: b})
	m, err := c.read(5 * time.Second)
	if err != nil || m.Type != "connection_ack" {
		c.t.Fatalf("connection_init: got %+v, %v; want connection_ack", m, err)
	}
}

func (c *wsClient) subscribe(id, query string, vars map[string]any) {
	c.t.Helper()
	b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	c.send(wsMessage{ID: id, Type: "subscribe", Payload: b})
}

// waitSubscribers waits until store's process holds n subscribers: then a
// change committed afterwards reaches them.
func waitSubscribers(t *testing.T, store *models.Store, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); store.Changes().Subscribers() < n; {
		if time.Now().After(deadline) {
			t.Fatalf("subscribers = %d, want %d", store.Changes().Subscribers(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

const changedSubscription = `subscription($f: ActionItemFilter) {
  actionItemChanged(filter: $f) {
    kind previousStatus
    actionItem { slug status version owner { slug } }
    auditEntry { action fromStatus toStatus note actor { role subject } }
  }
}`

// liveChange is the data of one actionItemChanged event.
type liveChange struct {
	ActionItemChanged struct {
		Kind           string
		PreviousStatus *string
		ActionItem     *struct {
			Slug, Status string
			Version      int
			Owner        struct{ Slug string }
		}
		AuditEntry *struct {
			Action, FromStatus, ToStatus string
			Note                         *string
			Actor                        struct {
				Role    string
				Subject *string
			}
		}
	}
}

// moveItem moves the item slug to the next status of the workflow as the
// client's caller and returns the status it left.
func moveItem(t *testing.T, c *client, slug string) string {
	t.Helper()
	before := itemNow(t, c, slug)
	next := map[string]string{"NOT_STARTED": "IN_PROGRESS", "IN_PROGRESS": "DONE", "BLOCKED": "IN_PROGRESS", "DONE": "IN_PROGRESS"}[before.Status]
	var out any
	c.mustQuery(moveQuery, map[string]any{"id": before.ID, "to": next, "note": "live test", "v": before.Version}, &out)
	return before.Status
}

// expectChange reads the next event of subscription id, which must be
// the STATUS_CHANGED of slug from previous.
func expectChange(t *testing.T, ws *wsClient, id, slug, previous string) {
	t.Helper()
	m, err := ws.read(10 * time.Second)
	if err != nil || m.Type != "next" || m.ID != id {
		t.Fatalf("got %+v (%s), %v; want next for %s", m, m.Payload, err, id)
	}
	var p struct {
		Data   liveChange
		Errors []gqlError
	}
	if err := json.Unmarshal(m.Payload, &p); err != nil || len(p.Errors) > 0 {
		t.Fatalf("payload %s: %v", m.Payload, err)
	}
	ev := p.Data.ActionItemChanged
	if ev.Kind != "STATUS_CHANGED" || ev.PreviousStatus == nil || *ev.PreviousStatus != previous ||
		ev.ActionItem == nil || ev.ActionItem.Slug != slug || ev.AuditEntry == nil ||
		ev.AuditEntry.Action != "STATUS_CHANGE" || ev.AuditEntry.FromStatus != previous || ev.AuditEntry.ToStatus != ev.ActionItem.Status {
		t.Fatalf("event = %s", m.Payload)
	}
	if ev.AuditEntry.Actor.Subject != nil {
		t.Errorf("an anonymous subscriber sees who made the change: %s", m.Payload)
	}
}

// expectQuiet checks that nothing arrives for a while.
func expectQuiet(t *testing.T, ws *wsClient) {
	t.Helper()
	if m, err := ws.read(500 * time.Millisecond); err == nil {
		t.Fatalf("unexpected message %+v (%s)", m, m.Payload)
	}
}

const liveSlug = "urge-financial-resources"

// TestActionItemChanged subscribes over graphql-transport-ws through the
// real handler, moves an item as an officer over HTTP, and checks that a
// subscription whose filter matches gets exactly one STATUS_CHANGED event
// with the status the item left, and one whose filter does not match gets
// nothing.
func TestActionItemChanged(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, d models.Dialect) {
		c, store := officerClient(t, d)
		ws, _, err := dialLive(t, strings.TrimSuffix(c.url, "/graphql"), nil)
		if err != nil {
			t.Fatal(err)
		}
		ws.init(nil)
		ws.subscribe("match", changedSubscription, map[string]any{"f": map[string]any{"slug": map[string]any{"eq": liveSlug}}})
		ws.subscribe("other", changedSubscription, map[string]any{"f": map[string]any{"slug": map[string]any{"eq": "no-such-item"}}})
		waitSubscribers(t, store, 2)

		previous := moveItem(t, c, liveSlug)
		expectChange(t, ws, "match", liveSlug, previous)
		expectQuiet(t, ws)
	})
}

// TestLiveAcrossReplicas checks the fan-out through Postgres: two
// handlers on two Stores of one database, as two replicas; a change
// written through one reaches a subscriber of the other.
func TestLiveAcrossReplicas(t *testing.T) {
	if !contains(modelstest.Dialects(), models.Postgres) {
		t.Skip("needs Postgres")
	}
	c, store := officerClient(t, models.Postgres)
	replica := modelstest.Replica(t, store)
	other := httptest.NewServer(NewHandler(replica, Options{Auth: AuthOptions{PublicRead: true}}))
	t.Cleanup(other.Close)
	ws, _, err := dialLive(t, other.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	ws.init(nil)
	ws.subscribe("1", changedSubscription, nil)
	waitSubscribers(t, replica, 1)
	previous := moveItem(t, c, liveSlug)
	expectChange(t, ws, "1", liveSlug, previous)
	expectQuiet(t, ws)
	if n := store.Changes().Subscribers(); n != 0 {
		t.Errorf("the writing replica holds %d subscribers", n)
	}
}

func contains[T comparable](xs []T, x T) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// TestLiveRefusals checks the refusals of the WebSocket transport:
// connection_init without credentials (where they are required) or with
// a bad one is closed with 4403, and none within the init timeout with
// 4408; an operation before connection_ack with 4401, a message that is
// not JSON with 4400; a cross-origin upgrade is refused; a
// subscription document beyond the depth limit is refused with its code;
// subscriptions beyond the per-connection bound are refused.
func TestLiveRefusals(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, d models.Dialect) {
		store := modelstest.Seeded(t, d)
		tok, _ := mustToken(t, store, models.RoleViewer, nil, nil)
		srv := httptest.NewServer(NewHandler(store, Options{Limits: Limits{MaxDepth: 4},
			Live: LiveOptions{MaxSubscriptionsPerConnection: 1, InitTimeout: 300 * time.Millisecond}}))
		t.Cleanup(srv.Close)

		for name, payload := range map[string]map[string]any{"none": nil, "bad": {"authorization": "Bearer nope"}, "scheme": {"authorization": tok}} {
			ws, _, err := dialLive(t, srv.URL, nil)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(payload)
			ws.send(wsMessage{Type: "connection_init", Payload: b})
			for {
				_, err = ws.read(5 * time.Second)
				if err != nil {
					break
				}
			}
			if got := websocket.CloseStatus(err); got != closeForbidden {
				t.Errorf("%s credentials: close %d (%v), want %d", name, got, err, closeForbidden)
			}
		}

		silent, _, err := dialLive(t, srv.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := silent.read(5 * time.Second); websocket.CloseStatus(err) != closeInitTimeout {
			t.Errorf("no connection_init: %v, want close %d", err, closeInitTimeout)
		}

		for name, c := range map[string]struct {
			first string
			code  websocket.StatusCode
		}{"subscribe before init": {`{"id":"1","type":"subscribe","payload":{"query":"subscription { actionItemChanged { kind } }"}}`, closeUnauthorized},
			"not JSON": {`{"type":`, closeBadRequest}} {
			ws, _, err := dialLive(t, srv.URL, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := ws.conn.Write(ws.ctx, websocket.MessageText, []byte(c.first)); err != nil {
				t.Fatal(err)
			}
			for err == nil {
				_, err = ws.read(5 * time.Second)
			}
			if got := websocket.CloseStatus(err); got != c.code {
				t.Errorf("%s: close %d (%v), want %d", name, got, err, c.code)
			}
		}

		if _, resp, err := dialLive(t, srv.URL, http.Header{"Origin": {"https://elsewhere.example"}}); err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Errorf("cross-origin upgrade: %v, %+v; want 403", err, resp)
		}

		ws, _, err := dialLive(t, srv.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		ws.init(map[string]any{"authorization": "Bearer " + tok})
		ws.subscribe("deep", `subscription { actionItemChanged { actionItem { owner { actionItems { nodes { slug } } } } } }`, nil)
		expectError(t, ws, "deep", "QUERY_TOO_DEEP")
		ws.subscribe("1", changedSubscription, nil)
		waitSubscribers(t, store, 1)
		ws.subscribe("2", changedSubscription, nil)
		expectError(t, ws, "2", codeTooManySubscriptions)
	})
}

// expectError reads the next message, which must be an error of
// operation id with the given code.
func expectError(t *testing.T, ws *wsClient, id, code string) {
	t.Helper()
	m, err := ws.read(5 * time.Second)
	for err == nil && m.Type == "complete" && m.ID != id { // an earlier operation's end
		m, err = ws.read(5 * time.Second)
	}
	if err != nil {
		t.Fatalf("%s: %v", id, err)
	}
	var errs []gqlError
	if m.Type == "next" {
		var p struct{ Errors []gqlError }
		_ = json.Unmarshal(m.Payload, &p)
		errs = p.Errors
	} else {
		_ = json.Unmarshal(m.Payload, &errs)
	}
	if m.ID != id || (m.Type != "error" && m.Type != "next") || len(errs) == 0 || errs[0].Code() != code {
		t.Fatalf("got %+v (%s); want an error %s for %s", m, m.Payload, code, id)
	}
}

// TestLiveGraphQLWSClient runs the npm client graphql-ws (web/e2e/live.mjs)
// against the real handler: it subscribes, an officer moves the item over
// HTTP, and the client prints the one event it received. Without node or
// `npm ci --prefix web` it skips loudly, except under CI=true.
func TestLiveGraphQLWSClient(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	node, nodeErr := exec.LookPath("node")
	_, pkgErr := os.Stat(filepath.Join(root, "web", "node_modules", "graphql-ws"))
	if nodeErr != nil || pkgErr != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("graphql-ws check cannot run in CI: node %v, web/node_modules/graphql-ws %v", nodeErr, pkgErr)
		}
		t.Skipf("SKIPPING the graphql-ws client check: node %v, web/node_modules/graphql-ws %v (run `npm ci --prefix web`)", nodeErr, pkgErr)
	}
	modelstest.Each(t, func(t *testing.T, d models.Dialect) {
		c, store := officerClient(t, d)
		ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, node, "--experimental-websocket", filepath.Join("web", "e2e", "live.mjs"), c.url, liveSlug)
		cmd.Dir = root
		cmd.WaitDelay = 5 * time.Second
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := bufio.NewScanner(stdout)
		var got []string
		for lines.Scan() {
			got = append(got, lines.Text())
			if lines.Text() == "subscribed" {
				waitSubscribers(t, store, 1)
				moveItem(t, c, liveSlug)
			}
		}
		if err := cmd.Wait(); err != nil {
			t.Fatalf("graphql-ws client: %v\nstdout: %q\nstderr: %s", err, got, stderr.Bytes())
		}
		if len(got) != 3 || !strings.Contains(got[2], `"kind":"STATUS_CHANGED"`) || !strings.Contains(got[2], liveSlug) {
			t.Fatalf("graphql-ws client printed %q", got)
		}
		t.Logf("graphql-ws client: %s", got[2])
	})
}

// TestSubscriptionOverHTTP checks that a subscription sent as an ordinary
// HTTP request is refused with a clear code rather than hanging.
func TestSubscriptionOverHTTP(t *testing.T) {
	c := newClient(t, modelstest.Seeded(t, modelstest.Dialects()[0]))
	e := c.mustFail(`subscription { actionItemChanged { kind } }`, nil, "BAD_USER_INPUT")
	if !strings.Contains(e.Message, "WebSocket") {
		t.Errorf("message = %q", e.Message)
	}
}

// TestActionItemChangeKinds follows every action item as the officer who
// changes them: a creation is CREATED with no previous status, a change of
// fields UPDATED with the status it kept, a write refused (a stale
// version) sends nothing, and the actor sees themself in the audit entry.
func TestActionItemChangeKinds(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, d models.Dialect) {
		c, store := officerClient(t, d)
		ws, _, err := dialLive(t, strings.TrimSuffix(c.url, "/graphql"), nil)
		if err != nil {
			t.Fatal(err)
		}
		ws.init(map[string]any{"authorization": "Bearer " + c.token})
		ws.subscribe("all", `subscription { actionItemChanged { kind previousStatus actionItem { slug title version } auditEntry { action actor { subject } } } }`, nil)
		waitSubscribers(t, store, 1)

		owner := models.NewGlobalID("Organization", orgID(t, store, "un-secretariat")).String()
		var created struct {
			CreateActionItem struct{ ActionItem struct{ ID string } }
		}
		c.mustQuery(`mutation($o: ID!) { createActionItem(input: {slug: "live-new", title: "Live", ownerId: $o}) { actionItem { id } } }`,
			map[string]any{"o": owner}, &created)
		id := created.CreateActionItem.ActionItem.ID
		c.mustFail(`mutation($id: ID!) { updateActionItem(id: $id, input: {expectedVersion: 7, title: "Stale"}) { actionItem { id } } }`,
			map[string]any{"id": id}, "CONFLICT")
		var out any
		c.mustQuery(`mutation($id: ID!) { updateActionItem(id: $id, input: {expectedVersion: 1, title: "Live, renamed"}) { actionItem { id } } }`,
			map[string]any{"id": id}, &out)

		for _, want := range []struct{ kind, previous, title, action string }{
			// The item is read at delivery, so the creation may already
			// show the later title.
			{"CREATED", "", "", "CREATE"}, {"UPDATED", "NOT_STARTED", "Live, renamed", "UPDATE"},
		} {
			m, err := ws.read(10 * time.Second)
			if err != nil {
				t.Fatalf("%s: %v", want.kind, err)
			}
			var p struct {
				Data struct {
					ActionItemChanged struct {
						Kind           string
						PreviousStatus *string
						ActionItem     struct{ Slug, Title string }
						AuditEntry     struct {
							Action string
							Actor  struct{ Subject *string }
						}
					}
				}
			}
			if err := json.Unmarshal(m.Payload, &p); err != nil {
				t.Fatal(err)
			}
			ev := p.Data.ActionItemChanged
			previous := ""
			if ev.PreviousStatus != nil {
				previous = *ev.PreviousStatus
			}
			if ev.Kind != want.kind || previous != want.previous || ev.ActionItem.Slug != "live-new" || (want.title != "" && ev.ActionItem.Title != want.title) ||
				ev.AuditEntry.Action != want.action || ev.AuditEntry.Actor.Subject == nil {
				t.Errorf("event = %s, want %+v", m.Payload, want)
			}
		}
		expectQuiet(t, ws)
	})
}

// TestLiveListenerReconnects kills the Postgres session a replica listens
// on: the listener reconnects by itself and the next change is delivered.
func TestLiveListenerReconnects(t *testing.T) {
	if !contains(modelstest.Dialects(), models.Postgres) {
		t.Skip("needs Postgres")
	}
	c, store := officerClient(t, models.Postgres)
	ws, _, err := dialLive(t, strings.TrimSuffix(c.url, "/graphql"), nil)
	if err != nil {
		t.Fatal(err)
	}
	ws.init(nil)
	ws.subscribe("1", changedSubscription, nil)
	waitSubscribers(t, store, 1)

	const listeners = "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle' AND query = 'LISTEN tracker_changes' AND pid <> pg_backend_pid()"
	var old []int
	store.DB().Raw(listeners).Scan(&old)
	if len(old) != 1 {
		t.Fatalf("listening sessions = %v, want one", old)
	}
	store.DB().Exec("SELECT pg_terminate_backend(?)", old[0])
	for deadline := time.Now().Add(10 * time.Second); ; {
		var now []int
		store.DB().Raw(listeners).Scan(&now)
		if len(now) == 1 && now[0] != old[0] {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("listening sessions = %v after killing %d", now, old[0])
		}
		time.Sleep(20 * time.Millisecond)
	}
	previous := moveItem(t, c, liveSlug)
	expectChange(t, ws, "1", liveSlug, previous)
}

// TestLiveCredentialRevoked revokes the API token a live connection
// authenticated with: the connection is closed with 4403.
func TestLiveCredentialRevoked(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, d models.Dialect) {
		store := modelstest.Seeded(t, d)
		tok, api := mustToken(t, store, models.RoleViewer, nil, nil)
		srv := httptest.NewServer(NewHandler(store, Options{Live: LiveOptions{Recheck: 50 * time.Millisecond}}))
		t.Cleanup(srv.Close)
		ws, _, err := dialLive(t, srv.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		ws.init(map[string]any{"authorization": "Bearer " + tok})
		ws.subscribe("1", changedSubscription, nil)
		waitSubscribers(t, store, 1)
		if _, err := store.RevokeAPIToken(adminCtx(), models.NewGlobalID("ApiToken", api.ID)); err != nil {
			t.Fatal(err)
		}
		for err == nil {
			_, err = ws.read(10 * time.Second)
		}
		if got := websocket.CloseStatus(err); got != closeForbidden {
			t.Errorf("close %d (%v), want %d", got, err, closeForbidden)
		}
	})
}

// TestLiveConnectionBound checks that upgrades beyond LiveOptions'
// MaxConnections are refused with 503 OVERLOADED and Retry-After, and that
// a closed connection frees its place.
func TestLiveConnectionBound(t *testing.T) {
	store := modelstest.Seeded(t, modelstest.Dialects()[0])
	srv := httptest.NewServer(NewHandler(store, Options{Auth: AuthOptions{PublicRead: true}, Live: LiveOptions{MaxConnections: 2}}))
	t.Cleanup(srv.Close)
	var open []*wsClient
	for range 2 {
		ws, _, err := dialLive(t, srv.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		open = append(open, ws)
	}
	_, resp, err := dialLive(t, srv.URL, nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("third connection: err %v, status %d, want 503 with Retry-After", err, status)
	}
	var body struct {
		Errors []gqlError `json:"errors"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || len(body.Errors) != 1 || body.Errors[0].Code() != codeOverloaded {
		t.Errorf("refusal body: %+v (%v), want one OVERLOADED error", body.Errors, err)
	}
	open[0].conn.Close(websocket.StatusNormalClosure, "")
	deadline := time.Now().Add(5 * time.Second)
	for {
		ws, _, err := dialLive(t, srv.URL, nil)
		if err == nil {
			ws.conn.Close(websocket.StatusNormalClosure, "")
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no place freed by a closed connection: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// closeCode reads until the connection ends and returns its close code.
func closeCode(ws *wsClient) websocket.StatusCode {
	var err error
	for err == nil {
		_, err = ws.read(10 * time.Second)
	}
	return websocket.CloseStatus(err)
}

// TestLiveProtocolCloseCodes checks the close codes of
// graphql-transport-ws that gqlgen does not send by itself: 4409 for a
// subscribe reusing the ID of a running operation, 4429 for a second
// connection_init, 4500 when the credentials cannot be checked (the
// database is gone) — and that the metrics count each by its code.
func TestLiveProtocolCloseCodes(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, d models.Dialect) {
		store := modelstest.Seeded(t, d)
		reg := prometheus.NewRegistry()
		srv := httptest.NewServer(NewHandler(store, Options{Metrics: reg, Auth: AuthOptions{PublicRead: true}}))
		t.Cleanup(srv.Close)

		ws, _, err := dialLive(t, srv.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		ws.init(nil)
		ws.subscribe("1", changedSubscription, nil)
		waitSubscribers(t, store, 1)
		ws.subscribe("1", changedSubscription, nil)
		if got := closeCode(ws); got != closeDuplicateID {
			t.Errorf("subscribe with a running ID: close %d, want %d", got, closeDuplicateID)
		}

		ws, _, err = dialLive(t, srv.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		ws.init(nil)
		ws.send(wsMessage{Type: "connection_init"})
		if got := closeCode(ws); got != closeTooManyInits {
			t.Errorf("second connection_init: close %d, want %d", got, closeTooManyInits)
		}

		// An ID may be used again once its operation completed.
		ws, _, err = dialLive(t, srv.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		ws.init(nil)
		ws.subscribe("q", `subscription { actionItemChanged(filter: {slug: {eq: 1}}) { kind } }`, nil)
		if m, err := ws.read(5 * time.Second); err != nil || m.ID != "q" || (m.Type != "error" && m.Type != "next") {
			t.Fatalf("invalid subscription: %+v, %v", m, err)
		}
		ws.subscribe("q", changedSubscription, nil)
		waitSubscribers(t, store, 1)
		expectQuiet(t, ws)

		if d == models.Postgres {
			// A replica whose database connections are gone: the token
			// cannot be looked up.
			tok, _ := mustToken(t, store, models.RoleViewer, nil, nil)
			replica := modelstest.Replica(t, store)
			down := httptest.NewServer(NewHandler(replica, Options{}))
			t.Cleanup(down.Close)
			sqlDB, err := replica.DB().DB()
			if err != nil {
				t.Fatal(err)
			}
			sqlDB.Close()
			ws, _, err = dialLive(t, down.URL, nil)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(map[string]any{"authorization": "Bearer " + tok})
			ws.send(wsMessage{Type: "connection_init", Payload: b})
			if got := closeCode(ws); got != closeServerError {
				t.Errorf("credentials not checkable: close %d, want %d", got, closeServerError)
			}
		}

		for _, code := range []string{"4409", "4429"} {
			if got := metricValue(t, reg, "tracker_live_refusals_total", map[string]string{"transport": "websocket", "code": code}); got != 1 {
				t.Errorf("refusals %s = %v, want 1", code, got)
			}
		}
	})
}

// TestLiveCallerBound checks LiveOptions.MaxConnectionsPerCaller across
// transports: with one place per caller, a caller holding an SSE stream
// has a WebSocket closed with 1013 at connection_init, while another
// caller's is accepted; the place is free again once the stream ends.
func TestLiveCallerBound(t *testing.T) {
	store := modelstest.Seeded(t, modelstest.Dialects()[0])
	srv := httptest.NewServer(NewHandler(store, Options{Live: LiveOptions{MaxConnectionsPerCaller: 1}}))
	t.Cleanup(srv.Close)
	tokA, _ := mustToken(t, store, models.RoleViewer, nil, nil)
	tokB, _ := mustToken(t, store, models.RoleViewer, nil, nil)
	resp, s := openSSE(t, srv.URL+"/graphql", http.MethodPost, changedSubscription, nil, http.Header{"Authorization": {"Bearer " + tokA}})
	if s == nil {
		t.Fatal("not a stream")
	}
	waitSubscribers(t, store, 1)

	initAs := func(tok string) *wsClient {
		ws, _, err := dialLive(t, srv.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(map[string]any{"authorization": "Bearer " + tok})
		ws.send(wsMessage{Type: "connection_init", Payload: b})
		return ws
	}
	if got := closeCode(initAs(tokA)); got != closeTooManyForCaller {
		t.Errorf("second connection of a caller: close %d, want %d", got, closeTooManyForCaller)
	}
	if m, err := initAs(tokB).read(5 * time.Second); err != nil || m.Type != "connection_ack" {
		t.Errorf("another caller: %+v, %v; want connection_ack", m, err)
	}
	resp.Body.Close()
	waitSubscribers(t, store, 0)
	for deadline := time.Now().Add(5 * time.Second); ; {
		m, err := initAs(tokA).read(5 * time.Second)
		if err == nil && m.Type == "connection_ack" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the place of a closed stream is not freed: %+v, %v", m, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestLiveIdleTimeout checks that a WebSocket holding no operation for
// IdleTimeout is closed with 1000, and one holding a subscription is not,
// in graphql-transport-ws and in the older graphql-ws protocol.
func TestLiveIdleTimeout(t *testing.T) {
	store := modelstest.Seeded(t, modelstest.Dialects()[0])
	srv := httptest.NewServer(NewHandler(store, Options{Auth: AuthOptions{PublicRead: true}, Live: LiveOptions{IdleTimeout: 200 * time.Millisecond}}))
	t.Cleanup(srv.Close)
	busy, _, err := dialLive(t, srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	busy.init(nil)
	busy.subscribe("1", changedSubscription, nil)
	legacy, _, err := websocket.Dial(busy.ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/graphql", &websocket.DialOptions{Subprotocols: []string{"graphql-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	defer legacy.CloseNow()
	for _, m := range []string{`{"type":"connection_init"}`, `{"id":"1","type":"start","payload":{"query":"subscription { actionItemChanged { kind } }"}}`} {
		if err := legacy.Write(busy.ctx, websocket.MessageText, []byte(m)); err != nil {
			t.Fatal(err)
		}
	}
	idle, _, err := dialLive(t, srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	idle.init(nil)
	start := time.Now()
	if got := closeCode(idle); got != closeIdle {
		t.Errorf("idle connection: close %d, want %d", got, closeIdle)
	}
	if d := time.Since(start); d < 150*time.Millisecond || d > 3*time.Second {
		t.Errorf("idle connection closed after %s, want about 200ms", d)
	}
	if m, err := busy.read(time.Second); err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("busy connection: %+v, %v; want it open", m, err)
	}
	legacyWS := &wsClient{t: t, conn: legacy, ctx: busy.ctx}
	if m, err := legacyWS.read(time.Second); err != nil && !errors.Is(err, context.DeadlineExceeded) || err == nil && m.Type != "connection_ack" {
		t.Errorf("busy graphql-ws connection: %+v, %v; want it open", m, err)
	}
	if _, err := legacyWS.read(500 * time.Millisecond); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("busy graphql-ws connection: %v; want it open", err)
	}
}

// TestLiveSlowConsumer subscribes with a client that stops reading, on a
// socket with a small receive buffer, and has an officer move items until
// the connection's send queue (4 messages) is full (the server's socket
// has a small send buffer too): the server closes it
// with 4413 at once, and the client, reading again, gets what was already
// sent (not what was still queued) and then that close code. Events are large (40 aliases of a
// description) so that the socket buffers fill after few changes.
func TestLiveSlowConsumer(t *testing.T) {
	c, store := officerClient(t, modelstest.Dialects()[0])
	reg := prometheus.NewRegistry()
	srv := httptest.NewUnstartedServer(NewHandler(store, Options{Metrics: reg, Auth: AuthOptions{PublicRead: true}, Live: LiveOptions{SendQueue: 4}}))
	srv.Listener = smallSendBuffers{srv.Listener}
	srv.Start()
	t.Cleanup(srv.Close)
	dialer := &net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		return rc.Control(func(fd uintptr) { _ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/graphql", &websocket.DialOptions{
		Subprotocols: []string{"graphql-transport-ws"},
		HTTPClient:   &http.Client{Transport: &http.Transport{DialContext: dialer.DialContext}},
	})
	if err != nil {
		t.Fatal(err)
	}
	conn.SetReadLimit(1 << 20)
	defer conn.CloseNow()
	ws := &wsClient{t: t, conn: conn, ctx: ctx}
	ws.init(nil)
	var big strings.Builder
	for i := range 40 {
		fmt.Fprintf(&big, " d%d: description", i)
	}
	ws.subscribe("1", `subscription { actionItemChanged { kind actionItem {`+big.String()+` } } }`, nil)
	waitSubscribers(t, store, 1)

	slow := func() float64 {
		return metricValue(t, reg, "tracker_live_refusals_total", map[string]string{"transport": "websocket", "code": "4413"})
	}
	moves := 0
	for ; slow() == 0; moves++ {
		if moves == 400 {
			t.Fatalf("no slow-consumer close after %d changes", moves)
		}
		moveItem(t, c, liveSlug)
	}
	events := 0
	for err == nil {
		var m wsMessage
		if m, err = ws.read(10 * time.Second); err == nil && m.Type == "next" {
			events++
		}
	}
	if got := websocket.CloseStatus(err); got != closeSlowConsumer {
		t.Errorf("close %d (%v), want %d", got, err, closeSlowConsumer)
	}
	if events >= moves {
		t.Errorf("received %d events of %d changes: the server held them all", events, moves)
	}
	t.Logf("closed after %d changes, %d events received", moves, events)
	waitSubscribers(t, store, 0)
}

// smallSendBuffers gives the connections it accepts a small send buffer,
// so that a client that does not read fills it soon.
type smallSendBuffers struct{ net.Listener }

func (l smallSendBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(8192)
	}
	return c, err
}

// TestLiveMetrics checks the live metrics of a WebSocket: its connection
// and subscription while open, and for an event delivered, the event and
// its delivery latency.
func TestLiveMetrics(t *testing.T) {
	c, store := officerClient(t, modelstest.Dialects()[0])
	reg := prometheus.NewRegistry()
	srv := httptest.NewServer(NewHandler(store, Options{Metrics: reg, Auth: AuthOptions{PublicRead: true}}))
	t.Cleanup(srv.Close)
	ws, _, err := dialLive(t, srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	ws.init(nil)
	ws.subscribe("1", changedSubscription, nil)
	waitSubscribers(t, store, 1)
	previous := moveItem(t, c, liveSlug)
	expectChange(t, ws, "1", liveSlug, previous)
	ws.t = t
	labels := map[string]string{"transport": "websocket"}
	for name, want := range map[string]float64{"tracker_live_connections": 1, "tracker_live_subscriptions": 1,
		"tracker_live_events_total": 1, "tracker_live_delivery_seconds": 1} {
		// An event is counted once written, which may be just after
		// the client has read it.
		for deadline := time.Now().Add(5 * time.Second); metricValue(t, reg, name, labels) != want && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
		if got := metricValue(t, reg, name, labels); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	ws.conn.Close(websocket.StatusNormalClosure, "")
	for deadline := time.Now().Add(5 * time.Second); metricValue(t, reg, "tracker_live_connections", labels) != 0; {
		if time.Now().After(deadline) {
			t.Fatal("tracker_live_connections stays at 1 after the connection closed")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The subscription ends with its context, just after the connection.
	for deadline := time.Now().Add(5 * time.Second); metricValue(t, reg, "tracker_live_subscriptions", labels) != 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if got := metricValue(t, reg, "tracker_live_subscriptions", labels); got != 0 {
		t.Errorf("tracker_live_subscriptions = %v after the connection closed", got)
	}
}
