package resilient

import (
	"sync"
	"sync/atomic"
)

// circuits is a Transport's registry of circuits: one per host, with the
// host's window and retry budget, and one per account that failed (a
// healthy account holds nothing). It is safe for concurrent use; a call to a
// healthy host and an account that holds nothing takes no lock, and one to
// an account that holds state the read lock of its shard of accts.
type circuits struct {
	cfg    circuitConfig
	budget RetryBudget
	fleet  Fleet
	clock  clock

	accts  acctMap
	nAccts atomic.Int64
	// made counts the states put in accts, each once it is there: a lookup
	// that found none, with made read before it, is as true as a new one
	// while made is unchanged.
	made    atomic.Uint64
	addMu   sync.Mutex               // serialises the additions to accts and the writers of present
	present atomic.Pointer[presence] // every account in accts; nil until the first

	hostMu sync.Mutex // serialises writers of hosts and only
	hosts  atomic.Pointer[map[string]*hostState]
	only   atomic.Pointer[hostState] // the one host while hosts holds one, else nil
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

func newCircuits(cfg circuitConfig, bud RetryBudget, fleet Fleet, cl clock) *circuits {
	cs := &circuits{cfg: cfg, budget: bud, fleet: fleet, clock: cl}
	cs.hosts.Store(&map[string]*hostState{})
	return cs
}

// tracking reports whether any account holds state, so that calls must find
// their account.
func (cs *circuits) tracking() bool { return cs.nAccts.Load() > 0 }

// lookup finds a's state (nil when it holds none), recording what made was
// before the lookup.
func (cs *circuits) lookup(a account) acctLookup {
	m := cs.made.Load()
	return acctLookup{acct: a, s: cs.account(a, false), done: true, made: m}
}

// stillNone reports whether l found no state and none has been made since,
// so that the account still holds none.
func (cs *circuits) stillNone(l acctLookup) bool {
	return l.done && l.s == nil && l.made == cs.made.Load()
}

// host returns name's state, made on first use. Hosts are few (one per API
// host) and never dropped; the map is copied on write so that readers take
// no lock, and while it holds one host, that host is found without it.
func (cs *circuits) host(name string) *hostState {
	if h := cs.only.Load(); h != nil && h.name == name {
		return h
	}
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
	if len(next) == 1 {
		cs.only.Store(h)
	} else {
		cs.only.Store(nil)
	}
	return h
}

// account returns a's state; with create it makes one (and bounds their
// number), otherwise it returns nil for an account that holds nothing.
func (cs *circuits) account(a account, create bool) *acctState {
	if a == 0 || cs.cfg.account.Disabled {
		return nil
	}
	if p := cs.present.Load(); p == nil || p.has(a) {
		if s, ok := cs.accts.load(a); ok {
			return s
		}
	}
	if !create {
		return nil
	}
	cs.addMu.Lock()
	defer cs.addMu.Unlock()
	cs.mark(a)
	s, loaded := cs.accts.loadOrStore(a, new(acctState))
	if !loaded {
		cs.made.Add(1)
		if cs.nAccts.Add(1) > int64(cs.cfg.maxCircuits) {
			cs.shrink(a)
		}
	}
	return s
}

// mark sets a's bit in the presence filter before a's state is added,
// rebuilding the filter from the registry when it is crowded. The caller
// holds addMu, so that no addition runs beside a rebuild.
func (cs *circuits) mark(a account) {
	n := int(cs.nAccts.Load()) + 1
	if p := cs.present.Load(); p != nil && !p.crowded(n) {
		p.add(a)
		return
	}
	p := newPresence(n)
	cs.accts.rangeAll(func(a account, _ *acctState) bool {
		p.add(a)
		return true
	})
	p.add(a)
	cs.present.Store(p) // whole before readers see it
}

// forget drops a's state once it holds nothing. A change made to it
// meanwhile puts it back (see pin).
func (cs *circuits) forget(a account, s *acctState) {
	if s.empty() && cs.accts.compareAndDelete(a, s) {
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
	if cur, ok := cs.accts.load(a); ok {
		if cur != s {
			return cur
		}
		return nil
	}
	cs.addMu.Lock()
	defer cs.addMu.Unlock()
	cs.mark(a)
	cur, loaded := cs.accts.loadOrStore(a, s)
	if !loaded {
		cs.made.Add(1)
		cs.nAccts.Add(1)
		return nil
	}
	if cur != s {
		return cur
	}
	return nil
}

// shrink drops states past the bound, closed ones first, keeping keep.
func (cs *circuits) shrink(keep account) {
	target := int64(cs.cfg.maxCircuits) * 3 / 4
	for _, closedOnly := range [...]bool{true, false} {
		cs.accts.rangeAll(func(a account, s *acctState) bool {
			if cs.nAccts.Load() <= target {
				return false
			}
			if a != keep && (!closedOnly || s.empty()) && cs.accts.compareAndDelete(a, s) {
				cs.nAccts.Add(-1)
			}
			return true
		})
	}
}
