package graph

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"tracker/models"
	"tracker/models/modelstest"
)

// sseEvent is one event of a graphql-sse stream; a comment line is an
// event named ":".
type sseEvent struct{ Event, Data string }

// sseReader reads the events of a stream response.
type sseReader struct {
	t      *testing.T
	resp   *http.Response
	events chan sseEvent // closed at the end of the stream
}

// openSSE sends a graphql-sse request (POST with a JSON body, or GET with
// the request in the URL) to endpoint and returns the response, and a
// reader of its events when it is a stream.
func openSSE(t *testing.T, endpoint, method, query string, vars map[string]any, header http.Header) (*http.Response, *sseReader) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	var req *http.Request
	var err error
	if method == http.MethodGet {
		q := url.Values{"query": {query}}
		if vars != nil {
			b, _ := json.Marshal(vars)
			q.Set("variables", string(b))
		}
		req, err = http.NewRequestWithContext(ctx, method, endpoint+"?"+q.Encode(), nil)
	} else {
		b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
		req, err = http.NewRequestWithContext(ctx, method, endpoint, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
	}
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/event-stream")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		return resp, nil
	}
	s := &sseReader{t: t, resp: resp, events: make(chan sseEvent, 100)}
	go func() {
		defer close(s.events)
		lines := bufio.NewScanner(resp.Body)
		var ev sseEvent
		for lines.Scan() {
			line := lines.Text()
			switch {
			case line == "":
				if ev.Event != "" {
					s.events <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, ":"):
				s.events <- sseEvent{Event: ":", Data: line}
			case strings.HasPrefix(line, "event: "):
				ev.Event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.Data += strings.TrimPrefix(line, "data: ")
			}
		}
	}()
	return resp, s
}

// next returns the next event other than a comment, within d; ok is false
// at the end of the stream.
func (s *sseReader) next(d time.Duration) (sseEvent, bool) {
	s.t.Helper()
	timeout := time.After(d)
	for {
		select {
		case ev, ok := <-s.events:
			if !ok {
				return sseEvent{}, false
			}
			if ev.Event != ":" {
				return ev, true
			}
		case <-timeout:
			s.t.Fatalf("no event within %s", d)
		}
	}
}

// expectSSEChange reads the next event, which must be the STATUS_CHANGED
// of slug from previous.
func expectSSEChange(t *testing.T, s *sseReader, slug, previous string) {
	t.Helper()
	ev, ok := s.next(10 * time.Second)
	var p struct {
		Data   liveChange
		Errors []gqlError
	}
	if !ok || ev.Event != "next" || json.Unmarshal([]byte(ev.Data), &p) != nil || len(p.Errors) > 0 {
		t.Fatalf("got %+v, %v; want a next event", ev, ok)
	}
	c := p.Data.ActionItemChanged
	if c.Kind != "STATUS_CHANGED" || c.PreviousStatus == nil || *c.PreviousStatus != previous || c.ActionItem == nil || c.ActionItem.Slug != slug {
		t.Fatalf("event = %s", ev.Data)
	}
}

// TestSSEActionItemChanged subscribes over graphql-sse, by POST and by
// GET, through the real handler; an officer moves the item over HTTP and
// each stream gets the one STATUS_CHANGED event.
func TestSSEActionItemChanged(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, d models.Dialect) {
		c, store := officerClient(t, d)
		// Two filters matching the item, so that the streams are two
		// subscriptions (identical ones would share one).
		filters := map[string]map[string]any{
			http.MethodPost: {"f": map[string]any{"slug": map[string]any{"eq": liveSlug}}},
			http.MethodGet:  {"f": map[string]any{"slug": map[string]any{"in": []string{liveSlug}}}},
		}
		var streams []*sseReader
		for _, method := range []string{http.MethodPost, http.MethodGet} {
			resp, s := openSSE(t, c.url, method, changedSubscription, filters[method], nil)
			if s == nil {
				body, _ := io.ReadAll(resp.Body)
				t.Fatalf("%s: status %d, %s: %s", method, resp.StatusCode, resp.Header.Get("Content-Type"), body)
			}
			streams = append(streams, s)
		}
		waitSubscribers(t, store, 2)
		previous := moveItem(t, c, liveSlug)
		for _, s := range streams {
			expectSSEChange(t, s, liveSlug, previous)
		}
	})
}

