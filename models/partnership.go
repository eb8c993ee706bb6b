package models

import (
	"context"
	"time"

	"gorm.io/gorm"
)

// Partnership is an organization taking part in an initiative in one role
// (an IATI participating organisation). An organization with two roles in
// the same initiative has two partnerships.
type Partnership struct {
	ID             uint
	InitiativeID   uint
	OrganizationID uint
	Role           PartnershipRole
	Status         PartnershipStatus
	Description    string
	Version        int
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// IsNode marks Partnership as a GraphQL Node.
func (Partnership) IsNode() {}

// IsCited marks Partnership as backed by citations.
func (Partnership) IsCited() {}

var iatiOrganisationRole = map[PartnershipRole]int{
	PartnershipRoleFunding: 1, PartnershipRoleAccountable: 2, PartnershipRoleExtending: 3, PartnershipRoleImplementing: 4,
}

// IatiRoleCode returns the IATI OrganisationRole code of the role.
func (p *Partnership) IatiRoleCode() int { return iatiOrganisationRole[p.Role] }

var partnerships = define[Partnership]("Partnership", "partnerships", map[string]string{
	"id": "ID", "role": "Role", "status": "Status", "createdAt": "CreatedAt",
}, "id").derives("iatiRoleCode", "Role")

// PartnershipConnection is a page of partnerships.
type PartnershipConnection = Connection[Partnership]

// PartnershipEdge is a partnership in a page.
type PartnershipEdge = Edge[Partnership]

// AddPartnership validates in and adds the organization to the initiative in
// the role. Officers must be able to change the initiative.
func (s *Store) AddPartnership(ctx context.Context, in NewPartnership) (*Partnership, error) {
	p := &Partnership{Role: in.Role, Status: PartnershipStatusActive}
	initiative, err := idAs("input.initiativeId", &in.InitiativeID, "Initiative")
	if err != nil {
		return nil, err
	}
	org, err := idAs("input.organizationId", &in.OrganizationID, "Organization")
	if err != nil {
		return nil, err
	}
	p.InitiativeID, p.OrganizationID = *initiative, *org
	if !in.Role.IsValid() {
		return nil, invalid("input.role", "unknown role %q", in.Role)
	}
	if in.Status != nil {
		if !in.Status.IsValid() {
			return nil, invalid("input.status", "unknown status %q", *in.Status)
		}
		p.Status = *in.Status
	}
	if p.Description, err = optText("input.description", in.Description, maxText); err != nil {
		return nil, err
	}
	err = s.write(ctx, RoleOfficer, func(tx *gorm.DB, u *User) error {
		if err := s.mustExist(ctx, tx, "organizations", "input.organizationId", p.OrganizationID); err != nil {
			return err
		}
		// The initiative is locked so that partnerships change one at a time.
		if _, err := loadForUpdate(ctx, s, tx, p.InitiativeID, func(i *Initiative) (bool, error) {
			return s.initiativeEditable(ctx, tx, u, i.ID)
		}); err != nil {
			return err
		}
		if err := insert(tx, p); err != nil {
			return err
		}
		return s.audit(ctx, tx, change{action: AuditActionCreate, entityType: "Partnership", entityID: p.ID, after: p})
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// UpdatePartnership changes a partnership's status or description.
func (s *Store) UpdatePartnership(ctx context.Context, id GlobalID, in PartnershipUpdate) (*Partnership, error) {
	pid, err := id.As("Partnership")
	if err != nil {
		return nil, err
	}
	var p *Partnership
	err = s.write(ctx, RoleOfficer, func(tx *gorm.DB, u *User) error {
		var err error
		if p, err = loadVersioned(ctx, s, tx, pid, in.ExpectedVersion, func(p *Partnership) (bool, error) {
			return s.initiativeEditable(ctx, tx, u, p.InitiativeID)
		}); err != nil {
			return err
		}
		before := *p
		if in.Status != nil {
			if !in.Status.IsValid() {
				return invalid("input.status", "unknown status %q", *in.Status)
			}
			p.Status = *in.Status
		}
		if in.Description != nil {
			if p.Description, err = optText("input.description", in.Description, maxText); err != nil {
				return err
			}
		}
		if err := saveVersioned(s, tx, p, in.ExpectedVersion); err != nil {
			return err
		}
		return s.audit(ctx, tx, change{action: AuditActionUpdate, entityType: "Partnership", entityID: p.ID, before: &before, after: p})
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// RemovePartnership removes a partnership at version expected.
func (s *Store) RemovePartnership(ctx context.Context, id GlobalID, expected int) error {
	return remove(ctx, s, id, expected, func(tx *gorm.DB, u *User, p *Partnership) (bool, error) {
		return s.initiativeEditable(ctx, tx, u, p.InitiativeID)
	})
}
