package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"tracker/models"
)

// newMetrics returns the Prometheus registry of the process: Go runtime and
// process metrics (memory, goroutines) and the database connection pool;
// the HTTP handler adds its own.
func newMetrics(store *models.Store) (*prometheus.Registry, error) {
	sqlDB, err := store.DB().DB()
	if err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewDBStatsCollector(sqlDB, "tracker"),
	)
	for i, h := range store.Replicas() {
		labels := prometheus.Labels{"replica": h.Name}
		reg.MustRegister(
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "tracker_replica_lag_seconds", ConstLabels: labels,
				Help: "How far the read replica's replay is behind the primary, at the last check."},
				func() float64 { return store.Replicas()[i].Lag.Seconds() }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "tracker_replica_in_rotation", ConstLabels: labels,
				Help: "1 while reads go to the read replica, 0 while it is out of rotation (down, or lagging past REPLICA_MAX_LAG)."},
				func() float64 {
					if store.Replicas()[i].InUse {
						return 1
					}
					return 0
				}),
		)
	}
	return reg, nil
}

// startTracing sends OpenTelemetry traces to an OTLP/HTTP collector when
// one is configured with the standard variables (OTEL_EXPORTER_OTLP_ENDPOINT
// or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, OTEL_SERVICE_NAME, …); otherwise
// tracing stays off and costs nothing. It reports whether tracing is on;
// the returned function flushes and stops it.
func startTracing(ctx context.Context, logger *slog.Logger) (stop func(), on bool, err error) {
	if os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") == "" && os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") == "" {
		return func() {}, false, nil
	}
	exporter, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, false, err
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exporter))
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	logger.Info("tracing on: OpenTelemetry traces go to the OTLP endpoint")
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := tp.Shutdown(ctx); err != nil {
			logger.Warn("flush traces", "err", err)
		}
	}, true, nil
}

// startProfiling serves Go's profiler on addr (PPROF_ADDR), which should be
// a loopback address: profiles reveal the program's internals. Empty addr
// serves nothing.
func startProfiling(addr string, logger *slog.Logger) error {
	if addr == "" {
		return nil
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return err
	}
	if !isLoopback(addr) {
		return errors.New("PPROF_ADDR must be a loopback address, such as 127.0.0.1:6060")
	}
	mux := http.NewServeMux()
	profilerRoutes(mux)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("profiler", "err", err)
		}
	}()
	logger.Info("profiler listening", "addr", addr)
	return nil
}

// profilerRoutes adds Go's profiler to mux.
func profilerRoutes(mux *http.ServeMux) {
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
}

// isLoopback reports whether a listening address accepts local
// connections only.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return host == "localhost" || (ip != nil && ip.IsLoopback())
}

// startMetricsServer serves the registry at /metrics on addr (METRICS_ADDR),
// apart from the API, for a scraper on a private network; on a loopback
// address Go's profiler joins it, at /debug/pprof/. Empty addr serves
// nothing (the API's listener serves /metrics). The listener is bound
// before it returns, so that a bad address fails the start; the returned
// function closes it.
func startMetricsServer(addr string, reg *prometheus.Registry, logger *slog.Logger) (stop func(), err error) {
	if addr == "" {
		return func() {}, nil
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	profiler := isLoopback(addr)
	if profiler {
		profilerRoutes(mux)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("METRICS_ADDR: %w", err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: time.Minute}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("metrics listener", "err", err)
		}
	}()
	logger.Info("metrics listening", "addr", ln.Addr().String(), "profiler", profiler)
	return func() { _ = srv.Close() }, nil
}
