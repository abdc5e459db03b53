package resilient

import (
	"cmp"
	"errors"
	"hash/maphash"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sony/gobreaker/v2"
)

// Scope names what a circuit guards.
type Scope string

// The scopes of circuits.
const (
	// ScopeAccount is one account on one host: the host and a fingerprint
	// of the X-API-KEY header or the bearer token.
	ScopeAccount Scope = "account"
	// ScopeHost is every call to one host.
	ScopeHost Scope = "host"
)

// errNeutral and errFailure are what a circuit is told of an outcome.
var (
	errNeutral = errors.New("neutral")
	errFailure = errors.New("failure")
)

// opener is what an opening outcome leaves on its circuit.
type opener struct {
	class  Class
	code   int
	desc   string
	status int
	api2   bool
}

// circuit is one gobreaker two-step breaker plus the gate that holds it open
// for a duration chosen per outcome (gobreaker's own Timeout is fixed, so it
// is set to a nanosecond and the gate decides when a probe may go).
type circuit struct {
	cb      *gobreaker.TwoStepCircuitBreaker[struct{}]
	scope   Scope
	host    string
	lastUse atomic.Int64
	hostC   *circuit // an account circuit's host circuit, found with it

	mu        sync.Mutex // never held while calling into cb
	openUntil time.Time
	opened    opener
	cand      opener        // the latest failure, opener if it trips the breaker
	candFor   time.Duration // and how long it would keep it open
	pending   []CircuitEvent
	now       func() time.Time

	hasPending atomic.Bool // pending is not empty: drain need not lock otherwise
	closed     atomic.Bool // gobreaker's state is closed (account circuits' fast path)
}

// onStateChange runs under gobreaker's lock: it only records.
func (ci *circuit) onStateChange(_ string, from, to gobreaker.State) {
	ci.mu.Lock()
	defer ci.mu.Unlock()
	ev := CircuitEvent{Scope: ci.scope, Host: ci.host, From: from.String(), To: to.String(), At: ci.now()}
	if to == gobreaker.StateOpen {
		ci.openUntil = ev.At.Add(ci.candFor)
		ci.opened = ci.cand
		ev.Until, ev.Code, ev.Class = ci.openUntil, ci.cand.code, ci.cand.class
	}
	ci.pending = append(ci.pending, ev)
	ci.hasPending.Store(true)
	ci.closed.Store(to == gobreaker.StateClosed)
}

// drain returns the state changes recorded since the last drain.
func (ci *circuit) drain() []CircuitEvent {
	if !ci.hasPending.Load() {
		return nil
	}
	ci.mu.Lock()
	defer ci.mu.Unlock()
	if len(ci.pending) == 0 {
		return nil
	}
	evs := ci.pending
	ci.pending = nil
	ci.hasPending.Store(false)
	return evs
}

// gate returns the fail-fast error while the circuit is held open.
func (ci *circuit) gate(now time.Time) *CircuitOpenError {
	ci.mu.Lock()
	defer ci.mu.Unlock()
	if now.Before(ci.openUntil) {
		return ci.openError(ci.openUntil)
	}
	return nil
}

func (ci *circuit) openError(until time.Time) *CircuitOpenError {
	o := ci.opened
	return &CircuitOpenError{Scope: ci.scope, Host: ci.host, Class: o.class, Code: o.code,
		Description: o.desc, StatusCode: o.status, Until: until, api2: o.api2}
}

// scope is where a call's circuits live.
type scope struct {
	host string
	fp   uint64
}

// circuits is a Transport's registry of circuits, bounded in size.
type circuits struct {
	cfg   circuitConfig
	clock clock
	tel   *telemetry
	seed  maphash.Seed
	mu    sync.RWMutex
	accts map[scope]*circuit  // account circuits
	hosts map[string]*circuit // host circuits
}

func newCircuits(cfg circuitConfig, cl clock, tel *telemetry) *circuits {
	return &circuits{cfg: cfg, clock: cl, tel: tel, seed: maphash.MakeSeed(),
		accts: map[scope]*circuit{}, hosts: map[string]*circuit{}}
}

