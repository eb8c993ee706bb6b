package graph

import (
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"tracker/models"
	"tracker/models/modelstest"
)

// eachEmpty runs fn as a subtest on each database, over an empty one.
func eachEmpty(t *testing.T, fn func(t *testing.T, c *client)) {
	t.Helper()
	modelstest.Each(t, func(t *testing.T, d models.Dialect) {
		fn(t, newClient(t, modelstest.NewStore(t, d)))
	})
}

// slugs numbers fixture slugs.
var slugs atomic.Int64

// mustOrganizations creates organizations named names, with the given
// founding years (0: unknown), all of kind OFFICE.
func mustOrganizations(t *testing.T, store *models.Store, names []string, years []int) []*models.Organization {
	t.Helper()
	var out []*models.Organization
	for i, name := range names {
		o := &models.Organization{Slug: fmt.Sprintf("org-%d", slugs.Add(1)), Name: name, Kind: models.OrganizationKindOffice}
		if years != nil && years[i] != 0 {
			o.FoundedYear = &years[i]
		}
		modelstest.MustCreate(t, store, o)
		out = append(out, o)
	}
	return out
}

type orgPage struct {
	Organizations struct {
		TotalCount int
		Edges      []struct {
			Cursor string
			Node   struct{ Name string }
		}
		PageInfo struct {
			HasNextPage, HasPreviousPage bool
			StartCursor, EndCursor       *string
		}
	}
}

func (p orgPage) names() []string {
	var out []string
	for _, e := range p.Organizations.Edges {
		out = append(out, e.Node.Name)
	}
	return out
}

const orgPageQuery = `query($first: Int, $after: String, $last: Int, $before: String, $order: [OrganizationOrder!], $filter: OrganizationFilter) {
  organizations(first: $first, after: $after, last: $last, before: $before, orderBy: $order, filter: $filter) {
    totalCount
    edges { cursor node { name } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`

func TestPagination(t *testing.T) {
	names := []string{"Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot", "Golf"}
	eachEmpty(t, func(t *testing.T, c *client) {
		mustOrganizations(t, c.store, names, nil)

		t.Run("Forward", func(t *testing.T) {
			var got []string
			var after any
			for page := 0; ; page++ {
				var p orgPage
				c.mustQuery(orgPageQuery, map[string]any{"first": 3, "after": after}, &p)
				got = append(got, p.names()...)
				if p.Organizations.TotalCount != len(names) {
					t.Errorf("totalCount = %d, want %d", p.Organizations.TotalCount, len(names))
				}
				if p.Organizations.PageInfo.HasPreviousPage != (page > 0) {
					t.Errorf("page %d: hasPreviousPage = %v", page, p.Organizations.PageInfo.HasPreviousPage)
				}
				if !p.Organizations.PageInfo.HasNextPage {
					break
				}
				after = *p.Organizations.PageInfo.EndCursor
				if page > 5 {
					t.Fatal("pagination does not end")
				}
			}
			if diff := cmp.Diff(names, got); diff != "" {
				t.Errorf("pages (-want +got):\n%s", diff)
			}
		})

		t.Run("Backward", func(t *testing.T) {
			var got []string
			var before any
			for page := 0; page < 5; page++ {
				var p orgPage
				c.mustQuery(orgPageQuery, map[string]any{"last": 3, "before": before}, &p)
				got = append(p.names(), got...)
				if !p.Organizations.PageInfo.HasPreviousPage {
					break
				}
				before = *p.Organizations.PageInfo.StartCursor
			}
			if diff := cmp.Diff(names, got); diff != "" {
				t.Errorf("pages (-want +got):\n%s", diff)
			}
		})

		t.Run("StableWhenRowsAreInserted", func(t *testing.T) {
			var p1 orgPage
			c.mustQuery(orgPageQuery, map[string]any{"first": 2}, &p1)
			// A row sorting before the cursor must not shift the next page.
			mustOrganizations(t, c.store, []string{"Aardvark"}, nil)
			var p2 orgPage
			c.mustQuery(orgPageQuery, map[string]any{"first": 2, "after": *p1.Organizations.PageInfo.EndCursor}, &p2)
			if got, want := p2.names(), []string{"Charlie", "Delta"}; !slices.Equal(got, want) {
				t.Errorf("page after insert = %v, want %v", got, want)
			}
		})

		t.Run("Empty", func(t *testing.T) {
			var p orgPage
			c.mustQuery(orgPageQuery, map[string]any{"first": 0}, &p)
			if len(p.Organizations.Edges) != 0 || !p.Organizations.PageInfo.HasNextPage || p.Organizations.PageInfo.EndCursor != nil {
				t.Errorf("first: 0 = %+v, want no edges, more pages, no cursors", p.Organizations)
			}
		})
	})
}

