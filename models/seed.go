package models

import (
	"context"
	"embed"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"gorm.io/gorm"
)

// The seed data set: the facts of a source text, each with the excerpt that
// supports it, as data (seed/*.yaml) rather than code.
//
//go:embed seed
var seedFiles embed.FS

// SeedData is a data set to load with Seed.
type SeedData struct {
	Sources       []seedSource       `yaml:"sources"`
	Places        []seedPlace        `yaml:"places"`
	Topics        []seedTopic        `yaml:"topics"`
	Organizations []seedOrganization `yaml:"organizations"`
	People        []seedPerson       `yaml:"people"`
	Initiatives   []seedInitiative   `yaml:"initiatives"`
	Meetings      []seedMeeting      `yaml:"meetings"`
	ActionItems   []seedActionItem   `yaml:"actionItems"`
	Metrics       []seedMetric       `yaml:"metrics"`
	Statistics    []seedStatistic    `yaml:"statistics"`
	Results       []seedResult       `yaml:"results"`
}

// cite is the excerpt of a source that supports one fact. Field names the
// attribute or relation of the cited object (empty: the object as a whole);
// Source is a source slug, by default the data set's first source.
type cite struct {
	Field   string `yaml:"field"`
	Excerpt string `yaml:"excerpt"`
	Source  string `yaml:"source"`
}

type seedSource struct {
	Slug        string    `yaml:"slug"`
	Kind        string    `yaml:"kind"`
	Title       string    `yaml:"title"`
	Publication string    `yaml:"publication"`
	Publisher   string    `yaml:"publisher"`
	Author      string    `yaml:"author"`
	Dateline    string    `yaml:"dateline"`
	PublishedAt string    `yaml:"publishedAt"`
	URL         string    `yaml:"url"`
	Identifier  string    `yaml:"identifier"`
	Language    string    `yaml:"language"`
	BodyFile    string    `yaml:"bodyFile"`
	Body        string    `yaml:"body"`
	Parent      string    `yaml:"parent"`
	Cite        []cite    `yaml:"cite"`
	published   time.Time // parsed PublishedAt
}

type seedPlace struct {
	Slug        string `yaml:"slug"`
	Name        string `yaml:"name"`
	Kind        string `yaml:"kind"`
	Parent      string `yaml:"parent"`
	CountryCode string `yaml:"countryCode"`
	Description string `yaml:"description"`
	Cite        []cite `yaml:"cite"`
}

type seedTopic struct {
	Slug        string `yaml:"slug"`
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	Places      []struct {
		Place       string `yaml:"place"`
		Role        string `yaml:"role"`
		Description string `yaml:"description"`
		Cite        []cite `yaml:"cite"`
	} `yaml:"places"`
	Cite []cite `yaml:"cite"`
}

type seedOrganization struct {
	Slug         string `yaml:"slug"`
	Acronym      string `yaml:"acronym"`
	Name         string `yaml:"name"`
	Kind         string `yaml:"kind"`
	Parent       string `yaml:"parent"`
	FoundedYear  int    `yaml:"foundedYear"`
	Headquarters string `yaml:"headquarters"`
	Description  string `yaml:"description"`
	Cite         []cite `yaml:"cite"`
}

type seedPerson struct {
	Slug        string `yaml:"slug"`
	Name        string `yaml:"name"`
	Honorific   string `yaml:"honorific"`
	GivenName   string `yaml:"givenName"`
	FamilyName  string `yaml:"familyName"`
	Description string `yaml:"description"`
	Positions   []struct {
		Organization string `yaml:"organization"`
		Title        string `yaml:"title"`
		IsHead       bool   `yaml:"isHead"`
		AsOf         string `yaml:"asOf"`
		Cite         []cite `yaml:"cite"`
	} `yaml:"positions"`
	Cite []cite `yaml:"cite"`
}

