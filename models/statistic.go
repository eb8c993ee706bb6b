package models

import (
	"context"
	"time"

	"gorm.io/gorm"
)

// Metric is something counted or measured over time, such as UN police
// deployed.
type Metric struct {
	ID          uint
	Key         string
	Name        string
	Unit        string
	Description string
	Version     int
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// IsNode marks Metric as a GraphQL Node.
func (Metric) IsNode() {}

var metrics = define[Metric]("Metric", "metrics", map[string]string{
	"id": "ID", "key": "Key", "name": "Name",
}, "key")

// MetricConnection is a page of metrics.
type MetricConnection = Connection[Metric]

// MetricEdge is a metric in a page.
type MetricEdge = Edge[Metric]

// Statistic is one measured value of a metric, as of a date known to some
// precision, about an organization or a place: a point of a time series.
type Statistic struct {
	ID                  uint
	MetricID            uint
	Value               float64
	AsOfDate            Date `gorm:"column:as_of"`
	AsOfPrecision       DatePrecision
	Scope               string
	ScopeOrganizationID *uint
	ScopePlaceID        *uint
	SourceID            *uint
	Note                string
	Version             int
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

// IsNode marks Statistic as a GraphQL Node.
func (Statistic) IsNode() {}

// IsCited marks Statistic as backed by citations.
func (Statistic) IsCited() {}

// AsOf returns when the value held.
func (s *Statistic) AsOf() *PartialDate {
	return &PartialDate{Date: s.AsOfDate, Precision: s.AsOfPrecision}
}

var statistics = define[Statistic]("Statistic", "statistics", map[string]string{
	"id": "ID", "value": "Value", "asOf": "AsOfDate",
}, "asOf")

// StatisticConnection is a page of statistics.
type StatisticConnection = Connection[Statistic]

// StatisticEdge is a statistic in a page.
type StatisticEdge = Edge[Statistic]

// Result is what an initiative or organization aims at, measured by
// indicators (the IATI results framework).
type Result struct {
	ID             uint
	Slug           string
	Type           ResultType
	Title          string
	Description    string
	InitiativeID   *uint
	OrganizationID *uint
	Version        int
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// IsNode marks Result as a GraphQL Node.
func (Result) IsNode() {}

// IsCited marks Result as backed by citations.
func (Result) IsCited() {}

var results = define[Result]("Result", "results", map[string]string{
	"id": "ID", "type": "Type", "title": "Title",
}, "title")

// ResultConnection is a page of results.
type ResultConnection = Connection[Result]

// ResultEdge is a result in a page.
type ResultEdge = Edge[Result]

// Indicator measures a result by a metric: its baseline, target and latest
// actual values are statistics of that metric.
type Indicator struct {
	ID                  uint
	ResultID            uint
	MetricID            uint
	Title               string
	Description         string
	Measure             IndicatorMeasure
	Ascending           bool
	BaselineStatisticID *uint
	TargetStatisticID   *uint
	ActualStatisticID   *uint
	Version             int
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

// IsNode marks Indicator as a GraphQL Node.
func (Indicator) IsNode() {}

// IsCited marks Indicator as backed by citations.
func (Indicator) IsCited() {}

var indicators = define[Indicator]("Indicator", "indicators", map[string]string{
	"id": "ID", "title": "Title",
}, "id")

// IndicatorConnection is a page of indicators.
type IndicatorConnection = Connection[Indicator]

// IndicatorEdge is an indicator in a page.
type IndicatorEdge = Edge[Indicator]

// FindMetricByKey returns the metric with the given key.
func (s *Store) FindMetricByKey(ctx context.Context, key string) (*Metric, error) {
	return findBy[Metric](ctx, s, "key", key)
}

// indicatorValues returns, for each indicator ID with both, its baseline and
// actual values.
func (s *Store) indicatorValues(ctx context.Context, ids []uint) (map[uint][2]float64, error) {
	q := s.builder()
	q.write(`SELECT a.id, b.value AS baseline, c.value AS actual FROM indicators a
		JOIN statistics b ON b.id = a.baseline_statistic_id
		JOIN statistics c ON c.id = a.actual_statistic_id WHERE `)
	q.inIDs("a.id", ids)
	var rows []struct {
		ID       uint
		Baseline float64
		Actual   float64
	}
	if err := s.scanAll(ctx, q, &rows); err != nil {
		return nil, dbError(err, "indicator values")
	}
	out := make(map[uint][2]float64, len(rows))
	for _, r := range rows {
		out[r.ID] = [2]float64{r.Baseline, r.Actual}
	}
	return out, nil
}

// IndicatorChanges returns, for each indicator ID with a baseline and an
// actual value, the actual minus the baseline.
func (s *Store) IndicatorChanges(ctx context.Context, ids []uint) (map[uint]*float64, error) {
	vals, err := s.indicatorValues(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[uint]*float64, len(vals))
	for id, v := range vals {
		change := v[1] - v[0]
		out[id] = &change
	}
	return out, nil
}

// IndicatorChangePercents returns, for each indicator ID with an actual value
// and a non-zero baseline, the change as a percentage of the baseline.
func (s *Store) IndicatorChangePercents(ctx context.Context, ids []uint) (map[uint]*float64, error) {
	vals, err := s.indicatorValues(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[uint]*float64, len(vals))
	for id, v := range vals {
		if v[0] != 0 {
			pct := (v[1] - v[0]) * 100 / v[0]
			out[id] = &pct
		}
	}
	return out, nil
}

// statisticEditable reports whether u may change statistics about org:
// admins may; officers when org is in their scope.
func (s *Store) statisticEditable(ctx context.Context, tx *gorm.DB, u *User, org *uint) (bool, error) {
	if org == nil {
		return u.Has(RoleAdmin), nil
	}
	return s.inScope(ctx, tx, u, *org)
}

// RecordStatistic validates in and records the figure. Officers must be
// scoped to the organization it is about.
func (s *Store) RecordStatistic(ctx context.Context, in NewStatistic) (*Statistic, error) {
	st := &Statistic{Value: in.Value}
	var err error
	if err = checkFinite("input.value", in.Value); err != nil {
		return nil, err
	}
	if in.AsOf == nil {
		return nil, invalid("input.asOf", "input.asOf is required")
	}
	d, p, err := partialDate("input.asOf", in.AsOf)
	if err != nil {
		return nil, err
	}
	st.AsOfDate, st.AsOfPrecision = *d, *p
	if st.Scope, err = optText("input.scope", in.Scope, maxName); err != nil {
		return nil, err
	}
	if st.Note, err = optText("input.note", in.Note, maxText); err != nil {
		return nil, err
	}
	if st.ScopeOrganizationID, err = idAs("input.scopeOrganizationId", in.ScopeOrganizationID, "Organization"); err != nil {
		return nil, err
	}
	if st.ScopePlaceID, err = idAs("input.scopePlaceId", in.ScopePlaceID, "Place"); err != nil {
		return nil, err
	}
	if st.SourceID, err = idAs("input.sourceId", in.SourceID, "Source"); err != nil {
		return nil, err
	}
	err = s.write(ctx, RoleOfficer, func(tx *gorm.DB, u *User) error {
		var m Metric
		if err := tx.Where("key = ?", in.MetricKey).Take(&m).Error; err != nil {
			if e := dbError(err, "metric"); ErrorCode(e) == CodeNotFound {
				return invalid("input.metricKey", "no metric has the key %q", truncate(in.MetricKey, 64))
			}
			return dbError(err, "metric")
		}
		st.MetricID = m.ID
		for _, ref := range []struct {
			table, field string
			id           *uint
		}{{"organizations", "input.scopeOrganizationId", st.ScopeOrganizationID}, {"places", "input.scopePlaceId", st.ScopePlaceID},
			{"sources", "input.sourceId", st.SourceID}} {
			if ref.id != nil {
				if err := s.mustExist(ctx, tx, ref.table, ref.field, *ref.id); err != nil {
					return err
				}
			}
		}
		if ok, err := s.statisticEditable(ctx, tx, u, st.ScopeOrganizationID); err != nil || !ok {
			if err != nil {
				return err
			}
			return Errorf(CodeForbidden, "you may record figures only about an organization of your scope")
		}
		if err := insert(tx, st); err != nil {
			return err
		}
		return s.audit(ctx, tx, change{action: AuditActionCreate, entityType: "Statistic", entityID: st.ID, after: st})
	})
	if err != nil {
		return nil, err
	}
	return st, nil
}

// UpdateStatistic corrects the statistic id, which must be at
// in.ExpectedVersion.
func (s *Store) UpdateStatistic(ctx context.Context, id GlobalID, in StatisticUpdate) (*Statistic, error) {
	sid, err := id.As("Statistic")
	if err != nil {
		return nil, err
	}
	var st *Statistic
	err = s.write(ctx, RoleOfficer, func(tx *gorm.DB, u *User) error {
		var err error
		if st, err = loadVersioned(ctx, s, tx, sid, in.ExpectedVersion, func(st *Statistic) (bool, error) {
			return s.statisticEditable(ctx, tx, u, st.ScopeOrganizationID)
		}); err != nil {
			return err
		}
		before := *st
		if in.Value != nil {
			if err := checkFinite("input.value", *in.Value); err != nil {
				return err
			}
			st.Value = *in.Value
		}
		if in.AsOf != nil {
			d, p, err := partialDate("input.asOf", in.AsOf)
			if err != nil {
				return err
			}
			st.AsOfDate, st.AsOfPrecision = *d, *p
		}
		if in.Note != nil {
			if st.Note, err = optText("input.note", in.Note, maxText); err != nil {
				return err
			}
		}
		if err := saveVersioned(s, tx, st, in.ExpectedVersion); err != nil {
			return err
		}
		return s.audit(ctx, tx, change{action: AuditActionUpdate, entityType: "Statistic", entityID: st.ID, before: &before, after: st})
	})
	if err != nil {
		return nil, err
	}
	return st, nil
}
