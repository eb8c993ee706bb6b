package graph

import (
	"encoding/json"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"tracker/models"
)

// TestReadmeExamples runs every query of the README's Examples section on
// the seeded database and checks that the output printed under it is what
// the server returns, so that the README cannot drift from the API.
func TestReadmeExamples(t *testing.T) {
	examples := readmeExamples(t, "../README.md", "## Examples")
	if len(examples) < 5 {
		t.Fatalf("found %d examples in the README, want at least 5", len(examples))
	}
	eachSeeded(t, func(t *testing.T, c *client) {
		for i, ex := range examples {
			r := c.do(ex.query, nil)
			got := map[string]any{}
			var data any
			if err := json.Unmarshal(r.Data, &data); err != nil {
				t.Fatalf("example %d: data: %v", i+1, err)
			}
			got["data"] = data
			if len(r.Errors) > 0 {
				raw, _ := json.Marshal(r.Errors)
				var errs any
				_ = json.Unmarshal(raw, &errs)
				got["errors"] = errs
			}
			var want map[string]any
			if err := json.Unmarshal([]byte(ex.output), &want); err != nil {
				t.Fatalf("example %d: the README's output is not JSON: %v", i+1, err)
			}
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

type readmeExample struct{ query, output string }

// readmeExamples returns the pairs of a graphql code block and the json
// block that follows it in the section of path headed by heading.
func readmeExamples(t *testing.T, path, heading string) []readmeExample {
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
	var out []readmeExample
	var query string
	for {
		lang, body, rest, ok := nextFence(section)
		if !ok {
			return out
		}
		section = rest
		switch {
		case lang == "graphql":
			query = body
		case lang == "json" && query != "":
			out = append(out, readmeExample{query, body})
			query = ""
		}
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
