package graph

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// httpTransport carries GraphQL over HTTP as the GraphQL-over-HTTP
// specification describes it, for GET (queries) and POST (JSON bodies; the
// protocol middleware has already refused other methods, content types and
// oversized bodies):
//
//   - the response is application/graphql-response+json when the client
//     accepts it, application/json otherwise (and when it says nothing);
//   - a request that is not a GraphQL request at all (a body that is not a
//     JSON object, a query that is not a string, no query) is 400, with a
//     code, and never echoes the body;
//   - a request error (a document that does not parse or validate,
//     variables that do not coerce, a limit) has no data entry; its status
//     is 400 for application/graphql-response+json and 200 for
//     application/json, whose clients read errors from the body;
//   - an operation refused by admission control is 503, with Retry-After;
//   - an executed operation is 200, with its data and any field errors.
type httpTransport struct {
	admission *admission // nil: every operation runs at once
}

var _ graphql.Transport = httpTransport{}

const (
	mediaJSON            = "application/json"
	mediaGraphQLResponse = "application/graphql-response+json"
	codeBadRequest       = "BAD_REQUEST"
)

func (httpTransport) Supports(r *http.Request) bool {
	return r.Header.Get("Upgrade") == "" && (r.Method == http.MethodGet || r.Method == http.MethodPost)
}

// envelope is a POST body, decoded in one pass with numbers kept exact for
// the scalars to judge. Its fields are then checked for their JSON kind: a
// query that is a number is a malformed request, not an empty query.
type envelope struct {
	Query         any `json:"query"`
	OperationName any `json:"operationName"`
	Variables     any `json:"variables"`
	Extensions    any `json:"extensions"`
}

func (t httpTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	media := responseMedia(r.Header.Get("Accept"))
	w.Header().Set("Content-Type", media)
	start := graphql.Now()

	var params *graphql.RawParams
	var err error
	if r.Method == http.MethodGet {
		params, err = getParams(r)
	} else {
		params, err = postParams(r.Body)
	}
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		writeRequestErrors(w, &graphql.Response{Errors: gqlerror.List{{Message: err.Error(),
			Extensions: map[string]any{"code": codeBadRequest}}}})
		return
	}
	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}

	ctx := r.Context()
	opCtx, errs := exec.CreateOperationContext(ctx, params)
	if errs != nil {
		resp := exec.DispatchError(graphql.WithOperationContext(ctx, opCtx), errs)
		if media == mediaGraphQLResponse {
			w.WriteHeader(http.StatusBadRequest)
		}
		writeRequestErrors(w, resp)
		return
	}
	if t.admission != nil {
		release, refused := t.admission.admit(ctx, opCtx)
		if refused != nil {
			refused.write(ctx, w)
			return
		}
		// Held until the response is written: its memory is part of the
		// cost.
		defer release()
	}
	responses, ctx := exec.DispatchOperation(ctx, opCtx)
	writeJSON(w, responses(ctx))
}

// requestError is a request that is not a well-formed GraphQL request; its
// message is safe to show and quotes nothing of the request.
type requestError string

func (e requestError) Error() string { return string(e) }

func postParams(body io.Reader) (*graphql.RawParams, error) {
	raw, err := io.ReadAll(body)
	if err != nil {
		return nil, requestError("the request body could not be read")
	}
	trimmed := bytes.TrimLeft(raw, " \t\r\n")
	switch {
	case len(trimmed) == 0:
		return nil, requestError("the request body is empty: send a JSON object with a query")
	case trimmed[0] == '[':
		return nil, requestError("batched requests are not supported: send one JSON object per request")
	case trimmed[0] != '{':
		return nil, requestError("the request body must be a JSON object with a query")
	}
	var env envelope
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if dec.Decode(&env) != nil || dec.Decode(new(json.RawMessage)) != io.EOF {
		return nil, requestError("the request body is not valid JSON")
	}
	p := &graphql.RawParams{}
	switch {
	case !asType(env.Query, &p.Query):
		return nil, requestError("the query parameter must be a string")
	case !asType(env.OperationName, &p.OperationName):
		return nil, requestError("the operationName parameter must be a string")
	case !asType(env.Variables, &p.Variables):
		return nil, requestError("the variables parameter must be a JSON object")
	case !asType(env.Extensions, &p.Extensions):
		return nil, requestError("the extensions parameter must be a JSON object")
	}
	return p, checkQuery(p)
}

