package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// harness owns everything a run creates — the server binary, databases,
// server processes, a private Postgres cluster — and removes it all in
// close, in reverse order of creation.
type harness struct {
	cfg      config
	log      io.Writer
	root     string // the repository
	tmp      string // this run's temporary directory
	bin      string // the server binary
	cleanups []func(context.Context)

	shared *database // on cfg.DatabaseURL, made on first use
}

// database is a seeded database with its tokens.
type database struct {
	url        string // for the server and for counting back
	officer    string // token of an officer of officerOrg
	viewer     string // token of a viewer
	admin      string // token of an administrator (admin-only lists)
	officerOrg string // slug of the organization the officer may change
}

func newHarness(ctx context.Context, cfg config, log io.Writer) (*harness, error) {
	h := &harness{cfg: cfg, log: log}
	var err error
	if h.root, err = repoRoot(); err != nil {
		return nil, err
	}
	if h.tmp, err = os.MkdirTemp("", "prove-"); err != nil {
		return nil, err
	}
	// Others (the postgres user, for a private cluster) must be able to
	// reach their own directory inside.
	if err := os.Chmod(h.tmp, 0o755); err != nil {
		os.RemoveAll(h.tmp)
		return nil, err
	}
	h.defer_(func(context.Context) {
		if cfg.Keep {
			fmt.Fprintf(log, "prove: kept %s\n", h.tmp)
			return
		}
		os.RemoveAll(h.tmp)
	})
	h.bin = filepath.Join(h.tmp, "tracker")
	h.step("building the server")
	if out, err := h.command(ctx, 5*time.Minute, h.root, nil, "go", "build", "-o", h.bin, "."); err != nil {
		h.close()
		return nil, fmt.Errorf("go build: %w\n%s", err, out)
	}
	return h, nil
}

// defer_ registers a clean-up, run by close.
func (h *harness) defer_(fn func(context.Context)) { h.cleanups = append(h.cleanups, fn) }

// close runs the clean-ups, last first, each with its own time: the run's
// context may be cancelled already.
func (h *harness) close() {
	for i := len(h.cleanups) - 1; i >= 0; i-- {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		h.cleanups[i](ctx)
		cancel()
	}
	h.cleanups = nil
}

func (h *harness) step(format string, args ...any) {
	if h.cfg.Verbose {
		fmt.Fprintf(h.log, "prove: "+format+"\n", args...)
	}
}

// repoRoot returns the directory of the tracker module, from the working
// directory up.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for range 64 {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && bytes.HasPrefix(b, []byte("module tracker\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return "", errors.New("run from within the tracker repository")
}

// command runs a program to completion within timeout, in its own process
// group (so that Ctrl-C reaches this program, which cleans up, rather than
// the child), and returns its standard output.
func (h *harness) command(ctx context.Context, timeout time.Duration, dir string, env []string, name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	if env != nil {
		cmd.Env = env
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		return stdout.Bytes(), fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, clip(stderr.Bytes(), 2000))
	}
	return stdout.Bytes(), nil
}

// serverEnv is the environment of the server and its CLI: a minimal one,
// so that nothing of the caller's (DATABASE_URL, JWT_*, OTEL_*) leaks in.
func (h *harness) serverEnv(dbURL string, extra ...string) []string {
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + h.tmp, "TMPDIR=" + h.tmp,
		"DATABASE_URL=" + dbURL, "SEED=never", "LOG_LEVEL=info",
		"PLAYGROUND_ASSETS=" + filepath.Join(h.root, "web", "node_modules")}
	return append(env, extra...)
}

// sharedDatabase returns the seeded temporary database on cfg.DatabaseURL,
// making it on first use; it is dropped when the harness closes.
func (h *harness) sharedDatabase(ctx context.Context) (*database, error) {
	if h.shared != nil {
		return h.shared, nil
	}
	name := "prove_" + randomHex(6)
	h.step("creating database %s", name)
	dbURL, err := createDatabase(ctx, h.cfg.DatabaseURL, name)
	if err != nil {
		return nil, fmt.Errorf("create a database on %s (set TEST_DATABASE_URL or -database-url): %w", redact(h.cfg.DatabaseURL), err)
	}
	h.defer_(func(ctx context.Context) {
		if err := dropDatabase(ctx, h.cfg.DatabaseURL, name); err != nil {
			fmt.Fprintf(h.log, "prove: drop database %s: %v\n", name, err)
		}
	})
	db, err := h.seed(ctx, dbURL)
	if err != nil {
		return nil, err
	}
	h.shared = db
	return db, nil
}

// seed migrates and seeds the database at dbURL with the CLI, picks the
// synthetic organization owning the most open action items, and issues an
// officer token for it and a viewer token.
func (h *harness) seed(ctx context.Context, dbURL string) (*database, error) {
	return h.seedSynthetic(ctx, dbURL, h.cfg.Synthetic)
}

// seedSynthetic is seed with n synthetic initiatives.
func (h *harness) seedSynthetic(ctx context.Context, dbURL string, n int) (*database, error) {
	h.step("seeding: tracker seed --synthetic %d", n)
	start := time.Now()
	if _, err := h.command(ctx, 10*time.Minute, h.tmp, h.serverEnv(dbURL, "LOG_LEVEL=warn"), h.bin, "seed", "--synthetic", fmt.Sprint(n)); err != nil {
		return nil, err
	}
	h.step("seeded in %v", time.Since(start).Round(time.Millisecond))
	db := &database{url: dbURL}
	err := withConn(ctx, dbURL, func(conn *pgx.Conn) error {
		return conn.QueryRow(ctx, `SELECT o.slug FROM action_items a JOIN organizations o ON o.id = a.owner_organization_id
			WHERE o.slug LIKE 'syn-org-%' AND a.status <> 'CANCELLED'
			GROUP BY o.slug ORDER BY count(*) DESC, o.slug LIMIT 1`).Scan(&db.officerOrg)
	})
	if err != nil {
		return nil, fmt.Errorf("find an organization owning action items: %w", err)
	}
	if db.officer, err = h.token(ctx, dbURL, "prove-officer", "officer", db.officerOrg); err != nil {
		return nil, err
	}
	if db.viewer, err = h.token(ctx, dbURL, "prove-viewer", "viewer", ""); err != nil {
		return nil, err
	}
	if db.admin, err = h.token(ctx, dbURL, "prove-admin", "admin", ""); err != nil {
		return nil, err
	}
	return db, nil
}

