package resilient

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"

	rc "github.com/resilient-sms/resilient/resilientconv"
)

// instruments are the Transport's metrics. Their attributes are bounded:
// method, server, status, class, codes of the documented table, reasons and
// scopes; never a credential, a phone number or a reference.
type instruments struct {
	duration metric.Float64Histogram // http.client.request.duration, per attempt
	outcomes metric.Int64Counter     // resilient.outcomes, per attempt
	retries  metric.Int64Counter     // resilient.retries
	fails    metric.Int64Counter     // resilient.fail_fasts
	open     metric.Int64UpDownCounter
	limits   metric.Int64Gauge       // resilient.inflight.limit
	waits    metric.Float64Histogram // resilient.inflight.wait
	rejects  metric.Int64Counter     // resilient.inflight.rejections
	sets     *outcomeSets
}

// outcomeSets caches the attribute set of each (class, code) pair the
// outcome counter sees: their number is bounded by the code table.
type outcomeSets struct {
	mu sync.RWMutex
	m  map[outcomeSetKey]metric.AddOption
}

type outcomeSetKey struct {
	class Class
	code  string
}

func (s *outcomeSets) outcome(c Class, code int) metric.AddOption {
	k := outcomeSetKey{c, codeLabel(code)}
	s.mu.RLock()
	opt, ok := s.m[k]
	s.mu.RUnlock()
	if ok {
		return opt
	}
	opt = metric.WithAttributeSet(attribute.NewSet(rc.ClassKey.String(c.String()), rc.CodeKey.String(k.code)))
	s.mu.Lock()
	s.m[k] = opt
	s.mu.Unlock()
	return opt
}

func newInstruments(m metric.Meter) instruments {
	in := instruments{sets: &outcomeSets{m: map[outcomeSetKey]metric.AddOption{}}}
	in.duration, _ = m.Float64Histogram("http.client.request.duration",
		metric.WithUnit("s"), metric.WithDescription("Duration of HTTP client requests."),
		metric.WithExplicitBucketBoundaries(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10))
	in.outcomes, _ = m.Int64Counter("resilient.outcomes", metric.WithUnit("{attempt}"),
		metric.WithDescription("Attempts by the class and Notificore code of their outcome."))
	in.retries, _ = m.Int64Counter("resilient.retries", metric.WithUnit("{retry}"),
		metric.WithDescription("Retries scheduled, by cause and delay source."))
	in.fails, _ = m.Int64Counter("resilient.fail_fasts", metric.WithUnit("{call}"),
		metric.WithDescription("Calls failed fast by an open circuit, by scope."))
	in.open, _ = m.Int64UpDownCounter("resilient.circuits.open", metric.WithUnit("{circuit}"),
		metric.WithDescription("Circuits open or half-open, by scope."))
	in.limits, _ = m.Int64Gauge("resilient.inflight.limit", metric.WithUnit("{message}"),
		metric.WithDescription("The in-flight limit of the account whose limit changed last, by why it changed."))
	in.waits, _ = m.Float64Histogram("resilient.inflight.wait", metric.WithUnit("s"),
		metric.WithDescription("Time calls waited for room under their account's in-flight limit."),
		metric.WithExplicitBucketBoundaries(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
	in.rejects, _ = m.Int64Counter("resilient.inflight.rejections", metric.WithUnit("{call}"),
		metric.WithDescription("Calls the in-flight limit turned away before sending, by reason."))
	return in
}

// codeLabel bounds the code attribute to the documented table.
func codeLabel(code int) string {
	if _, ok := apiCodes[code]; ok {
		return strconv.Itoa(code)
	}
	return "other"
}

func (in *instruments) attempt(req *http.Request, start time.Time, out *Outcome, errType string) {
	ctx := req.Context()
	if !start.IsZero() && in.duration.Enabled(ctx) {
		host, port := serverOf(req.URL)
		attrs := make([]attribute.KeyValue, 0, 5)
		attrs = append(attrs, semconv.HTTPRequestMethodKey.String(methodOf(req.Method)), semconv.ServerAddress(host), semconv.ServerPort(port))
		if out.StatusCode != 0 {
			attrs = append(attrs, semconv.HTTPResponseStatusCode(out.StatusCode))
		}
		if errType != "" {
			attrs = append(attrs, semconv.ErrorTypeKey.String(errType))
		}
		in.duration.Record(ctx, time.Since(start).Seconds(), metric.WithAttributes(attrs...))
	}
	if in.outcomes.Enabled(ctx) {
		in.outcomes.Add(ctx, 1, in.sets.outcome(out.Class, out.Code))
	}
}

func (in *instruments) retry(out *Outcome, d decision) {
	ctx := context.Background()
	if in.retries.Enabled(ctx) {
		in.retries.Add(ctx, 1, metric.WithAttributes(
			rc.CauseKey.String(retryCauseLabel(out)), rc.DelaySourceKey.String(d.source)))
	}
}

// retryCauseLabel is retryCause with codes bounded to the documented table.
func retryCauseLabel(out *Outcome) string {
	if out.Err == nil && out.Code != 0 {
		return "code_" + codeLabel(out.Code)
	}
	return retryCause(out)
}

func (in *instruments) failFast(e *CircuitOpenError) {
	ctx := context.Background()
	if in.fails.Enabled(ctx) {
		in.fails.Add(ctx, 1, metric.WithAttributes(rc.ScopeKey.String(string(e.Scope))))
	}
}

func (in *instruments) circuit(ev CircuitEvent) {
	ctx := context.Background()
	if !in.open.Enabled(ctx) {
		return
	}
	var delta int64
	switch {
	case ev.From == StateClosed:
		delta = 1
	case ev.To == StateClosed:
		delta = -1
	}
	if delta != 0 {
		in.open.Add(ctx, delta, metric.WithAttributes(rc.ScopeKey.String(string(ev.Scope))))
	}
}

func (in *instruments) limit(v limitView) {
	ctx := context.Background()
	if in.limits.Enabled(ctx) {
		in.limits.Record(ctx, int64(v.limit), metric.WithAttributes(rc.LimitReasonKey.String(v.why)))
	}
}

func (in *instruments) queue(v limitView, err error) {
	ctx := context.Background()
	if e, ok := err.(*Error); ok {
		if in.rejects.Enabled(ctx) {
			in.rejects.Add(ctx, 1, metric.WithAttributes(rc.ReasonKey.String(string(e.Reason))))
		}
		return
	}
	if in.waits.Enabled(ctx) {
		in.waits.Record(ctx, v.waited.Seconds())
	}
}
