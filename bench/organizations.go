package main

// The reverse list (mix/organizations.graphql): the first 20 organizations
// by name (C collation, then ID), each with its partnerships (first 50 by
// ID) and each one's initiative. Its floor is one statement.

// organizationsSQL builds the whole document in Postgres. $1 page size, $2
// nested page size.
func organizationsSQL() string {
	return `SELECT json_build_object('organizations', json_build_object('nodes', COALESCE(json_agg(json_build_object(
	'id', ` + globalIDSQL("Organization", "o.id") + `,
	'acronym', o.acronym,
	'name', o.name,
	'partnerships', json_build_object('nodes', COALESCE((
		SELECT json_agg(json_build_object(
			'id', ` + globalIDSQL("Partnership", "x.id") + `, 'role', x.role, 'status', x.status,
			'initiative', json_build_object('id', ` + globalIDSQL("Initiative", "i.id") + `, 'title', i.title, 'status', i.status)) ORDER BY x.id)
		FROM (SELECT id, role, status, initiative_id FROM partnerships
			WHERE organization_id = o.id ORDER BY id LIMIT $2::int) x
		JOIN initiatives i ON i.id = x.initiative_id), '[]'))
) ORDER BY o.name COLLATE "C", o.id), '[]')))
FROM (SELECT id, acronym, name FROM organizations ORDER BY name COLLATE "C", id LIMIT $1::int) o`
}

func organizationsArgs(params) []any { return []any{organizationsPage, defaultPageSize} }

// organizationsPage is the reverse list's page size.
const organizationsPage = 20
