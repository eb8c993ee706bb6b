package main

import (
	"context"
	"embed"
	"encoding/base64"
	"fmt"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// mixFiles is the dashboard query mix, shared with graph/explain_test.go.
//
//go:embed mix/*.graphql
var mixFiles embed.FS

// mixQuery is one query of the mix with the two variants of its floor.
type mixQuery struct {
	name  string // the file's name without .graphql
	query string
	floor []variant
	peer  string // PostGraphile's document; "" if it has none
}

// loadMix returns the queries of the mix named in only (all if empty), in
// the order of the issue: front page, action items, series, aggregate,
// search. Every query needs a floor and every floor a query.
func loadMix(only []string, floors map[string][]variant) ([]*mixQuery, error) {
	files, err := mixFiles.ReadDir("mix")
	if err != nil {
		return nil, err
	}
	var out []*mixQuery
	for _, f := range files {
		name := strings.TrimSuffix(f.Name(), ".graphql")
		b, err := mixFiles.ReadFile(path.Join("mix", f.Name()))
		if err != nil {
			return nil, err
		}
		v, ok := floors[name]
		if !ok {
			return nil, fmt.Errorf("mix query %s has no floor: write one in bench (floor.go, sqlitefloor.go)", name)
		}
		delete(floors, name)
		if len(only) == 0 || slices.Contains(only, name) {
			doc, err := peerDocument(name)
			if err != nil {
				return nil, err
			}
			out = append(out, &mixQuery{name: name, query: string(b), floor: v, peer: doc})
		}
	}
	if len(floors) > 0 {
		return nil, fmt.Errorf("floors %v have no query in bench/mix", slices.Sorted(maps.Keys(floors)))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("-queries %s: no such query in the mix", strings.Join(only, ","))
	}
	order := []string{"frontpage", "actionitems", "series", "aggregate", "search", "overview", "initiative", "organizations", "blocked"}
	slices.SortStableFunc(out, func(a, b *mixQuery) int {
		return rank(order, a.name) - rank(order, b.name)
	})
	return out, nil
}

// rank is the index of s in order, or after all of them.
func rank(order []string, s string) int {
	if i := slices.Index(order, s); i >= 0 {
		return i
	}
	return len(order)
}

// params are the mix's variables as the floor binds them.
type params struct {
	owner     int64 // the organization's database ID
	since     time.Time
	metric    string
	slug      string
	tsquery   string // the search text's words joined by &
	match     string // the same words as an FTS5 query, each quoted
	today     time.Time
	month     time.Time // first day of today's month
	year      time.Time // first day of today's year
	cursorSig string    // the signature hash of the initiatives' default order
}

// setup resolves the mix's variables as graph/explain_test.go does, and
// counts the initiatives.
func (s *session) setup(ctx context.Context, now time.Time) (initiatives int, err error) {
	var org struct {
		Organization *struct{ ID string }
	}
	if err := s.gql.query(ctx, `{ organization(acronym: "SYN0007") { id } }`, nil, &org); err != nil {
		return 0, err
	}
	if org.Organization == nil {
		return 0, fmt.Errorf("no organization SYN0007: seed the server's database with `tracker seed --synthetic N`")
	}
	var count struct {
		Initiatives struct{ TotalCount int }
	}
	if err := s.gql.query(ctx, `{ initiatives(first: 0) { totalCount } }`, nil, &count); err != nil {
		return 0, err
	}
	s.vars = map[string]any{
		"since": "2026-01-01", "owner": org.Organization.ID, "org": org.Organization.ID,
		"metric": "synthetic-police-deployed", "slug": "syn-init-000042", "text": "maritime",
	}
	owner, err := parseGlobalID(org.Organization.ID, "Organization")
	if err != nil {
		return 0, err
	}
	since, err := time.Parse(time.DateOnly, s.vars["since"].(string))
	if err != nil {
		return 0, err
	}
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	s.p = params{
		owner:     owner,
		since:     since,
		metric:    s.vars["metric"].(string),
		slug:      s.vars["slug"].(string),
		tsquery:   tsquery(s.vars["text"].(string)),
		match:     ftsQuery(s.vars["text"].(string)),
		today:     today,
		month:     today.AddDate(0, 0, 1-today.Day()),
		year:      time.Date(today.Year(), time.January, 1, 0, 0, 0, 0, time.UTC),
		cursorSig: sigHash("Initiative,title,id"),
	}
	return count.Initiatives.TotalCount, nil
}

// parseGlobalID returns the database ID inside a global ID of type typ
// (base64url of "Type:id").
func parseGlobalID(s, typ string) (int64, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return 0, fmt.Errorf("global ID %q: %w", s, err)
	}
	num, ok := strings.CutPrefix(string(raw), typ+":")
	if !ok {
		return 0, fmt.Errorf("global ID %q is not of type %s", s, typ)
	}
	return strconv.ParseInt(num, 10, 64)
}

// tsquery turns search text into the server's tsquery: its words, lower
// case, joined by &. (The server also drops English stop words, which
// to_tsquery('english', …) ignores anyway.)
func tsquery(text string) string {
	words := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	return strings.Join(words, " & ")
}

// check fails unless the server and every floor variant return the same
// data for q, so that the floor is really the same work; it returns the
// server's data.
func (q *mixQuery) check(ctx context.Context, gql *gqlClient, vars map[string]any, p params) ([]byte, error) {
	resp, err := gql.do(ctx, q.query, vars)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", q.name, err)
	}
	if resp.Extensions.SQLStatements == nil {
		return nil, fmt.Errorf("%s: the response has no extensions.sqlStatements: start the server with REPORT_STATEMENTS=true", q.name)
	}
	for _, v := range q.floor {
		got, err := v.fetch(ctx, p)
		if err != nil {
			return nil, fmt.Errorf("%s: floor %s: %w", q.name, v.name, err)
		}
		if d := jsonDiff(resp.Data, got); d != "" {
			return nil, fmt.Errorf("%s: floor %s does not return the server's data: %s", q.name, v.name, d)
		}
	}
	return resp.Data, nil
}
