package resilient

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// Transport is an http.RoundTripper for the Notificore API that classifies
// every answer and retries, returns or fails fast accordingly. The layers
// nest as circuits(retry(attempt)): an open circuit stops a call, and its
// retries, before any network I/O.
//
// A Transport must be made with NewTransport. It is safe for concurrent use
// by multiple goroutines and immutable once made.
type Transport struct {
	base      http.RoundTripper
	policy    Policy
	rules     ruleSet
	clock     clock
	apiErrors bool
	budgets   budgets
	circuits  *circuits
	tel       *telemetry
}

var _ http.RoundTripper = (*Transport)(nil)

// errNilResponse stands in for the error of a base transport that broke its
// contract by returning neither a response nor an error.
var errNilResponse = errors.New("resilient: base transport returned no response and no error")

// NewTransport returns a Transport that sends attempts through base, or
// through http.DefaultTransport when base is nil.
func NewTransport(base http.RoundTripper, opts ...Option) *Transport {
	if base == nil {
		base = http.DefaultTransport
	}
	cfg := newConfig(opts)
	t := &Transport{
		base:      base,
		policy:    cfg.policy,
		rules:     cfg.rules,
		clock:     cfg.clock,
		apiErrors: cfg.apiErrors,
		budgets:   budgets{cfg: cfg.policy.Budget},
		tel:       newTelemetry(cfg.tel),
	}
	t.circuits = newCircuits(cfg.circuits, cfg.clock, t.tel)
	return t
}

// call is the state of one RoundTrip.
type call struct {
	req      *http.Request
	tc       *telCall
	scope    scope
	body     bodySource
	bo       *backoff.ExponentialBackOff
	boFor    Backoff
	idem     int8        // 0 unknown, 1 idempotent, -1 not
	maybe    bool        // an earlier attempt may have been processed whole
	prev     []Recipient // the previous bulk answer's recipients
	attempts int

	acct, hostC        *circuit
	acctDone, hostDone func(error)

	// The first attempt's request copy and response body, allocated with
	// the call: most calls make one attempt.
	first     http.Request
	firstBody responseBody
}

// RoundTrip sends req, resending it while its outcome is transient and a
// resend is safe, and returns the final answer untouched: success, a
// permanent or account-level answer, or the last answer when the attempts,
// the retry budget or the time run out. It returns an error only when there
// is no answer to hand back: a transport failure, an open circuit (an error
// for which errors.Is(err, ErrCircuitOpen) holds), or the request's context
// ending during a back-off.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	c := &call{req: req, scope: t.circuits.scopeOf(req)}
	c.tc = t.tel.startCall(req)
	resp, err := t.roundTrip(c)
	t.tel.endCall(c.tc, c.attempts, resp, err)
	return resp, err
}

func (t *Transport) roundTrip(c *call) (*http.Response, error) {
	if resp, err := t.circuits.admit(c); resp != nil || err != nil {
		closeBody(c.req)
		return resp, err
	}
	if resp, err := t.probeAccount(c); resp != nil || err != nil {
		closeBody(c.req)
		return resp, err
	}
	var err error
	if c.body, err = newBodySource(c.req, t.policy.MaxRequestBodyBytes); err != nil {
		t.circuits.release(c)
		return nil, &Error{Reason: ReasonPermanent, Err: err}
	}
	bud := t.budgets.get(c.req.URL.Host)
	if bud != nil {
		bud.deposit()
	}
	for {
		c.attempts++
		resp, rb, out, rule := t.attempt(c)
		t.circuits.record(c, &out, rule)
		d := t.decide(c, &out, rule)
		if d.retry && t.circuits.opened(c) {
			d = decision{reason: ReasonCircuitOpen}
		}
		if d.retry && bud != nil && !throttled(out.Code) && !bud.withdraw() {
			d = decision{reason: ReasonBudget}
		}
		if !d.retry {
			t.tel.stopped(c.tc, c.attempts, &out, d)
			if rb != nil {
				if out.AcceptedEarlier {
					b, _ := c.body.bytes(t.policy.MaxRequestBodyBytes)
					rewriteAccepted(resp, rb, &out, b)
				}
				rb.outcome = out
			}
			return t.finish(c, resp, &out, d)
		}
		t.tel.retrying(c.tc, c.attempts, &out, d)
		discard(resp)
		if err := t.wait(c, d.delay); err != nil {
			c.body.close()
			return nil, &Error{Attempts: c.attempts, Reason: ReasonCanceled, Outcome: out, Err: err}
		}
		if resp, err := t.circuits.admit(c); resp != nil || err != nil {
			c.body.close()
			return resp, err
		}
	}
}

