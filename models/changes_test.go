package models_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"tracker/models"
	"tracker/models/modelstest"
)

// TestChangeEventsOfEveryEntity checks that audited writes of entities
// other than action items publish their events too, after the commit,
// naming the entity and the tables the write may have touched; and that a
// write refused publishes nothing.
func TestChangeEventsOfEveryEntity(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, d models.Dialect) {
		store := modelstest.NewStore(t, d)
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
		defer cancel()
		events, err := store.Changes().Subscribe(ctx)
		if err != nil {
			t.Fatal(err)
		}
		admin := models.WithUser(ctx, &models.User{Subject: "cli", Name: "test", Role: models.RoleAdmin})
		org, err := store.CreateOrganization(admin, models.NewOrganization{Slug: "acme", Name: "Acme", Kind: models.OrganizationKindDivision})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := store.CreateOrganization(admin, models.NewOrganization{Slug: "acme", Name: "Acme again", Kind: models.OrganizationKindDivision}); err == nil {
			t.Fatal("a duplicate slug was accepted")
		}
		src, err := store.CreateSource(admin, models.NewSource{Slug: "report", Kind: models.SourceKindReport, Title: "A report"})
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []struct {
			entity string
			id     uint
			table  string
		}{{"Organization", org.ID, "organizations"}, {"Source", src.ID, "sources"}} {
			var ev models.Change
			select {
			case ev = <-events:
			case <-ctx.Done():
				t.Fatalf("no event for the %s", want.entity)
			}
			if ev.Entity != want.entity || ev.ID != want.id || ev.Kind != models.ActionItemChangeKindCreated || ev.AuditEntryID == 0 ||
				!slices.Contains(ev.Tables, want.table) || !slices.Contains(ev.Tables, "audit_log") {
				t.Errorf("event = %+v, want a CREATED of %s %d touching %s and audit_log", ev, want.entity, want.id, want.table)
			}
			if ev.Touches(map[string]bool{"statistics": true}) {
				t.Errorf("event %+v touches statistics", ev)
			}
		}
		select {
		case ev := <-events:
			t.Errorf("unexpected event %+v", ev)
		case <-time.After(200 * time.Millisecond):
		}
	})
}

// TestChangeTablesOfReads checks what live queries learn of the tables a
// field reads: a relation through a join table reads both tables, a
// relation filter reads the tables it follows, and a search may read any.
func TestChangeTablesOfReads(t *testing.T) {
	if got := models.TypeTables("Meeting"); !slices.Equal(got, []string{"meetings"}) {
		t.Errorf("TypeTables(Meeting) = %v", got)
	}
	if got, all := models.FieldTables("Initiative", "meetings"); all || !slices.Equal(got, []string{"meetings", "meeting_initiatives"}) {
		t.Errorf("FieldTables(Initiative.meetings) = %v, %v", got, all)
	}
	if _, all := models.FieldTables("Query", "search"); !all {
		t.Error("a search does not read every table")
	}
	filter := map[string]any{"or": []any{map[string]any{"partnerships": map[string]any{"some": map[string]any{"organization": map[string]any{"acronym": map[string]any{"eq": "AU"}}}}}}}
	got := models.FilterTables("Initiative", filter)
	slices.Sort(got)
	if !slices.Equal(got, []string{"organizations", "partnerships"}) {
		t.Errorf("FilterTables = %v", got)
	}
}
