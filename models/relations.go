package models

import (
	"fmt"
	"reflect"
	"sync"

	"gorm.io/gorm/schema"
)

// Every relation of the schema is declared here, once, typed by the row
// types at its two ends. A declaration carries the relation's schema field,
// its SQL (the key column, or the join table) and, for a to-one relation,
// its key as a typed accessor; from it follow the batch queries of nested
// lists (ListRelated, CountRelated), the batch lookups of to-one fields
// (One.Key with FindByIDs), the LEFT JOINs a list makes for the to-one fields
// its items select (Join) and the relation filters ({parent: {…}},
// {partnerships: {some: {…}}}). The graph package's resolvers name these
// values; nothing names a Go field or a column as a string outside this file.
//
// The declarations register themselves at start-up (init, once every entity
// is defined) and are checked there against the row structs: a key accessor
// that reads another field than its column, a column the rows lack or a
// field declared twice stops the program before it serves anything.

// Relations listed under an organization.
var (
	OrganizationChildren       = hasMany[Organization, Organization]("children", "parent_id")
	OrganizationPartnerships   = hasMany[Organization, Partnership]("partnerships", "organization_id")
	OrganizationPositions      = hasMany[Organization, Position]("positions", "organization_id")
	OrganizationActionItems    = hasMany[Organization, ActionItem]("actionItems", "owner_organization_id")
	OrganizationParticipations = hasMany[Organization, Participant]("participations", "organization_id")
	OrganizationMeetings       = hasMany[Organization, Meeting]("organizedMeetings", "organizer_organization_id")
	OrganizationStatistics     = hasMany[Organization, Statistic]("statistics", "scope_organization_id")
	OrganizationParent         = belongsTo[Organization, Organization]("parent", "parent_id",
		func(o *Organization) *uint { return o.ParentID })
	OrganizationHeadquarters = belongsTo[Organization, Place]("headquarters", "headquarters_place_id",
		func(o *Organization) *uint { return o.HeadquartersPlaceID })
)

// Relations of people and their positions.
var (
	PersonPositions      = hasMany[Person, Position]("positions", "person_id")
	PersonParticipations = hasMany[Person, Participant]("participations", "person_id")
	PersonStatements     = hasMany[Person, Statement]("statements", "person_id")
	PositionPerson       = belongsTo[Position, Person]("person", "person_id",
		func(p *Position) *uint { return &p.PersonID })
	PositionOrganization = belongsTo[Position, Organization]("organization", "organization_id",
		func(p *Position) *uint { return &p.OrganizationID })
)

// Relations of initiatives, their links to each other and their partnerships.
var (
	InitiativePartnerships = hasMany[Initiative, Partnership]("partnerships", "initiative_id")
	InitiativeActionItems  = hasMany[Initiative, ActionItem]("actionItems", "initiative_id")
	InitiativeRelations    = hasMany[Initiative, InitiativeRelation]("relatedInitiatives", "initiative_id")
	InitiativeOutcomes     = hasMany[Initiative, Outcome]("outcomes", "initiative_id")
	InitiativeResults      = hasMany[Initiative, Result]("results", "initiative_id")
	InitiativeMeetings     = manyThrough[Initiative, Meeting]("meetings", "meeting_initiatives", "initiative_id", "meeting_id")
	InitiativeTopics       = manyThrough[Initiative, Topic]("topics", "initiative_topics", "initiative_id", "topic_id")
	InitiativePlaces       = manyThrough[Initiative, Place]("places", "initiative_places", "initiative_id", "place_id")

	InitiativeRelationInitiative = belongsTo[InitiativeRelation, Initiative]("initiative", "initiative_id",
		func(r *InitiativeRelation) *uint { return &r.InitiativeID })
	InitiativeRelationRelatedInitiative = belongsTo[InitiativeRelation, Initiative]("relatedInitiative", "related_initiative_id",
		func(r *InitiativeRelation) *uint { return &r.RelatedInitiativeID })

	PartnershipInitiative = belongsTo[Partnership, Initiative]("initiative", "initiative_id",
		func(p *Partnership) *uint { return &p.InitiativeID })
	PartnershipOrganization = belongsTo[Partnership, Organization]("organization", "organization_id",
		func(p *Partnership) *uint { return &p.OrganizationID })
)

