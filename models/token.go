package models

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

// APIToken is a credential for a service or script. Its secret is shown
// once, at creation; only its SHA-256 hash is stored, which is safe for a
// secret of 256 random bits.
type APIToken struct {
	ID        uint
	Name      string
	TokenHash string
	Role      Role
	CreatedBy string
	ExpiresAt *time.Time
	RevokedAt *time.Time
	Version   int
	CreatedAt time.Time
	UpdatedAt time.Time
}

// TableName names APIToken's table.
func (APIToken) TableName() string { return "api_tokens" }

// IsNode marks APIToken as a GraphQL Node.
func (APIToken) IsNode() {}

// IsActive reports whether the token works now.
func (t *APIToken) IsActive() bool {
	return t.RevokedAt == nil && (t.ExpiresAt == nil || t.ExpiresAt.After(time.Now()))
}

var apiTokens = define[APIToken]("ApiToken", "api_tokens", map[string]string{
	"id": "ID", "name": "Name", "revokedAt": "RevokedAt", "createdAt": "CreatedAt",
}, "-createdAt")

// APITokenConnection is a page of API tokens.
type APITokenConnection = Connection[APIToken]

// APITokenEdge is an API token in a page.
type APITokenEdge = Edge[APIToken]

// tokenPrefix starts every API token, so that it is told from a JWT at a
// glance and found by secret scanners.
const tokenPrefix = "trk_"

// hashToken returns the stored form of a token's secret.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// IsAPIToken reports whether a bearer credential looks like an API token
// rather than a JWT.
func IsAPIToken(credential string) bool { return strings.HasPrefix(credential, tokenPrefix) }

// NewTokenSpec describes a token to issue.
type NewTokenSpec struct {
	Name          string
	Role          Role
	Organizations []uint
	ExpiresAt     *time.Time
}

// CreateAPIToken issues a token and returns its secret, which is not kept.
// Only admins may issue tokens; the command line issues them as the
// operator, with a system caller in ctx.
func (s *Store) CreateAPIToken(ctx context.Context, spec NewTokenSpec) (string, *APIToken, error) {
	u, err := requireRole(ctx, RoleAdmin)
	if err != nil {
		return "", nil, err
	}
	switch {
	case strings.TrimSpace(spec.Name) == "" || len(spec.Name) > 200:
		return "", nil, invalid("input.name", "a token needs a name of 1 to 200 characters")
	case !spec.Role.IsValid():
		return "", nil, invalid("input.role", "unknown role %q", spec.Role)
	case spec.Role == RoleOfficer && len(spec.Organizations) == 0:
		return "", nil, invalid("input.organizationIds", "an OFFICER token needs at least one organization")
	case spec.Role != RoleOfficer && len(spec.Organizations) > 0:
		return "", nil, invalid("input.organizationIds", "only OFFICER tokens are scoped to organizations")
	case spec.ExpiresAt != nil && !spec.ExpiresAt.After(time.Now()):
		return "", nil, invalid("input.expiresAt", "the expiry must be in the future")
	}
	if spec.ExpiresAt, err = u.capExpiry(spec.ExpiresAt); err != nil {
		return "", nil, err
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return "", nil, fmt.Errorf("token secret: %w", err)
	}
	token := tokenPrefix + base64.RawURLEncoding.EncodeToString(secret)
	t := &APIToken{Name: strings.TrimSpace(spec.Name), TokenHash: hashToken(token), Role: spec.Role, CreatedBy: u.Subject,
		ExpiresAt: spec.ExpiresAt, Version: 1}
	if t.ExpiresAt != nil {
		e := t.ExpiresAt.UTC().Truncate(time.Microsecond)
		t.ExpiresAt = &e
	}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.mustExist(ctx, tx, "organizations", "input.organizationIds", spec.Organizations...); err != nil {
			return err
		}
		if err := tx.Create(t).Error; err != nil {
			return dbError(err, "API token")
		}
		for _, org := range spec.Organizations {
			if err := tx.Exec("INSERT INTO api_token_organizations (api_token_id, organization_id) VALUES (?, ?)", t.ID, org).Error; err != nil {
				return dbError(err, "API token")
			}
		}
		return s.audit(ctx, tx, change{action: AuditActionCreate, entityType: "ApiToken", entityID: t.ID, after: t})
	})
	err = dbError(err, "API token")
	s.writes.noteWrite(err)
	if err != nil {
		return "", nil, err
	}
	return token, t, nil
}

