package graph

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"tracker/models"
	"tracker/models/modelstest"
)

// officerClient serves the seed data to an officer scoped to the UN
// Secretariat, which owns the Secretary-General's commitments.
func officerClient(t *testing.T, d models.Dialect) (*client, *models.Store) {
	t.Helper()
	store := modelstest.Seeded(t, d)
	tok, _ := mustToken(t, store, models.RoleOfficer, []uint{orgID(t, store, "un-secretariat")}, nil)
	return newClient(t, store).as(tok), store
}

type itemState struct {
	ID      string
	Status  string
	Version int
}

func itemNow(t *testing.T, c *client, slug string) itemState {
	t.Helper()
	var out struct{ ActionItem itemState }
	c.mustQuery(`query($s: String!) { actionItem(slug: $s) { id status version } }`, map[string]any{"s": slug}, &out)
	return out.ActionItem
}

const moveQuery = `mutation($id: ID!, $to: ActionItemStatus!, $note: String, $v: Int!) {
  updateActionItemStatus(input: {id: $id, status: $to, note: $note, expectedVersion: $v}) { actionItem { status version } }
}`

// TestWorkflow tries every move from every status: the workflow's moves
// succeed (with a note where one is required) and the others fail with
// BAD_USER_INPUT listing the allowed statuses.
func TestWorkflow(t *testing.T) {
	t.Parallel()
	allowed := map[string][]string{
		"NOT_STARTED": {"IN_PROGRESS", "BLOCKED", "CANCELLED"},
		"IN_PROGRESS": {"DONE", "BLOCKED", "CANCELLED"},
		"BLOCKED":     {"IN_PROGRESS", "CANCELLED"},
		"DONE":        {"IN_PROGRESS"},
		"CANCELLED":   {},
	}
	needsNote := map[[2]string]bool{
		{"NOT_STARTED", "BLOCKED"}: true, {"IN_PROGRESS", "BLOCKED"}: true, {"NOT_STARTED", "CANCELLED"}: true,
		{"IN_PROGRESS", "CANCELLED"}: true, {"BLOCKED", "CANCELLED"}: true, {"DONE", "IN_PROGRESS"}: true,
	}
	// How to reach each status from NOT_STARTED.
	paths := map[string][]string{
		"NOT_STARTED": nil, "IN_PROGRESS": {"IN_PROGRESS"}, "BLOCKED": {"BLOCKED"},
		"DONE": {"IN_PROGRESS", "DONE"}, "CANCELLED": {"CANCELLED"},
	}
	statuses := []string{"NOT_STARTED", "IN_PROGRESS", "BLOCKED", "DONE", "CANCELLED"}
	modelstest.Each(t, func(t *testing.T, d models.Dialect) {
		c, store := officerClient(t, d)
		secretariat := orgID(t, store, "un-secretariat")
		n := 0
		for _, from := range statuses {
			for _, to := range statuses {
				t.Run(from+"→"+to, func(t *testing.T) {
					n++
					a := &models.ActionItem{Slug: fmt.Sprintf("wf-%d", n), Title: "Workflow", Status: models.ActionItemStatusNotStarted,
						OwnerOrganizationID: secretariat}
					modelstest.MustCreate(t, store, a)
					id := models.NewGlobalID("ActionItem", a.ID).String()
					v := 1
					for _, step := range paths[from] {
						var out struct {
							UpdateActionItemStatus struct{ ActionItem itemState }
						}
						c.mustQuery(moveQuery, map[string]any{"id": id, "to": step, "note": "getting there", "v": v}, &out)
						v = out.UpdateActionItemStatus.ActionItem.Version
					}
					ok := slices.Contains(allowed[from], to)
					if !ok {
						e := c.mustFail(moveQuery, map[string]any{"id": id, "to": to, "note": "try", "v": v}, "BAD_USER_INPUT")
						got := fmt.Sprint(e.Extensions["allowed"])
						if want := fmt.Sprint(toAny(allowed[from])); got != want {
							t.Errorf("allowed = %s, want %s", got, want)
						}
						return
					}
					if needsNote[[2]string{from, to}] {
						e := c.mustFail(moveQuery, map[string]any{"id": id, "to": to, "v": v}, "BAD_USER_INPUT")
						if e.Extensions["field"] != "input.note" {
							t.Errorf("missing note: field = %v", e.Extensions["field"])
						}
					}
					var out struct {
						UpdateActionItemStatus struct{ ActionItem itemState }
					}
					c.mustQuery(moveQuery, map[string]any{"id": id, "to": to, "note": "because", "v": v}, &out)
					if got := out.UpdateActionItemStatus.ActionItem; got.Status != to || got.Version != v+1 {
						t.Errorf("after move: %+v, want %s at version %d", got, to, v+1)
					}
				})
			}
		}
	})
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// TestHistory walks a seeded action item through its workflow and reads
// back each step with its note and author.
func TestHistory(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, d models.Dialect) {
		c, _ := officerClient(t, d)
		item := itemNow(t, c, "urge-financial-resources")
		steps := []struct{ to, note string }{
			{"IN_PROGRESS", ""}, {"BLOCKED", "Waiting for the donors' conference"}, {"IN_PROGRESS", ""}, {"DONE", "Letters sent"},
		}
		v := item.Version
		for _, s := range steps {
			var note any
			if s.note != "" {
				note = s.note
			}
			c.mustQuery(moveQuery, map[string]any{"id": item.ID, "to": s.to, "note": note, "v": v}, &struct{}{})
			v++
		}
		var out struct {
			ActionItem struct {
				History struct {
					TotalCount int
					Nodes      []struct {
						Action, FromStatus, ToStatus string
						Note                         *string
						Actor                        struct{ Subject, Role string }
						RequestID                    string
					}
				}
			}
		}
		c.mustQuery(`query($s: String!) { actionItem(slug: $s) { history(orderBy: [{field: ID, direction: ASC}]) { totalCount
			nodes { action fromStatus toStatus note actor { subject role } requestId } } } }`,
			map[string]any{"s": "urge-financial-resources"}, &out)
		h := out.ActionItem.History
		if h.TotalCount != len(steps) {
			t.Fatalf("history has %d entries, want %d: %+v", h.TotalCount, len(steps), h.Nodes)
		}
		from := item.Status
		for i, s := range steps {
			e := h.Nodes[i]
			note := ""
			if e.Note != nil {
				note = *e.Note
			}
			if e.Action != "STATUS_CHANGE" || e.FromStatus != from || e.ToStatus != s.to || note != s.note ||
				e.Actor.Role != "OFFICER" || e.RequestID == "" {
				t.Errorf("step %d = %+v, want %s → %s (%q)", i, e, from, s.to, s.note)
			}
			from = s.to
		}
	})
}