// TestSSEQuery checks that a query over graphql-sse answers once: one
// next event, then complete, then the end of the stream.
func TestSSEQuery(t *testing.T) {
	c := newClient(t, modelstest.Seeded(t, modelstest.Dialects()[0]))
	_, s := openSSE(t, c.url, http.MethodPost, `{ actionItem(slug: "`+liveSlug+`") { slug } }`, nil, nil)
	if s == nil {
		t.Fatal("not a stream")
	}
	var got []string
	for ev, ok := s.next(5 * time.Second); ok; ev, ok = s.next(5 * time.Second) {
		got = append(got, ev.Event+" "+ev.Data)
	}
	want := []string{`next {"data":{"actionItem":{"slug":"` + liveSlug + `"}}}`, "complete "}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestSSERefusals checks the refusals of streams, each with its status
// and code: no credentials where they are required (401), a mutation by
// GET (405), a body that is not JSON (415), a caller beyond
// MaxConnectionsPerCaller (429 TOO_MANY_CONNECTIONS), any connection
// beyond MaxConnections (503 OVERLOADED) — and that the metrics count
// them.
func TestSSERefusals(t *testing.T) {
	store := modelstest.Seeded(t, modelstest.Dialects()[0])
	reg := prometheus.NewRegistry()
	srv := httptest.NewServer(NewHandler(store, Options{Metrics: reg, Live: LiveOptions{MaxConnectionsPerCaller: 1, MaxConnections: 2}}))
	t.Cleanup(srv.Close)
	endpoint := srv.URL + "/graphql"
	bearer := func(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }
	tokA, _ := mustToken(t, store, models.RoleViewer, nil, nil)
	tokB, _ := mustToken(t, store, models.RoleViewer, nil, nil)
	tokC, _ := mustToken(t, store, models.RoleViewer, nil, nil)

	refused := func(name string, resp *http.Response, s *sseReader, status int, code string) {
		t.Helper()
		var body struct{ Errors []gqlError }
		if s != nil || resp.StatusCode != status || json.NewDecoder(resp.Body).Decode(&body) != nil || len(body.Errors) != 1 || body.Errors[0].Code() != code {
			t.Errorf("%s: status %d, errors %+v; want %d %s", name, resp.StatusCode, body.Errors, status, code)
		}
	}
	resp, s := openSSE(t, endpoint, http.MethodPost, changedSubscription, nil, nil)
	refused("no credentials", resp, s, http.StatusUnauthorized, string(models.CodeUnauthenticated))
	resp, s = openSSE(t, endpoint, http.MethodGet, `mutation { createApiToken(input: {name: "x", role: VIEWER}) { secret } }`, nil, bearer(tokA))
	refused("mutation by GET", resp, s, http.StatusMethodNotAllowed, codeBadRequest)

	req, _ := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(`query=x`))
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+tokA)
	form, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	form.Body.Close()
	if form.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("form body: status %d, want 415", form.StatusCode)
	}

	if _, s := openSSE(t, endpoint, http.MethodPost, changedSubscription, nil, bearer(tokA)); s == nil {
		t.Fatal("first stream refused")
	}
	waitSubscribers(t, store, 1)
	resp, s = openSSE(t, endpoint, http.MethodPost, changedSubscription, nil, bearer(tokA))
	refused("second stream of a caller", resp, s, http.StatusTooManyRequests, codeTooManyConnections)
	if resp.Header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	other := map[string]any{"f": map[string]any{"slug": map[string]any{"eq": "another"}}} // not the first stream's subscription, which it would share
	if _, s := openSSE(t, endpoint, http.MethodPost, changedSubscription, other, bearer(tokB)); s == nil {
		t.Fatal("another caller's stream refused")
	}
	waitSubscribers(t, store, 2)
	resp, s = openSSE(t, endpoint, http.MethodPost, changedSubscription, nil, bearer(tokC))
	refused("a stream beyond MaxConnections", resp, s, http.StatusServiceUnavailable, codeOverloaded)

	for _, want := range []struct {
		code string
		n    float64
	}{{codeTooManyConnections, 1}, {codeOverloaded, 1}} {
		if got := metricValue(t, reg, "tracker_live_refusals_total", map[string]string{"transport": "sse", "code": want.code}); got != want.n {
			t.Errorf("refusals %s = %v, want %v", want.code, got, want.n)
		}
	}
	if got := metricValue(t, reg, "tracker_live_connections", map[string]string{"transport": "sse"}); got != 2 {
		t.Errorf("live connections (sse) = %v, want 2", got)
	}
	if got := metricValue(t, reg, "tracker_live_subscriptions", map[string]string{"transport": "sse"}); got != 2 {
		t.Errorf("live subscriptions (sse) = %v, want 2", got)
	}
}

