package models

import (
	"context"
	"strconv"
	"time"

	"gorm.io/gorm"
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
}, "date").derives("date", "StartsOn", "DatePrecision")

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

// FindMeetingBySlug returns the meeting with the given slug.
func (s *Store) FindMeetingBySlug(ctx context.Context, slug string) (*Meeting, error) {
	return findBy[Meeting](ctx, s, "slug", canonicalSlug(slug))
}

// meetingEditable reports whether u may change meeting m: admins may;
// officers when its organizer is in their scope or they may change one of
// the initiatives it concerned.
func (s *Store) meetingEditable(ctx context.Context, tx *gorm.DB, u *User, m *Meeting) (bool, error) {
	if u.Has(RoleAdmin) {
		return true, nil
	}
	if m.OrganizerOrganizationID != nil {
		if ok, err := s.inScope(ctx, tx, u, *m.OrganizerOrganizationID); err != nil || ok {
			return ok, err
		}
	}
	var initiatives []uint
	if err := tx.WithContext(ctx).Raw("SELECT initiative_id FROM meeting_initiatives WHERE meeting_id = ?", m.ID).Scan(&initiatives).Error; err != nil {
		return false, dbError(err, "meeting initiatives")
	}
	return s.anyInitiativeEditable(ctx, tx, u, initiatives)
}

