package main

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// The work list (mix/actionitems.graphql): the first 50 open action items
// (not started, in progress, blocked) owned by one organization, by due date
// (unknown last) then ID, with the total count, whether each is overdue, its
// initiative's title and its owner's acronym.

const openStatuses = `('NOT_STARTED', 'IN_PROGRESS', 'BLOCKED')`

// actionItemsSQL builds the whole list in Postgres. $1 owner, $2 page size,
// $3–$5 year, month, today.
func actionItemsSQL() string {
	return `WITH items AS (
	SELECT id, title, status, due_on, due_precision, initiative_id, owner_organization_id
	FROM action_items
	WHERE owner_organization_id = $1::int8 AND status IN ` + openStatuses + `
	ORDER BY due_on, id LIMIT $2::int
)
SELECT json_build_object('actionItems', json_build_object(
	'totalCount', (SELECT count(*) FROM action_items
		WHERE owner_organization_id = $1::int8 AND status IN ` + openStatuses + `),
	'nodes', COALESCE((SELECT json_agg(json_build_object(
		'id', ` + globalIDSQL("ActionItem", "a.id") + `,
		'title', a.title,
		'status', a.status,
		'due', CASE WHEN a.due_on IS NOT NULL THEN json_build_object('label', ` + labelSQL("a.due_on", "a.due_precision") + `) END,
		'isOverdue', COALESCE(` + overdueSQL("a", "$3", "$4", "$5") + `, false),
		'initiative', CASE WHEN i.id IS NOT NULL THEN json_build_object('title', i.title) END,
		'owner', json_build_object('acronym', o.acronym)) ORDER BY a.due_on, a.id)
		FROM items a
		LEFT JOIN initiatives i ON i.id = a.initiative_id
		JOIN organizations o ON o.id = a.owner_organization_id), '[]')))`
}

func actionItemsArgs(p params) []any {
	return []any{p.owner, actionItemsPage, p.year, p.month, p.today}
}

// actionItemsList is the go variant's statement: the page, each row with
// the total count.
const actionItemsList = `SELECT a.id, a.title, a.status, a.due_on, a.due_precision, i.title, o.acronym,
	(SELECT count(*) FROM action_items WHERE owner_organization_id = $1 AND status IN ` + openStatuses + `)
FROM action_items a
LEFT JOIN initiatives i ON i.id = a.initiative_id
JOIN organizations o ON o.id = a.owner_organization_id
WHERE a.owner_organization_id = $1 AND a.status IN ` + openStatuses + `
ORDER BY a.due_on, a.id LIMIT $2`

type actionItemList struct {
	ActionItems struct {
		TotalCount int           `json:"totalCount"`
		Nodes      []*actionItem `json:"nodes"`
	} `json:"actionItems"`
}

type actionItem struct {
	ID         string  `json:"id"`
	Title      string  `json:"title"`
	Status     string  `json:"status"`
	Due        *label  `json:"due"`
	IsOverdue  bool    `json:"isOverdue"`
	Initiative *titled `json:"initiative"`
	Owner      struct {
		Acronym *string `json:"acronym"`
	} `json:"owner"`
}

// actionItemsGo fetches the list in one statement.
func actionItemsGo(ctx context.Context, pool *pgxpool.Pool, p params) ([]byte, error) {
	var out actionItemList
	list := &out.ActionItems
	list.Nodes = make([]*actionItem, 0, actionItemsPage)
	rows, err := pool.Query(ctx, actionItemsList, p.owner, actionItemsPage)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var due *time.Time
		var precision, initiative *string
		a := &actionItem{}
		if err := rows.Scan(&id, &a.Title, &a.Status, &due, &precision, &initiative, &a.Owner.Acronym, &list.TotalCount); err != nil {
			return nil, err
		}
		a.ID, a.Due = globalID("ActionItem", id), newLabel(due, precision)
		a.IsOverdue = isOverdue(a.Status, due, precision, p.today)
		if initiative != nil {
			a.Initiative = &titled{*initiative}
		}
		list.Nodes = append(list.Nodes, a)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return json.Marshal(out)
}