// TestSSECredentialRevoked revokes the API token a stream authenticated
// with: the stream gets a last next event with an UNAUTHENTICATED error,
// then complete, then ends.
func TestSSECredentialRevoked(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, d models.Dialect) {
		store := modelstest.Seeded(t, d)
		tok, api := mustToken(t, store, models.RoleViewer, nil, nil)
		srv := httptest.NewServer(NewHandler(store, Options{Live: LiveOptions{Recheck: 50 * time.Millisecond, KeepAlive: 20 * time.Millisecond}}))
		t.Cleanup(srv.Close)
		_, s := openSSE(t, srv.URL+"/graphql", http.MethodPost, changedSubscription, nil, http.Header{"Authorization": {"Bearer " + tok}})
		if s == nil {
			t.Fatal("not a stream")
		}
		waitSubscribers(t, store, 1)
		// Keep-alive comments flow while nothing happens.
		for ev := range s.events {
			if ev.Event == ":" {
				break
			}
		}
		if _, err := store.RevokeAPIToken(adminCtx(), models.NewGlobalID("ApiToken", api.ID)); err != nil {
			t.Fatal(err)
		}
		ev, ok := s.next(10 * time.Second)
		var p struct{ Errors []gqlError }
		if !ok || ev.Event != "next" || json.Unmarshal([]byte(ev.Data), &p) != nil || len(p.Errors) != 1 || p.Errors[0].Code() != string(models.CodeUnauthenticated) {
			t.Fatalf("got %+v, %v; want a next event with an UNAUTHENTICATED error", ev, ok)
		}
		if ev, ok := s.next(5 * time.Second); !ok || ev.Event != "complete" {
			t.Fatalf("got %+v, %v; want complete", ev, ok)
		}
		if ev, ok := s.next(5 * time.Second); ok {
			t.Fatalf("got %+v after complete", ev)
		}
	})
}

// TestLiveDrain drains LiveOptions.Drain, as the server does on SIGTERM:
// a WebSocket is closed with 1001 (going away) and an SSE stream ends
// without complete, so that clients reconnect, to another replica; Drain
// returns once both are gone.
func TestLiveDrain(t *testing.T) {
	store := modelstest.Seeded(t, modelstest.Dialects()[0])
	drain := NewLiveDrain()
	srv := httptest.NewServer(NewHandler(store, Options{Auth: AuthOptions{PublicRead: true}, Live: LiveOptions{Drain: drain}}))
	t.Cleanup(srv.Close)
	ws, _, err := dialLive(t, srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	ws.init(nil)
	ws.subscribe("1", changedSubscription, nil)
	other := map[string]any{"f": map[string]any{"slug": map[string]any{"eq": "another"}}} // not shared with the WebSocket's
	_, s := openSSE(t, srv.URL+"/graphql", http.MethodPost, changedSubscription, other, nil)
	if s == nil {
		t.Fatal("not a stream")
	}
	waitSubscribers(t, store, 2)
	drained := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		drained <- drain.Drain(ctx)
	}()
	for err == nil {
		_, err = ws.read(10 * time.Second)
	}
	if got := websocket.CloseStatus(err); got != closeGoingAway {
		t.Errorf("WebSocket: close %d (%v), want %d", got, err, closeGoingAway)
	}
	if ev, ok := s.next(10 * time.Second); ok {
		t.Errorf("SSE: got %+v, want the end of the stream without complete", ev)
	}
	if err := <-drained; err != nil {
		t.Errorf("drain: %v", err)
	}
	waitSubscribers(t, store, 0)
}

