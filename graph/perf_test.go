package graph

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"tracker/models"
	"tracker/models/modelstest"
)

// processCPU is the CPU time this process has used, user and system, in
// nanoseconds: the handler's own work, without Postgres's.
func processCPU(b *testing.B) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// BenchmarkCompiledSmallQuery measures the server's own work for a small
// compiled query, through the whole handler as the server builds it (a
// request log at warn, metrics) but without a network: what decides the
// throughput of the benchmark's work list and blocked list (BENCHMARKS.md),
// whose Postgres work is a fraction of a millisecond. cpu-ns/op is the
// process's CPU time per request, Postgres's excluded.
//
//	go test ./graph -run '^$' -bench CompiledSmallQuery -count 6
func BenchmarkCompiledSmallQuery(b *testing.B) {
	store := modelstest.Seeded(b, models.Postgres)
	logger := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn}))
	h := NewHandler(store, Options{Logger: logger, Metrics: prometheus.NewRegistry(), ReportStatements: true,
		Auth: AuthOptions{PublicRead: true}})
	post := func(b *testing.B, body string) []byte {
		req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), `"errors"`) {
			b.Fatalf("%d %s", rec.Code, rec.Body)
		}
		return rec.Body.Bytes()
	}
	var orgs struct {
		Data struct {
			Organizations struct{ Nodes []struct{ ID string } }
		}
	}
	if err := json.Unmarshal(post(b, `{"query":"{ organizations(first: 1) { nodes { id } } }"}`), &orgs); err != nil {
		b.Fatal(err)
	}
	owner, _ := json.Marshal(orgs.Data.Organizations.Nodes[0].ID)
	for _, q := range []struct{ name, body string }{
		{"actionitems", `{"query":"query OpenActionItems($owner: ID!) { actionItems(first: 50, filter: {owner: {id: {eq: $owner}}, status: {in: [NOT_STARTED, IN_PROGRESS, BLOCKED]}}, orderBy: [{field: DUE}]) { totalCount nodes { id title status due { label } isOverdue initiative { title } owner { acronym } } } }","variables":{"owner":` + string(owner) + `}}`},
		{"blocked", `{"query":"query BlockedActionItems { actionItems(first: 50, filter: {status: {eq: BLOCKED}}, orderBy: [{field: ID}]) { totalCount nodes { id title due { date precision } initiative { id title } owner { id acronym name } } } }"}`},
	} {
		b.Run(q.name, func(b *testing.B) {
			if !strings.Contains(string(post(b, q.body)), `"compiledFields":1`) {
				b.Fatal("not compiled")
			}
			b.ReportAllocs()
			start := processCPU(b)
			for b.Loop() {
				post(b, q.body)
			}
			b.ReportMetric(float64(processCPU(b)-start)/float64(b.N), "cpu-ns/op")
		})
	}
}