// attempt sends one copy of the request and classifies what came back.
func (t *Transport) attempt(c *call) (*http.Response, *responseBody, Outcome, Rule) {
	rc, err := c.body.open(c.attempts)
	if err != nil {
		return nil, nil, Outcome{Class: ClassPermanent, Err: err}, t.rules.forClass(ClassPermanent)
	}
	r := c.req
	if !c.body.direct(c.attempts) {
		// A copy of the request carries the replayed body. The body stays
		// one net/http knows to be in memory, so that headers and body go
		// out in one write.
		r = &c.first
		if c.attempts > 1 {
			r = new(http.Request)
		}
		*r = *c.req
		r.Body = rc
		if c.body.buffered {
			r.GetBody = c.body.getBody
		}
	}
	r, ta := t.tel.startAttempt(c.tc, r, c.attempts)
	start := t.tel.attemptStart(c.tc, r) // durations are real even under a fake clock
	rb := &c.firstBody
	if c.attempts > 1 {
		rb = new(responseBody)
	}
	resp, rb, out, rule := t.exchange(c.req.Context(), r, rb)
	t.reconcile(c, &out, &rule)
	t.tel.endAttempt(c.tc, ta, r, start, resp, &out)
	return resp, rb, out, rule
}

// exchange sends r through the base transport and classifies what comes
// back, reading the body into rb. ctx is the caller's context. The response
// is nil when the exchange failed.
func (t *Transport) exchange(ctx context.Context, r *http.Request, rb *responseBody) (*http.Response, *responseBody, Outcome, Rule) {
	resp, err := t.base.RoundTrip(r)
	if err == nil && resp == nil {
		err = errNilResponse
	}
	if err != nil {
		if resp != nil && resp.Body != nil { // a broken base; honour the contract ourselves
			resp.Body.Close()
		}
		out := classifyError(ctx, err)
		return nil, nil, out, t.rules.forClass(out.Class)
	}
	if resp.Body == nil {
		resp.Body = http.NoBody
	}
	rb, data, partial, rerr := readBody(resp, t.policy.MaxBodyBytes, rb)
	out, rule := t.rules.classifyResponse(resp, data, partial)
	out.RetryAfter = retryAfter(resp.Header, t.clock)
	if rerr != nil {
		// The answer was cut short: it may have been processed.
		out.Err, out.Class, out.Ambiguous = rerr, ClassTransient, true
		if ctx.Err() != nil {
			out.Canceled = true
		}
		rule = t.rules.forClass(ClassTransient)
	}
	return resp, rb, out, rule
}

// decide gathers the call's state and asks the pure decide step.
func (t *Transport) decide(c *call, out *Outcome, rule Rule) decision {
	in := decideInput{out: out, rule: rule, attempt: c.attempts, maxRA: t.policy.MaxRetryAfter, timeLeft: -1}
	if out.Class == ClassTransient && !out.Canceled && c.attempts < rule.MaxAttempts {
		in.resendSafe = t.resendSafe(c, out)
		if c.bo == nil || c.boFor != rule.Backoff {
			c.bo, c.boFor = rule.Backoff.newBackOff(), rule.Backoff
		}
		in.backoff = c.bo.NextBackOff()
		if dl, ok := c.req.Context().Deadline(); ok {
			in.timeLeft = max(dl.Sub(t.clock.Now()), 0)
		}
	}
	return decide(in)
}

// resendSafe reports whether sending the request again cannot send a
// message twice: the body can be replayed, and the failed attempt was never
// processed or the request is idempotent.
func (t *Transport) resendSafe(c *call, out *Outcome) bool {
	if !c.body.replayable {
		return false
	}
	if !out.Ambiguous {
		return true
	}
	if c.idem == 0 {
		c.idem = -1
		if idempotentMethod(c.req.Method) || markedIdempotent(c.req.Context()) {
			c.idem = 1
		} else if b, ok := c.body.bytes(t.policy.MaxRequestBodyBytes); ok && everyMessageReferenced(b) {
			c.idem = 1
		}
	}
	return c.idem == 1
}

// wait blocks for d or until the call's context ends.
func (t *Transport) wait(c *call, d time.Duration) error {
	ctx := c.req.Context()
	if d <= 0 {
		return ctx.Err()
	}
	ch, stop := t.clock.After(d)
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		stop()
		return ctx.Err()
	}
}

// finish hands the final answer back: the response untouched, or an Error
// when there is none (or when WithAPIErrors asks for one).
func (t *Transport) finish(c *call, resp *http.Response, out *Outcome, d decision) (*http.Response, error) {
	if resp == nil {
		c.body.close()
		return nil, &Error{Attempts: c.attempts, Reason: d.reason, Outcome: *out, Err: out.Err}
	}
	if t.apiErrors && (out.Class == ClassPermanent || out.Class == ClassAccount) {
		e := &Error{Attempts: c.attempts, Reason: d.reason, Outcome: *out, Body: snippet(resp)}
		resp.Body.Close()
		return nil, e
	}
	return resp, nil
}

// CloseIdleConnections closes the idle connections of the base transport,
// when it has such a method, so that http.Client.CloseIdleConnections
// reaches through a Transport.
func (t *Transport) CloseIdleConnections() {
	if ci, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		ci.CloseIdleConnections()
	}
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}
