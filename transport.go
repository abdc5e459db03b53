package resilient

import (
	"errors"
	"net/http"

	"github.com/resilient-sms/resilient/resilientconv"
)

// Transport is an http.RoundTripper for the Notificore API that classifies
// every answer and retries, returns or fails fast accordingly. The layers
// nest as circuits(retry(attempt)): an open circuit stops a call, and its
// retries, before any network I/O.
//
// A Transport must be made with NewTransport; the zero Transport is not
// usable. It is safe for concurrent use by multiple goroutines and
// immutable once made.
type Transport struct {
	base      http.RoundTripper
	netHTTP   bool // base is net/http's Transport
	policy    Policy
	rules     ruleSet
	clock     clock
	apiErrors bool
	ids       *identities
	circuits  *circuits
	fleet     Fleet
	limits    InFlightLimit
	tel       *telemetry
}

var _ http.RoundTripper = (*Transport)(nil)

// NewTransport returns a Transport that sends attempts through base, or
// through http.DefaultTransport when base is nil. With WithFleet it
// subscribes to the fleet's facts until the Transport is no longer
// reachable, or the fleet stops delivering.
func NewTransport(base http.RoundTripper, opts ...Option) *Transport {
	if base == nil {
		base = http.DefaultTransport
	}
	cfg := newConfig(opts)
	t := &Transport{
		base:      base,
		netHTTP:   isNetHTTP(base),
		policy:    cfg.policy,
		rules:     cfg.rules,
		clock:     cfg.clock,
		apiErrors: cfg.apiErrors,
		ids:       newIdentities(cfg.accountKey),
		circuits:  newCircuits(cfg.circuits, cfg.policy.Budget, cfg.fleet, cfg.clock),
		fleet:     cfg.fleet,
		limits:    cfg.limits,
		tel:       newTelemetry(cfg.tel),
	}
	if t.fleet != nil {
		t.subscribe()
	}
	return t
}

func isNetHTTP(base http.RoundTripper) bool {
	_, ok := base.(*http.Transport)
	return ok
}

// RoundTrip sends req, resending it while its outcome is transient and a
// resend cannot send a message twice, and returns the final answer: a
// success, a permanent or account-level answer, or the last answer when the
// attempts, the retry budget or the time run out, or when a circuit of the
// call opened during a back-off. It returns an error only when there is no
// answer to hand back: a transport failure (an *Error), a circuit open
// before anything was sent (a *CircuitOpenError; errors.Is(err,
// ErrCircuitOpen) holds), an in-flight limit that turned the call away
// before anything was sent (an *Error; errors.Is(err, ErrInFlightLimit)),
// or the request's context ending during a back-off (an *Error wrapping the
// context's error).
//
// The answer handed back is byte for byte what the server sent, but in
// three cases, each marked:
//   - A duplicate (codes 23, 43 and 63, a rejected API 2.0 reference_id,
//     API 2.0's 429 "Too many duplicate request detected", or any Rule with
//     Duplicate) answering a resend whose earlier attempt may have been
//     processed is rewritten as a success, marked by AcceptedEarlierHeader:
//     in a bulk answer each such element becomes {"error":0,
//     "errorDescription":"accepted earlier",...} with the id an earlier
//     answer gave, and the top-level error 0 when every element is then a
//     success; an API 1.0 top-level duplicate becomes {"result":{"error":0,
//     "errorDescription":"accepted earlier","reference":...}}; an API 2.0
//     duplicate becomes HTTP 200 {"data":{}}.
//   - With WithFailFastAnswers, a call stopped by an open circuit gets a
//     synthesized answer, marked by FailFastHeader.
//   - With WithAPIErrors, a permanent or account-level answer becomes an
//     *Error holding up to 1 KiB of its body, and the response is closed.
//
// The classification of the answer is OutcomeOf's, through the response's
// Request, whose context carries it.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL == nil || req.Header == nil { // as net/http refuses them
		if req.Body != nil {
			req.Body.Close()
		}
		err := errors.New("resilient: request without URL or Header")
		return nil, &Error{Reason: resilientconv.ReasonLocal, Outcome: Outcome{Class: ClassPermanent, Local: true, Err: err}, Err: err}
	}
	e, pre := t.openCircuit(req)
	if e != nil {
		return t.failedFast(req, e)
	}
	c := startCall(t, req, pre)
	f, resp, err := c.run()
	t.tel.endCall(c.tel, f, err)
	c.end()
	return resp, err
}

// CloseIdleConnections closes the idle connections of the base transport,
// when it has such a method, so that http.Client.CloseIdleConnections
// reaches through a Transport.
func (t *Transport) CloseIdleConnections() {
	if ci, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		ci.CloseIdleConnections()
	}
}
