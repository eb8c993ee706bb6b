package graph

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"tracker/models"
	"tracker/models/modelstest"
)

// TestHistoryChanges reads the fields a change set as JSON values — a
// string is a string, a date its text, an absent value null — not as JSON
// text inside strings, on both databases.
func TestHistoryChanges(t *testing.T) {
	modelstest.Each(t, func(t *testing.T, d models.Dialect) {
		c, _ := officerClient(t, d)
		item := itemNow(t, c, "urge-financial-resources")
		var before struct {
			ActionItem struct{ Title string }
		}
		c.mustQuery(`query($s: String!) { actionItem(slug: $s) { title } }`, map[string]any{"s": "urge-financial-resources"}, &before)
		c.mustQuery(`mutation($id: ID!, $v: Int!) { updateActionItem(id: $id, input: {expectedVersion: $v,
			title: "Urge \"financial\" resources", due: {date: "2010-06-30", precision: MONTH}}) { actionItem { version } } }`,
			map[string]any{"id": item.ID, "v": item.Version}, &struct{}{})

		var out struct {
			ActionItem struct {
				History struct {
					Nodes []struct {
						Action  string
						Changes json.RawMessage
					}
				}
			}
		}
		c.mustQuery(`query($s: String!) { actionItem(slug: $s) { history(first: 1) { nodes { action changes { field before after } } } } }`,
			map[string]any{"s": "urge-financial-resources"}, &out)
		nodes := out.ActionItem.History.Nodes
		if len(nodes) != 1 || nodes[0].Action != "UPDATE" {
			t.Fatalf("history = %+v, want one UPDATE", nodes)
		}
		var got []map[string]any
		if err := json.Unmarshal(nodes[0].Changes, &got); err != nil {
			t.Fatal(err)
		}
		want := []map[string]any{
			{"field": "title", "before": before.ActionItem.Title, "after": `Urge "financial" resources`},
			{"field": "dueOn", "before": nil, "after": "2010-06-01"}, // a month is stored as its first day,
			{"field": "duePrecision", "before": nil, "after": "MONTH"},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("changes (-want +got):\n%s\nraw: %s", diff, nodes[0].Changes)
		}
	})
}
