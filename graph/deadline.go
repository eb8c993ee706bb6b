package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"tracker/models"
)

// The deadline is the deadline: REQUEST_TIMEOUT bounds reading the body,
// parsing, validation, execution and writing the response.
//
//   - withDeadline gives the request's context its deadline, which every
//     database call honours, and the connection a write deadline a second
//     later, for the answer to get out; protocol bounds the reading of the
//     body by the same deadline (a slow body is answered 408 TIMEOUT).
//   - answerByDeadline runs the rest of the request on another goroutine
//     and answers TIMEOUT itself at the deadline if the rest has not begun
//     its response by then: work that does not look at its context (gqlgen
//     validates without one) cannot hold the client past its time.
//   - Such work runs on after its answer; while too much of it does, new
//     requests are refused at once with 503 OVERLOADED rather than pile
//     more of it up. The document limits keep it short (validation of the
//     largest document allowed takes tens of milliseconds), so this is a
//     backstop, not a path taken in practice.

// writeGrace is how long after the deadline an answer may take to be
// written: the TIMEOUT answer itself is written at the deadline.
const writeGrace = time.Second

// codeCanceled is the outcome, in the log, of a request whose client went
// away before its answer; the client gets nothing.
const codeCanceled = "CANCELED"

// timeoutMessage is the message of every TIMEOUT.
const timeoutMessage = "the request took too long and was stopped"

// withDeadline gives each request a deadline d from now: its context's,
// which reaches every database call it makes, and its connection's for
// writing, d plus writeGrace.
func withDeadline(d time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		deadline := time.Now().Add(d)
		ctx, cancel := context.WithDeadline(r.Context(), deadline)
		defer cancel()
		// Not supported by every ResponseWriter (httptest's recorder):
		// the context's deadline still holds. net/http sets the
		// connection's write deadline anew for its next request when the
		// server has a WriteTimeout, as the tracker's has; without one,
		// this deadline stays on a kept-alive connection until the next
		// GraphQL request on it sets its own.
		_ = http.NewResponseController(w).SetWriteDeadline(deadline.Add(writeGrace))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// abandoned counts the requests answered TIMEOUT whose work still runs.
type abandoned struct {
	running atomic.Int64
	max     int64
	gauge   prometheus.Gauge
}

// answerByDeadline runs next on another goroutine (one of workers) and answers TIMEOUT
// when the request's context ends before next has begun its response.
// Whichever begins first answers; the other's writes are dropped. It must
// run after the body is read (by protocol): next may still be running when
// the request is over, and must not touch the connection then.
func answerByDeadline(logger *slog.Logger, ab *abandoned, next http.Handler) http.Handler {
	pool := &workers{work: make(chan func())}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if ab.running.Load() >= ab.max {
			noteAnswer(ctx, codeOverloaded)
			writeOverloaded(w, "1", "the server is finishing work that ran out of time: retry in a second")
			return
		}
		rw := &raceWriter{w: w, header: http.Header{}}
		done := make(chan struct{})
		panicked := make(chan recovered, 1)
		pool.run(func() {
			defer close(done)
			defer func() {
				if p := recover(); p != nil {
					panicked <- recovered{p, debug.Stack()}
				}
			}()
			next.ServeHTTP(rw, r)
		})
		select {
		case <-done:
		case <-ctx.Done():
			if !rw.state.CompareAndSwap(undecided, deadlineAnswered) {
				<-done // next is writing its answer, within the write deadline
				break
			}
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				noteAnswer(ctx, codeTimeout)
				writeTimeout(w, r)
			} else {
				noteAnswer(ctx, codeCanceled) // the client went away: nobody to answer
			}
			ab.running.Add(1)
			ab.gauge.Inc()
			go func() {
				<-done
				ab.running.Add(-1)
				ab.gauge.Dec()
				select {
				case p := <-panicked:
					logger.Error("panic after the deadline", "request_id", models.RequestID(ctx),
						"panic", fmt.Sprint(p.value), "stack", string(p.stack))
				default:
				}
			}()
			return
		}
		select {
		case p := <-panicked:
			// As if next had run on this goroutine: net/http closes the
			// connection, and logs the panic unless it is ErrAbortHandler.
			if p.value == http.ErrAbortHandler {
				panic(p.value)
			}
			panic(fmt.Sprintf("%v\n%s", p.value, p.stack))
		default:
		}
	})
}

// workers runs functions on goroutines kept from one request to the next,
// so that a request's work starts on a stack that earlier requests grew. A
// fresh goroutine starts with a few kilobytes of stack and doubles it,
// copying it each time, up to the tens of kilobytes that parsing,
// complexity and execution reach: a tenth of the server's CPU for a small
// compiled query (BenchmarkCompiledSmallQuery). A goroutine idle for
// workerIdle ends, so an idle server keeps none.
type workers struct {
	work chan func() // unbuffered: a send succeeds when a goroutine is idle
}

const workerIdle = time.Second

// run runs f on an idle goroutine of p, or on a new one.
func (p *workers) run(f func()) {
	select {
	case p.work <- f:
	default:
		go p.loop(f)
	}
}

// loop runs f, then whatever p is given, until it is idle for workerIdle.
func (p *workers) loop(f func()) {
	idle := time.NewTimer(workerIdle)
	defer idle.Stop()
	for {
		f()
		idle.Reset(workerIdle)
		select {
		case f = <-p.work:
		case <-idle.C:
			return
		}
	}
}

// recovered is a panic of a handler's goroutine, with where it happened.
type recovered struct {
	value any
	stack []byte
}

// writeTimeout answers TIMEOUT as a GraphQL response with no data: 200 for
// application/json, whose clients read errors from the body, and 503 for
// application/graphql-response+json.
func writeTimeout(w http.ResponseWriter, r *http.Request) {
	media := responseMedia(r.Header.Get("Accept"))
	w.Header().Set("Content-Type", media)
	status := http.StatusOK
	if media == mediaGraphQLResponse {
		status = http.StatusServiceUnavailable
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": []any{map[string]any{
		"message": timeoutMessage, "extensions": map[string]any{"code": codeTimeout}}}})
}

// States of a raceWriter.
const (
	undecided int32 = iota
	handlerAnswers
	deadlineAnswered
)

// raceWriter is the ResponseWriter of a request's handler while its answer
// races the deadline. The handler has a header map of its own, copied to
// the real one when its first write wins the race; once the deadline has
// answered, the handler's writes are dropped.
type raceWriter struct {
	w      http.ResponseWriter
	header http.Header
	state  atomic.Int32
}

func (rw *raceWriter) Header() http.Header { return rw.header }

// claim reports whether the handler may write, deciding the race if it is
// still open.
func (rw *raceWriter) claim() bool {
	if rw.state.CompareAndSwap(undecided, handlerAnswers) {
		for k, v := range rw.header {
			rw.w.Header()[k] = v
		}
		return true
	}
	return rw.state.Load() == handlerAnswers
}

func (rw *raceWriter) WriteHeader(code int) {
	if rw.claim() {
		rw.w.WriteHeader(code)
	}
}

func (rw *raceWriter) Write(b []byte) (int, error) {
	if !rw.claim() {
		return 0, http.ErrHandlerTimeout
	}
	return rw.w.Write(b)
}