// capExpiry returns the expiry of a token u issues: a credential that
// expires may not issue one that outlives it, so that a short-lived JWT (or
// API token) cannot be turned into a permanent one. Without an expiry asked
// for, the token expires with u's credential; a later one is refused.
func (u *User) capExpiry(asked *time.Time) (*time.Time, error) {
	switch {
	case u.ExpiresAt == nil:
		return asked, nil
	case asked == nil:
		e := *u.ExpiresAt
		return &e, nil
	case asked.After(*u.ExpiresAt):
		return nil, invalid("input.expiresAt", "a token may not outlive the credential that issues it, which expires at %s",
			u.ExpiresAt.UTC().Format(time.RFC3339))
	}
	return asked, nil
}

// RevokeAPIToken revokes a token at once. Only admins may.
func (s *Store) RevokeAPIToken(ctx context.Context, gid GlobalID) (*APIToken, error) {
	if _, err := requireRole(ctx, RoleAdmin); err != nil {
		return nil, err
	}
	id, err := gid.As("ApiToken")
	if err != nil {
		return nil, err
	}
	var t APIToken
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.lock(tx).First(&t, id).Error; err != nil {
			return dbError(err, "API token")
		}
		if t.RevokedAt != nil {
			return Errorf(CodeConflict, "the token was already revoked")
		}
		before := t
		now := s.now()
		t.RevokedAt, t.UpdatedAt, t.Version = &now, now, t.Version+1
		if err := tx.Select("revoked_at", "updated_at", "version").Save(&t).Error; err != nil {
			return dbError(err, "API token")
		}
		return s.audit(ctx, tx, change{action: AuditActionRevoke, entityType: "ApiToken", entityID: t.ID, before: &before, after: &t})
	})
	err = dbError(err, "API token")
	s.writes.noteWrite(err)
	if err != nil {
		return nil, err
	}
	s.tokens.forget()
	return &t, nil
}

// AuthenticateToken returns the caller an API token stands for, or an
// UNAUTHENTICATED error if it is unknown, revoked or expired. It says the
// same in every case, so as not to help guessing. A token that worked is
// remembered for tokenCacheTTL, so that a busy database does not hold up
// every request that carries one; see tokenCache.
func (s *Store) AuthenticateToken(ctx context.Context, token string) (*User, error) {
	hash := hashToken(token)
	if u, ok := s.tokens.get(hash); ok {
		return u, nil
	}
	gen := s.tokens.generation.Load()
	u, expiresAt, err := s.lookupToken(ctx, hash)
	if err != nil {
		return nil, err
	}
	s.tokens.put(hash, u, expiresAt, gen)
	return u, nil
}

// lookupToken finds an active token by the hash of its secret, and
// returns its caller and expiry.
func (s *Store) lookupToken(ctx context.Context, hash string) (*User, *time.Time, error) {
	// From the primary: a replica behind it would not know a token just
	// made, and would still accept one just revoked.
	ctx = FromPrimary(ctx)
	var t APIToken
	err := s.db.WithContext(ctx).Where("token_hash = ?", hash).First(&t).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		return nil, nil, Errorf(CodeUnauthenticated, "invalid, expired or revoked token")
	case err != nil:
		return nil, nil, dbError(err, "API token")
	case !t.IsActive():
		return nil, nil, Errorf(CodeUnauthenticated, "invalid, expired or revoked token")
	}
	u := &User{Subject: tokenSubjectPrefix + strconv.FormatUint(uint64(t.ID), 10), Name: t.Name, Role: t.Role,
		TokenID: &t.ID, AuthenticatedBy: AuthenticationMethodAPIToken, ExpiresAt: t.ExpiresAt}
	if t.Role == RoleOfficer {
		if err := s.db.WithContext(ctx).Raw("SELECT organization_id FROM api_token_organizations WHERE api_token_id = ? ORDER BY organization_id",
			t.ID).Scan(&u.Organizations).Error; err != nil {
			return nil, nil, dbError(err, "API token")
		}
	}
	return u, t.ExpiresAt, nil
}

// TokenOrganizations returns the organizations of each token's scope.
func (s *Store) TokenOrganizations(ctx context.Context, ids []uint) (map[uint][]*Organization, error) {
	q := s.builder()
	q.write("SELECT a.*, t.api_token_id AS rel_parent, 0 AS rel_rank FROM api_token_organizations t JOIN organizations a ON a.id = t.organization_id WHERE ")
	q.inIDs("t.api_token_id", ids)
	q.write(" ORDER BY t.api_token_id, a.id")
	var rows []ranked[Organization]
	if err := s.scanAll(ctx, q, &rows); err != nil {
		return nil, dbError(err, "API token organizations")
	}
	return byParent(ids, rows), nil
}

// APITokens returns a page of the API tokens issued. Only admins may read
// them; their secrets are never stored.
func (s *Store) APITokens(ctx context.Context, page Page, filter *APITokenFilter, orderBy []*APITokenOrder) (*APITokenConnection, error) {
	if _, err := requireRole(ctx, RoleAdmin); err != nil {
		return nil, err
	}
	return List[APIToken](ctx, s, page, filter, orderBy)
}
