package resilient

import (
	"net/http"

	"github.com/resilient-sms/resilient/resilientconv"
)

// finish hands the final answer back: the response, rewritten when it
// answered a resend with "accepted earlier", or an Error when there is none
// (or when WithAPIErrors asks for one).
func (c *call) finish(r *result, reason resilientconv.Reason) (*http.Response, error) {
	c.drop()
	c.end = final{attempts: c.attempts, last: r, reason: reason}
	if r.resp == nil {
		c.body.close()
		return nil, &Error{Attempts: c.attempts, Reason: reason, Outcome: r.out, Err: r.out.Err}
	}
	if r.out.AcceptedEarlier {
		b, _ := c.body.bytes(c.t.policy.MaxRequestBodyBytes)
		rewriteAccepted(r.resp, r.body, &r.out, b)
	}
	r.body.outcome = r.out
	setOutcome(r.resp, c.req, r.body)
	if isLogin(c.req.URL.Path) || isRefresh(c.req.URL.Path) {
		c.t.ids.learnLogin(c.req, r.resp.StatusCode, r.body.bytes(), c.account())
	}
	if c.t.apiErrors && (r.out.Class == ClassPermanent || r.out.Class == ClassAccount) {
		e := &Error{Attempts: c.attempts, Reason: reason, Outcome: r.out, Body: snippet(r.resp)}
		r.resp.Body.Close()
		return nil, e
	}
	return r.resp, nil
}

// failFast ends a call that an open circuit stopped before it sent
// anything: an error, or the synthesized answer of WithFailFastAnswers.
func (c *call) failFast(e *CircuitOpenError) (*http.Response, error) {
	c.closeUnsent()
	c.end = final{reason: resilientconv.ReasonCircuitOpen, failFast: e}
	c.t.tel.failedFast(c.tel, e)
	if c.t.circuits.cfg.answers {
		return e.response(c.req, c.t.clock.Now()), nil
	}
	return nil, e
}

// stoppedOpen ends a call whose circuit opened during its back-off: the
// call reached the server, so it ends with its last answer, or with an
// Error that carries its attempts and last outcome.
func (c *call) stoppedOpen(e *CircuitOpenError) (*http.Response, error) {
	c.t.tel.failedFast(c.tel, e)
	last := c.last
	c.last = nil
	if last.resp == nil {
		c.body.close()
		c.end = final{attempts: c.attempts, last: last, reason: resilientconv.ReasonCircuitOpen, failFast: e}
		return nil, &Error{Attempts: c.attempts, Reason: resilientconv.ReasonCircuitOpen, Outcome: last.out, Err: e}
	}
	return c.finish(last, resilientconv.ReasonCircuitOpen)
}

// canceled ends a call whose context ended during a back-off.
func (c *call) canceled(err error) (*http.Response, error) {
	var out Outcome
	if c.last != nil {
		out = c.last.out
	}
	c.drop()
	c.body.close()
	c.end = final{attempts: c.attempts, reason: resilientconv.ReasonCanceled}
	return nil, &Error{Attempts: c.attempts, Reason: resilientconv.ReasonCanceled, Outcome: out, Err: err}
}

// unsent ends a call whose body could not be read: nothing was sent.
func (c *call) unsent(err error) (*http.Response, error) {
	c.g.release()
	reason := resilientconv.ReasonLocal
	if c.ctx.Err() != nil {
		reason = resilientconv.ReasonCanceled
	}
	c.end = final{reason: reason}
	return nil, &Error{Reason: reason, Outcome: Outcome{Class: ClassPermanent, Err: err, Local: true}, Err: err}
}

// closeUnsent closes the request body when no attempt will send it.
func (c *call) closeUnsent() {
	if c.prepared {
		c.body.close()
	} else if c.req.Body != nil {
		c.req.Body.Close()
	}
}
