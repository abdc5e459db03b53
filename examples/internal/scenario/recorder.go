package scenario

import (
	"context"
	"slices"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/resilient-sms/resilient"
	"github.com/resilient-sms/resilient/resilientconv"
)

// Call is one RoundTrip of a resilient.Transport as its trace tells it: the
// RoundTrip span, its attempt spans and the decisions the Transport recorded
// on it as span events.
type Call struct {
	// Operation is the RoundTrip span's name: sms.create, viber.create,
	// balance, sms.get_by_reference, ...
	Operation string
	// TraceID is the trace the call belongs to.
	TraceID trace.TraceID
	// Attempts are the attempts sent, in order; none when the call failed fast.
	Attempts []Attempt
	// Circuits are the circuit state changes the call caused or met.
	Circuits []CircuitChange
	// FailedFast is set when an open circuit stopped the call before any
	// network I/O.
	FailedFast *FailFast
	// Start and End bound the RoundTrip span.
	Start, End time.Time
}

// Attempt is one attempt span of a call and what the Transport decided after it.
type Attempt struct {
	// Number is the 1-based attempt number.
	Number int
	// Status is the HTTP status received; 0 when no answer came.
	Status int
	// Class and Code are the attempt's classification.
	Class resilient.Class
	Code  int
	// Err describes the transport failure when no answer came.
	Err string
	// Start and End bound the attempt span.
	Start, End time.Time
	// Next is what the Transport decided after the attempt.
	Next Decision
}

// Decision is what the Transport did after an attempt: resend after a
// delay, or stop for a reason.
type Decision struct {
	// Retry reports a resend; Delay and Source say when and why then, Cause
	// what failed (code_11, http_503, network).
	Retry  bool
	Delay  time.Duration
	Source string
	Cause  string
	// Reason is why the call stopped after this attempt (success, permanent,
	// account, unsafe, attempts, accepted_earlier, ...); empty for a retry.
	Reason resilientconv.Reason
}

// CircuitChange is a "circuit state changed" event.
type CircuitChange struct {
	Scope    resilient.Scope
	From, To string
	// Class and Code describe the outcome that opened the circuit (To "open").
	Class resilient.Class
	Code  int
	// RetryAt is when an opened circuit lets a probe through.
	RetryAt time.Time
	// At is when the change was recorded.
	At time.Time
}

// FailFast is a "failed fast" event: the call was stopped without network I/O.
type FailFast struct {
	Scope resilient.Scope
	// Class and Code describe the outcome that opened the circuit.
	Class resilient.Class
	Code  int
	// RetryAt is when the circuit lets a probe through; zero while a probe
	// is in flight.
	RetryAt time.Time
	// At is when the call failed fast.
	At time.Time
}

// Retries returns the number of resends the call scheduled.
func (c *Call) Retries() int {
	n := 0
	for _, a := range c.Attempts {
		if a.Next.Retry {
			n++
		}
	}
	return n
}

// Last returns the last attempt, or nil when none was sent.
func (c *Call) Last() *Attempt {
	if len(c.Attempts) == 0 {
		return nil
	}
	return &c.Attempts[len(c.Attempts)-1]
}

// Recorder is an sdktrace.SpanProcessor that turns the spans of a
// resilient.Transport into Calls: the spans of the Transport's
// instrumentation scope (resilientconv.ScopeName) are gathered per RoundTrip
// span, every other span is ignored. It is synchronous, starts no goroutine
// and is safe for concurrent use.
//
// Register it on the TracerProvider the Transport reports to, next to any
// exporter:
//
//	rec := scenario.NewRecorder()
//	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
type Recorder struct {
	mu       sync.Mutex
	attempts map[trace.SpanID][]Attempt // ended attempt spans by their RoundTrip span
	calls    []Call                     // ended calls not taken yet
}

var _ sdktrace.SpanProcessor = (*Recorder)(nil)

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder {
	return &Recorder{attempts: make(map[trace.SpanID][]Attempt)}
}

// OnStart does nothing: a Call is assembled when its spans end.
func (r *Recorder) OnStart(context.Context, sdktrace.ReadWriteSpan) {}

// OnEnd records an attempt span, or turns a RoundTrip span and the attempt
// spans recorded under it into a Call.
func (r *Recorder) OnEnd(s sdktrace.ReadOnlySpan) {
	if s.InstrumentationScope().Name != resilientconv.ScopeName {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	switch s.SpanKind() {
	case trace.SpanKindClient:
		parent := s.Parent().SpanID()
		r.attempts[parent] = append(r.attempts[parent], attemptOf(s))
	case trace.SpanKindInternal:
		id := s.SpanContext().SpanID()
		r.calls = append(r.calls, callOf(s, r.attempts[id]))
		delete(r.attempts, id)
	}
}

// Shutdown does nothing; the calls recorded stay available to Take.
func (r *Recorder) Shutdown(context.Context) error { return nil }

// ForceFlush does nothing: every span is recorded as it ends.
func (r *Recorder) ForceFlush(context.Context) error { return nil }

// Take returns the calls whose RoundTrip span ended since the last Take, in
// the order they ended, and forgets them. A RoundTrip span ends before
// RoundTrip returns, so once http.Client.Do has returned its call is here.
func (r *Recorder) Take() []Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	calls := r.calls
	r.calls = nil
	return calls
}

