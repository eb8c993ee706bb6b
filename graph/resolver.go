// Package graph is the GraphQL transport of the tracker: the gqlgen
// executable schema, its resolvers, the per-request loaders that batch their
// database reads, and the HTTP handler that serves it all.
package graph

//go:generate go run tracker/graph/internal/generate

import "tracker/models"

// Resolver is the root resolver; every resolver reads through Store.
type Resolver struct {
	Store *models.Store
}