func TestOrdering(t *testing.T) {
	eachEmpty(t, func(t *testing.T, c *client) {
		mustOrganizations(t, c.store,
			[]string{"b office", "A office", "Ärzte office", "a office", "C office"},
			[]int{1990, 0, 1923, 1990, 0})
		tests := []struct {
			name  string
			order []map[string]any
			want  []string
		}{
			{"DefaultByNameCodePoint", nil, []string{"A office", "C office", "a office", "b office", "Ärzte office"}},
			{"NameDesc", []map[string]any{{"field": "NAME", "direction": "DESC"}},
				[]string{"Ärzte office", "b office", "a office", "C office", "A office"}},
			{"YearAscUnknownLast", []map[string]any{{"field": "FOUNDED_YEAR"}, {"field": "NAME"}},
				[]string{"Ärzte office", "a office", "b office", "A office", "C office"}},
			{"YearDescUnknownLast", []map[string]any{{"field": "FOUNDED_YEAR", "direction": "DESC"}, {"field": "NAME", "direction": "DESC"}},
				[]string{"b office", "a office", "Ärzte office", "C office", "A office"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				// Page one by one, so cursors over NULLs are exercised too.
				var got []string
				var after any
				for range 10 {
					var p orgPage
					c.mustQuery(orgPageQuery, map[string]any{"first": 1, "after": after, "order": tt.order}, &p)
					got = append(got, p.names()...)
					if !p.Organizations.PageInfo.HasNextPage {
						break
					}
					after = *p.Organizations.PageInfo.EndCursor
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("order (-want +got):\n%s", diff)
				}
				// And backwards from the end.
				got = nil
				var before any
				for range 10 {
					var p orgPage
					c.mustQuery(orgPageQuery, map[string]any{"last": 2, "before": before, "order": tt.order}, &p)
					got = append(p.names(), got...)
					if !p.Organizations.PageInfo.HasPreviousPage {
						break
					}
					before = *p.Organizations.PageInfo.StartCursor
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("backward order (-want +got):\n%s", diff)
				}
			})
		}
	})
}

