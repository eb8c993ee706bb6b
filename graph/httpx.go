package graph

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"os"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"tracker/models"
)

// protocol applies the GraphQL-over-HTTP rules gqlgen leaves open: queries
// come by GET or POST, mutations by POST only (a mutation sent by GET is
// refused with 405, since GET must be safe); POST bodies are JSON, so that
// a browser form (url-encoded, multipart or plain text, the content types
// a page may send to another origin without asking) cannot post one (415);
// and bodies are bounded (413).
func protocol(maxBody int64, maxTokens int, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet:
			if isMutationByGET(r, maxTokens) {
				w.Header().Set("Allow", "POST")
				writeError(w, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "mutations must be sent by POST")
				return
			}
		case http.MethodPost:
			if !readJSONBody(w, r, maxBody) {
				return
			}
		default:
			w.Header().Set("Allow", "GET, POST")
			writeError(w, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "use GET for queries or POST")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// readBody reads the body of r, up to maxBody bytes, by the request's
// deadline: a body sent slowly is cut off there. Once it is read, the
// connection's read deadline moves past the request's, where nothing reads
// but net/http's watch for the client going away, which would cancel the
// request's context the moment the deadline passes and turn a TIMEOUT into
// a cancellation.
func readBody(w http.ResponseWriter, r *http.Request, maxBody int64) ([]byte, error) {
	deadline, ok := r.Context().Deadline()
	rc := http.NewResponseController(w)
	if ok {
		_ = rc.SetReadDeadline(deadline) // not supported by every writer (httptest's recorder)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if ok && err == nil {
		_ = rc.SetReadDeadline(deadline.Add(writeGrace))
	}
	return body, err
}

// isMutationByGET reports whether a GET request asks to run a mutation or a
// subscription.
func isMutationByGET(r *http.Request, maxTokens int) bool {
	q := r.URL.Query()
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: q.Get("query")}, maxTokens)
	if err != nil {
		return false // gqlgen reports the parse error
	}
	op := doc.Operations.ForName(q.Get("operationName"))
	return op != nil && op.Operation != ast.Query
}

// readJSONBody reads the JSON body of the POST request r, at most maxBody
// bytes, and puts it back as r.Body; otherwise it answers the refusal
// (415, 413, 408 or 400) and returns false.
func readJSONBody(w http.ResponseWriter, r *http.Request, maxBody int64) bool {
	media, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || media != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE",
			"send the request as JSON, with Content-Type: application/json")
		return false
	}
	body, err := readBody(w, r, maxBody)
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		writeError(w, http.StatusRequestEntityTooLarge, codeRequestTooLarge, "the request body is too large")
		return false
	case errors.Is(err, os.ErrDeadlineExceeded):
		noteAnswer(r.Context(), codeTimeout)
		w.Header().Set("Connection", "close")
		writeError(w, http.StatusRequestTimeout, codeTimeout, "the request body did not arrive within the request's time")
		return false
	case err != nil:
		writeError(w, http.StatusBadRequest, models.CodeInvalid, "the request body could not be read")
		return false
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return true
}
