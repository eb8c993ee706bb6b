package graph

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"maps"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// The reference dashboard (web/dashboard) is built by esbuild into a flat
// directory (web/dist/dashboard by default, git-ignored): index.html, the
// bundle and stylesheet under content-hashed names, and operations.json,
// the manifest of every operation the dashboard sends, in the format
// LoadTrustedDocuments reads. The server serves that directory at
// /dashboard/ from memory, read when it starts.

// dashboardManifest is the name of the operations manifest in the build.
const dashboardManifest = "operations.json"

// dashboardBuild is one build of the dashboard, read whole.
type dashboardBuild struct {
	files      map[string][]byte // by file name; index.html among them
	operations map[string]string // the trusted documents of operations.json
	loaded     time.Time
}

// loadDashboard reads the build in dir. A missing index.html or manifest,
// or a manifest whose hashes do not match, is the error.
func loadDashboard(dir string) (*dashboardBuild, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	b := &dashboardBuild{files: map[string][]byte{}, loaded: time.Now()}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		body, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		b.files[e.Name()] = body
	}
	if _, ok := b.files["index.html"]; !ok {
		return nil, fmt.Errorf("%s has no index.html", dir)
	}
	if b.operations, err = LoadTrustedDocuments(filepath.Join(dir, dashboardManifest)); err != nil {
		return nil, err
	}
	return b, nil
}

// dashboard serves the build, or explains how to make it.
type dashboard struct {
	dir    string
	logger *slog.Logger
	mu     sync.Mutex
	build  *dashboardBuild // nil until a build was read
}

// newDashboard reads the build in dir. When it is missing the dashboard
// answers 503 with how to build it, and looks again on each request, so
// that a build made while the server runs is served without a restart.
func newDashboard(dir string, logger *slog.Logger) *dashboard {
	d := &dashboard{dir: dir, logger: logger}
	if _, err := d.current(); err != nil {
		logger.Warn("the dashboard is not built, so /dashboard/ explains how to build it; run `make assets`", "dir", dir, "err", err)
	}
	return d
}

// current returns the build, reading it if it was not read yet.
func (d *dashboard) current() (*dashboardBuild, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.build != nil {
		return d.build, nil
	}
	b, err := loadDashboard(d.dir)
	if err != nil {
		return nil, err
	}
	d.build = b
	return b, nil
}

// operations returns the build's operations, empty when there is no build.
func (d *dashboard) operations() map[string]string {
	b, err := d.current()
	if err != nil {
		return nil
	}
	return b.operations
}

func (d *dashboard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if r.URL.Path == "/dashboard" {
		http.Redirect(w, r, "/dashboard/", http.StatusMovedPermanently)
		return
	}
	b, err := d.current()
	if err != nil {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write(dashboardMissingPage)
		return
	}
	name := strings.TrimPrefix(r.URL.Path, "/dashboard/")
	if name == "" {
		name = "index.html"
	}
	body, ok := b.files[name]
	if !ok || strings.Contains(name, "/") {
		http.NotFound(w, r)
		return
	}
	contentType := mime.TypeByExtension(filepath.Ext(name))
	if contentType == "" {
		contentType = "application/octet-stream"
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if name == "index.html" {
		w.Header().Set("Content-Security-Policy", dashboardCSP)
	}
	if name == "index.html" || name == dashboardManifest {
		w.Header().Set("Cache-Control", "no-cache") // it names the hashed files of this build
	} else {
		// esbuild names the bundle by its content: a new build is a new URL.
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		sum := sha256.Sum256(body)
		w.Header().Set("ETag", `"`+hex.EncodeToString(sum[:8])+`"`)
	}
	http.ServeContent(w, r, "", b.loaded, bytes.NewReader(body))
}

// dashboardCSP lets the page load its own files and talk to its own origin
// only (the GraphQL endpoint, over HTTP and WebSocket), and not be framed.
// Styles may be inline: uPlot writes style attributes when it draws.
const dashboardCSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
	"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// withDashboardOperations returns the trusted documents with the
// dashboard's operations added, so that a server restricted to trusted
// documents still serves its own dashboard.
func withDashboardOperations(trusted, dashboard map[string]string) map[string]string {
	out := make(map[string]string, len(trusted)+len(dashboard))
	maps.Copy(out, trusted)
	maps.Copy(out, dashboard)
	return out
}

var dashboardMissingPage = []byte(`<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Dashboard not built — Partnership Tracker</title><link rel="icon" href="data:,"></head>
<body style="font: 16px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem">
<h1>The dashboard is not built</h1>
<p>The server runs, and the GraphQL API at <a href="/graphql">/graphql</a> and the
<a href="/">playground</a> work, but the dashboard's files are missing.
Build them from the repository's root (it needs Node.js and npm):</p>
<pre>make assets</pre>
<p>or, by hand, <code>npm ci --prefix web &amp;&amp; npm run --prefix web build</code>.
Then reload this page. (A server running with <code>TRUSTED_DOCUMENTS</code>
registers the dashboard's operations when it starts: restart it.)</p>
</body>
</html>
`)
