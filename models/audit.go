package models

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"

	"gorm.io/gorm"
)

// AuditEntry is one change made through the API: who made it, to what, the
// fields before and after, when, and in which request. Entries are written
// in the transaction of the change and never altered.
type AuditEntry struct {
	ID           uint
	OccurredAt   time.Time
	RequestID    string
	ActorSubject string
	ActorName    string
	ActorRole    Role
	ActorTokenID *uint
	Action       AuditAction
	EntityType   string
	EntityID     uint
	ChangesJSON  string `gorm:"column:changes"`
	Note         *string
	FromStatus   *ActionItemStatus
	ToStatus     *ActionItemStatus
}

// TableName names AuditEntry's table.
func (AuditEntry) TableName() string { return "audit_log" }

// IsNode marks AuditEntry as a GraphQL Node.
func (AuditEntry) IsNode() {}

// Who may see who made a change: the actor's identity (subject, name and
// API token) and the request ID — which ties the change to the server's
// logs and to the caller's other requests — are shown to admins, who may
// read the whole audit log anyway, and to the actor themself. Everyone else
// (viewers, anonymous readers, other officers) sees the role the change was
// made with and the change, not who made it. Officers of the item's
// organization are not let in: who did what is personal data on a need to
// know, an admin can tell them, and the rule stays one a reader can check
// without a scope query per entry.

// RevealsActor reports whether the caller of ctx may see who made e and in
// which request.
func (e *AuditEntry) RevealsActor(ctx context.Context) bool {
	u := UserFrom(ctx)
	return u.Has(RoleAdmin) || (u != nil && u.Subject == e.ActorSubject)
}

// Actor returns who made the change, as far as the caller of ctx may see
// it (see RevealsActor): always the role, the identity only when revealed.
func (e *AuditEntry) Actor(ctx context.Context) *Actor {
	a := &Actor{Role: e.ActorRole}
	if !e.RevealsActor(ctx) {
		return a
	}
	a.Subject, a.Name = &e.ActorSubject, &e.ActorName
	if e.ActorTokenID != nil {
		id := NewGlobalID("ApiToken", *e.ActorTokenID)
		a.TokenID = &id
	}
	return a
}

// VisibleRequestID returns the ID of the request that made the change when
// the caller of ctx may see it (see RevealsActor), and nil otherwise.
func (e *AuditEntry) VisibleRequestID(ctx context.Context) *string {
	if !e.RevealsActor(ctx) {
		return nil
	}
	return &e.RequestID
}

