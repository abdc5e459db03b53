package resilient

import "time"

// gate is what a call holds of its circuits between admission and record:
// its host and the permits of its account's and its host's circuits.
type gate struct {
	host   *hostState
	ap, hp permit
	token  bool // a login or refresh: its success says nothing of its account
}

// admit asks the circuits of account a (0: none known) and host h for leave
// to send one attempt now. It returns what the call holds, or the fail-fast
// error of the first open circuit (having released the other), the changes
// admission caused, and the time it read, the zero time when every circuit
// was closed and it needed none.
func (cs *circuits) admit(a account, s *acctState, h *hostState, cl clock) (g gate, e *CircuitOpenError, acct, host change, now time.Time) {
	g.host = h
	hostClosed := h == nil || cs.cfg.host.Disabled || h.circuit.st.Load() == nil
	if s == nil && hostClosed {
		return g, nil, acct, host, now
	}
	now = cl.Now()
	if s != nil {
		if e = cs.leaseProbe(a, s, now); e != nil {
			return g, e, acct, host, now
		}
		if g.ap, e, acct = s.circuit.admit(now); e != nil {
			return g, e, acct, host, now
		}
	}
	if !hostClosed {
		if g.hp, e, host = h.circuit.admit(now); e != nil {
			g.release()
		}
	}
	return g, e, acct, host, now
}

// record tells the call's circuits how an attempt went, with the rule that
// governed its outcome, and reports their changes. Account-level outcomes
// are the account circuit's failures; transient ones the host circuit's
// (code 11 and a plain 429, throttling refusals from a healthy server, are
// neutral); the
// caller's cancellations and requests that never left are neutral to both.
//
// admitted is the lookup of the call's admission: when it found no state
// and none has been made since, an outcome that fails nothing looks for none.
func (cs *circuits) record(g *gate, a account, admitted acctLookup, out *Outcome, rule Rule, now time.Time) (s *acctState, acct, host change) {
	neutral := out.Canceled || out.Local
	failed := out.Class == ClassAccount && !neutral
	if failed || !cs.stillNone(admitted) {
		s = cs.account(a, failed)
	}
	switch {
	case s == nil || neutral || out.Class == ClassTransient || g.token && !failed:
		release(&g.ap)
	case failed:
		openFor := rule.OpenFor
		if openFor <= 0 {
			openFor = cs.cfg.accountOpenFor(out.Code)
		}
		o := newOpening(ScopeAccount, hostName(g.host), openerOf(out), now, now.Add(openFor), "")
		acct = s.circuit.fail(g.ap, o)
		if other := cs.pin(a, s); other != nil {
			other.adopt(s)
		}
		g.ap = permit{}
	default:
		acct = s.circuit.succeed(g.ap)
		g.ap = permit{}
		cs.forget(a, s)
	}
	if h := g.host; h != nil && !cs.cfg.host.Disabled {
		host = cs.recordHost(g, out, now, neutral || throttle(out, rule))
	}
	return s, acct, host
}

// recordHost counts an attempt in its host's window and trips, re-opens or
// closes the host circuit.
func (cs *circuits) recordHost(g *gate, out *Outcome, now time.Time, neutral bool) change {
	h, p := g.host, g.hp
	g.hp = permit{}
	switch {
	case neutral:
		release(&p)
		return change{}
	case out.Class != ClassTransient:
		h.window.add(now, false)
		ch := h.circuit.succeed(p)
		if ch.happened() {
			h.window.reset()
		}
		return ch
	}
	h.window.add(now, true)
	hc := &cs.cfg.host
	if p.probe == nil {
		ok, fail := h.window.counts(now)
		if total := ok + fail; total < uint64(hc.MinRequests) || float64(fail) < hc.FailureRatio*float64(total) {
			return change{}
		}
	}
	openFor := max(hc.OpenFor, min(out.RetryAfter, cs.cfg.maxRetryAfter))
	ch := h.circuit.fail(p, newOpening(ScopeHost, h.name, openerOf(out), now, now.Add(openFor), ""))
	if ch.happened() {
		h.window.reset()
	}
	return ch
}

// forToken marks the gate of a login or refresh, whose success says nothing
// of its account.
func (g *gate) forToken() { g.token = true }

// takeProbe hands over the account circuit's probe slot, in a gate of its
// own, for the probe request.
func (g *gate) takeProbe() gate {
	p := gate{ap: g.ap}
	g.ap = permit{}
	return p
}

// release gives back what an admitted call holds when it sent nothing.
func (g *gate) release() {
	release(&g.ap)
	release(&g.hp)
}

// opened reports whether a circuit of account a or host h is open at now,
// so that a retry would only fail fast.
func (cs *circuits) opened(a account, h *hostState, now time.Time) bool {
	if s := cs.account(a, false); s != nil && s.circuit.state(now) == StateOpen {
		return true
	}
	return h != nil && !cs.cfg.host.Disabled && h.circuit.state(now) == StateOpen
}

func hostName(h *hostState) string {
	if h == nil {
		return ""
	}
	return h.name
}

// openerOf keeps what a circuit may repeat of an outcome: its class, code
// and status, and its message when the code table or a rule names it.
func openerOf(out *Outcome) opener {
	o := opener{class: out.Class, code: out.Code, status: out.StatusCode}
	if out.Code == 0 && out.Description != "" {
		if _, known := ClassOfMessage(out.Description); known {
			o.message = out.Description
		}
	}
	return o
}
