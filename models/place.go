package models

import "time"

// Place is a venue, city, country or region, within a parent place.
type Place struct {
	ID          uint
	Slug        string
	Name        string
	Kind        PlaceKind
	ParentID    *uint
	CountryCode *string
	Description string
	Version     int
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// IsNode marks Place as a GraphQL Node.
func (Place) IsNode() {}

// IsCited marks Place as backed by citations.
func (Place) IsCited() {}

var places = define[Place]("Place", "places", map[string]string{
	"id": "ID", "slug": "Slug", "name": "Name", "kind": "Kind", "countryCode": "CountryCode",
}, "name")

// PlaceConnection is a page of places.
type PlaceConnection = Connection[Place]

// PlaceEdge is a place in a page.
type PlaceEdge = Edge[Place]

// Topic is a subject partners deal with, such as drug trafficking.
type Topic struct {
	ID          uint
	Slug        string
	Name        string
	Description string
	Version     int
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// IsNode marks Topic as a GraphQL Node.
func (Topic) IsNode() {}

// IsCited marks Topic as backed by citations.
func (Topic) IsCited() {}

var topics = define[Topic]("Topic", "topics", map[string]string{
	"id": "ID", "slug": "Slug", "name": "Name",
}, "name")

// TopicConnection is a page of topics.
type TopicConnection = Connection[Topic]

// TopicEdge is a topic in a page.
type TopicEdge = Edge[Topic]

// TopicPlace is a place's part in a topic: West Africa as the transit region
// of the narcotics route from Latin America to Europe.
type TopicPlace struct {
	ID          uint
	TopicID     uint
	PlaceID     uint
	Role        PlaceRole
	Description string
	Version     int
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// IsNode marks TopicPlace as a GraphQL Node.
func (TopicPlace) IsNode() {}

// IsCited marks TopicPlace as backed by citations.
func (TopicPlace) IsCited() {}

var topicPlaces = define[TopicPlace]("TopicPlace", "topic_places", map[string]string{
	"id": "ID", "role": "Role",
}, "id")

// TopicPlaceConnection is a page of topic–place links.
type TopicPlaceConnection = Connection[TopicPlace]

// TopicPlaceEdge is a topic–place link in a page.
type TopicPlaceEdge = Edge[TopicPlace]
