package main

// The blocked action items (mix/blocked.graphql): the first 50 by ID with
// the total count, each with its initiative and owner. Its floor is one
// statement.

// blockedSQL builds the whole document in Postgres. $1 page size.
func blockedSQL() string {
	return `SELECT json_build_object('actionItems', json_build_object(
	'totalCount', (SELECT count(*) FROM action_items WHERE status = 'BLOCKED'),
	'nodes', COALESCE((SELECT json_agg(json_build_object(
		'id', ` + globalIDSQL("ActionItem", "a.id") + `,
		'title', a.title,
		'due', ` + partialDateSQL("a.due_on", "a.due_precision") + `,
		'initiative', CASE WHEN i.id IS NOT NULL THEN json_build_object('id', ` + globalIDSQL("Initiative", "i.id") + `, 'title', i.title) END,
		'owner', json_build_object('id', ` + globalIDSQL("Organization", "o.id") + `, 'acronym', o.acronym, 'name', o.name)) ORDER BY a.id)
		FROM (SELECT id, title, due_on, due_precision, initiative_id, owner_organization_id FROM action_items
			WHERE status = 'BLOCKED' ORDER BY id LIMIT $1::int) a
		LEFT JOIN initiatives i ON i.id = a.initiative_id
		JOIN organizations o ON o.id = a.owner_organization_id), '[]')))`
}

func blockedArgs(params) []any { return []any{actionItemsPage} }
