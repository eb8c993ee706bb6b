package graph

import (
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/rs/cors"
)

// withCORS lets browsers on the origins of patterns (CORS_ORIGINS: host
// patterns such as "dash.example.org" or "*.example.org", or
// "scheme://host" ones, matched as the WebSocket origin check matches
// them) call next — queries, mutations and SSE streams: a preflight is
// answered (GET, POST; the Authorization and Content-Type headers), and a
// response carries Access-Control-Allow-Origin only for an allowed origin,
// with Vary: Origin on all. Credentials are bearer tokens, never cookies,
// so credentialed CORS stays off. No patterns: next alone, same-origin
// use only.
func withCORS(patterns []string, next http.Handler) http.Handler {
	if len(patterns) == 0 {
		return next
	}
	return cors.New(cors.Options{
		AllowOriginFunc: func(origin string) bool { return originAllowed(patterns, origin) },
		AllowedMethods:  []string{http.MethodGet, http.MethodPost},
		AllowedHeaders:  []string{"Authorization", "Content-Type", "Accept", "X-Request-Id"},
		ExposedHeaders:  []string{"Retry-After", "X-Request-Id"},
		MaxAge:          600,
	}).Handler(next)
}

// originAllowed reports whether origin matches one of patterns.
func originAllowed(patterns []string, origin string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	for _, p := range patterns {
		target := u.Host
		if strings.Contains(p, "://") {
			target = u.Scheme + "://" + u.Host
		}
		if ok, _ := path.Match(strings.ToLower(p), strings.ToLower(target)); ok {
			return true
		}
	}
	return false
}
