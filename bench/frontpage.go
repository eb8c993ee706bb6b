package main

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The front page (mix/frontpage.graphql): the first 50 initiatives by title
// (C collation, then ID) with the total count and page info; for each, its
// partnerships (first 50 by ID) with their organizations, its first 3
// meetings since $since by date then ID with their places, and the progress
// of all its action items.

// frontPageSQL builds the whole page in Postgres. $1 page size, $2 since,
// $3 cursor signature hash, $4–$6 year, month, today, $7 nested page size.
func frontPageSQL() string {
	return `WITH page AS (
	SELECT id, title, kind, status, actual_start_on, actual_start_precision
	FROM initiatives ORDER BY title COLLATE "C", id LIMIT $1::int
), total AS (
	SELECT count(*) AS n FROM initiatives
)
SELECT json_build_object('initiatives', json_build_object(
	'totalCount', total.n,
	'pageInfo', json_build_object(
		'hasNextPage', total.n > $1::int,
		'endCursor', (SELECT ` + base64URLSQL(`'[' || to_json($3::text)::text || ',' || to_json(p.title)::text || ',' || p.id || ']'`) + `
			FROM page p ORDER BY p.title COLLATE "C" DESC, p.id DESC LIMIT 1)),
	'nodes', COALESCE((SELECT json_agg(json_build_object(
		'id', ` + globalIDSQL("Initiative", "p.id") + `,
		'title', p.title,
		'kind', p.kind,
		'status', p.status,
		'actualStart', CASE WHEN p.actual_start_on IS NOT NULL
			THEN json_build_object('label', ` + labelSQL("p.actual_start_on", "p.actual_start_precision") + `) END,
		'partnerships', json_build_object('nodes', COALESCE((
			SELECT json_agg(json_build_object('role', x.role, 'status', x.status,
				'organization', json_build_object('acronym', o.acronym, 'name', o.name)) ORDER BY x.id)
			FROM (SELECT id, role, status, organization_id FROM partnerships
				WHERE initiative_id = p.id ORDER BY id LIMIT $7::int) x
			JOIN organizations o ON o.id = x.organization_id), '[]')),
		'meetings', json_build_object('nodes', COALESCE((
			SELECT json_agg(json_build_object('title', m.title,
				'date', json_build_object('label', ` + labelSQL("m.starts_on", "m.date_precision") + `),
				'place', CASE WHEN pl.id IS NOT NULL THEN json_build_object('name', pl.name) END) ORDER BY m.starts_on, m.id)
			FROM (SELECT m.id, m.title, m.starts_on, m.date_precision, m.place_id
				FROM meeting_initiatives mi JOIN meetings m ON m.id = mi.meeting_id
				WHERE mi.initiative_id = p.id AND m.starts_on >= $2::date
				ORDER BY m.starts_on, m.id LIMIT ` + itoa(meetingsPerRow) + `) m
			LEFT JOIN places pl ON pl.id = m.place_id), '[]')),
		'actionItems', json_build_object('progress', (
			SELECT json_build_object(
				'total', count(*),
				'done', count(*) FILTER (WHERE a.status = 'DONE'),
				'overdue', count(*) FILTER (WHERE ` + overdueSQL("a", "$4", "$5", "$6") + `),
				'shareDone', (count(*) FILTER (WHERE a.status = 'DONE'))::float8
					/ NULLIF(count(*) FILTER (WHERE a.status <> 'CANCELLED'), 0))
			FROM action_items a WHERE a.initiative_id = p.id))
	) ORDER BY p.title COLLATE "C", p.id) FROM page p), '[]')))
FROM total`
}

func frontPageArgs(p params) []any {
	return []any{frontPageSize, p.since, p.cursorSig, p.year, p.month, p.today, defaultPageSize}
}

// The go variant's statements: the page with the total count, then the
// partnerships, meetings and action-item progress of the page's initiatives,
// each statement selecting the page again so that all four go in one batch.
const (
	frontPagePage = `SELECT id, title, kind, status, actual_start_on, actual_start_precision,
	(SELECT count(*) FROM initiatives)
FROM initiatives ORDER BY title COLLATE "C", id LIMIT $1`
	frontPageIDs          = `WITH page AS (SELECT id FROM initiatives ORDER BY title COLLATE "C", id LIMIT $1) `
	frontPagePartnerships = frontPageIDs + `SELECT x.initiative_id, x.role, x.status, o.acronym, o.name
FROM page CROSS JOIN LATERAL (SELECT initiative_id, id, role, status, organization_id FROM partnerships
	WHERE initiative_id = page.id ORDER BY id LIMIT $2) x
JOIN organizations o ON o.id = x.organization_id
ORDER BY x.initiative_id, x.id`
	frontPageMeetings = frontPageIDs + `SELECT page.id, m.title, m.starts_on, m.date_precision, pl.name
FROM page CROSS JOIN LATERAL (SELECT m.id, m.title, m.starts_on, m.date_precision, m.place_id
	FROM meeting_initiatives mi JOIN meetings m ON m.id = mi.meeting_id
	WHERE mi.initiative_id = page.id AND m.starts_on >= $2
	ORDER BY m.starts_on, m.id LIMIT $3) m
LEFT JOIN places pl ON pl.id = m.place_id
ORDER BY page.id, m.starts_on, m.id`
	frontPageProgress = frontPageIDs + `SELECT a.initiative_id, count(*),
	count(*) FILTER (WHERE a.status = 'DONE'),
	count(*) FILTER (WHERE a.status = 'CANCELLED'),
	count(*) FILTER (WHERE a.status NOT IN ('DONE', 'CANCELLED') AND a.due_on < CASE a.due_precision
		WHEN 'YEAR' THEN $2::date WHEN 'MONTH' THEN $3::date ELSE $4::date END)
FROM action_items a WHERE a.initiative_id IN (SELECT id FROM page)
GROUP BY a.initiative_id`
)

