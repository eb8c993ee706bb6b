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
func mustDashboardData(t *testing.T, store *models.Store, n int) {
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

const dashboardQuery = `{
  initiatives(first: 100) {
    totalCount
    nodes {
      title
      partnerships { totalCount nodes { role organization { name parent { name } } } }
      meetings { nodes { title place { name } participants { nodes { role person { name } organization { name } } } } }
      actionItems { nodes { title owner { name } } }
      citations { nodes { excerpt source { title } } }
    }
  }
}`

// TestStatementsDoNotGrowWithRows proves the absence of N+1 queries: the
// same nested query costs the same number of SQL statements over 2 and over
// 40 initiatives — one per relation it selects.
func TestStatementsDoNotGrowWithRows(t *testing.T) {
	// One statement for the list, and one per relation or count selected:
	// totalCount, partnerships, their totalCount, organization, parent,
	// meetings, place, participants, person, organization, actionItems,
	// owner, citations, source.
	const want = 15
	modelstest.Each(t, func(t *testing.T, d models.Dialect) {
		counts := map[int]int{}
		for _, n := range []int{2, 40} {
			store := modelstest.NewStore(t, d)
			mustDashboardData(t, store, n)
			c := newClient(t, store)
			var out struct {
				Initiatives struct {
					TotalCount int
					Nodes      []struct {
						Partnerships struct {
							Nodes []struct {
								Organization struct{ Parent struct{ Name string } }
							}
						}
						Meetings struct {
							Nodes []struct {
								Participants struct {
									Nodes []struct{ Person struct{ Name string } }
								}
							}
						}
					}
				}
			}
			r := c.mustQuery(dashboardQuery, nil, &out)
			if got := out.Initiatives.TotalCount; got != n {
				t.Fatalf("totalCount = %d, want %d", got, n)
			}
			last := out.Initiatives.Nodes[n-1]
			if len(last.Partnerships.Nodes) != 3 || last.Partnerships.Nodes[2].Organization.Parent.Name != "Parent" ||
				len(last.Meetings.Nodes) != 2 || last.Meetings.Nodes[1].Participants.Nodes[1].Person.Name != "Person" {
				t.Fatalf("nested data incomplete: %+v", last)
			}
			counts[n] = r.Extensions.SQLStatements
		}
		if counts[2] != counts[40] {
			t.Errorf("statements: %d for 2 initiatives, %d for 40: they grow with the rows", counts[2], counts[40])
		}
		if counts[40] > want {
			t.Errorf("statements = %d, want at most %d", counts[40], want)
		}
		t.Logf("statements per query: %v", counts)
	})
}
