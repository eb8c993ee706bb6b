package main

import (
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

// The credential cases sign their own identity-provider tokens: the abuse
// server accepts HS256 JWTs of this issuer and audience, signed with a
// secret made for the run.
const (
	abuseJWTIssuer   = "https://idp.prove.test"
	abuseJWTAudience = "tracker"
)

var abuseJWTSecret = randomHex(32)

// abuseJWTEnv configures the abuse server to accept the cases' JWTs.
var abuseJWTEnv = []string{"JWT_ISSUER=" + abuseJWTIssuer, "JWT_AUDIENCE=" + abuseJWTAudience, "JWT_SECRET=" + abuseJWTSecret}

// abuseJWT signs a token of the cases' identity provider for subject with
// role; zero times leave their claim out.
func abuseJWT(subject, role string, issued, expires time.Time) string {
	b := jwt.NewBuilder().Issuer(abuseJWTIssuer).Audience([]string{abuseJWTAudience}).Subject(subject).Claim("role", role)
	if !issued.IsZero() {
		b = b.IssuedAt(issued)
	}
	if !expires.IsZero() {
		b = b.Expiration(expires)
	}
	tok, err := b.Build()
	if err != nil {
		panic(err) // fixed claims of valid types: cannot fail
	}
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.HS256(), []byte(abuseJWTSecret)))
	if err != nil {
		panic(err)
	}
	return string(signed)
}

// credentialCases are the abuses of credentials and unique keys: JWTs that
// never expire or live for years, a JWT posing as an API token, a JWT
// turned into a permanent token, the history asked who changed what, and
// look-alikes of an acronym. None of them writes when refused.
func credentialCases(itemID string) []abuseCase {
	now := time.Now()
	admin := abuseJWT("prove-admin", "admin", now, now.Add(time.Hour))
	createOrg := `mutation($s: String!, $a: String) { createOrganization(input: {slug: $s, acronym: $a, name: "Look-alike", kind: OTHER}) {
		organization { id } } }`
	lookalike := func(name, slug, acronym string, want ...string) abuseCase {
		return abuseCase{name: name, token: admin, body: gql(createOrg, map[string]any{"s": slug, "a": acronym}), want: want}
	}
	return []abuseCase{
		{name: "a JWT without exp (ADMIN)", token: abuseJWT("mallory", "admin", now, time.Time{}),
			body: gql(`{ viewer { role } }`, nil), want: []string{"UNAUTHENTICATED"}},
		{name: "a JWT valid for 10 years (ADMIN)", token: abuseJWT("mallory", "admin", now, now.AddDate(10, 0, 0)),
			body: gql(`{ viewer { role } }`, nil), want: []string{"UNAUTHENTICATED"}},
		{name: "a JWT minting a token that outlives it", token: admin,
			body: gql(`mutation($e: DateTime) { createApiToken(input: {name: "forever", role: ADMIN, expiresAt: $e}) { token } }`,
				map[string]any{"e": now.AddDate(10, 0, 0).UTC().Format(time.RFC3339)}), want: []string{"BAD_USER_INPUT"}},
		// Accepted, as jwt:token:1: never as API token 1.
		{name: `a JWT with sub "token:1"`, token: abuseJWT("token:1", "viewer", now, now.Add(time.Hour)),
			body: gql(`{ viewer { subject } }`, nil), want: []string{"data"}},
		{name: "the history filtered by who, as a viewer",
			body: gql(`query($id: ID!) { node(id: $id) { ... on ActionItem { history(filter: {actorSubject: {eq: "cli"}}) { totalCount } } } }`,
				map[string]any{"id": itemID}), want: []string{"FORBIDDEN"}},
		lookalike(`acronym "INTERPOL\u200b" (zero-width space)`, "prove-lookalike-1", "INTERPOL\u200b", "CONFLICT"),
		lookalike(`acronym "Interpol"`, "prove-lookalike-2", "Interpol", "CONFLICT"),
		lookalike(`acronym "ＩＮＴＥＲＰＯＬ" (full-width)`, "prove-lookalike-3", "ＩＮＴＥＲＰＯＬ", "CONFLICT"),
		lookalike(`acronym "ІNTERPOL" (Cyrillic І)`, "prove-lookalike-4", "ІNTERPOL", "BAD_USER_INPUT"),
		lookalike(`slug "DPKO\u200b"`, "DPKO\u200b", "", "CONFLICT"),
	}
}
