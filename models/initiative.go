package models

import (
	"context"
	"time"

	"gorm.io/gorm"
)

// Initiative is an undertaking organizations run together: a joint
// initiative, an action plan, a framework for co-operation. It is an IATI
// activity: its status and dates use IATI's vocabulary.
type Initiative struct {
	ID                    uint
	Slug                  string
	Title                 string
	ShortTitle            string
	Kind                  InitiativeKind
	Status                ActivityStatus
	Description           string
	Objective             string
	PlannedStartOn        *Date
	PlannedStartPrecision *DatePrecision
	ActualStartOn         *Date
	ActualStartPrecision  *DatePrecision
	PlannedEndOn          *Date
	PlannedEndPrecision   *DatePrecision
	ActualEndOn           *Date
	ActualEndPrecision    *DatePrecision
	Version               int
	CreatedAt             time.Time
	UpdatedAt             time.Time
}

// IsNode marks Initiative as a GraphQL Node.
func (Initiative) IsNode() {}

// IsCited marks Initiative as backed by citations.
func (Initiative) IsCited() {}

// PlannedStart returns when the initiative was planned to start, if known.
func (i *Initiative) PlannedStart() *PartialDate {
	return newPartialDate(i.PlannedStartOn, i.PlannedStartPrecision)
}

// ActualStart returns when the initiative started, if known.
func (i *Initiative) ActualStart() *PartialDate {
	return newPartialDate(i.ActualStartOn, i.ActualStartPrecision)
}

// PlannedEnd returns when the initiative is planned to end, if known.
func (i *Initiative) PlannedEnd() *PartialDate {
	return newPartialDate(i.PlannedEndOn, i.PlannedEndPrecision)
}

// ActualEnd returns when the initiative ended, if it has.
func (i *Initiative) ActualEnd() *PartialDate {
	return newPartialDate(i.ActualEndOn, i.ActualEndPrecision)
}

// iatiActivityStatus holds the IATI ActivityStatus codes.
var iatiActivityStatus = map[ActivityStatus]int{
	ActivityStatusPipeline: 1, ActivityStatusImplementation: 2, ActivityStatusFinalisation: 3,
	ActivityStatusClosed: 4, ActivityStatusCancelled: 5, ActivityStatusSuspended: 6,
}

// IatiStatusCode returns the IATI ActivityStatus code of the status.
func (i *Initiative) IatiStatusCode() int { return iatiActivityStatus[i.Status] }

var initiatives = define[Initiative]("Initiative", "initiatives", map[string]string{
	"id": "ID", "slug": "Slug", "title": "Title", "shortTitle": "ShortTitle", "kind": "Kind", "status": "Status",
	"description": "Description", "actualStart": "ActualStartOn", "plannedStart": "PlannedStartOn",
	"plannedEnd": "PlannedEndOn", "actualEnd": "ActualEndOn", "createdAt": "CreatedAt", "updatedAt": "UpdatedAt",
}, "title").
	derives("plannedStart", "PlannedStartOn", "PlannedStartPrecision").
	derives("actualStart", "ActualStartOn", "ActualStartPrecision").
	derives("plannedEnd", "PlannedEndOn", "PlannedEndPrecision").
	derives("actualEnd", "ActualEndOn", "ActualEndPrecision").
	derives("iatiStatusCode", "Status")

// InitiativeConnection is a page of initiatives.
type InitiativeConnection = Connection[Initiative]

// InitiativeEdge is an initiative in a page.
type InitiativeEdge = Edge[Initiative]

