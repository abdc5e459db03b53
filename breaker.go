package resilient

import (
	"sync/atomic"
	"time"
)

// Scope names what a circuit guards.
type Scope string

// The scopes of circuits.
const (
	// ScopeAccount is one Notificore account: its API key, or the account a
	// bearer token was issued to, on whichever host it calls.
	ScopeAccount Scope = "account"
	// ScopeHost is every call to one host.
	ScopeHost Scope = "host"
)

// CircuitState is the state of a circuit.
type CircuitState uint8

// The states of a circuit.
const (
	// StateClosed lets every call through.
	StateClosed CircuitState = iota
	// StateOpen fails every call fast until its time is up.
	StateOpen
	// StateHalfOpen lets one probe through and fails the others fast.
	StateHalfOpen
)

var stateNames = [...]string{"closed", "open", "half-open"}

// String returns "closed", "open" or "half-open".
func (s CircuitState) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "state(" + string(rune('0'+s)) + ")"
}

// circuit is one circuit: closed while it holds no opening, open until the
// opening's time, then half-open with one probe slot. Every method is
// lock-free and safe for concurrent use; an outcome counts only for the
// opening it was admitted under, so late answers of calls sent before a
// change never move the circuit again.
//
// The breaker is written here rather than taken from gobreaker: gobreaker
// takes a mutex on every call, keeps one Timeout for every opening, runs on
// the wall clock and calls back under its lock, and a circuit here needs a
// lock-free closed path, an open time per outcome and the Transport's clock.
type circuit struct {
	st atomic.Pointer[opening]
}

// opening is one period of a circuit away from closed. It never changes
// once published, but for its probe flags.
type opening struct {
	by       opener
	at       time.Time
	until    time.Time
	instance string // the fleet instance that reported it; "" when seen here

	halfOpen atomic.Bool  // the open time has ended and a probe was admitted
	probing  atomic.Bool  // the probe slot is taken
	lease    atomic.Int32 // fleet probe lease: leaseNone, leaseAsked, leaseHeld, leaseElsewhere

	// The fail-fasts while open and while the probe is in flight, shared by
	// every call: held in the opening itself, so that an open circuit is
	// one object for the collector.
	openErr, probingErr CircuitOpenError
}

// err returns the fail-fast while the circuit is open.
func (o *opening) err() *CircuitOpenError { return &o.openErr }

// probeErr returns the fail-fast while the probe is in flight.
func (o *opening) probeErr() *CircuitOpenError { return &o.probingErr }

// The states of an opening's fleet probe lease.
const (
	leaseNone int32 = iota
	leaseAsked
	leaseHeld
)

// opener is what the outcome that opened a circuit said: fixed texts only,
// never the server's own words.
type opener struct {
	class   Class
	code    int
	status  int
	message string // a documented or rule-named API 2.0 message
}

// permit is what a circuit gave an admitted call: nothing while closed, the
// probe slot of an opening when half-open.
type permit struct {
	probe *opening
}

// change is a circuit's state change, to be reported outside any lock.
type change struct {
	from, to CircuitState
	o        *opening // the new opening when to is StateOpen
}

func (ch change) happened() bool { return ch.from != ch.to }

// newOpening builds the opening of a circuit of scope sc on host.
func newOpening(sc Scope, host string, by opener, at, until time.Time, instance string) *opening {
	o := &opening{by: by, at: at, until: until, instance: instance}
	o.openErr = CircuitOpenError{Scope: sc, Host: host, Class: by.class, Code: by.code,
		Description: by.description(), StatusCode: by.status, Until: until, Instance: instance}
	o.probingErr = o.openErr
	o.probingErr.Until = time.Time{}
	return o
}

func (by opener) description() string {
	if by.code != 0 {
		return CodeDescription(by.code)
	}
	return by.message
}

// state reports the circuit's state at now.
func (ci *circuit) state(now time.Time) CircuitState {
	o := ci.st.Load()
	switch {
	case o == nil:
		return StateClosed
	case now.Before(o.until):
		return StateOpen
	}
	return StateHalfOpen
}

// admit asks leave for one call at now: the permit when it may go, or the
// fail-fast error. The first call after the open time takes the probe slot
// and the change to half-open.
func (ci *circuit) admit(now time.Time) (permit, *CircuitOpenError, change) {
	o := ci.st.Load()
	if o == nil {
		return permit{}, nil, change{}
	}
	if now.Before(o.until) {
		return permit{}, o.err(), change{}
	}
	if !o.probing.CompareAndSwap(false, true) {
		return permit{}, o.probeErr(), change{}
	}
	if o.halfOpen.CompareAndSwap(false, true) {
		return permit{probe: o}, nil, change{from: StateOpen, to: StateHalfOpen}
	}
	return permit{probe: o}, nil, change{}
}

// fail records a failure of a call admitted with p: it opens a closed
// circuit, and re-opens one whose probe p holds. Other failures (answers to
// calls sent before the circuit opened) change nothing.
func (ci *circuit) fail(p permit, next *opening) change {
	cur := ci.st.Load()
	switch {
	case cur == nil:
		if ci.st.CompareAndSwap(nil, next) {
			return change{from: StateClosed, to: StateOpen, o: next}
		}
	case p.probe == cur:
		if ci.st.CompareAndSwap(cur, next) {
			return change{from: StateHalfOpen, to: StateOpen, o: next}
		}
	}
	return change{}
}

// succeed records a healthy answer to a call admitted with p: it closes the
// circuit whose probe p holds.
func (ci *circuit) succeed(p permit) change {
	if cur := ci.st.Load(); p.probe != nil && p.probe == cur && ci.st.CompareAndSwap(cur, nil) {
		return change{from: StateHalfOpen, to: StateClosed}
	}
	return change{}
}

// release frees the probe slot *p holds, when its call ended without
// telling (canceled, throttled, unsent): another call may probe.
func release(p *permit) {
	if p.probe != nil {
		p.probe.probing.Store(false)
		p.probe = nil
	}
}

// force sets the circuit to next (nil: closed) whatever its state, as a
// fleet fact does; it reports the change.
func (ci *circuit) force(next *opening, now time.Time) change {
	for {
		cur := ci.st.Load()
		from := ci.state(now)
		if ci.st.CompareAndSwap(cur, next) {
			to := StateClosed
			if next != nil {
				to = StateOpen
			}
			if cur == nil && next == nil {
				return change{}
			}
			return change{from: from, to: to, o: next}
		}
	}
}
