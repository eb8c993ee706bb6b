package models

import (
	"context"
	"errors"
	"fmt"
	"io"
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