func (s *Store) anyInitiativeEditable(ctx context.Context, tx *gorm.DB, u *User, ids []uint) (bool, error) {
	for _, id := range ids {
		if ok, err := s.initiativeEditable(ctx, tx, u, id); err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

// participant validates a participant of meeting m.
func participant(field string, meeting uint, person, org *GlobalID, role ParticipantRole, desc *string) (*Participant, error) {
	p := &Participant{MeetingID: meeting, Role: role}
	var err error
	if p.PersonID, err = idAs(field+".personId", person, "Person"); err != nil {
		return nil, err
	}
	if p.OrganizationID, err = idAs(field+".organizationId", org, "Organization"); err != nil {
		return nil, err
	}
	if p.PersonID == nil && p.OrganizationID == nil {
		return nil, invalid(field, "a participant is a person, an organization, or both")
	}
	if !role.IsValid() {
		return nil, invalid(field+".role", "unknown role %q", role)
	}
	if p.Description, err = optText(field+".description", desc, maxText); err != nil {
		return nil, err
	}
	return p, nil
}

// insertParticipant checks what p refers to and stores it.
func (s *Store) insertParticipant(ctx context.Context, tx *gorm.DB, field string, p *Participant) error {
	if p.PersonID != nil {
		if err := s.mustExist(ctx, tx, "people", field+".personId", *p.PersonID); err != nil {
			return err
		}
	}
	if p.OrganizationID != nil {
		if err := s.mustExist(ctx, tx, "organizations", field+".organizationId", *p.OrganizationID); err != nil {
			return err
		}
	}
	if err := insert(tx, p); err != nil {
		return err
	}
	return s.audit(ctx, tx, change{action: AuditActionCreate, entityType: "Participant", entityID: p.ID, after: p})
}

// RecordMeeting validates in and records the meeting with its participants
// and initiatives. Officers must be scoped to its organizer or able to
// change one of its initiatives.
func (s *Store) RecordMeeting(ctx context.Context, in NewMeeting) (*Meeting, error) {
	m := &Meeting{Slug: in.Slug, Kind: in.Kind, AttendeeCount: in.AttendeeCount}
	var err error
	if m.Slug, err = slugKey("input.slug", in.Slug); err != nil {
		return nil, err
	}
	if m.Title, err = checkText("input.title", in.Title, 1, maxName); err != nil {
		return nil, err
	}
	if !in.Kind.IsValid() {
		return nil, invalid("input.kind", "unknown kind %q", in.Kind)
	}
	if m.StartsOn, m.DatePrecision, err = partialDate("input.date", in.Date); err != nil {
		return nil, err
	}
	m.Status = MeetingStatusPlanned
	if d := m.Date(); d != nil && d.End().Time().Before(today()) {
		m.Status = MeetingStatusHeld
	}
	if in.Status != nil {
		if !in.Status.IsValid() {
			return nil, invalid("input.status", "unknown status %q", *in.Status)
		}
		m.Status = *in.Status
	}
	if m.PlaceID, err = idAs("input.placeId", in.PlaceID, "Place"); err != nil {
		return nil, err
	}
	if m.OrganizerOrganizationID, err = idAs("input.organizerId", in.OrganizerID, "Organization"); err != nil {
		return nil, err
	}
	if err = checkRange("input.attendeeCount", in.AttendeeCount, 0, 1_000_000); err != nil {
		return nil, err
	}
	if m.AttendeeDescription, err = optText("input.attendeeDescription", in.AttendeeDescription, maxName); err != nil {
		return nil, err
	}
	if m.Theme, err = optText("input.theme", in.Theme, maxName); err != nil {
		return nil, err
	}
	if m.Summary, err = optText("input.summary", in.Summary, maxText); err != nil {
		return nil, err
	}
	initiatives, err := idsAs("input.initiativeIds", in.InitiativeIds, "Initiative")
	if err != nil {
		return nil, err
	}
	if len(in.Participants) > 500 {
		return nil, invalid("input.participants", "at most 500 participants at once")
	}
	var people []*Participant
	for i, p := range in.Participants {
		field := "input.participants." + strconv.Itoa(i)
		pp, err := participant(field, 0, p.PersonID, p.OrganizationID, p.Role, p.Description)
		if err != nil {
			return nil, err
		}
		people = append(people, pp)
	}
	err = s.write(ctx, RoleOfficer, func(tx *gorm.DB, u *User) error {
		if m.PlaceID != nil {
			if err := s.mustExist(ctx, tx, "places", "input.placeId", *m.PlaceID); err != nil {
				return err
			}
		}
		if m.OrganizerOrganizationID != nil {
			if err := s.mustExist(ctx, tx, "organizations", "input.organizerId", *m.OrganizerOrganizationID); err != nil {
				return err
			}
		}
		if err := s.mustExist(ctx, tx, "initiatives", "input.initiativeIds", initiatives...); err != nil {
			return err
		}
		ok, err := s.anyInitiativeEditable(ctx, tx, u, initiatives)
		if err == nil && !ok && m.OrganizerOrganizationID != nil {
			ok, err = s.inScope(ctx, tx, u, *m.OrganizerOrganizationID)
		}
		if err != nil {
			return err
		}
		if !ok {
			return Errorf(CodeForbidden, "you may record meetings only for an organizer or an initiative of your scope")
		}
		if err := insert(tx, m); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, change{action: AuditActionCreate, entityType: "Meeting", entityID: m.ID, after: m}); err != nil {
			return err
		}
		for _, id := range initiatives {
			if err := tx.Exec("INSERT INTO meeting_initiatives (meeting_id, initiative_id) VALUES (?, ?) ON CONFLICT DO NOTHING", m.ID, id).Error; err != nil {
				return dbError(err, "meeting initiatives")
			}
		}
		for i, p := range people {
			p.MeetingID = m.ID
			if err := s.insertParticipant(ctx, tx, "input.participants."+strconv.Itoa(i), p); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// UpdateMeeting applies the fields set in in to the meeting id, which must
// be at in.ExpectedVersion.
func (s *Store) UpdateMeeting(ctx context.Context, id GlobalID, in MeetingUpdate) (*Meeting, error) {
	mid, err := id.As("Meeting")
	if err != nil {
		return nil, err
	}
	var m *Meeting
	err = s.write(ctx, RoleOfficer, func(tx *gorm.DB, u *User) error {
		var err error
		if m, err = loadVersioned(ctx, s, tx, mid, in.ExpectedVersion, func(m *Meeting) (bool, error) { return s.meetingEditable(ctx, tx, u, m) }); err != nil {
			return err
		}
		before := *m
		if in.Title != nil {
			if m.Title, err = checkText("input.title", *in.Title, 1, maxName); err != nil {
				return err
			}
		}
		if in.Status != nil {
			if !in.Status.IsValid() {
				return invalid("input.status", "unknown status %q", *in.Status)
			}
			m.Status = *in.Status
		}
		if in.Date != nil {
			if m.StartsOn, m.DatePrecision, err = partialDate("input.date", in.Date); err != nil {
				return err
			}
		}
		if in.PlaceID != nil {
			if m.PlaceID, err = idAs("input.placeId", in.PlaceID, "Place"); err != nil {
				return err
			}
			if err := s.mustExist(ctx, tx, "places", "input.placeId", *m.PlaceID); err != nil {
				return err
			}
		}
		if in.AttendeeCount != nil {
			if err := checkRange("input.attendeeCount", in.AttendeeCount, 0, 1_000_000); err != nil {
				return err
			}
			m.AttendeeCount = in.AttendeeCount
		}
		if in.Theme != nil {
			if m.Theme, err = optText("input.theme", in.Theme, maxName); err != nil {
				return err
			}
		}
		if in.Summary != nil {
			if m.Summary, err = optText("input.summary", in.Summary, maxText); err != nil {
				return err
			}
		}
		if err := saveVersioned(s, tx, m, in.ExpectedVersion); err != nil {
			return err
		}
		return s.audit(ctx, tx, change{action: AuditActionUpdate, entityType: "Meeting", entityID: m.ID, before: &before, after: m})
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// AddParticipant adds a participant to a meeting the caller may change.
func (s *Store) AddParticipant(ctx context.Context, in NewParticipant) (*Participant, error) {
	mid, err := in.MeetingID.As("Meeting")
	if err != nil {
		return nil, invalid("input.meetingId", "%s", ErrorMessage(err))
	}
	p, err := participant("input", mid, in.PersonID, in.OrganizationID, in.Role, in.Description)
	if err != nil {
		return nil, err
	}
	err = s.write(ctx, RoleOfficer, func(tx *gorm.DB, u *User) error {
		if _, err := loadForUpdate(ctx, s, tx, mid, func(m *Meeting) (bool, error) { return s.meetingEditable(ctx, tx, u, m) }); err != nil {
			return err
		}
		return s.insertParticipant(ctx, tx, "input", p)
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// RemoveParticipant removes a participant, at version expected, from a
// meeting the caller may change.
func (s *Store) RemoveParticipant(ctx context.Context, id GlobalID, expected int) error {
	return remove(ctx, s, id, expected, func(tx *gorm.DB, u *User, p *Participant) (bool, error) {
		var m Meeting
		if err := tx.First(&m, p.MeetingID).Error; err != nil {
			return false, dbError(err, "meeting")
		}
		return s.meetingEditable(ctx, tx, u, &m)
	})
}
