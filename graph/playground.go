package graph

import (
	"bytes"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql/playground"
)

// playgroundTitle names the page, and gqlgen's fallback page too.
const playgroundTitle = "Partnership Tracker — GraphiQL"

// playgroundFiles is the allow-list of files the playground serves under
// /playground/<name>, with their paths under the assets directory
// (web/node_modules), in the order the page loads them. Only these names are
// served, so no request path ever reaches the file system. The versions are
// pinned in web/package.json and web/package-lock.json.
var playgroundFiles = []struct{ name, path string }{
	{"graphiql.css", "graphiql/graphiql.min.css"},
	{"explorer.css", "@graphiql/plugin-explorer/dist/style.css"},
	{"react.js", "react/umd/react.production.min.js"},
	{"react-dom.js", "react-dom/umd/react-dom.production.min.js"},
	{"graphiql.js", "graphiql/graphiql.min.js"},
	{"explorer.js", "@graphiql/plugin-explorer/dist/index.umd.js"}, // needs the globals React and GraphiQL
}

// playgroundAsset is one allow-listed file, read once at start-up so that the
// bytes served always match the integrity hash in the page.
type playgroundAsset struct {
	Name      string // as in /playground/<name>
	Integrity string // Subresource Integrity value: "sha384-<base64>"
	Version   string // short hex digest: a new pinned version is a new URL
	IsStyle   bool   // a stylesheet rather than a script
	body      []byte
}

// newPlayground returns the GraphiQL handler: the page at "/" and its files
// under "/playground/", served from assetsDir (web/node_modules after
// `npm ci --prefix web`) so that the playground works on a network without
// internet access. endpoint is the same-origin GraphQL path, and defaultQuery
// fills the editor on a first visit.
//
// If a file is missing, it logs one warning on logger and serves gqlgen's stock
// page instead, which loads GraphiQL from a CDN: a missing `npm ci` should not
// stop the API from starting.
func newPlayground(endpoint, assetsDir, defaultQuery string, logger *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	assets, err := loadPlaygroundAssets(assetsDir)
	if err != nil {
		logger.Warn("GraphiQL files are missing, so the playground falls back to loading GraphiQL from a CDN; run `npm ci --prefix web`", "err", err)
		mux.Handle("GET /{$}", playground.Handler(playgroundTitle, endpoint))
		return mux
	}

	var page bytes.Buffer
	err = playgroundPage.Execute(&page, map[string]any{
		"Title": playgroundTitle, "Endpoint": endpoint, "DefaultQuery": defaultQuery, "Assets": assets,
	})
	if err != nil {
		panic(fmt.Sprintf("playground page: %v", err)) // fixed template, data of fixed types: a bug
	}
	started := time.Now() // Last-Modified for conditional requests
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache") // it names the hashes of the files now on disk
		http.ServeContent(w, r, "", started, bytes.NewReader(page.Bytes()))
	})
	byName := make(map[string]playgroundAsset, len(assets))
	for _, a := range assets {
		byName[a.Name] = a
	}
	mux.HandleFunc("GET /playground/{name}", func(w http.ResponseWriter, r *http.Request) {
		a, ok := byName[r.PathValue("name")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		contentType := "text/javascript; charset=utf-8"
		if a.IsStyle {
			contentType = "text/css; charset=utf-8"
		}
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		// The page asks for ?v=<digest>, so the file at that URL never changes.
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		w.Header().Set("ETag", `"`+a.Version+`"`)
		http.ServeContent(w, r, "", started, bytes.NewReader(a.body))
	})
	return mux
}

// loadPlaygroundAssets reads every allow-listed file under dir and computes
// its integrity hash. The first missing or unreadable file is the error.
func loadPlaygroundAssets(dir string) ([]playgroundAsset, error) {
	assets := make([]playgroundAsset, 0, len(playgroundFiles))
	for _, f := range playgroundFiles {
		body, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f.path)))
		if err != nil {
			return nil, err
		}
		sum := sha512.Sum384(body)
		assets = append(assets, playgroundAsset{
			Name:      f.name,
			Integrity: "sha384-" + base64.StdEncoding.EncodeToString(sum[:]),
			Version:   hex.EncodeToString(sum[:6]),
			IsStyle:   strings.HasSuffix(f.name, ".css"),
			body:      body,
		})
	}
	return assets, nil
}

// playgroundPage renders GraphiQL 4 from its UMD builds, which define the
// globals React, ReactDOM, GraphiQL and GraphiQLPluginExplorer. html/template
// writes Endpoint and DefaultQuery as JavaScript string literals, and drops
// comments from its output, so the page's reasons are here:
//   - the data: icon stops the browser asking for /favicon.ico, a 404 that
//     would show as a console error;
//   - the documentation explorer is opened by clicking its sidebar button once
//     GraphiQL has drawn it. GraphiQL 4.1.2's visiblePlugin prop is no use here:
//     its plugin pane stays hidden when no plugin was visible at its first
//     render, so the prop marks the explorer open (the button then reads
//     "Hide") over a hidden pane. The button both selects the plugin and shows
//     the pane;
//   - shouldPersistHeaders is off so that a pasted "Authorization: Bearer …"
//     header is not kept in localStorage.
var playgroundPage = template.Must(template.New("playground").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<link rel="icon" href="data:,">
{{- range .Assets}}{{if .IsStyle}}
<link rel="stylesheet" href="/playground/{{.Name}}?v={{.Version}}" integrity="{{.Integrity}}">
{{- end}}{{end}}
<style>body { margin: 0; } #graphiql { height: 100dvh; }</style>
</head>
<body>
<div id="graphiql">Loading…</div>
{{- range .Assets}}{{if not .IsStyle}}
<script src="/playground/{{.Name}}?v={{.Version}}" integrity="{{.Integrity}}"></script>
{{- end}}{{end}}
<script>
ReactDOM.createRoot(document.getElementById("graphiql")).render(
  React.createElement(GraphiQL, {
    fetcher: GraphiQL.createFetcher({ url: {{.Endpoint}} }),
    defaultQuery: {{.DefaultQuery}},
    plugins: [GraphiQLPluginExplorer.explorerPlugin()],
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: false,
  }),
);
const docsOpener = new MutationObserver(() => {
  const button = document.querySelector('.graphiql-sidebar button[aria-label="Show Documentation Explorer"]');
  if (button) {
    docsOpener.disconnect();
    button.click();
  }
});
docsOpener.observe(document.getElementById("graphiql"), { childList: true, subtree: true });
</script>
</body>
</html>
`))
