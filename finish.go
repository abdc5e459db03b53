package resilient

import (
	"net/http"

	"github.com/resilient-sms/resilient/resilientconv"
)

// finish hands the final answer back: the response, rewritten when it
// answered a resend with "accepted earlier", or an Error when there is none
// (or when WithAPIErrors asks for one).
func (c *call) finish(r *result, reason resilientconv.Reason) (final, *http.Response, error) {
	c.drop()
	f := final{attempts: c.attempts, last: r, reason: reason}
	if r.resp == nil {
		c.body.close()
		return f, nil, &Error{Attempts: c.attempts, Reason: reason, Outcome: r.out, Err: r.out.Err}
	}
	if r.out.AcceptedEarlier {
		b, _ := c.body.bytes(c.t.policy.MaxRequestBodyBytes)
		rewriteAccepted(r.resp, r.body, &r.out, b)
	}
	setOutcome(r.resp, c.req, r.body, r.out)
	if c.login || c.refresh {
		c.t.ids.learnLogin(c.req, r.resp.StatusCode, r.body.bytes(), c.account())
	}
	if c.t.apiErrors && (r.out.Class == ClassPermanent || r.out.Class == ClassAccount) {
		e := &Error{Attempts: c.attempts, Reason: reason, Outcome: r.out, Body: snippet(r.resp)}
		r.resp.Body.Close()
		return f, nil, e
	}
	return f, r.resp, nil
}

// failFast ends a call that an open circuit stopped before it sent
// anything: an error, or the synthesized answer of WithFailFastAnswers.
func (c *call) failFast(e *CircuitOpenError) (final, *http.Response, error) {
	c.closeUnsent()
	f := final{reason: resilientconv.ReasonCircuitOpen, failFast: e}
	c.t.tel.failedFast(c.tel, e)
	if c.t.circuits.cfg.answers {
		return f, e.response(c.req, c.t.clock.Now()), nil
	}
	return f, nil, e
}

// stoppedOpen ends a call whose circuit opened during its back-off: the
// call reached the server, so it ends with its last answer, or with an
// Error that carries its attempts and last outcome.
func (c *call) stoppedOpen(e *CircuitOpenError) (final, *http.Response, error) {
	c.t.tel.failedFast(c.tel, e)
	last := c.takeLast()
	if last.resp == nil {
		c.body.close()
		f := final{attempts: c.attempts, last: last, reason: resilientconv.ReasonCircuitOpen, failFast: e}
		return f, nil, &Error{Attempts: c.attempts, Reason: resilientconv.ReasonCircuitOpen, Outcome: last.out, Err: e}
	}
	return c.finish(last, resilientconv.ReasonCircuitOpen)
}

// canceled ends a call whose context ended during a back-off.
func (c *call) canceled(err error) (final, *http.Response, error) {
	var out Outcome
	if c.last != nil {
		out = c.last.out
	}
	c.drop()
	c.body.close()
	f := final{attempts: c.attempts, reason: resilientconv.ReasonCanceled}
	return f, nil, &Error{Attempts: c.attempts, Reason: resilientconv.ReasonCanceled, Outcome: out, Err: err}
}

// unsent ends a call whose body could not be read: nothing was sent.
func (c *call) unsent(err error) (final, *http.Response, error) {
	c.g.release()
	reason := resilientconv.ReasonLocal
	if c.ctx.Err() != nil {
		reason = resilientconv.ReasonCanceled
	}
	return final{reason: reason}, nil, &Error{Reason: reason, Outcome: Outcome{Class: ClassPermanent, Err: err, Local: true}, Err: err}
}

// closeUnsent closes the request body when no attempt will send it.
func (c *call) closeUnsent() {
	if c.prepared {
		c.body.close()
	} else if c.req.Body != nil {
		c.req.Body.Close()
	}
}

// turnedAway ends a call that its account's in-flight limit turned away:
// with the last answer when an attempt was made, else with the limit's
// error, nothing sent.
func (c *call) turnedAway(err error) (final, *http.Response, error) {
	c.g.release()
	reason := resilientconv.ReasonQueueFull
	if e, ok := err.(*Error); ok {
		reason = e.Reason
	}
	if reason == resilientconv.ReasonCanceled && c.attempts > 0 { // as during a back-off
		return c.canceled(c.ctx.Err())
	}
	if last := c.takeLast(); last != nil {
		return c.finish(last, reason)
	}
	c.closeUnsent()
	return final{reason: reason}, nil, err
}

// unopened ends a call whose next attempt could not get its body: with the
// last answer when there is one (the resend is not safe to make), else as a
// local failure.
func (c *call) unopened(err error) (final, *http.Response, error) {
	c.g.release()
	if last := c.takeLast(); last != nil {
		return c.finish(last, resilientconv.ReasonUnsafe)
	}
	return c.unsent(err)
}
