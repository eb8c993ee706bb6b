package main

import (
	"context"
	"encoding/json"

	"github.com/jackc/pgx/v5/pgxpool"
)

// The search box (mix/search.graphql): the documents matching every word,
// ranked by ts_rank_cd, best first (ties by type then ID), the best ten with
// their ts_headline snippets, and how many match.

// searchTop is the best matches with the number of all matches: ranks are
// computed once, the count reads no document and the snippets are made for
// the page only, from the page's documents looked up by key. $1 tsquery, $2
// page size.
const searchTop = `WITH q AS (
	SELECT to_tsquery('english', $1::text) AS query
), m AS MATERIALIZED (
	SELECT d.node_type, d.node_id, ts_rank_cd(d.document, q.query) AS score
	FROM search_documents d, q WHERE d.document @@ q.query
), top AS (
	SELECT m.*, ts_headline('english', d.title || ' — ' || d.body, q.query,
		'StartSel=<mark>, StopSel=</mark>, MaxWords=30, MinWords=10, MaxFragments=2, FragmentDelimiter=" … "') AS snippet,
		d.title, (SELECT count(*) FROM m) AS total
	FROM (SELECT * FROM m ORDER BY score DESC, node_type, node_id LIMIT $2::int) m
	JOIN search_documents d USING (node_type, node_id), q
)`

// searchType is the SQL of the SearchableType of a node type.
const searchType = `CASE node_type WHEN 'ActionItem' THEN 'ACTION_ITEM' ELSE upper(node_type) END`

// searchSQL builds the results in Postgres.
func searchSQL() string {
	return searchTop + `
SELECT json_build_object('search', json_build_object(
	'totalCount', COALESCE((SELECT max(total) FROM top), 0),
	'nodes', COALESCE((SELECT json_agg(json_build_object(
		'type', ` + searchType + `,
		'title', title,
		'snippet', snippet,
		'rank', score::float8) ORDER BY score DESC, node_type, node_id)
		FROM top), '[]')))`
}

func searchArgs(p params) []any { return []any{p.tsquery, searchPageSize} }

// searchPage is the go variant's statement.
const searchPage = searchTop + `
SELECT ` + searchType + `, title, snippet, score::float8, total FROM top ORDER BY score DESC, node_type, node_id`

type searchResults struct {
	Search struct {
		TotalCount int             `json:"totalCount"`
		Nodes      []*searchResult `json:"nodes"`
	} `json:"search"`
}

type searchResult struct {
	Type    string  `json:"type"`
	Title   string  `json:"title"`
	Snippet string  `json:"snippet"`
	Rank    float64 `json:"rank"`
}

// searchGo fetches the results in one statement.
func searchGo(ctx context.Context, pool *pgxpool.Pool, p params) ([]byte, error) {
	var out searchResults
	res := &out.Search
	res.Nodes = make([]*searchResult, 0, searchPageSize)
	rows, err := pool.Query(ctx, searchPage, p.tsquery, searchPageSize)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		r := &searchResult{}
		if err := rows.Scan(&r.Type, &r.Title, &r.Snippet, &r.Rank, &res.TotalCount); err != nil {
			return nil, err
		}
		res.Nodes = append(res.Nodes, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return json.Marshal(out)
}
