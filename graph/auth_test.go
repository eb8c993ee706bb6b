package graph

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jwt"

	"tracker/models"
	"tracker/models/modelstest"
)

// admin is the caller tests issue tokens as.
var admin = &models.User{Subject: "test-admin", Name: "test", Role: models.RoleAdmin}

// adminCtx is a context with the test admin as caller.
func adminCtx() context.Context {
	return models.WithRequestID(models.WithUser(context.Background(), admin), "test")
}

// mustToken issues an API token.
func mustToken(t *testing.T, store *models.Store, role models.Role, orgs []uint, expires *time.Time) (string, *models.APIToken) {
	t.Helper()
	token, tok, err := store.CreateAPIToken(adminCtx(), models.NewTokenSpec{Name: "test " + string(role), Role: role,
		Organizations: orgs, ExpiresAt: expires})
	if err != nil {
		t.Fatalf("create token: %v", err)
	}
	return token, tok
}

// orgID returns the ID of the organization with the given slug.
func orgID(t *testing.T, store *models.Store, slug string) uint {
	t.Helper()
	o, err := store.FindOrganizationBySlug(context.Background(), slug)
	if err != nil {
		t.Fatalf("organization %s: %v", slug, err)
	}
	return o.ID
}

// gid returns the global ID of a seeded object found by slug.
func gid(t *testing.T, c *client, field, slug string) string {
	t.Helper()
	r := c.do(fmt.Sprintf(`{ x: %s(slug: %q) { id } }`, field, slug), nil)
	var out struct{ X struct{ ID string } }
	if len(r.Errors) > 0 || json.Unmarshal(r.Data, &out) != nil {
		t.Fatalf("%s %s: %+v", field, slug, r.Errors)
	}
	return out.X.ID
}

// credentials are the callers of the access matrix, as bearer tokens ("" is
// anonymous).
type credentials map[string]string

// mustCredentials makes a caller of each kind over the seed data: officer
// tokens scoped to the UN Secretariat (in scope for what it and DPKO own)
// and to ECOWAS (out of scope).
func mustCredentials(t *testing.T, store *models.Store, jwtSecret []byte) credentials {
	t.Helper()
	past := time.Now().Add(time.Hour)
	expiredTok, expired := mustToken(t, store, models.RoleOfficer, []uint{orgID(t, store, "un-secretariat")}, &past)
	// Expire it by moving its expiry into the past, as time would.
	if err := store.DB().Model(expired).Update("expires_at", time.Now().Add(-time.Minute).UTC()).Error; err != nil {
		t.Fatal(err)
	}
	revokedTok, revoked := mustToken(t, store, models.RoleOfficer, []uint{orgID(t, store, "un-secretariat")}, nil)
	if _, err := store.RevokeAPIToken(adminCtx(), models.NewGlobalID("ApiToken", revoked.ID)); err != nil {
		t.Fatal(err)
	}
	viewer, _ := mustToken(t, store, models.RoleViewer, nil, nil)
	inScope, _ := mustToken(t, store, models.RoleOfficer, []uint{orgID(t, store, "un-secretariat")}, nil)
	outOfScope, _ := mustToken(t, store, models.RoleOfficer, []uint{orgID(t, store, "ecowas")}, nil)
	adminTok, _ := mustToken(t, store, models.RoleAdmin, nil, nil)
	wrongKey := make([]byte, 32)
	return credentials{
		"anonymous":            "",
		"viewer":               viewer,
		"officer in scope":     inScope,
		"officer out of scope": outOfScope,
		"admin":                adminTok,
		"expired token":        expiredTok,
		"revoked token":        revokedTok,
		"bad signature":        signJWT(t, wrongKey, "mallory", "officer", []string{"un-secretariat"}, time.Hour),
		"jwt officer":          signJWT(t, jwtSecret, "alice", "officer", []string{"un-secretariat"}, time.Hour),
		"expired jwt":          signJWT(t, jwtSecret, "alice", "officer", []string{"un-secretariat"}, -time.Hour),
	}
}

