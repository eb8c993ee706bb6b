package main

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
)

// jsonDiff returns the first difference between the data of two JSON
// documents, or "" if they hold the same data: the same keys and values,
// lists in the same order, numbers equal to within 1e-9 (relative).
func jsonDiff(want, got []byte) string {
	var a, b any
	if err := json.Unmarshal(want, &a); err != nil {
		return "server: " + err.Error()
	}
	if err := json.Unmarshal(got, &b); err != nil {
		return "floor: " + err.Error()
	}
	return diff("data", a, b)
}

func diff(path string, a, b any) string {
	switch a := a.(type) {
	case map[string]any:
		b, ok := b.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s: server has an object, floor %s", path, describe(b))
		}
		for _, k := range slices.Sorted(mapKeys(a, b)) {
			av, aok := a[k]
			bv, bok := b[k]
			if !aok || !bok {
				return fmt.Sprintf("%s.%s: present on one side only (server %v, floor %v)", path, k, aok, bok)
			}
			if d := diff(path+"."+k, av, bv); d != "" {
				return d
			}
		}
	case []any:
		b, ok := b.([]any)
		if !ok {
			return fmt.Sprintf("%s: server has a list, floor %s", path, describe(b))
		}
		if len(a) != len(b) {
			return fmt.Sprintf("%s: server has %d items, floor %d", path, len(a), len(b))
		}
		for i := range a {
			if d := diff(path+"["+strconv.Itoa(i)+"]", a[i], b[i]); d != "" {
				return d
			}
		}
	case float64:
		bf, ok := b.(float64)
		if !ok || math.Abs(a-bf) > 1e-9*max(math.Abs(a), math.Abs(bf)) {
			return fmt.Sprintf("%s: server has %v, floor %s", path, a, describe(b))
		}
	default: // string, bool, nil
		if a != b {
			return fmt.Sprintf("%s: server has %s, floor %s", path, describe(a), describe(b))
		}
	}
	return ""
}

// mapKeys returns the keys of both maps.
func mapKeys(a, b map[string]any) func(yield func(string) bool) {
	return func(yield func(string) bool) {
		for k := range a {
			if !yield(k) {
				return
			}
		}
		for k := range b {
			if _, ok := a[k]; !ok && !yield(k) {
				return
			}
		}
	}
}

// describe writes a JSON value briefly, for messages.
func describe(v any) string {
	b, _ := json.Marshal(v)
	return clip(b, 120)
}
