package main

import (
	"strings"
	"testing"
)

// TestJSONDiff checks the comparison that stops the benchmark when the
// floor does not fetch the server's data.
func TestJSONDiff(t *testing.T) {
	same := []struct{ server, floor string }{
		{`{"a":1,"b":[true,null,"x"]}`, `{"b":[true,null,"x"],"a":1.0}`},
		{`{"share":0.3333333333333333}`, `{"share":0.33333333333333337}`},
		{`{"a":{"b":[]}}`, `{"a":{"b":[]}}`},
	}
	for _, c := range same {
		if d := jsonDiff([]byte(c.server), []byte(c.floor)); d != "" {
			t.Errorf("jsonDiff(%s, %s) = %q, want no difference", c.server, c.floor, d)
		}
	}
	differ := []struct{ server, floor, want string }{
		{`{"a":1}`, `{"a":2}`, "data.a: server has 1, floor 2"},
		{`{"a":1}`, `{"a":"1"}`, `data.a: server has 1, floor "1"`},
		{`{"a":1}`, `{"a":1,"b":2}`, "data.b: present on one side only"},
		{`{"l":[1,2]}`, `{"l":[2,1]}`, "data.l[0]"},
		{`{"l":[1,2]}`, `{"l":[1]}`, "data.l: server has 2 items, floor 1"},
		{`{"o":{"x":"a"}}`, `{"o":["a"]}`, "data.o: server has an object"},
		{`{"n":null}`, `{"n":0}`, "data.n"},
		{`{"a":1}`, `not json`, "floor:"},
	}
	for _, c := range differ {
		d := jsonDiff([]byte(c.server), []byte(c.floor))
		if !strings.Contains(d, c.want) {
			t.Errorf("jsonDiff(%s, %s) = %q, want it to contain %q", c.server, c.floor, d, c.want)
		}
	}
}