const (
	testIssuer   = "https://idp.example.test"
	testAudience = "tracker"
)

// signJWT returns an HS256 token of the test identity provider.
func signJWT(t *testing.T, secret []byte, subject, role string, orgs []string, ttl time.Duration) string {
	t.Helper()
	tok, err := jwt.NewBuilder().Issuer(testIssuer).Audience([]string{testAudience}).Subject(subject).
		IssuedAt(time.Now().Add(-2*time.Hour)).Expiration(time.Now().Add(ttl)).
		Claim("role", role).Claim("orgs", orgs).Claim("name", subject).Build()
	if err != nil {
		t.Fatal(err)
	}
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.HS256(), secret))
	if err != nil {
		t.Fatal(err)
	}
	return string(signed)
}

// newAuthClient serves store with JWTs signed by secret accepted.
func newAuthClient(t *testing.T, store *models.Store, secret []byte, publicRead bool) *client {
	t.Helper()
	v, err := NewJWTVerifier(context.Background(), JWTConfig{Issuer: testIssuer, Audience: testAudience, Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(NewHandler(store, Options{Auth: AuthOptions{PublicRead: publicRead, JWT: v}}))
	t.Cleanup(srv.Close)
	return &client{t: t, url: srv.URL + "/graphql", store: store}
}

// TestAccessMatrix runs every kind of mutation as every kind of caller.
func TestAccessMatrix(t *testing.T) {
	t.Parallel()
	secret := []byte("an HS256 secret of at least thirty-two bytes")
	modelstest.Each(t, func(t *testing.T, d models.Dialect) {
		store := modelstest.Seeded(t, d)
		creds := mustCredentials(t, store, secret)
		c := newAuthClient(t, store, secret, true)

		// Each mutation is built fresh for each caller, from the current
		// state, so that successes do not collide.
		n := 0
		type mutation struct {
			name  string
			build func() (string, map[string]any)
		}
		item := func() (string, int) {
			var out struct {
				ActionItem struct {
					ID      string
					Version int
				}
			}
			c.mustQuery(`{ actionItem(slug: "recommend-sc-monitoring-mechanism") { id version } }`, nil, &out)
			return out.ActionItem.ID, out.ActionItem.Version
		}
		secretariat := gid(t, c, "organization", "un-secretariat")
		waci := gid(t, c, "initiative", "west-africa-coast-initiative") // DPKO, part of the Secretariat, is a partner
		mutations := []mutation{
			{"updateActionItem", func() (string, map[string]any) {
				id, v := item()
				return `mutation($id: ID!, $v: Int!) { updateActionItem(id: $id, input: {expectedVersion: $v, description: "Recommend it."}) { actionItem { id } } }`,
					map[string]any{"id": id, "v": v}
			}},
			{"createActionItem", func() (string, map[string]any) {
				n++
				return `mutation($owner: ID!, $slug: String!) { createActionItem(input: {slug: $slug, title: "Follow up", ownerId: $owner}) { actionItem { id } } }`,
					map[string]any{"owner": secretariat, "slug": fmt.Sprintf("follow-up-%d", n)}
			}},
			{"createOrganization", func() (string, map[string]any) {
				n++
				return `mutation($parent: ID!, $slug: String!) { createOrganization(input: {slug: $slug, name: "Office", kind: OFFICE, parentId: $parent}) { organization { id } } }`,
					map[string]any{"parent": secretariat, "slug": fmt.Sprintf("office-%d", n)}
			}},
			{"recordStatistic", func() (string, map[string]any) {
				return `mutation($org: ID!) { recordStatistic(input: {metricKey: "un-police-deployed", value: 11000, asOf: {date: "2009-06-01", precision: MONTH}, scopeOrganizationId: $org}) { statistic { id } } }`,
					map[string]any{"org": secretariat}
			}},
			{"recordMeeting", func() (string, map[string]any) {
				n++
				return `mutation($org: ID!, $slug: String!) { recordMeeting(input: {slug: $slug, title: "Follow-up", kind: TALKS, organizerId: $org, date: {date: "2009-04-02"}}) { meeting { id } } }`,
					map[string]any{"org": secretariat, "slug": fmt.Sprintf("meeting-%d", n)}
			}},
			{"createInitiative", func() (string, map[string]any) {
				n++
				return `mutation($org: ID!, $slug: String!) { createInitiative(input: {slug: $slug, title: "Plan", kind: ACTION_PLAN, accountableOrganizationId: $org}) { initiative { id } } }`,
					map[string]any{"org": secretariat, "slug": fmt.Sprintf("plan-%d", n)}
			}},
			{"updateInitiative", func() (string, map[string]any) {
				var out struct{ Node struct{ Version int } }
				c.mustQuery(`query($id: ID!) { node(id: $id) { ... on Initiative { version } } }`, map[string]any{"id": waci}, &out)
				return `mutation($id: ID!, $v: Int!) { updateInitiative(id: $id, input: {expectedVersion: $v, objective: "Co-operate."}) { initiative { id } } }`,
					map[string]any{"id": waci, "v": out.Node.Version}
			}},
		}
		want := map[string]string{
			"anonymous":            "UNAUTHENTICATED",
			"viewer":               "FORBIDDEN",
			"officer in scope":     "",
			"officer out of scope": "FORBIDDEN",
			"admin":                "",
			"expired token":        "UNAUTHENTICATED",
			"revoked token":        "UNAUTHENTICATED",
			"bad signature":        "UNAUTHENTICATED",
			"jwt officer":          "",
			"expired jwt":          "UNAUTHENTICATED",
		}
		for _, m := range mutations {
			for who, code := range want {
				t.Run(m.name+"/"+who, func(t *testing.T) {
					q, vars := m.build()
					r := c.as(creds[who]).do(q, vars)
					switch {
					case code == "" && len(r.Errors) > 0:
						t.Errorf("failed: %+v", r.Errors)
					case code != "" && len(r.Errors) == 0:
						t.Errorf("succeeded, want %s", code)
					case code != "" && r.Errors[0].Code() != code:
						t.Errorf("code = %s (%s), want %s", r.Errors[0].Code(), r.Errors[0].Message, code)
					}
				})
			}
		}
	})
}

// TestForbiddenDoesNotRevealExistence checks that an officer cannot tell an
// object out of scope from one that does not exist.
func TestForbiddenDoesNotRevealExistence(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, d models.Dialect) {
		store := modelstest.Seeded(t, d)
		officer, _ := mustToken(t, store, models.RoleOfficer, []uint{orgID(t, store, "ecowas")}, nil)
		adminTok, _ := mustToken(t, store, models.RoleAdmin, nil, nil)
		c := newClient(t, store)
		existing := gid(t, c, "actionItem", "recommend-sc-monitoring-mechanism")
		missing := models.NewGlobalID("ActionItem", 99999).String()
		const q = `mutation($id: ID!) { updateActionItemStatus(input: {id: $id, status: IN_PROGRESS, expectedVersion: 1}) { actionItem { id } } }`
		a := c.as(officer).mustFail(q, map[string]any{"id": existing}, "FORBIDDEN")
		b := c.as(officer).mustFail(q, map[string]any{"id": missing}, "FORBIDDEN")
		if a.Message != b.Message {
			t.Errorf("messages differ: %q vs %q", a.Message, b.Message)
		}
		c.as(adminTok).mustFail(q, map[string]any{"id": missing}, "NOT_FOUND")
	})
}

