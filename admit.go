package resilient

import (
	"time"
)

// admit asks the call's circuits for leave to send an attempt. When the call
// holds the probe slot of its account's half-open circuit and a probe
// request is configured, the probe goes first, in place of the call. It
// returns the fail-fast error when the call may not go.
func (c *call) admit() *CircuitOpenError {
	cs := c.t.circuits
	now := c.t.clock.Now()
	if c.host == nil {
		c.host = cs.host(c.req.URL.Host)
	}
	var a account
	if cs.tracking() {
		a = c.account()
	}
	g, e, acct, host := cs.admit(a, c.host, now)
	c.report(acct, ScopeAccount, now, false)
	c.report(host, ScopeHost, now, false)
	if e != nil {
		return e
	}
	c.g = g
	c.g.token = isLogin(c.req.URL.Path) || isRefresh(c.req.URL.Path)
	if g.ap.probe != nil && cs.cfg.account.Probe != nil {
		return c.probe()
	}
	return nil
}

// report hands a circuit's change to the telemetry and the listener and,
// for an account circuit changed by a server's answer, to the fleet.
func (c *call) report(ch change, sc Scope, now time.Time, answered bool) {
	if !ch.happened() {
		return
	}
	ev := eventOf(ch, sc, hostName(c.host), now)
	c.t.changed(c.tel, ev)
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