type seedInitiative struct {
	Slug         string `yaml:"slug"`
	Title        string `yaml:"title"`
	ShortTitle   string `yaml:"shortTitle"`
	Kind         string `yaml:"kind"`
	Status       string `yaml:"status"`
	Description  string `yaml:"description"`
	Objective    string `yaml:"objective"`
	PlannedStart string `yaml:"plannedStart"`
	ActualStart  string `yaml:"actualStart"`
	PlannedEnd   string `yaml:"plannedEnd"`
	ActualEnd    string `yaml:"actualEnd"`
	Partners     []struct {
		Organization string `yaml:"organization"`
		Role         string `yaml:"role"`
		Status       string `yaml:"status"`
		Description  string `yaml:"description"`
		Cite         []cite `yaml:"cite"`
	} `yaml:"partners"`
	Related []struct {
		Initiative  string `yaml:"initiative"`
		Type        string `yaml:"type"`
		Description string `yaml:"description"`
		Cite        []cite `yaml:"cite"`
	} `yaml:"related"`
	Topics []string `yaml:"topics"`
	Places []string `yaml:"places"`
	Cite   []cite   `yaml:"cite"`
}

type seedMeeting struct {
	Slug                string   `yaml:"slug"`
	Title               string   `yaml:"title"`
	Kind                string   `yaml:"kind"`
	Status              string   `yaml:"status"`
	Date                string   `yaml:"date"`
	Place               string   `yaml:"place"`
	Organizer           string   `yaml:"organizer"`
	AttendeeCount       *int     `yaml:"attendeeCount"`
	AttendeeDescription string   `yaml:"attendeeDescription"`
	Theme               string   `yaml:"theme"`
	Summary             string   `yaml:"summary"`
	Initiatives         []string `yaml:"initiatives"`
	Topics              []string `yaml:"topics"`
	Participants        []struct {
		Person       string `yaml:"person"`
		Organization string `yaml:"organization"`
		Role         string `yaml:"role"`
		Description  string `yaml:"description"`
		Cite         []cite `yaml:"cite"`
	} `yaml:"participants"`
	Outcomes []struct {
		Kind        string `yaml:"kind"`
		Status      string `yaml:"status"`
		Title       string `yaml:"title"`
		Description string `yaml:"description"`
		Initiative  string `yaml:"initiative"`
		Cite        []cite `yaml:"cite"`
	} `yaml:"outcomes"`
	Statements []struct {
		Speaker string `yaml:"speaker"`
		Kind    string `yaml:"kind"`
		Text    string `yaml:"text"`
		Cite    []cite `yaml:"cite"`
	} `yaml:"statements"`
	Cite []cite `yaml:"cite"`
}

type seedActionItem struct {
	Slug         string   `yaml:"slug"`
	Title        string   `yaml:"title"`
	Description  string   `yaml:"description"`
	Status       string   `yaml:"status"`
	Initiative   string   `yaml:"initiative"`
	Owner        string   `yaml:"owner"`
	Meeting      string   `yaml:"meeting"`
	Due          string   `yaml:"due"`
	Contributors []string `yaml:"contributors"`
	Cite         []cite   `yaml:"cite"`
}

type seedMetric struct {
	Key         string `yaml:"key"`
	Name        string `yaml:"name"`
	Unit        string `yaml:"unit"`
	Description string `yaml:"description"`
}

type seedStatistic struct {
	Metric            string  `yaml:"metric"`
	Value             float64 `yaml:"value"`
	AsOf              string  `yaml:"asOf"`
	Scope             string  `yaml:"scope"`
	ScopeOrganization string  `yaml:"scopeOrganization"`
	ScopePlace        string  `yaml:"scopePlace"`
	Source            string  `yaml:"source"`
	Note              string  `yaml:"note"`
	Cite              []cite  `yaml:"cite"`
}

// statRef names a statistic by its metric and date.
type statRef struct {
	Metric string `yaml:"metric"`
	AsOf   string `yaml:"asOf"`
}

type seedResult struct {
	Slug         string `yaml:"slug"`
	Type         string `yaml:"type"`
	Title        string `yaml:"title"`
	Description  string `yaml:"description"`
	Initiative   string `yaml:"initiative"`
	Organization string `yaml:"organization"`
	Indicators   []struct {
		Title       string   `yaml:"title"`
		Description string   `yaml:"description"`
		Metric      string   `yaml:"metric"`
		Measure     string   `yaml:"measure"`
		Ascending   bool     `yaml:"ascending"`
		Baseline    *statRef `yaml:"baseline"`
		Target      *statRef `yaml:"target"`
		Actual      *statRef `yaml:"actual"`
		Cite        []cite   `yaml:"cite"`
	} `yaml:"indicators"`
	Cite []cite `yaml:"cite"`
}

