package main

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// The chart (mix/series.graphql): the statistics of one metric about one
// organization, grouped into series by metric and scope (organization,
// place, text) in that order, each series' points by date then ID, with the
// change from the previous point and from the first point to the last, and
// those changes as percentages (null when dividing by zero).

// seriesSQL builds the series in Postgres. $1 metric key, $2 organization.
func seriesSQL() string {
	return `WITH points AS (
	SELECT s.id, s.metric_id, s.scope_organization_id, s.scope_place_id, s.scope, s.value, s.as_of, s.as_of_precision,
		lag(s.value) OVER (PARTITION BY s.metric_id, s.scope_organization_id, s.scope_place_id, s.scope
			ORDER BY s.as_of, s.id) AS prev
	FROM statistics s JOIN metrics m ON m.id = s.metric_id
	WHERE m.key = $1::text AND s.scope_organization_id = $2::int8
), series AS (
	SELECT metric_id, scope_organization_id, scope_place_id, scope, count(*) AS n,
		(array_agg(value ORDER BY as_of, id))[1] AS first,
		(array_agg(value ORDER BY as_of DESC, id DESC))[1] AS last,
		json_agg(json_build_object(
			'value', value,
			'asOf', json_build_object('label', ` + labelSQL("as_of", "as_of_precision") + `),
			'change', value - prev,
			'changePercent', (value - prev) * 100 / NULLIF(prev, 0)) ORDER BY as_of, id) AS points
	FROM points GROUP BY metric_id, scope_organization_id, scope_place_id, scope
)
SELECT json_build_object('deploymentStatistics', json_build_object('series', COALESCE((
	SELECT json_agg(json_build_object(
		'metric', json_build_object('name', m.name, 'unit', m.unit),
		'scopeOrganization', CASE WHEN o.id IS NOT NULL THEN json_build_object('name', o.name) END,
		'change', CASE WHEN s.n > 1 THEN s.last - s.first END,
		'changePercent', CASE WHEN s.n > 1 THEN (s.last - s.first) * 100 / NULLIF(s.first, 0) END,
		'points', s.points) ORDER BY s.metric_id, s.scope_organization_id, s.scope_place_id, s.scope)
	FROM series s
	JOIN metrics m ON m.id = s.metric_id
	LEFT JOIN organizations o ON o.id = s.scope_organization_id), '[]')))`
}

func seriesArgs(p params) []any { return []any{p.metric, p.owner} }

// seriesPoints is the go variant's statement: the points in series order.
const seriesPoints = `SELECT s.metric_id, s.scope_organization_id, s.scope_place_id, s.scope, s.value, s.as_of, s.as_of_precision,
	m.name, m.unit, o.name
FROM statistics s
JOIN metrics m ON m.id = s.metric_id
LEFT JOIN organizations o ON o.id = s.scope_organization_id
WHERE m.key = $1 AND s.scope_organization_id = $2
ORDER BY s.metric_id, s.scope_organization_id, s.scope_place_id, s.scope, s.as_of, s.id`

type seriesList struct {
	DeploymentStatistics struct {
		Series []*series `json:"series"`
	} `json:"deploymentStatistics"`
}

type series struct {
	Metric struct {
		Name string `json:"name"`
		Unit string `json:"unit"`
	} `json:"metric"`
	ScopeOrganization *named         `json:"scopeOrganization"`
	Change            *float64       `json:"change"`
	ChangePercent     *float64       `json:"changePercent"`
	Points            []*seriesPoint `json:"points"`

	key seriesKey
}

// seriesKey is what tells series apart.
type seriesKey struct {
	metric       int64
	organization *int64
	place        *int64
	scope        string
}

func (k seriesKey) equal(o seriesKey) bool {
	return k.metric == o.metric && k.scope == o.scope && deref(k.organization) == deref(o.organization) && deref(k.place) == deref(o.place)
}

type seriesPoint struct {
	Value         float64  `json:"value"`
	AsOf          *label   `json:"asOf"`
	Change        *float64 `json:"change"`
	ChangePercent *float64 `json:"changePercent"`
}

// seriesGo fetches the points in one statement and groups them in Go.
func seriesGo(ctx context.Context, pool *pgxpool.Pool, p params) ([]byte, error) {
	var out seriesList
	list := []*series{}
	rows, err := pool.Query(ctx, seriesPoints, p.metric, p.owner)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var k seriesKey
		var pt seriesPoint
		var asOf time.Time
		var precision, metricName, unit string
		var org *string
		if err := rows.Scan(&k.metric, &k.organization, &k.place, &k.scope, &pt.Value, &asOf, &precision, &metricName, &unit, &org); err != nil {
			return nil, err
		}
		pt.AsOf = newLabel(&asOf, &precision)
		var cur *series
		if n := len(list); n > 0 && list[n-1].key.equal(k) {
			cur = list[n-1]
		} else {
			cur = &series{key: k}
			cur.Metric.Name, cur.Metric.Unit = metricName, unit
			if org != nil {
				cur.ScopeOrganization = &named{*org}
			}
			list = append(list, cur)
		}
		if n := len(cur.Points); n > 0 {
			pt.Change, pt.ChangePercent = change(cur.Points[n-1].Value, pt.Value)
		}
		cur.Points = append(cur.Points, &pt)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, s := range list {
		if n := len(s.Points); n > 1 {
			s.Change, s.ChangePercent = change(s.Points[0].Value, s.Points[n-1].Value)
		}
	}
	out.DeploymentStatistics.Series = list
	return json.Marshal(out)
}

// change returns to - from and that as a percentage of from (nil when from
// is zero), computed as the server does.
func change(from, to float64) (*float64, *float64) {
	d := to - from
	if from == 0 {
		return &d, nil
	}
	pct := d * 100 / from
	return &d, &pct
}
