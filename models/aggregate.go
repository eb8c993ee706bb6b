package models

import (
	"cmp"
	"context"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Aggregates summarize everything a connection lists — all pages, as
// totalCount does. Each takes the connection's ListSource and answers for
// all the parents listed together, in one statement: a dashboard asking for
// the progress of every initiative on its page costs one query.

// ActionItemProgress is the progress of a set of action items.
type ActionItemProgress struct {
	Total          int
	CountsByStatus []*ActionItemStatusCount
	Done           int
	Open           int
	Blocked        int
	Overdue        int
	ShareDone      *float64
}

// ByStatus returns CountsByStatus under the name it had first, which the
// schema keeps, deprecated, for the clients that use it.
func (p *ActionItemProgress) ByStatus() []*ActionItemStatusCount { return p.CountsByStatus }

// ActionItemProgress returns the progress of the action items of src, for
// each parent (0 for a root list).
func (s *Store) ActionItemProgress(ctx context.Context, src *ListSource) (map[uint]*ActionItemProgress, error) {
	sel := s.builder()
	sel.write("a.status AS status, COUNT(*) AS n, SUM(CASE WHEN ")
	if err := overdueFilter(sel, "a", trueValue); err != nil {
		return nil, err
	}
	sel.write(" THEN 1 ELSE 0 END) AS overdue")
	q := s.builder()
	src.from(q, sel.sql.String())
	q.args = append(q.args, sel.args...)
	q.write(" WHERE ")
	if err := src.conditions(q); err != nil {
		return nil, err
	}
	q.write(" GROUP BY ", src.groupBy("a.status"))
	var rows []struct {
		RelParent  uint
		Status     ActionItemStatus
		N, Overdue int
	}
	if err := s.scanAll(ctx, q, &rows); err != nil {
		return nil, dbError(err, "action item progress")
	}
	out := map[uint]*ActionItemProgress{}
	progress := func(parent uint) *ActionItemProgress {
		p, ok := out[parent]
		if !ok {
			p = &ActionItemProgress{}
			for _, st := range AllActionItemStatus {
				p.CountsByStatus = append(p.CountsByStatus, &ActionItemStatusCount{Status: st})
			}
			out[parent] = p
		}
		return p
	}
	for _, id := range src.parents() {
		progress(id)
	}
	for _, r := range rows {
		p := progress(r.RelParent)
		p.Total += r.N
		p.Overdue += r.Overdue
		p.CountsByStatus[slices.Index(AllActionItemStatus, r.Status)].Count = r.N
		switch r.Status {
		case ActionItemStatusDone:
			p.Done += r.N
		case ActionItemStatusBlocked:
			p.Blocked += r.N
			p.Open += r.N
		case ActionItemStatusNotStarted, ActionItemStatusInProgress:
			p.Open += r.N
		}
	}
	for _, p := range out {
		if countable := p.Total - p.CountsByStatus[slices.Index(AllActionItemStatus, ActionItemStatusCancelled)].Count; countable > 0 {
			share := float64(p.Done) / float64(countable)
			p.ShareDone = &share
		}
	}
	return out, nil
}

// trueValue is a filter value of true, for reusing a Boolean special filter.
var trueValue = func() reflect.Value { t := true; return reflect.ValueOf(&t) }()

// PartnershipCountsByRole returns, for each parent, how many partnerships
// of src hold each role, and how many distinct organizations.
func (s *Store) PartnershipCountsByRole(ctx context.Context, src *ListSource) (map[uint][]*PartnershipRoleCount, error) {
	q := s.builder()
	src.from(q, "a.role AS role, COUNT(*) AS n, COUNT(DISTINCT a.organization_id) AS organizations")
	q.write(" WHERE ")
	if err := src.conditions(q); err != nil {
		return nil, err
	}
	q.write(" GROUP BY ", src.groupBy("a.role"))
	var rows []struct {
		RelParent        uint
		Role             PartnershipRole
		N, Organizations int
	}
	if err := s.scanAll(ctx, q, &rows); err != nil {
		return nil, dbError(err, "partnership counts")
	}
	out := map[uint][]*PartnershipRoleCount{}
	for _, id := range src.parents() {
		out[id] = []*PartnershipRoleCount{}
	}
	for _, r := range rows {
		out[r.RelParent] = append(out[r.RelParent], &PartnershipRoleCount{Role: r.Role, Count: r.N, Organizations: r.Organizations})
	}
	for _, counts := range out {
		slices.SortFunc(counts, func(a, b *PartnershipRoleCount) int {
			return slices.Index(AllPartnershipRole, a.Role) - slices.Index(AllPartnershipRole, b.Role)
		})
	}
	return out, nil
}

// MeetingCountsByPeriod returns, for each parent, how many meetings of src
// fall in each period of the interval, earliest first.
func (s *Store) MeetingCountsByPeriod(ctx context.Context, src *ListSource, interval TimeInterval) (map[uint][]*PeriodCount, error) {
	period := periodExpr(s.dialect, interval, "a.starts_on")
	q := s.builder()
	src.from(q, period+" AS period, COUNT(*) AS n")
	q.write(" WHERE a.starts_on IS NOT NULL AND ")
	if err := src.conditions(q); err != nil {
		return nil, err
	}
	q.write(" GROUP BY ", src.groupBy(period))
	var rows []struct {
		RelParent uint
		Period    string
		N         int
	}
	if err := s.scanAll(ctx, q, &rows); err != nil {
		return nil, dbError(err, "meeting counts")
	}
	out := map[uint][]*PeriodCount{}
	for _, id := range src.parents() {
		out[id] = []*PeriodCount{}
	}
	for _, r := range rows {
		start, end, err := periodBounds(r.Period)
		if err != nil {
			return nil, err
		}
		out[r.RelParent] = append(out[r.RelParent], &PeriodCount{Period: r.Period, Start: start, End: end, Count: r.N})
	}
	for _, counts := range out {
		slices.SortFunc(counts, func(a, b *PeriodCount) int { return a.Start.Time().Compare(b.Start.Time()) })
	}
	return out, nil
}

// periodExpr returns the SQL naming the period of a date column: "2009-03",
// "2009-Q1" or "2009".
func periodExpr(d Dialect, interval TimeInterval, col string) string {
	if d == Postgres {
		switch interval {
		case TimeIntervalYear:
			return "to_char(" + col + ", 'YYYY')"
		case TimeIntervalQuarter:
			return "to_char(" + col + ", 'YYYY-\"Q\"Q')"
		}
		return "to_char(" + col + ", 'YYYY-MM')"
	}
	switch interval {
	case TimeIntervalYear:
		return "strftime('%Y', " + col + ")"
	case TimeIntervalQuarter:
		return "(strftime('%Y', " + col + ") || '-Q' || ((CAST(strftime('%m', " + col + ") AS INTEGER) + 2) / 3))"
	}
	return "strftime('%Y-%m', " + col + ")"
}

// periodBounds returns the first and last days of a period named by
// periodExpr.
func periodBounds(p string) (Date, Date, error) {
	var start time.Time
	var months int
	switch {
	case len(p) == 4:
		y, err := strconv.Atoi(p)
		start, months = time.Date(y, time.January, 1, 0, 0, 0, 0, time.UTC), 12
		if err != nil {
			return Date{}, Date{}, fmt.Errorf("period %q: %w", p, err)
		}
	case strings.Contains(p, "-Q"):
		y, err1 := strconv.Atoi(p[:4])
		q, err2 := strconv.Atoi(p[6:])
		if err1 != nil || err2 != nil || q < 1 || q > 4 {
			return Date{}, Date{}, fmt.Errorf("period %q", p)
		}
		start, months = time.Date(y, time.Month(3*q-2), 1, 0, 0, 0, 0, time.UTC), 3
	default:
		t, err := time.Parse("2006-01", p)
		if err != nil {
			return Date{}, Date{}, fmt.Errorf("period %q: %w", p, err)
		}
		start, months = t, 1
	}
	return Date{start}, Date{start.AddDate(0, months, -1)}, nil
}

// PlaceCount is how many meetings took place at one place; PlaceID is nil
// for meetings with no known place.
type PlaceCount struct {
	PlaceID *uint
	Count   int
}

// MeetingCountsByPlace returns, for each parent, how many meetings of src
// took place at each place, most first.
func (s *Store) MeetingCountsByPlace(ctx context.Context, src *ListSource) (map[uint][]*PlaceCount, error) {
	q := s.builder()
	src.from(q, "a.place_id AS place_id, COUNT(*) AS n")
	q.write(" WHERE ")
	if err := src.conditions(q); err != nil {
		return nil, err
	}
	q.write(" GROUP BY ", src.groupBy("a.place_id"))
	var rows []struct {
		RelParent uint
		PlaceID   *uint
		N         int
	}
	if err := s.scanAll(ctx, q, &rows); err != nil {
		return nil, dbError(err, "meeting counts")
	}
	out := map[uint][]*PlaceCount{}
	for _, id := range src.parents() {
		out[id] = []*PlaceCount{}
	}
	for _, r := range rows {
		out[r.RelParent] = append(out[r.RelParent], &PlaceCount{PlaceID: r.PlaceID, Count: r.N})
	}
	for _, counts := range out {
		slices.SortFunc(counts, func(a, b *PlaceCount) int {
			return cmp.Or(b.Count-a.Count, cmp.Compare(ptrValue(a.PlaceID), ptrValue(b.PlaceID)))
		})
	}
	return out, nil
}

func ptrValue(p *uint) uint {
	if p == nil {
		return 0
	}
	return *p
}

// StatisticSeries is the statistics of one metric for one scope, in date
// order.
type StatisticSeries struct {
	MetricID            uint
	Scope               string
	ScopeOrganizationID *uint
	ScopePlaceID        *uint
	Points              []*SeriesPoint
	Change              *float64
	ChangePercent       *float64
}

// SeriesPoint is one point of a series, with its change from the previous.
type SeriesPoint struct {
	Statistic     *Statistic
	Value         float64
	AsOf          *PartialDate
	Change        *float64
	ChangePercent *float64
}

// maxSeriesPoints bounds the statistics one series request reads.
const maxSeriesPoints = 10000

// StatisticSeries returns, for each parent, the statistics of src grouped
// into series by metric and scope, each in date order.
func (s *Store) StatisticSeries(ctx context.Context, src *ListSource) (map[uint][]*StatisticSeries, error) {
	q := s.builder()
	src.from(q, "a.*")
	q.write(" WHERE ")
	if err := src.conditions(q); err != nil {
		return nil, err
	}
	q.write(" ORDER BY rel_parent, a.metric_id, a.scope_organization_id, a.scope_place_id, a.scope, a.as_of, a.id LIMIT ")
	q.arg(maxSeriesPoints + 1)
	var rows []ranked[Statistic]
	if err := s.scanAll(ctx, q, &rows); err != nil {
		return nil, dbError(err, "statistic series")
	}
	if len(rows) > maxSeriesPoints {
		return nil, Errorf(CodeInvalid, "the series would have more than %d points: narrow the filter", maxSeriesPoints)
	}
	out := map[uint][]*StatisticSeries{}
	for _, id := range src.parents() {
		out[id] = []*StatisticSeries{}
	}
	for i := range rows {
		st := &rows[i].Row
		list := out[rows[i].RelParent]
		var cur *StatisticSeries
		if n := len(list); n > 0 {
			last := list[n-1]
			if last.MetricID == st.MetricID && last.Scope == st.Scope &&
				ptrValue(last.ScopeOrganizationID) == ptrValue(st.ScopeOrganizationID) && ptrValue(last.ScopePlaceID) == ptrValue(st.ScopePlaceID) {
				cur = last
			}
		}
		if cur == nil {
			cur = &StatisticSeries{MetricID: st.MetricID, Scope: st.Scope, ScopeOrganizationID: st.ScopeOrganizationID, ScopePlaceID: st.ScopePlaceID}
			out[rows[i].RelParent] = append(list, cur)
		}
		p := &SeriesPoint{Statistic: st, Value: st.Value, AsOf: st.AsOf()}
		if n := len(cur.Points); n > 0 {
			p.Change, p.ChangePercent = delta(cur.Points[n-1].Value, st.Value)
		}
		cur.Points = append(cur.Points, p)
	}
	for _, list := range out {
		for _, ser := range list {
			if n := len(ser.Points); n > 1 {
				ser.Change, ser.ChangePercent = delta(ser.Points[0].Value, ser.Points[n-1].Value)
			}
		}
	}
	return out, nil
}

// delta returns to - from, and that as a percentage of from (nil when from
// is zero).
func delta(from, to float64) (*float64, *float64) {
	d := to - from
	if from == 0 {
		return &d, nil
	}
	pct := d * 100 / from // multiplying first keeps exact cases exact
	return &d, &pct
}

// parents returns the parent IDs of a source: those listed, or 0 for a root
// list.
func (src *ListSource) parents() []uint {
	if src.rel == nil {
		return []uint{0}
	}
	return src.parentIDs
}

// PartnerActivity is how involved an organization is in initiatives and
// meetings.
type PartnerActivity struct {
	Rank         int
	Organization *Organization
	Initiatives  int
	Partnerships int
	Meetings     int
}

// maxTopPartners bounds topPartners.
const maxTopPartners = 100

// TopPartners returns the organizations matching filter involved in the most
// initiatives or meetings, most involved first.
func (s *Store) TopPartners(ctx context.Context, first int, by PartnerRanking, filter *OrganizationFilter) ([]*PartnerActivity, error) {
	if first < 0 || first > maxTopPartners {
		return nil, Errorf(CodeInvalid, "first must be between 0 and %d", maxTopPartners)
	}
	order := "initiatives DESC, meetings DESC"
	if by == PartnerRankingMeetings {
		order = "meetings DESC, initiatives DESC"
	}
	q := s.builder()
	q.write(`SELECT a.*, COALESCE(p.initiatives, 0) AS initiatives, COALESCE(p.partnerships, 0) AS partnerships,
		COALESCE(m.meetings, 0) AS meetings
	FROM organizations a
	LEFT JOIN (SELECT organization_id, COUNT(DISTINCT initiative_id) AS initiatives, COUNT(*) AS partnerships
		FROM partnerships GROUP BY organization_id) p ON p.organization_id = a.id
	LEFT JOIN (SELECT organization_id, COUNT(DISTINCT meeting_id) AS meetings
		FROM participants WHERE organization_id IS NOT NULL GROUP BY organization_id) m ON m.organization_id = a.id
	WHERE (p.initiatives > 0 OR m.meetings > 0) AND `)
	if err := q.filter(organizations, "a", reflect.ValueOf(filter)); err != nil {
		return nil, err
	}
	q.write(" ORDER BY ", order, ", a.id LIMIT ")
	q.arg(first)
	var rows []struct {
		Organization Organization `gorm:"embedded"`
		Initiatives  int
		Partnerships int
		Meetings     int
	}
	if err := s.scanAll(ctx, q, &rows); err != nil {
		return nil, dbError(err, "top partners")
	}
	out := make([]*PartnerActivity, len(rows))
	for i := range rows {
		out[i] = &PartnerActivity{Rank: i + 1, Organization: &rows[i].Organization,
			Initiatives: rows[i].Initiatives, Partnerships: rows[i].Partnerships, Meetings: rows[i].Meetings}
	}
	return out, nil
}
