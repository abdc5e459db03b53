package resilient

import (
	"context"
	"log/slog"
	"maps"
	"net/http"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"

	rc "github.com/resilient-sms/resilient/resilientconv"
)

// telemetryConfig is what the tracing and logging options set.
type telemetryConfig struct {
	tp   trace.TracerProvider
	mp   metric.MeterProvider
	prop propagation.TextMapPropagator
	log  *slog.Logger
}

// WithTracerProvider sets the provider of the Transport's spans. Without it
// the provider of the span in the request's context is used, else the
// global one. A nil provider is ignored.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return optionFunc(func(c *config) {
		if tp != nil {
			c.tel.tp = tp
		}
	})
}

// WithMeterProvider sets the provider of the Transport's metrics; without it
// the global one is used. A nil provider is ignored.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return optionFunc(func(c *config) {
		if mp != nil {
			c.tel.mp = mp
		}
	})
}

// WithPropagators sets the propagators that inject each attempt's trace
// context into its request headers; without it the global propagator is
// used, as otelhttp does. A nil value is ignored.
func WithPropagators(p propagation.TextMapPropagator) Option {
	return optionFunc(func(c *config) {
		if p != nil {
			c.tel.prop = p
		}
	})
}

// unsetTracerProvider is the global provider before any SetTracerProvider:
// while it is still in place, and no span in the request's context carries
// another provider, calls skip tracing altogether.
var unsetTracerProvider = otel.GetTracerProvider()

// telemetry traces a Transport's calls: an INTERNAL span per RoundTrip, a
// CLIENT span per attempt, span events for decisions, and metrics. It never
// records server text: descriptions come from the code table only.
type telemetry struct {
	tracer trace.Tracer // nil: from the request's span or the global provider
	global trace.Tracer // the global provider's, which follows SetTracerProvider
	prop   propagation.TextMapPropagator
	log    *slog.Logger
	m      instruments
	urls   urlCache // the attempt spans' url.full
}

func newTelemetry(cfg telemetryConfig) *telemetry {
	t := &telemetry{prop: cfg.prop, log: cfg.log}
	if cfg.tp != nil {
		t.tracer = cfg.tp.Tracer(rc.ScopeName, trace.WithInstrumentationVersion(rc.Version))
	}
	t.global = otel.GetTracerProvider().Tracer(rc.ScopeName, trace.WithInstrumentationVersion(rc.Version))
	mp := cfg.mp
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	t.m = newInstruments(mp.Meter(rc.ScopeName, metric.WithInstrumentationVersion(rc.Version)))
	return t
}

// telCall is what one RoundTrip records: its span, when it records, and
// its logger, when one is set and enabled. A call that records neither has
// none (nil).
type telCall struct {
	span   trace.Span // nil when not tracing
	tracer trace.Tracer
	ctx    context.Context // the span's, else the request's
	log    *slog.Logger
	prop   propagation.TextMapPropagator
	inject bool                 // prop injects any field
	attrs  []attribute.KeyValue // method and server, shared by attempt spans
	op     string               // the call span's name, its operation
	// buf holds attribute lists while they are handed to the SDK, which
	// copies them: a span's attributes cost no allocation of their own.
	buf [16]attribute.KeyValue
}

// Span kinds as options made once: an option made per span allocates.
var (
	internalKind = trace.WithSpanKind(trace.SpanKindInternal)
	clientKind   = trace.WithSpanKind(trace.SpanKindClient)
)

// records reports whether a call with context ctx would record a span or
// a log record.
func (t *telemetry) records(ctx context.Context) bool {
	return t.log != nil || t.tracing(ctx)
}

// tracing reports whether a call with context ctx may have a span.
func (t *telemetry) tracing(ctx context.Context) bool {
	return t.tracer != nil || otel.GetTracerProvider() != unsetTracerProvider ||
		trace.SpanFromContext(ctx).SpanContext().IsValid()
}

