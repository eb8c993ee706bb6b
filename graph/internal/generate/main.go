// Command generate regenerates the GraphQL executable schema from
// schema.graphqls and gqlgen.yml, as `go tool gqlgen generate` does, with one
// difference: the fields of an object are resolved one after another, not
// each in a goroutine of its own.
//
// The loaders of package graph fetch a relation for all the siblings of an
// object the first time one of them asks (see graph/batch.go), so they gain
// nothing from resolving sibling fields concurrently; what concurrency costs
// instead is a goroutine, a growing stack and a wait group per resolved field
// of every object in a list. Root fields keep running concurrently: a request
// has few of them, and each may wait on its own database statement.
//
// It runs through `go generate ./...` (see graph/resolver.go).
package main

import (
	"fmt"
	"os"

	"github.com/99designs/gqlgen/api"
	"github.com/99designs/gqlgen/codegen"
	"github.com/99designs/gqlgen/codegen/config"
)

func main() {
	cfg, err := config.LoadConfigFromDefaultLocations()
	if err != nil {
		fmt.Fprintln(os.Stderr, "generate:", err)
		os.Exit(2)
	}
	if err := api.Generate(cfg, api.AddPlugin(sequentialFields{})); err != nil {
		fmt.Fprintln(os.Stderr, "generate:", err)
		os.Exit(3)
	}
}

// sequentialFields is a gqlgen plugin that turns off concurrent field
// resolution for every object but the root operation types.
type sequentialFields struct{}

func (sequentialFields) Name() string { return "sequentialfields" }

// GenerateCode runs after the type system is built and before the code is
// written.
func (sequentialFields) GenerateCode(data *codegen.Data) error {
	for _, obj := range data.Objects {
		if !obj.Root {
			obj.DisableConcurrency = true
		}
	}
	return nil
}