// TestAnonymousReads checks PUBLIC_READ: on, anonymous callers read; off,
// they are refused with 401 and UNAUTHENTICATED, while tokens still read.
func TestAnonymousReads(t *testing.T) {
	store := modelstest.Seeded(t, modelstest.Dialects()[0])
	secret := []byte("an HS256 secret of at least thirty-two bytes")
	open := newAuthClient(t, store, secret, true)
	var out struct{ Initiatives struct{ TotalCount int } }
	open.mustQuery(`{ initiatives { totalCount } }`, nil, &out)

	closed := newAuthClient(t, store, secret, false)
	r := closed.do(`{ initiatives { totalCount } }`, nil)
	if r.Status != http.StatusUnauthorized || len(r.Errors) == 0 || r.Errors[0].Code() != "UNAUTHENTICATED" {
		t.Errorf("anonymous read with PUBLIC_READ off: %d %+v", r.Status, r.Errors)
	}
	viewer, _ := mustToken(t, store, models.RoleViewer, nil, nil)
	closed.as(viewer).mustQuery(`{ initiatives { totalCount } }`, nil, &out)
	if out.Initiatives.TotalCount != 3 {
		t.Errorf("viewer read %d initiatives", out.Initiatives.TotalCount)
	}
}

// TestViewerAndAdminQueries checks viewer, and that the audit log and the
// token list are for admins only.
func TestViewerAndAdminQueries(t *testing.T) {
	store := modelstest.Seeded(t, modelstest.Dialects()[0])
	secret := []byte("an HS256 secret of at least thirty-two bytes")
	c := newAuthClient(t, store, secret, true)
	officer, _ := mustToken(t, store, models.RoleOfficer, []uint{orgID(t, store, "dpko")}, nil)
	adminTok, _ := mustToken(t, store, models.RoleAdmin, nil, nil)

	var me struct {
		Viewer *struct {
			Subject, Role, AuthenticatedBy string
			Organizations                  []struct{ Acronym string }
		}
	}
	c.mustQuery(`{ viewer { subject role authenticatedBy organizations { acronym } } }`, nil, &me)
	if me.Viewer != nil {
		t.Errorf("anonymous viewer = %+v, want null", me.Viewer)
	}
	c.as(officer).mustQuery(`{ viewer { subject role authenticatedBy organizations { acronym } } }`, nil, &me)
	if me.Viewer == nil || me.Viewer.Role != "OFFICER" || me.Viewer.AuthenticatedBy != "API_TOKEN" || len(me.Viewer.Organizations) != 1 ||
		me.Viewer.Organizations[0].Acronym != "DPKO" {
		t.Errorf("officer viewer = %+v", me.Viewer)
	}
	jwtOfficer := signJWT(t, secret, "alice", "officer", []string{"dpko", "unknown-slug"}, time.Hour)
	c.as(jwtOfficer).mustQuery(`{ viewer { subject role authenticatedBy organizations { acronym } } }`, nil, &me)
	if me.Viewer == nil || me.Viewer.Subject != "jwt:alice" || me.Viewer.AuthenticatedBy != "JWT" || len(me.Viewer.Organizations) != 1 {
		t.Errorf("JWT viewer = %+v", me.Viewer)
	}

	for _, q := range []string{`{ auditLog { totalCount } }`, `{ apiTokens { totalCount } }`} {
		c.mustFail(q, nil, "UNAUTHENTICATED")
		c.as(officer).mustFail(q, nil, "FORBIDDEN")
		var out map[string]struct{ TotalCount int }
		c.as(adminTok).mustQuery(q, nil, &out)
	}
	var toks struct {
		ApiTokens struct {
			Nodes []struct {
				Name          string
				Role          string
				IsActive      bool
				Organizations []struct{ Slug string }
			}
		}
	}
	c.as(adminTok).mustQuery(`{ apiTokens { nodes { name role isActive organizations { slug } } } }`, nil, &toks)
	if len(toks.ApiTokens.Nodes) != 2 {
		t.Errorf("tokens = %+v", toks.ApiTokens.Nodes)
	}
}