// LoadSeed reads the data set embedded in the binary.
func LoadSeed() (*SeedData, error) {
	raw, err := seedFiles.ReadFile("seed/article.yaml")
	if err != nil {
		return nil, fmt.Errorf("read seed: %w", err)
	}
	var d SeedData
	if err := yaml.UnmarshalWithOptions(raw, &d, yaml.DisallowUnknownField()); err != nil {
		return nil, fmt.Errorf("parse seed: %w", err)
	}
	for i := range d.Sources {
		src := &d.Sources[i]
		if src.BodyFile != "" {
			body, err := seedFiles.ReadFile("seed/" + src.BodyFile)
			if err != nil {
				return nil, fmt.Errorf("seed source %s: %w", src.Slug, err)
			}
			src.Body = string(body)
		}
	}
	return &d, nil
}

// Seed loads d into the database in one transaction. It looks every row up by
// its natural key (slug, acronym, the pair it links) before creating it, so
// running it again changes nothing, and a data set that grew adds only what
// is new. Every excerpt must appear verbatim in its source.
func (s *Store) Seed(ctx context.Context, d *SeedData) error {
	if len(d.Sources) == 0 {
		return fmt.Errorf("seed: the data set has no source")
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		sd := &seeder{ctx: ctx, tx: tx, d: d, ids: map[string]uint{}, bodies: map[string]string{}}
		return sd.run()
	})
}

// seeder loads one data set; ids maps "kind:natural key" to row IDs.
type seeder struct {
	ctx    context.Context
	tx     *gorm.DB
	d      *SeedData
	ids    map[string]uint
	bodies map[string]string // source slug → normalized body
}

func (sd *seeder) run() error {
	steps := []func() error{sd.sources, sd.places, sd.topics, sd.organizations, sd.people, sd.initiatives,
		sd.meetings, sd.actionItems, sd.metrics, sd.statistics, sd.results}
	for _, step := range steps {
		if err := step(); err != nil {
			return fmt.Errorf("seed: %w", err)
		}
	}
	return nil
}

// ensure finds the row of T matching where, or creates row. Either way row
// ends up holding the stored row.
func ensure[T any](sd *seeder, row *T, where string, args ...any) error {
	var found []T
	if err := sd.tx.Where(where, args...).Limit(1).Find(&found).Error; err != nil {
		return err
	}
	if len(found) > 0 {
		*row = found[0]
		return nil
	}
	if v := reflect.ValueOf(row).Elem().FieldByName("Version"); v.IsValid() && v.Int() == 0 {
		v.SetInt(1)
	}
	return sd.tx.Create(row).Error
}

// link inserts a row into a join table unless it is there.
func (sd *seeder) link(table, a, b string, x, y uint) error {
	return sd.tx.Exec("INSERT INTO "+table+" ("+a+", "+b+") VALUES (?, ?) ON CONFLICT DO NOTHING", x, y).Error
}

// ref returns the ID of the row of kind with natural key k.
func (sd *seeder) ref(kind, k string) (uint, error) {
	id, ok := sd.ids[kind+":"+k]
	if !ok {
		return 0, fmt.Errorf("unknown %s %q", kind, k)
	}
	return id, nil
}

// optRef is ref for optional references: empty k gives nil.
func (sd *seeder) optRef(kind, k string) (*uint, error) {
	if k == "" {
		return nil, nil
	}
	id, err := sd.ref(kind, k)
	return &id, err
}

