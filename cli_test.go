package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// env returns a getenv reading vars only.
func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// runCLI runs the program with args as the command line, returning what it
// wrote to stdout and stderr.
func runCLI(t *testing.T, getenv func(string) string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = run(context.Background(), args, getenv, &out, &errOut)
	return out.String(), errOut.String(), err
}

// TestHelp asks for help in each way people do: the usage is printed on
// stdout and the program exits 0, whatever the environment holds.
func TestHelp(t *testing.T) {
	broken := env(map[string]string{"PORT": "not a port", "LOG_LEVEL": "loud"})
	for _, arg := range []string{"--help", "-h", "-help", "help"} {
		stdout, stderr, err := runCLI(t, broken, arg)
		if err != nil || !strings.HasPrefix(stdout, "Usage: tracker [command]") || stderr != "" {
			t.Errorf("tracker %s: err %v, stdout %q, stderr %q; want the usage on stdout", arg, err, stdout, stderr)
		}
	}
}

// TestCommandUsage asks each command for help, or gives it wrong
// arguments: it answers at once, without creating or opening a database.
func TestCommandUsage(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "tracker.db")
	getenv := env(map[string]string{"SQLITE_PATH": db})
	for _, tc := range []struct {
		args   []string
		stdout string // a part of it; empty: there is an error instead
		err    string // a part of it
	}{
		{[]string{"token"}, "", "usage: tracker token create --name NAME"},
		{[]string{"token", "--help"}, "usage: tracker token create --name NAME", ""},
		{[]string{"token", "help"}, "tracker token revoke --id ID", ""},
		{[]string{"token", "create", "-h"}, "-name string", ""},
		{[]string{"token", "create"}, "", "token create: --name is required"},
		{[]string{"token", "create", "--name", "x", "--role", "boss"}, "", `--role "boss": want viewer, officer or admin`},
		{[]string{"token", "create", "--nmae", "x"}, "", "flag provided but not defined: -nmae"},
		{[]string{"token", "revoke"}, "", "token revoke: --id is required"},
		{[]string{"token", "revoke", "--id", "abc!"}, "", "malformed ID"},
		{[]string{"token", "list", "--help"}, "usage: tracker token list", ""},
		{[]string{"token", "drop"}, "", `unknown token command "drop"`},
		{[]string{"seed", "--help"}, "-synthetic N", ""},
		{[]string{"seed", "--synthetic", "many"}, "", `invalid value "many" for flag -synthetic`},
		{[]string{"seed", "now"}, "", `unexpected argument "now"`},
		{[]string{"migrate", "-h"}, "usage: tracker migrate", ""},
		{[]string{"serve", "--help"}, "usage: tracker serve", ""},
		{[]string{"serve", "--port", "1"}, "", "flag provided but not defined: -port"},
		{[]string{"bogus"}, "", `unknown command "bogus"`},
	} {
		stdout, stderr, err := runCLI(t, getenv, tc.args...)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("tracker %s: error %v, want one saying %q", strings.Join(tc.args, " "), err, tc.err)
		case tc.err == "" && (err != nil || !strings.Contains(stdout, tc.stdout)):
			t.Errorf("tracker %s: error %v, stdout %q; want it to say %q", strings.Join(tc.args, " "), err, stdout, tc.stdout)
		case stderr != "":
			t.Errorf("tracker %s: stderr %q, want nothing", strings.Join(tc.args, " "), stderr)
		}
		if _, err := os.Stat(db); err == nil {
			t.Fatalf("tracker %s created the database", strings.Join(tc.args, " "))
		}
	}
}

// TestCommandAnswers runs the commands other than serve on a new embedded
// database: each prints its answer on stdout, and nothing on stderr when
// all goes well (no log lines).
func TestCommandAnswers(t *testing.T) {
	getenv := env(map[string]string{"SQLITE_PATH": filepath.Join(t.TempDir(), "tracker.db")})
	for _, tc := range []struct {
		args []string
		want string // a regular expression stdout must match
	}{
		{[]string{"migrate"}, `^database at migration version \d+ \(\d+ applied now\)\n$`},
		{[]string{"migrate"}, `^database at migration version \d+ \(0 applied now\)\n$`},
		{[]string{"seed"}, `^seed data loaded\n$`},
		{[]string{"token", "create", "--name", "dashboard", "--role", "officer", "--org", "un-secretariat"},
			`^token 1 \(dashboard, OFFICER\) — shown once, keep it secret:\ntrk_\S+\n$`},
		{[]string{"token", "list"}, `(?m)^ID +NAME +ROLE +CREATED +EXPIRES +ACTIVE\n1 +dashboard +OFFICER .* never +true\n$`},
		{[]string{"token", "revoke", "--id", "1"}, `^revoked token 1 \(dashboard\)\n$`},
	} {
		stdout, stderr, err := runCLI(t, getenv, tc.args...)
		if err != nil {
			t.Fatalf("tracker %s: %v\nstderr: %s", strings.Join(tc.args, " "), err, stderr)
		}
		if !regexp.MustCompile(tc.want).MatchString(stdout) {
			t.Errorf("tracker %s: stdout %q, want it to match %s", strings.Join(tc.args, " "), stdout, tc.want)
		}
		if stderr != "" {
			t.Errorf("tracker %s: stderr %q, want nothing", strings.Join(tc.args, " "), stderr)
		}
	}
	_, _, err := runCLI(t, getenv, "token", "create", "--name", "x", "--org", "nowhere")
	if err == nil || !strings.Contains(err.Error(), "unknown organization") {
		t.Errorf("token create --org nowhere: error %v, want unknown organization", err)
	}
}

// TestLoggers checks the two kinds of log: JSON lines from the server, for
// collectors; from the other commands, warnings and errors only, as text.
func TestLoggers(t *testing.T) {
	var server, cli bytes.Buffer
	newLogger("serve", &server, slog.LevelInfo).Info("listening", "addr", ":8080")
	if !strings.HasPrefix(server.String(), `{"time":`) || !strings.Contains(server.String(), `"msg":"listening"`) {
		t.Errorf("serve logs %q, want a JSON line", server.String())
	}
	logger := newLogger("seed", &cli, slog.LevelInfo)
	logger.Info("seed data loaded")
	logger.Warn("close database", "err", "disk full")
	if got, want := cli.String(), "WRN close database err=\"disk full\"\n"; got != want {
		t.Errorf("seed logs %q, want %q", got, want)
	}
}

// TestMakeRun checks that make run says it is building before the build,
// which takes minutes the first time.
func TestMakeRun(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not installed")
	}
	out, err := exec.Command("make", "--dry-run", "--no-print-directory", "run").CombinedOutput()
	if err != nil {
		t.Fatalf("make --dry-run run: %v\n%s", err, out)
	}
	// Each command on its line: the announcement, the build, the start.
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	var steps []string
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, `echo "building the server`):
			steps = append(steps, "announce")
		case strings.HasSuffix(l, " build -o bin/tracker ."):
			steps = append(steps, "build")
		case l == "./bin/tracker serve":
			steps = append(steps, "start")
		}
	}
	if strings.Join(steps, ",") != "announce,build,start" {
		t.Errorf("make run does %v, want announce,build,start:\n%s", steps, out)
	}
}
