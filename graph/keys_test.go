package graph

import (
	"strings"
	"testing"

	"tracker/models"
	"tracker/models/modelstest"
)

// TestUniqueKeysNormalised checks that acronyms and slugs are compared as
// people read them: invisible characters, compatibility forms and case do
// not make a second INTERPOL, and a look-alike mixing scripts is refused.
func TestUniqueKeysNormalised(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, d models.Dialect) {
		store := modelstest.Seeded(t, d)
		adminTok, _ := mustToken(t, store, models.RoleAdmin, nil, nil)
		c := newClient(t, store).as(adminTok)
		create := `mutation($slug: String!, $a: String) { createOrganization(input: {slug: $slug, acronym: $a, name: "Copy", kind: OTHER}) {
			organization { slug acronym } } }`
		for _, tc := range []struct {
			name, slug, acronym, code, says string
		}{
			{"zero-width space", "copy-1", "INTERPOL\u200b", "CONFLICT", "already exists"},
			{"other case", "copy-2", "Interpol", "CONFLICT", "already exists"},
			{"full-width letters", "copy-3", "ＩＮＴＥＲＰＯＬ", "CONFLICT", "already exists"},
			{"word joiner and spaces", "copy-4", " \u2060interpol ", "CONFLICT", "already exists"},
			{"Cyrillic І", "copy-5", "ІNTERPOL", "BAD_USER_INPUT", "mixes Cyrillic and Latin"},
			{"Greek Ο", "copy-6", "INTERPΟL", "BAD_USER_INPUT", "mixes Latin and Greek"},
			{"slug in capitals", "DPKO", "", "CONFLICT", "already exists"},
			{"slug with a zero-width space", "dpko\u200b", "", "CONFLICT", "already exists"},
			{"slug in full-width letters", "ｄｐｋｏ", "", "CONFLICT", "already exists"},
			{"slug in Cyrillic", "dрko", "", "BAD_USER_INPUT", "lowercase letters"},
		} {
			vars := map[string]any{"slug": tc.slug, "a": nil}
			if tc.acronym != "" {
				vars["a"] = tc.acronym
			}
			e := c.mustFail(create, vars, tc.code)
			if !strings.Contains(e.Message, tc.says) {
				t.Errorf("%s: message %q, want it to say %q", tc.name, e.Message, tc.says)
			}
		}

		// What is accepted is stored normalised, and found however written.
		var out struct {
			CreateOrganization struct {
				Organization struct{ Slug, Acronym string }
			}
		}
		c.mustQuery(create, map[string]any{"slug": " New-Body\u200b ", "a": "ＮＢ\u200d"}, &out)
		if o := out.CreateOrganization.Organization; o.Slug != "new-body" || o.Acronym != "NB" {
			t.Errorf("stored slug %q, acronym %q; want new-body and NB", o.Slug, o.Acronym)
		}
		var found struct {
			A, B struct{ Slug string }
		}
		c.mustQuery(`{ a: organization(acronym: "nb\u200b") { slug } b: organization(slug: "NEW-BODY") { slug } }`, nil, &found)
		if found.A.Slug != "new-body" || found.B.Slug != "new-body" {
			t.Errorf("lookups found %+v, want new-body twice", found)
		}
		// An acronym wholly in one other script is someone's real acronym.
		c.mustQuery(create, map[string]any{"slug": "odkb", "a": "ОДКБ"}, &out)

		// The database holds the rule too, for writes that bypass
		// validation.
		err := store.DB().Exec(`INSERT INTO organizations (slug, acronym, name, kind) VALUES ('raw-copy', 'interpol', 'Raw', 'OTHER')`).Error
		if err == nil || !strings.Contains(strings.ToLower(err.Error()), "duplicate") {
			t.Errorf("a second INTERPOL in lower case, written directly: %v, want a duplicate key", err)
		}
	})
}