func TestFilters(t *testing.T) {
	eachEmpty(t, func(t *testing.T, c *client) {
		orgs := mustOrganizations(t, c.store,
			[]string{"Opération des Nations Unies en Côte d'Ivoire", "INTERPOL", "Office on Drugs and Crime", "Police Division"},
			[]int{2004, 1923, 1997, 0})
		acr := "UNOCI"
		orgs[0].Acronym = &acr
		if err := c.store.DB().Save(orgs[0]).Error; err != nil {
			t.Fatal(err)
		}
		orgs[3].ParentID = &orgs[2].ID
		if err := c.store.DB().Save(orgs[3]).Error; err != nil {
			t.Fatal(err)
		}
		in := &models.Initiative{Slug: "i", Title: "Initiative", Kind: models.InitiativeKindInitiative, Status: models.ActivityStatusPipeline}
		modelstest.MustCreate(t, c.store, in)
		modelstest.MustCreate(t, c.store,
			&models.Partnership{InitiativeID: in.ID, OrganizationID: orgs[1].ID, Role: models.PartnershipRoleImplementing, Status: models.PartnershipStatusActive},
			&models.Partnership{InitiativeID: in.ID, OrganizationID: orgs[2].ID, Role: models.PartnershipRoleFunding, Status: models.PartnershipStatusActive})
		parentID := models.NewGlobalID("Organization", orgs[2].ID).String()

		tests := []struct {
			name   string
			filter map[string]any
			want   []string
		}{
			{"Eq", map[string]any{"name": map[string]any{"eq": "INTERPOL"}}, []string{"INTERPOL"}},
			{"EqIsCaseSensitive", map[string]any{"name": map[string]any{"eq": "interpol"}}, nil},
			{"Ne", map[string]any{"foundedYear": map[string]any{"ne": 1923}}, []string{"Office on Drugs and Crime", "Opération des Nations Unies en Côte d'Ivoire"}},
			{"In", map[string]any{"foundedYear": map[string]any{"in": []int{1923, 2004}}}, []string{"INTERPOL", "Opération des Nations Unies en Côte d'Ivoire"}},
			{"InEmpty", map[string]any{"foundedYear": map[string]any{"in": []int{}}}, nil},
			{"Range", map[string]any{"foundedYear": map[string]any{"gt": 1923, "lte": 2004}}, []string{"Office on Drugs and Crime", "Opération des Nations Unies en Côte d'Ivoire"}},
			{"IsNull", map[string]any{"foundedYear": map[string]any{"isNull": true}}, []string{"Police Division"}},
			{"Contains", map[string]any{"name": map[string]any{"contains": "Côte"}}, []string{"Opération des Nations Unies en Côte d'Ivoire"}},
			{"ContainsIsCaseSensitive", map[string]any{"name": map[string]any{"contains": "côte"}}, nil},
			{"ContainsInsensitiveUnicode", map[string]any{"name": map[string]any{"containsInsensitive": "CÔTE D'IVOIRE"}}, []string{"Opération des Nations Unies en Côte d'Ivoire"}},
			{"ContainsLikeWildcardsLiterally", map[string]any{"name": map[string]any{"containsInsensitive": "%"}}, nil},
			{"StartsWith", map[string]any{"name": map[string]any{"startsWith": "Op"}}, []string{"Opération des Nations Unies en Côte d'Ivoire"}},
			{"StartsWithIsCaseSensitive", map[string]any{"name": map[string]any{"startsWith": "op"}}, nil},
			{"Or", map[string]any{"or": []any{
				map[string]any{"acronym": map[string]any{"eq": "UNOCI"}},
				map[string]any{"name": map[string]any{"eq": "INTERPOL"}},
			}}, []string{"INTERPOL", "Opération des Nations Unies en Côte d'Ivoire"}},
			{"Not", map[string]any{"not": map[string]any{"foundedYear": map[string]any{"lt": 2000}}}, []string{"Opération des Nations Unies en Côte d'Ivoire", "Police Division"}},
			{"AndOfRangeAndName", map[string]any{"and": []any{
				map[string]any{"foundedYear": map[string]any{"gte": 1900}},
				map[string]any{"name": map[string]any{"containsInsensitive": "o"}},
			}}, []string{"INTERPOL", "Office on Drugs and Crime", "Opération des Nations Unies en Côte d'Ivoire"}},
			{"ParentByID", map[string]any{"parent": map[string]any{"id": map[string]any{"eq": parentID}}}, []string{"Police Division"}},
			{"ParentByName", map[string]any{"parent": map[string]any{"name": map[string]any{"startsWith": "Office"}}}, []string{"Police Division"}},
			{"ParentIsNull", map[string]any{"parent": map[string]any{"isNull": true}},
				[]string{"INTERPOL", "Office on Drugs and Crime", "Opération des Nations Unies en Côte d'Ivoire"}},
			{"ParentIsNotNull", map[string]any{"parent": map[string]any{"isNull": false}}, []string{"Police Division"}},
			{"ParentIsNotNullAndNamed", map[string]any{"parent": map[string]any{"isNull": false, "name": map[string]any{"startsWith": "Office"}}}, []string{"Police Division"}},
			{"ParentIsNullAndNamed", map[string]any{"parent": map[string]any{"isNull": true, "name": map[string]any{"startsWith": "Office"}}}, nil},
			{"ParentIsNullOrNamed", map[string]any{"or": []any{
				map[string]any{"parent": map[string]any{"isNull": true}},
				map[string]any{"parent": map[string]any{"name": map[string]any{"eq": "Office on Drugs and Crime"}}},
			}}, []string{"INTERPOL", "Office on Drugs and Crime", "Opération des Nations Unies en Côte d'Ivoire", "Police Division"}},
			{"NotParentIsNull", map[string]any{"not": map[string]any{"parent": map[string]any{"isNull": true}}}, []string{"Police Division"}},
			{"HeadquartersIsNull", map[string]any{"headquarters": map[string]any{"isNull": true}},
				[]string{"INTERPOL", "Office on Drugs and Crime", "Opération des Nations Unies en Côte d'Ivoire", "Police Division"}},
			{"IDIsNull", map[string]any{"id": map[string]any{"isNull": true}}, nil},
			{"IDIsNotNull", map[string]any{"id": map[string]any{"isNull": false}},
				[]string{"INTERPOL", "Office on Drugs and Crime", "Opération des Nations Unies en Côte d'Ivoire", "Police Division"}},
			{"PartnershipWithOrganizationIsNotNull", map[string]any{"partnerships": map[string]any{"some": map[string]any{"organization": map[string]any{"isNull": false}}}},
				[]string{"INTERPOL", "Office on Drugs and Crime"}},
			{"SomePartnershipWithRole", map[string]any{"partnerships": map[string]any{"some": map[string]any{"role": map[string]any{"eq": "IMPLEMENTING"}}}}, []string{"INTERPOL"}},
			{"NoPartnership", map[string]any{"partnerships": map[string]any{"none": map[string]any{}}}, []string{"Opération des Nations Unies en Côte d'Ivoire", "Police Division"}},
			{"EveryPartnershipFunding", map[string]any{"partnerships": map[string]any{"every": map[string]any{"role": map[string]any{"eq": "FUNDING"}}}},
				[]string{"Office on Drugs and Crime", "Opération des Nations Unies en Côte d'Ivoire", "Police Division"}},
			{"SQLInjectionIsJustText", map[string]any{"name": map[string]any{"eq": "x' OR '1'='1"}}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var p orgPage
				c.mustQuery(orgPageQuery, map[string]any{"filter": tt.filter}, &p)
				if diff := cmp.Diff(tt.want, p.names()); diff != "" {
					t.Errorf("names (-want +got):\n%s", diff)
				}
				if p.Organizations.TotalCount != len(tt.want) {
					t.Errorf("totalCount = %d, want %d", p.Organizations.TotalCount, len(tt.want))
				}
			})
		}
	})
}