// attemptOf reads an attempt span.
func attemptOf(s sdktrace.ReadOnlySpan) Attempt {
	attrs := s.Attributes()
	a := Attempt{
		Number: int(intAttr(attrs, resilientconv.AttemptKey)),
		Status: int(intAttr(attrs, "http.response.status_code")),
		Class:  classAttr(attrs),
		Code:   int(intAttr(attrs, resilientconv.CodeKey)),
		Start:  s.StartTime(),
		End:    s.EndTime(),
	}
	if a.Status == 0 {
		a.Err = s.Status().Description
	}
	return a
}

// callOf reads a RoundTrip span and sets the decisions of its attempts from
// its events.
func callOf(s sdktrace.ReadOnlySpan, atts []Attempt) Call {
	slices.SortFunc(atts, func(a, b Attempt) int { return a.Number - b.Number })
	c := Call{
		Operation: s.Name(),
		TraceID:   s.SpanContext().TraceID(),
		Attempts:  atts,
		Start:     s.StartTime(),
		End:       s.EndTime(),
	}
	byNumber := func(attrs []attribute.KeyValue) *Attempt {
		n := int(intAttr(attrs, resilientconv.AttemptKey))
		for i := range c.Attempts {
			if c.Attempts[i].Number == n {
				return &c.Attempts[i]
			}
		}
		return nil
	}
	for _, ev := range s.Events() {
		attrs := ev.Attributes
		switch ev.Name {
		case resilientconv.EventRetryScheduled:
			if a := byNumber(attrs); a != nil {
				a.Next = Decision{
					Retry:  true,
					Delay:  time.Duration(floatAttr(attrs, resilientconv.DelayKey) * float64(time.Second)),
					Source: string(stringAttr(attrs, resilientconv.DelaySourceKey)),
					Cause:  stringAttr(attrs, resilientconv.CauseKey),
				}
			}
		case resilientconv.EventGaveUp:
			if a := byNumber(attrs); a != nil {
				a.Next = Decision{Reason: resilientconv.Reason(stringAttr(attrs, resilientconv.ReasonKey))}
			}
		case resilientconv.EventAcceptedEarlier:
			if a := byNumber(attrs); a != nil {
				a.Next = Decision{Reason: resilientconv.ReasonAcceptedEarlier}
			}
		case resilientconv.EventFailedFast:
			c.FailedFast = &FailFast{
				Scope:   resilient.Scope(stringAttr(attrs, resilientconv.ScopeKey)),
				Class:   classAttr(attrs),
				Code:    int(intAttr(attrs, resilientconv.CodeKey)),
				RetryAt: timeAttr(attrs, resilientconv.RetryAtKey),
				At:      ev.Time,
			}
		case resilientconv.EventCircuitChanged:
			c.Circuits = append(c.Circuits, CircuitChange{
				Scope:   resilient.Scope(stringAttr(attrs, resilientconv.ScopeKey)),
				From:    stringAttr(attrs, resilientconv.FromKey),
				To:      stringAttr(attrs, resilientconv.ToKey),
				Class:   classAttr(attrs),
				Code:    int(intAttr(attrs, resilientconv.CodeKey)),
				RetryAt: timeAttr(attrs, resilientconv.RetryAtKey),
				At:      ev.Time,
			})
		}
	}
	// A call that ended on a success records no event for it.
	if last := c.Last(); last != nil && !last.Next.Retry && last.Next.Reason == "" && last.Class == resilient.ClassSuccess {
		last.Next.Reason = resilientconv.ReasonSuccess
	}
	return c
}

func find(attrs []attribute.KeyValue, key attribute.Key) (attribute.Value, bool) {
	for _, kv := range attrs {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return attribute.Value{}, false
}

func intAttr(attrs []attribute.KeyValue, key attribute.Key) int64 {
	v, _ := find(attrs, key)
	return v.AsInt64()
}

func floatAttr(attrs []attribute.KeyValue, key attribute.Key) float64 {
	v, _ := find(attrs, key)
	return v.AsFloat64()
}

func stringAttr(attrs []attribute.KeyValue, key attribute.Key) string {
	v, _ := find(attrs, key)
	return v.AsString()
}

func timeAttr(attrs []attribute.KeyValue, key attribute.Key) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, stringAttr(attrs, key))
	return t
}

// classAttr reads the notificore.class attribute back into a Class.
func classAttr(attrs []attribute.KeyValue) resilient.Class {
	name := stringAttr(attrs, resilientconv.ClassKey)
	for _, c := range []resilient.Class{resilient.ClassSuccess, resilient.ClassTransient, resilient.ClassPermanent, resilient.ClassAccount} {
		if c.String() == name {
			return c
		}
	}
	return resilient.ClassSuccess
}
