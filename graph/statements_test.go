package graph

import (
	"fmt"
	"testing"

	"tracker/models"
	"tracker/models/modelstest"
)

// mustDashboardData creates n initiatives, each with three partner
// organizations (each with a parent), two meetings at a place with two
// participants each, two action items and a citation.
func mustDashboardData(t testing.TB, store *models.Store, n int) {
	t.Helper()
	place := &models.Place{Slug: "place", Name: "Place", Kind: models.PlaceKindCity}
	parent := &models.Organization{Slug: "parent", Name: "Parent", Kind: models.OrganizationKindIntergovernmentalOrganization}
	src := &models.Source{Slug: "src", Kind: models.SourceKindReport, Title: "Report", Language: "en"}
	modelstest.MustCreate(t, store, place)
	modelstest.MustCreate(t, store, parent)
	modelstest.MustCreate(t, store, src)
	for i := range n {
		in := &models.Initiative{Slug: fmt.Sprintf("in-%d", i), Title: fmt.Sprintf("Initiative %03d", i),
			Kind: models.InitiativeKindInitiative, Status: models.ActivityStatusImplementation}
		modelstest.MustCreate(t, store, in)
		modelstest.MustCreate(t, store, &models.Citation{SourceID: src.ID, SubjectType: "Initiative", SubjectID: in.ID, Excerpt: "text"})
		var orgs []*models.Organization
		for j := range 3 {
			o := &models.Organization{Slug: fmt.Sprintf("org-%d-%d", i, j), Name: fmt.Sprintf("Org %d-%d", i, j),
				Kind: models.OrganizationKindOffice, ParentID: &parent.ID}
			modelstest.MustCreate(t, store, o)
			modelstest.MustCreate(t, store, &models.Partnership{InitiativeID: in.ID, OrganizationID: o.ID,
				Role: models.PartnershipRoleImplementing, Status: models.PartnershipStatusActive})
			orgs = append(orgs, o)
		}
		for j := range 2 {
			m := &models.Meeting{Slug: fmt.Sprintf("m-%d-%d", i, j), Title: "Meeting", Kind: models.MeetingKindBriefing,
				Status: models.MeetingStatusHeld, PlaceID: &place.ID}
			modelstest.MustCreate(t, store, m)
			modelstest.MustExec(t, store, "INSERT INTO meeting_initiatives (meeting_id, initiative_id) VALUES (?, ?)", m.ID, in.ID)
			for k := range 2 {
				p := &models.Person{Slug: fmt.Sprintf("p-%d-%d-%d", i, j, k), Name: "Person"}
				modelstest.MustCreate(t, store, p)
				modelstest.MustCreate(t, store, &models.Participant{MeetingID: m.ID, PersonID: &p.ID, OrganizationID: &orgs[k].ID,
					Role: models.ParticipantRoleAttendee})
			}
			modelstest.MustCreate(t, store, &models.ActionItem{Slug: fmt.Sprintf("a-%d-%d", i, j), Title: "Act",
				Status: models.ActionItemStatusNotStarted, InitiativeID: &in.ID, OwnerOrganizationID: orgs[j].ID})
		}
	}
}

// dashboardData holds mustDashboardData's data sets by size, each built
// once per test process and copied for each test.
var dashboardData = map[int]*modelstest.Fixture{}

func init() {
	for _, n := range []int{2, 3, 100} {
		dashboardData[n] = modelstest.NewFixture(fmt.Sprintf("dashboard %d", n), func(t testing.TB, s *models.Store) {
			mustDashboardData(t, s, n)
		})
	}
}

const dashboardQuery = `{
  initiatives(first: 100) {
    totalCount
    nodes {
      title
      partnerships(first: 10) { totalCount nodes { role organization { name parent { name } } } }
      meetings(first: 10) { nodes { title place { name } participants(first: 10) { nodes { role person { name } organization { name } } } } }
      actionItems(first: 10) { nodes { title owner { name } } }
      citations(first: 5) { nodes { excerpt source { title } } }
    }
  }
}`

// frontPageQuery is a dashboard's front page: every initiative with its
// partners, its next meetings and its action-plan progress.
const frontPageQuery = `{
  initiatives(first: 100) {
    totalCount
    edges {
      cursor
      node {
        title
        status
        partnerships { nodes { role status organization { acronym name } } }
        meetings(first: 3, filter: {date: {gte: "2000-01-01"}}) { nodes { title date { label } place { name } } }
        actionItems { progress { total done overdue shareDone } }
      }
    }
  }
}`