// Relations of meetings and what is recorded of them.
var (
	MeetingParticipants = hasMany[Meeting, Participant]("participants", "meeting_id")
	MeetingOutcomes     = hasMany[Meeting, Outcome]("outcomes", "meeting_id")
	MeetingStatements   = hasMany[Meeting, Statement]("statements", "meeting_id")
	MeetingActionItems  = hasMany[Meeting, ActionItem]("actionItems", "meeting_id")
	MeetingInitiatives  = manyThrough[Meeting, Initiative]("initiatives", "meeting_initiatives", "meeting_id", "initiative_id")
	MeetingTopics       = manyThrough[Meeting, Topic]("topics", "meeting_topics", "meeting_id", "topic_id")
	MeetingPlace        = belongsTo[Meeting, Place]("place", "place_id",
		func(m *Meeting) *uint { return m.PlaceID })
	MeetingOrganizer = belongsTo[Meeting, Organization]("organizer", "organizer_organization_id",
		func(m *Meeting) *uint { return m.OrganizerOrganizationID })

	ParticipantMeeting = belongsTo[Participant, Meeting]("meeting", "meeting_id",
		func(p *Participant) *uint { return &p.MeetingID })
	ParticipantPerson = belongsTo[Participant, Person]("person", "person_id",
		func(p *Participant) *uint { return p.PersonID })
	ParticipantOrganization = belongsTo[Participant, Organization]("organization", "organization_id",
		func(p *Participant) *uint { return p.OrganizationID })

	OutcomeMeeting = belongsTo[Outcome, Meeting]("meeting", "meeting_id",
		func(o *Outcome) *uint { return &o.MeetingID })
	OutcomeInitiative = belongsTo[Outcome, Initiative]("initiative", "initiative_id",
		func(o *Outcome) *uint { return o.InitiativeID })

	StatementSpeaker = belongsTo[Statement, Person]("speaker", "person_id",
		func(s *Statement) *uint { return &s.PersonID })
	StatementMeeting = belongsTo[Statement, Meeting]("meeting", "meeting_id",
		func(s *Statement) *uint { return s.MeetingID })
)

// Relations of action items.
var (
	ActionItemContributors = manyThrough[ActionItem, Organization]("contributors", "action_item_contributors", "action_item_id", "organization_id")
	ActionItemHistory      = hasTagged[ActionItem, AuditEntry]("history", "entity_id", "entity_type")
	ActionItemInitiative   = belongsTo[ActionItem, Initiative]("initiative", "initiative_id",
		func(a *ActionItem) *uint { return a.InitiativeID })
	ActionItemOwner = belongsTo[ActionItem, Organization]("owner", "owner_organization_id",
		func(a *ActionItem) *uint { return &a.OwnerOrganizationID })
	ActionItemMeeting = belongsTo[ActionItem, Meeting]("meeting", "meeting_id",
		func(a *ActionItem) *uint { return a.MeetingID })
)

// Relations of metrics, statistics, results and indicators.
var (
	MetricStatistics = hasMany[Metric, Statistic]("statistics", "metric_id")
	StatisticMetric  = belongsTo[Statistic, Metric]("metric", "metric_id",
		func(s *Statistic) *uint { return &s.MetricID })
	StatisticScopeOrganization = belongsTo[Statistic, Organization]("scopeOrganization", "scope_organization_id",
		func(s *Statistic) *uint { return s.ScopeOrganizationID })
	StatisticScopePlace = belongsTo[Statistic, Place]("scopePlace", "scope_place_id",
		func(s *Statistic) *uint { return s.ScopePlaceID })
	StatisticSource = belongsTo[Statistic, Source]("source", "source_id",
		func(s *Statistic) *uint { return s.SourceID })

	// A series is computed, not stored: its to-one fields are looked up by
	// key but cannot be joined or filtered on.
	StatisticSeriesMetric = refersTo[StatisticSeries, Metric]("metric",
		func(s *StatisticSeries) *uint { return &s.MetricID })
	StatisticSeriesScopeOrganization = refersTo[StatisticSeries, Organization]("scopeOrganization",
		func(s *StatisticSeries) *uint { return s.ScopeOrganizationID })
	StatisticSeriesScopePlace = refersTo[StatisticSeries, Place]("scopePlace",
		func(s *StatisticSeries) *uint { return s.ScopePlaceID })

	ResultIndicators = hasMany[Result, Indicator]("indicators", "result_id")
	ResultInitiative = belongsTo[Result, Initiative]("initiative", "initiative_id",
		func(r *Result) *uint { return r.InitiativeID })
	ResultOrganization = belongsTo[Result, Organization]("organization", "organization_id",
		func(r *Result) *uint { return r.OrganizationID })

	IndicatorMetric = belongsTo[Indicator, Metric]("metric", "metric_id",
		func(i *Indicator) *uint { return &i.MetricID })
	IndicatorResult = belongsTo[Indicator, Result]("result", "result_id",
		func(i *Indicator) *uint { return &i.ResultID })
	IndicatorBaseline = belongsTo[Indicator, Statistic]("baseline", "baseline_statistic_id",
		func(i *Indicator) *uint { return i.BaselineStatisticID })
	IndicatorTarget = belongsTo[Indicator, Statistic]("target", "target_statistic_id",
		func(i *Indicator) *uint { return i.TargetStatisticID })
	IndicatorActual = belongsTo[Indicator, Statistic]("actual", "actual_statistic_id",
		func(i *Indicator) *uint { return i.ActualStatisticID })
)

