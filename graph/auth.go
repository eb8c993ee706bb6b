package graph

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/lestrrat-go/httprc/v3"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jwt"

	"tracker/models"
)

// Authentication: a request carries a bearer credential — an API token
// (trk_…) or a JWT from the identity provider — or none. The middleware
// turns it into a *models.User in the request's context. Authorization is
// declared in the schema (@hasRole) and enforced again by the store.

// AuthOptions configure authentication.
type AuthOptions struct {
	// PublicRead lets requests without credentials read, as viewers. When
	// false, they are refused with UNAUTHENTICATED.
	PublicRead bool
	// JWT verifies identity-provider tokens; nil accepts API tokens only.
	JWT *JWTVerifier
}

// JWTConfig says which identity-provider tokens to accept.
type JWTConfig struct {
	Issuer   string // required: the iss claim
	Audience string // required: one of the aud claim's values
	JWKSURL  string // the provider's key set; or
	Secret   []byte // a shared HS256 secret, for small deployments
	// RoleClaim names the claim holding the role (viewer, officer or
	// admin; default viewer); OrgsClaim the one holding an officer's
	// organizations, as slugs.
	RoleClaim, OrgsClaim string
	// MaxLifetime is the longest a JWT may be valid for, counted from its
	// iat claim (or from now when it has none) to its exp claim; longer
	// ones are refused (default DefaultJWTMaxLifetime).
	MaxLifetime time.Duration
}

// DefaultJWTMaxLifetime is the longest lifetime of a JWT accepted unless
// configured otherwise: identity providers issue tokens valid for minutes
// or hours, so a longer one is a mistake or a forgery with a stolen key.
const DefaultJWTMaxLifetime = 24 * time.Hour

// jwtSkew is the clock difference tolerated between the identity provider
// and the server.
const jwtSkew = 30 * time.Second

// JWTVerifier checks identity-provider tokens: signature, expiry (which is
// required, and at most MaxLifetime away), issuer and audience.
type JWTVerifier struct {
	options              []jwt.ParseOption
	roleClaim, orgsClaim string
	maxLifetime          time.Duration
}

// NewJWTVerifier returns a verifier for cfg. With a JWKS URL, keys are
// fetched in the background and refreshed as the provider rotates them,
// until ctx is done; a provider unreachable at start is retried.
func NewJWTVerifier(ctx context.Context, cfg JWTConfig) (*JWTVerifier, error) {
	if cfg.Issuer == "" || cfg.Audience == "" {
		return nil, errors.New("JWT issuer and audience are both required")
	}
	v := &JWTVerifier{roleClaim: cfg.RoleClaim, orgsClaim: cfg.OrgsClaim, maxLifetime: cfg.MaxLifetime,
		options: []jwt.ParseOption{jwt.WithIssuer(cfg.Issuer), jwt.WithAudience(cfg.Audience),
			jwt.WithAcceptableSkew(jwtSkew), jwt.WithValidate(true)}}
	if v.maxLifetime <= 0 {
		v.maxLifetime = DefaultJWTMaxLifetime
	}
	switch {
	case cfg.JWKSURL != "" && len(cfg.Secret) > 0:
		return nil, errors.New("configure either a JWKS URL or a shared secret, not both")
	case cfg.JWKSURL != "":
		cache, err := jwk.NewCache(ctx, httprc.NewClient())
		if err != nil {
			return nil, fmt.Errorf("JWKS cache: %w", err)
		}
		if err := cache.Register(ctx, cfg.JWKSURL, jwk.WithWaitReady(false), jwk.WithMinInterval(time.Minute)); err != nil {
			return nil, fmt.Errorf("JWKS %s: %w", cfg.JWKSURL, err)
		}
		set, err := cache.CachedSet(cfg.JWKSURL)
		if err != nil {
			return nil, fmt.Errorf("JWKS %s: %w", cfg.JWKSURL, err)
		}
		v.options = append(v.options, jwt.WithKeySet(set))
	case len(cfg.Secret) >= 32:
		v.options = append(v.options, jwt.WithKey(jwa.HS256(), cfg.Secret))
	case len(cfg.Secret) > 0:
		return nil, errors.New("the HS256 secret must be at least 32 bytes")
	default:
		return nil, errors.New("configure a JWKS URL or a shared secret")
	}
	if v.roleClaim == "" {
		v.roleClaim = "role"
	}
	if v.orgsClaim == "" {
		v.orgsClaim = "orgs"
	}
	return v, nil
}