// TestConcurrentUpdates has 50 officers move the same item at the same
// expected version at once: exactly one wins, the others get CONFLICT, and
// the history holds exactly the winner's change.
func TestConcurrentUpdates(t *testing.T) {
	t.Parallel()
	modelstest.Each(t, func(t *testing.T, d models.Dialect) {
		c, _ := officerClient(t, d)
		item := itemNow(t, c, "recommend-sc-monitoring-mechanism")
		const n = 50
		codes := make([]string, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				r := c.do(moveQuery, map[string]any{"id": item.ID, "to": "BLOCKED", "note": fmt.Sprintf("officer %d", i), "v": item.Version})
				if len(r.Errors) > 0 {
					codes[i] = r.Errors[0].Code()
				}
			}()
		}
		close(start)
		wg.Wait()
		wins, conflicts := 0, 0
		winner := -1
		for i, code := range codes {
			switch code {
			case "":
				wins++
				winner = i
			case "CONFLICT":
				conflicts++
			default:
				t.Errorf("officer %d: %s", i, code)
			}
		}
		if wins != 1 || conflicts != n-1 {
			t.Fatalf("%d wins and %d conflicts, want 1 and %d", wins, conflicts, n-1)
		}
		after := itemNow(t, c, "recommend-sc-monitoring-mechanism")
		if after.Status != "BLOCKED" || after.Version != item.Version+1 {
			t.Errorf("item after = %+v", after)
		}
		var out struct {
			ActionItem struct {
				History struct {
					Nodes []struct{ Note string }
				}
			}
		}
		c.mustQuery(`{ actionItem(slug: "recommend-sc-monitoring-mechanism") { history { nodes { note } } } }`, nil, &out)
		if h := out.ActionItem.History.Nodes; len(h) != 1 || h[0].Note != fmt.Sprintf("officer %d", winner) {
			t.Errorf("history = %+v, want only officer %d's change", h, winner)
		}
	})
}