// Relations of sources and their citations.
var (
	SourceParts    = hasMany[Source, Source]("parts", "parent_source_id")
	SourceExcerpts = hasMany[Source, Citation]("excerpts", "source_id")
	SourceParent   = belongsTo[Source, Source]("parent", "parent_source_id",
		func(s *Source) *uint { return s.ParentSourceID })
	CitationSource = belongsTo[Citation, Source]("source", "source_id",
		func(c *Citation) *uint { return &c.SourceID })
)

// Relations of places and topics.
var (
	PlaceChildren      = hasMany[Place, Place]("children", "parent_id")
	PlaceMeetings      = hasMany[Place, Meeting]("meetings", "place_id")
	PlaceOrganizations = hasMany[Place, Organization]("headquarteredOrganizations", "headquarters_place_id")
	PlaceTopics        = hasMany[Place, TopicPlace]("topics", "place_id")
	PlaceParent        = belongsTo[Place, Place]("parent", "parent_id", func(p *Place) *uint { return p.ParentID })
	TopicPlaces        = hasMany[Topic, TopicPlace]("places", "topic_id")
	TopicInitiatives   = manyThrough[Topic, Initiative]("initiatives", "initiative_topics", "topic_id", "initiative_id")
	TopicMeetings      = manyThrough[Topic, Meeting]("meetings", "meeting_topics", "topic_id", "meeting_id")
	TopicPlaceTopic    = belongsTo[TopicPlace, Topic]("topic", "topic_id", func(p *TopicPlace) *uint { return &p.TopicID })
	TopicPlacePlace    = belongsTo[TopicPlace, Place]("place", "place_id", func(p *TopicPlace) *uint { return &p.PlaceID })
	PlaceCountPlace    = refersTo[PlaceCount, Place]("place", func(c *PlaceCount) *uint { return c.PlaceID })
)

// The citations of each cited type: the citations whose subject_id holds
// the object's ID and subject_type its type.
var (
	OrganizationCitations       = cited[Organization]()
	PersonCitations             = cited[Person]()
	PositionCitations           = cited[Position]()
	InitiativeCitations         = cited[Initiative]()
	InitiativeRelationCitations = cited[InitiativeRelation]()
	PartnershipCitations        = cited[Partnership]()
	MeetingCitations            = cited[Meeting]()
	ParticipantCitations        = cited[Participant]()
	OutcomeCitations            = cited[Outcome]()
	StatementCitations          = cited[Statement]()
	ActionItemCitations         = cited[ActionItem]()
	StatisticCitations          = cited[Statistic]()
	ResultCitations             = cited[Result]()
	IndicatorCitations          = cited[Indicator]()
	SourceCitations             = cited[Source]()
	PlaceCitations              = cited[Place]()
	TopicCitations              = cited[Topic]()
	TopicPlaceCitations         = cited[TopicPlace]()
)

// Many is a to-many relation: the T rows listed, as a connection, under
// each P row — an initiative's partnerships.
type Many[P, T any] struct {
	relation
	link link // as a filter follows it, from the P rows
}

// One is a to-one relation: the T row a P row refers to by its key — a
// partnership's organization.
type One[P, T any] struct {
	name  string // "Type.field"
	field string
	fk    string         // the column of P's table holding the key; "" for a computed P
	key   func(*P) *uint // the key of a P row; nil: no related row
}

// Name returns the relation's name, such as "Initiative.partnerships".
func (r *Many[P, T]) Name() string { return r.name }

// Name returns the relation's name, such as "Partnership.organization".
func (r *One[P, T]) Name() string { return r.name }

// Key returns the ID of the T row p refers to, or false when it refers to none.
func (r *One[P, T]) Key(p *P) (uint, bool) {
	k := r.key(p)
	if k == nil {
		return 0, false
	}
	return *k, true
}

// declaration is a relation waiting for its entities to be defined.
type declaration interface {
	register()
	check() error
}

var declarations []declaration

func init() {
	for _, d := range declarations {
		d.register()
		if err := d.check(); err != nil {
			panic(err) // the declarations are fixed: a bug
		}
	}
}