type frontPage struct {
	Initiatives struct {
		TotalCount int `json:"totalCount"`
		PageInfo   struct {
			HasNextPage bool    `json:"hasNextPage"`
			EndCursor   *string `json:"endCursor"`
		} `json:"pageInfo"`
		Nodes []*fpInitiative `json:"nodes"`
	} `json:"initiatives"`
}

type fpInitiative struct {
	ID           string               `json:"id"`
	Title        string               `json:"title"`
	Kind         string               `json:"kind"`
	Status       string               `json:"status"`
	ActualStart  *label               `json:"actualStart"`
	Partnerships nodes[fpPartnership] `json:"partnerships"`
	Meetings     nodes[fpMeeting]     `json:"meetings"`
	ActionItems  struct {
		Progress fpProgress `json:"progress"`
	} `json:"actionItems"`
}

type fpPartnership struct {
	Role         string `json:"role"`
	Status       string `json:"status"`
	Organization struct {
		Acronym *string `json:"acronym"`
		Name    string  `json:"name"`
	} `json:"organization"`
}

type fpMeeting struct {
	Title string `json:"title"`
	Date  *label `json:"date"`
	Place *named `json:"place"`
}

type fpProgress struct {
	Total     int      `json:"total"`
	Done      int      `json:"done"`
	Overdue   int      `json:"overdue"`
	ShareDone *float64 `json:"shareDone"`
}

// frontPageGo fetches the front page in one batch of four statements.
func frontPageGo(ctx context.Context, pool *pgxpool.Pool, p params) ([]byte, error) {
	var out frontPage
	conn := &out.Initiatives
	conn.Nodes = make([]*fpInitiative, 0, frontPageSize)
	byID := make(map[int64]*fpInitiative, frontPageSize)
	var lastTitle string
	var lastID int64

	b := &pgx.Batch{}
	b.Queue(frontPagePage, frontPageSize).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var id int64
			var start *time.Time
			var precision *string
			in := &fpInitiative{Partnerships: nodes[fpPartnership]{Nodes: []fpPartnership{}}, Meetings: nodes[fpMeeting]{Nodes: []fpMeeting{}}}
			if err := rows.Scan(&id, &in.Title, &in.Kind, &in.Status, &start, &precision, &conn.TotalCount); err != nil {
				return err
			}
			in.ID, in.ActualStart = globalID("Initiative", id), newLabel(start, precision)
			conn.Nodes = append(conn.Nodes, in)
			byID[id] = in
			lastTitle, lastID = in.Title, id
		}
		return rows.Err()
	})
	b.Queue(frontPagePartnerships, frontPageSize, defaultPageSize).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var id int64
			var x fpPartnership
			if err := rows.Scan(&id, &x.Role, &x.Status, &x.Organization.Acronym, &x.Organization.Name); err != nil {
				return err
			}
			if in := byID[id]; in != nil {
				in.Partnerships.Nodes = append(in.Partnerships.Nodes, x)
			}
		}
		return rows.Err()
	})
	b.Queue(frontPageMeetings, frontPageSize, p.since, meetingsPerRow).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var id int64
			var m fpMeeting
			var date *time.Time
			var precision, place *string
			if err := rows.Scan(&id, &m.Title, &date, &precision, &place); err != nil {
				return err
			}
			m.Date = newLabel(date, precision)
			if place != nil {
				m.Place = &named{*place}
			}
			if in := byID[id]; in != nil {
				in.Meetings.Nodes = append(in.Meetings.Nodes, m)
			}
		}
		return rows.Err()
	})
	b.Queue(frontPageProgress, frontPageSize, p.year, p.month, p.today).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var id int64
			var total, done, cancelled, overdue int
			if err := rows.Scan(&id, &total, &done, &cancelled, &overdue); err != nil {
				return err
			}
			if in := byID[id]; in != nil {
				in.ActionItems.Progress = fpProgress{Total: total, Done: done, Overdue: overdue, ShareDone: shareDone(done, total, cancelled)}
			}
		}
		return rows.Err()
	})
	if err := sendBatch(ctx, pool, b); err != nil {
		return nil, err
	}
	conn.PageInfo.HasNextPage = conn.TotalCount > frontPageSize
	if len(conn.Nodes) > 0 {
		c, err := cursor(p.cursorSig, lastTitle, lastID)
		if err != nil {
			return nil, err
		}
		conn.PageInfo.EndCursor = &c
	}
	return json.Marshal(out)
}
