package querygen

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// maxSamples bounds the values kept of one field.
const maxSamples = 300

// SampleQueries returns the queries whose responses Add reads samples
// from: the items of every root connection with their scalar fields, and
// the items of the connections of those items, one query each.
func SampleQueries(schema *ast.Schema) []string {
	var out []string
	for _, root := range schema.Query.Fields {
		t := schema.Types[root.Type.Name()]
		if strings.HasPrefix(root.Name, "__") || !isConnection(t) || hasRequired(root) {
			continue
		}
		items := schema.Types[t.Fields.ForName("nodes").Type.Name()]
		leaves := scalars(schema, items)
		out = append(out, fmt.Sprintf("{ %s(first: 1000) { nodes { %s } } }", root.Name, leaves))
		for _, f := range items.Fields {
			ft := schema.Types[f.Type.Name()]
			if !isConnection(ft) || hasRequired(f) {
				continue
			}
			inner := schema.Types[ft.Fields.ForName("nodes").Type.Name()]
			out = append(out, fmt.Sprintf("{ %s(first: 200) { nodes { __typename id %s(first: 20) { nodes { %s } } } } }",
				root.Name, f.Name, scalars(schema, inner)))
		}
	}
	return out
}

func hasRequired(f *ast.FieldDefinition) bool {
	return slices.ContainsFunc(f.Arguments, func(a *ast.ArgumentDefinition) bool { return a.Type.NonNull && a.DefaultValue == nil })
}

// scalars selects the __typename, the scalar fields without arguments, and
// the dates of the partial dates of type t.
func scalars(schema *ast.Schema, t *ast.Definition) string {
	sel := []string{"__typename"}
	for _, f := range t.Fields {
		ft := schema.Types[f.Type.Name()]
		switch {
		case strings.HasPrefix(f.Name, "__") || len(f.Arguments) > 0:
		case isLeaf(ft):
			sel = append(sel, f.Name)
		case ft.Kind == ast.Object && ft.Fields.ForName("date") != nil && ft.Fields.ForName("precision") != nil:
			sel = append(sel, f.Name+" { date }")
		}
	}
	return strings.Join(sel, " ")
}

// Add records the IDs and field values of the objects of a response body
// (objects carrying __typename).
func (sm *Samples) Add(body []byte) error {
	var resp struct {
		Data   any
		Errors []struct{ Message string }
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		return fmt.Errorf("decode samples: %w", err)
	}
	if len(resp.Errors) > 0 && resp.Data == nil {
		return fmt.Errorf("samples query failed: %s", resp.Errors[0].Message)
	}
	if sm.IDs == nil {
		sm.IDs, sm.Values = map[string][]string{}, map[string]map[string][]any{}
	}
	sm.walk(resp.Data)
	sm.sortedTypes, sm.allWords = nil, nil
	return nil
}

func (sm *Samples) walk(v any) {
	switch v := v.(type) {
	case []any:
		for _, e := range v {
			sm.walk(e)
		}
	case map[string]any:
		typ, _ := v["__typename"].(string)
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys) // the same samples in the same order, for the same seeds
		for _, k := range keys {
			e := v[k]
			switch e := e.(type) {
			case map[string]any:
				if d, ok := e["date"].(string); ok && len(e) == 1 && typ != "" {
					sm.value(typ, k, d)
					continue
				}
				sm.walk(e)
			case []any:
				sm.walk(e)
			case string, float64:
				switch {
				case typ == "" || k == "__typename":
				case k == "id":
					if !slices.Contains(sm.IDs[typ], e.(string)) {
						sm.IDs[typ] = append(sm.IDs[typ], e.(string))
					}
				default:
					sm.value(typ, k, e)
				}
			}
		}
	}
}

func (sm *Samples) value(typ, field string, v any) {
	if sm.Values[typ] == nil {
		sm.Values[typ] = map[string][]any{}
	}
	if vals := sm.Values[typ][field]; len(vals) < maxSamples && !slices.Contains(vals, v) {
		sm.Values[typ][field] = append(vals, v)
	}
}
