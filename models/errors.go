package models

import (
	"errors"
	"fmt"
)

// Code classifies an error for API clients. Codes are stable: they are
// returned as extensions.code in GraphQL errors and documented in the README.
type Code string

// The error codes clients can rely on.
const (
	CodeInvalid         Code = "BAD_USER_INPUT"        // malformed or out-of-range input
	CodeNotFound        Code = "NOT_FOUND"             // the object does not exist (or is not visible)
	CodeConflict        Code = "CONFLICT"              // a uniqueness or version conflict
	CodeUnauthenticated Code = "UNAUTHENTICATED"       // no valid credentials where they are required
	CodeForbidden       Code = "FORBIDDEN"             // credentials valid, but not allowed
	CodeUnavailable     Code = "UNAVAILABLE"           // a dependency, such as the database, is down
	CodeTimeout         Code = "TIMEOUT"               // the request ran out of time
	CodePageTooLarge    Code = "PAGE_TOO_LARGE"        // first or last beyond the largest page
	CodeFilterTooLarge  Code = "FILTER_TOO_COMPLEX"    // a filter nested too deep, or with too many conditions or values
	CodeInternal        Code = "INTERNAL_SERVER_ERROR" // anything else; details are logged, not returned
)

// Error is an error whose message is safe to show to API clients.
type Error struct {
	Code    Code
	Message string
	// Field names the input field at fault, such as "input.slug".
	Field string
	// Details are more facts for clients, such as the current version of
	// an object on a CONFLICT; they join the error's extensions.
	Details map[string]any
}

// Error implements the error interface.
func (e *Error) Error() string {
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err if it is or wraps an *Error, and
// CodeInternal otherwise.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// ErrorMessage returns the client-safe message of err if it is or wraps an
// *Error, and a generic message otherwise.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// invalid returns a CodeInvalid error about the input field named field.
func invalid(field, format string, args ...any) *Error {
	e := Errorf(CodeInvalid, format, args...)
	e.Field = field
	return e
}
