package graph

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// TestGraphQLOverHTTP checks the status, media type and shape of responses
// as the GraphQL-over-HTTP specification describes them, for both response
// media types.
func TestGraphQLOverHTTP(t *testing.T) {
	srv, _ := rawServer(t, Options{})
	url := srv.URL + "/graphql"

	send := func(t *testing.T, accept, body string) (int, string, map[string]json.RawMessage) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var doc map[string]json.RawMessage
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatalf("not a JSON object: %s", raw)
		}
		return resp.StatusCode, resp.Header.Get("Content-Type"), doc
	}
	code := func(doc map[string]json.RawMessage) string {
		var errs []gqlError
		_ = json.Unmarshal(doc["errors"], &errs)
		if len(errs) == 0 {
			return ""
		}
		return errs[0].Code()
	}

	t.Run("NotAGraphQLRequest", func(t *testing.T) {
		secret := "s3cr3t-in-the-body"
		for name, body := range map[string]string{
			"malformed JSON":  `{"query": "{ organizations ` + secret,
			"empty body":      ``,
			"JSON array":      `[{"query": "{ __typename }"}]`,
			"JSON string":     `"{ __typename }"`,
			"query a number":  `{"query": 42}`,
			"variables array": `{"query": "{ __typename }", "variables": ["` + secret + `"]}`,
			"no query":        `{"qeury": "{ __typename }"}`,
		} {
			for _, accept := range []string{"application/json", "application/graphql-response+json"} {
				status, _, doc := send(t, accept, body)
				if status != http.StatusBadRequest || code(doc) != "BAD_REQUEST" {
					t.Errorf("%s (%s): status %d, code %q", name, accept, status, code(doc))
				}
				if _, ok := doc["data"]; ok {
					t.Errorf("%s (%s): has a data entry", name, accept)
				}
				if raw, _ := json.Marshal(doc); strings.Contains(string(raw), secret) {
					t.Errorf("%s (%s): the response echoes the body: %s", name, accept, raw)
				}
			}
		}
	})

	t.Run("RequestErrors", func(t *testing.T) {
		for name, tc := range map[string]struct{ body, code string }{
			"parse":      {`{"query": "{"}`, "GRAPHQL_PARSE_FAILED"},
			"validation": {`{"query": "{ noSuchField }"}`, "GRAPHQL_VALIDATION_FAILED"},
			"variables":  {`{"query": "query($id: ID!) { __typename }", "variables": {"id": null}}`, "GRAPHQL_VALIDATION_FAILED"},
		} {
			for accept, want := range map[string]int{"": 200, "application/json": 200, "application/graphql-response+json": 400} {
				status, ct, doc := send(t, accept, tc.body)
				if status != want || code(doc) != tc.code {
					t.Errorf("%s (Accept %q): status %d code %q, want %d %s", name, accept, status, code(doc), want, tc.code)
				}
				if _, ok := doc["data"]; ok {
					t.Errorf("%s (Accept %q): a request error has a data entry", name, accept)
				}
				wantCT := "application/json"
				if accept == "application/graphql-response+json" {
					wantCT = accept
				}
				if !strings.HasPrefix(ct, wantCT) {
					t.Errorf("%s (Accept %q): Content-Type %q", name, accept, ct)
				}
			}
		}
	})

	t.Run("Executed", func(t *testing.T) {
		// A field error is part of an executed operation: 200 with data.
		for _, accept := range []string{"application/json", "application/graphql-response+json"} {
			status, _, doc := send(t, accept, `{"query": "{ node(id: \"abc\") { id } organizations { totalCount } }"}`)
			if status != http.StatusOK || code(doc) != "BAD_USER_INPUT" || !strings.Contains(string(doc["data"]), "totalCount") {
				t.Errorf("%s: status %d, code %q, data %s", accept, status, code(doc), doc["data"])
			}
		}
	})

	t.Run("GETWithoutQuery", func(t *testing.T) {
		resp, err := http.Get(url + "?variables=%7B%7D")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("status %d", resp.StatusCode)
		}
	})
}

// TestWriteJSON checks that a response written with its data spliced in as
// it is reads back as encoding/json would have written it.
func TestWriteJSON(t *testing.T) {
	hasNext := false
	cases := map[string]*graphql.Response{
		"data":            {Data: json.RawMessage(`{"a":[1,"<&>"],"b":null}`)},
		"no data":         {},
		"errors and data": {Data: json.RawMessage(`{"a":null}`), Errors: gqlerror.List{{Message: "m", Extensions: map[string]any{"code": "NOT_FOUND"}}}},
		"extensions":      {Data: json.RawMessage(`{}`), Extensions: map[string]any{"sqlStatements": 3}},
		"incremental":     {Data: json.RawMessage(`{}`), Label: "l", HasNext: &hasNext},
		"nil":             nil,
	}
	for name, resp := range cases {
		t.Run(name, func(t *testing.T) {
			var got strings.Builder
			writeJSON(&got, resp)
			want := resp
			if want == nil {
				want = &graphql.Response{Errors: gqlerror.List{{Message: "no response",
					Extensions: map[string]any{"code": "INTERNAL_SERVER_ERROR"}}}}
			}
			wantJSON, err := json.Marshal(want)
			if err != nil {
				t.Fatal(err)
			}
			var g, w any
			if err := json.Unmarshal([]byte(got.String()), &g); err != nil {
				t.Fatalf("not JSON: %v: %s", err, got.String())
			}
			_ = json.Unmarshal(wantJSON, &w)
			if !reflect.DeepEqual(g, w) {
				t.Errorf("wrote %s, want the equivalent of %s", got.String(), wantJSON)
			}
		})
	}
}

// TestPostParams pins the decoding of POST bodies: each malformed part
// named, numbers kept exact, null parameters absent.
func TestPostParams(t *testing.T) {
	for body, want := range map[string]string{
		`{"query": "{ a }", "variables": {"n": 12345678901234567890, "s": "x"}, "extensions": {"e": [1.5]}}`: `{ a }||map[n:12345678901234567890 s:x]|map[e:[1.5]]`,
		`{"query": "{ a }", "operationName": null, "variables": null, "extensions": null}`:                   `{ a }||map[]|map[]`,
		` {"Query": "{ a }", "OperationName": "A"} `:                                                         `{ a }|A|map[]|map[]`,
		`{"query": "{ a }"} {"query": "{ b }"}`:                                                              "the request body is not valid JSON",
		`{"query": "{ a }"} x`:                                                                               "the request body is not valid JSON",
		`{"query": "{ a }"`:                                                                                  "the request body is not valid JSON",
		`{"query": 42}`:                                                                                      "the query parameter must be a string",
		`{"query": "{ a }", "operationName": ["A"]}`:                                                         "the operationName parameter must be a string",
		`{"query": "{ a }", "variables": "{}"}`:                                                              "the variables parameter must be a JSON object",
		`{"query": "{ a }", "variables": {}, "extensions": 1}`:                                               "the extensions parameter must be a JSON object",
		`{"variables": {}}`:                                                                                  "the request has no query",
	} {
		p, err := postParams(strings.NewReader(body))
		got := ""
		if err != nil {
			got = err.Error()
		} else {
			got = p.Query + "|" + p.OperationName + "|" + fmt.Sprint(p.Variables) + "|" + fmt.Sprint(p.Extensions)
			if n, ok := p.Variables["n"]; ok && reflect.TypeOf(n) != reflect.TypeFor[json.Number]() {
				t.Errorf("%s: variable n is a %T, want json.Number", body, n)
			}
		}
		if got != want {
			t.Errorf("%s: got %q, want %q", body, got, want)
		}
	}
}
