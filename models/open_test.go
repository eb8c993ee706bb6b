package models_test

import (
	"bytes"
	"cmp"
	"context"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"tracker/models"
	"tracker/models/modelstest"
)

// postgresAddr returns the host:port of the tests' Postgres server, or
// skips the test when Postgres is not among the databases tested.
func postgresAddr(t *testing.T) string {
	t.Helper()
	if !slices.Contains(modelstest.Dialects(), models.Postgres) {
		t.Skip("needs Postgres")
	}
	u, err := url.Parse(cmp.Or(os.Getenv("TEST_DATABASE_URL"), "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"))
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

// freeAddr returns a loopback address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

const secretPassword = "s3cret-pw-never-logged"

// TestOpenWaitsForPostgres starts the database's listener a second after
// Open begins: Open retries, logging each attempt without the password,
// and connects once it answers.
func TestOpenWaitsForPostgres(t *testing.T) {
	pg := postgresAddr(t)
	addr := freeAddr(t)
	listening := make(chan net.Listener, 1)
	t.Cleanup(func() {
		if ln := <-listening; ln != nil {
			ln.Close()
		}
	})
	go func() {
		time.Sleep(time.Second)
		ln, err := net.Listen("tcp", addr)
		listening <- ln
		if err != nil {
			return
		}
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go proxy(c, pg)
		}
	}()
	var logs syncBuffer
	start := time.Now()
	db, err := models.Open(context.Background(), models.Config{
		DatabaseURL: "postgres://postgres:" + secretPassword + "@" + addr + "/postgres?sslmode=disable",
		Wait:        30 * time.Second, Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	if err != nil {
		t.Fatalf("Open: %v\nlogs:\n%s", err, logs.String())
	}
	if sqlDB, err := db.DB(); err == nil {
		sqlDB.Close()
	}
	if took := time.Since(start); took < time.Second || took > 10*time.Second {
		t.Errorf("Open took %v, want about a second", took)
	}
	out := logs.String()
	t.Logf("connected after %v, %d failed attempts logged", time.Since(start).Round(time.Millisecond), strings.Count(out, "database not reachable yet"))
	if n := strings.Count(out, "database not reachable yet"); n < 2 {
		t.Errorf("logged %d failed attempts, want at least 2:\n%s", n, out)
	}
	if !strings.Contains(out, "database reachable") || !strings.Contains(out, "host=127.0.0.1") {
		t.Errorf("logs do not report the connection and the server:\n%s", out)
	}
	if strings.Contains(out, secretPassword) {
		t.Errorf("the password is in the log:\n%s", out)
	}
}

// TestOpenGivesUp checks that Open stops retrying at its limit and says
// so, without the password.
func TestOpenGivesUp(t *testing.T) {
	postgresAddr(t)
	var logs syncBuffer
	start := time.Now()
	_, err := models.Open(context.Background(), models.Config{
		DatabaseURL: "postgres://postgres:" + secretPassword + "@" + freeAddr(t) + "/postgres?sslmode=disable",
		Wait:        1500 * time.Millisecond, Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	took := time.Since(start)
	t.Logf("gave up after %v: %v", took.Round(time.Millisecond), err)
	switch {
	case err == nil:
		t.Fatal("Open succeeded with nothing listening")
	case !strings.Contains(err.Error(), "gave up after"):
		t.Errorf("error %q does not say it gave up", err)
	case strings.Contains(err.Error(), secretPassword) || strings.Contains(logs.String(), secretPassword):
		t.Errorf("the password is in the error or the log: %v\n%s", err, logs.String())
	case took < 1500*time.Millisecond || took > 5*time.Second:
		t.Errorf("gave up after %v, want about 1.5 s", took)
	}
	if n := strings.Count(logs.String(), "database not reachable yet"); n < 3 {
		t.Errorf("logged %d attempts in 1.5 s, want at least 3 (backoff from 250 ms)", n)
	}
	// Without a wait, one attempt.
	start = time.Now()
	if _, err := models.Open(context.Background(), models.Config{DatabaseURL: "postgres://postgres@" + freeAddr(t) + "/postgres"}); err == nil ||
		strings.Contains(err.Error(), "gave up") || time.Since(start) > time.Second {
		t.Errorf("Open without a wait: %v after %v, want one quick failure", err, time.Since(start))
	}
}

// proxy copies bytes between c and the server at addr.
func proxy(c net.Conn, addr string) {
	defer c.Close()
	s, err := net.Dial("tcp", addr)
	if err != nil {
		return
	}
	defer s.Close()
	go func() { _, _ = io.Copy(s, c) }()
	_, _ = io.Copy(c, s)
}
