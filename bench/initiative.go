package main

// One initiative in full (mix/initiative.graphql), by slug: its
// partnerships (first 50 by ID) with their organizations and each one's
// latest 3 statistics (as-of date descending, then ID descending) with the
// metric's key, its meetings (first 50 by date, unknown last, then ID) with
// their participants and each one's person, and its action items (first 50
// by ID) with their owners. Its floor is one statement.

// initiativeSQL builds the whole document in Postgres. $1 slug, $2 nested
// page size, $3 statistics per organization.
func initiativeSQL() string {
	return `SELECT json_build_object('initiative', (SELECT json_build_object(
	'id', ` + globalIDSQL("Initiative", "i.id") + `,
	'title', i.title,
	'status', i.status,
	'description', i.description,
	'partnerships', json_build_object('nodes', COALESCE((
		SELECT json_agg(json_build_object(
			'id', ` + globalIDSQL("Partnership", "x.id") + `, 'role', x.role, 'status', x.status,
			'organization', json_build_object(
				'id', ` + globalIDSQL("Organization", "o.id") + `, 'acronym', o.acronym, 'name', o.name,
				'statistics', json_build_object('nodes', COALESCE((
					SELECT json_agg(json_build_object(
						'id', ` + globalIDSQL("Statistic", "s.id") + `, 'value', s.value,
						'asOf', json_build_object('date', s.as_of, 'precision', s.as_of_precision),
						'metric', json_build_object('key', mt.key)) ORDER BY s.as_of DESC, s.id DESC)
					FROM (SELECT id, value, as_of, as_of_precision, metric_id FROM statistics
						WHERE scope_organization_id = o.id ORDER BY as_of DESC, id DESC LIMIT $3::int) s
					JOIN metrics mt ON mt.id = s.metric_id), '[]')))) ORDER BY x.id)
		FROM (SELECT id, role, status, organization_id FROM partnerships
			WHERE initiative_id = i.id ORDER BY id LIMIT $2::int) x
		JOIN organizations o ON o.id = x.organization_id), '[]')),
	'meetings', json_build_object('nodes', COALESCE((
		SELECT json_agg(json_build_object(
			'id', ` + globalIDSQL("Meeting", "m.id") + `,
			'title', m.title,
			'date', ` + partialDateSQL("m.starts_on", "m.date_precision") + `,
			'participants', (` + participantsOfSQL("m.id", "$2") + `)) ORDER BY m.starts_on NULLS LAST, m.id)
		FROM (SELECT m.id, m.title, m.starts_on, m.date_precision
			FROM meeting_initiatives mi JOIN meetings m ON m.id = mi.meeting_id
			WHERE mi.initiative_id = i.id
			ORDER BY m.starts_on NULLS LAST, m.id LIMIT $2::int) m), '[]')),
	'actionItems', json_build_object('nodes', COALESCE((
		SELECT json_agg(json_build_object(
			'id', ` + globalIDSQL("ActionItem", "a.id") + `,
			'title', a.title,
			'status', a.status,
			'due', ` + partialDateSQL("a.due_on", "a.due_precision") + `,
			'owner', json_build_object('id', ` + globalIDSQL("Organization", "o.id") + `, 'acronym', o.acronym)) ORDER BY a.id)
		FROM (SELECT id, title, status, due_on, due_precision, owner_organization_id FROM action_items
			WHERE initiative_id = i.id ORDER BY id LIMIT $2::int) a
		JOIN organizations o ON o.id = a.owner_organization_id), '[]'))
) FROM initiatives i WHERE i.slug = $1::text))`
}

func initiativeArgs(p params) []any { return []any{p.slug, defaultPageSize, initiativeStatistics} }

// initiativeStatistics is the latest statistics per partner organization.
const initiativeStatistics = 3