// TestAPITokenLifecycle issues a token through the API, uses it, revokes it.
func TestAPITokenLifecycle(t *testing.T) {
	store := modelstest.Seeded(t, modelstest.Dialects()[0])
	adminTok, _ := mustToken(t, store, models.RoleAdmin, nil, nil)
	c := newClient(t, store)
	dpko := gid(t, c, "organization", "dpko")
	var out struct {
		CreateApiToken struct {
			Token    string
			ApiToken struct {
				ID, Role, CreatedBy string
			}
		}
	}
	c.as(adminTok).mustQuery(`mutation($org: ID!) { createApiToken(input: {name: "importer", role: OFFICER, organizationIds: [$org]}) {
		token apiToken { id role createdBy } } }`, map[string]any{"org": dpko}, &out)
	tok := out.CreateApiToken.Token
	if len(tok) < 40 || out.CreateApiToken.ApiToken.Role != "OFFICER" {
		t.Fatalf("created = %+v", out.CreateApiToken)
	}
	// The secret is nowhere in the database.
	var n int64
	store.DB().Raw("SELECT COUNT(*) FROM api_tokens WHERE token_hash = ? OR name = ?", tok, tok).Scan(&n)
	if n != 0 {
		t.Error("the token's secret is stored")
	}
	var me struct{ Viewer struct{ Role string } }
	c.as(tok).mustQuery(`{ viewer { role } }`, nil, &me)
	if me.Viewer.Role != "OFFICER" {
		t.Errorf("role = %s", me.Viewer.Role)
	}
	c.as(adminTok).mustQuery(`mutation($id: ID!) { revokeApiToken(id: $id) { apiToken { isActive } } }`,
		map[string]any{"id": out.CreateApiToken.ApiToken.ID}, &struct{}{})
	if r := c.as(tok).do(`{ viewer { role } }`, nil); r.Status != http.StatusUnauthorized {
		t.Errorf("revoked token: status %d, errors %+v", r.Status, r.Errors)
	}
	c.as(adminTok).mustFail(`mutation { createApiToken(input: {name: "x", role: OFFICER}) { token } }`, nil, "BAD_USER_INPUT")
}

