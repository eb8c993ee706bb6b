package models

import (
	"context"
	"time"

	"gorm.io/gorm"
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

// FindOrganizationByAcronym returns the organization with the given acronym,
// compared as unique keys are (see normalizeKey): ignoring case.
func (s *Store) FindOrganizationByAcronym(ctx context.Context, acronym string) (*Organization, error) {
	return findByFolded[Organization](ctx, s, "acronym", normalizeKey(acronym))
}

// FindOrganizationBySlug returns the organization with the given slug.
func (s *Store) FindOrganizationBySlug(ctx context.Context, slug string) (*Organization, error) {
	return findBy[Organization](ctx, s, "slug", canonicalSlug(slug))
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
	if err := s.scanAll(ctx, q, &rows); err != nil {
		return nil, dbError(err, "organization ancestors")
	}
	return byParent(ids, rows), nil
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
	if err := s.scanAll(ctx, q, &rows); err != nil {
		return nil, dbError(err, "member counts")
	}
	out := make(map[uint]*Statistic, len(rows))
	for _, r := range rows {
		out[*r.ScopeOrganizationID] = r
	}
	return out, nil
}

// CreateOrganization validates in and creates the organization. Officers may
// create organizations only under a parent in their scope.
func (s *Store) CreateOrganization(ctx context.Context, in NewOrganization) (*Organization, error) {
	o := &Organization{Slug: in.Slug, Kind: in.Kind, FoundedYear: in.FoundedYear}
	var err error
	if o.Slug, err = slugKey("input.slug", in.Slug); err != nil {
		return nil, err
	}
	if o.Name, err = checkText("input.name", in.Name, 1, maxName); err != nil {
		return nil, err
	}
	if o.Acronym, err = optAcronym(in.Acronym); err != nil {
		return nil, err
	}
	if !in.Kind.IsValid() {
		return nil, invalid("input.kind", "unknown kind %q", in.Kind)
	}
	if err = checkRange("input.foundedYear", in.FoundedYear, 1000, 3000); err != nil {
		return nil, err
	}
	if o.Description, err = optText("input.description", in.Description, maxText); err != nil {
		return nil, err
	}
	if o.ParentID, err = idAs("input.parentId", in.ParentID, "Organization"); err != nil {
		return nil, err
	}
	if o.HeadquartersPlaceID, err = idAs("input.headquartersId", in.HeadquartersID, "Place"); err != nil {
		return nil, err
	}
	err = s.write(ctx, RoleOfficer, func(tx *gorm.DB, u *User) error {
		if o.ParentID != nil {
			if err := s.mustExist(ctx, tx, "organizations", "input.parentId", *o.ParentID); err != nil {
				return err
			}
		}
		if o.HeadquartersPlaceID != nil {
			if err := s.mustExist(ctx, tx, "places", "input.headquartersId", *o.HeadquartersPlaceID); err != nil {
				return err
			}
		}
		if !u.Has(RoleAdmin) {
			ok := false
			if o.ParentID != nil {
				var err error
				if ok, err = s.inScope(ctx, tx, u, *o.ParentID); err != nil {
					return err
				}
			}
			if !ok {
				return Errorf(CodeForbidden, "officers may create organizations only under an organization they are scoped to")
			}
		}
		if err := insert(tx, o); err != nil {
			return err
		}
		return s.audit(ctx, tx, change{action: AuditActionCreate, entityType: "Organization", entityID: o.ID, after: o})
	})
	if err != nil {
		return nil, err
	}
	return o, nil
}

// UpdateOrganization applies the fields set in in to the organization id,
// which must be at in.ExpectedVersion.
func (s *Store) UpdateOrganization(ctx context.Context, id GlobalID, in OrganizationUpdate) (*Organization, error) {
	oid, err := id.As("Organization")
	if err != nil {
		return nil, err
	}
	var o *Organization
	err = s.write(ctx, RoleOfficer, func(tx *gorm.DB, u *User) error {
		var err error
		o, err = loadVersioned(ctx, s, tx, oid, in.ExpectedVersion, func(o *Organization) (bool, error) { return s.inScope(ctx, tx, u, o.ID) })
		if err != nil {
			return err
		}
		before := *o
		if in.Acronym != nil {
			if o.Acronym, err = optAcronym(in.Acronym); err != nil {
				return err
			}
		}
		if in.Name != nil {
			if o.Name, err = checkText("input.name", *in.Name, 1, maxName); err != nil {
				return err
			}
		}
		if in.Kind != nil {
			if !in.Kind.IsValid() {
				return invalid("input.kind", "unknown kind %q", *in.Kind)
			}
			o.Kind = *in.Kind
		}
		if in.FoundedYear != nil {
			if err := checkRange("input.foundedYear", in.FoundedYear, 1000, 3000); err != nil {
				return err
			}
			o.FoundedYear = in.FoundedYear
		}
		if in.HeadquartersID != nil {
			if o.HeadquartersPlaceID, err = idAs("input.headquartersId", in.HeadquartersID, "Place"); err != nil {
				return err
			}
			if err := s.mustExist(ctx, tx, "places", "input.headquartersId", *o.HeadquartersPlaceID); err != nil {
				return err
			}
		}
		if in.Description != nil {
			if o.Description, err = optText("input.description", in.Description, maxText); err != nil {
				return err
			}
		}
		if err := saveVersioned(s, tx, o, in.ExpectedVersion); err != nil {
			return err
		}
		return s.audit(ctx, tx, change{action: AuditActionUpdate, entityType: "Organization", entityID: o.ID, before: &before, after: o})
	})
	if err != nil {
		return nil, err
	}
	return o, nil
}

// optAcronym validates an optional acronym: nil or empty clears it.
func optAcronym(a *string) (*string, error) {
	if a == nil {
		return nil, nil
	}
	s, err := acronymKey("input.acronym", *a)
	if err != nil || s == "" {
		return nil, err
	}
	return &s, nil
}

// OrganizationIDsBySlug returns the IDs of the organizations with the given
// slugs, ignoring unknown ones.
func (s *Store) OrganizationIDsBySlug(ctx context.Context, slugs []string) ([]uint, error) {
	ids := []uint{}
	if len(slugs) == 0 {
		return ids, nil
	}
	canonical := make([]string, len(slugs))
	for i, slug := range slugs {
		canonical[i] = canonicalSlug(slug)
	}
	err := s.db.WithContext(ctx).Raw("SELECT id FROM organizations WHERE slug IN ? ORDER BY id", canonical).Scan(&ids).Error
	return ids, dbError(err, "organizations")
}
