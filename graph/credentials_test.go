package graph

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwt"

	"tracker/models"
	"tracker/models/modelstest"
)

// testSecret signs the test identity provider's HS256 tokens.
var testSecret = []byte("an HS256 secret of at least thirty-two bytes")

// signClaims signs a JWT of the test identity provider with the claims
// build adds to its issuer and audience.
func signClaims(t *testing.T, build func(*jwt.Builder) *jwt.Builder) string {
	t.Helper()
	tok, err := build(jwt.NewBuilder().Issuer(testIssuer).Audience([]string{testAudience})).Build()
	if err != nil {
		t.Fatal(err)
	}
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.HS256(), testSecret))
	if err != nil {
		t.Fatal(err)
	}
	return string(signed)
}

// newJWTClient serves store accepting the test identity provider's tokens
// valid for at most maxLifetime (0: the default).
func newJWTClient(t *testing.T, store *models.Store, maxLifetime time.Duration) *client {
	t.Helper()
	v, err := NewJWTVerifier(context.Background(), JWTConfig{Issuer: testIssuer, Audience: testAudience, Secret: testSecret,
		MaxLifetime: maxLifetime})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(NewHandler(store, Options{Auth: AuthOptions{PublicRead: true, JWT: v}}))
	t.Cleanup(srv.Close)
	return &client{t: t, url: srv.URL + "/graphql", store: store}
}

// TestJWTLifetime refuses JWTs that never expire or live longer than the
// maximum lifetime, and accepts the others.
func TestJWTLifetime(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, d models.Dialect) {
		c := newJWTClient(t, modelstest.NewStore(t, d), 0)
		short := newJWTClient(t, c.store, 2*time.Hour)
		now := time.Now()
		admin := func(b *jwt.Builder) *jwt.Builder { return b.Subject("alice").Claim("role", "admin") }
		for _, tc := range []struct {
			name   string
			c      *client
			claims func(*jwt.Builder) *jwt.Builder
			want   string // "" accepted; otherwise a part of the refusal
		}{
			{"no exp", c, func(b *jwt.Builder) *jwt.Builder { return admin(b) }, "no expiry"},
			{"no exp, recent iat", c, func(b *jwt.Builder) *jwt.Builder { return admin(b).IssuedAt(now) }, "no expiry"},
			{"valid for a year", c, func(b *jwt.Builder) *jwt.Builder { return admin(b).IssuedAt(now).Expiration(now.AddDate(1, 0, 0)) }, "longer than the 24h0m0s"},
			{"issued 3 days ago, 1 hour left", c, func(b *jwt.Builder) *jwt.Builder {
				return admin(b).IssuedAt(now.Add(-72 * time.Hour)).Expiration(now.Add(time.Hour))
			}, "longer than"},
			{"48 hours ahead, no iat", c, func(b *jwt.Builder) *jwt.Builder { return admin(b).Expiration(now.Add(48 * time.Hour)) }, "longer than"},
			{"1 hour", c, func(b *jwt.Builder) *jwt.Builder { return admin(b).IssuedAt(now).Expiration(now.Add(time.Hour)) }, ""},
			{"23 hours, no iat", c, func(b *jwt.Builder) *jwt.Builder { return admin(b).Expiration(now.Add(23 * time.Hour)) }, ""},
			{"3 hours with JWT_MAX_LIFETIME 2h", short, func(b *jwt.Builder) *jwt.Builder {
				return admin(b).IssuedAt(now).Expiration(now.Add(3 * time.Hour))
			}, "longer than the 2h0m0s"},
			{"1 hour with JWT_MAX_LIFETIME 2h", short, func(b *jwt.Builder) *jwt.Builder {
				return admin(b).IssuedAt(now).Expiration(now.Add(time.Hour))
			}, ""},
		} {
			r := tc.c.as(signClaims(t, tc.claims)).do(`{ viewer { role } }`, nil)
			switch {
			case tc.want == "" && (r.Status != http.StatusOK || len(r.Errors) > 0):
				t.Errorf("%s: status %d, errors %+v; want accepted", tc.name, r.Status, r.Errors)
			case tc.want != "" && (r.Status != http.StatusUnauthorized || len(r.Errors) != 1 || r.Errors[0].Code() != "UNAUTHENTICATED" ||
				!strings.Contains(r.Errors[0].Message, tc.want)):
				t.Errorf("%s: status %d, errors %+v; want 401 UNAUTHENTICATED saying %q", tc.name, r.Status, r.Errors, tc.want)
			}
		}
	})
}