// TestCORS checks CORS_ORIGINS for HTTP and SSE: a preflight from an
// allowed origin is answered with the methods and headers a dashboard
// needs, one from another origin is not; responses carry
// Access-Control-Allow-Origin only for an allowed origin, and Vary: Origin;
// without CORS_ORIGINS nothing is allowed.
func TestCORS(t *testing.T) {
	store := modelstest.Seeded(t, modelstest.Dialects()[0])
	srv := httptest.NewServer(NewHandler(store, Options{Auth: AuthOptions{PublicRead: true}, Live: LiveOptions{OriginPatterns: []string{"dash.example.org"}}}))
	t.Cleanup(srv.Close)
	closed := httptest.NewServer(NewHandler(store, Options{Auth: AuthOptions{PublicRead: true}}))
	t.Cleanup(closed.Close)

	preflight := func(base, origin string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodOptions, base+"/graphql", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization,content-type")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	resp := preflight(srv.URL, "https://dash.example.org")
	allowHeaders := strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers"))
	if resp.StatusCode/100 != 2 || resp.Header.Get("Access-Control-Allow-Origin") != "https://dash.example.org" ||
		!strings.Contains(allowHeaders, "authorization") || !strings.Contains(allowHeaders, "content-type") ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Methods"), "POST") || resp.Header.Get("Access-Control-Allow-Credentials") != "" {
		t.Errorf("allowed preflight: %d %v", resp.StatusCode, resp.Header)
	}
	for name, r := range map[string]*http.Response{"other origin": preflight(srv.URL, "https://elsewhere.example"), "no CORS_ORIGINS": preflight(closed.URL, "https://dash.example.org")} {
		if r.Header.Get("Access-Control-Allow-Origin") != "" || r.Header.Get("Access-Control-Allow-Headers") != "" {
			t.Errorf("%s preflight allowed: %d %v", name, r.StatusCode, r.Header)
		}
	}

	post := func(origin string, stream bool) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/graphql", strings.NewReader(`{"query":"{ actionItem(slug: \"`+liveSlug+`\") { slug } }"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", origin)
		if stream {
			req.Header.Set("Accept", "text/event-stream")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !bytes.Contains(body, []byte(liveSlug)) {
			t.Errorf("origin %s, stream %v: %d %s", origin, stream, resp.StatusCode, body)
		}
		return resp
	}
	for _, stream := range []bool{false, true} {
		if r := post("https://dash.example.org", stream); r.Header.Get("Access-Control-Allow-Origin") != "https://dash.example.org" ||
			!strings.Contains(r.Header.Get("Vary"), "Origin") || !strings.Contains(r.Header.Get("Access-Control-Expose-Headers"), "Retry-After") {
			t.Errorf("allowed origin, stream %v: %v", stream, r.Header)
		}
		if r := post("https://elsewhere.example", stream); r.Header.Get("Access-Control-Allow-Origin") != "" || !strings.Contains(r.Header.Get("Vary"), "Origin") {
			t.Errorf("other origin, stream %v: %v", stream, r.Header)
		}
	}
}

// metricValue returns the value of the metric name of reg with the given
// labels: a counter's or gauge's value, a histogram's count of
// observations; 0 when there is none.
func metricValue(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	metrics:
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if v, ok := labels[l.GetName()]; ok && v != l.GetValue() {
					continue metrics
				}
			}
			switch {
			case m.Counter != nil:
				return m.GetCounter().GetValue()
			case m.Gauge != nil:
				return m.GetGauge().GetValue()
			case m.Histogram != nil:
				return float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return 0
}

// TestSSEOutlivesServerTimeouts checks that a stream is not cut by the
// HTTP server's read and write timeouts, which bound ordinary requests:
// keep-alive comments still arrive, and then an event, well past them.
func TestSSEOutlivesServerTimeouts(t *testing.T) {
	c, store := officerClient(t, modelstest.Dialects()[0])
	srv := httptest.NewUnstartedServer(NewHandler(store, Options{Auth: AuthOptions{PublicRead: true}, Live: LiveOptions{KeepAlive: 50 * time.Millisecond}}))
	srv.Config.ReadTimeout, srv.Config.WriteTimeout = 200*time.Millisecond, 200*time.Millisecond
	srv.Start()
	t.Cleanup(srv.Close)
	_, s := openSSE(t, srv.URL+"/graphql", http.MethodPost, changedSubscription, nil, nil)
	if s == nil {
		t.Fatal("not a stream")
	}
	waitSubscribers(t, store, 1)
	time.Sleep(time.Second)
	previous := moveItem(t, c, liveSlug)
	expectSSEChange(t, s, liveSlug, previous)
}

// TestSSEGraphQLSSEClient runs the npm client graphql-sse (web/e2e/sse.mjs)
// against the real handler: it subscribes over Server-Sent Events with
// the officer's token in its Authorization header, the officer moves the
// item over HTTP, and the client prints the one event it received.
// Without node or `npm ci --prefix web` it skips loudly, except under
// CI=true.
func TestSSEGraphQLSSEClient(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	node, nodeErr := exec.LookPath("node")
	_, pkgErr := os.Stat(filepath.Join(root, "web", "node_modules", "graphql-sse"))
	if nodeErr != nil || pkgErr != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("graphql-sse check cannot run in CI: node %v, web/node_modules/graphql-sse %v", nodeErr, pkgErr)
		}
		t.Skipf("SKIPPING the graphql-sse client check: node %v, web/node_modules/graphql-sse %v (run `npm ci --prefix web`)", nodeErr, pkgErr)
	}
	modelstest.Each(t, func(t *testing.T, d models.Dialect) {
		c, store := officerClient(t, d)
		ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, node, filepath.Join("web", "e2e", "sse.mjs"), c.url, liveSlug)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "LIVE_TOKEN="+c.token)
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
			if lines.Text() == "connected" {
				waitSubscribers(t, store, 1)
				moveItem(t, c, liveSlug)
			}
		}
		if err := cmd.Wait(); err != nil {
			t.Fatalf("graphql-sse client: %v\nstdout: %q\nstderr: %s", err, got, stderr.Bytes())
		}
		if len(got) != 2 || !strings.Contains(got[1], `"kind":"STATUS_CHANGED"`) || !strings.Contains(got[1], liveSlug) {
			t.Fatalf("graphql-sse client printed %q", got)
		}
		t.Logf("graphql-sse client: %s", got[1])
	})
}

