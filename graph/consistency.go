package graph

import (
	"context"
	"net/http"

	"github.com/99designs/gqlgen/graphql"

	"tracker/models"
)

// Read-your-writes across server replicas (models/replicas.go): a response
// to a request that wrote carries the primary's WAL position after the
// write, as the Tracker-Read-After header and a short-lived cookie; a
// request that brings it back (either) reads from a replica only once the
// replica has replayed it, and from the primary until then. Browsers send
// the cookie by themselves; API clients send the header. Nothing is kept
// in the process, so any replica behind the load balancer can take the
// next request.
const (
	readAfterHeader = "Tracker-Read-After"
	readAfterCookie = "tracker_read_after"
	// readAfterMaxAge is how long the cookie lasts: far longer than a
	// healthy replica lags (REPLICA_MAX_LAG takes slower ones out).
	readAfterMaxAge = 60
)

// responseHeaderKey carries the response's header map to handBackReadAfter.
type responseHeaderKey struct{}

// withConsistency gives the request its models.Consistency, starting from
// the position its client brought back.
func withConsistency(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := r.Header.Get(readAfterHeader)
		if c, err := r.Cookie(readAfterCookie); token == "" && err == nil {
			token = c.Value
		}
		ctx, _ := models.WithConsistency(r.Context(), token)
		ctx = context.WithValue(ctx, responseHeaderKey{}, w.Header())
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// handBackReadAfter adds the position a request's writes reached to its
// response's headers, which the transport sends after this.
func handBackReadAfter(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	hdr, _ := ctx.Value(responseHeaderKey{}).(http.Header)
	c := models.ConsistencyFrom(ctx)
	if hdr == nil || c == nil {
		return resp
	}
	if token := c.ReadAfterToken(); token != "" {
		hdr.Set(readAfterHeader, token)
		hdr.Add("Set-Cookie", (&http.Cookie{Name: readAfterCookie, Value: token, Path: "/", MaxAge: readAfterMaxAge,
			HttpOnly: true, SameSite: http.SameSiteLaxMode}).String())
	}
	return resp
}
