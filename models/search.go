package models

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"unicode"
)

// SearchResult is an object matching a full-text search.
type SearchResult struct {
	NodeID  GlobalID
	Type    SearchableType
	Title   string
	Snippet string
	Rank    float64
}

// SearchResultConnection is a page of search results, best first.
type SearchResultConnection = Connection[SearchResult]

// SearchResultEdge is a search result in a page.
type SearchResultEdge = Edge[SearchResult]

// searchTypes maps searchable kinds to the node types of search documents.
var searchTypes = map[SearchableType]string{
	SearchableTypeOrganization: "Organization",
	SearchableTypePerson:       "Person",
	SearchableTypeInitiative:   "Initiative",
	SearchableTypeMeeting:      "Meeting",
	SearchableTypeActionItem:   "ActionItem",
	SearchableTypeSource:       "Source",
}

// maxSearchWords bounds the words of a search.
const maxSearchWords = 16

// searchWords splits text into the words a search looks for: runs of letters
// and digits, lower-cased, without the common English words neither
// database indexes. Both databases get the same words, so that a search
// means the same on both.
func searchWords(text string) ([]string, error) {
	var words []string
	for _, w := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		if !stopWords[w] {
			words = append(words, w)
		}
	}
	switch {
	case len(words) == 0:
		return nil, Errorf(CodeInvalid, "search text %q has no words to look for", truncate(text, 64))
	case len(words) > maxSearchWords:
		return nil, Errorf(CodeInvalid, "search text has %d words; at most %d are allowed", len(words), maxSearchWords)
	}
	return words, nil
}

// searchCursor is the position of a result in a search: its rank, then its
// node, which breaks ties.
type searchCursor struct {
	Rank float64 `json:"r"`
	Type string  `json:"t"`
	ID   uint    `json:"i"`
}

func (c searchCursor) String() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func parseSearchCursor(s string) (searchCursor, error) {
	var c searchCursor
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(raw, &c) != nil || !nodeTypes[c.Type] || c.ID == 0 {
		return c, Errorf(CodeInvalid, "invalid cursor %q: pass a cursor returned by this same search", truncate(s, 64))
	}
	return c, nil
}