// TestJWKS checks tokens signed by an identity provider's published keys,
// and refuses those signed otherwise or for another audience or issuer.
func TestJWKS(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	private, err := jwk.Import(key)
	if err != nil {
		t.Fatal(err)
	}
	_ = private.Set(jwk.KeyIDKey, "key-1")
	_ = private.Set(jwk.AlgorithmKey, jwa.RS256())
	public, err := private.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	set := jwk.NewSet()
	_ = set.AddKey(public)
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(set)
	}))
	t.Cleanup(idp.Close)

	store := modelstest.Seeded(t, modelstest.Dialects()[0])
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	v, err := NewJWTVerifier(ctx, JWTConfig{Issuer: testIssuer, Audience: testAudience, JWKSURL: idp.URL})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(NewHandler(store, Options{Auth: AuthOptions{JWT: v}}))
	t.Cleanup(srv.Close)
	c := &client{t: t, url: srv.URL + "/graphql", store: store}

	sign := func(issuer, audience string, k jwk.Key) string {
		tok, _ := jwt.NewBuilder().Issuer(issuer).Audience([]string{audience}).Subject("bob").
			Expiration(time.Now().Add(time.Hour)).Claim("role", "admin").Build()
		signed, err := jwt.Sign(tok, jwt.WithKey(jwa.RS256(), k))
		if err != nil {
			t.Fatal(err)
		}
		return string(signed)
	}
	var me struct {
		Viewer struct{ Subject, Role string }
	}
	c.as(sign(testIssuer, testAudience, private)).mustQuery(`{ viewer { subject role } }`, nil, &me)
	if me.Viewer.Subject != "jwt:bob" || me.Viewer.Role != "ADMIN" {
		t.Errorf("viewer = %+v", me.Viewer)
	}
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	otherKey, _ := jwk.Import(other)
	_ = otherKey.Set(jwk.KeyIDKey, "key-1")
	for name, tok := range map[string]string{
		"other key":      sign(testIssuer, testAudience, otherKey),
		"other audience": sign(testIssuer, "someone-else", private),
		"other issuer":   sign("https://evil.example.test", testAudience, private),
		"garbage":        "not.a.jwt",
	} {
		if r := c.as(tok).do(`{ viewer { subject } }`, nil); r.Status != http.StatusUnauthorized || r.Errors[0].Code() != "UNAUTHENTICATED" {
			t.Errorf("%s: status %d, errors %+v", name, r.Status, r.Errors)
		}
	}
}
