package graph

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"tracker/models"
	"tracker/models/modelstest"
)

// mustAggregateData creates two action plans with action items in every
// status (some overdue), partnerships in several roles, meetings over
// several months and places, and a statistic series.
func mustAggregateData(t *testing.T, store *models.Store) {
	t.Helper()
	month := models.DatePrecisionMonth
	day := models.DatePrecisionDay
	past := models.NewDate(2009, time.October, 1)
	future := models.NewDate(time.Now().Year()+5, time.January, 1)
	plans := make([]*models.Initiative, 2)
	for i := range plans {
		plans[i] = &models.Initiative{Slug: fmt.Sprintf("plan-%d", i), Title: fmt.Sprintf("Plan %d", i),
			Kind: models.InitiativeKindActionPlan, Status: models.ActivityStatusImplementation}
		modelstest.MustCreate(t, store, plans[i])
	}
	orgs := mustOrganizations(t, store, []string{"Org A", "Org B", "Org C"}, nil)
	item := func(plan int, status models.ActionItemStatus, due *models.Date, prec *models.DatePrecision) {
		modelstest.MustCreate(t, store, &models.ActionItem{Slug: fmt.Sprintf("item-%d", slugs.Add(1)), Title: "Item",
			Status: status, InitiativeID: &plans[plan].ID, OwnerOrganizationID: orgs[plan].ID, DueOn: due, DuePrecision: prec})
	}
	// Plan 0: 1 done, 1 cancelled, 1 blocked and overdue, 1 in progress not due yet, 1 not started overdue.
	item(0, models.ActionItemStatusDone, &past, &month)
	item(0, models.ActionItemStatusCancelled, &past, &month)
	item(0, models.ActionItemStatusBlocked, &past, &day)
	item(0, models.ActionItemStatusInProgress, &future, &month)
	item(0, models.ActionItemStatusNotStarted, &past, &month)
	// Plan 1: 2 done.
	item(1, models.ActionItemStatusDone, nil, nil)
	item(1, models.ActionItemStatusDone, &past, &day)

	for _, p := range []struct {
		plan, org int
		role      models.PartnershipRole
	}{{0, 0, models.PartnershipRoleAccountable}, {0, 0, models.PartnershipRoleImplementing}, {0, 1, models.PartnershipRoleImplementing},
		{1, 2, models.PartnershipRoleFunding}} {
		modelstest.MustCreate(t, store, &models.Partnership{InitiativeID: plans[p.plan].ID, OrganizationID: orgs[p.org].ID,
			Role: p.role, Status: models.PartnershipStatusActive})
	}

	city := &models.Place{Slug: "city", Name: "City", Kind: models.PlaceKindCity}
	modelstest.MustCreate(t, store, city)
	for i, d := range []struct {
		date  models.Date
		prec  models.DatePrecision
		place *uint
	}{
		{models.NewDate(2009, time.March, 23), day, &city.ID},
		{models.NewDate(2009, time.March, 1), month, &city.ID},
		{models.NewDate(2009, time.May, 2), day, nil},
		{models.NewDate(2010, time.January, 5), day, &city.ID},
	} {
		m := &models.Meeting{Slug: fmt.Sprintf("meeting-%d", i), Title: "Meeting", Kind: models.MeetingKindBriefing,
			Status: models.MeetingStatusHeld, StartsOn: &d.date, DatePrecision: &d.prec, PlaceID: d.place}
		modelstest.MustCreate(t, store, m)
		modelstest.MustExec(t, store, "INSERT INTO meeting_initiatives (meeting_id, initiative_id) VALUES (?, ?)", m.ID, plans[0].ID)
	}

	metric := &models.Metric{Key: "police", Name: "Police", Unit: "officers"}
	modelstest.MustCreate(t, store, metric)
	for _, p := range []struct {
		year  int
		value float64
	}{{2009, 10629}, {1999, 2400}, {2004, 5000}} {
		modelstest.MustCreate(t, store, &models.Statistic{MetricID: metric.ID, Value: p.value,
			AsOfDate: models.NewDate(p.year, time.March, 1), AsOfPrecision: month, ScopeOrganizationID: &orgs[0].ID})
	}
}