// scopeOf fingerprints the request's credential; the credential itself is
// never kept.
func (cs *circuits) scopeOf(req *http.Request) scope {
	s := scope{host: req.URL.Host}
	if v := req.Header["X-Api-Key"]; len(v) > 0 && v[0] != "" {
		s.fp = maphash.String(cs.seed, v[0]) | 1
	} else if v := req.Header["Authorization"]; len(v) > 0 && v[0] != "" {
		s.fp = maphash.String(cs.seed, v[0]) | 1
	}
	return s
}

// lookup returns the account circuit of s (nil when account circuits are
// off) and the host circuit of its host (nil when host circuits are off),
// with one map lookup on the common path.
func (cs *circuits) lookup(s scope, now time.Time) (acct, host *circuit) {
	if cs.cfg.account.Disabled {
		return nil, cs.hostOf(s.host)
	}
	cs.mu.RLock()
	acct = cs.accts[s]
	cs.mu.RUnlock()
	if acct == nil {
		h := cs.hostOf(s.host)
		cs.mu.Lock()
		if acct = cs.accts[s]; acct == nil {
			if len(cs.accts) >= cs.cfg.maxCircuits {
				cs.shrinkLocked()
			}
			acct = cs.newCircuit(ScopeAccount, s.host)
			acct.hostC = h
			cs.accts[s] = acct
		}
		cs.mu.Unlock()
	}
	acct.lastUse.Store(now.UnixNano())
	return acct, acct.hostC
}

// hostOf returns host's circuit, nil when host circuits are off. Host
// circuits are few (one per API host) and never evicted.
func (cs *circuits) hostOf(host string) *circuit {
	if cs.cfg.host.Disabled {
		return nil
	}
	cs.mu.RLock()
	h := cs.hosts[host]
	cs.mu.RUnlock()
	if h != nil {
		return h
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if h = cs.hosts[host]; h == nil {
		h = cs.newCircuit(ScopeHost, host)
		cs.hosts[host] = h
	}
	return h
}

func (cs *circuits) newCircuit(sc Scope, host string) *circuit {
	ci := &circuit{scope: sc, host: host, now: cs.clock.Now}
	st := gobreaker.Settings{
		Name:          string(sc) + " " + host,
		MaxRequests:   1,
		Timeout:       time.Nanosecond,
		OnStateChange: ci.onStateChange,
		IsExcluded:    func(err error) bool { return errors.Is(err, errNeutral) },
	}
	if sc == ScopeAccount {
		st.ReadyToTrip = func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= 1 }
	} else {
		h := cs.cfg.host
		st.Interval, st.BucketPeriod = h.Window, h.Window/10
		st.ReadyToTrip = func(c gobreaker.Counts) bool {
			total := c.TotalSuccesses + c.TotalFailures
			return total >= uint32(h.MinRequests) && float64(c.TotalFailures) >= h.FailureRatio*float64(total)
		}
	}
	ci.cb = gobreaker.NewTwoStepCircuitBreaker[struct{}](st)
	ci.closed.Store(true)
	return ci
}

// shrinkLocked evicts closed account circuits, then the least recently
// used, until the registry is down to three quarters of its bound. cs.mu is
// held.
func (cs *circuits) shrinkLocked() {
	target := cs.cfg.maxCircuits * 3 / 4
	now := cs.clock.Now()
	type entry struct {
		k   scope
		use int64
	}
	var kept []entry
	for k, ci := range cs.accts {
		if ci.gate(now) == nil && ci.cb.State() == gobreaker.StateClosed {
			delete(cs.accts, k)
		} else {
			kept = append(kept, entry{k, ci.lastUse.Load()})
		}
	}
	slices.SortFunc(kept, func(a, b entry) int { return cmp.Compare(a.use, b.use) })
	for _, e := range kept {
		if len(cs.accts) <= target {
			return
		}
		delete(cs.accts, e.k)
	}
}

// admit asks the call's circuits for leave to send an attempt. It returns a
// fail-fast error, or a synthesized answer with WithFailFastAnswers, when one
// of them is open; nil, nil when the attempt may go.
func (cs *circuits) admit(c *call) (*http.Response, error) {
	now := cs.clock.Now()
	var e *CircuitOpenError
	c.acct, c.hostC = cs.lookup(c.scope, now)
	if c.acct != nil {
		if !c.acct.closed.Load() {
			// While closed, an account circuit needs to hear of failures
			// only (it opens on the first): record takes the permission
			// then. Open or half-open, every call asks.
			e = allow(c.acct, now, &c.acctDone)
		}
	}
	if e == nil && c.hostC != nil {
		e = allow(c.hostC, now, &c.hostDone)
	}
	cs.publish(c)
	if e == nil {
		return nil, nil
	}
	return cs.failFast(c, e, now)
}