// startCall starts the call's INTERNAL span; it returns nil when the call
// records neither spans nor logs.
func (t *telemetry) startCall(req *http.Request) *telCall {
	ctx := req.Context()
	logs := t.log != nil && t.log.Enabled(ctx, slog.LevelWarn)
	if !logs && !t.tracing(ctx) {
		return nil
	}
	tc := telCalls.Get().(*telCall)
	tracer := t.tracer
	if tracer == nil {
		if sp := trace.SpanFromContext(ctx); sp.SpanContext().IsValid() {
			tracer = sp.TracerProvider().Tracer(rc.ScopeName, trace.WithInstrumentationVersion(rc.Version))
		} else if otel.GetTracerProvider() != unsetTracerProvider {
			tracer = t.global
		}
	}
	if tracer != nil {
		// The span's attributes are set when it ends, in one list: the
		// operation is its name, and the attempt spans carry the request's
		// attributes from their start, for samplers.
		op := operationName(req)
		cctx, span := tracer.Start(ctx, op, internalKind)
		if span.IsRecording() {
			attrs := appendRequestAttrs(tc.buf[:0], req)
			tc.span, tc.tracer, tc.ctx, tc.prop, tc.op = span, tracer, cctx, t.prop, op
			tc.attrs = tc.buf[:len(attrs):len(attrs)] // the rest of buf serves later lists
			if tc.prop == nil {
				tc.prop = otel.GetTextMapPropagator()
			}
			tc.inject = len(tc.prop.Fields()) > 0
		}
	}
	if logs {
		tc.log = t.log
		if tc.ctx == nil {
			tc.ctx = ctx
		}
	}
	if tc.span == nil && tc.log == nil {
		tc.free()
		return nil
	}
	return tc
}

// telCalls recycles the telCalls of ended calls: the SDK copies what it is
// handed, and nothing keeps a telCall past its call's endCall.
var telCalls = sync.Pool{New: func() any { return new(telCall) }}

// free gives tc back for reuse.
func (tc *telCall) free() {
	*tc = telCall{}
	telCalls.Put(tc)
}

// spare returns the part of buf that the shared attributes leave, empty,
// for one list at a time.
func (tc *telCall) spare() []attribute.KeyValue {
	return tc.buf[len(tc.attrs):len(tc.attrs)]
}

// telAttempt is the tracing state of one attempt.
type telAttempt struct {
	span trace.Span
}

// startAttempt starts an attempt's CLIENT span and returns the request to
// send: carrying the span's context and, through the propagators, its
// headers.
func (t *telemetry) startAttempt(tc *telCall, r *http.Request, attempt int) (*http.Request, telAttempt) {
	if tc == nil || tc.span == nil {
		return r, telAttempt{}
	}
	attrs := append(append(tc.spare(), tc.attrs...),
		semconv.URLFull(t.urls.full(r.URL)), rc.AttemptKey.Int(attempt))
	if attempt > 1 {
		attrs = append(attrs, semconv.HTTPRequestResendCount(attempt-1))
	}
	actx, span := tc.tracer.Start(tc.ctx, spanMethod(r.Method), clientKind, trace.WithAttributes(attrs...))
	r = r.WithContext(actx)
	if tc.inject {
		// The propagators add headers of their own: the caller's map stays
		// as it is, its values shared (nothing changes them).
		h := make(http.Header, len(r.Header)+2)
		maps.Copy(h, r.Header)
		r.Header = h
		tc.prop.Inject(actx, propagation.HeaderCarrier(r.Header))
	}
	return r, telAttempt{span: span}
}

// attemptStart returns the time an attempt starts when its duration will be
// recorded, and the zero time otherwise (reading the clock is not free).
func (t *telemetry) attemptStart(tc *telCall, r *http.Request) time.Time {
	if tc != nil && tc.span != nil || t.m.duration.Enabled(r.Context()) {
		return time.Now()
	}
	return time.Time{}
}

// endAttempt ends an attempt's span with what came back, and records the
// attempt's metrics.
func (t *telemetry) endAttempt(tc *telCall, res *result) {
	out, ta := &res.out, res.sent.span
	errType := errorType(out)
	if res.sent.req != nil {
		t.m.attempt(res.sent.req, res.sent.start, out, errType)
	}
	if ta.span == nil {
		return
	}
	attrs := tc.spare()
	if res.resp != nil {
		attrs = append(attrs, semconv.HTTPResponseStatusCode(res.resp.StatusCode))
	}
	attrs = appendOutcomeAttrs(attrs, out)
	if errType != "" {
		attrs = append(attrs, semconv.ErrorTypeKey.String(errType))
		ta.span.SetStatus(codes.Error, fixedDescription(out))
	}
	ta.span.SetAttributes(attrs...)
	ta.span.End()
}

// WithLogger has the Transport write one record to l for each decision it
// traces, with the span event's name as the message and the same attribute
// keys (see resilientconv): retry scheduled, queued and failed fast at
// Debug; probed, accepted earlier, a circuit closing or going half-open,
// and a call given up on a permanent answer at Info; a circuit opening and a
// call given up for any other reason at Warn. Records are written with
// Logger.LogAttrs and the call's context, so that a handler that reads the
// trace from it (otelslog's, say) adds the trace and span ids. To map the
// levels differently, wrap l's Handler and match on the message. A nil
// Logger, or one whose level is above Warn, costs nothing. Like the
// telemetry, the records never hold a credential, a phone number, a message
// text or a reference.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(c *config) { c.tel.log = l })
}
