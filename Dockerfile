# syntax=docker/dockerfile:1
# Multi-stage build: GraphiQL's files from npm and the dashboard built by
# esbuild, a static Go binary, and a small runtime image running as a
# non-root user.

FROM node:20-bookworm-slim AS assets
WORKDIR /src/web
COPY web/package.json web/package-lock.json web/.npmrc ./
RUN npm ci --no-audit --no-fund
COPY web/dashboard ./dashboard
RUN npm run build

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/tracker .

FROM gcr.io/distroless/static-debian12:nonroot
WORKDIR /app
COPY --from=build /out/tracker /app/tracker
# Only the files the playground serves (see graph/playground.go).
COPY --from=assets /src/web/node_modules/graphiql/graphiql.min.js /src/web/node_modules/graphiql/graphiql.min.css /app/web/node_modules/graphiql/
COPY --from=assets /src/web/node_modules/react/umd/react.production.min.js /app/web/node_modules/react/umd/
COPY --from=assets /src/web/node_modules/react-dom/umd/react-dom.production.min.js /app/web/node_modules/react-dom/umd/
COPY --from=assets /src/web/node_modules/@graphiql/plugin-explorer/dist/index.umd.js /src/web/node_modules/@graphiql/plugin-explorer/dist/style.css /app/web/node_modules/@graphiql/plugin-explorer/dist/
# The dashboard's build (see graph/dashboard.go).
COPY --from=assets /src/web/dist/dashboard /app/web/dist/dashboard
ENV PORT=8080 \
    PLAYGROUND_ASSETS=/app/web/node_modules \
    DASHBOARD_ASSETS=/app/web/dist/dashboard \
    SQLITE_PATH=/data/tracker.db
USER nonroot:nonroot
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=4s --start-period=20s --retries=3 CMD ["/app/tracker", "healthcheck"]
ENTRYPOINT ["/app/tracker"]
CMD ["serve"]
