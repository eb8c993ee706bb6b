package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"time"
)

// cluster is a private Postgres cluster that this program creates, starts,
// stops and removes, for the restart proof: the system's cluster, which
// others use, is never touched. Its data directory is in the run's
// temporary directory, it listens on 127.0.0.1 only, on a port other than
// 5432, and its socket is in its own directory.
type cluster struct {
	h       *harness
	bin     string   // the Postgres binaries, such as /usr/lib/postgresql/15/bin
	dir     string   // its directory: data, socket and log
	port    int      //
	asUser  []string // runuser -u postgres -- when running as root
	running bool
	// settings are extra server settings ("name=value"), given as -c
	// options at every start.
	settings []string
}

// defaultClusterPort is tried first; any free port does.
const defaultClusterPort = 55432

// newCluster initialises a cluster and starts it, with the extra server
// settings given ("name=value"); close stops it and the harness removes its
// directory.
func (h *harness) newCluster(ctx context.Context, settings ...string) (*cluster, error) {
	c, err := h.prepareCluster(settings)
	if err != nil {
		return nil, err
	}
	h.step("initdb in %s (Postgres binaries %s, port %d)", c.dir, c.bin, c.port)
	if _, err := c.run(ctx, 2*time.Minute, filepath.Join(c.bin, "initdb"), "-D", c.data(), "-U", "postgres",
		"-A", "trust", "-E", "UTF8", "--no-sync"); err != nil {
		return nil, err
	}
	if err := c.start(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// newStandby makes a streaming hot standby of primary with pg_basebackup
// -R (which writes primary_conninfo and standby.signal) and starts it.
func (h *harness) newStandby(ctx context.Context, primary *cluster, settings ...string) (*cluster, error) {
	c, err := h.prepareCluster(settings)
	if err != nil {
		return nil, err
	}
	h.step("pg_basebackup -R of the cluster on port %d into %s (port %d)", primary.port, c.dir, c.port)
	if _, err := c.run(ctx, 5*time.Minute, filepath.Join(c.bin, "pg_basebackup"), "-D", c.data(), "-R", "-X", "stream",
		"-c", "fast", "--no-sync", "-h", "127.0.0.1", "-p", strconv.Itoa(primary.port), "-U", "postgres"); err != nil {
		return nil, err
	}
	if err := c.start(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// prepareCluster picks a port and makes the directory of a new cluster,
// owned by postgres when running as root.
func (h *harness) prepareCluster(settings []string) (*cluster, error) {
	bin, err := postgresBin()
	if err != nil {
		return nil, err
	}
	c := &cluster{h: h, bin: bin, dir: filepath.Join(h.tmp, "pg-"+randomHex(3)), settings: settings}
	if c.port, err = freePort(defaultClusterPort); err != nil {
		return nil, err
	}
	if c.port == 5432 {
		return nil, errors.New("refusing port 5432: the system cluster's")
	}
	if err := os.Mkdir(c.dir, 0o700); err != nil {
		return nil, err
	}
	if os.Geteuid() == 0 {
		// initdb refuses to run as root: the cluster belongs to postgres.
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root needs the postgres user: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(c.dir, uid, gid); err != nil {
			return nil, err
		}
		c.asUser = []string{"runuser", "-u", "postgres", "--"}
	}
	h.defer_(func(ctx context.Context) { c.close(ctx) })
	return c, nil
}

// postgresBin returns the directory of the newest installed Debian
// Postgres binaries.
func postgresBin() (string, error) {
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	if len(matches) == 0 {
		return "", errors.New("no /usr/lib/postgresql/<version>/bin/pg_ctl: install postgresql")
	}
	sort.Slice(matches, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(matches[i]))))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(matches[j]))))
		return vi < vj
	})
	return filepath.Dir(matches[len(matches)-1]), nil
}

func (c *cluster) data() string { return filepath.Join(c.dir, "data") }

// serverURL is the URL of its maintenance database.
func (c *cluster) serverURL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
}

// run runs a Postgres program as the cluster's owner.
func (c *cluster) run(ctx context.Context, timeout time.Duration, name string, args ...string) ([]byte, error) {
	argv := append(append([]string{}, c.asUser...), name)
	argv = append(argv, args...)
	return c.h.command(ctx, timeout, c.dir, []string{"PATH=" + os.Getenv("PATH"), "LC_ALL=C"}, argv[0], argv[1:]...)
}

// start starts the cluster and waits until it accepts connections.
func (c *cluster) start(ctx context.Context) error {
	opts := fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -k %s -c max_connections=200", c.port, c.dir)
	for _, s := range c.settings {
		opts += " -c " + s
	}
	c.running = true // from here on, close tries to stop it
	_, err := c.run(ctx, 90*time.Second, filepath.Join(c.bin, "pg_ctl"), "-D", c.data(), "-l", filepath.Join(c.dir, "postgres.log"),
		"-o", opts, "-w", "-t", "60", "start")
	if err != nil {
		return fmt.Errorf("start the private cluster (log: %s): %w", filepath.Join(c.dir, "postgres.log"), err)
	}
	return nil
}

// stop stops the cluster: mode fast rolls back open transactions and
// disconnects clients cleanly; immediate is as a crash, recovered from the
// write-ahead log at the next start.
func (c *cluster) stop(ctx context.Context, mode string) error {
	_, err := c.run(ctx, 90*time.Second, filepath.Join(c.bin, "pg_ctl"), "-D", c.data(), "-m", mode, "-w", "-t", "60", "stop")
	if err == nil {
		c.running = false
	}
	return err
}

// close stops the cluster if it runs; the harness removes its directory.
func (c *cluster) close(ctx context.Context) {
	if !c.running {
		return
	}
	if err := c.stop(ctx, "immediate"); err != nil {
		fmt.Fprintf(c.h.log, "prove: stop the private cluster: %v\n", err)
	}
}