// token issues an API token with the CLI and returns its secret, the last
// line `tracker token create` prints.
func (h *harness) token(ctx context.Context, dbURL, name, role, org string) (string, error) {
	args := []string{"token", "create", "--name", name, "--role", role}
	if org != "" {
		args = append(args, "--org", org)
	}
	out, err := h.command(ctx, time.Minute, h.tmp, h.serverEnv(dbURL, "LOG_LEVEL=warn"), h.bin, args...)
	if err != nil {
		return "", err
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	secret := strings.TrimSpace(lines[len(lines)-1])
	if !strings.HasPrefix(secret, "trk_") {
		return "", fmt.Errorf("tracker token create printed no token: %q", out)
	}
	return secret, nil
}

// createDatabase creates database name on the server of serverURL and
// returns its URL.
func createDatabase(ctx context.Context, serverURL, name string) (string, error) {
	err := withConn(ctx, serverURL, func(conn *pgx.Conn) error {
		_, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
		return err
	})
	if err != nil {
		return "", err
	}
	u, err := url.Parse(serverURL)
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	return u.String(), nil
}

func dropDatabase(ctx context.Context, serverURL, name string) error {
	return withConn(ctx, serverURL, func(conn *pgx.Conn) error {
		_, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
		return err
	})
}

// withConn runs fn on a connection to dbURL, with a 30 s bound.
func withConn(ctx context.Context, dbURL string, fn func(*pgx.Conn) error) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return fn(conn)
}

// server is a tracker server running as a child process.
type server struct {
	cmd     *exec.Cmd
	url     string // http://127.0.0.1:port
	logPath string
	exited  chan struct{} // closed when the process has exited
	state   *os.ProcessState
}

// startServer starts `tracker serve` on a free loopback port over dbURL,
// logging to <tmp>/<name>.log, and waits until /readyz answers 200.
func (h *harness) startServer(ctx context.Context, name, dbURL string, extraEnv ...string) (*server, error) {
	port, err := freePort(0)
	if err != nil {
		return nil, err
	}
	s := &server{url: fmt.Sprintf("http://127.0.0.1:%d", port), logPath: filepath.Join(h.tmp, name+".log"), exited: make(chan struct{})}
	logFile, err := os.Create(s.logPath)
	if err != nil {
		return nil, err
	}
	s.cmd = exec.Command(h.bin, "serve")
	s.cmd.Dir = h.tmp
	s.cmd.Env = h.serverEnv(dbURL, append([]string{fmt.Sprintf("PORT=%d", port)}, extraEnv...)...)
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	// Its own process group, so that Ctrl-C is ours to handle; killed if
	// this program dies.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	h.step("starting server %s on port %d", name, port)
	if err := s.cmd.Start(); err != nil {
		logFile.Close()
		return nil, err
	}
	go func() {
		_ = s.cmd.Wait()
		s.state = s.cmd.ProcessState
		logFile.Close()
		close(s.exited)
	}()
	h.defer_(func(context.Context) { s.kill() })
	if err := s.waitReady(ctx, 60*time.Second); err != nil {
		return nil, fmt.Errorf("server %s: %w; its log: %s", name, err, s.logPath)
	}
	return s, nil
}

// waitReady polls /readyz until it answers 200, the process exits or the
// time runs out.
func (s *server) waitReady(ctx context.Context, limit time.Duration) error {
	hc := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if s.hasExited() {
			return fmt.Errorf("exited before it was ready: %v", s.state)
		}
		if code, _ := get(ctx, hc, s.url+"/readyz"); code == http.StatusOK {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("not ready after %v", limit)
}

func (s *server) hasExited() bool {
	select {
	case <-s.exited:
		return true
	default:
		return false
	}
}

// wait waits up to limit for the process to exit and returns its exit
// code, or -1 if it has not exited.
func (s *server) wait(limit time.Duration) int {
	select {
	case <-s.exited:
		return s.state.ExitCode()
	case <-time.After(limit):
		return -1
	}
}

// kill stops the process at once if it still runs.
func (s *server) kill() {
	if s.hasExited() {
		return
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	s.wait(10 * time.Second)
}

// logLines returns the JSON log lines of the server.
func (s *server) logLines() ([]string, error) {
	f, err := os.Open(s.logPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines, sc.Err()
}

// get fetches url and returns its status and body (up to 1 MiB).
func get(ctx context.Context, hc *http.Client, url string) (int, []byte) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, nil
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, b
}

// freePort returns a free loopback TCP port: want if it is free (and not
// zero), another one otherwise.
func freePort(want int) (int, error) {
	if want > 0 {
		if l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", want)); err == nil {
			l.Close()
			return want, nil
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// redact removes the password of a URL, for messages.
func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// clip returns at most n bytes of b, for messages.
func clip(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

// machine describes the machine, for the report.
func machine() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s/%s, %d CPUs, %s, host %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), host)
}