// Search finds the objects whose text contains every word of text, best
// matches first, with a snippet of the matching passage. Ranks are Postgres's
// cover density or SQLite's BM25: comparable within one search only.
func (s *Store) Search(ctx context.Context, text string, page Page, filter *SearchFilter) (*SearchResultConnection, error) {
	words, err := searchWords(text)
	if err != nil {
		return nil, err
	}
	w, err := page.window(s.maxPage)
	if err != nil {
		return nil, err
	}
	if w.backward {
		return nil, Errorf(CodeInvalid, "search pages forwards only: use first and after")
	}
	var after *searchCursor
	if w.cursor != nil {
		c, err := parseSearchCursor(*w.cursor)
		if err != nil {
			return nil, err
		}
		after = &c
	}

	// matches selects the matching documents with their rank; rank and the
	// snippet use the same query text.
	matches := s.builder()
	switch s.dialect {
	case Postgres:
		matches.write("SELECT d.node_type, d.node_id, d.title, d.body, ts_rank_cd(d.document, q.query) AS score, q.query ",
			"FROM search_documents d, to_tsquery('english', ")
		matches.arg(strings.Join(words, " & "))
		matches.write(") AS q(query) WHERE d.document @@ q.query")
	default:
		quoted := make([]string, len(words))
		for i, word := range words {
			quoted[i] = `"` + word + `"`
		}
		matches.write("SELECT d.node_type, d.node_id, d.title, ",
			"snippet(search_documents, -1, '<mark>', '</mark>', '…', 24) AS snippet, -bm25(search_documents, 0, 0, 10.0, 1.0) AS score ",
			"FROM search_documents d WHERE search_documents MATCH ")
		matches.arg(strings.Join(quoted, " "))
	}
	if filter != nil && filter.Types != nil {
		matches.write(" AND d.node_type IN (NULL")
		for _, t := range filter.Types {
			matches.write(", ")
			matches.arg(searchTypes[t])
		}
		matches.write(")")
	}

	q := s.builder()
	q.write("SELECT * FROM (", matches.sql.String(), ") m")
	q.args = append(q.args, matches.args...)
	if after != nil {
		q.write(" WHERE (m.score < ")
		q.arg(after.Rank)
		q.write(" OR (m.score = ")
		q.arg(after.Rank)
		q.write(" AND (m.node_type > ")
		q.arg(after.Type)
		q.write(" OR (m.node_type = ")
		q.arg(after.Type)
		q.write(" AND m.node_id > ")
		q.arg(after.ID)
		q.write("))))")
	}
	q.write(" ORDER BY m.score DESC, m.node_type, m.node_id LIMIT ")
	q.arg(w.limit + 1)
	if s.dialect == Postgres { // headlines are costly: make them for the page only
		q = wrapHeadline(q)
	}

	var rows []struct {
		NodeType string
		NodeID   uint
		Title    string
		Snippet  string
		Score    float64
	}
	if err := s.scanAll(ctx, q, &rows); err != nil {
		return nil, dbError(err, "search")
	}
	more := len(rows) > w.limit
	if more {
		rows = rows[:w.limit]
	}
	kinds := map[string]SearchableType{}
	for k, t := range searchTypes {
		kinds[t] = k
	}
	c := &SearchResultConnection{PageInfo: &PageInfo{HasNextPage: more, HasPreviousPage: after != nil}}
	for _, r := range rows {
		res := &SearchResult{NodeID: NewGlobalID(r.NodeType, r.NodeID), Type: kinds[r.NodeType], Title: r.Title, Snippet: r.Snippet, Rank: r.Score}
		cur := searchCursor{Rank: r.Score, Type: r.NodeType, ID: r.NodeID}.String()
		c.Nodes = append(c.Nodes, res)
		c.Edges = append(c.Edges, &SearchResultEdge{Cursor: cur, Node: res})
	}
	if len(c.Edges) > 0 {
		c.PageInfo.StartCursor, c.PageInfo.EndCursor = &c.Edges[0].Cursor, &c.Edges[len(c.Edges)-1].Cursor
	}
	c.count = func(ctx context.Context) (int, error) {
		q := &sqlBuilder{dialect: s.dialect, args: matches.args}
		q.write("SELECT COUNT(*) FROM (", matches.sql.String(), ") m")
		var n int
		return n, dbError(s.scanOne(ctx, q, &n), "search")
	}
	return c, nil
}

// wrapHeadline adds Postgres's highlighted snippet to a page of matches.
func wrapHeadline(page *sqlBuilder) *sqlBuilder {
	q := &sqlBuilder{dialect: page.dialect, args: page.args}
	q.write("SELECT p.node_type, p.node_id, p.title, p.score, ",
		`ts_headline('english', p.title || ' — ' || p.body, p.query, 'StartSel=<mark>, StopSel=</mark>, MaxWords=30, MinWords=10, MaxFragments=2, FragmentDelimiter=" … "') AS snippet `,
		"FROM (", page.sql.String(), ") p ORDER BY p.score DESC, p.node_type, p.node_id")
	return q
}

// stopWords are the common English words Postgres's english configuration
// leaves out of its index; searches skip them on both databases.
var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`i me my myself we our ours ourselves you your yours yourself yourselves he him
		his himself she her hers herself it its itself they them their theirs themselves what which who whom this
		that these those am is are was were be been being have has had having do does did doing a an the and but if
		or because as until while of at by for with about against between into through during before after above
		below to from up down in out on off over under again further then once here there when where why how all
		any both each few more most other some such no nor not only own same so than too very s t can will just
		don should now`) {
		m[w] = true
	}
	return m
}()
