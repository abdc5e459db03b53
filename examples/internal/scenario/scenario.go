// Package scenario runs the quickstart scenario: a realistic mix of
// Notificore calls, with scripted faults, sent through a resilient.Transport
// to a notificoretest.Server, and every decision of the Transport printed
// from its OpenTelemetry trace.
//
// The quickstart runs it as is. An example that exports the traces (to
// Jaeger, say) runs the very same traffic: it only adds an exporter to the
// TracerProvider it hands to Run. Each step of the scenario is a root span
// named after the step, so every step is one trace.
package scenario

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/resilient-sms/resilient"
	"github.com/resilient-sms/resilient/notificoretest"
)

// The API keys of the scenario's accounts. Run registers both on the server.
const (
	// MainKey is an account with plenty of funds.
	MainKey = "test_main"
	// LowKey is an account that can pay for one message only.
	LowKey = "test_low"
)

// TracerName is the instrumentation scope of the scenario's own spans: the
// root span of each step.
const TracerName = "github.com/resilient-sms/resilient/examples/internal/scenario"

// NewTransport returns a Transport with the library's defaults that traces
// to tp, over http.DefaultTransport, with opts applied after: the Transport
// the scenario is written for. It is
//
//	resilient.NewTransport(nil, resilient.WithTracerProvider(tp), opts...)
func NewTransport(tp trace.TracerProvider, opts ...resilient.Option) *resilient.Transport {
	return resilient.NewTransport(nil, append([]resilient.Option{resilient.WithTracerProvider(tp)}, opts...)...)
}

// Summary counts what a run did.
type Summary struct {
	// Calls is the number of calls made (RoundTrips).
	Calls int
	// Attempts is the number of attempts the Transport sent, as traced.
	Attempts int
	// Requests is the number of requests the server received; it equals
	// Attempts.
	Requests int
	// Retries is the number of resends the Transport scheduled.
	Retries int
	// Accepted is the number of messages the server accepted.
	Accepted int
	// FailedFast is the number of calls an open circuit stopped before any
	// network I/O.
	FailedFast int
	// Duplicates is the number of messages the server accepted more than
	// once. The scenario fails unless it is 0.
	Duplicates int
	// Elapsed is how long the run took.
	Elapsed time.Duration
}

// String returns the summary on one line.
func (s Summary) String() string {
	return fmt.Sprintf("summary: %d calls, %d attempts (%d requests reached the server), %d retries, "+
		"%d messages accepted, %d failed fast, %d duplicates, in %s",
		s.Calls, s.Attempts, s.Requests, s.Retries, s.Accepted, s.FailedFast, s.Duplicates, Duration(s.Elapsed))
}

// Run sends the scenario's calls one after the other through client to srv
// and writes to w one line per decision of the Transport, one line with what
// the caller got, and notes.
//
// client's Transport must be a resilient.Transport that traces to tp (see
// NewTransport) and has served no call yet, srv a fresh server: Run
// registers the accounts MainKey and LowKey on it and scripts its faults.
// Run adds a span processor of its own to tp while it runs; any exporter
// already on tp sees the same spans.
//
// Run stops at the first step whose outcome breaks the scenario's
// expectations (a message sent twice, a resend that should not have
// happened, a call that should have failed fast and did not, ...) and
// returns an error saying so, with the summary so far.
func Run(ctx context.Context, w io.Writer, client *http.Client, srv *notificoretest.Server, tp *sdktrace.TracerProvider) (Summary, error) {
	if client == nil || srv == nil || tp == nil {
		return Summary{}, errors.New("scenario: Run needs a client, a server and a TracerProvider")
	}
	if srv.Requests() != 0 {
		return Summary{}, errors.New("scenario: Run needs a fresh notificoretest.Server")
	}
	srv.SetBalance(MainKey, 1000)
	srv.SetBalance(LowKey, 1)

	rec := NewRecorder()
	tp.RegisterSpanProcessor(rec)
	defer tp.UnregisterSpanProcessor(rec)

	r := &runner{w: w, client: client, srv: srv, rec: rec, tracer: tp.Tracer(TracerName)}
	steps := steps()
	labels := make([]string, len(steps))
	for i, s := range steps {
		labels[i] = s.label
	}
	r.width = width(labels)

	start := time.Now()
	fmt.Fprintf(w, "%d calls to the fake Notificore API at %s\n", len(steps), srv.URL)
	var err error
	for _, s := range steps {
		if err = r.do(ctx, s); err != nil {
			break
		}
	}
	r.sum.Requests = srv.Requests()
	r.sum.Accepted = srv.Accepted()
	r.sum.Duplicates = duplicates(srv.Messages())
	r.sum.Elapsed = time.Since(start)
	if err == nil && r.sum.Duplicates != 0 {
		err = fmt.Errorf("scenario: %s sent twice", Plural(r.sum.Duplicates, "message"))
	}
	return r.sum, err
}