// TestFailedMutationWritesNothing injects a fault in the middle of a
// mutation — the audit log refuses the entry, after the change itself was
// written — and checks that nothing was written.
func TestFailedMutationWritesNothing(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, d models.Dialect) {
		c, store := officerClient(t, d)
		before := itemNow(t, c, "recommend-sc-monitoring-mechanism")
		switch d {
		case models.Postgres:
			modelstest.MustExec(t, store, `CREATE FUNCTION fail_audit() RETURNS trigger LANGUAGE plpgsql AS
				$$ BEGIN RAISE EXCEPTION 'injected fault'; END $$`)
			modelstest.MustExec(t, store, `CREATE TRIGGER fail_audit BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION fail_audit()`)
		case models.SQLite:
			modelstest.MustExec(t, store, `CREATE TRIGGER fail_audit BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'injected fault'); END`)
		}
		c.mustFail(moveQuery, map[string]any{"id": before.ID, "to": "IN_PROGRESS", "v": before.Version}, "INTERNAL_SERVER_ERROR")
		secretariat := gid(t, c, "organization", "un-secretariat")
		c.mustFail(`mutation($org: ID!) { recordMeeting(input: {slug: "doomed", title: "Doomed", kind: TALKS, organizerId: $org,
			participants: [{organizationId: $org, role: HOST}]}) { meeting { id } } }`, map[string]any{"org": secretariat}, "INTERNAL_SERVER_ERROR")

		if after := itemNow(t, c, "recommend-sc-monitoring-mechanism"); after != before {
			t.Errorf("item changed: %+v → %+v", before, after)
		}
		var counts struct{ Meetings, Participants, Audit int64 }
		store.DB().Raw("SELECT COUNT(*) FROM meetings WHERE slug = 'doomed'").Scan(&counts.Meetings)
		store.DB().Raw("SELECT COUNT(*) FROM participants p JOIN meetings m ON m.id = p.meeting_id WHERE m.slug = 'doomed'").Scan(&counts.Participants)
		store.DB().Raw("SELECT COUNT(*) FROM audit_log WHERE entity_type <> 'ApiToken'").Scan(&counts.Audit)
		if counts.Meetings+counts.Participants+counts.Audit != 0 {
			t.Errorf("partial writes left: %+v", counts)
		}
	})
}

// TestValidation checks that bad input is refused with BAD_USER_INPUT naming
// the field, or CONFLICT for a taken key, and writes nothing.
func TestValidation(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, d models.Dialect) {
		c, store := officerClient(t, d)
		secretariat := gid(t, c, "organization", "un-secretariat")
		person := gid(t, c, "person", "ban-ki-moon")
		const create = `mutation($in: NewActionItem!) { createActionItem(input: $in) { actionItem { id } } }`
		tests := []struct {
			name  string
			in    map[string]any
			code  string
			field string
		}{
			{"BadSlug", map[string]any{"slug": "Not A Slug", "title": "T", "ownerId": secretariat}, "BAD_USER_INPUT", "input.slug"},
			{"EmptyTitle", map[string]any{"slug": "ok", "title": "   ", "ownerId": secretariat}, "BAD_USER_INPUT", "input.title"},
			{"OwnerIsAPerson", map[string]any{"slug": "ok", "title": "T", "ownerId": person}, "BAD_USER_INPUT", "input.ownerId"},
			{"MissingContributor", map[string]any{"slug": "ok", "title": "T", "ownerId": secretariat,
				"contributorIds": []string{models.NewGlobalID("Organization", 99999).String()}}, "BAD_USER_INPUT", "input.contributorIds"},
			{"BadDueYear", map[string]any{"slug": "ok", "title": "T", "ownerId": secretariat,
				"due": map[string]any{"date": "0009-01-01"}}, "BAD_USER_INPUT", "input.due"},
			{"TakenSlug", map[string]any{"slug": "urge-financial-resources", "title": "T", "ownerId": secretariat}, "CONFLICT", ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				e := c.mustFail(create, map[string]any{"in": tt.in}, tt.code)
				if tt.field != "" && e.Extensions["field"] != tt.field {
					t.Errorf("field = %v, want %s (%s)", e.Extensions["field"], tt.field, e.Message)
				}
			})
		}
		var n int64
		store.DB().Raw("SELECT COUNT(*) FROM audit_log WHERE entity_type <> 'ApiToken'").Scan(&n)
		if n != 0 {
			t.Errorf("%d audit entries after refused writes", n)
		}
		e := c.mustFail(`mutation($src: ID!, $c: ID!) { addCitation(input: {sourceId: $src, subjectId: $c, excerpt: "x"}) { citation { id } } }`,
			map[string]any{"src": gid(t, c, "source", "un-interpol-partnership-2009"), "c": models.NewGlobalID("Citation", 1).String()}, "BAD_USER_INPUT")
		if e.Extensions["field"] != "input.subjectId" {
			t.Errorf("citing a citation: field = %v", e.Extensions["field"])
		}
	})
}

