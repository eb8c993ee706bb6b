package graph

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"tracker/models"
)

// TestIDSpellings sends IDs and cursors in the spellings base64 tools
// print — padded, standard alphabet — and gets the same answers as with
// the API's own spelling; what still does not decode says why.
func TestIDSpellings(t *testing.T) {
	eachEmpty(t, func(t *testing.T, c *client) {
		orgs := mustOrganizations(t, c.store, []string{"Alpha", "Bravo", "Charlie"}, nil)
		canonical := models.NewGlobalID("Organization", orgs[0].ID).String()
		raw := fmt.Sprintf("Organization:%d", orgs[0].ID)
		padded := base64.StdEncoding.EncodeToString([]byte(raw))
		if len(raw)%3 == 0 {
			t.Fatalf("%q encodes without padding: the test needs an ID that has some", raw)
		}
		for _, id := range []string{canonical, padded, base64.URLEncoding.EncodeToString([]byte(raw))} {
			var out struct{ Node struct{ ID, Name string } }
			c.mustQuery(`query($id: ID!) { node(id: $id) { id ... on Organization { name } } }`, map[string]any{"id": id}, &out)
			if out.Node.ID != canonical || out.Node.Name != "Alpha" {
				t.Errorf("node(id: %q) = %+v, want %s (Alpha)", id, out.Node, canonical)
			}
		}

		var first orgPage
		c.mustQuery(orgPageQuery, map[string]any{"first": 1}, &first)
		cursor := *first.Organizations.PageInfo.EndCursor
		std := strings.NewReplacer("-", "+", "_", "/").Replace(cursor)
		std += strings.Repeat("=", (4-len(std)%4)%4)
		for _, after := range []string{cursor, std} {
			var next orgPage
			c.mustQuery(orgPageQuery, map[string]any{"first": 1, "after": after}, &next)
			if got := next.names(); len(got) != 1 || got[0] != "Bravo" {
				t.Errorf("the page after %q = %v, want [Bravo]", after, got)
			}
		}

		b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
		for _, tc := range []struct{ id, want string }{
			{"42", `malformed ID "42": IDs are opaque strings, not numbers: pass the id field a query returned`},
			{"abc!", `malformed ID "abc!": it is not base64`},
			{"T3JnYW5pemF0aW9uOjE==", `malformed ID "T3JnYW5pemF0aW9uOjE==": it is not base64`},
			{b64("Organization"), fmt.Sprintf("malformed ID %q: it is not an ID this API returned", b64("Organization"))},
			{b64("Planet:1"), fmt.Sprintf(`malformed ID %q: no type "Planet" has IDs`, b64("Planet:1"))},
			{b64("Organization:01"), fmt.Sprintf(`malformed ID %q: "01" is not a positive number`, b64("Organization:01"))},
		} {
			e := c.mustFail(`query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": tc.id}, "BAD_USER_INPUT")
			if e.Message != tc.want {
				t.Errorf("node(id: %q): message %q, want %q", tc.id, e.Message, tc.want)
			}
		}
	})
}

// TestWrongTypeOfID checks the grammar of the error for an ID of another
// type: "an Initiative", "an Organization".
func TestWrongTypeOfID(t *testing.T) {
	eachEmpty(t, func(t *testing.T, c *client) {
		person := models.NewGlobalID("Person", 1).String()
		for _, tc := range []struct{ query, want string }{
			{`query($id: ID!) { actionItems(filter: {initiative: {id: {eq: $id}}}) { totalCount } }`,
				"ID " + person + " is a Person, not an Initiative"},
			{`query($id: ID!) { organizations(filter: {id: {eq: $id}}) { totalCount } }`,
				"ID " + person + " is a Person, not an Organization"},
		} {
			e := c.mustFail(tc.query, map[string]any{"id": person}, "BAD_USER_INPUT")
			if e.Message != tc.want {
				t.Errorf("message %q, want %q", e.Message, tc.want)
			}
		}
	})
}

// TestDateMessages checks that a date of the right form that does not
// exist is told what is wrong with it, not which form to use.
func TestDateMessages(t *testing.T) {
	eachEmpty(t, func(t *testing.T, c *client) {
		meetings := `query($d: Date) { meetings(filter: {date: {gte: $d}}) { totalCount } }`
		orgs := `query($t: DateTime) { organizations(filter: {createdAt: {gte: $t}}) { totalCount } }`
		for _, tc := range []struct {
			query, value, want string
		}{
			{meetings, "2009-13-01", `invalid Date "2009-13-01": month 13 is out of range 01 to 12`},
			{meetings, "2009-00-10", `invalid Date "2009-00-10": month 00 is out of range 01 to 12`},
			{meetings, "2009-02-29", `invalid Date "2009-02-29": day 29 is out of range: February 2009 has days 01 to 28`},
			{meetings, "2009-04-31", `invalid Date "2009-04-31": day 31 is out of range: April 2009 has days 01 to 30`},
			{meetings, "2009-01-00", `invalid Date "2009-01-00": day 00 is out of range: January 2009 has days 01 to 31`},
			{meetings, "0000-01-01", `invalid Date "0000-01-01": years start at 0001`},
			{meetings, "2009-1-01", `invalid Date "2009-1-01": want YYYY-MM-DD`},
			{meetings, "24 March 2009", `invalid Date "24 March 2009": want YYYY-MM-DD`},
			{orgs, "2009-13-01T00:00:00Z", `DateTime cannot represent "2009-13-01T00:00:00Z": month out of range`},
			{orgs, "2009-02-30T10:00:00Z", `DateTime cannot represent "2009-02-30T10:00:00Z": day out of range`},
			{orgs, "2009-02-01T25:00:00Z", `DateTime cannot represent "2009-02-01T25:00:00Z": hour out of range`},
			{orgs, "0000-01-01T00:00:00Z", `DateTime cannot represent "0000-01-01T00:00:00Z": years start at 0001`},
			{orgs, "2009-02-01", `DateTime cannot represent "2009-02-01": want an RFC 3339 date-time such as 2009-03-24T15:00:00Z`},
		} {
			vars := map[string]any{"d": tc.value}
			if tc.query == orgs {
				vars = map[string]any{"t": tc.value}
			}
			e := c.mustFail(tc.query, vars, "BAD_USER_INPUT")
			if e.Message != tc.want {
				t.Errorf("%s: message %q, want %q", tc.value, e.Message, tc.want)
			}
		}
		// 2008 was a leap year.
		var out struct{ Meetings struct{ TotalCount int } }
		c.mustQuery(meetings, map[string]any{"d": "2008-02-29"}, &out)
	})
}

// TestIsNullInAListRelation refuses isNull where the objects filtered
// always exist: the items of a list relation.
func TestIsNullInAListRelation(t *testing.T) {
	eachEmpty(t, func(t *testing.T, c *client) {
		e := c.mustFail(`{ initiatives(filter: {meetings: {some: {isNull: true}}}) { totalCount } }`, nil, "BAD_USER_INPUT")
		if want := "isNull on a Meeting filters an object that always exists here: put it in a to-one relation's filter, such as parent: {isNull: true}"; e.Message != want {
			t.Errorf("message %q, want %q", e.Message, want)
		}
	})
}