func getParams(r *http.Request) (*graphql.RawParams, error) {
	q := r.URL.Query()
	p := &graphql.RawParams{Query: q.Get("query"), OperationName: q.Get("operationName")}
	if v := q.Get("variables"); v != "" {
		if err := decodeObject(json.RawMessage(v), &p.Variables, "variables"); err != nil {
			return nil, err
		}
	}
	if v := q.Get("extensions"); v != "" {
		if err := decodeObject(json.RawMessage(v), &p.Extensions, "extensions"); err != nil {
			return nil, err
		}
	}
	return p, checkQuery(p)
}

// checkQuery refuses a request with no query, unless it names a persisted
// one.
func checkQuery(p *graphql.RawParams) error {
	if p.Query == "" && p.Extensions["persistedQuery"] == nil {
		return requestError("the request has no query")
	}
	return nil
}

// asType sets *dst to v if v, a decoded JSON value, is of dst's type, and
// reports whether it is or v is null.
func asType[T any](v any, dst *T) bool {
	if v == nil {
		return true
	}
	t, ok := v.(T)
	*dst = t
	return ok
}

// decodeObject reads an optional JSON object parameter, with numbers kept
// exact for the scalars to judge.
func decodeObject(raw json.RawMessage, dst *map[string]any, name string) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if raw[0] != '{' || dec.Decode(dst) != nil || dec.More() {
		return requestError("the " + name + " parameter must be a JSON object")
	}
	return nil
}

// responseMedia is the media type of the response: GraphQL's own when the
// client accepts it, JSON otherwise (the legacy default).
func responseMedia(accept string) string {
	for part := range strings.SplitSeq(accept, ",") {
		media, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err == nil && media == mediaGraphQLResponse && params["q"] != "0" {
			return mediaGraphQLResponse
		}
	}
	return mediaJSON
}

// writeRequestErrors writes the response to a request that did not run:
// its errors and extensions, and no data entry.
func writeRequestErrors(w io.Writer, resp *graphql.Response) {
	_ = json.NewEncoder(w).Encode(struct {
		Errors     gqlerror.List  `json:"errors"`
		Extensions map[string]any `json:"extensions,omitempty"`
	}{resp.Errors, resp.Extensions})
}

// writeJSON writes resp. Its data, JSON that the executor wrote, goes out
// as it is: json.Marshal would scan and copy it again (a 50 KB front page
// costs as much to re-encode as its errors and extensions together many
// times over).
func writeJSON(w io.Writer, resp *graphql.Response) {
	if resp == nil {
		resp = &graphql.Response{Errors: gqlerror.List{{Message: "no response",
			Extensions: map[string]any{"code": "INTERNAL_SERVER_ERROR"}}}}
	}
	if resp.Label != "" || resp.Path != nil || resp.HasNext != nil {
		writeMarshaled(w, resp) // incremental delivery's fields: rare
		return
	}
	var errs, exts []byte
	var err error
	if len(resp.Errors) > 0 {
		if errs, err = json.Marshal(resp.Errors); err != nil {
			writeMarshaled(w, resp)
			return
		}
	}
	if len(resp.Extensions) > 0 {
		if exts, err = json.Marshal(resp.Extensions); err != nil {
			writeMarshaled(w, resp)
			return
		}
	}
	data := []byte(resp.Data)
	if len(data) == 0 {
		data = []byte("null")
	}
	buf := make([]byte, 0, len(errs)+len(exts)+32)
	buf = append(buf, '{')
	if errs != nil {
		buf = append(buf, `"errors":`...)
		buf = append(buf, errs...)
		buf = append(buf, ',')
	}
	buf = append(buf, `"data":`...)
	_, _ = w.Write(buf)
	_, _ = w.Write(data)
	buf = buf[:0]
	if exts != nil {
		buf = append(buf, `,"extensions":`...)
		buf = append(buf, exts...)
	}
	buf = append(buf, '}')
	_, _ = w.Write(buf)
}

// writeMarshaled writes resp through encoding/json.
func writeMarshaled(w io.Writer, resp *graphql.Response) {
	b, err := json.Marshal(resp)
	if err != nil {
		b, _ = json.Marshal(&graphql.Response{Errors: gqlerror.List{{Message: "internal error",
			Extensions: map[string]any{"code": "INTERNAL_SERVER_ERROR"}}}})
	}
	_, _ = w.Write(b)
}
