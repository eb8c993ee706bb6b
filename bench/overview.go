package main

// The overview (mix/overview.graphql), the front page at depth: the first
// 50 initiatives by title (C collation, then ID); for each, its
// partnerships (first 50 by ID) with their organizations, its 5 latest
// meetings (date descending, unknown last, then ID descending) with their
// participants (first 50 by ID) and each one's person, and its action items
// (first 50 by ID). Its floor is one statement; PostGraphile's document is
// postgraphile/queries/overview.graphql.

// overviewSQL builds the whole document in Postgres. $1 page size, $2
// nested page size, $3 meetings per initiative.
func overviewSQL() string {
	return `SELECT json_build_object('initiatives', json_build_object('nodes', COALESCE(json_agg(json_build_object(
	'id', ` + globalIDSQL("Initiative", "i.id") + `,
	'title', i.title,
	'status', i.status,
	'partnerships', (` + partnershipsOfSQL("i.id", "$2") + `),
	'meetings', json_build_object('nodes', COALESCE((
		SELECT json_agg(json_build_object(
			'id', ` + globalIDSQL("Meeting", "m.id") + `,
			'title', m.title,
			'date', ` + partialDateSQL("m.starts_on", "m.date_precision") + `,
			'participants', (` + participantsOfSQL("m.id", "$2") + `)) ORDER BY m.starts_on DESC NULLS LAST, m.id DESC)
		FROM (SELECT m.id, m.title, m.starts_on, m.date_precision
			FROM meeting_initiatives mi JOIN meetings m ON m.id = mi.meeting_id
			WHERE mi.initiative_id = i.id
			ORDER BY m.starts_on DESC NULLS LAST, m.id DESC LIMIT $3::int) m), '[]')),
	'actionItems', json_build_object('nodes', COALESCE((
		SELECT json_agg(json_build_object(
			'id', ` + globalIDSQL("ActionItem", "a.id") + `,
			'title', a.title,
			'status', a.status,
			'due', ` + partialDateSQL("a.due_on", "a.due_precision") + `) ORDER BY a.id)
		FROM (SELECT id, title, status, due_on, due_precision FROM action_items
			WHERE initiative_id = i.id ORDER BY id LIMIT $2::int) a), '[]'))
) ORDER BY i.title COLLATE "C", i.id), '[]')))
FROM (SELECT id, title, status FROM initiatives ORDER BY title COLLATE "C", id LIMIT $1::int) i`
}

func overviewArgs(params) []any { return []any{frontPageSize, defaultPageSize, overviewMeetings} }

// overviewMeetings is the overview's latest meetings per initiative.
const overviewMeetings = 5

// partialDateSQL is the SQL of a PartialDate as {date, precision}, null
// for no date.
func partialDateSQL(date, precision string) string {
	return "CASE WHEN " + date + " IS NOT NULL THEN json_build_object('date', " + date + ", 'precision', " + precision + ") END"
}

// partnershipsOfSQL is the SQL of an initiative's partnerships connection
// (first n by ID) with each one's organization.
func partnershipsOfSQL(initiative, n string) string {
	return `SELECT json_build_object('nodes', COALESCE(json_agg(json_build_object(
		'id', ` + globalIDSQL("Partnership", "x.id") + `, 'role', x.role, 'status', x.status,
		'organization', json_build_object('id', ` + globalIDSQL("Organization", "o.id") + `, 'acronym', o.acronym, 'name', o.name)) ORDER BY x.id), '[]'))
	FROM (SELECT id, role, status, organization_id FROM partnerships
		WHERE initiative_id = ` + initiative + ` ORDER BY id LIMIT ` + n + `::int) x
	JOIN organizations o ON o.id = x.organization_id`
}

// participantsOfSQL is the SQL of a meeting's participants connection
// (first n by ID) with each one's person.
func participantsOfSQL(meeting, n string) string {
	return `SELECT json_build_object('nodes', COALESCE(json_agg(json_build_object(
		'id', ` + globalIDSQL("Participant", "p.id") + `, 'role', p.role,
		'person', CASE WHEN pe.id IS NOT NULL THEN json_build_object('id', ` + globalIDSQL("Person", "pe.id") + `, 'name', pe.name) END) ORDER BY p.id), '[]'))
	FROM (SELECT id, role, person_id FROM participants
		WHERE meeting_id = ` + meeting + ` ORDER BY id LIMIT ` + n + `::int) p
	LEFT JOIN people pe ON pe.id = p.person_id`
}