// statements runs query over stores with 2 and with 100 initiatives and
// returns the SQL statements each cost.
func statements(t *testing.T, d models.Dialect, query string) map[int]int {
	t.Helper()
	counts := map[int]int{}
	for _, n := range []int{2, 100} {
		store := dashboardData[n].Store(t, d)
		c := newClient(t, store)
		var out struct {
			Initiatives struct{ TotalCount int }
		}
		r := c.mustQuery(query, nil, &out)
		if got := out.Initiatives.TotalCount; got != n {
			t.Fatalf("totalCount = %d, want %d", got, n)
		}
		counts[n] = r.Extensions.SQLStatements
	}
	if counts[2] != counts[100] {
		t.Errorf("statements: %d for 2 initiatives, %d for 100: they grow with the rows", counts[2], counts[100])
	}
	return counts
}

// TestStatementsDoNotGrowWithRows proves the absence of N+1 queries: a
// four-level query costs the same number of SQL statements over 2 and over
// 100 initiatives, one per relation it selects at most.
func TestStatementsDoNotGrowWithRows(t *testing.T) {
	t.Parallel()
	// The list and its totalCount; partnerships with their organizations
	// (joined) and their totalCount; the organizations' parents; meetings
	// with their place (joined); participants with person and organization
	// (joined); action items with their owner (joined); citations with their
	// source (joined).
	const want = 9
	modelstest.Each(t, func(t *testing.T, d models.Dialect) {
		counts := statements(t, d, dashboardQuery)
		if counts[100] > want {
			t.Errorf("statements = %d, want at most %d", counts[100], want)
		}
		t.Logf("statements per query: %v", counts)

		// The nested data is all there.
		store := dashboardData[3].Store(t, d)
		var out struct {
			Initiatives struct {
				Nodes []struct {
					Partnerships struct {
						Nodes []struct {
							Organization struct{ Parent struct{ Name string } }
						}
					}
					Meetings struct {
						Nodes []struct {
							Place        struct{ Name string }
							Participants struct {
								Nodes []struct {
									Person       struct{ Name string }
									Organization struct{ Name string }
								}
							}
						}
					}
					ActionItems struct {
						Nodes []struct{ Owner struct{ Name string } }
					}
					Citations struct {
						Nodes []struct{ Source struct{ Title string } }
					}
				}
			}
		}
		newClient(t, store).mustQuery(dashboardQuery, nil, &out)
		for _, in := range out.Initiatives.Nodes {
			m := in.Meetings.Nodes
			if len(in.Partnerships.Nodes) != 3 || in.Partnerships.Nodes[2].Organization.Parent.Name != "Parent" ||
				len(m) != 2 || m[1].Place.Name != "Place" || m[1].Participants.Nodes[1].Person.Name != "Person" ||
				m[1].Participants.Nodes[1].Organization.Name == "" || len(in.ActionItems.Nodes) != 2 ||
				in.ActionItems.Nodes[1].Owner.Name == "" || in.Citations.Nodes[0].Source.Title != "Report" {
				t.Fatalf("nested data incomplete: %+v", in)
			}
		}
	})
}

// TestFrontPageStatements holds the front page to one statement per level
// of nested lists plus two: to-one relations come in their list's statement,
// and progress needs no rows.
func TestFrontPageStatements(t *testing.T) {
	t.Parallel()
	const levels = 3 // initiatives, partnerships, meetings
	modelstest.Each(t, func(t *testing.T, d models.Dialect) {
		counts := statements(t, d, frontPageQuery)
		if counts[100] > levels+2 {
			t.Errorf("front page statements = %d, want at most %d", counts[100], levels+2)
		}
		t.Logf("statements per query: %v", counts)
	})
}

// TestAliasedStatements checks that aliases, on the connection's edges and
// nodes too, do not break batching.
func TestAliasedStatements(t *testing.T) {
	t.Parallel()
	const query = `{ initiatives(first: 100) { totalCount list: edges { item: node { title
	  ps: partnerships { all: nodes { role org: organization { name up: parent { name } } } }
	  again: partnerships { nodes { organization { name } } } } } } }`
	modelstest.Each(t, func(t *testing.T, d models.Dialect) {
		// The list and its count, two partnership lists with their
		// organizations joined, and the parents of one of them.
		if counts := statements(t, d, query); counts[100] > 5 {
			t.Errorf("statements = %d, want at most 5", counts[100])
		}
	})
}
