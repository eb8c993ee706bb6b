package models

import (
	"context"
	"time"
)

// Person is someone who holds positions, takes part in meetings and makes
// statements.
type Person struct {
	ID          uint
	Slug        string
	Name        string
	Honorific   string
	GivenName   string
	FamilyName  string
	Description string
	Version     int
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// IsNode marks Person as a GraphQL Node.
func (Person) IsNode() {}

// IsCited marks Person as backed by citations.
func (Person) IsCited() {}

var people = define[Person]("Person", "people", map[string]string{
	"id": "ID", "slug": "Slug", "name": "Name", "familyName": "FamilyName", "createdAt": "CreatedAt", "updatedAt": "UpdatedAt",
}, "name")

// PersonConnection is a page of people.
type PersonConnection = Connection[Person]

// PersonEdge is a person in a page.
type PersonEdge = Edge[Person]

// Position is a post a person holds in an organization.
type Position struct {
	ID             uint
	PersonID       uint
	OrganizationID uint
	Title          string
	IsHead         bool
	AsOf           *Date
	Version        int
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// IsNode marks Position as a GraphQL Node.
func (Position) IsNode() {}

// IsCited marks Position as backed by citations.
func (Position) IsCited() {}

var positions = define[Position]("Position", "positions", map[string]string{
	"id": "ID", "title": "Title", "isHead": "IsHead", "asOf": "AsOf",
}, "id")

// PositionConnection is a page of positions.
type PositionConnection = Connection[Position]

// PositionEdge is a position in a page.
type PositionEdge = Edge[Position]

// FindPersonBySlug returns the person with the given slug.
func (s *Store) FindPersonBySlug(ctx context.Context, slug string) (*Person, error) {
	return findBy[Person](ctx, s, "slug", canonicalSlug(slug))
}
