package models

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// TestDBErrorUnavailable checks that the ways a connection fails while the
// database goes away all read as UNAVAILABLE, wrapped as the store wraps
// them, and that other errors do not.
func TestDBErrorUnavailable(t *testing.T) {
	for _, err := range []error{
		pgconn.ErrConnClosed,
		fmt.Errorf("the change: %w", pgconn.ErrConnClosed),
		io.ErrUnexpectedEOF,
		syscall.ECONNREFUSED,
		syscall.ECONNRESET,
		&pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"},
		&pgconn.PgError{Code: "08006"},
	} {
		if got := ErrorCode(dbError(err, "thing")); got != CodeUnavailable {
			t.Errorf("dbError(%v) has code %q, want %q", err, got, CodeUnavailable)
		}
	}
	for _, err := range []error{
		errors.New("something else"),
		&pgconn.PgError{Code: "42601", Message: "syntax error"},
		context.Canceled,
	} {
		if got := ErrorCode(dbError(err, "thing")); got == CodeUnavailable {
			t.Errorf("dbError(%v) is UNAVAILABLE", err)
		}
	}
}

// TestDBErrorWriteRefused checks that writes a database refuses although it
// answers — read-only, out of disk — are UNAVAILABLE saying why.
func TestDBErrorWriteRefused(t *testing.T) {
	for _, tc := range []struct {
		err  error
		says string
	}{
		{&pgconn.PgError{Code: "25006", Message: "cannot execute INSERT in a read-only transaction"}, "it is read-only"},
		{fmt.Errorf("organization: %w", &pgconn.PgError{Code: "25006"}), "it is read-only"},
		{&pgconn.PgError{Code: "53100", Message: "could not extend file: No space left on device"}, "its disk is full"},
	} {
		err := dbError(tc.err, "the change")
		if got := ErrorCode(err); got != CodeUnavailable {
			t.Errorf("dbError(%v) has code %q, want %q", tc.err, got, CodeUnavailable)
		}
		if msg := ErrorMessage(err); msg != "the database refuses writes ("+tc.says+"); try again later" {
			t.Errorf("dbError(%v) says %q", tc.err, msg)
		}
	}
}

// TestKeys checks the normal form of unique keys.
func TestKeys(t *testing.T) {
	for _, tc := range []struct{ in, slug, acronym, acronymErr string }{
		{in: "dpko", slug: "dpko", acronym: "dpko"},
		{in: " DPKO\u200b", slug: "dpko", acronym: "DPKO"},
		{in: "ＤＰＫＯ", slug: "dpko", acronym: "DPKO"},
		{in: "d\u00adp\ufeffk\u200co", slug: "dpko", acronym: "dpko"},
		{in: "UN-Habitat", slug: "un-habitat", acronym: "UN-Habitat"},
		{in: "ОДКБ", slug: "", acronym: "ОДКБ"},
		{in: "ІNTERPOL", slug: "", acronymErr: "mixes Cyrillic and Latin"},
		{in: "G7", slug: "g7", acronym: "G7"},
		{in: "ΕΕ-EU", slug: "", acronymErr: "mixes Greek and Latin"},
		{in: "\u200b", slug: "", acronym: ""},
	} {
		slug, err := slugKey("s", tc.in)
		if tc.slug == "" && err == nil || tc.slug != "" && (err != nil || slug != tc.slug) {
			t.Errorf("slugKey(%q) = %q, %v; want %q", tc.in, slug, err, tc.slug)
		}
		acronym, err := acronymKey("a", tc.in)
		switch {
		case tc.acronymErr != "" && (err == nil || !strings.Contains(err.Error(), tc.acronymErr)):
			t.Errorf("acronymKey(%q) = %q, %v; want an error saying %q", tc.in, acronym, err, tc.acronymErr)
		case tc.acronymErr == "" && (err != nil || acronym != tc.acronym):
			t.Errorf("acronymKey(%q) = %q, %v; want %q", tc.in, acronym, err, tc.acronym)
		}
	}
}

// TestAcronymScripts checks acronyms in scripts beyond the common ones.
func TestAcronymScripts(t *testing.T) {
	for in, ok := range map[string]bool{"ইউএন": true, "ஐநா": true, "ইউN": false, "Ա-Б": false} {
		if _, err := acronymKey("a", in); (err == nil) != ok {
			t.Errorf("acronymKey(%q): %v, want accepted %v", in, err, ok)
		}
	}
}