func TestAggregates(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, d models.Dialect) {
		store := modelstest.NewStore(t, d)
		mustAggregateData(t, store)
		c := newClient(t, store)

		t.Run("ActionPlanProgress", func(t *testing.T) {
			var out struct {
				Initiatives struct {
					Nodes []struct {
						Title       string
						ActionItems struct{ Progress json.RawMessage }
					}
				}
				ActionItems struct{ Progress json.RawMessage }
			}
			const query = `{
			  initiatives(orderBy: [{field: TITLE}]) { nodes { title actionItems(first: 1) { progress {
			    total done open blocked overdue shareDone countsByStatus { status count } } } } }
			  actionItems(filter: {isOverdue: true}) { progress { total blocked } }
			}`
			r := c.mustQuery(query, nil, &out)
			want := []string{
				`{"total":5,"done":1,"open":3,"blocked":1,"overdue":2,"shareDone":0.25,"countsByStatus":[{"status":"NOT_STARTED","count":1},{"status":"IN_PROGRESS","count":1},{"status":"BLOCKED","count":1},{"status":"DONE","count":1},{"status":"CANCELLED","count":1}]}`,
				`{"total":2,"done":2,"open":0,"blocked":0,"overdue":0,"shareDone":1,"countsByStatus":[{"status":"NOT_STARTED","count":0},{"status":"IN_PROGRESS","count":0},{"status":"BLOCKED","count":0},{"status":"DONE","count":2},{"status":"CANCELLED","count":0}]}`,
			}
			for i, n := range out.Initiatives.Nodes {
				if diff := cmp.Diff(want[i], string(n.ActionItems.Progress)); diff != "" {
					t.Errorf("%s progress (-want +got):\n%s", n.Title, diff)
				}
			}
			if got := string(out.ActionItems.Progress); got != `{"total":2,"blocked":1}` {
				t.Errorf("overdue items progress = %s", got)
			}
			// Compiled, one statement per root field. Through the executor,
			// one statement for the initiatives, one for the progress of all
			// their action items, and one for the root progress: lists asked
			// only for aggregates fetch no rows.
			if r.Extensions.SQLStatements != 2 {
				t.Errorf("statements = %d, want 2", r.Extensions.SQLStatements)
			}
			srv := httptest.NewServer(NewHandler(store, Options{ReportStatements: true, Auth: AuthOptions{PublicRead: true}, DisableCompiler: true}))
			defer srv.Close()
			executor := &client{t: t, url: srv.URL + "/graphql", store: store}
			if r := executor.mustQuery(query, nil, &out); r.Extensions.SQLStatements != 3 {
				t.Errorf("executor statements = %d, want 3", r.Extensions.SQLStatements)
			}
		})

		t.Run("ByStatusIsCountsByStatus", func(t *testing.T) {
			// byStatus is deprecated, and answers as before.
			var out struct {
				ActionItems struct {
					Progress struct{ CountsByStatus, ByStatus json.RawMessage }
				}
			}
			c.mustQuery(`{ actionItems { progress { countsByStatus { status count } byStatus { status count } } } }`, nil, &out)
			if p := out.ActionItems.Progress; string(p.ByStatus) != string(p.CountsByStatus) || len(p.ByStatus) < 10 {
				t.Errorf("byStatus = %s, countsByStatus = %s: want the same counts", p.ByStatus, p.CountsByStatus)
			}
			var schema struct {
				Type struct {
					Fields []struct {
						Name              string
						IsDeprecated      bool
						DeprecationReason *string
					}
				} `json:"__type"`
			}
			c.mustQuery(`{ __type(name: "ActionItemProgress") { fields(includeDeprecated: true) { name isDeprecated deprecationReason } } }`, nil, &schema)
			for _, f := range schema.Type.Fields {
				if f.IsDeprecated != (f.Name == "byStatus") {
					t.Errorf("field %s: deprecated = %v", f.Name, f.IsDeprecated)
				}
			}
		})

		t.Run("PartnershipsByRole", func(t *testing.T) {
			var out struct {
				Partnerships struct{ CountsByRole json.RawMessage }
			}
			c.mustQuery(`{ partnerships { countsByRole { role count organizations } } }`, nil, &out)
			want := `[{"role":"FUNDING","count":1,"organizations":1},{"role":"ACCOUNTABLE","count":1,"organizations":1},{"role":"IMPLEMENTING","count":2,"organizations":2}]`
			if got := string(out.Partnerships.CountsByRole); got != want {
				t.Errorf("countsByRole = %s, want %s", got, want)
			}
		})

		t.Run("MeetingsByPeriodAndPlace", func(t *testing.T) {
			var out struct {
				Initiative struct {
					Meetings struct {
						Months, Quarters, Years, Places json.RawMessage
					}
				}
			}
			c.mustQuery(`{ initiative(slug: "plan-0") { meetings(first: 1) {
			  months: countsByPeriod { period start end count }
			  quarters: countsByPeriod(interval: QUARTER) { period start end count }
			  years: countsByPeriod(interval: YEAR) { period count }
			  places: countsByPlace { place { name } count } } } }`, nil, &out)
			m := out.Initiative.Meetings
			for name, pair := range map[string][2]string{
				"months":   {string(m.Months), `[{"period":"2009-03","start":"2009-03-01","end":"2009-03-31","count":2},{"period":"2009-05","start":"2009-05-01","end":"2009-05-31","count":1},{"period":"2010-01","start":"2010-01-01","end":"2010-01-31","count":1}]`},
				"quarters": {string(m.Quarters), `[{"period":"2009-Q1","start":"2009-01-01","end":"2009-03-31","count":2},{"period":"2009-Q2","start":"2009-04-01","end":"2009-06-30","count":1},{"period":"2010-Q1","start":"2010-01-01","end":"2010-03-31","count":1}]`},
				"years":    {string(m.Years), `[{"period":"2009","count":3},{"period":"2010","count":1}]`},
				"places":   {string(m.Places), `[{"place":{"name":"City"},"count":3},{"place":null,"count":1}]`},
			} {
				if pair[0] != pair[1] {
					t.Errorf("%s = %s, want %s", name, pair[0], pair[1])
				}
			}
		})

		t.Run("DeploymentSeries", func(t *testing.T) {
			var out struct {
				DeploymentStatistics struct{ Series json.RawMessage }
			}
			c.mustQuery(`{ deploymentStatistics(first: 1) { series { metric { key } scopeOrganization { name }
			  change changePercent points { value asOf { label } change changePercent } } } }`, nil, &out)
			want := `[{"metric":{"key":"police"},"scopeOrganization":{"name":"Org A"},"change":8229,"changePercent":342.875,"points":[` +
				`{"value":2400,"asOf":{"label":"March 1999"},"change":null,"changePercent":null},` +
				`{"value":5000,"asOf":{"label":"March 2004"},"change":2600,"changePercent":108.33333333333333},` +
				`{"value":10629,"asOf":{"label":"March 2009"},"change":5629,"changePercent":112.58}]}]`
			if diff := cmp.Diff(want, string(out.DeploymentStatistics.Series)); diff != "" {
				t.Errorf("series (-want +got):\n%s", diff)
			}
		})

		t.Run("TopPartners", func(t *testing.T) {
			var out struct {
				TopPartners json.RawMessage
			}
			c.mustQuery(`{ topPartners(first: 2) { rank organization { name } initiatives partnerships meetings } }`, nil, &out)
			want := `[{"rank":1,"organization":{"name":"Org A"},"initiatives":1,"partnerships":2,"meetings":0},` +
				`{"rank":2,"organization":{"name":"Org B"},"initiatives":1,"partnerships":1,"meetings":0}]`
			if got := string(out.TopPartners); got != want {
				t.Errorf("topPartners = %s, want %s", got, want)
			}
			c.mustFail(`{ topPartners(first: 1000) { rank } }`, nil, "BAD_USER_INPUT")
			// null, explicit or from a variable, is the default; it was a
			// nil pointer dereference.
			var def, null struct{ TopPartners json.RawMessage }
			c.mustQuery(`{ topPartners { rank organization { name } } }`, nil, &def)
			c.mustQuery(`query($by: PartnerRanking) { topPartners(first: null, by: $by) { rank organization { name } } }`,
				map[string]any{"by": nil}, &null)
			if string(null.TopPartners) != string(def.TopPartners) {
				t.Errorf("topPartners(first: null, by: null) = %s, want the defaults' %s", null.TopPartners, def.TopPartners)
			}
		})
	})
}