// fieldOf returns the struct field of row type t stored in column col.
func fieldOf(t reflect.Type, col string) (*schema.Field, error) {
	s, err := schema.Parse(reflect.New(t).Interface(), &schemaCache, schema.NamingStrategy{})
	if err != nil {
		return nil, err
	}
	f := s.LookUpField(col)
	if f == nil {
		return nil, fmt.Errorf("%s has no column %s", t.Name(), col)
	}
	return f, nil
}

var schemaCache sync.Map

// check proves that the rows of T have the columns the relation names.
func (r *Many[P, T]) check() error {
	cols := []string{r.link.fk, r.link.typeCol}
	if r.link.kind == viaTable {
		cols = nil // join-table columns: proven by the queries that use them
	}
	for _, col := range cols {
		if col == "" {
			continue
		}
		if _, err := fieldOf(reflect.TypeFor[T](), col); err != nil {
			return fmt.Errorf("relation %s: %w", r.name, err)
		}
	}
	return nil
}

// check proves that the key accessor reads the column fk: a P row holding
// a key in that column must yield it.
func (r *One[P, T]) check() error {
	if r.fk == "" {
		return nil
	}
	f, err := fieldOf(reflect.TypeFor[P](), r.fk)
	if err != nil {
		return fmt.Errorf("relation %s: %w", r.name, err)
	}
	var p P
	v := reflect.ValueOf(&p).Elem().FieldByIndex(f.StructField.Index)
	const probe = 7
	switch v.Type() {
	case reflect.TypeFor[uint]():
		v.SetUint(probe)
	case reflect.TypeFor[*uint]():
		k := uint(probe)
		v.Set(reflect.ValueOf(&k))
	default:
		return fmt.Errorf("relation %s: column %s holds %s, not an ID", r.name, r.fk, v.Type())
	}
	if k, ok := r.Key(&p); !ok || k != probe {
		return fmt.Errorf("relation %s: its key does not read column %s", r.name, r.fk)
	}
	return nil
}

// hasMany declares field of P: the T rows whose column fk holds the P row's ID.
func hasMany[P, T any](field, fk string) *Many[P, T] {
	return declareMany[P, T](field, link{kind: toMany, fk: fk})
}

// manyThrough declares field of P: the T rows linked to it by join table via,
// whose column near references the P row and far the T row.
func manyThrough[P, T any](field, via, near, far string) *Many[P, T] {
	return declareMany[P, T](field, link{kind: viaTable, via: via, near: near, far: far})
}

// hasTagged declares field of P: the T rows whose column fk holds the P row's
// ID and column typeCol the name of P's type (citations, audit entries).
func hasTagged[P, T any](field, fk, typeCol string) *Many[P, T] {
	return declareMany[P, T](field, link{kind: toMany, fk: fk, typeCol: typeCol})
}

// cited declares the citations field of P.
func cited[P any]() *Many[P, Citation] {
	return hasTagged[P, Citation]("citations", "subject_id", "subject_type")
}

func declareMany[P, T any](field string, l link) *Many[P, T] {
	r := &Many[P, T]{relation: relation{field: field}, link: l}
	declarations = append(declarations, r)
	return r
}

func (r *Many[P, T]) register() {
	from, to := entityOf[P](), entityOf[T]()
	r.name, r.link.to = from.node+"."+r.field, to
	switch r.link.kind {
	case viaTable:
		r.parent = "j." + r.link.near
		r.join = " JOIN " + r.link.via + " j ON j." + r.link.far + " = a.id"
	default:
		r.parent = "a." + r.link.fk
		if r.link.typeCol != "" {
			r.link.typeName = from.node
			r.where = "a." + r.link.typeCol + " = '" + from.node + "'"
		}
	}
	from.addLink(r.field, r.link)
}

// belongsTo declares field of P: the T row whose ID P's column fk holds, as
// key returns it.
func belongsTo[P, T any](field, fk string, key func(*P) *uint) *One[P, T] {
	r := &One[P, T]{field: field, fk: fk, key: key}
	declarations = append(declarations, r)
	return r
}

// refersTo declares field of a computed type P, which has no table: the T
// row whose ID key returns.
func refersTo[P, T any](field string, key func(*P) *uint) *One[P, T] {
	return belongsTo[P, T](field, "", key)
}

func (r *One[P, T]) register() {
	to := entityOf[T]()
	if r.fk == "" {
		r.name = reflect.TypeFor[P]().Name() + "." + r.field
		return
	}
	from := entityOf[P]()
	r.name = from.node + "." + r.field
	from.addLink(r.field, link{to: to, kind: toOne, fk: r.fk})
}

// addLink records that filters and joins of e can follow field.
func (e *entity) addLink(field string, l link) {
	if _, ok := e.links[field]; ok {
		panic(fmt.Sprintf("relation %s.%s declared twice", e.node, field))
	}
	e.links[field] = l
}
