package resilient

import (
	"context"
	"log/slog"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	rc "github.com/resilient-sms/resilient/resilientconv"
)

// wants reports whether the decision of level is recorded at all: on the
// call's span, or in a log record.
func (tc *telCall) wants(level slog.Level) bool {
	return tc != nil && (tc.span != nil || tc.log != nil && tc.log.Enabled(tc.ctx, level))
}

// emit records a decision as a span event and a log record.
func (tc *telCall) emit(name string, level slog.Level, attrs []attribute.KeyValue) {
	if tc.span != nil {
		tc.span.AddEvent(name, trace.WithAttributes(attrs...))
	}
	if tc.log != nil && tc.log.Enabled(tc.ctx, level) {
		tc.log.LogAttrs(tc.ctx, level, name, slogAttrs(attrs)...)
	}
}

// slogAttrs converts attributes to log attributes of the same keys.
func slogAttrs(attrs []attribute.KeyValue) []slog.Attr {
	out := make([]slog.Attr, len(attrs))
	for i, kv := range attrs {
		k := string(kv.Key)
		switch kv.Value.Type() {
		case attribute.BOOL:
			out[i] = slog.Bool(k, kv.Value.AsBool())
		case attribute.INT64:
			out[i] = slog.Int64(k, kv.Value.AsInt64())
		case attribute.FLOAT64:
			out[i] = slog.Float64(k, kv.Value.AsFloat64())
		default:
			out[i] = slog.String(k, kv.Value.String())
		}
	}
	return out
}

// loggingOnly is the recording state of a decision made outside any call
// (a fleet's fact): no span, a log record with no call's context.
func (t *telemetry) loggingOnly() *telCall {
	if t.log == nil {
		return nil
	}
	return &telCall{log: t.log, ctx: context.Background()}
}

// gaveUpLevel is the level of a call given up for reason: Info when the
// answer was the caller's own matter, Debug for a cancellation, else Warn.
func gaveUpLevel(reason rc.Reason) slog.Level {
	switch reason {
	case rc.ReasonPermanent, rc.ReasonLocal:
		return slog.LevelInfo
	case rc.ReasonCanceled:
		return slog.LevelDebug
	}
	return slog.LevelWarn
}

// changeLevel is the level of a circuit's change: Warn when it opens.
func changeLevel(to CircuitState) slog.Level {
	if to == StateOpen {
		return slog.LevelWarn
	}
	return slog.LevelInfo
}