// cite records the citations of the typ object id.
func (sd *seeder) cite(typ string, id uint, cites []cite) error {
	if len(cites) == 0 {
		return fmt.Errorf("%s %d has no citation: every seeded fact needs one", typ, id)
	}
	for _, c := range cites {
		src := cmpOr(c.Source, sd.d.Sources[0].Slug)
		srcID, err := sd.ref("source", src)
		if err != nil {
			return err
		}
		if !strings.Contains(sd.bodies[src], normalizeSpace(c.Excerpt)) {
			return fmt.Errorf("%s %d: excerpt not found verbatim in source %s: %q", typ, id, src, c.Excerpt)
		}
		var field *string
		if c.Field != "" {
			field = &c.Field
		}
		row := Citation{SourceID: srcID, SubjectType: typ, SubjectID: id, Field: field, Excerpt: c.Excerpt}
		where, args := "source_id = ? AND subject_type = ? AND subject_id = ? AND excerpt = ? AND field IS NULL", []any{srcID, typ, id, c.Excerpt}
		if field != nil {
			where, args = "source_id = ? AND subject_type = ? AND subject_id = ? AND excerpt = ? AND field = ?", append(args, *field)
		}
		if err := ensure(sd, &row, where, args...); err != nil {
			return fmt.Errorf("cite %s %d: %w", typ, id, err)
		}
	}
	return nil
}

// normalizeSpace collapses runs of white space, so that excerpts match the
// source text across line breaks.
func normalizeSpace(s string) string { return strings.Join(strings.Fields(s), " ") }

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func optInt(n int) *int {
	if n == 0 {
		return nil
	}
	return &n
}

// parsePartialDate reads "2009", "2009-03" or "2009-03-23"; empty is nil.
func parsePartialDate(s string) (*Date, *DatePrecision, error) {
	if s == "" {
		return nil, nil, nil
	}
	for _, f := range []struct {
		layout string
		p      DatePrecision
	}{{"2006-01-02", DatePrecisionDay}, {"2006-01", DatePrecisionMonth}, {"2006", DatePrecisionYear}} {
		if t, err := time.Parse(f.layout, s); err == nil {
			d, p := NewDate(t.Date()), f.p
			return &d, &p, nil
		}
	}
	return nil, nil, fmt.Errorf("invalid date %q: want YYYY, YYYY-MM or YYYY-MM-DD", s)
}

// enum checks that v is a value of the generated enum type E.
func enum[E interface {
	~string
	IsValid() bool
}](v string) (E, error) {
	e := E(v)
	if !e.IsValid() {
		return e, fmt.Errorf("invalid %T %q", e, v)
	}
	return e, nil
}

func (sd *seeder) sources() error {
	for i := range sd.d.Sources {
		src := &sd.d.Sources[i]
		kind, err := enum[SourceKind](src.Kind)
		if err != nil {
			return err
		}
		row := Source{Slug: src.Slug, Kind: kind, Title: src.Title, Publication: src.Publication, Publisher: src.Publisher,
			Author: src.Author, Dateline: src.Dateline, URL: src.URL, Identifier: src.Identifier,
			Language: cmpOr(src.Language, "en"), Body: src.Body}
		if src.PublishedAt != "" {
			t, err := time.Parse(time.RFC3339, src.PublishedAt)
			if err != nil {
				return fmt.Errorf("source %s: %w", src.Slug, err)
			}
			t = t.UTC()
			row.PublishedAt = &t
		}
		if row.ParentSourceID, err = sd.optRef("source", src.Parent); err != nil {
			return err
		}
		if err := ensure(sd, &row, "slug = ?", src.Slug); err != nil {
			return fmt.Errorf("source %s: %w", src.Slug, err)
		}
		sd.ids["source:"+src.Slug] = row.ID
		sd.bodies[src.Slug] = normalizeSpace(row.Body)
	}
	// Facts about sources are cited once all sources exist: a photo's credit
	// is cited from the article it illustrates.
	for _, src := range sd.d.Sources {
		if err := sd.cite("Source", sd.ids["source:"+src.Slug], src.Cite); err != nil {
			return err
		}
	}
	return nil
}

func (sd *seeder) places() error {
	for _, p := range sd.d.Places {
		kind, err := enum[PlaceKind](p.Kind)
		if err != nil {
			return err
		}
		row := Place{Slug: p.Slug, Name: p.Name, Kind: kind, CountryCode: optString(p.CountryCode), Description: p.Description}
		if row.ParentID, err = sd.optRef("place", p.Parent); err != nil {
			return err
		}
		if err := ensure(sd, &row, "slug = ?", p.Slug); err != nil {
			return fmt.Errorf("place %s: %w", p.Slug, err)
		}
		sd.ids["place:"+p.Slug] = row.ID
		if err := sd.cite("Place", row.ID, p.Cite); err != nil {
			return err
		}
	}
	return nil
}

