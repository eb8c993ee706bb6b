package graph

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runBrowserCheck runs web/e2e/playground.mjs, which opens baseURL in headless
// Chromium with every other origin blocked, runs the default query and waits
// for the result to contain want.
func runBrowserCheck(t *testing.T, baseURL, want string) {
	t.Helper()
	runBrowserScript(t, "playground.mjs", nil, baseURL, want)
}

// runBrowserScript runs the browser check web/e2e/<script> with node, args
// and env added to the environment, from the repository's root, and fails
// the test if it exits non-zero. Without node, playwright-core (from
// `npm ci --prefix web`) or Chromium it skips loudly, except under CI=true,
// where a missing dependency is a failure: CI must not pass by skipping.
func runBrowserScript(t *testing.T, script string, env []string, args ...string) {
	t.Helper()
	root, err := filepath.Abs("..") // go test runs in graph/
	if err != nil {
		t.Fatal(err)
	}
	chromium := cmp.Or(os.Getenv("CHROMIUM"), "/usr/bin/chromium")
	node, nodeErr := exec.LookPath("node")
	_, playwrightErr := os.Stat(filepath.Join(root, "web", "node_modules", "playwright-core"))
	_, chromiumErr := exec.LookPath(chromium)
	missing := ""
	switch {
	case nodeErr != nil:
		missing = "node is not on PATH"
	case playwrightErr != nil:
		missing = "web/node_modules/playwright-core is missing: run `npm ci --prefix web`"
	case chromiumErr != nil:
		missing = chromium + " is missing: run `apt-get install -y chromium` or set CHROMIUM"
	}
	skipUnlessCI(t, missing)

	// The script stops itself after 55 s; this is the backstop.
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, append([]string{filepath.Join("web", "e2e", script)}, args...)...)
	cmd.Dir = root
	cmd.Env = append(append(os.Environ(), "CHROMIUM="+chromium), env...)
	cmd.WaitDelay = 5 * time.Second // do not hang on output pipes a killed browser left open
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("browser check %s: %v\n%s", script, err, out)
	}
	t.Logf("browser check %s: %s", script, bytes.TrimSpace(out))
}

// skipUnlessCI skips the test when missing names a missing dependency,
// loudly, and fails it under CI=true.
func skipUnlessCI(t *testing.T, missing string) {
	t.Helper()
	if missing == "" {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("browser check cannot run in CI: %s", missing)
	}
	t.Skipf("SKIPPING the browser check: %s", missing)
}

// writeTestAssets writes a small stand-in for every allow-listed file under a
// temporary directory, so that the handler tests do not depend on `npm ci`.
// It returns the directory and the contents by short name.
func writeTestAssets(t *testing.T) (string, map[string]string) {
	t.Helper()
	dir := t.TempDir()
	contents := make(map[string]string, len(playgroundFiles))
	for _, f := range playgroundFiles {
		path := filepath.Join(dir, filepath.FromSlash(f.path))
		contents[f.name] = "/* stand-in for " + f.path + " */\n"
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(contents[f.name]), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir, contents
}

// get serves one GET request to h and returns the response.
func get(t *testing.T, h http.Handler, path string) (*http.Response, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	resp := rec.Result()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

func TestPlayground_Page(t *testing.T) {
	dir, contents := writeTestAssets(t)
	h := newPlayground("/graphql", dir, "query Q { initiatives { name } }", slog.New(slog.DiscardHandler))

	resp, body := get(t, h, "/")
	if got, want := resp.StatusCode, http.StatusOK; got != want {
		t.Fatalf("status = %d, want %d", got, want)
	}
	if got, want := resp.Header.Get("Content-Type"), "text/html; charset=utf-8"; got != want {
		t.Errorf("Content-Type = %q, want %q", got, want)
	}
	body = html.UnescapeString(body) // html/template writes "+" in attributes as "&#43;"
	for name, content := range contents {
		sum := sha512.Sum384([]byte(content))
		tag := `<script src=`
		if strings.HasSuffix(name, ".css") {
			tag = `<link rel="stylesheet" href=`
		}
		want := fmt.Sprintf(`%s"/playground/%s?v=%s" integrity="sha384-%s">`,
			tag, name, hex.EncodeToString(sum[:6]), base64.StdEncoding.EncodeToString(sum[:]))
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	for _, want := range []string{
		`<title>Partnership Tracker — GraphiQL</title>`,
		`defaultQuery: "query Q { initiatives { name } }"`,
		`GraphiQL.createFetcher({ url: "/graphql" })`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if strings.Contains(body, "://") {
		t.Errorf("page names an absolute URL, so it would need the network:\n%s", body)
	}
}

func TestPlayground_Asset(t *testing.T) {
	dir, contents := writeTestAssets(t)
	h := newPlayground("/graphql", dir, "", slog.New(slog.DiscardHandler))

	for name, wantType := range map[string]string{
		"graphiql.js":  "text/javascript; charset=utf-8",
		"graphiql.css": "text/css; charset=utf-8",
		"explorer.css": "text/css; charset=utf-8",
	} {
		resp, body := get(t, h, "/playground/"+name+"?v=whatever")
		if got, want := resp.StatusCode, http.StatusOK; got != want {
			t.Errorf("%s: status = %d, want %d", name, got, want)
		}
		if got := resp.Header.Get("Content-Type"); got != wantType {
			t.Errorf("%s: Content-Type = %q, want %q", name, got, wantType)
		}
		if got := resp.Header.Get("Cache-Control"); !strings.Contains(got, "immutable") {
			t.Errorf("%s: Cache-Control = %q, want a long-lived immutable one", name, got)
		}
		if got, want := body, contents[name]; got != want {
			t.Errorf("%s: body = %q, want %q", name, got, want)
		}
	}
}

func TestPlayground_NotFound(t *testing.T) {
	dir, _ := writeTestAssets(t)
	h := newPlayground("/graphql", dir, "", slog.New(slog.DiscardHandler))

	for _, path := range []string{
		"/playground/unknown.js",
		"/playground/graphiql.min.js",              // a real file name, but not an allow-listed one
		"/playground/..%2Fgraphiql%2Fpackage.json", // the name is matched, never joined to a path
		"/favicon.ico",
	} {
		if resp, _ := get(t, h, path); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status = %d, want %d", path, resp.StatusCode, http.StatusNotFound)
		}
	}
}

func TestPlayground_FallbackWithoutAssets(t *testing.T) {
	var logs bytes.Buffer
	h := newPlayground("/graphql", t.TempDir(), "", slog.New(slog.NewTextHandler(&logs, nil)))

	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if got, want := len(lines), 1; got != want {
		t.Fatalf("logged %d lines, want %d:\n%s", got, want, logs.String())
	}
	for _, want := range []string{"level=WARN", "CDN", "npm ci --prefix web", playgroundFiles[0].path} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("warning %q lacks %q", lines[0], want)
		}
	}

	resp, body := get(t, h, "/")
	if got, want := resp.StatusCode, http.StatusOK; got != want {
		t.Fatalf("status = %d, want %d", got, want)
	}
	// gqlgen's page, recognised by what ours never has: absolute asset URLs.
	if !strings.Contains(body, "<title>Partnership Tracker — GraphiQL</title>") || !strings.Contains(body, `src="https://`) {
		t.Errorf("page is not gqlgen's fallback:\n%s", body)
	}
	if resp, _ := get(t, h, "/playground/graphiql.js"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /playground/graphiql.js: status = %d, want %d", resp.StatusCode, http.StatusNotFound)
	}
}