// TestSSEQueryTimeout checks that a query over SSE, which answers once,
// keeps the request timeout of HTTP: with every database connection held,
// it answers with an error at the deadline, then complete, instead of
// waiting as long as the stream lasts.
func TestSSEQueryTimeout(t *testing.T) {
	store := modelstest.Seeded(t, modelstest.Dialects()[0])
	srv := httptest.NewServer(NewHandler(store, Options{Auth: AuthOptions{PublicRead: true}, Timeout: 300 * time.Millisecond}))
	t.Cleanup(srv.Close)
	release := holdConnections(t, store)
	defer release()
	_, s := openSSE(t, srv.URL+"/graphql", http.MethodPost, `{ actionItem(slug: "`+liveSlug+`") { slug } }`, nil, nil)
	if s == nil {
		t.Fatal("not a stream")
	}
	ev, ok := s.next(5 * time.Second)
	var p struct {
		Data   map[string]any
		Errors []gqlError
	}
	if !ok || ev.Event != "next" || json.Unmarshal([]byte(ev.Data), &p) != nil || len(p.Errors) == 0 {
		t.Fatalf("got %+v, %v; want a next event with an error", ev, ok)
	}
	if ev, ok := s.next(5 * time.Second); !ok || ev.Event != "complete" {
		t.Fatalf("got %+v, %v; want complete", ev, ok)
	}
}