// jwtClaims are what a verified JWT says about its bearer.
type jwtClaims struct {
	subject, name string
	role          models.Role
	orgs          []string // an officer's organizations, as slugs
	expires       time.Time
}

// verify checks a JWT and returns its claims. A token without an expiry,
// or valid for longer than the maximum lifetime, is refused: a leaked one
// would otherwise work for as long as its key.
func (v *JWTVerifier) verify(token string) (*jwtClaims, error) {
	t, err := jwt.Parse([]byte(token), v.options...)
	if err != nil {
		return nil, err
	}
	exp, ok := t.Expiration()
	if !ok {
		return nil, errors.New("it has no expiry (exp claim); this server accepts only tokens that expire")
	}
	from := time.Now()
	if iat, ok := t.IssuedAt(); ok && iat.Before(from) {
		from = iat
	}
	if life := exp.Sub(from); life > v.maxLifetime+jwtSkew {
		return nil, fmt.Errorf("it is valid for %s, longer than the %s this server accepts", life.Round(time.Second), v.maxLifetime)
	}
	c := &jwtClaims{expires: exp, role: models.RoleViewer}
	if c.subject, ok = t.Subject(); !ok || c.subject == "" {
		return nil, errors.New("no subject")
	}
	c.name = c.subject
	_ = t.Get("name", &c.name)
	var r string
	if t.Get(v.roleClaim, &r) == nil {
		c.role = models.Role(strings.ToUpper(r))
		if !c.role.IsValid() {
			return nil, fmt.Errorf("unknown role %q", r)
		}
	}
	var list []any
	if t.Get(v.orgsClaim, &list) == nil {
		for _, o := range list {
			if s, ok := o.(string); ok {
				c.orgs = append(c.orgs, s)
			}
		}
	}
	return c, nil
}

// authenticate resolves each request's credential to its caller. An API
// token is looked up in the database; when no connection frees up for
// that within admission's wait, the server is busy (OVERLOADED), which
// UNAVAILABLE, kept for a database that is down, would misreport.
func authenticate(store *models.Store, opts AuthOptions, adm *admission, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		header := r.Header.Get("Authorization")
		if header == "" {
			if !opts.PublicRead {
				refuse(w, "this server needs credentials: send Authorization: Bearer <token>")
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		scheme, credential, ok := strings.Cut(header, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || credential == "" {
			refuse(w, "the Authorization header must be: Bearer <token>")
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), adm.cfg.MaxWait)
		u, err := identify(ctx, store, opts, strings.TrimSpace(credential))
		waited := ctx.Err() != nil // before cancel, which sets it
		cancel()
		switch {
		case err == nil:
		case models.ErrorCode(err) == models.CodeUnauthenticated:
			refuse(w, models.ErrorMessage(err))
			return
		case r.Context().Err() != nil:
			writeError(w, http.StatusServiceUnavailable, models.CodeTimeout, "the request took too long and was stopped")
			return
		case waited:
			adm.credentialsRefusal(r.Context(), w)
			return
		default:
			writeError(w, http.StatusServiceUnavailable, models.CodeUnavailable, "could not check the credentials; try again shortly")
			return
		}
		next.ServeHTTP(w, r.WithContext(models.WithUser(r.Context(), u)))
	})
}

