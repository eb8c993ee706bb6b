package models

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"gorm.io/gorm"
)

// The synthetic data set grows the real seed to dashboard scale: n
// initiatives, each with about 5 partners, 20 meetings of about 4
// participants, and 10 action items, over fixed pools of organizations,
// people and places, plus a monthly deployment series per organization.
// Every object derives from its index through its own random stream, so the
// data is the same on every machine, and growing from 1,000 to 10,000
// initiatives adds the 9,000 missing ones unchanged.

// The fixed pools the synthetic initiatives draw from.
const (
	synOrganizations = 1000
	synPeople        = 5000
	synPlaces        = 300
	synSeriesMonths  = 24
	synMaxN          = 1_000_000
)

// synSeed makes the synthetic data set's random streams.
const synSeed = 20090324

// SyntheticProgress reports how far SeedSynthetic has got.
type SyntheticProgress func(done, total int)

// SeedSynthetic grows the synthetic data set to n initiatives. It adds only
// what is missing, in chunks of one transaction each.
func (s *Store) SeedSynthetic(ctx context.Context, n int, progress SyntheticProgress) error {
	if n < 0 || n > synMaxN {
		return Errorf(CodeInvalid, "synthetic size %d out of range 0..%d", n, synMaxN)
	}
	g := &synth{s: s, now: time.Now().UTC()}
	if err := s.db.WithContext(ctx).Transaction(g.pools); err != nil {
		return fmt.Errorf("synthetic pools: %w", err)
	}
	var have int64
	if err := s.db.WithContext(ctx).Model(&Initiative{}).Where("slug LIKE 'syn-init-%'").Count(&have).Error; err != nil {
		return dbError(err, "initiatives")
	}
	const chunk = 250
	for from := int(have); from < n; from += chunk {
		to := min(from+chunk, n)
		if err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error { return g.initiatives(tx, from, to) }); err != nil {
			return fmt.Errorf("synthetic initiatives %d-%d: %w", from, to, err)
		}
		if progress != nil {
			progress(to, n)
		}
	}
	if err := s.fixSequences(ctx); err != nil {
		return err
	}
	// Fresh planner statistics, and on Postgres a vacuum that marks the new
	// pages all-visible, so that queries on the grown tables use their
	// indexes (index-only scans included) at once rather than after
	// autovacuum.
	stmt := "ANALYZE"
	if s.dialect == Postgres {
		stmt = "VACUUM (ANALYZE)"
	}
	return dbError(s.db.WithContext(ctx).Exec(stmt).Error, "analyze")
}

// synth generates the synthetic data set.
type synth struct {
	s   *Store
	now time.Time
	// ids of the pools, by index
	orgs, people, places []uint
	metric               uint
	source               uint
}

