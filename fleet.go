package resilient

import (
	"runtime"
	"strconv"
	"time"
	"weak"
)

// Fleet carries account-circuit facts between the instances of a fleet: the
// Transports of several processes that send for the same accounts. A
// Transport given one with WithFleet publishes what a server stated about an
// account (its circuit opened by code C until T; closed by a probe that
// succeeded) and applies what the other instances published to its own
// circuits, as if it had seen the answer itself. Host circuits, retry
// budgets and in-flight limits stay local.
//
// A Fleet is never on a call's path. Publish and Lease return at once and
// never wait for the network; a Fleet that lost its backing store keeps
// accepting facts, drops what it cannot send, and lets every instance decide
// on its own until the store is back. Implementations must be safe for
// concurrent use. The package redisfleet (a module of its own) implements
// Fleet over Redis.
type Fleet interface {
	// Publish hands a fact this instance learned to the other instances.
	// It returns at once; a fact that cannot be sent soon may be dropped.
	Publish(AccountFact)
	// Subscribe starts delivering the facts of the other instances to
	// apply, beginning with every fact still in force (the open circuits a
	// new instance must know of), which it may deliver before it returns,
	// and returns a function that stops the delivery. A Fleet never
	// delivers an instance's own facts back to it, so each Transport needs
	// a Fleet of its own. apply is safe for concurrent use, returns
	// quickly and must not call Subscribe.
	Subscribe(apply func(AccountFact)) (stop func())
	// Lease asks for the right to send the one half-open probe of account
	// across the fleet, for ttl. It returns at once and calls granted
	// exactly once, later or before it returns: true when this instance
	// holds the lease, or when the fleet cannot tell (so that instances
	// that lost their store probe on their own); false when another
	// instance holds it.
	Lease(account string, ttl time.Duration, granted func(bool))
}

// AccountFact is what one instance of a fleet learned about an account's
// circuit. It holds no credential, phone number or message text: Account
// is a one-way fingerprint and the answer is described by its code.
type AccountFact struct {
	// Account is the account's fingerprint: 16 hexadecimal digits of a
	// 64-bit hash of its identity, the same in every process.
	Account string
	// Open reports that the account's circuit opened; false reports that
	// it closed, because a probe succeeded.
	Open bool
	// Class, Code and StatusCode describe the answer that opened the
	// circuit, such as ClassAccount, code 8 and HTTP 200.
	Class      Class
	Code       int
	StatusCode int
	// Message is the API 2.0 message that opened the circuit when it is a
	// documented one; "" otherwise.
	Message string
	// Until is when an opened circuit lets a probe through.
	Until time.Time
	// At is when the fact was learned.
	At time.Time
	// Instance names the instance that learned the fact. A Fleet sets it
	// on the facts it delivers, except on a close it inferred without
	// knowing who made it (after a reconnect its store holds neither the
	// open nor the close that ended it), which carries ""; Publish ignores
	// it.
	Instance string
}

// subscribe has the fleet deliver its facts to the Transport, holding it
// weakly: the subscription ends once the Transport is no longer reachable.
func (t *Transport) subscribe() {
	wt := weak.Make(t)
	stop := t.fleet.Subscribe(func(f AccountFact) {
		if t := wt.Value(); t != nil {
			t.apply(f)
		}
	})
	if stop != nil {
		runtime.AddCleanup(t, func(stop func()) { stop() }, stop)
	}
}

// fleetLeaseTTL is how long a fleet's probe lease lasts: the longest a
// probe may take before another instance may try.
const fleetLeaseTTL = 10 * time.Second

// publish hands the fleet a change of account a's circuit that a server's
// answer caused.
func (t *Transport) publish(a account, ch change, now time.Time) {
	if t.fleet == nil || a == 0 {
		return
	}
	f := AccountFact{Account: a.String(), Open: ch.to == StateOpen, At: now}
	if o := ch.o; o != nil {
		f.Class, f.Code, f.StatusCode, f.Message, f.Until = o.by.class, o.by.code, o.by.status, o.by.message, o.until
	}
	t.fleet.Publish(f)
}

// apply applies another instance's fact to the local circuit of its
// account, as if this Transport had seen the answer: an open in force opens
// it until the fact's time (unless it is already open as long, by an
// opening no older), a close closes a circuit that opened before the fact
// was learned. It reports the
// change to the telemetry and the listener.
func (t *Transport) apply(f AccountFact) {
	a, err := strconv.ParseUint(f.Account, 16, 64)
	if err != nil || a == 0 {
		return
	}
	cs, now := t.circuits, t.clock.Now()
	var ch change
	if f.Open {
		if !now.Before(f.Until) {
			return
		}
		s := cs.account(account(a), true)
		if s == nil {
			return
		}
		if cur := s.circuit.st.Load(); cur != nil && !cur.until.Before(f.Until) && !cur.at.Before(f.At) {
			return // it knows as much, and no later
		}
		by := opener{class: f.Class, code: f.Code, status: f.StatusCode, message: f.Message}
		o := newOpening(ScopeAccount, "", by, f.At, f.Until, f.Instance)
		ch = s.circuit.force(o, now)
		if other := cs.pin(account(a), s); other != nil {
			other.adopt(s)
		}
	} else {
		s := cs.account(account(a), false)
		if s == nil {
			return
		}
		if cur := s.circuit.st.Load(); cur == nil || cur.at.After(f.At) {
			return
		}
		ch = s.circuit.force(nil, now)
		cs.forget(account(a), s)
	}
	if ch.happened() {
		ev := eventOf(ch, ScopeAccount, "", now)
		ev.Instance = f.Instance
		t.changed(nil, ev)
	}
}

// leaseProbe holds the calls of an account whose open time ended until
// this instance holds the fleet's probe lease; without a fleet it lets them
// through. It returns the fail-fast error while the lease is asked for or
// held elsewhere.
func (cs *circuits) leaseProbe(a account, s *acctState, now time.Time) *CircuitOpenError {
	o := s.circuit.st.Load()
	if cs.fleet == nil || o == nil || now.Before(o.until) {
		return nil
	}
	if o.lease.CompareAndSwap(leaseNone, leaseAsked) {
		cs.fleet.Lease(a.String(), fleetLeaseTTL, func(granted bool) {
			if granted {
				o.lease.Store(leaseHeld)
				return
			}
			// Another instance probes: stay open until its outcome arrives,
			// or its lease ends.
			until := cs.clock.Now().Add(fleetLeaseTTL)
			s.circuit.st.CompareAndSwap(o, newOpening(ScopeAccount, o.openErr.Host, o.by, o.at, until, o.instance))
		})
	}
	if o.lease.Load() == leaseHeld {
		return nil
	}
	return o.probeErr()
}

// changed reports a circuit's change to the telemetry, on the call's span
// when tc is not nil, and to the listener.
func (t *Transport) changed(tc *telCall, ev CircuitEvent) {
	t.tel.circuitChanged(tc, ev)
	if l := t.circuits.cfg.listener; l != nil {
		l(ev)
	}
}
