package resilient

import "time"

// admit asks the call's circuits for leave to send an attempt and returns
// what the call then holds, or the fail-fast error. When the call holds the
// probe slot of its account's half-open circuit and a probe request is
// configured, the probe goes first, in place of the call.
func (c *call) admit() (gate, *CircuitOpenError) {
	cs := c.t.circuits
	var a account
	var s *acctState
	if cs.tracking() {
		l := c.lookup()
		a, s = l.acct, l.s
		c.found, c.admitted = l, l // the found one for the attempt's limit
	} else {
		c.found, c.admitted = acctLookup{}, acctLookup{}
	}
	g, e, acct, host, now := cs.admit(a, s, c.host, c.t.clock)
	c.report(acct, ScopeAccount, now, false)
	c.report(host, ScopeHost, now, false)
	if e != nil {
		return g, e
	}
	if c.login || c.refresh {
		g.forToken()
	}
	if g.ap.probe != nil && cs.cfg.account.Probe != nil {
		return c.probe(g)
	}
	return g, nil
}

// probe sends AccountCircuit.Probe's request in place of the call holding
// g. A success closes the circuit and the call goes on; another
// account-level answer re-opens it and the call fails fast, having sent
// nothing of its own; anything else frees the slot and the call goes on.
func (c *call) probe(g gate) (gate, *CircuitOpenError) {
	preq, err := c.t.circuits.cfg.account.Probe(c.req)
	if err != nil || preq == nil {
		return g, nil // the call is the probe
	}
	r := new(result)
	c.t.exchange(c.ctx, preq.WithContext(c.ctx), r)
	discard(r.resp)
	c.t.tel.probed(c.tel, &r.out)
	pg := g.takeProbe() // only the account circuit hears of the probe
	now := c.t.clock.Now()
	_, acct, _ := c.t.circuits.record(&pg, c.acct, acctLookup{}, &r.out, r.rule, now)
	c.report(acct, ScopeAccount, now, true)
	if acct.to == StateOpen {
		g.release()
		return g, acct.o.err()
	}
	return g, nil
}

// report hands a circuit's change to the telemetry and the listener and,
// for an account circuit changed by a server's answer, to the fleet.
func (c *call) report(ch change, sc Scope, now time.Time, answered bool) {
	if !ch.happened() {
		return
	}
	c.t.changed(c.tel, eventOf(ch, sc, hostName(c.host), now))
	if answered && sc == ScopeAccount && ch.to != StateHalfOpen {
		c.t.publish(c.acct, ch, now)
	}
}

// eventOf describes a change as a CircuitEvent.
func eventOf(ch change, sc Scope, host string, now time.Time) CircuitEvent {
	ev := CircuitEvent{Scope: sc, Host: host, From: ch.from, To: ch.to, At: now}
	if ch.o != nil {
		ev.Class, ev.Code, ev.Until, ev.Instance = ch.o.by.class, ch.o.by.code, ch.o.until, ch.o.instance
	}
	return ev
}
