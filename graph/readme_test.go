package graph

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"tracker/models"
	"tracker/models/modelstest"
)

// TestReadmeExamples runs every query of the README's Examples and Errors
// sections on the seeded database and checks that the output printed under
// it is what the server returns, errors with their locations included, so
// that the README cannot drift from the API.
func TestReadmeExamples(t *testing.T) {
	examples := readmeExamples(t, "../README.md", "## Examples")
	if len(examples) < 5 {
		t.Fatalf("found %d examples in the README, want at least 5", len(examples))
	}
	errorExamples := readmeExamples(t, "../README.md", "## Errors")
	if len(errorExamples) < 2 {
		t.Fatalf("found %d examples in the README's Errors section, want at least 2", len(errorExamples))
	}
	examples = append(examples, errorExamples...)
	eachSeeded(t, func(t *testing.T, c *client) {
		for i, ex := range examples {
			got := responseJSON(t, c.do(ex.query, nil))
			want := readmeOutput(t, i, ex.output)
			sameBytes(t, c, ex.query, ex.output)
			if c.store.Dialect() == models.Postgres {
				// Postgres's ts_headline cuts snippets at other words than
				// SQLite's snippet(); the README shows the latter.
				got, want = markedOnly(got).(map[string]any), markedOnly(want).(map[string]any)
			}
			if !reflect.DeepEqual(got, want) {
				gotJSON, _ := json.MarshalIndent(got, "", "  ")
				t.Errorf("example %d (%s…): the server returns\n%s\nthe README shows\n%s", i+1, firstLine(ex.query), gotJSON, ex.output)
			}
		}
	})
}

// TestReadmeWriting runs the README's walk through a workflow move as the
// officer it issues a token to: the move, the same move again (a stale
// version), a move the workflow does not allow, and the move without
// credentials, each answered as the README prints it.
func TestReadmeWriting(t *testing.T) {
	var queries, outputs []string
	for _, b := range readmeBlocks(t, "../README.md", "## Writing: sign-in, roles, workflow, history") {
		switch b.lang {
		case "graphql":
			queries = append(queries, b.body)
		case "json":
			outputs = append(outputs, b.body)
		}
	}
	if len(queries) != 2 || len(outputs) != 4 {
		t.Fatalf("the README's Writing section has %d queries and %d outputs; this test runs 2 and checks 4", len(queries), len(outputs))
	}
	move, forbidden := queries[0], queries[1]
	steps := []struct {
		query  string
		signed bool
	}{{move, true}, {move, true}, {forbidden, true}, {move, false}}
	modelstest.Each(t, func(t *testing.T, d models.Dialect) {
		store := modelstest.Seeded(t, d)
		token, _, err := store.CreateAPIToken(adminCtx(), models.NewTokenSpec{Name: "secretariat officer",
			Role: models.RoleOfficer, Organizations: []uint{orgID(t, store, "un-secretariat")}})
		if err != nil {
			t.Fatal(err)
		}
		anonymous := newClient(t, store)
		officer := anonymous.as(token)
		for i, step := range steps {
			c := anonymous
			if step.signed {
				c = officer
			}
			got := responseJSON(t, c.do(step.query, nil))
			want := readmeOutput(t, i, outputs[i])
			sameBytes(t, c, step.query, outputs[i])
			// The README shows when its move was made; the test's is now.
			got, want = withoutTimes(got).(map[string]any), withoutTimes(want).(map[string]any)
			if !reflect.DeepEqual(got, want) {
				gotJSON, _ := json.MarshalIndent(got, "", "  ")
				t.Errorf("output %d of the Writing section: the server returns\n%s\nthe README shows\n%s", i+1, gotJSON, outputs[i])
			}
		}
	})
}