func (sd *seeder) topics() error {
	for _, t := range sd.d.Topics {
		row := Topic{Slug: t.Slug, Name: t.Name, Description: t.Description}
		if err := ensure(sd, &row, "slug = ?", t.Slug); err != nil {
			return fmt.Errorf("topic %s: %w", t.Slug, err)
		}
		sd.ids["topic:"+t.Slug] = row.ID
		if err := sd.cite("Topic", row.ID, t.Cite); err != nil {
			return err
		}
		for _, tp := range t.Places {
			placeID, err := sd.ref("place", tp.Place)
			if err != nil {
				return err
			}
			role, err := enum[PlaceRole](tp.Role)
			if err != nil {
				return err
			}
			link := TopicPlace{TopicID: row.ID, PlaceID: placeID, Role: role, Description: tp.Description}
			if err := ensure(sd, &link, "topic_id = ? AND place_id = ? AND role = ?", row.ID, placeID, role); err != nil {
				return err
			}
			if err := sd.cite("TopicPlace", link.ID, tp.Cite); err != nil {
				return err
			}
		}
	}
	return nil
}

func (sd *seeder) organizations() error {
	for _, o := range sd.d.Organizations {
		kind, err := enum[OrganizationKind](o.Kind)
		if err != nil {
			return err
		}
		row := Organization{Slug: o.Slug, Acronym: optString(o.Acronym), Name: o.Name, Kind: kind,
			FoundedYear: optInt(o.FoundedYear), Description: o.Description}
		if row.ParentID, err = sd.optRef("organization", o.Parent); err != nil {
			return err
		}
		if row.HeadquartersPlaceID, err = sd.optRef("place", o.Headquarters); err != nil {
			return err
		}
		if err := ensure(sd, &row, "slug = ?", o.Slug); err != nil {
			return fmt.Errorf("organization %s: %w", o.Slug, err)
		}
		sd.ids["organization:"+o.Slug] = row.ID
		if err := sd.cite("Organization", row.ID, o.Cite); err != nil {
			return err
		}
	}
	return nil
}

func (sd *seeder) people() error {
	for _, p := range sd.d.People {
		row := Person{Slug: p.Slug, Name: p.Name, Honorific: p.Honorific, GivenName: p.GivenName, FamilyName: p.FamilyName, Description: p.Description}
		if err := ensure(sd, &row, "slug = ?", p.Slug); err != nil {
			return fmt.Errorf("person %s: %w", p.Slug, err)
		}
		sd.ids["person:"+p.Slug] = row.ID
		if err := sd.cite("Person", row.ID, p.Cite); err != nil {
			return err
		}
		for _, pos := range p.Positions {
			orgID, err := sd.ref("organization", pos.Organization)
			if err != nil {
				return err
			}
			asOf, _, err := parsePartialDate(pos.AsOf)
			if err != nil {
				return err
			}
			prow := Position{PersonID: row.ID, OrganizationID: orgID, Title: pos.Title, IsHead: pos.IsHead, AsOf: asOf}
			if err := ensure(sd, &prow, "person_id = ? AND organization_id = ? AND title = ?", row.ID, orgID, pos.Title); err != nil {
				return err
			}
			if err := sd.cite("Position", prow.ID, pos.Cite); err != nil {
				return err
			}
		}
	}
	return nil
}