// TestJWTSubjectNamespace checks that a JWT whose subject reads like an API
// token's is recorded as a JWT user, not as the token.
func TestJWTSubjectNamespace(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, d models.Dialect) {
		store := modelstest.NewStore(t, d)
		c := newJWTClient(t, store, 0)
		adminTok, tok := mustToken(t, store, models.RoleAdmin, nil, nil)
		forger := signClaims(t, func(b *jwt.Builder) *jwt.Builder {
			return b.Subject("token:"+itoa(tok.ID)).Claim("role", "admin").Expiration(time.Now().Add(time.Hour))
		})
		create := `mutation($s: String!) { createOrganization(input: {slug: $s, name: $s, kind: OTHER}) { organization { id } } }`
		c.as(forger).mustQuery(create, map[string]any{"s": "by-jwt"}, &struct{}{})
		c.as(adminTok).mustQuery(create, map[string]any{"s": "by-token"}, &struct{}{})

		var out struct {
			AuditLog struct {
				Nodes []struct {
					Actor struct {
						Subject *string
						TokenID *string
					}
				}
			}
		}
		c.as(adminTok).mustQuery(`{ auditLog(filter: {entityType: {eq: "Organization"}}, orderBy: [{field: ID, direction: ASC}]) {
			nodes { actor { subject tokenId } } } }`, nil, &out)
		n := out.AuditLog.Nodes
		if len(n) != 2 || n[0].Actor.Subject == nil || n[1].Actor.Subject == nil {
			t.Fatalf("audit log = %+v, want 2 entries with subjects", n)
		}
		if got, want := *n[0].Actor.Subject, "jwt:token:"+itoa(tok.ID); got != want || n[0].Actor.TokenID != nil {
			t.Errorf("JWT's entry: subject %q, token %v; want %q and no token", got, n[0].Actor.TokenID, want)
		}
		if got, want := *n[1].Actor.Subject, "token:"+itoa(tok.ID); got != want || n[1].Actor.TokenID == nil {
			t.Errorf("API token's entry: subject %q, token %v; want %q with its token", got, n[1].Actor.TokenID, want)
		}
	})
}

// TestMintedTokenExpiry checks that a credential that expires cannot issue
// a token that outlives it.
func TestMintedTokenExpiry(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, d models.Dialect) {
		store := modelstest.NewStore(t, d)
		c := newJWTClient(t, store, 0)
		exp := time.Now().Add(time.Hour).Truncate(time.Second)
		jwtAdmin := signClaims(t, func(b *jwt.Builder) *jwt.Builder {
			return b.Subject("alice").Claim("role", "admin").IssuedAt(time.Now()).Expiration(exp)
		})
		mint := `mutation($e: DateTime) { createApiToken(input: {name: "minted", role: ADMIN, expiresAt: $e}) { apiToken { expiresAt createdBy } } }`
		var out struct {
			CreateApiToken struct {
				ApiToken struct {
					ExpiresAt *time.Time
					CreatedBy string
				}
			}
		}
		c.as(jwtAdmin).mustQuery(mint, map[string]any{"e": nil}, &out)
		if e := out.CreateApiToken.ApiToken.ExpiresAt; e == nil || !e.Equal(exp) {
			t.Errorf("token minted without an expiry expires at %v, want the JWT's %v", e, exp)
		}
		if got := out.CreateApiToken.ApiToken.CreatedBy; got != "jwt:alice" {
			t.Errorf("createdBy = %q, want jwt:alice", got)
		}
		e := c.as(jwtAdmin).mustFail(mint, map[string]any{"e": time.Now().AddDate(10, 0, 0)}, "BAD_USER_INPUT")
		if !strings.Contains(e.Message, "may not outlive") || e.Extensions["field"] != "input.expiresAt" {
			t.Errorf("refusal = %+v", e)
		}
		sooner := time.Now().Add(30 * time.Minute).Truncate(time.Second)
		c.as(jwtAdmin).mustQuery(mint, map[string]any{"e": sooner}, &out)
		if e := out.CreateApiToken.ApiToken.ExpiresAt; e == nil || !e.Equal(sooner) {
			t.Errorf("token minted to expire sooner expires at %v, want %v", e, sooner)
		}
		// An expiring API token is held to the same rule; a permanent one
		// (or the command line) may issue permanent tokens.
		later := time.Now().Add(2 * time.Hour).UTC().Truncate(time.Microsecond)
		expiring, _ := mustToken(t, store, models.RoleAdmin, nil, &later)
		c.as(expiring).mustFail(mint, map[string]any{"e": later.Add(time.Hour)}, "BAD_USER_INPUT")
		c.as(expiring).mustQuery(mint, map[string]any{"e": nil}, &out)
		if e := out.CreateApiToken.ApiToken.ExpiresAt; e == nil || !e.Equal(later) {
			t.Errorf("token minted by an expiring token expires at %v, want its %v", e, later)
		}
		permanent, _ := mustToken(t, store, models.RoleAdmin, nil, nil)
		c.as(permanent).mustQuery(mint, map[string]any{"e": nil}, &out)
		if e := out.CreateApiToken.ApiToken.ExpiresAt; e != nil {
			t.Errorf("token minted by a permanent token expires at %v, want never", e)
		}
	})
}

