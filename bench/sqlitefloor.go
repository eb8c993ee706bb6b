package main

import (
	"context"
	"database/sql"
	sqldriver "database/sql/driver"
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	gosqlite "github.com/glebarez/go-sqlite"
)

// The floor on the server's SQLite file: for each query of the mix, one
// statement that builds the whole document inside SQLite (json_object,
// json_group_array), read through the pure-Go driver the server uses, on
// a pool of read-only connections to the same file. There is no go
// variant: in-process SQLite has no round trip to save, so decoding rows in
// Go could only add work to the json variant's.
//
// SQLite has no base64, which global IDs and cursors need: the floor
// registers bench_b64url, the unpadded base64url of a text written in Go,
// as the server registers its own tracker_b64url. It is a scalar function
// of the statement, which stays one statement.
//
// Dates are stored as 'YYYY-MM-DD' text; the statements compare them as
// text and cut labels from them with substr. SQLite sorts unknown values
// first, the server last in either direction: sorts on nullable columns say
// NULLS LAST. Text sorts by code point (BINARY), as the server's does.
// Parameters are numbered (?1, ?2…).

// sqliteFloor is the floor on the server's SQLite file.
type sqliteFloor struct{ db *sql.DB }

var registerB64URL sync.Once

// openSQLiteFloor opens the SQLite file at path read-only with one
// connection per worker, and checks that it holds the server's tables.
func openSQLiteFloor(ctx context.Context, path string, concurrency int) (sqliteFloor, error) {
	registerB64URL.Do(func() {
		gosqlite.MustRegisterDeterministicScalarFunction("bench_b64url", 1, func(_ *gosqlite.FunctionContext, args []sqldriver.Value) (sqldriver.Value, error) {
			switch v := args[0].(type) {
			case string:
				return base64.RawURLEncoding.EncodeToString([]byte(v)), nil
			case []byte:
				return base64.RawURLEncoding.EncodeToString(v), nil
			}
			return nil, fmt.Errorf("bench_b64url: %T", args[0])
		})
	})
	q := url.Values{}
	q.Set("mode", "ro")
	for _, p := range []string{"query_only(1)", "busy_timeout(10000)"} {
		q.Add("_pragma", p)
	}
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?"+q.Encode())
	if err != nil {
		return sqliteFloor{}, fmt.Errorf("-sqlite %s: %w", path, err)
	}
	db.SetMaxOpenConns(concurrency)
	db.SetMaxIdleConns(concurrency)
	db.SetConnMaxIdleTime(0)
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM initiatives`).Scan(&n); err != nil {
		db.Close()
		return sqliteFloor{}, fmt.Errorf("-sqlite %s: not the server's database: %w", path, err)
	}
	return sqliteFloor{db}, nil
}

func (f sqliteFloor) close() { f.db.Close() }

// cpu is this process's CPU time only: SQLite runs inside the server, which
// counts its own, and inside this process for the floor.
func (f sqliteFloor) cpu(context.Context) cpuUse {
	return cpuUse{self: selfCPU(), xacts: -1}
}

func (f sqliteFloor) variants() map[string][]variant {
	one := f.jsonVariant
	return map[string][]variant{
		"frontpage":     {one(sqliteFrontPageSQL(), sqliteFrontPageArgs)},
		"actionitems":   {one(sqliteActionItemsSQL(), sqliteActionItemsArgs)},
		"series":        {one(sqliteSeriesSQL(), seriesArgs)},
		"aggregate":     {one(sqliteAggregateSQL(), sqliteAggregateArgs)},
		"search":        {one(sqliteSearchSQL(), sqliteSearchArgs)},
		"overview":      {one(sqliteOverviewSQL(), overviewArgs)},
		"initiative":    {one(sqliteInitiativeSQL(), initiativeArgs)},
		"organizations": {one(sqliteOrganizationsSQL(), organizationsArgs)},
		"blocked":       {one(sqliteBlockedSQL(), blockedArgs)},
	}
}

// jsonVariant is the variant running query, one statement returning the
// whole document, with the arguments args makes.
func (f sqliteFloor) jsonVariant(query string, args func(params) []any) variant {
	return variant{name: "json", statements: 1, fetch: func(ctx context.Context, p params) ([]byte, error) {
		var b []byte
		err := f.db.QueryRowContext(ctx, query, args(p)...).Scan(&b)
		return b, err
	}}
}

// sqliteDate is a date as SQLite stores it.
func sqliteDate(t time.Time) string { return t.Format(time.DateOnly) }

// SQL fragments shared by the SQLite statements.

// sqGlobalIDSQL is the SQL of a global ID: base64url("Type:id"), unpadded.
func sqGlobalIDSQL(typ, id string) string {
	return "bench_b64url('" + typ + ":' || " + id + ")"
}

// sqLabelSQL is the SQL of a PartialDate's label: "2009", "March 2009" or
// "23 March 2009", cut from the stored 'YYYY-MM-DD'.
func sqLabelSQL(date, precision string) string {
	month := "rtrim(substr('January  February March    April    May      June     July     August   SeptemberOctober  November December ', " +
		"9 * CAST(substr(" + date + ", 6, 2) AS integer) - 8, 9))"
	year := "substr(" + date + ", 1, 4)"
	return "CASE " + precision + " WHEN 'YEAR' THEN " + year + " WHEN 'MONTH' THEN " + month + " || ' ' || " + year +
		" ELSE CAST(substr(" + date + ", 9, 2) AS integer) || ' ' || " + month + " || ' ' || " + year + " END"
}

// sqOverdueSQL is overdueSQL on SQLite: dates are text, compared as text.
func sqOverdueSQL(a, year, month, today string) string {
	return "(" + a + ".status NOT IN ('DONE', 'CANCELLED') AND " + a + ".due_on < CASE " + a + ".due_precision WHEN 'YEAR' THEN " +
		year + " WHEN 'MONTH' THEN " + month + " ELSE " + today + " END)"
}

// sqBoolSQL is a condition as a JSON boolean; false when it is unknown.
func sqBoolSQL(cond string) string {
	return "json(CASE WHEN " + cond + " THEN 'true' ELSE 'false' END)"
}

// sqSub is the SQL of a scalar subquery returning JSON, to nest in
// json_object: json() marks its text as JSON, which a subquery's result
// is not (SQLite keeps a value's JSON subtype within one expression only).
func sqSub(query string) string {
	return "json((" + query + "))"
}

// sqPartialDateSQL is the SQL of a PartialDate as {date, precision}, null
// for no date.
func sqPartialDateSQL(date, precision string) string {
	return "CASE WHEN " + date + " IS NOT NULL THEN json_object('date', " + date + ", 'precision', " + precision + ") END"
}

// The statements, one per query of the mix, in the order of floors(); each
// mirrors its Postgres json variant (the file named after the query).

func sqliteFrontPageSQL() string {
	return `WITH page AS (
	SELECT id, title, kind, status, actual_start_on, actual_start_precision
	FROM initiatives ORDER BY title, id LIMIT ?1
), total AS (
	SELECT count(*) AS n FROM initiatives
)
SELECT json_object('initiatives', json_object(
	'totalCount', total.n,
	'pageInfo', json_object(
		'hasNextPage', ` + sqBoolSQL("total.n > ?1") + `,
		'endCursor', (SELECT bench_b64url(json_array(?3, p.title, p.id)) FROM page p ORDER BY p.title DESC, p.id DESC LIMIT 1)),
	'nodes', ` + sqSub(`SELECT json_group_array(json_object(
		'id', `+sqGlobalIDSQL("Initiative", "p.id")+`,
		'title', p.title,
		'kind', p.kind,
		'status', p.status,
		'actualStart', CASE WHEN p.actual_start_on IS NOT NULL
			THEN json_object('label', `+sqLabelSQL("p.actual_start_on", "p.actual_start_precision")+`) END,
		'partnerships', json_object('nodes', `+sqSub(`
			SELECT json_group_array(json_object('role', x.role, 'status', x.status,
				'organization', json_object('acronym', o.acronym, 'name', o.name)) ORDER BY x.id)
			FROM (SELECT id, role, status, organization_id FROM partnerships
				WHERE initiative_id = p.id ORDER BY id LIMIT ?7) x
			JOIN organizations o ON o.id = x.organization_id`)+`),
		'meetings', json_object('nodes', `+sqSub(`
			SELECT json_group_array(json_object('title', m.title,
				'date', json_object('label', `+sqLabelSQL("m.starts_on", "m.date_precision")+`),
				'place', CASE WHEN pl.id IS NOT NULL THEN json_object('name', pl.name) END) ORDER BY m.starts_on, m.id)
			FROM (SELECT m.id, m.title, m.starts_on, m.date_precision, m.place_id
				FROM meeting_initiatives mi JOIN meetings m ON m.id = mi.meeting_id
				WHERE mi.initiative_id = p.id AND m.starts_on >= ?2
				ORDER BY m.starts_on, m.id LIMIT `+itoa(meetingsPerRow)+`) m
			LEFT JOIN places pl ON pl.id = m.place_id`)+`),
		'actionItems', json_object('progress', `+sqSub(`
			SELECT json_object(
				'total', count(*),
				'done', count(*) FILTER (WHERE a.status = 'DONE'),
				'overdue', count(*) FILTER (WHERE `+sqOverdueSQL("a", "?4", "?5", "?6")+`),
				'shareDone', CAST(count(*) FILTER (WHERE a.status = 'DONE') AS real)
					/ NULLIF(count(*) FILTER (WHERE a.status <> 'CANCELLED'), 0))
			FROM action_items a WHERE a.initiative_id = p.id`)+`)
	) ORDER BY p.title, p.id) FROM page p`) + `))
FROM total`
}

func sqliteFrontPageArgs(p params) []any {
	return []any{frontPageSize, sqliteDate(p.since), p.cursorSig, sqliteDate(p.year), sqliteDate(p.month), sqliteDate(p.today), defaultPageSize}
}

func sqliteActionItemsSQL() string {
	return `WITH items AS (
	SELECT id, title, status, due_on, due_precision, initiative_id, owner_organization_id
	FROM action_items
	WHERE owner_organization_id = ?1 AND status IN ` + openStatuses + `
	ORDER BY due_on NULLS LAST, id LIMIT ?2
)
SELECT json_object('actionItems', json_object(
	'totalCount', (SELECT count(*) FROM action_items
		WHERE owner_organization_id = ?1 AND status IN ` + openStatuses + `),
	'nodes', ` + sqSub(`SELECT json_group_array(json_object(
		'id', `+sqGlobalIDSQL("ActionItem", "a.id")+`,
		'title', a.title,
		'status', a.status,
		'due', CASE WHEN a.due_on IS NOT NULL THEN json_object('label', `+sqLabelSQL("a.due_on", "a.due_precision")+`) END,
		'isOverdue', `+sqBoolSQL(sqOverdueSQL("a", "?3", "?4", "?5"))+`,
		'initiative', CASE WHEN i.id IS NOT NULL THEN json_object('title', i.title) END,
		'owner', json_object('acronym', o.acronym)) ORDER BY a.due_on NULLS LAST, a.id)
		FROM items a
		LEFT JOIN initiatives i ON i.id = a.initiative_id
		JOIN organizations o ON o.id = a.owner_organization_id`) + `))`
}

func sqliteActionItemsArgs(p params) []any {
	return []any{p.owner, actionItemsPage, sqliteDate(p.year), sqliteDate(p.month), sqliteDate(p.today)}
}

// sqliteSeriesSQL: SQLite has no array_agg, so each point carries its
// series' first and last values (window functions) and its count.
func sqliteSeriesSQL() string {
	return `WITH points AS (
	SELECT s.id, s.metric_id, s.scope_organization_id, s.scope_place_id, s.scope, s.value, s.as_of, s.as_of_precision,
		lag(s.value) OVER w AS prev,
		first_value(s.value) OVER w AS first,
		last_value(s.value) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS last
	FROM statistics s JOIN metrics m ON m.id = s.metric_id
	WHERE m.key = ?1 AND s.scope_organization_id = ?2
	WINDOW w AS (PARTITION BY s.metric_id, s.scope_organization_id, s.scope_place_id, s.scope ORDER BY s.as_of, s.id)
), series AS (
	SELECT metric_id, scope_organization_id, scope_place_id, scope, count(*) AS n, max(first) AS first, max(last) AS last,
		json_group_array(json_object(
			'value', value,
			'asOf', json_object('label', ` + sqLabelSQL("as_of", "as_of_precision") + `),
			'change', value - prev,
			'changePercent', (value - prev) * 100 / NULLIF(prev, 0)) ORDER BY as_of, id) AS points
	FROM points GROUP BY metric_id, scope_organization_id, scope_place_id, scope
)
SELECT json_object('deploymentStatistics', json_object('series', ` + sqSub(`
	SELECT json_group_array(json_object(
		'metric', json_object('name', m.name, 'unit', m.unit),
		'scopeOrganization', CASE WHEN o.id IS NOT NULL THEN json_object('name', o.name) END,
		'change', CASE WHEN s.n > 1 THEN s.last - s.first END,
		'changePercent', CASE WHEN s.n > 1 THEN (s.last - s.first) * 100 / NULLIF(s.first, 0) END,
		'points', json(s.points)) ORDER BY s.metric_id, s.scope_organization_id, s.scope_place_id, s.scope)
	FROM series s
	JOIN metrics m ON m.id = s.metric_id
	LEFT JOIN organizations o ON o.id = s.scope_organization_id`) + `))`
}

func sqliteAggregateSQL() string {
	countsByStatus := ""
	for i, st := range actionItemStatuses() {
		if i > 0 {
			countsByStatus += ",\n\t\t\t"
		}
		countsByStatus += "json_object('status', '" + st + "', 'count', count(*) FILTER (WHERE a.status = '" + st + "'))"
	}
	roleRank := "CASE r.role"
	for i, r := range partnershipRoles() {
		roleRank += " WHEN '" + r + "' THEN " + itoa(i)
	}
	roleRank += " END"
	quarter := "substr(m.starts_on, 1, 4) || '-Q' || ((CAST(substr(m.starts_on, 6, 2) AS integer) + 2) / 3)"
	return `SELECT json_object('initiative', ` + sqSub(`SELECT json_object(
	'title', i.title,
	'meetings', json_object(
		'totalCount', (SELECT count(*) FROM meeting_initiatives mi WHERE mi.initiative_id = i.id),
		'countsByPeriod', `+sqSub(`
			SELECT json_group_array(json_object('period', c.period, 'count', c.n) ORDER BY c.period)
			FROM (SELECT `+quarter+` AS period, count(*) AS n
				FROM meeting_initiatives mi JOIN meetings m ON m.id = mi.meeting_id
				WHERE mi.initiative_id = i.id AND m.starts_on IS NOT NULL GROUP BY 1) c`)+`),
	'actionItems', json_object('progress', `+sqSub(`
		SELECT json_object(
			'total', count(*),
			'done', count(*) FILTER (WHERE a.status = 'DONE'),
			'open', count(*) FILTER (WHERE a.status IN `+openStatuses+`),
			'blocked', count(*) FILTER (WHERE a.status = 'BLOCKED'),
			'overdue', count(*) FILTER (WHERE `+sqOverdueSQL("a", "?2", "?3", "?4")+`),
			'shareDone', CAST(count(*) FILTER (WHERE a.status = 'DONE') AS real)
				/ NULLIF(count(*) FILTER (WHERE a.status <> 'CANCELLED'), 0),
			'countsByStatus', json_array(
			`+countsByStatus+`))
		FROM action_items a WHERE a.initiative_id = i.id`)+`),
	'partnerships', json_object('countsByRole', `+sqSub(`
		SELECT json_group_array(json_object('role', r.role, 'count', r.n, 'organizations', r.organizations)
			ORDER BY `+roleRank+`)
		FROM (SELECT role, count(*) AS n, count(DISTINCT organization_id) AS organizations
			FROM partnerships WHERE initiative_id = i.id GROUP BY role) r`)+`))
	FROM initiatives i WHERE i.slug = ?1`) + `)`
}

func sqliteAggregateArgs(p params) []any {
	return []any{p.slug, sqliteDate(p.year), sqliteDate(p.month), sqliteDate(p.today)}
}

// sqliteSearchSQL ranks and snippets as the server does on SQLite (FTS5's
// BM25 with its column weights, and snippet()). ?1 the FTS5 query, ?2 the
// page size.
func sqliteSearchSQL() string {
	return `SELECT json_object('search', json_object(
	'totalCount', (SELECT count(*) FROM search_documents WHERE search_documents MATCH ?1),
	'nodes', ` + sqSub(`SELECT json_group_array(json_object(
		'type', `+searchType+`,
		'title', title,
		'snippet', snippet,
		'rank', score) ORDER BY score DESC, node_type, node_id)
		FROM (SELECT node_type, node_id, title,
				snippet(search_documents, -1, '<mark>', '</mark>', '…', 24) AS snippet,
				-bm25(search_documents, 0, 0, 10.0, 1.0) AS score
			FROM search_documents WHERE search_documents MATCH ?1
			ORDER BY score DESC, node_type, node_id LIMIT ?2)`) + `))`
}

func sqliteSearchArgs(p params) []any { return []any{p.match, searchPageSize} }

// ftsQuery turns search text into the server's FTS5 query: its words, lower
// case, each quoted. (The server drops English stop words; the mix's text
// has none.)
func ftsQuery(text string) string {
	words := strings.Fields(strings.ReplaceAll(tsquery(text), "&", " "))
	for i, w := range words {
		words[i] = `"` + w + `"`
	}
	return strings.Join(words, " ")
}

func sqliteOverviewSQL() string {
	return `SELECT json_object('initiatives', json_object('nodes', json_group_array(json_object(
	'id', ` + sqGlobalIDSQL("Initiative", "i.id") + `,
	'title', i.title,
	'status', i.status,
	'partnerships', ` + sqSub(sqPartnershipsOfSQL("i.id", "?2")) + `,
	'meetings', json_object('nodes', ` + sqSub(`
		SELECT json_group_array(json_object(
			'id', `+sqGlobalIDSQL("Meeting", "m.id")+`,
			'title', m.title,
			'date', `+sqPartialDateSQL("m.starts_on", "m.date_precision")+`,
			'participants', `+sqSub(sqParticipantsOfSQL("m.id", "?2"))+`) ORDER BY m.starts_on DESC NULLS LAST, m.id DESC)
		FROM (SELECT m.id, m.title, m.starts_on, m.date_precision
			FROM meeting_initiatives mi JOIN meetings m ON m.id = mi.meeting_id
			WHERE mi.initiative_id = i.id
			ORDER BY m.starts_on DESC NULLS LAST, m.id DESC LIMIT ?3) m`) + `),
	'actionItems', json_object('nodes', ` + sqSub(`
		SELECT json_group_array(json_object(
			'id', `+sqGlobalIDSQL("ActionItem", "a.id")+`,
			'title', a.title,
			'status', a.status,
			'due', `+sqPartialDateSQL("a.due_on", "a.due_precision")+`) ORDER BY a.id)
		FROM (SELECT id, title, status, due_on, due_precision FROM action_items
			WHERE initiative_id = i.id ORDER BY id LIMIT ?2) a`) + `)
) ORDER BY i.title, i.id)))
FROM (SELECT id, title, status FROM initiatives ORDER BY title, id LIMIT ?1) i`
}

// sqPartnershipsOfSQL is partnershipsOfSQL on SQLite.
func sqPartnershipsOfSQL(initiative, n string) string {
	return `SELECT json_object('nodes', json_group_array(json_object(
		'id', ` + sqGlobalIDSQL("Partnership", "x.id") + `, 'role', x.role, 'status', x.status,
		'organization', json_object('id', ` + sqGlobalIDSQL("Organization", "o.id") + `, 'acronym', o.acronym, 'name', o.name)) ORDER BY x.id))
	FROM (SELECT id, role, status, organization_id FROM partnerships
		WHERE initiative_id = ` + initiative + ` ORDER BY id LIMIT ` + n + `) x
	JOIN organizations o ON o.id = x.organization_id`
}

// sqParticipantsOfSQL is participantsOfSQL on SQLite.
func sqParticipantsOfSQL(meeting, n string) string {
	return `SELECT json_object('nodes', json_group_array(json_object(
		'id', ` + sqGlobalIDSQL("Participant", "p.id") + `, 'role', p.role,
		'person', CASE WHEN pe.id IS NOT NULL THEN json_object('id', ` + sqGlobalIDSQL("Person", "pe.id") + `, 'name', pe.name) END) ORDER BY p.id))
	FROM (SELECT id, role, person_id FROM participants
		WHERE meeting_id = ` + meeting + ` ORDER BY id LIMIT ` + n + `) p
	LEFT JOIN people pe ON pe.id = p.person_id`
}

func sqliteInitiativeSQL() string {
	return `SELECT json_object('initiative', ` + sqSub(`SELECT json_object(
	'id', `+sqGlobalIDSQL("Initiative", "i.id")+`,
	'title', i.title,
	'status', i.status,
	'description', i.description,
	'partnerships', json_object('nodes', `+sqSub(`
		SELECT json_group_array(json_object(
			'id', `+sqGlobalIDSQL("Partnership", "x.id")+`, 'role', x.role, 'status', x.status,
			'organization', json_object(
				'id', `+sqGlobalIDSQL("Organization", "o.id")+`, 'acronym', o.acronym, 'name', o.name,
				'statistics', json_object('nodes', `+sqSub(`
					SELECT json_group_array(json_object(
						'id', `+sqGlobalIDSQL("Statistic", "s.id")+`, 'value', s.value,
						'asOf', json_object('date', s.as_of, 'precision', s.as_of_precision),
						'metric', json_object('key', mt.key)) ORDER BY s.as_of DESC, s.id DESC)
					FROM (SELECT id, value, as_of, as_of_precision, metric_id FROM statistics
						WHERE scope_organization_id = o.id ORDER BY as_of DESC, id DESC LIMIT ?3) s
					JOIN metrics mt ON mt.id = s.metric_id`)+`))) ORDER BY x.id)
		FROM (SELECT id, role, status, organization_id FROM partnerships
			WHERE initiative_id = i.id ORDER BY id LIMIT ?2) x
		JOIN organizations o ON o.id = x.organization_id`)+`),
	'meetings', json_object('nodes', `+sqSub(`
		SELECT json_group_array(json_object(
			'id', `+sqGlobalIDSQL("Meeting", "m.id")+`,
			'title', m.title,
			'date', `+sqPartialDateSQL("m.starts_on", "m.date_precision")+`,
			'participants', `+sqSub(sqParticipantsOfSQL("m.id", "?2"))+`) ORDER BY m.starts_on NULLS LAST, m.id)
		FROM (SELECT m.id, m.title, m.starts_on, m.date_precision
			FROM meeting_initiatives mi JOIN meetings m ON m.id = mi.meeting_id
			WHERE mi.initiative_id = i.id
			ORDER BY m.starts_on NULLS LAST, m.id LIMIT ?2) m`)+`),
	'actionItems', json_object('nodes', `+sqSub(`
		SELECT json_group_array(json_object(
			'id', `+sqGlobalIDSQL("ActionItem", "a.id")+`,
			'title', a.title,
			'status', a.status,
			'due', `+sqPartialDateSQL("a.due_on", "a.due_precision")+`,
			'owner', json_object('id', `+sqGlobalIDSQL("Organization", "o.id")+`, 'acronym', o.acronym)) ORDER BY a.id)
		FROM (SELECT id, title, status, due_on, due_precision, owner_organization_id FROM action_items
			WHERE initiative_id = i.id ORDER BY id LIMIT ?2) a
		JOIN organizations o ON o.id = a.owner_organization_id`)+`)
) FROM initiatives i WHERE i.slug = ?1`) + `)`
}

func sqliteOrganizationsSQL() string {
	return `SELECT json_object('organizations', json_object('nodes', json_group_array(json_object(
	'id', ` + sqGlobalIDSQL("Organization", "o.id") + `,
	'acronym', o.acronym,
	'name', o.name,
	'partnerships', json_object('nodes', ` + sqSub(`
		SELECT json_group_array(json_object(
			'id', `+sqGlobalIDSQL("Partnership", "x.id")+`, 'role', x.role, 'status', x.status,
			'initiative', json_object('id', `+sqGlobalIDSQL("Initiative", "i.id")+`, 'title', i.title, 'status', i.status)) ORDER BY x.id)
		FROM (SELECT id, role, status, initiative_id FROM partnerships
			WHERE organization_id = o.id ORDER BY id LIMIT ?2) x
		JOIN initiatives i ON i.id = x.initiative_id`) + `)
) ORDER BY o.name, o.id)))
FROM (SELECT id, acronym, name FROM organizations ORDER BY name, id LIMIT ?1) o`
}

func sqliteBlockedSQL() string {
	return `SELECT json_object('actionItems', json_object(
	'totalCount', (SELECT count(*) FROM action_items WHERE status = 'BLOCKED'),
	'nodes', ` + sqSub(`SELECT json_group_array(json_object(
		'id', `+sqGlobalIDSQL("ActionItem", "a.id")+`,
		'title', a.title,
		'due', `+sqPartialDateSQL("a.due_on", "a.due_precision")+`,
		'initiative', CASE WHEN i.id IS NOT NULL THEN json_object('id', `+sqGlobalIDSQL("Initiative", "i.id")+`, 'title', i.title) END,
		'owner', json_object('id', `+sqGlobalIDSQL("Organization", "o.id")+`, 'acronym', o.acronym, 'name', o.name)) ORDER BY a.id)
		FROM (SELECT id, title, due_on, due_precision, initiative_id, owner_organization_id FROM action_items
			WHERE status = 'BLOCKED' ORDER BY id LIMIT ?1) a
		LEFT JOIN initiatives i ON i.id = a.initiative_id
		JOIN organizations o ON o.id = a.owner_organization_id`) + `))`
}
