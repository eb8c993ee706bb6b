package models

import (
	"context"
	"slices"
	"time"

	"gorm.io/gorm"
)

// User is the caller of a request, as its credentials establish it. A nil
// *User is an anonymous reader.
type User struct {
	// Subject names the caller in one namespace per kind of credential, so
	// that no credential can pass for another: "jwt:<sub>" for an identity
	// provider's user, "token:<id>" for an API token, "cli" for the
	// operator at the command line.
	Subject         string
	Name            string
	Role            Role
	Organizations   []uint // an officer's scope; their sub-organizations are included
	TokenID         *uint  // the API token used, if any
	AuthenticatedBy AuthenticationMethod
	// ExpiresAt is when the credential stops working; nil for one that
	// does not expire. Tokens it issues may not outlive it.
	ExpiresAt *time.Time
}

// Subject prefixes: the namespaces of User.Subject.
const (
	jwtSubjectPrefix   = "jwt:"
	tokenSubjectPrefix = "token:"
)

// JWTUser returns the caller an identity provider's token stands for. Its
// subject is namespaced, so that a JWT whose sub claim is "token:1" is
// recorded as "jwt:token:1", never as API token 1.
func JWTUser(subject, name string, role Role, expires time.Time) *User {
	return &User{Subject: jwtSubjectPrefix + subject, Name: name, Role: role,
		AuthenticatedBy: AuthenticationMethodJwt, ExpiresAt: &expires}
}

// roleRank orders the roles: each includes the ones before it.
var roleRank = map[Role]int{RoleViewer: 1, RoleOfficer: 2, RoleAdmin: 3}

// Has reports whether u holds at least role r.
func (u *User) Has(r Role) bool {
	return u != nil && roleRank[u.Role] >= roleRank[r]
}

type userKey struct{}

// WithUser returns a context carrying the caller u.
func WithUser(ctx context.Context, u *User) context.Context {
	return context.WithValue(ctx, userKey{}, u)
}

// UserFrom returns the caller of a request, or nil for an anonymous one.
func UserFrom(ctx context.Context) *User {
	u, _ := ctx.Value(userKey{}).(*User)
	return u
}

type requestIDKey struct{}

// WithRequestID returns a context carrying the ID of the current request,
// which the audit log records.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the ID of the current request, or "" outside one.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// requireRole fails with UNAUTHENTICATED for anonymous callers and FORBIDDEN
// for callers without role r: the store checks roles again below the
// schema's @hasRole directive.
func requireRole(ctx context.Context, r Role) (*User, error) {
	u := UserFrom(ctx)
	switch {
	case u == nil:
		return nil, Errorf(CodeUnauthenticated, "sign in to make changes")
	case !u.Has(r):
		return nil, Errorf(CodeForbidden, "your role (%s) may not do this", u.Role)
	}
	return u, nil
}

// forbidden is the error for a change the caller may not make, or for an
// object an officer may not see changed: it says the same whether or not
// the object exists.
func forbidden(what string) *Error {
	return Errorf(CodeForbidden, "you may not change this %s", what)
}

// inScope reports whether u may change what belongs to any of orgs: admins
// may change everything; officers what belongs to the organizations of their
// scope or to their sub-organizations. It reads through tx: within a write,
// everything goes through its transaction.
func (s *Store) inScope(ctx context.Context, tx *gorm.DB, u *User, orgs ...uint) (bool, error) {
	if u.Has(RoleAdmin) {
		return true, nil
	}
	if !u.Has(RoleOfficer) || len(u.Organizations) == 0 || len(orgs) == 0 {
		return false, nil
	}
	// Walk up from each organization to the top; any step in the scope
	// puts it in.
	q := s.builder()
	q.write(`WITH RECURSIVE up (id, parent_id, depth) AS (
		SELECT o.id, o.parent_id, 0 FROM organizations o WHERE `)
	q.inIDs("o.id", orgs)
	q.write(` UNION ALL
		SELECT o.id, o.parent_id, up.depth + 1 FROM organizations o JOIN up ON o.id = up.parent_id WHERE up.depth < 32)
		SELECT id FROM up`)
	var chain []uint
	if err := tx.WithContext(ctx).Raw(q.sql.String(), q.args...).Scan(&chain).Error; err != nil {
		return false, dbError(err, "organizations")
	}
	for _, id := range chain {
		if slices.Contains(u.Organizations, id) {
			return true, nil
		}
	}
	return false, nil
}
