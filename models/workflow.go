package models

import (
	"context"
	"strings"

	"gorm.io/gorm"
)

// move is one step of the action-item workflow.
type move struct {
	to        ActionItemStatus
	needsNote bool
}

// workflow is the action-item workflow, in one place: for each status, the
// statuses it may move to and whether the move needs a note. Work starts,
// finishes, or gets blocked (say why); blocked work resumes; finished work
// may be reopened (say why); open work may be cancelled (say why), which is
// final.
var workflow = map[ActionItemStatus][]move{
	ActionItemStatusNotStarted: {{ActionItemStatusInProgress, false}, {ActionItemStatusBlocked, true}, {ActionItemStatusCancelled, true}},
	ActionItemStatusInProgress: {{ActionItemStatusDone, false}, {ActionItemStatusBlocked, true}, {ActionItemStatusCancelled, true}},
	ActionItemStatusBlocked:    {{ActionItemStatusInProgress, false}, {ActionItemStatusCancelled, true}},
	ActionItemStatusDone:       {{ActionItemStatusInProgress, true}},
	ActionItemStatusCancelled:  nil,
}

// NextStatuses returns the statuses the item may move to next.
func (a *ActionItem) NextStatuses() []ActionItemStatus {
	out := []ActionItemStatus{}
	for _, m := range workflow[a.Status] {
		out = append(out, m.to)
	}
	return out
}

// checkMove validates a status change from → to with note, returning a
// BAD_USER_INPUT error that lists the allowed statuses when the workflow
// does not allow it.
func checkMove(from, to ActionItemStatus, note string) error {
	for _, m := range workflow[from] {
		if m.to != to {
			continue
		}
		if m.needsNote && note == "" {
			return invalid("input.note", "a note is required to move an action item from %s to %s", from, to)
		}
		return nil
	}
	allowed := []string{}
	for _, m := range workflow[from] {
		allowed = append(allowed, string(m.to))
	}
	msg := "no move is allowed from " + string(from) + ": it is final"
	if len(allowed) > 0 {
		msg = "from " + string(from) + " an action item may move to " + strings.Join(allowed, ", ")
	}
	e := invalid("input.status", "an action item cannot move from %s to %s; %s", from, to, msg)
	e.Details = map[string]any{"allowed": allowed}
	return e
}

// UpdateActionItemStatus moves an action item, at version in.ExpectedVersion,
// to another status along the workflow, recording the move and its note in
// the item's history.
func (s *Store) UpdateActionItemStatus(ctx context.Context, in UpdateActionItemStatusInput) (*ActionItem, error) {
	id, err := in.ID.As("ActionItem")
	if err != nil {
		return nil, invalid("input.id", "%s", ErrorMessage(err))
	}
	if !in.Status.IsValid() {
		return nil, invalid("input.status", "unknown status %q", in.Status)
	}
	note, err := optText("input.note", in.Note, 2000)
	if err != nil {
		return nil, err
	}
	var a *ActionItem
	err = s.write(ctx, RoleOfficer, func(tx *gorm.DB, u *User) error {
		var err error
		if a, err = loadVersioned(ctx, s, tx, id, in.ExpectedVersion, func(a *ActionItem) (bool, error) {
			return s.inScope(ctx, tx, u, a.OwnerOrganizationID)
		}); err != nil {
			return err
		}
		if err := checkMove(a.Status, in.Status, note); err != nil {
			return err
		}
		before := *a
		a.Status = in.Status
		if err := saveVersioned(s, tx, a, in.ExpectedVersion); err != nil {
			return err
		}
		c := change{action: AuditActionStatusChange, entityType: "ActionItem", entityID: a.ID, before: &before, after: a,
			from: &before.Status, to: &a.Status}
		if note != "" {
			c.note = &note
		}
		return s.audit(ctx, tx, c)
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}