// runner is the state of one Run.
type runner struct {
	w      io.Writer
	client *http.Client
	srv    *notificoretest.Server
	rec    *Recorder
	tracer trace.Tracer
	width  int
	sum    Summary
}

// do runs one step: scripts its faults, sends its request in a root span
// named after it, prints the decisions and checks them.
func (r *runner) do(ctx context.Context, s step) error {
	r.srv.Script(s.faults...)
	requests, accepted := r.srv.Requests(), r.srv.Accepted()

	ctx, span := r.tracer.Start(ctx, s.label)
	res := r.send(ctx, s)
	span.End()

	calls := r.rec.Take()
	if len(calls) != 1 {
		return fmt.Errorf("scenario: %s: %d RoundTrip spans were traced for one request: "+
			"is the client's Transport a resilient.Transport that traces to the TracerProvider given to Run?", s.label, len(calls))
	}
	c := &calls[0]
	r.sum.Calls++
	r.sum.Attempts += len(c.Attempts)
	r.sum.Retries += c.Retries()
	if c.FailedFast != nil {
		r.sum.FailedFast++
	}

	for _, l := range c.Lines() {
		r.print(s.label, l)
	}
	r.print(s.label, "result     "+res.String())
	if s.note != "" {
		r.print(s.label, "note       "+s.note)
	}

	err := s.check(c, &res, r.srv.Requests()-requests, r.srv.Accepted()-accepted)
	if n := duplicates(r.srv.Messages()); n != 0 {
		err = errors.Join(fmt.Errorf("%s sent twice", Plural(n, "message")), err)
	}
	if err != nil {
		return fmt.Errorf("scenario: %s: %w", s.label, flat(err))
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("scenario: %s: %w", s.label, err)
	}
	return nil
}

// flat puts the errors of an errors.Join on one line.
func flat(err error) error {
	return errors.New(strings.ReplaceAll(err.Error(), "\n", "; "))
}

func (r *runner) print(label, text string) {
	fmt.Fprintf(r.w, "%s  %s\n", pad(label, r.width), text)
}

// send sends the step's request and returns what the caller got.
func (r *runner) send(ctx context.Context, s step) result {
	var body io.Reader
	if s.body != "" {
		body = strings.NewReader(s.body)
	}
	req, err := http.NewRequestWithContext(ctx, s.method, r.srv.RESTURL()+s.path, body)
	if err != nil {
		return result{err: err}
	}
	req.Header.Set("X-API-KEY", s.key)
	if s.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return result{err: err}
	}
	defer resp.Body.Close()
	res := result{status: resp.StatusCode, header: resp.Header}
	res.out, res.classified = resilient.OutcomeOf(resp)
	res.body, res.err = io.ReadAll(resp.Body)
	return res
}

// duplicates counts the messages accepted more than once: the scenario
// sends every message to a phone number of its own.
func duplicates(msgs []notificoretest.Message) int {
	type key struct{ kind, msisdn string }
	seen := make(map[key]bool, len(msgs))
	n := 0
	for _, m := range msgs {
		k := key{m.Kind, m.MSISDN}
		if seen[k] {
			n++
		}
		seen[k] = true
	}
	return n
}