func (sd *seeder) initiatives() error {
	for _, in := range sd.d.Initiatives {
		kind, err := enum[InitiativeKind](in.Kind)
		if err != nil {
			return err
		}
		status, err := enum[ActivityStatus](in.Status)
		if err != nil {
			return err
		}
		row := Initiative{Slug: in.Slug, Title: in.Title, ShortTitle: in.ShortTitle, Kind: kind, Status: status,
			Description: in.Description, Objective: in.Objective}
		for _, d := range []struct {
			s    string
			date **Date
			prec **DatePrecision
		}{
			{in.PlannedStart, &row.PlannedStartOn, &row.PlannedStartPrecision},
			{in.ActualStart, &row.ActualStartOn, &row.ActualStartPrecision},
			{in.PlannedEnd, &row.PlannedEndOn, &row.PlannedEndPrecision},
			{in.ActualEnd, &row.ActualEndOn, &row.ActualEndPrecision},
		} {
			if *d.date, *d.prec, err = parsePartialDate(d.s); err != nil {
				return fmt.Errorf("initiative %s: %w", in.Slug, err)
			}
		}
		if err := ensure(sd, &row, "slug = ?", in.Slug); err != nil {
			return fmt.Errorf("initiative %s: %w", in.Slug, err)
		}
		sd.ids["initiative:"+in.Slug] = row.ID
		if err := sd.cite("Initiative", row.ID, in.Cite); err != nil {
			return err
		}
		for _, p := range in.Partners {
			orgID, err := sd.ref("organization", p.Organization)
			if err != nil {
				return err
			}
			role, err := enum[PartnershipRole](p.Role)
			if err != nil {
				return err
			}
			pstatus, err := enum[PartnershipStatus](p.Status)
			if err != nil {
				return err
			}
			prow := Partnership{InitiativeID: row.ID, OrganizationID: orgID, Role: role, Status: pstatus, Description: p.Description}
			if err := ensure(sd, &prow, "initiative_id = ? AND organization_id = ? AND role = ?", row.ID, orgID, role); err != nil {
				return err
			}
			if err := sd.cite("Partnership", prow.ID, p.Cite); err != nil {
				return err
			}
		}
		for _, t := range in.Topics {
			topicID, err := sd.ref("topic", t)
			if err != nil {
				return err
			}
			if err := sd.link("initiative_topics", "initiative_id", "topic_id", row.ID, topicID); err != nil {
				return err
			}
		}
		for _, p := range in.Places {
			placeID, err := sd.ref("place", p)
			if err != nil {
				return err
			}
			if err := sd.link("initiative_places", "initiative_id", "place_id", row.ID, placeID); err != nil {
				return err
			}
		}
	}
	// Links between initiatives, once all of them exist.
	for _, in := range sd.d.Initiatives {
		for _, r := range in.Related {
			otherID, err := sd.ref("initiative", r.Initiative)
			if err != nil {
				return err
			}
			typ, err := enum[RelatedActivityType](r.Type)
			if err != nil {
				return err
			}
			id := sd.ids["initiative:"+in.Slug]
			rel := InitiativeRelation{InitiativeID: id, RelatedInitiativeID: otherID, Type: typ, Description: r.Description}
			if err := ensure(sd, &rel, "initiative_id = ? AND related_initiative_id = ? AND type = ?", id, otherID, typ); err != nil {
				return err
			}
			if err := sd.cite("InitiativeRelation", rel.ID, r.Cite); err != nil {
				return err
			}
		}
	}
	return nil
}

