package graph

import (
	"strings"
	"testing"
)

// TestBadInputValues sends values the database could not hold, or that
// GraphQL's scalars do not allow, in literals and in variables: each is a
// client error with a code, never an internal error, on both databases.
func TestBadInputValues(t *testing.T) {
	eachSeeded(t, func(t *testing.T, c *client) {
		orgs := `query($f: OrganizationFilter) { organizations(filter: $f) { totalCount } }`
		meetings := `query($f: MeetingFilter) { meetings(filter: $f) { totalCount } }`
		for _, tc := range []struct {
			name, query string
			vars        map[string]any
			code, says  string
		}{
			{"Int above 32 bits in a variable", orgs, map[string]any{"f": map[string]any{"foundedYear": map[string]any{"eq": 3000000000}}},
				"BAD_USER_INPUT", "32-bit"},
			{"Int above 32 bits in a literal", `{ organizations(filter: {foundedYear: {eq: 3000000000}}) { totalCount } }`, nil,
				"BAD_USER_INPUT", "32-bit"},
			{"Int that is not whole", orgs, map[string]any{"f": map[string]any{"foundedYear": map[string]any{"eq": 1945.5}}},
				"GRAPHQL_VALIDATION_FAILED", "Int"},
			{"NUL character in a string", orgs, map[string]any{"f": map[string]any{"name": map[string]any{"contains": "UN\x00DP"}}},
				"BAD_USER_INPUT", "NUL"},
			{"number for a string", orgs, map[string]any{"f": map[string]any{"name": map[string]any{"eq": 1}}},
				"BAD_USER_INPUT", "String"},
			{"year 0 in a Date", meetings, map[string]any{"f": map[string]any{"date": map[string]any{"gt": "0000-01-01"}}},
				"BAD_USER_INPUT", "Date"},
			{"malformed DateTime", orgs, map[string]any{"f": map[string]any{"createdAt": map[string]any{"gt": "0"}}},
				"BAD_USER_INPUT", "DateTime"},
			{"number for a DateTime", orgs, map[string]any{"f": map[string]any{"createdAt": map[string]any{"gt": 0}}},
				"BAD_USER_INPUT", "DateTime"},
		} {
			e, ok := failsWith(t, c, tc.name, tc.query, tc.vars, tc.code)
			if ok && !strings.Contains(e.Message, tc.says) {
				t.Errorf("%s: message %q does not mention %q", tc.name, e.Message, tc.says)
			}
		}
		// The next ordinary query is fine.
		var out struct{ Organizations struct{ TotalCount int } }
		c.mustQuery(`{ organizations { totalCount } }`, nil, &out)
		if out.Organizations.TotalCount == 0 {
			t.Error("no organizations after the bad inputs")
		}
	})
}

// TestFilterLimits bounds the filters a variable can carry, which no
// query limit sees: nesting, conditions and list sizes are refused with
// FILTER_TOO_COMPLEX before any SQL runs.
func TestFilterLimits(t *testing.T) {
	t.Parallel()
	eachSeeded(t, func(t *testing.T, c *client) {
		orgs := `query($f: OrganizationFilter) { organizations(filter: $f) { totalCount } }`
		nested := func(depth int, wrap func(any) any) any {
			var f any = map[string]any{"name": map[string]any{"eq": "INTERPOL"}}
			for range depth {
				f = wrap(f)
			}
			return f
		}
		not := func(f any) any { return map[string]any{"not": f} }
		parent := func(f any) any { return map[string]any{"parent": f} }
		branches := make([]any, 2000)
		for i := range branches {
			branches[i] = map[string]any{"foundedYear": map[string]any{"eq": i}}
		}
		values := make([]any, 5000)
		for i := range values {
			values[i] = "x"
		}
		// 70 lists of 1,000 values: each list within bounds, but together
		// more bound parameters than a Postgres statement takes.
		lists := make([]any, 70)
		for i := range lists {
			lists[i] = map[string]any{"name": map[string]any{"in": values[:1000]}}
		}
		for _, tc := range []struct {
			name string
			f    any
		}{
			{"5,000 nested nots", nested(5000, not)},
			{"500 nested relations", nested(500, parent)},
			{"2,000 or branches", map[string]any{"or": branches}},
			{"5,000 values in one in list", map[string]any{"name": map[string]any{"in": values}}},
			{"70 in lists of 1,000 values", map[string]any{"or": lists}},
		} {
			e, ok := failsWith(t, c, tc.name, orgs, map[string]any{"f": tc.f}, "FILTER_TOO_COMPLEX")
			if ok && e.Extensions["limit"] == nil {
				t.Errorf("%s: error %v does not name its limit", tc.name, e)
			}
		}
		// Filters within the limits still work.
		var out struct{ Organizations struct{ TotalCount int } }
		c.mustQuery(orgs, map[string]any{"f": nested(5, not)}, &out)
		c.mustQuery(orgs, map[string]any{"f": map[string]any{"or": branches[:50]}}, &out)
		c.mustQuery(orgs, map[string]any{"f": map[string]any{"or": lists[:1]}}, &out)
	})
}

// failsWith runs a query that must fail with code, reporting otherwise
// under name without stopping the test.
func failsWith(t *testing.T, c *client, name, query string, vars map[string]any, code string) (gqlError, bool) {
	t.Helper()
	r := c.do(query, vars)
	switch {
	case len(r.Errors) == 0:
		t.Errorf("%s: succeeded, want %s", name, code)
	case r.Errors[0].Code() != code:
		t.Errorf("%s: error %s (%q), want %s", name, r.Errors[0].Code(), r.Errors[0].Message, code)
	case r.Status >= 500:
		t.Errorf("%s: HTTP %d for a client error", name, r.Status)
	default:
		return r.Errors[0], true
	}
	return gqlError{}, false
}
