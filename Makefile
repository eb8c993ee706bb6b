# The two commands a newcomer needs:
#   make run    start the server, seeded, playground at http://localhost:8080/,
#               dashboard at http://localhost:8080/dashboard/
#   make test   run the whole test suite, on Postgres and on SQLite
# Everything else here serves those two.

GO ?= go
NPM ?= npm

.PHONY: run test check generate assets explain prove-quick fuzz-quick compose-check

# The playground's GraphiQL files come from npm (web/package-lock.json). If npm
# is missing, the server still runs and the playground loads GraphiQL from a CDN.
# The dashboard (web/dashboard) is bundled by esbuild from the same packages
# into web/dist/dashboard; without it /dashboard/ says how to build it.
assets: web/node_modules/.package-lock.json web/dist/dashboard/index.html

web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	@if command -v $(NPM) >/dev/null 2>&1; then \
		$(NPM) ci --prefix web --no-audit --no-fund --loglevel=error; \
	else \
		echo "npm not found: the playground will load GraphiQL from a CDN" >&2; \
	fi

web/dist/dashboard/index.html: web/node_modules/.package-lock.json $(wildcard web/dashboard/*.* web/dashboard/src/*)
	@if [ -d web/node_modules/esbuild ]; then \
		$(NPM) run --prefix web --silent build; \
	else \
		echo "esbuild is not installed (npm ci --prefix web): the dashboard is not built" >&2; \
	fi

# run builds first, saying so: the first build compiles every dependency and
# takes minutes, silently if left to go run.
run: assets
	@echo "building the server: go build -o bin/tracker . (the first build takes a few minutes, later ones seconds)…"
	@$(GO) build -o bin/tracker .
	@echo "built bin/tracker; starting it: tracker serve"
	./bin/tracker serve

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

# test: the suite (on Postgres and SQLite, with the race detector), then the
# query plans at dashboard scale, the quick proofs: a short mixed load with
# writes counted back, the abuse set, graphql-http's GraphQL-over-HTTP
# audits, a short live proof and a short replicas proof against real servers (ops/prove), a short run of each fuzz target,
# and docker-compose.yml. docs/operations.md ("Test suite") has the times.
test: assets check
	$(GO) test $(RACE) -count=1 ./...
	$(MAKE) --no-print-directory explain EXPLAIN_SCALE=$(TEST_EXPLAIN_SCALE)
	$(MAKE) --no-print-directory prove-quick fuzz-quick compose-check

# The race detector, without its pointer checks (checkptr) in the embedded
# SQLite: that is C translated to Go, doing its own pointer arithmetic, and
# checking it doubled the CPU time of the models and graph tests while checking
# nothing of ours. Races are still detected there as everywhere.
RACE = -race -gcflags=modernc.org/...=-d=checkptr=0 -gcflags=github.com/glebarez/...=-d=checkptr=0

# explain: the query plans of the dashboard mix over the synthetic data set
# at EXPLAIN_SCALE initiatives, on Postgres: no statement scans a large table
# sequentially. The race suite runs a quick variant of it (docs/operations.md);
# make explain grows 10,000 initiatives, about a minute and a half, and needs
# no -race. make test runs it at 3,000 (330,000 rows, about 25 s), a third
# of the seeding time, to keep the whole suite under its 10 minutes.
EXPLAIN_SCALE ?= 10000
TEST_EXPLAIN_SCALE ?= 3000
explain:
	EXPLAIN_SCALE=$(EXPLAIN_SCALE) $(GO) test -count=1 -run '^TestExplainAtScale$$' ./graph

prove-quick: assets
	$(GO) run ./ops/prove -quick all

FUZZTIME ?= 5s
fuzz-quick:
	$(GO) test ./models -run '^$$' -fuzz '^FuzzDecodeCursor$$' -fuzztime $(FUZZTIME)
	$(GO) test ./models -run '^$$' -fuzz '^FuzzParseGlobalID$$' -fuzztime $(FUZZTIME)
	$(GO) test ./graph -run '^$$' -fuzz '^FuzzFilter$$' -fuzztime $(FUZZTIME)

# docker-compose.yml must stay valid; "docker-compose config" needs no engine.
compose-check:
	@if command -v docker-compose >/dev/null 2>&1; then docker-compose -f docker-compose.yml config -q && echo "docker-compose.yml: valid"; \
	elif docker compose version >/dev/null 2>&1; then docker compose -f docker-compose.yml config -q && echo "docker-compose.yml: valid"; \
	elif [ "$$CI" = "true" ]; then echo "docker-compose is missing" >&2; exit 1; \
	else echo "docker-compose not found: docker-compose.yml not validated" >&2; fi

generate:
	$(GO) generate ./...
