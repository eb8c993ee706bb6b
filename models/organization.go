package models

import (
	"context"
	"time"
)

// Organization is an intergovernmental body, one of its departments or
// offices, a field mission or a group of states. ParentID places it in its
// hierarchy: DPKO's Police Division is part of DPKO, part of the Secretariat.
type Organization struct {
	ID                  uint
	Slug                string
	Acronym             *string
	Name                string
	Kind                OrganizationKind
	ParentID            *uint
	FoundedYear         *int
	HeadquartersPlaceID *uint
	Description         string
	Version             int
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

// IsNode marks Organization as a GraphQL Node.
func (Organization) IsNode() {}

// IsCited marks Organization as backed by citations.
func (Organization) IsCited() {}

var organizations = define[Organization]("Organization", "organizations", map[string]string{
	"id": "ID", "slug": "Slug", "acronym": "Acronym", "name": "Name", "kind": "Kind", "description": "Description",
	"foundedYear": "FoundedYear", "createdAt": "CreatedAt", "updatedAt": "UpdatedAt",
}, "name")

// OrganizationConnection is a page of organizations.
type OrganizationConnection = Connection[Organization]

// OrganizationEdge is an organization in a page.
type OrganizationEdge = Edge[Organization]

// Relations listed under an organization.
var (
	OrganizationChildren       = &Relation[Organization]{relation{name: "Organization.children", parent: "a.parent_id"}}
	OrganizationPartnerships   = &Relation[Partnership]{relation{name: "Organization.partnerships", parent: "a.organization_id"}}
	OrganizationPositions      = &Relation[Position]{relation{name: "Organization.positions", parent: "a.organization_id"}}
	OrganizationActionItems    = &Relation[ActionItem]{relation{name: "Organization.actionItems", parent: "a.owner_organization_id"}}
	OrganizationParticipations = &Relation[Participant]{relation{name: "Organization.participations", parent: "a.organization_id"}}
	OrganizationMeetings       = &Relation[Meeting]{relation{name: "Organization.organizedMeetings", parent: "a.organizer_organization_id"}}
	OrganizationStatistics     = &Relation[Statistic]{relation{name: "Organization.statistics", parent: "a.scope_organization_id"}}
	PlaceOrganizations         = &Relation[Organization]{relation{name: "Place.headquarteredOrganizations", parent: "a.headquarters_place_id"}}
	ActionItemContributors     = &Relation[Organization]{relation{name: "ActionItem.contributors", parent: "j.action_item_id",
		join: " JOIN action_item_contributors j ON j.organization_id = a.id"}}
)

// FindOrganizationByAcronym returns the organization with the given acronym.
func (s *Store) FindOrganizationByAcronym(ctx context.Context, acronym string) (*Organization, error) {
	return findBy[Organization](ctx, s, "acronym", acronym)
}

// FindOrganizationBySlug returns the organization with the given slug.
func (s *Store) FindOrganizationBySlug(ctx context.Context, slug string) (*Organization, error) {
	return findBy[Organization](ctx, s, "slug", slug)
}

// OrganizationAncestors returns, for each organization ID, the chain of
// organizations it belongs to, nearest first, in one recursive statement.
func (s *Store) OrganizationAncestors(ctx context.Context, ids []uint) (map[uint][]*Organization, error) {
	q := s.builder()
	q.write(`WITH RECURSIVE chain (start_id, org_id, depth) AS (
		SELECT o.id, o.parent_id, 1 FROM organizations o WHERE `)
	q.inIDs("o.id", ids)
	q.write(` AND o.parent_id IS NOT NULL
		UNION ALL
		SELECT c.start_id, o.parent_id, c.depth + 1 FROM chain c JOIN organizations o ON o.id = c.org_id
		WHERE o.parent_id IS NOT NULL AND c.depth < 32)
	SELECT a.*, c.start_id AS rel_parent, c.depth AS rel_rank FROM chain c JOIN organizations a ON a.id = c.org_id
	ORDER BY c.start_id, c.depth`)
	var rows []ranked[Organization]
	if err := s.db.WithContext(ctx).Raw(q.sql.String(), q.args...).Scan(&rows).Error; err != nil {
		return nil, dbError(err, "organization ancestors")
	}
	out := make(map[uint][]*Organization, len(ids))
	for _, id := range ids {
		out[id] = []*Organization{}
	}
	for i := range rows {
		out[rows[i].RelParent] = append(out[rows[i].RelParent], &rows[i].Row)
	}
	return out, nil
}

// MemberCountMetric is the key of the metric that counts an organization's
// member countries.
const MemberCountMetric = "member-countries"

// MemberCounts returns, for each organization ID that has one, its latest
// statistic of member countries.
func (s *Store) MemberCounts(ctx context.Context, ids []uint) (map[uint]*Statistic, error) {
	q := s.builder()
	q.write(`SELECT * FROM (SELECT a.*, ROW_NUMBER() OVER (PARTITION BY a.scope_organization_id ORDER BY a.as_of DESC, a.id DESC) AS rel_rank
		FROM statistics a JOIN metrics m ON m.id = a.metric_id WHERE m.key = `)
	q.arg(MemberCountMetric)
	q.write(" AND ")
	q.inIDs("a.scope_organization_id", ids)
	q.write(") r WHERE r.rel_rank = 1")
	var rows []*Statistic
	if err := s.db.WithContext(ctx).Raw(q.sql.String(), q.args...).Scan(&rows).Error; err != nil {
		return nil, dbError(err, "member counts")
	}
	out := make(map[uint]*Statistic, len(rows))
	for _, r := range rows {
		out[*r.ScopeOrganizationID] = r
	}
	return out, nil
}
