package bench

import (
	"context"

	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// NewTracerProvider returns the tracer provider of the traced runs: the
// SDK's, sampling every span (its default sampler, parent-based always-on),
// with a batch span processor in front of an exporter that drops every
// batch. It measures what tracing costs the calling goroutine, not what an
// exporter costs. Call Shutdown when done.
func NewTracerProvider() *sdktrace.TracerProvider {
	return sdktrace.NewTracerProvider(sdktrace.WithBatcher(tracetest.NewNoopExporter()))
}

// Propagator is the propagator of the traced runs: W3C trace context, the
// one a traced service sets, so that every traced client writes a
// traceparent header into each attempt.
var Propagator propagation.TextMapPropagator = propagation.TraceContext{}

// Shutdown flushes and stops tp, ignoring the no-op exporter's error-free
// result.
func Shutdown(tp *sdktrace.TracerProvider) {
	_ = tp.Shutdown(context.Background())
}