func TestListErrors(t *testing.T) {
	eachEmpty(t, func(t *testing.T, c *client) {
		e := c.mustFail(orgPageQuery, map[string]any{"first": 100000}, "PAGE_TOO_LARGE")
		if e.Extensions["limit"] != float64(models.DefaultMaxPageSize) {
			t.Errorf("limit = %v", e.Extensions["limit"])
		}
	})
	eachEmpty(t, func(t *testing.T, c *client) {
		mustOrganizations(t, c.store, []string{"A", "B"}, nil)
		var p orgPage
		c.mustQuery(orgPageQuery, map[string]any{"first": 1}, &p)
		cursor := *p.Organizations.PageInfo.EndCursor

		tests := []struct {
			name string
			vars map[string]any
			want string // in the message
		}{
			{"NegativeFirst", map[string]any{"first": -1}, "out of range"},
			{"FirstAndLast", map[string]any{"first": 1, "last": 1}, "either first or last"},
			{"MalformedCursor", map[string]any{"first": 1, "after": "not a cursor!"}, "invalid cursor"},
			{"TamperedCursor", map[string]any{"first": 1, "after": strings.ToUpper(cursor)}, "invalid cursor"},
			{"CursorOfAnotherOrder", map[string]any{"first": 1, "after": cursor, "order": []map[string]any{{"field": "FOUNDED_YEAR"}}}, "invalid cursor"},
			{"MalformedIDInFilter", map[string]any{"filter": map[string]any{"id": map[string]any{"eq": "42"}}}, "malformed ID"},
			{"IsNullOnTheListItself", map[string]any{"filter": map[string]any{"isNull": true}}, "put it in a to-one relation's filter"},
			{"IsNullInsideARelationsNot", map[string]any{"filter": map[string]any{"parent": map[string]any{"not": map[string]any{"isNull": true}}}},
				"isNull on an Organization filters an object that always exists here"},
			{"IDOfAnotherType", map[string]any{"filter": map[string]any{"id": map[string]any{"eq": models.NewGlobalID("Person", 1).String()}}}, "not an Organization"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				e := c.mustFail(orgPageQuery, tt.vars, "BAD_USER_INPUT")
				if !strings.Contains(e.Message, tt.want) {
					t.Errorf("message = %q, want it to mention %q", e.Message, tt.want)
				}
			})
		}
	})
}
