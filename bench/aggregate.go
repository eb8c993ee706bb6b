package main

import (
	"context"
	"encoding/json"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The initiative dashboard (mix/aggregate.graphql): one initiative by slug,
// its meetings' count and counts per quarter (dated meetings, earliest
// first), its action items' progress (every status listed, in workflow
// order) and its partnerships' counts per role (in role order).

// actionItemStatuses are the statuses in the order the API lists them.
func actionItemStatuses() []string {
	return []string{"NOT_STARTED", "IN_PROGRESS", "BLOCKED", "DONE", "CANCELLED"}
}

// partnershipRoles are the roles in the order the API lists them.
func partnershipRoles() []string {
	return []string{"FUNDING", "ACCOUNTABLE", "EXTENDING", "IMPLEMENTING"}
}

// aggregateSQL builds the dashboard in Postgres. $1 slug, $2–$4 year,
// month, today.
func aggregateSQL() string {
	countsByStatus := ""
	for i, st := range actionItemStatuses() {
		if i > 0 {
			countsByStatus += ",\n\t\t\t"
		}
		countsByStatus += "json_build_object('status', '" + st + "', 'count', count(*) FILTER (WHERE a.status = '" + st + "'))"
	}
	roles := "ARRAY['" + strings.Join(partnershipRoles(), "', '") + "']"
	return `SELECT json_build_object('initiative', (SELECT json_build_object(
	'title', i.title,
	'meetings', json_build_object(
		'totalCount', (SELECT count(*) FROM meeting_initiatives mi WHERE mi.initiative_id = i.id),
		'countsByPeriod', COALESCE((
			SELECT json_agg(json_build_object('period', c.period, 'count', c.n) ORDER BY c.period)
			FROM (SELECT to_char(m.starts_on, 'YYYY-"Q"Q') AS period, count(*) AS n
				FROM meeting_initiatives mi JOIN meetings m ON m.id = mi.meeting_id
				WHERE mi.initiative_id = i.id AND m.starts_on IS NOT NULL GROUP BY 1) c), '[]')),
	'actionItems', json_build_object('progress', (
		SELECT json_build_object(
			'total', count(*),
			'done', count(*) FILTER (WHERE a.status = 'DONE'),
			'open', count(*) FILTER (WHERE a.status IN ` + openStatuses + `),
			'blocked', count(*) FILTER (WHERE a.status = 'BLOCKED'),
			'overdue', count(*) FILTER (WHERE ` + overdueSQL("a", "$2", "$3", "$4") + `),
			'shareDone', (count(*) FILTER (WHERE a.status = 'DONE'))::float8
				/ NULLIF(count(*) FILTER (WHERE a.status <> 'CANCELLED'), 0),
			'countsByStatus', json_build_array(
			` + countsByStatus + `))
		FROM action_items a WHERE a.initiative_id = i.id)),
	'partnerships', json_build_object('countsByRole', COALESCE((
		SELECT json_agg(json_build_object('role', r.role, 'count', r.n, 'organizations', r.organizations)
			ORDER BY array_position(` + roles + `, r.role))
		FROM (SELECT role, count(*) AS n, count(DISTINCT organization_id) AS organizations
			FROM partnerships WHERE initiative_id = i.id GROUP BY role) r), '[]')))
	FROM initiatives i WHERE i.slug = $1::text))`
}

func aggregateArgs(p params) []any { return []any{p.slug, p.year, p.month, p.today} }

// The go variant's statements, all selecting the initiative by slug so that
// they go in one batch.
const (
	aggregateInitiative = `SELECT title FROM initiatives WHERE slug = $1`
	aggregateMeetings   = `SELECT to_char(m.starts_on, 'YYYY-"Q"Q'), count(*)
FROM initiatives i
JOIN meeting_initiatives mi ON mi.initiative_id = i.id
JOIN meetings m ON m.id = mi.meeting_id
WHERE i.slug = $1 GROUP BY 1 ORDER BY 1`
	aggregateActionItems = `SELECT a.status, count(*),
	count(*) FILTER (WHERE a.status NOT IN ('DONE', 'CANCELLED') AND a.due_on < CASE a.due_precision
		WHEN 'YEAR' THEN $2::date WHEN 'MONTH' THEN $3::date ELSE $4::date END)
FROM initiatives i JOIN action_items a ON a.initiative_id = i.id
WHERE i.slug = $1 GROUP BY a.status`
	aggregatePartnerships = `SELECT p.role, count(*), count(DISTINCT p.organization_id)
FROM initiatives i JOIN partnerships p ON p.initiative_id = i.id
WHERE i.slug = $1 GROUP BY p.role`
)

type dashboard struct {
	Initiative *dashboardInitiative `json:"initiative"`
}

type dashboardInitiative struct {
	Title    string `json:"title"`
	Meetings struct {
		TotalCount     int           `json:"totalCount"`
		CountsByPeriod []periodCount `json:"countsByPeriod"`
	} `json:"meetings"`
	ActionItems struct {
		Progress progress `json:"progress"`
	} `json:"actionItems"`
	Partnerships struct {
		CountsByRole []roleCount `json:"countsByRole"`
	} `json:"partnerships"`
}

type periodCount struct {
	Period string `json:"period"`
	Count  int    `json:"count"`
}

type progress struct {
	Total          int           `json:"total"`
	Done           int           `json:"done"`
	Open           int           `json:"open"`
	Blocked        int           `json:"blocked"`
	Overdue        int           `json:"overdue"`
	ShareDone      *float64      `json:"shareDone"`
	CountsByStatus []statusCount `json:"countsByStatus"`
}

type statusCount struct {
	Status string `json:"status"`
	Count  int    `json:"count"`
}

type roleCount struct {
	Role          string `json:"role"`
	Count         int    `json:"count"`
	Organizations int    `json:"organizations"`
}

// aggregateGo fetches the dashboard in one batch of four statements.
func aggregateGo(ctx context.Context, pool *pgxpool.Pool, p params) ([]byte, error) {
	in := &dashboardInitiative{}
	found := false
	in.Meetings.CountsByPeriod = []periodCount{}
	in.Partnerships.CountsByRole = []roleCount{}
	pr := &in.ActionItems.Progress
	statuses, roles := actionItemStatuses(), partnershipRoles()
	for _, st := range statuses {
		pr.CountsByStatus = append(pr.CountsByStatus, statusCount{Status: st})
	}

	b := &pgx.Batch{}
	b.Queue(aggregateInitiative, p.slug).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			found = true
			if err := rows.Scan(&in.Title); err != nil {
				return err
			}
		}
		return rows.Err()
	})
	b.Queue(aggregateMeetings, p.slug).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var period *string
			var n int
			if err := rows.Scan(&period, &n); err != nil {
				return err
			}
			in.Meetings.TotalCount += n
			if period != nil { // undated meetings count, in no period
				in.Meetings.CountsByPeriod = append(in.Meetings.CountsByPeriod, periodCount{*period, n})
			}
		}
		return rows.Err()
	})
	b.Queue(aggregateActionItems, p.slug, p.year, p.month, p.today).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var status string
			var n, overdue int
			if err := rows.Scan(&status, &n, &overdue); err != nil {
				return err
			}
			pr.Total += n
			pr.Overdue += overdue
			if i := slices.Index(statuses, status); i >= 0 {
				pr.CountsByStatus[i].Count = n
			}
			switch status {
			case "DONE":
				pr.Done += n
			case "BLOCKED":
				pr.Blocked += n
				pr.Open += n
			case "NOT_STARTED", "IN_PROGRESS":
				pr.Open += n
			}
		}
		return rows.Err()
	})
	b.Queue(aggregatePartnerships, p.slug).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var r roleCount
			if err := rows.Scan(&r.Role, &r.Count, &r.Organizations); err != nil {
				return err
			}
			in.Partnerships.CountsByRole = append(in.Partnerships.CountsByRole, r)
		}
		return rows.Err()
	})
	if err := sendBatch(ctx, pool, b); err != nil {
		return nil, err
	}
	pr.ShareDone = shareDone(pr.Done, pr.Total, pr.CountsByStatus[slices.Index(statuses, "CANCELLED")].Count)
	slices.SortFunc(in.Partnerships.CountsByRole, func(a, b roleCount) int {
		return rank(roles, a.Role) - rank(roles, b.Role)
	})
	out := dashboard{}
	if found {
		out.Initiative = in
	}
	return json.Marshal(out)
}