// failFast releases what the call holds and hands back the fail-fast
// error, or the synthesized answer with WithFailFastAnswers.
func (cs *circuits) failFast(c *call, e *CircuitOpenError, now time.Time) (*http.Response, error) {
	cs.release(c)
	cs.tel.failedFast(c.tc, e)
	if cs.cfg.answers {
		return e.response(c.req, now), nil
	}
	return nil, e
}

// allow passes the gate and takes gobreaker's permission for one request.
func allow(ci *circuit, now time.Time, done *func(error)) *CircuitOpenError {
	if e := ci.gate(now); e != nil {
		return e
	}
	d, err := ci.cb.Allow()
	if err != nil { // half-open with its probe in flight
		return ci.openError(time.Time{})
	}
	*done = d
	return nil
}

// record tells the call's circuits how its attempt went: account-level
// outcomes are the account circuit's failures, transient ones the host
// circuit's (code 11, a throttling refusal from a healthy server, is
// neutral); the caller's cancellations are neutral to both.
func (cs *circuits) record(c *call, out *Outcome, rule Rule) {
	cs.recordAccount(c, out, rule)
	if c.hostDone != nil {
		res := error(nil)
		switch {
		case out.Canceled || throttled(out.Code):
			res = errNeutral
		case out.Class == ClassTransient:
			res = errFailure
			c.hostC.candidate(out, max(cs.cfg.host.OpenFor, min(out.RetryAfter, cs.cfg.maxRetryAfter)))
		}
		c.hostDone(res)
		c.hostDone = nil
	}
	cs.publish(c)
}

// recordAccount tells the call's account circuit how an attempt (or its
// probe) went.
func (cs *circuits) recordAccount(c *call, out *Outcome, rule Rule) {
	if c.acctDone == nil && c.acct != nil && out.Class == ClassAccount && !out.Canceled {
		// The fast path admitted the call without gobreaker: ask now, so
		// that the failure opens the circuit (unless another call did).
		if d, err := c.acct.cb.Allow(); err == nil {
			c.acctDone = d
		}
	}
	if c.acctDone == nil {
		return
	}
	res := error(nil)
	switch {
	case out.Canceled || out.Class == ClassTransient:
		res = errNeutral
	case out.Class == ClassAccount:
		res = errFailure
		openFor := rule.OpenFor
		if openFor <= 0 {
			openFor = cs.cfg.accountOpenFor(out.Code)
		}
		c.acct.candidate(out, openFor)
	}
	c.acctDone(res)
	c.acctDone = nil
}

// release tells the circuits that an admitted call sent nothing.
func (cs *circuits) release(c *call) {
	for _, d := range []*func(error){&c.acctDone, &c.hostDone} {
		if *d != nil {
			(*d)(errNeutral)
			*d = nil
		}
	}
}

// opened reports whether one of the call's circuits is now held open, so
// that a retry would only fail fast.
func (cs *circuits) opened(c *call) bool {
	now := cs.clock.Now()
	return (c.acct != nil && c.acct.gate(now) != nil) || (c.hostC != nil && c.hostC.gate(now) != nil)
}

// publish hands the state changes of the call's circuits to telemetry and
// to the listener, outside gobreaker's lock.
func (cs *circuits) publish(c *call) {
	for _, ci := range []*circuit{c.acct, c.hostC} {
		if ci == nil {
			continue
		}
		for _, ev := range ci.drain() {
			cs.tel.circuitChanged(c.tc, ev)
			if cs.cfg.listener != nil {
				cs.cfg.listener(ev)
			}
		}
	}
}

// candidate notes a failure that may open the circuit, before gobreaker
// hears of it.
func (ci *circuit) candidate(out *Outcome, openFor time.Duration) {
	ci.mu.Lock()
	ci.cand = opener{class: out.Class, code: out.Code, desc: out.Description, status: out.StatusCode,
		api2: out.Code == 0 && out.Description != ""}
	ci.candFor = openFor
	ci.mu.Unlock()
}
