package resilient

import (
	"log/slog"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"

	rc "github.com/resilient-sms/resilient/resilientconv"
)

// retrying records a retry decision.
func (t *telemetry) retrying(tc *telCall, attempt int, out *Outcome, d decision) {
	t.m.retry(out, d)
	if !tc.wants(slog.LevelDebug) {
		return
	}
	attrs := append(outcomeAttrs(out),
		rc.AttemptKey.Int(attempt),
		rc.DelayKey.Float64(max(d.delay, d.fallback).Seconds()), // a queue's wait: at most its fallback
		rc.DelaySourceKey.String(d.source),
		rc.ReasonKey.String(string(d.reason)),
		rc.CauseKey.String(retryCause(out)))
	tc.emit(rc.EventRetryScheduled, slog.LevelDebug, attrs)
}

// queued records a call that waited for room under its account's
// in-flight limit, or that the limit turned away (err).
func (t *telemetry) queued(tc *telCall, v limitView, weight int, err error) {
	t.m.queue(v, err)
	if !tc.wants(slog.LevelDebug) {
		return
	}
	attrs := []attribute.KeyValue{rc.DelayKey.Float64(v.waited.Seconds()), rc.DelaySourceKey.String(rc.DelayQueue),
		rc.LimitKey.Int(v.limit), rc.LimitReasonKey.String(v.why), rc.WeightKey.Int(weight)}
	if e, ok := err.(*Error); ok {
		attrs = append(attrs, rc.ReasonKey.String(string(e.Reason)))
	}
	tc.emit(rc.EventQueued, slog.LevelDebug, attrs)
}

// limited records a new value of an account's in-flight limit.
func (t *telemetry) limited(v limitView) { t.m.limit(v) }

// probed records the outcome of an account circuit's probe request.
func (t *telemetry) probed(tc *telCall, out *Outcome) {
	if tc.wants(slog.LevelInfo) {
		tc.emit(rc.EventProbed, slog.LevelInfo, outcomeAttrs(out))
	}
}

// failedFast records a call that an open circuit stopped.
func (t *telemetry) failedFast(tc *telCall, e *CircuitOpenError) {
	t.m.failFast(e)
	if !tc.wants(slog.LevelDebug) {
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
	tc.emit(rc.EventFailedFast, slog.LevelDebug, attrs)
}

// circuitChanged records a circuit's state change, on the call's span when
// a call caused it.
func (t *telemetry) circuitChanged(tc *telCall, ev CircuitEvent) {
	t.m.circuit(ev)
	if tc == nil {
		tc = t.loggingOnly()
	}
	if level := changeLevel(ev.To); tc.wants(level) {
		tc.emit(rc.EventCircuitChanged, level, circuitAttrs(ev))
	}
}

// endCall records how the call ended, as final says, and ends its span: an
// error only when the whole call failed.
func (t *telemetry) endCall(tc *telCall, f final, err error) {
	if tc != nil {
		tc.end(f, err)
		tc.free()
	}
}

// end is endCall of a call that records.
func (tc *telCall) end(f final, err error) {
	var out *Outcome
	if f.last != nil {
		out = &f.last.out
		if out.AcceptedEarlier && tc.wants(slog.LevelInfo) {
			tc.emit(rc.EventAcceptedEarlier, slog.LevelInfo, acceptedAttrs(out, f.attempts))
		}
		level := gaveUpLevel(f.reason)
		if f.reason != rc.ReasonSuccess && f.reason != rc.ReasonAcceptedEarlier && tc.wants(level) {
			attrs := append(outcomeAttrs(out), rc.AttemptKey.Int(f.attempts), rc.ReasonKey.String(string(f.reason)))
			tc.emit(rc.EventGaveUp, level, attrs)
		}
	}
	if tc.span == nil {
		return
	}
	attrs := append(append(tc.spare(), tc.attrs...), rc.OperationKey.String(tc.op), rc.AttemptsKey.Int(f.attempts))
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
