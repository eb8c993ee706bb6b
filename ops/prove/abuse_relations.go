package main

import (
	"fmt"
	"strings"

	"tracker/models"
)

// relationCases are the refetch queries every Relay client sends — an
// object by node(id:) with its relations — which once panicked in the
// batcher for every nested relation (one stack trace each): they must
// answer with data. orgID and itemID are a real organization and action
// item; the initiative, meeting and person are the seed's first.
func relationCases(orgID, itemID string) []abuseCase {
	id := func(typ string) string { return models.NewGlobalID(typ, 1).String() }
	refetch := func(id, typ, sel string) []byte {
		return gql(fmt.Sprintf(`query($id: ID!) { node(id: $id) { id ... on %s { %s } } }`, typ, sel), map[string]any{"id": id})
	}
	// 49 aliases of the organization's refetch, as in the report of the
	// panics: each alias once cost a panic per relation.
	aliases := make([]string, 49)
	for i := range aliases {
		aliases[i] = fmt.Sprintf(`a%d: node(id: $id) { ... on Organization { children { totalCount } parent { id } partnerships { nodes { id } } } }`, i)
	}
	many := gql(`query($id: ID!) { `+strings.Join(aliases, " ")+` }`, map[string]any{"id": orgID})
	return []abuseCase{
		{name: "node(id:) Organization → children, parent, partnerships", want: []string{"data"},
			body: refetch(orgID, "Organization", "children { totalCount nodes { id } } parent { id } partnerships { nodes { initiative { id } } }")},
		{name: "node(id:) ActionItem → owner, initiative, history", want: []string{"data"},
			body: refetch(itemID, "ActionItem", "owner { id } initiative { id } history { totalCount nodes { id } }")},
		{name: "node(id:) Initiative → partnerships", want: []string{"data", "NOT_FOUND"},
			body: refetch(id("Initiative"), "Initiative", "partnerships { totalCount nodes { organization { id } } }")},
		{name: "node(id:) Meeting → place", want: []string{"data", "NOT_FOUND"},
			body: refetch(id("Meeting"), "Meeting", "place { id } participants { nodes { person { id } } }")},
		{name: "node(id:) Person → positions", want: []string{"data", "NOT_FOUND"},
			body: refetch(id("Person"), "Person", "positions { totalCount nodes { organization { id } } }")},
		{name: "49 aliases of node(id:) with relations", body: many, want: []string{"data"}},
	}
}
