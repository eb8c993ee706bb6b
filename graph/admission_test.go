package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"tracker/models"
	"tracker/models/modelstest"
)

// heavyQuery costs more than the tests' ADMISSION_MIN_COST; like every
// query it needs a database connection, which the tests hold to keep it
// running — deterministically, however long the test takes.
const heavyQuery = `{ initiatives(first: 100) { nodes { title partnerships { nodes { role } } } } }`

// admissionServer starts the real handler over store with adm, and
// returns its URL and metrics.
func admissionServer(t *testing.T, store *models.Store, adm Admission) (string, *prometheus.Registry) {
	t.Helper()
	return admissionServerWithTimeout(t, store, adm, time.Minute)
}

func admissionServerWithTimeout(t *testing.T, store *models.Store, adm Admission, timeout time.Duration) (string, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	srv := httptest.NewServer(NewHandler(store, Options{Metrics: reg, Auth: AuthOptions{PublicRead: true},
		Admission: adm, Timeout: timeout}))
	t.Cleanup(srv.Close)
	return srv.URL, reg
}

// holdConnections leaves the store's pool one connection and takes it: every
// statement waits until the returned function gives it back.
func holdConnections(t *testing.T, store *models.Store) func() {
	t.Helper()
	sqlDB, err := store.DB().DB()
	if err != nil {
		t.Fatal(err)
	}
	sqlDB.SetMaxOpenConns(1)
	conn, err := sqlDB.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var once bool
	release := func() {
		if !once {
			once = true
			conn.Close()
		}
	}
	t.Cleanup(release)
	return release
}

// rawResponse is an HTTP answer with its decoded GraphQL errors.
type rawResponse struct {
	status     int
	retryAfter string
	took       time.Duration
	body       []byte
	errors     []gqlError
}

func (r rawResponse) code() string {
	if len(r.errors) == 0 {
		return ""
	}
	return r.errors[0].Code()
}

// postAs sends query to url, with token as bearer credentials when set.
func postAs(t *testing.T, url, token, query string) rawResponse {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query})
	req, err := http.NewRequest(http.MethodPost, url+"/graphql", bytes.NewReader(body))
	if err != nil {
		t.Error(err)
		return rawResponse{}
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return rawResponse{}
	}
	defer resp.Body.Close()
	r := rawResponse{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After")}
	r.body, _ = io.ReadAll(resp.Body)
	r.took = time.Since(start)
	var dec struct{ Errors []gqlError }
	_ = json.Unmarshal(r.body, &dec)
	r.errors = dec.Errors
	return r
}

// waitForGauge waits until the gauge name of reg reads want: the state the
// test drives the server into, observed rather than assumed after a sleep.
func waitForGauge(t *testing.T, reg *prometheus.Registry, name string, want float64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		families, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		var got float64
		for _, f := range families {
			if f.GetName() == name && len(f.GetMetric()) > 0 {
				got = f.GetMetric()[0].GetGauge().GetValue()
			}
		}
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s = %v, want %v", name, got, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// counterWith returns the sum of the counters name of reg whose label
// has the value value.
func counterWith(t *testing.T, reg *prometheus.Registry, name, label, value string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == label && l.GetValue() == value {
					sum += m.GetCounter().GetValue()
				}
			}
		}
	}
	return sum
}

// mustOverloaded checks a refusal for want of capacity: fast, 503, with
// Retry-After and OVERLOADED.
func mustOverloaded(t *testing.T, r rawResponse, retryAfter string, within time.Duration) {
	t.Helper()
	if r.status != http.StatusServiceUnavailable || r.code() != codeOverloaded {
		t.Errorf("got HTTP %d %s, want 503 OVERLOADED: %s", r.status, r.code(), r.body)
	}
	if r.retryAfter != retryAfter {
		t.Errorf("Retry-After = %q, want %q", r.retryAfter, retryAfter)
	}
	if r.took > within {
		t.Errorf("refused in %v, want within %v", r.took, within)
	}
}