// rng returns the random stream of one object.
func rng(kind string, i int) *rand.Rand {
	var h uint64
	for _, c := range kind {
		h = h*31 + uint64(c)
	}
	return rand.New(rand.NewPCG(synSeed^h, uint64(i)))
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

var (
	synVerbs    = []string{"Strengthening", "Building", "Supporting", "Coordinating", "Reforming", "Monitoring", "Training", "Countering"}
	synSubjects = []string{"Border Security", "Police Capacity", "Maritime Law Enforcement", "Drug Interdiction", "Criminal Justice",
		"Arms Control", "Community Policing", "Forensic Services", "Anti-Corruption", "Regional Cooperation"}
	synRegions = []string{"West Africa", "the Sahel", "the Gulf of Guinea", "East Africa", "Central America", "the Balkans",
		"Southeast Asia", "the Andean Region", "the Caribbean", "Central Asia"}
	synOrgWords = []string{"Agency", "Office", "Commission", "Directorate", "Institute", "Bureau", "Council", "Service"}
	synTopics   = []string{"policing", "trafficking", "justice", "security", "training", "borders", "prisons", "forensics"}
	synNames    = []string{"Amina", "Kofi", "Maria", "Jean", "Fatou", "Carlos", "Ingrid", "Ahmed", "Mei", "Olga", "Samuel", "Nadia"}
	synSurnames = []string{"Diallo", "Mensah", "Silva", "Dubois", "Ndiaye", "Garcia", "Larsen", "Hassan", "Chen", "Petrova", "Okafor", "Rahman"}
)

// pools creates the organizations, people, places and the series metric
// that synthetic initiatives draw from, unless they exist.
func (g *synth) pools(tx *gorm.DB) error {
	src := Source{Slug: "synthetic-data-set", Kind: SourceKindOther, Title: "Synthetic data set",
		Publisher: "Partnership Tracker", Language: "en", Version: 1,
		Body: "Generated data for load and scale tests; it describes no real organization, person or event."}
	if err := tx.Where("slug = ?", src.Slug).FirstOrCreate(&src).Error; err != nil {
		return err
	}
	g.source = src.ID
	metric := Metric{Key: "synthetic-police-deployed", Name: "Police deployed (synthetic)", Unit: "police officers", Version: 1}
	if err := tx.Where("key = ?", metric.Key).FirstOrCreate(&metric).Error; err != nil {
		return err
	}
	g.metric = metric.ID

	var err error
	if g.places, err = ensurePool(tx, "places", "syn-place-", synPlaces, []string{"slug", "name", "kind", "description"},
		func(i int) []any {
			r := rng("place", i)
			return []any{fmt.Sprintf("syn-place-%03d", i), fmt.Sprintf("%s City %d", pick(r, synRegions), i), "CITY", "Synthetic place"}
		}); err != nil {
		return err
	}
	if g.orgs, err = ensurePool(tx, "organizations", "syn-org-", synOrganizations,
		[]string{"slug", "acronym", "name", "kind", "founded_year", "headquarters_place_id", "description"},
		func(i int) []any {
			r := rng("org", i)
			name := fmt.Sprintf("%s %s for %s", pick(r, synRegions), pick(r, synOrgWords), pick(r, synSubjects))
			kind := pick(r, []OrganizationKind{OrganizationKindOffice, OrganizationKindGovernment,
				OrganizationKindRegionalOrganization, OrganizationKindNonGovernmentalOrganization, OrganizationKindDepartment})
			return []any{fmt.Sprintf("syn-org-%04d", i), fmt.Sprintf("SYN%04d", i), name, string(kind),
				1945 + r.IntN(75), g.places[r.IntN(len(g.places))], "Synthetic organization"}
		}); err != nil {
		return err
	}
	if g.people, err = ensurePool(tx, "people", "syn-person-", synPeople,
		[]string{"slug", "name", "given_name", "family_name", "description"},
		func(i int) []any {
			r := rng("person", i)
			given, family := pick(r, synNames), pick(r, synSurnames)
			return []any{fmt.Sprintf("syn-person-%05d", i), given + " " + family, given, family, "Synthetic person"}
		}); err != nil {
		return err
	}
	var series int64
	if err := tx.Model(&Statistic{}).Where("metric_id = ?", g.metric).Count(&series).Error; err != nil {
		return err
	}
	if series == 0 {
		b := g.s.bulk(tx, "statistics", "metric_id", "value", "as_of", "as_of_precision", "scope", "scope_organization_id", "source_id")
		for i, org := range g.orgs {
			r := rng("series", i)
			value := float64(50 + r.IntN(500))
			for m := range synSeriesMonths {
				value = float64(int(value * (0.95 + r.Float64()*0.15)))
				b.add(g.metric, value, NewDate(2024, time.Month(1+m), 1), "MONTH", "Synthetic deployment", org, g.source)
			}
		}
		return b.flush()
	}
	return nil
}

// ensurePool creates the missing members of a pool of n rows whose slugs
// start with prefix, from row(i), and returns the IDs by index.
func ensurePool(tx *gorm.DB, table, prefix string, n int, cols []string, row func(i int) []any) ([]uint, error) {
	var rows []struct {
		ID   uint
		Slug string
	}
	if err := tx.Raw("SELECT id, slug FROM "+table+" WHERE slug LIKE ? ORDER BY slug", prefix+"%").Scan(&rows).Error; err != nil {
		return nil, err
	}
	if len(rows) < n {
		have := map[string]bool{}
		for _, r := range rows {
			have[r.Slug] = true
		}
		b := (&Store{db: tx, dialect: Dialect(tx.Name())}).bulk(tx, table, cols...)
		for i := range n {
			vals := row(i)
			if !have[vals[0].(string)] {
				b.add(vals...)
			}
		}
		if err := b.flush(); err != nil {
			return nil, err
		}
		rows = rows[:0]
		if err := tx.Raw("SELECT id, slug FROM "+table+" WHERE slug LIKE ? ORDER BY slug", prefix+"%").Scan(&rows).Error; err != nil {
			return nil, err
		}
	}
	ids := make([]uint, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	return ids[:n], nil
}

// nextID returns the next free ID of a table, so that a chunk can refer
// to the rows it is about to insert.
func nextID(tx *gorm.DB, table string) (uint, error) {
	var max *uint
	if err := tx.Raw("SELECT MAX(id) FROM " + table).Scan(&max).Error; err != nil {
		return 0, err
	}
	if max == nil {
		return 1, nil
	}
	return *max + 1, nil
}

// initiatives creates synthetic initiatives from index from up to to.
func (g *synth) initiatives(tx *gorm.DB, from, to int) error {
	ids := map[string]uint{}
	for _, t := range []string{"initiatives", "meetings", "action_items"} {
		id, err := nextID(tx, t)
		if err != nil {
			return err
		}
		ids[t] = id
	}
	ins := g.s.bulk(tx, "initiatives", "id", "slug", "title", "short_title", "kind", "status", "description", "objective",
		"actual_start_on", "actual_start_precision", "planned_end_on", "planned_end_precision")
	parts := g.s.bulk(tx, "partnerships", "initiative_id", "organization_id", "role", "status", "description")
	meets := g.s.bulk(tx, "meetings", "id", "slug", "title", "kind", "status", "starts_on", "date_precision", "place_id",
		"organizer_organization_id", "attendee_count", "attendee_description", "theme", "summary")
	links := g.s.bulk(tx, "meeting_initiatives", "meeting_id", "initiative_id")
	people := g.s.bulk(tx, "participants", "meeting_id", "person_id", "organization_id", "role", "description")
	items := g.s.bulk(tx, "action_items", "id", "slug", "title", "description", "status", "initiative_id",
		"owner_organization_id", "meeting_id", "due_on", "due_precision")
	inits := g.s.bulk(tx, "initiative_places", "initiative_id", "place_id")

	for i := from; i < to; i++ {
		r := rng("initiative", i)
		id := ids["initiatives"]
		ids["initiatives"]++
		subject, region := pick(r, synSubjects), pick(r, synRegions)
		kind := pick(r, []InitiativeKind{InitiativeKindInitiative, InitiativeKindActionPlan, InitiativeKindProgramme,
			InitiativeKindProject, InitiativeKindFramework})
		status := weighted(r, []ActivityStatus{ActivityStatusPipeline, ActivityStatusImplementation,
			ActivityStatusFinalisation, ActivityStatusClosed, ActivityStatusCancelled}, []int{15, 55, 10, 15, 5})
		start := NewDate(2005+r.IntN(20), time.Month(1+r.IntN(12)), 1)
		end := Date{start.Time().AddDate(2+r.IntN(6), 0, 0)}
		title := fmt.Sprintf("%s %s in %s (%06d)", pick(r, synVerbs), subject, region, i)
		ins.add(id, fmt.Sprintf("syn-init-%06d", i), title, "", string(kind), string(status),
			fmt.Sprintf("Synthetic %s on %s in %s.", strings.ToLower(strings.ReplaceAll(string(kind), "_", " ")), strings.ToLower(subject), region),
			"To improve "+strings.ToLower(subject)+" through joint work.", start, "MONTH", end, "MONTH")
		inits.add(id, g.places[r.IntN(len(g.places))])

		// About five partners, distinct organizations; the first accountable.
		partners := distinct(r, len(g.orgs), 3+r.IntN(5))
		for k, o := range partners {
			role := PartnershipRoleImplementing
			switch {
			case k == 0:
				role = PartnershipRoleAccountable
			case r.IntN(5) == 0:
				role = PartnershipRoleFunding
			}
			pstatus := weighted(r, []PartnershipStatus{PartnershipStatusActive, PartnershipStatusDesired, PartnershipStatusProposed,
				PartnershipStatusEnded}, []int{70, 10, 10, 10})
			parts.add(id, g.orgs[o], string(role), string(pstatus), "Synthetic partnership")
		}

		// About twenty meetings over the initiative's years.
		var meetingIDs []uint
		for m := range 15 + r.IntN(11) {
			mid := ids["meetings"]
			ids["meetings"]++
			meetingIDs = append(meetingIDs, mid)
			day := Date{start.Time().AddDate(0, 0, r.IntN(365*6))}
			mstatus := MeetingStatusHeld
			if day.Time().After(g.now) {
				mstatus = MeetingStatusPlanned
			}
			mkind := pick(r, []MeetingKind{MeetingKindBriefing, MeetingKindTalks, MeetingKindConference,
				MeetingKindWorkingLevelDiscussions, MeetingKindBilateralMeeting})
			organizer := g.orgs[partners[r.IntN(len(partners))]]
			meets.add(mid, fmt.Sprintf("syn-m-%06d-%02d", i, m), fmt.Sprintf("%s on %s %d", titleCase(string(mkind)), subject, m+1),
				string(mkind), string(mstatus), day, "DAY", g.places[r.IntN(len(g.places))], organizer, 5+r.IntN(60),
				"delegates", subject, fmt.Sprintf("Synthetic meeting about %s in %s.", strings.ToLower(subject), region))
			links.add(mid, id)
			for k, p := range distinct(r, len(g.people), 2+r.IntN(5)) {
				role := ParticipantRoleAttendee
				if k == 0 {
					role = ParticipantRoleChair
				}
				people.add(mid, g.people[p], g.orgs[partners[r.IntN(len(partners))]], string(role), "")
			}
		}

		// About ten action items, owned by partners.
		for a := range 5 + r.IntN(11) {
			aid := ids["action_items"]
			ids["action_items"]++
			astatus := weighted(r, AllActionItemStatus, []int{25, 35, 10, 25, 5})
			due := Date{start.Time().AddDate(0, 1+r.IntN(72), 0)}
			items.add(aid, fmt.Sprintf("syn-a-%06d-%02d", i, a), fmt.Sprintf("%s %s task %d", pick(r, synVerbs), pick(r, synTopics), a+1),
				"Synthetic action item.", string(astatus), id, g.orgs[partners[r.IntN(len(partners))]],
				meetingIDs[r.IntN(len(meetingIDs))], due, "MONTH")
		}
	}
	for _, b := range []*bulkInsert{ins, inits, parts, meets, links, people, items} {
		if err := b.flush(); err != nil {
			return err
		}
	}
	return nil
}

// fixSequences moves Postgres's ID sequences past the IDs the generator
// chose, so that later inserts do not collide.
func (s *Store) fixSequences(ctx context.Context) error {
	if s.dialect != Postgres {
		return nil
	}
	for _, t := range []string{"initiatives", "meetings", "action_items"} {
		if err := s.db.WithContext(ctx).Exec("SELECT setval(pg_get_serial_sequence(?, 'id'), COALESCE((SELECT MAX(id) FROM "+t+"), 1))", t).Error; err != nil {
			return dbError(err, t)
		}
	}
	return nil
}

// weighted picks one of xs with the given weights.
func weighted[T any](r *rand.Rand, xs []T, weights []int) T {
	total := 0
	for _, w := range weights {
		total += w
	}
	n := r.IntN(total)
	for i, w := range weights {
		if n < w {
			return xs[i]
		}
		n -= w
	}
	return xs[len(xs)-1]
}

// distinct picks k distinct indexes below n.
func distinct(r *rand.Rand, n, k int) []int {
	seen := map[int]bool{}
	var out []int
	for len(out) < k {
		if i := r.IntN(n); !seen[i] {
			seen[i] = true
			out = append(out, i)
		}
	}
	return out
}

// titleCase turns BILATERAL_MEETING into "Bilateral meeting".
func titleCase(s string) string {
	s = strings.ToLower(strings.ReplaceAll(s, "_", " "))
	return strings.ToUpper(s[:1]) + s[1:]
}

// bulkInsert collects rows and inserts them, at flush, with multi-row INSERT
// statements of as many rows as the database's parameter limit allows.
// Nothing is written before flush, so that tables can be flushed in the order
// their foreign keys need.
type bulkInsert struct {
	tx      *gorm.DB
	prefix  string
	cols    int
	maxRows int
	args    []any
}

func (s *Store) bulk(tx *gorm.DB, table string, cols ...string) *bulkInsert {
	limit := 65535 // Postgres
	if s.dialect == SQLite {
		// SQLite allows 32,766, but its driver matches each parameter to
		// its argument by a scan of all arguments: a statement costs the
		// square of its parameters. At 999 (SQLite's former limit) binding
		// takes a tenth of the time it takes at 32,766.
		limit = 999
	}
	return &bulkInsert{tx: tx, prefix: "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ",
		cols: len(cols), maxRows: min(limit/len(cols), 2000)}
}

func (b *bulkInsert) add(vals ...any) {
	if len(vals) != b.cols {
		panic(fmt.Sprintf("bulk insert: %d values for %d columns", len(vals), b.cols))
	}
	b.args = append(b.args, vals...)
}

func (b *bulkInsert) flush() error {
	row := "(" + strings.Repeat("?, ", b.cols-1) + "?)"
	for len(b.args) > 0 {
		n := min(len(b.args)/b.cols, b.maxRows)
		var sql strings.Builder
		sql.WriteString(b.prefix)
		for i := range n {
			if i > 0 {
				sql.WriteString(", ")
			}
			sql.WriteString(row)
		}
		if err := b.tx.Exec(sql.String(), b.args[:n*b.cols]...).Error; err != nil {
			return err
		}
		b.args = b.args[n*b.cols:]
	}
	return nil
}
