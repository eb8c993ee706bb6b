package graph

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"tracker/models/modelstest"
)

// filterQueries are lists whose filter variable FuzzFilter fills: each
// filter type reaches a different part of the filter translator (strings
// and enums, relations, dates, numbers).
var filterQueries = []string{
	`query($f: OrganizationFilter) { organizations(filter: $f, first: 5) { totalCount nodes { id name } } }`,
	`query($f: ActionItemFilter) { actionItems(filter: $f, first: 5) { totalCount nodes { id title status } } }`,
	`query($f: MeetingFilter) { meetings(filter: $f, first: 5) { totalCount nodes { id title } } }`,
	`query($f: StatisticFilter) { deploymentStatistics(filter: $f, first: 5) { totalCount nodes { id value } } }`,
}

// clientErrorCodes are the codes a filter, however malformed, may be
// answered with.
var clientErrorCodes = []string{"BAD_USER_INPUT", "GRAPHQL_VALIDATION_FAILED", "GRAPHQL_PARSE_FAILED", "PAGE_TOO_LARGE",
	"QUERY_TOO_COMPLEX", "QUERY_TOO_DEEP", "NOT_FOUND", "REQUEST_TOO_LARGE", "FILTER_TOO_COMPLEX", "BAD_REQUEST"}

// FuzzFilter sends arbitrary JSON as the filter variable of a list through
// the real handler, over the seed data set, and checks that the server
// answers with data or a client error: never a panic, an internal error or
// a 5xx.
//
//	go test ./graph -run '^$' -fuzz FuzzFilter -fuzztime 30s
func FuzzFilter(f *testing.F) {
	store := modelstest.Seeded(f, modelstest.Dialects()[0])
	// The server's log says what an internal error hid; inputs run one at
	// a time in each fuzzing process.
	var log bytes.Buffer
	h := NewHandler(store, Options{Auth: AuthOptions{PublicRead: true},
		Logger: slog.New(slog.NewJSONHandler(&log, &slog.HandlerOptions{Level: slog.LevelError}))})
	for _, filter := range []string{
		`{}`,
		`null`,
		`{"name": {"eq": "INTERPOL"}}`,
		`{"acronym": {"in": ["UNODC", "DPKO"]}, "foundedYear": {"gte": 1900, "lt": 2000}}`,
		`{"or": [{"kind": {"eq": "INTERGOVERNMENTAL_ORGANIZATION"}}, {"not": {"parent": {"slug": {"startsWith": "un"}}}}]}`,
		`{"partnerships": {"some": {"role": {"eq": "FUNDING"}}}}`,
		`{"name": {"containsInsensitive": "%_\\'"}, "description": {"isNull": true}}`,
		`{"createdAt": {"gte": "2009-03-24T00:00:00Z"}, "id": {"eq": "T3JnYW5pemF0aW9uOjE"}}`,
		`{"status": {"in": ["BLOCKED", "DONE"]}, "due": {"lt": "2010-01-01"}, "isOverdue": true}`,
		`{"owner": {"acronym": {"eq": "UNODC"}}, "contributors": {"every": {"kind": {"ne": "NON_GOVERNMENTAL_ORGANIZATION"}}}}`,
		`{"and": [{"title": {"contains": "police"}}, {"meeting": {"date": {"gte": "2009-03-01"}}}]}`,
		`{"value": {"gt": 2400.5}, "metric": {"key": {"eq": "un-police-deployed"}}, "asOf": {"lt": "2009-03-24"}}`,
		`{"date": {"gte": "2009-01-01", "lt": "2010-01-01"}, "status": {"eq": "HELD"}, "kind": {"ne": "BRIEFING"}}`,
		`{"name": {"eq": 1}}`,
		`{"nope": true}`,
	} {
		for i := range filterQueries {
			f.Add(uint8(i), filter)
		}
	}
	f.Fuzz(func(t *testing.T, list uint8, filter string) {
		if !json.Valid([]byte(filter)) {
			return // a body that is not JSON never reaches the filters
		}
		query, _ := json.Marshal(filterQueries[int(list)%len(filterQueries)])
		body := `{"query": ` + string(query) + `, "variables": {"f": ` + filter + `}}`
		req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		log.Reset()
		h.ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Fatalf("HTTP %d for filter %s: %s\nserver log: %s", w.Code, filter, w.Body, &log)
		}
		var resp struct{ Errors []gqlError }
		if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
			t.Fatalf("HTTP %d, not a GraphQL response, for filter %s: %v\n%s", w.Code, filter, err, w.Body)
		}
		for _, e := range resp.Errors {
			if !slices.Contains(clientErrorCodes, e.Code()) {
				t.Fatalf("error %s (%q) for filter %s\nserver log: %s", e.Code(), e.Message, filter, &log)
			}
		}
	})
}
