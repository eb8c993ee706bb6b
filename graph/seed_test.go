package graph

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"tracker/models/modelstest"
)

// The seed-fidelity tests query the facts of the article back through the
// API, each with the excerpt that supports it.

// citation is a citation as the tests query it.
type citation struct {
	Field   *string
	Excerpt string
}

// citations is a connection of citations.
type citations struct{ Nodes []citation }

// supports fails unless one of cs, for field (empty: any field), has an
// excerpt containing text.
func supports(t *testing.T, what string, cs citations, field, text string) {
	t.Helper()
	for _, c := range cs.Nodes {
		if (field == "" || (c.Field != nil && *c.Field == field)) && strings.Contains(normalize(c.Excerpt), normalize(text)) {
			return
		}
	}
	t.Errorf("%s: no citation for field %q with an excerpt containing %q; have %+v", what, field, text, cs.Nodes)
}

func normalize(s string) string { return strings.Join(strings.Fields(s), " ") }

const cite = `citations(first: 100) { nodes { field excerpt } }`

func TestSeedFacts(t *testing.T) {
	eachSeeded(t, func(t *testing.T, c *client) {
		t.Run("Article", func(t *testing.T) {
			var out struct {
				Source struct {
					Title, Publication, Author, Dateline, PublishedAt string
					Citations                                         citations
					Parts                                             struct {
						Nodes []struct {
							Kind, Author, Identifier, Publisher string
							Citations                           citations
						}
					}
				}
			}
			c.mustQuery(`{ source(slug: "un-interpol-partnership-2009") { title publication author dateline publishedAt `+cite+`
				parts { nodes { kind author identifier publisher `+cite+` } } } }`, nil, &out)
			s := out.Source
			if s.Title != "UN and INTERPOL in partnership against transnational organized crime" || s.Author != "DPKO" ||
				s.Dateline != "New York" || !strings.HasPrefix(s.PublishedAt, "2009-03-24") {
				t.Errorf("article = %+v", s)
			}
			supports(t, "article", s.Citations, "publishedAt", "24 March 2009")
			supports(t, "article", s.Citations, "author", "DPKO")
			if len(s.Parts.Nodes) != 1 || s.Parts.Nodes[0].Identifier != "143708" || s.Parts.Nodes[0].Author != "Mark Garten" {
				t.Fatalf("photo = %+v", s.Parts.Nodes)
			}
			supports(t, "photo", s.Parts.Nodes[0].Citations, "", "UN Photo 143708 / Mark Garten")
		})

		t.Run("INTERPOL", func(t *testing.T) {
			var out struct {
				Organization struct {
					Name, Kind  string
					FoundedYear int
					MemberCount struct {
						Value     float64
						AsOf      struct{ Date string }
						Citations citations
					}
					Positions struct {
						Nodes []struct {
							Title  string
							IsHead bool
							Person struct{ Name string }
						}
					}
					Citations citations
				}
			}
			c.mustQuery(`{ organization(acronym: "INTERPOL") { name kind foundedYear
				memberCount { value asOf { date } `+cite+` }
				positions { nodes { title isHead person { name } } } `+cite+` } }`, nil, &out)
			o := out.Organization
			if o.Name != "International Criminal Police Organization" || o.FoundedYear != 1923 || o.MemberCount.Value != 187 {
				t.Errorf("INTERPOL = %+v", o)
			}
			supports(t, "INTERPOL", o.Citations, "foundedYear", "Created in 1923")
			supports(t, "INTERPOL", o.Citations, "name", "International Criminal Police Organization")
			supports(t, "INTERPOL", o.Citations, "", "largest international police organization")
			supports(t, "INTERPOL members", o.MemberCount.Citations, "", "187 member countries")
			if len(o.Positions.Nodes) != 1 || o.Positions.Nodes[0].Person.Name != "Ronald K. Noble" || !o.Positions.Nodes[0].IsHead {
				t.Errorf("INTERPOL positions = %+v", o.Positions.Nodes)
			}
		})

		t.Run("Hierarchy", func(t *testing.T) {
			var out struct {
				Organization struct {
					Ancestors []struct{ Acronym *string }
					Parent    struct{ Citations citations }
					Positions struct {
						Nodes []struct {
							Title     string
							Person    struct{ Name string }
							Citations citations
						}
					}
				}
			}
			c.mustQuery(`{ organization(slug: "police-division") { ancestors { acronym } parent { `+cite+` }
				positions { nodes { title person { name } `+cite+` } } } }`, nil, &out)
			var chain []string
			for _, a := range out.Organization.Ancestors {
				if a.Acronym != nil {
					chain = append(chain, *a.Acronym)
				}
			}
			if len(chain) < 2 || chain[0] != "DPKO" || chain[len(chain)-1] != "UN" {
				t.Errorf("Police Division ancestors = %v, want DPKO … UN", chain)
			}
			p := out.Organization.Positions.Nodes
			if len(p) != 1 || p[0].Person.Name != "Andrew Hughes" {
				t.Fatalf("Police Division positions = %+v", p)
			}
			supports(t, "Hughes", p[0].Citations, "", "heads DPKO's Police Division")
			supports(t, "Hughes", p[0].Citations, "", "UN Police Adviser")
		})

		t.Run("BanNobleMeeting", func(t *testing.T) {
			var out struct {
				Meeting struct {
					Kind, Status string
					Date         struct{ Date, Precision string }
					Place        struct {
						Name   string
						Parent struct{ Name string }
					}
					Participants struct {
						Nodes []struct {
							Role   string
							Person struct{ Name string }
						}
					}
					Statements struct{ Nodes []struct{ Kind, Text string } }
					Citations  citations
				}
			}
			c.mustQuery(`{ meeting(slug: "ban-noble-meeting-2009-03-23") { kind status date { date precision }
				place { name parent { name } } participants { nodes { role person { name } } }
				statements { nodes { kind text } } `+cite+` } }`, nil, &out)
			m := out.Meeting
			if m.Kind != "BILATERAL_MEETING" || m.Status != "HELD" || m.Date.Date != "2009-03-23" || m.Date.Precision != "DAY" ||
				m.Place.Name != "UN Headquarters" || m.Place.Parent.Name != "New York" {
				t.Errorf("meeting = %+v", m)
			}
			roles := map[string]string{}
			for _, p := range m.Participants.Nodes {
				roles[p.Person.Name] = p.Role
			}
			if roles["Ban Ki-moon"] != "HOST" || roles["Ronald K. Noble"] != "GUEST" {
				t.Errorf("participants = %v", roles)
			}
			supports(t, "meeting", m.Citations, "date", "Monday, 23 March 2009")
			found := false
			for _, s := range m.Statements.Nodes {
				found = found || (s.Kind == "QUOTE" && strings.Contains(s.Text, "professional policing is crucial to engendering both peace and justice"))
			}
			if !found {
				t.Errorf("Ban's quote on professional policing is missing: %+v", m.Statements.Nodes)
			}
		})

		t.Run("Briefing", func(t *testing.T) {
			var out struct {
				Meetings struct {
					Nodes []struct {
						Slug                string
						AttendeeCount       int
						AttendeeDescription string
						Participants        struct {
							Nodes []struct {
								Role   string
								Person *struct{ Name string }
							}
						}
						Statements struct {
							Nodes []struct {
								Speaker struct{ Name string }
								Text    string
							}
						}
						Citations citations
					}
				}
			}
			c.mustQuery(`{ meetings(filter: {kind: {eq: BRIEFING}}) { nodes { slug attendeeCount attendeeDescription
				participants { nodes { role person { name } } } statements { nodes { speaker { name } text } } `+cite+` } } }`, nil, &out)
			if len(out.Meetings.Nodes) != 1 {
				t.Fatalf("briefings = %+v", out.Meetings.Nodes)
			}
			b := out.Meetings.Nodes[0]
			if b.AttendeeCount != 33 || !strings.Contains(b.AttendeeDescription, "permanent representatives") {
				t.Errorf("briefing attendees = %d %q", b.AttendeeCount, b.AttendeeDescription)
			}
			supports(t, "briefing", b.Citations, "attendeeCount", "33 permanent representatives")
			briefers := map[string]bool{}
			for _, p := range b.Participants.Nodes {
				if p.Role == "BRIEFER" && p.Person != nil {
					briefers[p.Person.Name] = true
				}
			}
			if !briefers["Ronald K. Noble"] || !briefers["Andrew Hughes"] {
				t.Errorf("briefers = %v", briefers)
			}
			var quotes []string
			for _, s := range b.Statements.Nodes {
				quotes = append(quotes, s.Speaker.Name+": "+s.Text)
			}
			all := strings.Join(quotes, "\n")
			for _, want := range []string{"Andrew Hughes: Criminal activities such as drug and arms trafficking fuel wars",
				"Ban Ki-moon: Police-related tasks in peace operations have grown consistently more complex"} {
				if !strings.Contains(all, want) {
					t.Errorf("statement %q missing from:\n%s", want, all)
				}
			}
		})

		t.Run("PlannedMeetingsInSingapore", func(t *testing.T) {
			var out struct {
				Meetings struct {
					Nodes []struct {
						Kind, Theme string
						Date        struct{ Label string }
						Outcomes    struct {
							Nodes []struct{ Kind, Status string }
						}
						Citations citations
					}
				}
			}
			c.mustQuery(`{ meetings(filter: {status: {eq: PLANNED}, place: {name: {eq: "Singapore"}}}) {
				nodes { kind theme date { label } outcomes { nodes { kind status } } `+cite+` } } }`, nil, &out)
			var ministerial bool
			for _, m := range out.Meetings.Nodes {
				if m.Date.Label != "October 2009" || m.Theme != "The Role of International Policing in Building Sustainable Security" {
					t.Errorf("planned meeting = %+v", m)
				}
				if m.Kind == "MINISTERIAL_MEETING" {
					ministerial = true
					supports(t, "ministerial meeting", m.Citations, "", "Singapore in October 2009")
					if len(m.Outcomes.Nodes) == 0 || m.Outcomes.Nodes[0].Kind != "DECLARATION" || m.Outcomes.Nodes[0].Status != "EXPECTED" {
						t.Errorf("ministerial outcomes = %+v", m.Outcomes.Nodes)
					}
				}
			}
			if !ministerial {
				t.Errorf("no ministerial meeting planned in Singapore: %+v", out.Meetings.Nodes)
			}
		})

		t.Run("CapeVerdeConference", func(t *testing.T) {
			var out struct {
				Meeting struct {
					Date      struct{ Label string }
					Place     struct{ Name string }
					Organizer struct{ Acronym string }
					Outcomes  struct {
						Nodes []struct {
							Kind       string
							Initiative *struct{ Slug string }
							Citations  citations
						}
					}
				}
			}
			c.mustQuery(`{ meeting(slug: "ecowas-ministerial-conference-cape-verde-2008-10") { date { label } place { name }
				organizer { acronym } outcomes { nodes { kind initiative { slug } `+cite+` } } } }`, nil, &out)
			m := out.Meeting
			if m.Date.Label != "October 2008" || m.Place.Name != "Cape Verde" || m.Organizer.Acronym != "ECOWAS" {
				t.Errorf("conference = %+v", m)
			}
			kinds := map[string]bool{}
			for _, o := range m.Outcomes.Nodes {
				kinds[o.Kind] = true
				if o.Kind == "PLAN_ADOPTED" && (o.Initiative == nil || o.Initiative.Slug != "ecowas-regional-action-plan") {
					t.Errorf("plan adopted = %+v", o)
				}
			}
			if !kinds["DECLARATION"] || !kinds["PLAN_ADOPTED"] {
				t.Errorf("outcomes = %v, want a declaration and a plan adopted", kinds)
			}
		})

		t.Run("ECOWASActionPlanPartners", func(t *testing.T) {
			var out struct {
				Initiative struct {
					Kind, Status string
					ActualStart  struct{ Label string }
					Partnerships struct {
						Nodes []struct {
							Role, Status string
							Organization struct{ Acronym string }
							Citations    citations
						}
					}
				}
			}
			c.mustQuery(`{ initiative(slug: "ecowas-regional-action-plan") { kind status actualStart { label }
				partnerships { nodes { role status organization { acronym } `+cite+` } } } }`, nil, &out)
			in := out.Initiative
			if in.Kind != "ACTION_PLAN" || in.ActualStart.Label != "October 2008" {
				t.Errorf("plan = %+v", in)
			}
			var dpko bool
			for _, p := range in.Partnerships.Nodes {
				if p.Organization.Acronym == "DPKO" {
					dpko = p.Role == "IMPLEMENTING" && p.Status == "DESIRED"
					supports(t, "DPKO partnership", p.Citations, "", "desired implementing partner")
				}
				if p.Organization.Acronym == "ECOWAS" && p.Role != "ACCOUNTABLE" {
					t.Errorf("ECOWAS role = %s, want ACCOUNTABLE", p.Role)
				}
			}
			if !dpko {
				t.Errorf("DPKO is not a desired implementing partner: %+v", in.Partnerships.Nodes)
			}
		})

		t.Run("WestAfricaCoastInitiative", func(t *testing.T) {
			var out struct {
				Initiative struct {
					Objective    string
					Partnerships struct {
						Nodes []struct {
							Role         string
							Organization struct{ Acronym string }
						}
					}
					RelatedInitiatives struct {
						Nodes []struct {
							Type              string
							RelatedInitiative struct{ Slug string }
							Citations         citations
						}
					}
					Citations citations
				}
			}
			c.mustQuery(`{ initiative(slug: "west-africa-coast-initiative") { objective
				partnerships { nodes { role organization { acronym } } }
				relatedInitiatives { nodes { type relatedInitiative { slug } `+cite+` } } `+cite+` } }`, nil, &out)
			in := out.Initiative
			var partners []string
			for _, p := range in.Partnerships.Nodes {
				partners = append(partners, p.Organization.Acronym)
				if p.Role != "IMPLEMENTING" {
					t.Errorf("%s role = %s", p.Organization.Acronym, p.Role)
				}
			}
			if got := strings.Join(sorted(partners), ","); got != "DPA,DPKO,INTERPOL,UNODC,UNOWA" {
				t.Errorf("partners = %s, want the five of the article", got)
			}
			if !strings.Contains(in.Objective, "build national capacity") {
				t.Errorf("objective = %q", in.Objective)
			}
			r := in.RelatedInitiatives.Nodes
			if len(r) != 1 || r[0].Type != "PARENT" || r[0].RelatedInitiative.Slug != "ecowas-regional-action-plan" {
				t.Fatalf("related = %+v", r)
			}
			supports(t, "WACI parent", r[0].Citations, "", "help implement the ECOWAS Action Plan")
			// And seen from the plan, the same link is a child.
			var plan struct {
				Initiative struct {
					RelatedInitiatives struct {
						Nodes []struct {
							Type              string
							RelatedInitiative struct{ Slug string }
						}
					}
				}
			}
			c.mustQuery(`{ initiative(slug: "ecowas-regional-action-plan") { relatedInitiatives { nodes { type relatedInitiative { slug } } } } }`, nil, &plan)
			pr := plan.Initiative.RelatedInitiatives.Nodes
			if len(pr) != 1 || pr[0].Type != "CHILD" || pr[0].RelatedInitiative.Slug != "west-africa-coast-initiative" {
				t.Errorf("plan's related = %+v", pr)
			}
		})

		t.Run("Framework", func(t *testing.T) {
			var out struct {
				Initiative struct {
					Kind, Status string
					ActionItems  struct {
						Nodes []struct {
							Title     string
							Owner     struct{ Acronym string }
							Citations citations
						}
					}
				}
			}
			c.mustQuery(`{ initiative(slug: "un-interpol-cooperation-framework") { kind status
				actionItems(first: 20) { nodes { title owner { acronym } `+cite+` } } } }`, nil, &out)
			in := out.Initiative
			if in.Kind != "FRAMEWORK" || in.Status != "PIPELINE" {
				t.Errorf("framework = %+v", in)
			}
			var all []string
			for _, a := range in.ActionItems.Nodes {
				for _, c := range a.Citations.Nodes {
					all = append(all, c.Excerpt)
				}
			}
			text := normalize(strings.Join(all, " | "))
			for _, area := range []string{"interim law enforcement", "security support to national police",
				"support for the development of national police"} {
				if !strings.Contains(text, area) {
					t.Errorf("co-operation area %q has no cited action item", area)
				}
			}
		})

		t.Run("UNCommitmentsThroughPeaceOperations", func(t *testing.T) {
			var out struct {
				ActionItems struct {
					Nodes []struct {
						Title        string
						Status       string
						Owner        struct{ Slug string }
						Contributors struct{ Nodes []struct{ Acronym string } }
						Citations    citations
					}
				}
			}
			c.mustQuery(`{ actionItems(first: 50, filter: {contributors: {some: {kind: {eq: PEACE_OPERATION}}}}) {
				nodes { title status owner { slug } contributors { nodes { acronym } } `+cite+` } } }`, nil, &out)
			if len(out.ActionItems.Nodes) != 5 {
				t.Fatalf("%d action items through the peace operations, want the 5 the article lists", len(out.ActionItems.Nodes))
			}
			for _, a := range out.ActionItems.Nodes {
				var ops []string
				for _, c := range a.Contributors.Nodes {
					ops = append(ops, c.Acronym)
				}
				if got := strings.Join(sorted(ops), ","); got != "UNIPSIL,UNMIL,UNOCI,UNOGBIS" {
					t.Errorf("%s contributors = %s", a.Title, got)
				}
				supports(t, a.Title, a.Citations, "", "through its four peace operations in the region")
			}
		})

		t.Run("SecretaryGeneralCommitments", func(t *testing.T) {
			for slug, text := range map[string]string{
				"recommend-sc-monitoring-mechanism": "monitoring mechanism on the implementation of ECOWAS Plan of Action",
				"urge-financial-resources":          "mobilize the necessary financial resources",
				"nominate-female-police-officers":   "qualified female police officers",
				"interpol-ga-police-peacekeeping":   "at the very heart of its annual General Assembly",
			} {
				var out struct {
					ActionItem struct {
						Status    string
						Citations citations
					}
				}
				c.mustQuery(`query($slug: String!) { actionItem(slug: $slug) { status `+cite+` } }`, map[string]any{"slug": slug}, &out)
				supports(t, slug, out.ActionItem.Citations, "", text)
			}
		})

		t.Run("PoliceDeploymentSeries", func(t *testing.T) {
			var out struct {
				DeploymentStatistics struct {
					Nodes []struct {
						Value     float64
						AsOf      struct{ Label string }
						Citations citations
					}
				}
				Results struct {
					Nodes []struct {
						Indicators struct {
							Nodes []struct {
								Change, ChangePercent float64
								Baseline, Actual      struct{ Value float64 }
							}
						}
					}
				}
			}
			c.mustQuery(`{ deploymentStatistics(filter: {metric: {key: {eq: "un-police-deployed"}}}) {
				nodes { value asOf { label } `+cite+` } }
				results { nodes { indicators { nodes { change changePercent baseline { value } actual { value } } } } } }`, nil, &out)
			s := out.DeploymentStatistics.Nodes
			if len(s) != 2 || s[0].Value != 2400 || s[0].AsOf.Label != "March 1999" || s[1].Value != 10629 || s[1].AsOf.Label != "March 2009" {
				t.Fatalf("series = %+v", s)
			}
			supports(t, "1999", s[0].Citations, "", "2,400 in March 1999")
			supports(t, "2009", s[1].Citations, "", "10,629 ten years later")
			ind := out.Results.Nodes[0].Indicators.Nodes[0]
			if ind.Baseline.Value != 2400 || ind.Actual.Value != 10629 || ind.Change != 8229 || int(ind.ChangePercent) != 342 {
				t.Errorf("indicator = %+v, want 2400 → 10629, +8229, +342.9%%", ind)
			}
		})

		t.Run("TransitRoute", func(t *testing.T) {
			var out struct {
				Places struct {
					Nodes []struct {
						Topics struct {
							Nodes []struct {
								Role      string
								Topic     struct{ Name string }
								Citations citations
							}
						}
					}
				}
			}
			c.mustQuery(`{ places(first: 1, filter: {slug: {eq: "west-africa"}}) { nodes { topics(first: 20) { nodes { role topic { name } `+cite+` } } } } }`, nil, &out)
			var transit bool
			for _, tp := range out.Places.Nodes[0].Topics.Nodes {
				if tp.Role == "TRANSIT" {
					transit = true
					supports(t, "transit", tp.Citations, "", "transit route for narcotics bound for Europe from Latin America")
				}
			}
			if !transit {
				t.Errorf("West Africa is not a transit region: %+v", out.Places.Nodes)
			}
		})
	})
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

// TestEveryObjectIsCited checks that every seeded object of every cited type
// carries at least one citation, reachable from the object.
func TestEveryObjectIsCited(t *testing.T) {
	eachSeeded(t, func(t *testing.T, c *client) {
		r := c.do(`{
		  organizations(first: 100) { nodes { slug citations(first: 1) { totalCount } positions(first: 10) { nodes { citations(first: 1) { totalCount } } }
		    partnerships(first: 10) { nodes { citations(first: 1) { totalCount } } } } }
		  people(first: 100) { nodes { slug citations(first: 1) { totalCount } } }
		  initiatives(first: 100) { nodes { slug citations(first: 1) { totalCount } relatedInitiatives(first: 10) { nodes { citations(first: 1) { totalCount } } } } }
		  meetings(first: 100) { nodes { slug citations(first: 1) { totalCount } participants(first: 20) { nodes { citations(first: 1) { totalCount } } }
		    outcomes(first: 20) { nodes { citations(first: 1) { totalCount } } } statements(first: 20) { nodes { citations(first: 1) { totalCount } } } } }
		  actionItems(first: 100) { nodes { slug citations(first: 1) { totalCount } } }
		  deploymentStatistics(first: 100) { nodes { citations(first: 1) { totalCount } } }
		  results(first: 100) { nodes { slug citations(first: 1) { totalCount } indicators(first: 10) { nodes { citations(first: 1) { totalCount } } } } }
		  sources(first: 100) { nodes { slug citations(first: 1) { totalCount } } }
		  places(first: 100) { nodes { slug citations(first: 1) { totalCount } } }
		  topics(first: 100) { nodes { slug citations(first: 1) { totalCount } places(first: 10) { nodes { citations(first: 1) { totalCount } } } } }
		}`, nil)
		if len(r.Errors) > 0 {
			t.Fatal(r.Errors)
		}
		var data any
		if err := json.Unmarshal(r.Data, &data); err != nil {
			t.Fatal(err)
		}
		objects := 0
		var walk func(path string, v any)
		walk = func(path string, v any) {
			switch v := v.(type) {
			case map[string]any:
				if cs, ok := v["citations"].(map[string]any); ok {
					objects++
					if n, _ := cs["totalCount"].(float64); n == 0 {
						t.Errorf("%s (%v) has no citation", path, v["slug"])
					}
				}
				for k, x := range v {
					walk(path+"."+k, x)
				}
			case []any:
				for _, x := range v {
					walk(path, x)
				}
			}
		}
		walk("", data)
		if objects < 100 {
			t.Errorf("checked %d objects; the seed has more", objects)
		}
	})
}

// TestEverySentenceIsCited checks that each sentence of the article is
// supported by at least one citation: nothing of the story is lost.
func TestEverySentenceIsCited(t *testing.T) {
	body, err := os.ReadFile("../models/seed/article.txt")
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, modelstest.Seeded(t, modelstest.Dialects()[0]))
	var excerpts []string
	var after any
	for range 50 {
		var out struct {
			Citations struct {
				Nodes    []citation
				PageInfo struct {
					HasNextPage bool
					EndCursor   string
				}
			}
		}
		c.mustQuery(`query($after: String) { citations(first: 1000, after: $after) { nodes { excerpt } pageInfo { hasNextPage endCursor } } }`,
			map[string]any{"after": after}, &out)
		for _, n := range out.Citations.Nodes {
			excerpts = append(excerpts, normalize(n.Excerpt))
		}
		if !out.Citations.PageInfo.HasNextPage {
			break
		}
		after = out.Citations.PageInfo.EndCursor
	}
	// Sentences end with a full stop, a question or exclamation mark, or a
	// closing quotation mark after one, followed by white space.
	sentences := regexp.MustCompile(`[.!?]["”’']?\s+`).Split(normalize(string(body)), -1)
	boilerplate := []string{"Please note that all PDF documents are marked as such and will open in a new browser window"}
	checked := 0
	for _, s := range sentences[1:] { // the first is the site's notice
		s = strings.TrimSpace(s)
		if len(strings.Fields(s)) < 4 || slices.Contains(boilerplate, s) {
			continue
		}
		checked++
		covered := false
		for _, e := range excerpts {
			if strings.Contains(s, e) && len(strings.Fields(e)) >= 2 || strings.Contains(e, s) {
				covered = true
				break
			}
		}
		if !covered {
			t.Errorf("no citation quotes from the sentence %q", s)
		}
	}
	if checked < 25 {
		t.Errorf("checked %d sentences; the article has more", checked)
	}
}