// InitiativeRelation links an initiative to a related one (an IATI related
// activity). Stored once, it is listed under both initiatives: seen from the
// related side, PARENT reads as CHILD and vice versa.
type InitiativeRelation struct {
	ID                  uint
	InitiativeID        uint
	RelatedInitiativeID uint
	Type                RelatedActivityType
	Description         string
	Version             int
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

// IsNode marks InitiativeRelation as a GraphQL Node.
func (InitiativeRelation) IsNode() {}

// IsCited marks InitiativeRelation as backed by citations.
func (InitiativeRelation) IsCited() {}

var iatiRelatedActivityType = map[RelatedActivityType]int{
	RelatedActivityTypeParent: 1, RelatedActivityTypeChild: 2, RelatedActivityTypeSibling: 3,
	RelatedActivityTypeCoFunded: 4, RelatedActivityTypeThirdParty: 5,
}

// IatiTypeCode returns the IATI RelatedActivityType code of the link's type.
func (r *InitiativeRelation) IatiTypeCode() int { return iatiRelatedActivityType[r.Type] }

// initiativeLinks reads initiative_relations from both ends: each stored link
// appears once under each of its initiatives, with the type as seen from it.
const initiativeLinks = `(SELECT id, initiative_id, related_initiative_id, type, description, version, created_at, updated_at
	FROM initiative_relations
	UNION ALL
	SELECT id, related_initiative_id, initiative_id,
		CASE type WHEN 'PARENT' THEN 'CHILD' WHEN 'CHILD' THEN 'PARENT' ELSE type END,
		description, version, created_at, updated_at
	FROM initiative_relations)`

var initiativeRelations = define[InitiativeRelation]("InitiativeRelation", initiativeLinks, map[string]string{
	"id": "ID", "type": "Type",
}, "id")

// Links are listed from a query over the table they are stored in.
func init() { initiativeRelations.base = "initiative_relations" }

// InitiativeRelationConnection is a page of initiative links.
type InitiativeRelationConnection = Connection[InitiativeRelation]

// InitiativeRelationEdge is an initiative link in a page.
type InitiativeRelationEdge = Edge[InitiativeRelation]

// FindInitiativeBySlug returns the initiative with the given slug.
func (s *Store) FindInitiativeBySlug(ctx context.Context, slug string) (*Initiative, error) {
	return findBy[Initiative](ctx, s, "slug", canonicalSlug(slug))
}

// initiativeEditable reports whether u may change the initiative id: admins
// may; officers when one of its partners is in their scope.
func (s *Store) initiativeEditable(ctx context.Context, tx *gorm.DB, u *User, id uint) (bool, error) {
	if u.Has(RoleAdmin) {
		return true, nil
	}
	var orgs []uint
	if err := tx.WithContext(ctx).Raw("SELECT organization_id FROM partnerships WHERE initiative_id = ?", id).Scan(&orgs).Error; err != nil {
		return false, dbError(err, "partnerships")
	}
	return s.inScope(ctx, tx, u, orgs...)
}

// CreateInitiative validates in and creates the initiative with its
// accountable organization as first partner, which officers must be scoped
// to.
func (s *Store) CreateInitiative(ctx context.Context, in NewInitiative) (*Initiative, error) {
	i := &Initiative{Slug: in.Slug, Kind: in.Kind, Status: ActivityStatusPipeline}
	var err error
	if i.Slug, err = slugKey("input.slug", in.Slug); err != nil {
		return nil, err
	}
	if i.Title, err = checkText("input.title", in.Title, 1, maxName); err != nil {
		return nil, err
	}
	if i.ShortTitle, err = optText("input.shortTitle", in.ShortTitle, 100); err != nil {
		return nil, err
	}
	if !in.Kind.IsValid() {
		return nil, invalid("input.kind", "unknown kind %q", in.Kind)
	}
	if in.Status != nil {
		if !in.Status.IsValid() {
			return nil, invalid("input.status", "unknown status %q", *in.Status)
		}
		i.Status = *in.Status
	}
	if i.Description, err = optText("input.description", in.Description, maxText); err != nil {
		return nil, err
	}
	if i.Objective, err = optText("input.objective", in.Objective, maxText); err != nil {
		return nil, err
	}
	if i.ActualStartOn, i.ActualStartPrecision, err = partialDate("input.actualStart", in.ActualStart); err != nil {
		return nil, err
	}
	if i.PlannedEndOn, i.PlannedEndPrecision, err = partialDate("input.plannedEnd", in.PlannedEnd); err != nil {
		return nil, err
	}
	org, err := idAs("input.accountableOrganizationId", &in.AccountableOrganizationID, "Organization")
	if err != nil {
		return nil, err
	}
	err = s.write(ctx, RoleOfficer, func(tx *gorm.DB, u *User) error {
		if err := s.mustExist(ctx, tx, "organizations", "input.accountableOrganizationId", *org); err != nil {
			return err
		}
		if ok, err := s.inScope(ctx, tx, u, *org); err != nil || !ok {
			if err != nil {
				return err
			}
			return Errorf(CodeForbidden, "you may create initiatives only for an organization you are scoped to")
		}
		if err := insert(tx, i); err != nil {
			return err
		}
		p := &Partnership{InitiativeID: i.ID, OrganizationID: *org, Role: PartnershipRoleAccountable, Status: PartnershipStatusActive}
		if err := insert(tx, p); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, change{action: AuditActionCreate, entityType: "Initiative", entityID: i.ID, after: i}); err != nil {
			return err
		}
		return s.audit(ctx, tx, change{action: AuditActionCreate, entityType: "Partnership", entityID: p.ID, after: p})
	})
	if err != nil {
		return nil, err
	}
	return i, nil
}

// UpdateInitiative applies the fields set in in to the initiative id, which
// must be at in.ExpectedVersion.
func (s *Store) UpdateInitiative(ctx context.Context, id GlobalID, in InitiativeUpdate) (*Initiative, error) {
	iid, err := id.As("Initiative")
	if err != nil {
		return nil, err
	}
	var i *Initiative
	err = s.write(ctx, RoleOfficer, func(tx *gorm.DB, u *User) error {
		var err error
		i, err = loadVersioned(ctx, s, tx, iid, in.ExpectedVersion, func(i *Initiative) (bool, error) { return s.initiativeEditable(ctx, tx, u, i.ID) })
		if err != nil {
			return err
		}
		before := *i
		if in.Title != nil {
			if i.Title, err = checkText("input.title", *in.Title, 1, maxName); err != nil {
				return err
			}
		}
		if in.ShortTitle != nil {
			if i.ShortTitle, err = optText("input.shortTitle", in.ShortTitle, 100); err != nil {
				return err
			}
		}
		if in.Status != nil {
			if !in.Status.IsValid() {
				return invalid("input.status", "unknown status %q", *in.Status)
			}
			i.Status = *in.Status
		}
		if in.Description != nil {
			if i.Description, err = optText("input.description", in.Description, maxText); err != nil {
				return err
			}
		}
		if in.Objective != nil {
			if i.Objective, err = optText("input.objective", in.Objective, maxText); err != nil {
				return err
			}
		}
		if in.ActualStart != nil {
			if i.ActualStartOn, i.ActualStartPrecision, err = partialDate("input.actualStart", in.ActualStart); err != nil {
				return err
			}
		}
		if in.PlannedEnd != nil {
			if i.PlannedEndOn, i.PlannedEndPrecision, err = partialDate("input.plannedEnd", in.PlannedEnd); err != nil {
				return err
			}
		}
		if err := saveVersioned(s, tx, i, in.ExpectedVersion); err != nil {
			return err
		}
		return s.audit(ctx, tx, change{action: AuditActionUpdate, entityType: "Initiative", entityID: i.ID, before: &before, after: i})
	})
	if err != nil {
		return nil, err
	}
	return i, nil
}