// TestOfficerEdits records a meeting with participants, cites it, corrects
// a figure and adds a partner, checking each result and its audit trail.
func TestOfficerEdits(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, d models.Dialect) {
		c, store := officerClient(t, d)
		dpko := gid(t, c, "organization", "dpko")
		ban := gid(t, c, "person", "ban-ki-moon")
		waci := gid(t, c, "initiative", "west-africa-coast-initiative")
		article := gid(t, c, "source", "un-interpol-partnership-2009")

		var m struct {
			RecordMeeting struct {
				Meeting struct {
					ID, Status   string
					Date         struct{ Label string }
					Participants struct{ Nodes []struct{ Role string } }
					Initiatives  struct{ Nodes []struct{ Slug string } }
				}
			}
		}
		c.mustQuery(`mutation($org: ID!, $ban: ID!, $waci: ID!) { recordMeeting(input: {slug: "waci-review-2009-06", title: "WACI review",
			kind: WORKING_LEVEL_DISCUSSIONS, date: {date: "2009-06-15", precision: MONTH}, organizerId: $org, initiativeIds: [$waci],
			participants: [{personId: $ban, organizationId: $org, role: CHAIR}, {organizationId: $org, role: HOST}]}) {
			meeting { id status date { label } participants { nodes { role } } initiatives { nodes { slug } } } } }`,
			map[string]any{"org": dpko, "ban": ban, "waci": waci}, &m)
		got := m.RecordMeeting.Meeting
		if got.Status != "HELD" || got.Date.Label != "June 2009" || len(got.Participants.Nodes) != 2 ||
			len(got.Initiatives.Nodes) != 1 || got.Initiatives.Nodes[0].Slug != "west-africa-coast-initiative" {
			t.Errorf("recorded meeting = %+v", got)
		}
		c.mustQuery(`mutation($src: ID!, $m: ID!) { addCitation(input: {sourceId: $src, subjectId: $m, field: "initiatives",
			excerpt: "West Africa Coast Initiative"}) { citation { id } } }`, map[string]any{"src": article, "m": got.ID}, &struct{}{})
		c.mustFail(`mutation($src: ID!, $m: ID!) { addCitation(input: {sourceId: $src, subjectId: $m, excerpt: "words the article never says"}) {
			citation { id } } }`, map[string]any{"src": article, "m": got.ID}, "BAD_USER_INPUT")

		var p struct {
			AddPartnership struct {
				Partnership struct {
					Role         string
					Version      int
					ID           string
					Organization struct{ Acronym string }
				}
			}
		}
		c.mustQuery(`mutation($i: ID!, $o: ID!) { addPartnership(input: {initiativeId: $i, organizationId: $o, role: FUNDING, status: PROPOSED}) {
			partnership { id role version organization { acronym } } } }`, map[string]any{"i": waci, "o": gid(t, c, "organization", "un-secretariat")}, &p)
		c.mustQuery(`mutation($id: ID!) { removePartnership(id: $id, expectedVersion: 1) { removedId } }`,
			map[string]any{"id": p.AddPartnership.Partnership.ID}, &struct{}{})

		adminTok, _ := mustToken(t, store, models.RoleAdmin, nil, nil)
		var log struct {
			AuditLog struct {
				Nodes []struct{ Action, EntityType string }
			}
		}
		c.as(adminTok).mustQuery(`{ auditLog(first: 20, filter: {not: {entityType: {eq: "ApiToken"}}}) { nodes { action entityType } } }`, nil, &log)
		var kinds []string
		for _, e := range log.AuditLog.Nodes {
			kinds = append(kinds, e.Action+" "+e.EntityType)
		}
		want := []string{"DELETE Partnership", "CREATE Partnership", "CREATE Citation", "CREATE Participant", "CREATE Participant", "CREATE Meeting"}
		if !slices.Equal(kinds, want) {
			t.Errorf("audit log = %v, want %v", kinds, want)
		}
	})
}
