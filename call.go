package resilient

import (
	"context"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/resilient-sms/resilient/resilientconv"
)

// call is one RoundTrip. It owns its state, written in this file only (the
// parts with a type of their own are written by that type's methods), and
// its flow:
//
//	admit → send → reconcile → record → judge → finish, or wait and admit again
type call struct {
	t    *Transport
	req  *http.Request
	ctx  context.Context
	tel  *telCall // nil when the call records nothing
	host *hostState
	g    gate // what the call holds of its circuits

	acct      account
	acctKnown bool
	// login and refresh report an API 2.0 token call (isLogin, isRefresh),
	// read from the path once when the call runs.
	login, refresh bool
	// found is the account's state as the latest step found it, for the
	// next step to use once: openCircuit's for the first admission, the
	// admission's for the first attempt's in-flight limit.
	found acctLookup
	// admitted is the latest admission's lookup, which spares the record of
	// an account that held no state, and still holds none, a lookup of its
	// own.
	admitted acctLookup

	body     bodySource
	prepared bool
	safety   resendSafety
	hist     history
	retry    retryDelays

	attempts int
	first    result  // the first attempt's
	last     *result // the answer before the current wait, while it is kept
	ticket   ticket  // what the current attempt holds of its account's in-flight limit
	limited  bool    // the last attempt was let through by its account's in-flight limit
	// refusals counts the code 11 answers (and 429s) to attempts the limit
	// let through that used up none of the rule's attempts: the limit learns
	// from them and the retry waits for room. Up to MaxAttempts-1 of them.
	refusals int
	// refusedFor is, after a code 11 while the account's limit has calls in
	// flight, how long the retry waits in the queue for one to end.
	refusedFor time.Duration
}

// final is how a call ended, for the telemetry.
type final struct {
	attempts int
	last     *result // the last attempt's; nil when none was sent
	reason   resilientconv.Reason
	failFast *CircuitOpenError
}

// calls recycles the state of ended calls. Nothing outlives a call's
// RoundTrip that points into its state: the response body the caller keeps
// is allocated apart (see exchange), and so is the GetBody a base transport
// may keep (see replay).
var calls = sync.Pool{New: func() any { return new(call) }}

// startCall starts a call of req, with what openCircuit found of its
// account: its span, when it is traced.
func startCall(t *Transport, req *http.Request, pre acctLookup) *call {
	c := calls.Get().(*call)
	c.t, c.req, c.ctx, c.found = t, req, req.Context(), pre
	c.acct, c.acctKnown = pre.acct, pre.done
	c.tel = t.tel.startCall(req)
	return c
}

// end gives the state of a call that has ended, and whose final value the
// telemetry has used, back for reuse.
func (c *call) end() {
	*c = call{}
	calls.Put(c)
}

// lookup returns the account's state: the one the previous step found, once,
// or a fresh lookup.
func (c *call) lookup() acctLookup {
	if f := c.found; f.done {
		c.found = acctLookup{}
		return f
	}
	return c.t.circuits.lookup(c.account())
}

// run is the call's flow.
func (c *call) run() (final, *http.Response, error) {
	c.host = c.t.circuits.host(c.req.URL.Host)
	c.login, c.refresh = isLogin(c.req.URL.Path), isRefresh(c.req.URL.Path)
	if c.login { // a login's account is in its body
		if err := c.prepare(); err != nil {
			return c.unsent(err)
		}
	}
	var e *CircuitOpenError
	if c.g, e = c.admit(); e != nil {
		return c.failFast(e)
	}
	if err := c.prepare(); err != nil {
		return c.unsent(err)
	}
	c.host.budget.deposit()
	for {
		body, err := c.body.open(c.attempts + 1)
		if err != nil { // a resend's GetBody failed: nothing more is sent
			return c.unopened(err)
		}
		if c.ticket, err = c.take(); err != nil {
			closeBody(body)
			return c.turnedAway(err)
		}
		c.attempts++
		c.drop()
		r := c.send(body)
		c.reconcile(r)
		c.t.tel.endAttempt(c.tel, r)
		c.record(r)
		d := c.judge(r)
		if !d.retry {
			return c.finish(r, d.reason)
		}
		c.t.tel.retrying(c.tel, c.attempts, &r.out, d)
		c.refusedFor = d.fallback
		c.keep(r)
		if err := c.wait(d.delay); err != nil {
			return c.canceled(err)
		}
		if c.g, e = c.admit(); e != nil {
			return c.stoppedOpen(e)
		}
	}
}

