package graph

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"tracker/models"
)

// TestInternalErrorsLogBounded checks that one request logs at most
// maxLoggedInternal internal errors and panic stacks however many fields
// fail, that errors of a canceled request are not logged as internal at
// all, and that clients see the masked message and code either way.
func TestInternalErrorsLogBounded(t *testing.T) {
	var log bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&log, nil))
	present, recoverFn := presentError(logger), recoverPanic(logger)
	ex := &exchange{}
	ctx := context.WithValue(context.Background(), exchangeKey{}, ex)

	for i := range 50 {
		e := present(ctx, fmt.Errorf("field %d: %w", i, errors.New("boom")))
		if got := e.Extensions["code"]; got != models.CodeInternal || e.Message != "internal error" {
			t.Fatalf("internal error presented as %q %v", e.Message, got)
		}
		if err := recoverFn(ctx, "nil map"); err == nil {
			t.Fatal("recoverPanic returned no error")
		}
	}
	if got := strings.Count(log.String(), `"msg":"internal error"`); got != maxLoggedInternal {
		t.Errorf("internal errors logged = %d, want %d", got, maxLoggedInternal)
	}
	if got := strings.Count(log.String(), `"msg":"panic in resolver"`); got != maxLoggedInternal {
		t.Errorf("panic stacks logged = %d, want %d", got, maxLoggedInternal)
	}
	if ex.internal != 50 || ex.panics != 50 {
		t.Errorf("counted %d internal errors and %d panics, want 50 and 50", ex.internal, ex.panics)
	}

	log.Reset()
	e := present(context.WithValue(context.Background(), exchangeKey{}, &exchange{}),
		fmt.Errorf("meetings: %w", context.Canceled))
	if got := e.Extensions["code"]; got != codeCanceled {
		t.Errorf("canceled error code = %v, want %s", got, codeCanceled)
	}
	if log.Len() != 0 {
		t.Errorf("a canceled request's error was logged: %s", log.String())
	}
}

// TestTraceOperationEndsSubscriptions checks that a subscription whose
// stream has ended (nil, its context done) ends, while a query whose
// context ran out is answered TIMEOUT. Answering the subscription's nil
// made gqlgen's WebSocket loop ask for the next response at once, forever.
func TestTraceOperationEndsSubscriptions(t *testing.T) {
	for _, tc := range []struct {
		op      ast.Operation
		timeout bool
	}{{ast.Subscription, false}, {ast.Query, true}} {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		ctx = graphql.WithOperationContext(ctx, &graphql.OperationContext{Operation: &ast.OperationDefinition{Operation: tc.op}})
		handler := traceOperation(ctx, func(context.Context) graphql.ResponseHandler {
			return func(context.Context) *graphql.Response { return nil }
		})
		resp := handler(ctx)
		if got := resp != nil; got != tc.timeout {
			t.Errorf("%s whose context is done: answered %v, want %v", tc.op, got, tc.timeout)
		}
	}
}
