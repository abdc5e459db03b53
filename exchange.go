package resilient

import (
	"context"
	"errors"
	"io"
	"net/http"
	"time"
)

// errNilResponse stands in for the error of a base transport that broke its
// contract by returning neither a response nor an error.
var errNilResponse = errors.New("resilient: base transport returned no response and no error")

// result is one attempt's answer, or its failure when resp is nil.
type result struct {
	resp *http.Response
	body *responseBody // resp's body after classification
	out  Outcome
	rule Rule
	sent sentAttempt
}

// dropConnection drains and closes an answer that still holds its
// connection (a body too large to have been read whole): it cannot be kept.
func (r *result) dropConnection() {
	if r.resp != nil && r.body != nil && r.body.rest != nil {
		discard(r.resp)
		r.resp = nil
	}
}

// sentAttempt is what the telemetry needs to end an attempt's span.
type sentAttempt struct {
	req   *http.Request
	span  telAttempt
	start time.Time
}

// send makes the call's current attempt with the body rc: a copy of the
// request carrying it, traced, through the base transport, classified.
func (c *call) send(rc io.ReadCloser) *result {
	// The first attempt's result is part of the call's state; most calls
	// make one attempt.
	res := &c.first
	if c.attempts > 1 {
		res = new(result)
	}
	r := c.req
	if !c.body.direct(c.attempts) {
		// A copy of the request carries the replayed body. The body stays
		// one net/http knows to be in memory, so that headers and body go
		// out in one write.
		r = new(http.Request)
		*r = *c.req
		r.Body = rc
		if c.body.buffered {
			r.GetBody = replay(c.body.buf)
		}
	}
	r, ta := c.t.tel.startAttempt(c.tel, r, c.attempts)
	start := c.t.tel.attemptStart(c.tel, r) // durations are real even under a fake clock
	c.t.exchange(c.ctx, r, res)
	res.sent = sentAttempt{req: r, span: ta, start: start}
	return res
}

// exchange sends r through the base transport and classifies what comes
// back into res, reading the body into a responseBody of its own: the one
// part of a call that the caller keeps. ctx is the caller's context. The
// result's response is nil when the exchange failed.
func (t *Transport) exchange(ctx context.Context, r *http.Request, res *result) {
	resp, err := t.base.RoundTrip(r)
	if err == nil && resp == nil {
		err = errNilResponse
	}
	if err != nil {
		if resp != nil && resp.Body != nil { // a broken base; honour the contract ourselves
			resp.Body.Close()
		}
		out := classifyError(ctx, r, err, t.netHTTP)
		*res = result{out: out, rule: t.rules.forClass(out.Class)}
		return
	}
	if resp.Body == nil {
		resp.Body = http.NoBody
	}
	rb, data, partial, rerr := readBody(resp, t.policy.MaxBodyBytes, new(responseBody))
	decoded := false // data are a copy, not the bytes rb hands back
	if !partial {
		data, decoded = plainBody(resp, data, t.policy.MaxBodyBytes)
	}
	out, rule := t.rules.classifyResponse(resp.StatusCode, data, partial)
	out.RetryAfter = retryAfter(resp.Header, t.clock)
	if out.pending {
		if decoded { // read the recipients now rather than keep the decoded copy
			out.Recipients, _ = t.rules.items.items(data)
			out.pending = false
		} else {
			rb.bulk, rb.memo = data, t.rules.items
		}
	}
	if rerr != nil {
		// The answer was cut short: it may have been processed.
		out.Err, out.Class, out.Ambiguous = rerr, ClassTransient, true
		if ctx.Err() != nil {
			out.Canceled = true
		}
		rule = t.rules.forClass(ClassTransient)
	}
	*res = result{resp: resp, body: rb, out: out, rule: rule}
}