// Authorize refuses, with FORBIDDEN, a filter on who made a change or in
// which request to callers who may not see those (all but admins): the
// rows such a filter keeps would reveal what the entries hide.
func (f *AuditEntryFilter) Authorize(ctx context.Context) error {
	if f == nil || UserFrom(ctx).Has(RoleAdmin) {
		return nil
	}
	if f.ActorSubject != nil || f.RequestID != nil {
		return Errorf(CodeForbidden, "only admins may filter changes by actorSubject or requestId")
	}
	if err := f.Not.Authorize(ctx); err != nil {
		return err
	}
	for _, g := range append(append([]*AuditEntryFilter{}, f.And...), f.Or...) {
		if err := g.Authorize(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Changes returns the fields changed with their values before and after.
func (e *AuditEntry) Changes() ([]*FieldChange, error) {
	var stored []storedChange
	if err := json.Unmarshal([]byte(e.ChangesJSON), &stored); err != nil {
		return nil, fmt.Errorf("audit entry %d changes: %w", e.ID, err)
	}
	out := make([]*FieldChange, len(stored))
	for i, c := range stored {
		out[i] = &FieldChange{Field: c.Field, Before: c.Before.value(), After: c.After.value()}
	}
	return out, nil
}

// storedChange is a FieldChange as the audit log's changes column holds
// it: each value as JSON text in a JSON string. The column keeps the form
// its first entries were written in, so that every entry reads the same.
type storedChange struct {
	Field  string    `json:"field"`
	Before *jsonText `json:"before,omitempty"`
	After  *jsonText `json:"after,omitempty"`
}

// jsonText is a value encoded as JSON text.
type jsonText string

// value returns t as a JSON value, or null for nil or text that is not
// JSON (which the log never holds).
func (t *jsonText) value() JSON {
	if t == nil || !json.Valid([]byte(*t)) {
		return nil
	}
	return JSON(*t)
}

// EntityGlobalID returns the global ID of the object changed.
func (e *AuditEntry) EntityGlobalID() GlobalID { return NewGlobalID(e.EntityType, e.EntityID) }

var auditLog = define[AuditEntry]("AuditEntry", "audit_log", map[string]string{
	"id": "ID", "occurredAt": "OccurredAt", "action": "Action", "entityType": "EntityType",
	"actorSubject": "ActorSubject", "requestId": "RequestID",
}, "-id")

// AuditEntryConnection is a page of audit entries.
type AuditEntryConnection = Connection[AuditEntry]

// AuditEntryEdge is an audit entry in a page.
type AuditEntryEdge = Edge[AuditEntry]

// change describes one change for the audit log.
type change struct {
	action     AuditAction
	entityType string
	entityID   uint
	before     any // the object before, nil for a creation
	after      any // the object after, nil for a removal
	note       *string
	from, to   *ActionItemStatus
}

// audit writes c to the audit log within tx, as made by the caller of ctx.
func (s *Store) audit(ctx context.Context, tx *gorm.DB, c change) error {
	u := UserFrom(ctx)
	if u == nil {
		return fmt.Errorf("audit: no caller") // writes require a caller: a bug
	}
	changes, err := json.Marshal(diff(c.before, c.after))
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	e := AuditEntry{OccurredAt: s.now(), RequestID: RequestID(ctx), ActorSubject: u.Subject, ActorName: u.Name,
		ActorRole: u.Role, ActorTokenID: u.TokenID, Action: c.action, EntityType: c.entityType, EntityID: c.entityID,
		ChangesJSON: string(changes), Note: c.note, FromStatus: c.from, ToStatus: c.to}
	if err := tx.Create(&e).Error; err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return s.publishAudited(tx, c, e.ID)
}

// unaudited are the fields left out of change lists: bookkeeping, and a
// token's hash, which is kept out of every log.
var unaudited = map[string]bool{"ID": true, "Version": true, "CreatedAt": true, "UpdatedAt": true, "TokenHash": true}

// diff lists the fields that differ between before and after (structs of
// the same type, or nil), with their values as JSON.
func diff(before, after any) []storedChange {
	b, a := reflect.ValueOf(before), reflect.ValueOf(after)
	var typ reflect.Type
	if b.IsValid() && !b.IsNil() {
		typ = b.Type().Elem()
	} else {
		typ = a.Type().Elem()
	}
	out := []storedChange{}
	for i := range typ.NumField() {
		f := typ.Field(i)
		if unaudited[f.Name] {
			continue
		}
		bv, av := jsonField(b, i), jsonField(a, i)
		if (bv == nil) != (av == nil) || (bv != nil && *bv != *av) {
			out = append(out, storedChange{Field: lowerFirst(strings.TrimSuffix(f.Name, "JSON")), Before: bv, After: av})
		}
	}
	return out
}

// jsonField returns field i of the struct *v as JSON, or nil when v is nil
// or the field is nil or empty.
func jsonField(v reflect.Value, i int) *jsonText {
	if !v.IsValid() || v.IsNil() {
		return nil
	}
	f := v.Elem().Field(i)
	if f.IsZero() {
		return nil
	}
	raw := f.Interface()
	if d, ok := raw.(Date); ok {
		raw = d.String()
	}
	if d, ok := raw.(*Date); ok {
		raw = d.String()
	}
	b, err := json.Marshal(raw)
	if err != nil {
		return nil
	}
	t := jsonText(b)
	return &t
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	// Initialisms such as ID stay whole: OrganizationID → organizationID.
	return strings.ToLower(s[:1]) + s[1:]
}

// AuditLog returns a page of the audit log. Only admins may read it.
func (s *Store) AuditLog(ctx context.Context, page Page, filter *AuditEntryFilter, orderBy []*AuditEntryOrder) (*AuditEntryConnection, error) {
	if _, err := requireRole(ctx, RoleAdmin); err != nil {
		return nil, err
	}
	return List[AuditEntry](ctx, s, page, filter, orderBy)
}