// account returns the call's account, found on first need.
func (c *call) account() account {
	if !c.acctKnown {
		c.acct, c.acctKnown = c.t.ids.of(c.req, c.bodyBytes), true
	}
	return c.acct
}

func (c *call) bodyBytes() []byte {
	b, _ := c.body.bytes(c.t.policy.MaxRequestBodyBytes)
	return b
}

// prepare readies the request body for every attempt.
func (c *call) prepare() error {
	if c.prepared {
		return nil
	}
	c.prepared = true
	var err error
	c.body, err = newBodySource(c.ctx, c.req, c.t.policy.MaxRequestBodyBytes)
	return err
}

// record tells the circuits how the attempt went and reports what changed.
func (c *call) record(r *result) {
	cs := c.t.circuits
	c.found = acctLookup{} // what the attempt's answer changed is looked up afresh
	if !c.acctKnown && (cs.tracking() || r.out.Class == ClassAccount) {
		c.account()
	}
	now := c.t.clock.Now()
	s, acct, host := cs.record(&c.g, c.acct, c.admitted, &r.out, r.rule, now)
	c.report(acct, ScopeAccount, now, true)
	c.report(host, ScopeHost, now, true)
	c.limited = c.ticket.l != nil
	c.settle(c.ticket, s, r, now)
	c.ticket = ticket{}
}

// judge is where the decision on an attempt's outcome is made: decide's
// choice, unless a circuit of the call is now open or the host's retry
// budget is spent. A code 11 answer to an attempt the account's in-flight
// limit let through uses up none of the rule's attempts, for up to
// MaxAttempts-1 such answers: a call makes at most 2×MaxAttempts-1 sends.
func (c *call) judge(r *result) decision {
	switch r.out.Class {
	case ClassSuccess, ClassPermanent, ClassAccount: // never retried: the outcome alone decides
		return decide(decideInput{out: &r.out})
	}
	out, rule := &r.out, r.rule
	if c.limited && throttle(out, rule) && out.Class == ClassTransient && c.refusals < rule.MaxAttempts-1 {
		c.refusals++ // the account's cap refused a send its limit let through
	}
	counted := c.attempts - c.refusals
	in := decideInput{out: out, rule: rule, attempt: counted, maxRA: c.t.policy.MaxRetryAfter, timeLeft: -1}
	if out.Class == ClassTransient && !out.Canceled && counted < rule.MaxAttempts {
		in.resendSafe = c.safety.safe(c.req, &c.body, out, c.t.policy.MaxRequestBodyBytes)
		in.queue = throttle(out, rule) && c.queueable()
		in.backoff = c.retry.next(rule.Backoff)
		if dl, ok := c.ctx.Deadline(); ok {
			in.timeLeft = max(dl.Sub(c.t.clock.Now()), 0)
		}
	}
	d := decide(in)
	switch {
	case !d.retry:
	case c.t.circuits.opened(c.acct, c.host, c.t.clock.Now()):
		d = decision{reason: resilientconv.ReasonCircuitOpen}
	case !throttle(out, rule) && !c.host.budget.withdraw():
		d = decision{reason: resilientconv.ReasonBudget}
	}
	return d
}

// keep holds on to an answer about to be retried, so that a circuit opening
// during the wait can hand it back; an answer that still holds its
// connection is drained and closed instead.
func (c *call) keep(r *result) {
	c.drop()
	r.dropConnection()
	c.last = r
}

// drop discards the kept answer.
func (c *call) drop() {
	if c.last != nil {
		discard(c.last.resp)
		c.last = nil
	}
}

// takeLast hands over the kept answer.
func (c *call) takeLast() *result {
	r := c.last
	c.last = nil
	return r
}

// wait blocks for d or until the call's context ends.
func (c *call) wait(d time.Duration) error {
	if d <= 0 {
		return c.ctx.Err()
	}
	ch, stop := c.t.clock.After(d)
	select {
	case <-ch:
		return nil
	case <-c.ctx.Done():
		stop()
		return c.ctx.Err()
	}
}

func closeBody(b io.ReadCloser) {
	if b != nil {
		b.Close()
	}
}
