package resilient

import (
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"

	rc "github.com/resilient-sms/resilient/resilientconv"
)

// retrying records a retry decision.
func (t *telemetry) retrying(tc *telCall, attempt int, out *Outcome, d decision) {
	t.m.retry(out, d)
	if tc == nil {
		return
	}
	attrs := append(outcomeAttrs(out),
		rc.AttemptKey.Int(attempt),
		rc.DelayKey.Float64(d.delay.Seconds()),
		rc.DelaySourceKey.String(d.source),
		rc.ReasonKey.String(string(d.reason)),
		rc.CauseKey.String(retryCause(out)))
	tc.span.AddEvent(rc.EventRetryScheduled, trace.WithAttributes(attrs...))
}

// queued records a call that waited for room under its account's
// in-flight limit, or that the limit turned away (err).
func (t *telemetry) queued(tc *telCall, v limitView, weight int, err error) {
	t.m.queue(v, err)
	if tc == nil {
		return
	}
	attrs := []attribute.KeyValue{rc.DelayKey.Float64(v.waited.Seconds()), rc.DelaySourceKey.String(rc.DelayQueue),
		rc.LimitKey.Int(v.limit), rc.LimitReasonKey.String(v.why), rc.WeightKey.Int(weight)}
	if e, ok := err.(*Error); ok {
		attrs = append(attrs, rc.ReasonKey.String(string(e.Reason)))
	}
	tc.span.AddEvent(rc.EventQueued, trace.WithAttributes(attrs...))
}

// limited records a new value of an account's in-flight limit.
func (t *telemetry) limited(v limitView) { t.m.limit(v) }

// probed records the outcome of an account circuit's probe request.
func (t *telemetry) probed(tc *telCall, out *Outcome) {
	if tc == nil {
		return
	}
	tc.span.AddEvent(rc.EventProbed, trace.WithAttributes(outcomeAttrs(out)...))
}

// failedFast records a call that an open circuit stopped.
func (t *telemetry) failedFast(tc *telCall, e *CircuitOpenError) {
	t.m.failFast(e)
	if tc == nil {
		return
	}
	attrs := []attribute.KeyValue{rc.ScopeKey.String(string(e.Scope)), rc.ClassKey.String(e.Class.String())}
	if e.Code != 0 {
		attrs = append(attrs, rc.CodeKey.Int(e.Code))
	}
	if !e.Until.IsZero() {
		attrs = append(attrs, rc.RetryAtKey.String(e.Until.UTC().Format(time.RFC3339Nano)))
	}
	if e.Instance != "" {
		attrs = append(attrs, rc.InstanceKey.String(e.Instance))
	}
	tc.span.AddEvent(rc.EventFailedFast, trace.WithAttributes(attrs...))
}

// circuitChanged records a circuit's state change, on the call's span when
// a call caused it.
func (t *telemetry) circuitChanged(tc *telCall, ev CircuitEvent) {
	t.m.circuit(ev)
	if tc == nil {
		return
	}
	tc.span.AddEvent(rc.EventCircuitChanged, trace.WithAttributes(circuitAttrs(ev)...))
}

// endCall records how the call ended, as final says, and ends its span: an
// error only when the whole call failed.
func (t *telemetry) endCall(tc *telCall, f final, err error) {
	if tc == nil {
		return
	}
	var out *Outcome
	if f.last != nil {
		out = &f.last.out
		if out.AcceptedEarlier {
			tc.span.AddEvent(rc.EventAcceptedEarlier, trace.WithAttributes(acceptedAttrs(out, f.attempts)...))
		}
		if f.reason != rc.ReasonSuccess && f.reason != rc.ReasonAcceptedEarlier {
			attrs := append(outcomeAttrs(out), rc.AttemptKey.Int(f.attempts), rc.ReasonKey.String(string(f.reason)))
			tc.span.AddEvent(rc.EventGaveUp, trace.WithAttributes(attrs...))
		}
	}
	attrs := make([]attribute.KeyValue, 0, 6)
	attrs = append(attrs, rc.AttemptsKey.Int(f.attempts))
	switch {
	case f.failFast != nil && f.last == nil:
		attrs = append(attrs, semconv.ErrorTypeKey.String(f.failFast.ErrorType()))
		tc.span.SetStatus(codes.Error, "circuit open")
	case err != nil:
		attrs = append(attrs, semconv.ErrorType(err))
		tc.span.SetStatus(codes.Error, string(f.reason))
	case out != nil && out.Class != ClassSuccess:
		attrs = append(attrs, semconv.ErrorTypeKey.String(out.Class.String()))
		tc.span.SetStatus(codes.Error, string(f.reason))
	}
	if out != nil {
		attrs = appendOutcomeAttrs(attrs, out)
	}
	tc.span.SetAttributes(attrs...)
	tc.span.End()
}
