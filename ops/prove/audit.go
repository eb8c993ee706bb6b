package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// proveAudit runs the GraphQL-over-HTTP conformance audits of the npm
// package graphql-http (web/e2e/audit.mjs) against a server, as a viewer.
func (h *harness) proveAudit(ctx context.Context) (*report, error) {
	if _, err := os.Stat(filepath.Join(h.root, "web", "node_modules", "graphql-http")); err != nil {
		return nil, errors.New("graphql-http is not installed: run npm ci --prefix web")
	}
	db, err := h.sharedDatabase(ctx)
	if err != nil {
		return nil, err
	}
	srv, err := h.startServer(ctx, "audit", db.url)
	if err != nil {
		return nil, err
	}
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + h.tmp, "AUDIT_TOKEN=" + db.viewer}
	out, runErr := h.command(ctx, 3*time.Minute, h.root, env, "node", filepath.Join("web", "e2e", "audit.mjs"), srv.url+"/graphql")
	r := &report{title: "audit: graphql-http server audits (GraphQL over HTTP), as a viewer"}
	t := table{title: "Failed audits", header: []string{"level", "id", "audit", "why"}}
	lines := strings.Split(string(out), "\n")
	for i, line := range lines {
		level, rest, _ := strings.Cut(line, " ")
		switch {
		case strings.HasPrefix(rest, "failures:"): // the summary
		case level == "MUST", level == "SHOULD", level == "MAY":
			id, name, _ := strings.Cut(strings.TrimSpace(rest), " ")
			why := ""
			if i+1 < len(lines) {
				why = strings.TrimSpace(lines[i+1])
			}
			t.rows = append(t.rows, []string{level, id, name, why})
		}
		if strings.Contains(line, " ok, ") {
			r.add("result", "%s", line)
		}
	}
	r.tables = append(r.tables, t)
	r.assert(runErr == nil, "no MUST audit fails%s", map[bool]string{true: "", false: fmt.Sprintf(" (%v)", runErr)}[runErr == nil])
	return r, nil
}
