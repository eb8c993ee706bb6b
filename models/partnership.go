package models

import "time"

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
}, "id")

// PartnershipConnection is a page of partnerships.
type PartnershipConnection = Connection[Partnership]

// PartnershipEdge is a partnership in a page.
type PartnershipEdge = Edge[Partnership]
