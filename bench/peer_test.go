package main

import (
	"strings"
	"testing"
)

// TestNormalizePeer checks the mapping from PostGraphile's response data to
// ours that the benchmark applies before comparing them.
func TestNormalizePeer(t *testing.T) {
	cases := []struct{ peer, want string }{
		// Row IDs next to __typename become global IDs, BigInt (string) or Int.
		{`{"a":{"__typename":"Initiative","id":"42","title":"x"}}`, `{"a":{"id":"` + globalID("Initiative", 42) + `","title":"x"}}`},
		{`{"a":[{"__typename":"ActionItem","id":7}]}`, `{"a":[{"id":"` + globalID("ActionItem", 7) + `"}]}`},
		// a__b aliases fold into an object, null when all its keys are.
		{`{"due__date":"2026-01-02","due__precision":"DAY"}`, `{"due":{"date":"2026-01-02","precision":"DAY"}}`},
		{`{"due__date":null,"due__precision":null,"n":1}`, `{"due":null,"n":1}`},
		// Nothing else changes.
		{`{"totalCount":3,"nodes":[],"__typename":"X"}`, `{"totalCount":3,"nodes":[]}`},
	}
	for _, c := range cases {
		got, err := normalizePeer([]byte(c.peer))
		if err != nil {
			t.Errorf("normalizePeer(%s): %v", c.peer, err)
			continue
		}
		if d := jsonDiff([]byte(c.want), got); d != "" {
			t.Errorf("normalizePeer(%s) = %s, want %s: %s", c.peer, got, c.want, d)
		}
	}
	if _, err := normalizePeer([]byte(`{"__typename":"Initiative","id":"SW5pdA"}`)); err == nil || !strings.Contains(err.Error(), "row ID") {
		t.Errorf("normalizePeer of a node ID: err = %v, want one about row IDs", err)
	}
}

// TestPeerDocuments checks that every PostGraphile document is of a query
// of the mix, and that PostGraphile 4's version names row IDs id.
func TestPeerDocuments(t *testing.T) {
	mix, err := loadMix(nil, pgFloor{}.variants())
	if err != nil {
		t.Fatal(err)
	}
	files, err := peerFiles.ReadDir("postgraphile/queries")
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, q := range mix {
		names[q.name] = true
		if q.peer == "" && peerNA[q.name] == "" {
			t.Errorf("mix query %s has neither a PostGraphile document nor a reason in peerNA", q.name)
		}
		if q.peer != "" && peerNA[q.name] != "" {
			t.Errorf("mix query %s has a PostGraphile document and a reason in peerNA", q.name)
		}
	}
	for _, f := range files {
		if name := strings.TrimSuffix(f.Name(), ".graphql"); !names[name] {
			t.Errorf("postgraphile/queries/%s has no query in bench/mix", f.Name())
		}
	}
	p := &peer{v4: true}
	if got := p.document(`{ a { id: rowId } }`); got != `{ a { id: id } }` {
		t.Errorf("PostGraphile 4 document = %q, want rowId replaced by id", got)
	}
}

// TestKeyValues checks the -peer and -peer-pid flags.
func TestKeyValues(t *testing.T) {
	var kv keyValues
	for _, s := range []string{"postgraphile5=http://127.0.0.1:5678", "postgraphile4=http://127.0.0.1:5000/graphql"} {
		if err := kv.Set(s); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := kv.lookup("postgraphile4"), "http://127.0.0.1:5000/graphql"; got != want {
		t.Errorf("lookup = %q, want %q", got, want)
	}
	for _, bad := range []string{"noequals", "=x", "x="} {
		if err := kv.Set(bad); err == nil {
			t.Errorf("Set(%q): no error", bad)
		}
	}
}