func (sd *seeder) meetings() error {
	for _, m := range sd.d.Meetings {
		kind, err := enum[MeetingKind](m.Kind)
		if err != nil {
			return err
		}
		status, err := enum[MeetingStatus](m.Status)
		if err != nil {
			return err
		}
		row := Meeting{Slug: m.Slug, Title: m.Title, Kind: kind, Status: status, AttendeeCount: m.AttendeeCount,
			AttendeeDescription: m.AttendeeDescription, Theme: m.Theme, Summary: m.Summary}
		if row.StartsOn, row.DatePrecision, err = parsePartialDate(m.Date); err != nil {
			return fmt.Errorf("meeting %s: %w", m.Slug, err)
		}
		if row.PlaceID, err = sd.optRef("place", m.Place); err != nil {
			return err
		}
		if row.OrganizerOrganizationID, err = sd.optRef("organization", m.Organizer); err != nil {
			return err
		}
		if err := ensure(sd, &row, "slug = ?", m.Slug); err != nil {
			return fmt.Errorf("meeting %s: %w", m.Slug, err)
		}
		sd.ids["meeting:"+m.Slug] = row.ID
		if err := sd.cite("Meeting", row.ID, m.Cite); err != nil {
			return err
		}
		for _, in := range m.Initiatives {
			id, err := sd.ref("initiative", in)
			if err != nil {
				return err
			}
			if err := sd.link("meeting_initiatives", "meeting_id", "initiative_id", row.ID, id); err != nil {
				return err
			}
		}
		for _, t := range m.Topics {
			id, err := sd.ref("topic", t)
			if err != nil {
				return err
			}
			if err := sd.link("meeting_topics", "meeting_id", "topic_id", row.ID, id); err != nil {
				return err
			}
		}
		for _, p := range m.Participants {
			role, err := enum[ParticipantRole](p.Role)
			if err != nil {
				return err
			}
			prow := Participant{MeetingID: row.ID, Role: role, Description: p.Description}
			if prow.PersonID, err = sd.optRef("person", p.Person); err != nil {
				return err
			}
			if prow.OrganizationID, err = sd.optRef("organization", p.Organization); err != nil {
				return err
			}
			where, args := "meeting_id = ? AND role = ?", []any{row.ID, role}
			for _, c := range []struct {
				col string
				id  *uint
			}{{"person_id", prow.PersonID}, {"organization_id", prow.OrganizationID}} {
				if c.id == nil {
					where += " AND " + c.col + " IS NULL"
				} else {
					where += " AND " + c.col + " = ?"
					args = append(args, *c.id)
				}
			}
			if err := ensure(sd, &prow, where, args...); err != nil {
				return err
			}
			if err := sd.cite("Participant", prow.ID, p.Cite); err != nil {
				return err
			}
		}
		for _, o := range m.Outcomes {
			kind, err := enum[OutcomeKind](o.Kind)
			if err != nil {
				return err
			}
			ostatus, err := enum[OutcomeStatus](o.Status)
			if err != nil {
				return err
			}
			orow := Outcome{MeetingID: row.ID, Kind: kind, Status: ostatus, Title: o.Title, Description: o.Description}
			if orow.InitiativeID, err = sd.optRef("initiative", o.Initiative); err != nil {
				return err
			}
			if err := ensure(sd, &orow, "meeting_id = ? AND title = ?", row.ID, o.Title); err != nil {
				return err
			}
			if err := sd.cite("Outcome", orow.ID, o.Cite); err != nil {
				return err
			}
		}
		for _, st := range m.Statements {
			personID, err := sd.ref("person", st.Speaker)
			if err != nil {
				return err
			}
			kind, err := enum[StatementKind](st.Kind)
			if err != nil {
				return err
			}
			srow := Statement{PersonID: personID, MeetingID: &row.ID, Kind: kind, Text: st.Text}
			if err := ensure(sd, &srow, "person_id = ? AND text = ?", personID, st.Text); err != nil {
				return err
			}
			if err := sd.cite("Statement", srow.ID, st.Cite); err != nil {
				return err
			}
		}
	}
	return nil
}

func (sd *seeder) actionItems() error {
	for _, a := range sd.d.ActionItems {
		status, err := enum[ActionItemStatus](a.Status)
		if err != nil {
			return err
		}
		row := ActionItem{Slug: a.Slug, Title: a.Title, Description: a.Description, Status: status}
		if row.OwnerOrganizationID, err = sd.ref("organization", a.Owner); err != nil {
			return err
		}
		if row.InitiativeID, err = sd.optRef("initiative", a.Initiative); err != nil {
			return err
		}
		if row.MeetingID, err = sd.optRef("meeting", a.Meeting); err != nil {
			return err
		}
		if row.DueOn, row.DuePrecision, err = parsePartialDate(a.Due); err != nil {
			return fmt.Errorf("action item %s: %w", a.Slug, err)
		}
		if err := ensure(sd, &row, "slug = ?", a.Slug); err != nil {
			return fmt.Errorf("action item %s: %w", a.Slug, err)
		}
		sd.ids["actionItem:"+a.Slug] = row.ID
		if err := sd.cite("ActionItem", row.ID, a.Cite); err != nil {
			return err
		}
		for _, c := range a.Contributors {
			orgID, err := sd.ref("organization", c)
			if err != nil {
				return err
			}
			if err := sd.link("action_item_contributors", "action_item_id", "organization_id", row.ID, orgID); err != nil {
				return err
			}
		}
	}
	return nil
}