func TestAdmission(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, d models.Dialect) {
		store := modelstest.Seeded(t, d)

		t.Run("QueueFull", func(t *testing.T) {
			// One expensive operation at a time, one waiting: the third is
			// refused at once, while cheap requests go on.
			url, reg := admissionServer(t, store, Admission{MaxCost: 1000, MinCost: 100, MaxConcurrent: 1, Queue: 1, MaxWait: 20 * time.Second})
			release := holdConnections(t, store)
			first, second := make(chan rawResponse, 1), make(chan rawResponse, 1)
			go func() { first <- postAs(t, url, "", heavyQuery) }()
			waitForGauge(t, reg, "tracker_admission_cost_in_flight", 1000)
			go func() { second <- postAs(t, url, "", heavyQuery) }()
			waitForGauge(t, reg, "tracker_admission_queued", 1)

			mustOverloaded(t, postAs(t, url, "", heavyQuery), "20", time.Second)
			if n := counterWith(t, reg, "tracker_graphql_requests_total", "outcome", codeOverloaded); n != 1 {
				t.Errorf("requests counted with outcome OVERLOADED = %v, want 1", n)
			}
			if r := postAs(t, url, "", `{ __typename }`); r.status != http.StatusOK || !strings.Contains(string(r.body), `"__typename":"Query"`) {
				t.Errorf("{ __typename } while the budget is held: HTTP %d %s", r.status, r.body)
			}
			if code := getStatus(t, url+"/healthz"); code != http.StatusOK {
				t.Errorf("/healthz while the budget is held: HTTP %d", code)
			}

			release()
			for i, ch := range []chan rawResponse{first, second} {
				if r := <-ch; r.status != http.StatusOK || len(r.errors) > 0 || !bytes.HasPrefix(r.body, []byte(`{"data":{"initiatives"`)) {
					t.Errorf("heavy query %d once the budget is free: HTTP %d %s", i+1, r.status, r.body)
				}
			}
			waitForGauge(t, reg, "tracker_admission_cost_in_flight", 0)
		})

		t.Run("WaitAndCredentials", func(t *testing.T) {
			// A query waits at most MaxWait for the budget, and a token's
			// check as long for a connection: both are OVERLOADED, never
			// UNAVAILABLE, which means the database is down.
			token, _ := mustToken(t, store, models.RoleViewer, nil, nil)
			url, reg := admissionServer(t, store, Admission{MaxCost: 1000, MinCost: 100, MaxConcurrent: 1, Queue: 4, MaxWait: 200 * time.Millisecond})
			release := holdConnections(t, store)
			first := make(chan rawResponse, 1)
			go func() { first <- postAs(t, url, "", heavyQuery) }()
			waitForGauge(t, reg, "tracker_admission_cost_in_flight", 1000)

			r := postAs(t, url, "", heavyQuery)
			mustOverloaded(t, r, "1", 5*time.Second)
			if r.took < 200*time.Millisecond {
				t.Errorf("refused in %v, before waiting 200ms", r.took)
			}
			mustOverloaded(t, postAs(t, url, token, `{ __typename }`), "1", 5*time.Second)

			release()
			if r := <-first; r.status != http.StatusOK || len(r.errors) > 0 {
				t.Errorf("heavy query once the connection is free: HTTP %d %s", r.status, r.body)
			}
			if r := postAs(t, url, token, `{ __typename }`); r.status != http.StatusOK {
				t.Errorf("token once the connection is free: HTTP %d %s", r.status, r.body)
			}
		})

		t.Run("DatabaseDownIsUnavailable", func(t *testing.T) {
			// A token check that fails at once is the database being down:
			// UNAVAILABLE still, not OVERLOADED.
			down := modelstest.NewStore(t, d)
			token, _ := mustToken(t, down, models.RoleViewer, nil, nil)
			url, _ := admissionServer(t, down, Admission{MaxWait: 10 * time.Second})
			sqlDB, err := down.DB().DB()
			if err != nil {
				t.Fatal(err)
			}
			sqlDB.Close()
			r := postAs(t, url, token, `{ __typename }`)
			if r.status != http.StatusServiceUnavailable || r.code() != string(models.CodeUnavailable) {
				t.Errorf("got HTTP %d %s, want 503 UNAVAILABLE", r.status, r.body)
			}
			if r.took > 5*time.Second {
				t.Errorf("answered in %v: it waited for the admission wait", r.took)
			}
		})

		t.Run("ConnectionWaitIsTimeout", func(t *testing.T) {
			// A query that waits for a database connection past its
			// deadline is a TIMEOUT: the database is busy, not down.
			url, _ := admissionServerWithTimeout(t, store, Admission{}, 300*time.Millisecond)
			release := holdConnections(t, store)
			defer release()
			r := postAs(t, url, "", `{ organizations(first: 1) { nodes { name } } }`)
			if r.code() != string(models.CodeTimeout) {
				t.Errorf("got HTTP %d %s, want TIMEOUT", r.status, r.body)
			}
		})

		t.Run("CheapNeverCounted", func(t *testing.T) {
			url, reg := admissionServer(t, store, Admission{MaxCost: 1000, MinCost: 100_000, MaxConcurrent: 1, Queue: 1, MaxWait: time.Second})
			if r := postAs(t, url, "", heavyQuery); r.status != http.StatusOK || len(r.errors) > 0 {
				t.Fatalf("HTTP %d %s", r.status, r.body)
			}
			families, _ := reg.Gather()
			for _, f := range families {
				if f.GetName() == "tracker_admission_admitted_total" && f.GetMetric()[0].GetCounter().GetValue() != 0 {
					t.Errorf("a query below ADMISSION_MIN_COST counted against the budget")
				}
			}
		})
	})
}

// getStatus fetches url and returns its status.
func getStatus(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Error(err)
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestRememberedTokenRevoked(t *testing.T) {
	// A token is remembered once it has worked, so that a busy database
	// does not hold up its requests; revoking it still takes effect at
	// once on this server.
	modelstest.Each(t, func(t *testing.T, d models.Dialect) {
		store := modelstest.Seeded(t, d)
		url, _ := admissionServer(t, store, Admission{})
		token, tok := mustToken(t, store, models.RoleViewer, nil, nil)
		if r := postAs(t, url, token, `{ viewer { role } }`); r.status != http.StatusOK || len(r.errors) > 0 {
			t.Fatalf("before revoking: HTTP %d %s", r.status, r.body)
		}
		if _, err := store.RevokeAPIToken(adminCtx(), models.NewGlobalID("ApiToken", tok.ID)); err != nil {
			t.Fatal(err)
		}
		if r := postAs(t, url, token, `{ viewer { role } }`); r.status != http.StatusUnauthorized || r.code() != string(models.CodeUnauthenticated) {
			t.Errorf("after revoking: HTTP %d %s, want 401 UNAUTHENTICATED", r.status, r.body)
		}
	})
}
