# The two commands a newcomer needs:
#   make run    start the server, seeded, playground at http://localhost:8080/
#   make test   run the whole test suite, on Postgres and on SQLite
# Everything else here serves those two.

GO ?= go
NPM ?= npm

.PHONY: run test check generate assets

# The playground's GraphiQL files come from npm (web/package-lock.json). If npm
# is missing, the server still runs and the playground loads GraphiQL from a CDN.
assets: web/node_modules/.package-lock.json

web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	@if command -v $(NPM) >/dev/null 2>&1; then \
		$(NPM) ci --prefix web --no-audit --no-fund --loglevel=error; \
	else \
		echo "npm not found: the playground will load GraphiQL from a CDN" >&2; \
	fi

run: assets
	$(GO) run . serve

# check: formatting, vet, and generated code matching the schema (gqlgen
# output is committed; regenerating must not change it).
GENERATED = graph/generated.go graph/schema.resolvers.go models/models_gen.go

check:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	@before=$$(cat $(GENERATED) | sha256sum); $(GO) generate ./...; after=$$(cat $(GENERATED) | sha256sum); \
	if [ "$$before" != "$$after" ]; then \
		echo "generated code was out of date with schema.graphqls; it is regenerated now: review and commit it" >&2; exit 1; fi

test: assets check
	$(GO) test -race -count=1 ./...

generate:
	$(GO) generate ./...