func (sd *seeder) metrics() error {
	for _, m := range sd.d.Metrics {
		row := Metric{Key: m.Key, Name: m.Name, Unit: m.Unit, Description: m.Description}
		if err := ensure(sd, &row, "key = ?", m.Key); err != nil {
			return fmt.Errorf("metric %s: %w", m.Key, err)
		}
		sd.ids["metric:"+m.Key] = row.ID
	}
	return nil
}

func (sd *seeder) statistics() error {
	for _, st := range sd.d.Statistics {
		metricID, err := sd.ref("metric", st.Metric)
		if err != nil {
			return err
		}
		date, prec, err := parsePartialDate(st.AsOf)
		if err != nil || date == nil {
			return fmt.Errorf("statistic %s %q: an asOf date is required", st.Metric, st.AsOf)
		}
		row := Statistic{MetricID: metricID, Value: st.Value, AsOfDate: *date, AsOfPrecision: *prec, Scope: st.Scope, Note: st.Note}
		if row.ScopeOrganizationID, err = sd.optRef("organization", st.ScopeOrganization); err != nil {
			return err
		}
		if row.ScopePlaceID, err = sd.optRef("place", st.ScopePlace); err != nil {
			return err
		}
		if row.SourceID, err = sd.optRef("source", cmpOr(st.Source, sd.d.Sources[0].Slug)); err != nil {
			return err
		}
		if err := ensure(sd, &row, "metric_id = ? AND as_of = ?", metricID, *date); err != nil {
			return fmt.Errorf("statistic %s %s: %w", st.Metric, st.AsOf, err)
		}
		sd.ids["statistic:"+st.Metric+"@"+st.AsOf] = row.ID
		if err := sd.cite("Statistic", row.ID, st.Cite); err != nil {
			return err
		}
	}
	return nil
}

func (sd *seeder) results() error {
	for _, r := range sd.d.Results {
		typ, err := enum[ResultType](r.Type)
		if err != nil {
			return err
		}
		row := Result{Slug: r.Slug, Type: typ, Title: r.Title, Description: r.Description}
		if row.InitiativeID, err = sd.optRef("initiative", r.Initiative); err != nil {
			return err
		}
		if row.OrganizationID, err = sd.optRef("organization", r.Organization); err != nil {
			return err
		}
		if err := ensure(sd, &row, "slug = ?", r.Slug); err != nil {
			return fmt.Errorf("result %s: %w", r.Slug, err)
		}
		if err := sd.cite("Result", row.ID, r.Cite); err != nil {
			return err
		}
		for _, in := range r.Indicators {
			metricID, err := sd.ref("metric", in.Metric)
			if err != nil {
				return err
			}
			measure, err := enum[IndicatorMeasure](in.Measure)
			if err != nil {
				return err
			}
			irow := Indicator{ResultID: row.ID, MetricID: metricID, Title: in.Title, Description: in.Description, Measure: measure, Ascending: in.Ascending}
			for _, ref := range []struct {
				r  *statRef
				id **uint
			}{{in.Baseline, &irow.BaselineStatisticID}, {in.Target, &irow.TargetStatisticID}, {in.Actual, &irow.ActualStatisticID}} {
				if ref.r == nil {
					continue
				}
				id, err := sd.ref("statistic", cmpOr(ref.r.Metric, in.Metric)+"@"+ref.r.AsOf)
				if err != nil {
					return err
				}
				*ref.id = &id
			}
			if err := ensure(sd, &irow, "result_id = ? AND title = ?", row.ID, in.Title); err != nil {
				return err
			}
			if err := sd.cite("Indicator", irow.ID, in.Cite); err != nil {
				return err
			}
		}
	}
	return nil
}

// IsEmpty reports whether the database holds no data yet, which is when the
// server seeds it at start.
func (s *Store) IsEmpty(ctx context.Context) (bool, error) {
	var n int64
	if err := s.db.WithContext(ctx).Model(&Source{}).Limit(1).Count(&n).Error; err != nil {
		return false, dbError(err, "sources")
	}
	return n == 0, nil
}