// identify returns the caller a credential stands for.
func identify(ctx context.Context, store *models.Store, opts AuthOptions, credential string) (*models.User, error) {
	if models.IsAPIToken(credential) {
		return store.AuthenticateToken(ctx, credential)
	}
	if opts.JWT == nil {
		return nil, models.Errorf(models.CodeUnauthenticated, "invalid token")
	}
	c, err := opts.JWT.verify(credential)
	if err != nil {
		return nil, models.Errorf(models.CodeUnauthenticated, "invalid token: %v", err)
	}
	u := models.JWTUser(c.subject, c.name, c.role, c.expires)
	if c.role == models.RoleOfficer {
		if u.Organizations, err = store.OrganizationIDsBySlug(ctx, c.orgs); err != nil {
			return nil, err
		}
	}
	return u, nil
}

// refuse answers a request whose credentials are missing or invalid.
func refuse(w http.ResponseWriter, message string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="tracker"`)
	writeError(w, http.StatusUnauthorized, models.CodeUnauthenticated, message)
}

// writeError answers with a GraphQL error response outside the executor.
func writeError(w http.ResponseWriter, status int, code models.Code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": []any{map[string]any{
		"message": message, "extensions": map[string]any{"code": code}}}})
}

// hasRole implements the @hasRole directive.
func hasRole(ctx context.Context, _ any, next graphql.Resolver, role models.Role) (any, error) {
	u := models.UserFrom(ctx)
	switch {
	case u == nil:
		return nil, models.Errorf(models.CodeUnauthenticated, "sign in: this needs the %s role", role)
	case !u.Has(role):
		return nil, models.Errorf(models.CodeForbidden, "this needs the %s role; you have %s", role, u.Role)
	}
	return next(ctx)
}

var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// withRequestID gives each request an ID — the caller's X-Request-Id when
// it is well formed, a random one otherwise — echoed in the response and
// recorded in the audit log.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !requestIDPattern.MatchString(id) {
			b := make([]byte, 8)
			_, _ = rand.Read(b)
			id = hex.EncodeToString(b)
		}
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r.WithContext(models.WithRequestID(r.Context(), id)))
	})
}

// createAPIToken resolves createApiToken.
func createAPIToken(ctx context.Context, store *models.Store, in models.NewAPIToken) (*models.CreateAPITokenPayload, error) {
	spec := models.NewTokenSpec{Name: in.Name, Role: in.Role, ExpiresAt: in.ExpiresAt}
	for _, id := range in.OrganizationIds {
		org, err := id.As("Organization")
		if err != nil {
			return nil, err
		}
		spec.Organizations = append(spec.Organizations, org)
	}
	token, t, err := store.CreateAPIToken(ctx, spec)
	if err != nil {
		return nil, err
	}
	return &models.CreateAPITokenPayload{Token: token, APIToken: t}, nil
}

// actionItemHistory resolves ActionItem.history, refusing filters on who
// made a change to callers who may not see that (see models.AuditEntry).
func actionItemHistory(ctx context.Context, obj *models.ActionItem, page models.Page, filter *models.AuditEntryFilter,
	orderBy []*models.AuditEntryOrder) (*models.Connection[models.AuditEntry], error) {
	if err := filter.Authorize(ctx); err != nil {
		return nil, err
	}
	return related(ctx, models.ActionItemHistory, obj, page, filter, orderBy)
}

// viewerOrganizations resolves Viewer.organizations.
func viewerOrganizations(ctx context.Context, store *models.Store, u *models.User) ([]*models.Organization, error) {
	rows, err := models.FindByIDs[models.Organization](ctx, store, u.Organizations)
	if err != nil {
		return nil, err
	}
	out := make([]*models.Organization, 0, len(rows))
	for _, id := range u.Organizations {
		if o, ok := rows[id]; ok {
			out = append(out, o)
		}
	}
	batcherFrom(ctx).register(fieldPath(ctx), objects(out))
	return out, nil
}
