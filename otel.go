package resilient

import (
	"context"
	"net/http"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"
)

// ScopeName is the instrumentation scope of the Transport's spans and
// metrics: the module path.
const ScopeName = "github.com/resilient-sms/resilient"

// telemetryConfig is what the tracing options set.
type telemetryConfig struct {
	tp   trace.TracerProvider
	mp   metric.MeterProvider
	prop propagation.TextMapPropagator
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
// CLIENT span per attempt, span events for decisions, and metrics.
type telemetry struct {
	tracer trace.Tracer // nil: from the request's span or the global provider
	global trace.Tracer // the global provider's, which follows SetTracerProvider
	prop   propagation.TextMapPropagator
	m      instruments
}

func newTelemetry(cfg telemetryConfig) *telemetry {
	t := &telemetry{prop: cfg.prop}
	if cfg.tp != nil {
		t.tracer = cfg.tp.Tracer(ScopeName, trace.WithInstrumentationVersion(Version))
	}
	t.global = otel.GetTracerProvider().Tracer(ScopeName, trace.WithInstrumentationVersion(Version))
	mp := cfg.mp
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	t.m = newInstruments(mp.Meter(ScopeName, metric.WithInstrumentationVersion(Version)))
	return t
}

// Version is the version of this module, reported as the instrumentation
// scope's version.
const Version = "0.1.0"

// telCall is the tracing state of one recording RoundTrip; nil when the
// call's span does not record.
type telCall struct {
	span   trace.Span
	tracer trace.Tracer
	ctx    context.Context
	prop   propagation.TextMapPropagator
	inject bool                 // prop injects any field
	final  Outcome              // the outcome the call stopped on, when stopped
	reason Reason               // why it stopped; "" until then
	attrs  []attribute.KeyValue // method and server, shared by attempt spans
}

// startCall starts the call's INTERNAL span; nil when it does not record.
func (t *telemetry) startCall(req *http.Request) *telCall {
	ctx := req.Context()
	tracer := t.tracer
	if tracer == nil {
		if sp := trace.SpanFromContext(ctx); sp.SpanContext().IsValid() {
			tracer = sp.TracerProvider().Tracer(ScopeName, trace.WithInstrumentationVersion(Version))
		} else if otel.GetTracerProvider() == unsetTracerProvider {
			return nil // no provider anywhere: nothing to record
		} else {
			tracer = t.global
		}
	}
	op := operationName(req)
	attrs := requestAttrs(req)
	cctx, span := tracer.Start(ctx, op, trace.WithSpanKind(trace.SpanKindInternal),
		trace.WithAttributes(append(attrs[:len(attrs):len(attrs)], attribute.String(AttrOperation, op))...))
	if !span.IsRecording() {
		return nil
	}
	tc := &telCall{span: span, tracer: tracer, ctx: cctx, prop: t.prop, attrs: attrs}
	if tc.prop == nil {
		tc.prop = otel.GetTextMapPropagator()
	}
	tc.inject = len(tc.prop.Fields()) > 0
	return tc
}

// telAttempt is the tracing state of one attempt.
type telAttempt struct {
	span trace.Span
}

// startAttempt starts an attempt's CLIENT span and returns the request to
// send: carrying the span's context and, through the propagators, its
// headers.
func (t *telemetry) startAttempt(tc *telCall, r *http.Request, attempt int) (*http.Request, telAttempt) {
	if tc == nil {
		return r, telAttempt{}
	}
	attrs := append(tc.attrs[:len(tc.attrs):len(tc.attrs)],
		semconv.URLFull(redactURL(r.URL)), attribute.Int(AttrAttempt, attempt))
	if attempt > 1 {
		attrs = append(attrs, semconv.HTTPRequestResendCount(attempt-1))
	}
	actx, span := tc.tracer.Start(tc.ctx, spanMethod(r.Method),
		trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	r = r.WithContext(actx)
	if tc.inject {
		r.Header = r.Header.Clone()
		if r.Header == nil {
			r.Header = http.Header{}
		}
		tc.prop.Inject(actx, propagation.HeaderCarrier(r.Header))
	}
	return r, telAttempt{span: span}
}

// attemptStart returns the time an attempt starts when its duration will be
// recorded, and the zero time otherwise (reading the clock is not free).
func (t *telemetry) attemptStart(tc *telCall, r *http.Request) time.Time {
	if tc != nil || t.m.duration.Enabled(r.Context()) {
		return time.Now()
	}
	return time.Time{}
}

// endAttempt ends an attempt's span with what came back, and records the
// attempt's metrics.
func (t *telemetry) endAttempt(tc *telCall, ta telAttempt, req *http.Request, start time.Time, resp *http.Response, out *Outcome) {
	errType := errorType(out)
	t.m.attempt(req, start, out, errType)
	if ta.span == nil {
		return
	}
	attrs := make([]attribute.KeyValue, 0, 5)
	if resp != nil {
		attrs = append(attrs, semconv.HTTPResponseStatusCode(resp.StatusCode))
	}
	attrs = appendOutcomeAttrs(attrs, out)
	if errType != "" {
		attrs = append(attrs, semconv.ErrorTypeKey.String(errType))
		desc := out.Description
		if out.Err != nil {
			desc = out.Err.Error()
		}
		ta.span.SetStatus(codes.Error, desc)
	}
	ta.span.SetAttributes(attrs...)
	ta.span.End()
}

// retrying records a retry decision.
func (t *telemetry) retrying(tc *telCall, attempt int, out *Outcome, d decision) {
	t.m.retry(out, d)
	if tc == nil {
		return
	}
	attrs := append(outcomeAttrs(out),
		attribute.Int(AttrAttempt, attempt),
		attribute.Float64(AttrDelay, d.delay.Seconds()),
		attribute.String(AttrDelaySource, string(d.source)),
		attribute.String(AttrReason, string(d.reason)),
		attribute.String(AttrCause, retryCause(out)))
	tc.span.AddEvent(EventRetryScheduled, trace.WithAttributes(attrs...))
}

// stopped records the decision that ended the call on an answer or a
// transport failure.
func (t *telemetry) stopped(tc *telCall, attempt int, out *Outcome, d decision) {
	if tc == nil {
		return
	}
	tc.final, tc.reason = *out, d.reason
	switch d.reason {
	case ReasonSuccess:
		return
	case ReasonAcceptedEarlier:
		tc.span.AddEvent(EventAcceptedEarlier, trace.WithAttributes(acceptedAttrs(out, attempt)...))
		return
	}
	if out.AcceptedEarlier { // some recipients were, others failed
		tc.span.AddEvent(EventAcceptedEarlier, trace.WithAttributes(acceptedAttrs(out, attempt)...))
	}
	attrs := append(outcomeAttrs(out), attribute.Int(AttrAttempt, attempt), attribute.String(AttrReason, string(d.reason)))
	if d.reason == ReasonDeadline {
		attrs = append(attrs, attribute.Float64(AttrDelay, d.delay.Seconds()))
	}
	tc.span.AddEvent(EventGaveUp, trace.WithAttributes(attrs...))
}

// probed records the outcome of an account circuit's probe request.
func (t *telemetry) probed(tc *telCall, out *Outcome) {
	if tc == nil {
		return
	}
	tc.span.AddEvent(EventProbed, trace.WithAttributes(outcomeAttrs(out)...))
}

// failedFast records a call that an open circuit stopped.
func (t *telemetry) failedFast(tc *telCall, e *CircuitOpenError) {
	t.m.failFast(e)
	if tc == nil {
		return
	}
	attrs := []attribute.KeyValue{attribute.String(AttrScope, string(e.Scope)), attribute.String(AttrClass, e.Class.String())}
	if e.Code != 0 {
		attrs = append(attrs, attribute.Int(AttrCode, e.Code))
	}
	if !e.Until.IsZero() {
		attrs = append(attrs, attribute.String(AttrRetryAt, e.Until.UTC().Format(time.RFC3339Nano)))
	}
	tc.span.AddEvent(EventFailedFast, trace.WithAttributes(attrs...))
}

// circuitChanged records a circuit's state change.
func (t *telemetry) circuitChanged(tc *telCall, ev CircuitEvent) {
	t.m.circuit(ev)
	if tc == nil {
		return
	}
	attrs := []attribute.KeyValue{attribute.String(AttrScope, string(ev.Scope)),
		attribute.String(AttrFrom, ev.From), attribute.String(AttrTo, ev.To)}
	if ev.To == "open" {
		attrs = append(attrs, attribute.String(AttrClass, ev.Class.String()),
			attribute.String(AttrRetryAt, ev.Until.UTC().Format(time.RFC3339Nano)))
		if ev.Code != 0 {
			attrs = append(attrs, attribute.Int(AttrCode, ev.Code))
		}
	}
	tc.span.AddEvent(EventCircuitChanged, trace.WithAttributes(attrs...))
}

// endCall ends the call's span: Error only when the whole call failed.
func (t *telemetry) endCall(tc *telCall, attempts int, resp *http.Response, err error) {
	if tc == nil {
		return
	}
	attrs := make([]attribute.KeyValue, 0, 5)
	attrs = append(attrs, attribute.Int(AttrAttempts, attempts))
	switch {
	case err != nil:
		attrs = append(attrs, semconv.ErrorType(err))
		tc.span.SetStatus(codes.Error, err.Error())
	case resp != nil && resp.Header.Get(FailFastHeader) != "":
		attrs = append(attrs, semconv.ErrorTypeKey.String("circuit_open"))
		tc.span.SetStatus(codes.Error, "circuit open")
	case tc.reason != "" && tc.final.Class != ClassSuccess:
		attrs = append(attrs, semconv.ErrorTypeKey.String(tc.final.Class.String()))
		tc.span.SetStatus(codes.Error, string(tc.reason))
	}
	if tc.reason != "" {
		attrs = appendOutcomeAttrs(attrs, &tc.final)
	}
	tc.span.SetAttributes(attrs...)
	tc.span.End()
}
