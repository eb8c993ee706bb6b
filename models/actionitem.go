package models

import (
	"context"
	"reflect"
	"time"
)

// ActionItem is a commitment or task owned by one organization, usually part
// of an initiative and decided at a meeting, carried out through its
// contributors. Version counts its changes, for optimistic concurrency.
type ActionItem struct {
	ID                  uint
	Slug                string
	Title               string
	Description         string
	Status              ActionItemStatus
	InitiativeID        *uint
	OwnerOrganizationID uint
	MeetingID           *uint
	DueOn               *Date
	DuePrecision        *DatePrecision
	Version             int
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

// IsNode marks ActionItem as a GraphQL Node.
func (ActionItem) IsNode() {}

// IsCited marks ActionItem as backed by citations.
func (ActionItem) IsCited() {}

// Due returns when the item is due, if a date was set.
func (a *ActionItem) Due() *PartialDate { return newPartialDate(a.DueOn, a.DuePrecision) }

// IsOpen reports whether work on the item may still happen.
func (a *ActionItem) IsOpen() bool {
	return a.Status != ActionItemStatusDone && a.Status != ActionItemStatusCancelled
}

// IsOverdue reports whether the last day of the item's due period has passed
// while it is still open.
func (a *ActionItem) IsOverdue() bool {
	due := a.Due()
	return due != nil && a.IsOpen() && due.End().Time().Before(today())
}

// today returns the current UTC date at midnight.
func today() time.Time {
	y, m, d := time.Now().UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

var actionItems = define[ActionItem]("ActionItem", "action_items", map[string]string{
	"id": "ID", "slug": "Slug", "title": "Title", "status": "Status", "due": "DueOn",
	"createdAt": "CreatedAt", "updatedAt": "UpdatedAt",
}, "due")

// overdueFilter writes the isOverdue filter: the due period ended before
// today and the item is open. A period's end is before today exactly when its
// first day is before the first day of today's period of the same precision.
func overdueFilter(q *sqlBuilder, alias string, v reflect.Value) error {
	t := today()
	overdue := func() {
		q.write("(", alias, ".status NOT IN ('DONE', 'CANCELLED') AND ", alias, ".due_on < CASE ", alias, ".due_precision WHEN 'YEAR' THEN ")
		q.dateArg(NewDate(t.Year(), time.January, 1))
		q.write(" WHEN 'MONTH' THEN ")
		q.dateArg(NewDate(t.Year(), t.Month(), 1))
		q.write(" ELSE ")
		q.dateArg(NewDate(t.Date()))
		q.write(" END)")
	}
	if v.Elem().Bool() {
		overdue()
		return nil
	}
	q.write("NOT COALESCE(")
	overdue()
	q.write(", FALSE)")
	return nil
}

// ActionItemConnection is a page of action items.
type ActionItemConnection = Connection[ActionItem]

// ActionItemEdge is an action item in a page.
type ActionItemEdge = Edge[ActionItem]

// FindActionItemBySlug returns the action item with the given slug.
func (s *Store) FindActionItemBySlug(ctx context.Context, slug string) (*ActionItem, error) {
	return findBy[ActionItem](ctx, s, "slug", slug)
}