// sameBytes checks that an output the README prints on one line, as the
// server writes it, is the server's answer to query byte for byte, the
// order of the keys included. It asks a handler configured as a server is
// by default, which reports no statement counts.
func sameBytes(t *testing.T, c *client, query, output string) {
	t.Helper()
	output = strings.TrimSpace(output)
	if strings.Contains(output, "\n") {
		return // laid out for reading: compared as JSON only
	}
	body, _ := json.Marshal(map[string]any{"query": query})
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	w := httptest.NewRecorder()
	NewHandler(c.store, Options{Auth: AuthOptions{PublicRead: true}}).ServeHTTP(w, req)
	if got := strings.TrimSpace(w.Body.String()); got != output {
		t.Errorf("the server writes\n%s\nthe README prints\n%s", got, output)
	}
}

// responseJSON returns r as the generic JSON value the server sent.
func responseJSON(t *testing.T, r response) map[string]any {
	t.Helper()
	got := map[string]any{}
	if r.Data != nil {
		var data any
		if err := json.Unmarshal(r.Data, &data); err != nil {
			t.Fatalf("data: %v", err)
		}
		got["data"] = data
	}
	if len(r.Errors) > 0 {
		raw, _ := json.Marshal(r.Errors)
		var errs any
		_ = json.Unmarshal(raw, &errs)
		got["errors"] = errs
	}
	return got
}

// readmeOutput decodes output i of the README.
func readmeOutput(t *testing.T, i int, output string) map[string]any {
	t.Helper()
	var want map[string]any
	if err := json.Unmarshal([]byte(output), &want); err != nil {
		t.Fatalf("example %d: the README's output is not JSON: %v", i+1, err)
	}
	return want
}

// withoutTimes blanks every occurredAt in v.
func withoutTimes(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			if k == "occurredAt" {
				x = "…"
			}
			out[k] = withoutTimes(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = withoutTimes(x)
		}
		return out
	}
	return v
}

type readmeExample struct{ query, output string }

// readmeExamples returns the pairs of a graphql code block and the json
// block that follows it in the section of path headed by heading.
func readmeExamples(t *testing.T, path, heading string) []readmeExample {
	t.Helper()
	var out []readmeExample
	var query string
	for _, b := range readmeBlocks(t, path, heading) {
		switch {
		case b.lang == "graphql":
			query = b.body
		case b.lang == "json" && query != "":
			out = append(out, readmeExample{query, b.body})
			query = ""
		}
	}
	return out
}

type fence struct{ lang, body string }

// readmeBlocks returns the fenced code blocks of the section of path
// headed by heading, in order.
func readmeBlocks(t *testing.T, path, heading string) []fence {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	start := strings.Index(text, "\n"+heading+"\n")
	if start < 0 {
		t.Fatalf("%s has no %q section", path, heading)
	}
	section := text[start+len(heading)+2:]
	if end := strings.Index(section, "\n## "); end >= 0 {
		section = section[:end]
	}
	var out []fence
	for {
		lang, body, rest, ok := nextFence(section)
		if !ok {
			return out
		}
		section = rest
		out = append(out, fence{lang, body})
	}
}

// nextFence finds the next fenced code block of s.
func nextFence(s string) (lang, body, rest string, ok bool) {
	i := strings.Index(s, "```")
	if i < 0 {
		return "", "", "", false
	}
	s = s[i+3:]
	nl := strings.IndexByte(s, '\n')
	if nl < 0 {
		return "", "", "", false
	}
	lang = strings.TrimSpace(s[:nl])
	s = s[nl+1:]
	j := strings.Index(s, "```")
	if j < 0 {
		return "", "", "", false
	}
	return lang, s[:j], s[j+3:], true
}

func firstLine(s string) string {
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		if l = strings.TrimSpace(l); l != "{" && l != "" {
			return l
		}
	}
	return s
}

var marked = regexp.MustCompile(`<mark>(.*?)</mark>`)

// markedOnly replaces every snippet in v with the words it highlights.
func markedOnly(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			if s, ok := x.(string); ok && k == "snippet" {
				var words []any
				for _, m := range marked.FindAllStringSubmatch(s, -1) {
					words = append(words, m[1])
				}
				out[k] = words
				continue
			}
			out[k] = markedOnly(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = markedOnly(x)
		}
		return out
	}
	return v
}