// TestHistoryVisibility checks who sees who changed an action item: admins
// and the actor see the identity and request, everyone else the role and
// the change only, and only admins may filter by who.
func TestHistoryVisibility(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, d models.Dialect) {
		store := modelstest.Seeded(t, d)
		c := newJWTClient(t, store, 0)
		creds := mustCredentials(t, store, testSecret)
		actor := creds["officer in scope"]
		item := itemNow(t, c, "urge-financial-resources")
		c.as(actor).mustQuery(moveQuery, map[string]any{"id": item.ID, "to": "IN_PROGRESS", "note": "started", "v": item.Version}, &struct{}{})

		const q = `query($s: String!) { actionItem(slug: $s) { history { nodes {
			action toStatus note actor { subject name role tokenId } requestId } } } }`
		type entry struct {
			Action, ToStatus string
			Note             *string
			Actor            struct {
				Subject, Name, TokenID *string
				Role                   string
			}
			RequestID *string
		}
		for _, tc := range []struct {
			caller string
			sees   bool
		}{
			{"anonymous", false}, {"viewer", false}, {"officer out of scope", false}, {"jwt officer", false},
			{"officer in scope", true}, {"admin", true},
		} {
			var out struct {
				ActionItem struct{ History struct{ Nodes []entry } }
			}
			c.as(creds[tc.caller]).mustQuery(q, map[string]any{"s": "urge-financial-resources"}, &out)
			n := out.ActionItem.History.Nodes
			if len(n) != 1 {
				t.Fatalf("%s: history = %+v, want 1 entry", tc.caller, n)
			}
			e := n[0]
			if e.Action != "STATUS_CHANGE" || e.ToStatus != "IN_PROGRESS" || e.Note == nil || *e.Note != "started" || e.Actor.Role != "OFFICER" {
				t.Errorf("%s: entry = %+v, want the change and the role", tc.caller, e)
			}
			shown := []bool{e.Actor.Subject != nil, e.Actor.Name != nil, e.Actor.TokenID != nil, e.RequestID != nil}
			for i, s := range shown {
				if s != tc.sees {
					t.Errorf("%s: field %d (subject, name, tokenId, requestId) shown = %v, want %v: %+v", tc.caller, i, s, tc.sees, e)
				}
			}
		}

		byWho := `query($s: String!) { actionItem(slug: $s) { history(filter: {or: [{action: {eq: CREATE}}, {actorSubject: {startsWith: "token:"}}]}) { totalCount } } }`
		for _, caller := range []string{"anonymous", "viewer", "officer in scope"} {
			e := c.as(creds[caller]).mustFail(byWho, map[string]any{"s": "urge-financial-resources"}, "FORBIDDEN")
			if !strings.Contains(e.Message, "actorSubject") {
				t.Errorf("%s: refusal %q does not name the filter", caller, e.Message)
			}
		}
		var out struct {
			ActionItem struct{ History struct{ TotalCount int } }
		}
		c.as(creds["admin"]).mustQuery(byWho, map[string]any{"s": "urge-financial-resources"}, &out)
		if out.ActionItem.History.TotalCount != 1 {
			t.Errorf("admin's filtered history has %d entries, want 1", out.ActionItem.History.TotalCount)
		}
	})
}

func itoa(n uint) string { return strconv.FormatUint(uint64(n), 10) }
