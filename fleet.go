package resilient

import "time"

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
	// new instance must know of), and returns a function that stops the
	// delivery. A Fleet never delivers an instance's own facts back to it.
	// apply is safe for concurrent use and returns quickly.
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
	// Account is the account's fingerprint: 32 hexadecimal digits of a
	// SHA-256 of its identity, the same in every process.
	Account string
	// Open reports that the account's circuit opened; false reports that
	// it closed, because a probe succeeded.
	Open bool
	// Class, Code and StatusCode describe the answer that opened the
	// circuit, such as ClassAccount, code 8 and HTTP 200.
	Class      Class
	Code       int
	StatusCode int
	// Message is the API 2.0 message that opened the circuit when it is
	// one the code table or a rule names; "" otherwise.
	Message string
	// Until is when an opened circuit lets a probe through.
	Until time.Time
	// At is when the fact was learned.
	At time.Time
	// Instance names the instance that learned the fact. A Fleet sets it
	// on the facts it delivers; Publish ignores it.
	Instance string
}
