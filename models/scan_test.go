package models_test

import (
	"context"
	"testing"

	"tracker/models"
	"tracker/models/modelstest"
)

// BenchmarkListEngine measures one list engine statement end to end: a page
// of 50 organizations, built, run and scanned, reading every column
// ("all") or only those a selection of name and acronym needs
// ("selected"). It is how the cost of running the engine's SQL through
// GORM's session was measured (docs/operations.md):
//
//	go test -run '^$' -bench ListEngine -benchtime 3s -count 5 ./models
func BenchmarkListEngine(b *testing.B) {
	first := 50
	for _, d := range modelstest.Dialects() {
		s := modelstest.Seeded(b, d)
		for name, ctx := range map[string]context.Context{
			"all":      context.Background(),
			"selected": models.Selecting[models.Organization](context.Background(), []string{"name", "acronym"}),
		} {
			b.Run(string(d)+"/"+name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := models.List[models.Organization](ctx, s, models.Page{First: &first}, nil, nil); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
