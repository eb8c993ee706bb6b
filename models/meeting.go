package models

import (
	"context"
	"time"
)

// Meeting is a meeting, briefing, conference or assembly, held or planned.
// Its date may be known only to the month (DatePrecision) or not at all.
type Meeting struct {
	ID                      uint
	Slug                    string
	Title                   string
	Kind                    MeetingKind
	Status                  MeetingStatus
	StartsOn                *Date
	DatePrecision           *DatePrecision
	PlaceID                 *uint
	OrganizerOrganizationID *uint
	AttendeeCount           *int
	AttendeeDescription     string
	Theme                   string
	Summary                 string
	Version                 int
	CreatedAt               time.Time
	UpdatedAt               time.Time
}

// IsNode marks Meeting as a GraphQL Node.
func (Meeting) IsNode() {}

// IsCited marks Meeting as backed by citations.
func (Meeting) IsCited() {}

// Date returns when the meeting takes or took place, if known.
func (m *Meeting) Date() *PartialDate { return newPartialDate(m.StartsOn, m.DatePrecision) }

var meetings = define[Meeting]("Meeting", "meetings", map[string]string{
	"id": "ID", "slug": "Slug", "title": "Title", "kind": "Kind", "status": "Status", "date": "StartsOn",
	"attendeeCount": "AttendeeCount", "createdAt": "CreatedAt", "updatedAt": "UpdatedAt",
}, "date")

// MeetingConnection is a page of meetings.
type MeetingConnection = Connection[Meeting]

// MeetingEdge is a meeting in a page.
type MeetingEdge = Edge[Meeting]

// Participant is a person or an organization taking part in a meeting in a
// role. For a person, OrganizationID is the organization they represented.
type Participant struct {
	ID             uint
	MeetingID      uint
	PersonID       *uint
	OrganizationID *uint
	Role           ParticipantRole
	Description    string
	Version        int
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// IsNode marks Participant as a GraphQL Node.
func (Participant) IsNode() {}

// IsCited marks Participant as backed by citations.
func (Participant) IsCited() {}

var participants = define[Participant]("Participant", "participants", map[string]string{
	"id": "ID", "role": "Role",
}, "id")

// ParticipantConnection is a page of participants.
type ParticipantConnection = Connection[Participant]

// ParticipantEdge is a participant in a page.
type ParticipantEdge = Edge[Participant]

// Outcome is something a meeting produced or is expected to: a declaration,
// a plan adopted, an endorsement.
type Outcome struct {
	ID           uint
	MeetingID    uint
	Kind         OutcomeKind
	Status       OutcomeStatus
	Title        string
	Description  string
	InitiativeID *uint
	Version      int
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// IsNode marks Outcome as a GraphQL Node.
func (Outcome) IsNode() {}

// IsCited marks Outcome as backed by citations.
func (Outcome) IsCited() {}

var outcomes = define[Outcome]("Outcome", "outcomes", map[string]string{
	"id": "ID", "kind": "Kind", "status": "Status", "title": "Title",
}, "id")

// OutcomeConnection is a page of outcomes.
type OutcomeConnection = Connection[Outcome]

// OutcomeEdge is an outcome in a page.
type OutcomeEdge = Edge[Outcome]

// Statement is something a person said, quoted or paraphrased.
type Statement struct {
	ID        uint
	PersonID  uint
	MeetingID *uint
	Kind      StatementKind
	Text      string
	Version   int
	CreatedAt time.Time
	UpdatedAt time.Time
}

// IsNode marks Statement as a GraphQL Node.
func (Statement) IsNode() {}

// IsCited marks Statement as backed by citations.
func (Statement) IsCited() {}

var statements = define[Statement]("Statement", "statements", map[string]string{
	"id": "ID", "kind": "Kind", "text": "Text",
}, "id")

// StatementConnection is a page of statements.
type StatementConnection = Connection[Statement]

// StatementEdge is a statement in a page.
type StatementEdge = Edge[Statement]

// Relations listed under a meeting.
var (
	MeetingParticipants = &Relation[Participant]{relation{name: "Meeting.participants", parent: "a.meeting_id"}}
	MeetingOutcomes     = &Relation[Outcome]{relation{name: "Meeting.outcomes", parent: "a.meeting_id"}}
	MeetingStatements   = &Relation[Statement]{relation{name: "Meeting.statements", parent: "a.meeting_id"}}
	MeetingActionItems  = &Relation[ActionItem]{relation{name: "Meeting.actionItems", parent: "a.meeting_id"}}
	MeetingInitiatives  = &Relation[Initiative]{relation{name: "Meeting.initiatives", parent: "j.meeting_id",
		join: " JOIN meeting_initiatives j ON j.initiative_id = a.id"}}
	MeetingTopics = &Relation[Topic]{relation{name: "Meeting.topics", parent: "j.meeting_id",
		join: " JOIN meeting_topics j ON j.topic_id = a.id"}}
	PlaceMeetings = &Relation[Meeting]{relation{name: "Place.meetings", parent: "a.place_id"}}
)

// FindMeetingBySlug returns the meeting with the given slug.
func (s *Store) FindMeetingBySlug(ctx context.Context, slug string) (*Meeting, error) {
	return findBy[Meeting](ctx, s, "slug", slug)
}
