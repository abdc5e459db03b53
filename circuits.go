package resilient

import (
	"sync"
	"sync/atomic"
	"time"
)

// circuits is a Transport's registry of circuits: one per host, with the
// host's window and retry budget, and one per account that failed (a
// healthy account holds nothing). It is safe for concurrent use; a call to a
// healthy host takes no lock.
type circuits struct {
	cfg    circuitConfig
	budget RetryBudget
	fleet  Fleet
	clock  clock

	accts  sync.Map // account -> *acctState
	nAccts atomic.Int64

	hostMu sync.Mutex // serialises writers of hosts
	hosts  atomic.Pointer[map[string]*hostState]
}

// acctState is what the Transport holds for one account that failed or
// answered code 11.
type acctState struct {
	circuit circuit
	limit   atomic.Pointer[limiter] // nil until the account's first code 11
}

// hostState is what the Transport holds for one host.
type hostState struct {
	name    string
	circuit circuit
	window  window
	budget  budget
}

// gate is what a call holds of its circuits between admission and record:
// its host and the permits of its account's and its host's circuits.
type gate struct {
	host   *hostState
	ap, hp permit
	token  bool // a login or refresh: its success says nothing of its account
}

func newCircuits(cfg circuitConfig, bud RetryBudget, fleet Fleet, cl clock) *circuits {
	cs := &circuits{cfg: cfg, budget: bud, fleet: fleet, clock: cl}
	cs.hosts.Store(&map[string]*hostState{})
	return cs
}

// tracking reports whether any account holds state, so that calls must find
// their account.
func (cs *circuits) tracking() bool { return cs.nAccts.Load() > 0 }

// host returns name's state, made on first use. Hosts are few (one per API
// host) and never dropped; the map is copied on write so that readers take
// no lock.
func (cs *circuits) host(name string) *hostState {
	if h := (*cs.hosts.Load())[name]; h != nil {
		return h
	}
	cs.hostMu.Lock()
	defer cs.hostMu.Unlock()
	old := *cs.hosts.Load()
	if h := old[name]; h != nil {
		return h
	}
	h := &hostState{name: name, window: newWindow(cs.cfg.host.Window)}
	h.budget.init(cs.budget)
	next := make(map[string]*hostState, len(old)+1)
	for k, v := range old {
		next[k] = v
	}
	next[name] = h
	cs.hosts.Store(&next)
	return h
}

// account returns a's state; with create it makes one (and bounds their
// number), otherwise it returns nil for an account that holds nothing.
func (cs *circuits) account(a account, create bool) *acctState {
	if a == 0 || cs.cfg.account.Disabled {
		return nil
	}
	if s, ok := cs.accts.Load(a); ok {
		return s.(*acctState)
	}
	if !create {
		return nil
	}
	s, loaded := cs.accts.LoadOrStore(a, new(acctState))
	if !loaded && cs.nAccts.Add(1) > int64(cs.cfg.maxCircuits) {
		cs.shrink(a)
	}
	return s.(*acctState)
}

// forget drops a's state once it holds nothing. A change made to it
// meanwhile puts it back (see pin).
func (cs *circuits) forget(a account, s *acctState) {
	if s.empty() && cs.accts.CompareAndDelete(a, s) {
		cs.nAccts.Add(-1)
		if !s.empty() {
			if other := cs.pin(a, s); other != nil {
				other.adopt(s)
			}
		}
	}
}

func (s *acctState) empty() bool { return s.circuit.st.Load() == nil && s.limit.Load() == nil }

// adopt takes over what old, a state dropped from the registry, holds and
// s does not.
func (s *acctState) adopt(old *acctState) {
	if o := old.circuit.st.Load(); o != nil {
		s.circuit.st.CompareAndSwap(nil, o)
	}
	if l := old.limit.Load(); l != nil {
		s.limit.CompareAndSwap(nil, l)
	}
}

// pin makes sure that s, just changed, is a's state in the registry: a
// forget may have dropped it between its lookup and its change. It returns
// the state that took s's place, if any, for the caller to apply its change
// there too.
func (cs *circuits) pin(a account, s *acctState) (other *acctState) {
	cur, loaded := cs.accts.LoadOrStore(a, s)
	if !loaded {
		cs.nAccts.Add(1)
		return nil
	}
	if cur := cur.(*acctState); cur != s {
		return cur
	}
	return nil
}

// shrink drops states past the bound, closed ones first, keeping keep.
func (cs *circuits) shrink(keep account) {
	target := int64(cs.cfg.maxCircuits) * 3 / 4
	for _, closedOnly := range [...]bool{true, false} {
		cs.accts.Range(func(k, v any) bool {
			if cs.nAccts.Load() <= target {
				return false
			}
			a, s := k.(account), v.(*acctState)
			if a != keep && (!closedOnly || s.empty()) && cs.accts.CompareAndDelete(a, s) {
				cs.nAccts.Add(-1)
			}
			return true
		})
	}
}

// admit asks the circuits of account a (0: none known) and host h for leave
// to send one attempt now. It returns what the call holds, or the fail-fast
// error of the first open circuit (having released the other), the changes
// admission caused, and the time it read, the zero time when every circuit
// was closed and it needed none.
func (cs *circuits) admit(a account, h *hostState, cl clock) (g gate, e *CircuitOpenError, acct, host change, now time.Time) {
	g.host = h
	s := cs.account(a, false)
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
func (cs *circuits) record(g *gate, a account, out *Outcome, rule Rule, now time.Time) (acct, host change) {
	neutral := out.Canceled || out.Local
	failed := out.Class == ClassAccount && !neutral
	s := cs.account(a, failed)
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
	return acct, host
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
