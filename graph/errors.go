package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"tracker/models"
)

// presentError turns resolver errors into GraphQL errors with a stable
// extensions.code. Errors meant for clients (*models.Error) keep their
// message; anything else is logged and masked, so that no database detail
// reaches a client.
func presentError(logger *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gqlErr := graphql.DefaultErrorPresenter(ctx, err)
		// gqlgen locates a resolver's errors but not its arguments': both
		// belong to the field, and the specification asks for its place.
		if fc := graphql.GetFieldContext(ctx); len(gqlErr.Locations) == 0 && fc != nil && fc.Field.Field != nil && fc.Field.Position != nil {
			gqlErr.Locations = []gqlerror.Location{{Line: fc.Field.Position.Line, Column: fc.Field.Position.Column}}
		}
		var appErr *models.Error
		switch {
		case errors.As(err, &appErr):
			gqlErr.Message = appErr.Message
			gqlErr.Extensions = map[string]any{"code": appErr.Code}
			if appErr.Field != "" {
				gqlErr.Extensions["field"] = appErr.Field
			}
			for k, v := range appErr.Details {
				gqlErr.Extensions[k] = v
			}
		case gqlErr.Err == nil:
			// Parse and validation errors from gqlparser: already safe, and
			// gqlgen gives them a code.
		case isInputError(gqlErr):
			gqlErr.Extensions = map[string]any{"code": models.CodeInvalid}
		case errors.Is(err, context.Canceled):
			// The client went away (or the request was abandoned at its
			// deadline): nobody reads this, and it is no bug to log once
			// per unfinished field.
			gqlErr.Message = "the request was canceled"
			gqlErr.Extensions = map[string]any{"code": codeCanceled}
		default:
			if countInternal(ctx, false) {
				logger.ErrorContext(ctx, "internal error", "path", gqlErr.Path.String(), "err", err)
			}
			gqlErr.Message = "internal error"
			gqlErr.Extensions = map[string]any{"code": models.CodeInternal}
		}
		return gqlErr
	}
}

// isInputError reports whether gqlgen rejected an argument or variable value,
// such as a string where an Int is expected: the client's mistake.
func isInputError(e *gqlerror.Error) bool {
	code, _ := e.Extensions["code"].(string)
	return code == "GRAPHQL_VALIDATION_FAILED" || code == "BAD_USER_INPUT"
}

// recoverPanic turns a panic in a resolver into an internal error, logged
// with its stack (the first few of a request; see maxLoggedInternal); the
// server goes on serving.
func recoverPanic(logger *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		if countInternal(ctx, true) {
			logger.ErrorContext(ctx, "panic in resolver", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		}
		return errors.New("panic in resolver")
	}
}

// orderErrors sorts the errors of each response by their path, list
// indexes by number and field names alphabetically, errors without a path
// first: gqlgen collects them in the order its goroutines fail (the items
// of a list are marshaled concurrently), so the same query would
// otherwise list the same errors in another order from one run to the
// next, keep other ones past MaxErrors, and a response would not be the
// same bytes whatever path (executor or compiler) makes it. It runs inside
// capErrors.
func orderErrors(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if resp != nil && len(resp.Errors) > 1 {
		slices.SortStableFunc(resp.Errors, func(a, b *gqlerror.Error) int { return comparePaths(a.Path, b.Path) })
	}
	return resp
}

// comparePaths orders response paths element by element, a prefix first.
func comparePaths(a, b ast.Path) int {
	for i := range min(len(a), len(b)) {
		ia, aIsIndex := a[i].(ast.PathIndex)
		ib, bIsIndex := b[i].(ast.PathIndex)
		switch {
		case aIsIndex && bIsIndex:
			if ia != ib {
				return int(ia) - int(ib)
			}
		case aIsIndex != bIsIndex:
			if aIsIndex {
				return -1
			}
			return 1
		default:
			if c := strings.Compare(string(a[i].(ast.PathName)), string(b[i].(ast.PathName))); c != 0 {
				return c
			}
		}
	}
	return len(a) - len(b)
}
