package models

import (
	"context"
	"reflect"
	"time"

	"gorm.io/gorm"
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
}, "due").
	derives("due", "DueOn", "DuePrecision").
	derives("isOverdue", "DueOn", "DuePrecision", "Status").
	derives("nextStatuses", "Status")

// isOverdue is a filter field with no column of its own.
func init() { actionItems.specials["isOverdue"] = overdueFilter }

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
	return findBy[ActionItem](ctx, s, "slug", canonicalSlug(slug))
}

// CreateActionItem validates in and creates the action item, NOT_STARTED.
// Officers must be scoped to its owner.
func (s *Store) CreateActionItem(ctx context.Context, in NewActionItem) (*ActionItem, error) {
	a := &ActionItem{Slug: in.Slug, Status: ActionItemStatusNotStarted}
	var err error
	if a.Slug, err = slugKey("input.slug", in.Slug); err != nil {
		return nil, err
	}
	if a.Title, err = checkText("input.title", in.Title, 1, maxName); err != nil {
		return nil, err
	}
	if a.Description, err = optText("input.description", in.Description, maxText); err != nil {
		return nil, err
	}
	owner, err := idAs("input.ownerId", &in.OwnerID, "Organization")
	if err != nil {
		return nil, err
	}
	a.OwnerOrganizationID = *owner
	if a.InitiativeID, err = idAs("input.initiativeId", in.InitiativeID, "Initiative"); err != nil {
		return nil, err
	}
	if a.MeetingID, err = idAs("input.meetingId", in.MeetingID, "Meeting"); err != nil {
		return nil, err
	}
	if a.DueOn, a.DuePrecision, err = partialDate("input.due", in.Due); err != nil {
		return nil, err
	}
	contributors, err := idsAs("input.contributorIds", in.ContributorIds, "Organization")
	if err != nil {
		return nil, err
	}
	err = s.write(ctx, RoleOfficer, func(tx *gorm.DB, u *User) error {
		if err := s.mustExist(ctx, tx, "organizations", "input.ownerId", a.OwnerOrganizationID); err != nil {
			return err
		}
		if err := s.mustExist(ctx, tx, "organizations", "input.contributorIds", contributors...); err != nil {
			return err
		}
		if a.InitiativeID != nil {
			if err := s.mustExist(ctx, tx, "initiatives", "input.initiativeId", *a.InitiativeID); err != nil {
				return err
			}
		}
		if a.MeetingID != nil {
			if err := s.mustExist(ctx, tx, "meetings", "input.meetingId", *a.MeetingID); err != nil {
				return err
			}
		}
		if ok, err := s.inScope(ctx, tx, u, a.OwnerOrganizationID); err != nil || !ok {
			if err != nil {
				return err
			}
			return Errorf(CodeForbidden, "you may create action items only for an owner of your scope")
		}
		if err := insert(tx, a); err != nil {
			return err
		}
		for _, c := range contributors {
			if err := tx.Exec("INSERT INTO action_item_contributors (action_item_id, organization_id) VALUES (?, ?) ON CONFLICT DO NOTHING", a.ID, c).Error; err != nil {
				return dbError(err, "contributors")
			}
		}
		return s.audit(ctx, tx, change{action: AuditActionCreate, entityType: "ActionItem", entityID: a.ID, after: a})
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// UpdateActionItem applies the fields set in in — not the status, which
// moves through UpdateActionItemStatus — to the action item id, which must
// be at in.ExpectedVersion.
func (s *Store) UpdateActionItem(ctx context.Context, id GlobalID, in ActionItemUpdate) (*ActionItem, error) {
	aid, err := id.As("ActionItem")
	if err != nil {
		return nil, err
	}
	var a *ActionItem
	err = s.write(ctx, RoleOfficer, func(tx *gorm.DB, u *User) error {
		var err error
		if a, err = loadVersioned(ctx, s, tx, aid, in.ExpectedVersion, func(a *ActionItem) (bool, error) {
			return s.inScope(ctx, tx, u, a.OwnerOrganizationID)
		}); err != nil {
			return err
		}
		before := *a
		if in.Title != nil {
			if a.Title, err = checkText("input.title", *in.Title, 1, maxName); err != nil {
				return err
			}
		}
		if in.Description != nil {
			if a.Description, err = optText("input.description", in.Description, maxText); err != nil {
				return err
			}
		}
		if in.Due != nil {
			if a.DueOn, a.DuePrecision, err = partialDate("input.due", in.Due); err != nil {
				return err
			}
		}
		if err := saveVersioned(s, tx, a, in.ExpectedVersion); err != nil {
			return err
		}
		return s.audit(ctx, tx, change{action: AuditActionUpdate, entityType: "ActionItem", entityID: a.ID, before: &before, after: a})
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}
