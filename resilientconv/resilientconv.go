// Package resilientconv names what a resilient.Transport records beside the
// OpenTelemetry HTTP semantic conventions: the attribute keys of its spans,
// span events, log records and metrics, the names of its span events, the
// reasons of its decisions and the sources of its delays.
//
// The same keys appear in a decision's span event and in its log record, so
// that a query written for one finds the other. None of them ever holds an
// API key, a bearer token, a phone number, a message text or a reference.
package resilientconv

import "go.opentelemetry.io/otel/attribute"

// ScopeName is the instrumentation scope of the Transport's spans, metrics
// and log records: the module path.
const ScopeName = "github.com/resilient-sms/resilient"

// Version is the version of the module, reported as the instrumentation
// scope's version.
const Version = "0.2.0"

// Attribute keys.
const (
	// CodeKey is the Notificore API 1.0 code of an answer.
	CodeKey = attribute.Key("notificore.code")
	// DescriptionKey is the code's published description, or a documented
	// API 2.0 message; never other server text.
	DescriptionKey = attribute.Key("notificore.description")
	// ClassKey is an outcome's class: success, transient, permanent, account.
	ClassKey = attribute.Key("notificore.class")
	// OperationKey names the Notificore operation, such as sms.create.
	OperationKey = attribute.Key("notificore.operation")
	// AttemptKey is the 1-based number of an attempt.
	AttemptKey = attribute.Key("resilient.attempt")
	// AttemptsKey is the number of attempts a call made.
	AttemptsKey = attribute.Key("resilient.attempts")
	// ReasonKey is a decision's Reason.
	ReasonKey = attribute.Key("resilient.reason")
	// CauseKey is what a retry answers: network, code_N or http_N.
	CauseKey = attribute.Key("resilient.retry.cause")
	// MessagesKey counts the messages an accepted-earlier finding covers.
	MessagesKey = attribute.Key("resilient.messages")
	// DelayKey is a retry's or a queue's delay, in seconds.
	DelayKey = attribute.Key("resilient.delay")
	// DelaySourceKey is where a delay came from: see the Delay constants.
	DelaySourceKey = attribute.Key("resilient.delay_source")
	// ScopeKey is a circuit's scope: account or host.
	ScopeKey = attribute.Key("resilient.circuit.scope")
	// FromKey and ToKey are the states of a circuit's change.
	FromKey = attribute.Key("resilient.circuit.from")
	ToKey   = attribute.Key("resilient.circuit.to")
	// RetryAtKey is when an open circuit lets a probe through (RFC 3339).
	RetryAtKey = attribute.Key("resilient.circuit.retry_at")
	// InstanceKey names the fleet instance that learned a circuit's fact.
	InstanceKey = attribute.Key("resilient.fleet.instance")
	// LimitKey is an account's in-flight limit, in messages.
	LimitKey = attribute.Key("resilient.limit")
	// LimitReasonKey says why the limit has its value: see the Limit constants.
	LimitReasonKey = attribute.Key("resilient.limit.reason")
	// WeightKey is the number of messages a call holds of the limit.
	WeightKey = attribute.Key("resilient.weight")
)

// Names of the span events on a call's span (and the messages of the log
// records of the same decisions).
const (
	EventRetryScheduled  = "retry scheduled"
	EventGaveUp          = "gave up"
	EventFailedFast      = "failed fast"
	EventCircuitChanged  = "circuit state changed"
	EventAcceptedEarlier = "accepted earlier"
	EventProbed          = "probed" // an account circuit's probe request went in place of the call
	EventQueued          = "queued" // the call waited for room under its account's in-flight limit
)

// Reason says why a call stopped or retried: the ReasonKey attribute of a
// decision and resilient.Error's Reason.
type Reason string

// The reasons of a decision.
const (
	ReasonSuccess         Reason = "success"          // the answer was a success
	ReasonAcceptedEarlier Reason = "accepted_earlier" // a resend found the earlier attempt accepted
	ReasonPermanent       Reason = "permanent"        // a permanent failure: resending cannot help
	ReasonAccount         Reason = "account"          // an account-level failure
	ReasonTransient       Reason = "transient"        // a transient failure, retried
	ReasonAttempts        Reason = "attempts"         // the attempts allowed are used up
	ReasonUnsafe          Reason = "unsafe"           // resending could send a message twice
	ReasonDeadline        Reason = "deadline"         // the wait would pass the context's deadline
	ReasonBudget          Reason = "budget"           // the host's retry budget is spent
	ReasonCircuitOpen     Reason = "circuit_open"     // a circuit of the call is open
	ReasonCanceled        Reason = "canceled"         // the caller's context ended
	ReasonLocal           Reason = "local"            // the request never left the process: it cannot be sent as it is
	ReasonQueueFull       Reason = "queue_full"       // the account's in-flight queue is full
)

// The sources of a delay (DelaySourceKey).
const (
	DelayBackoff    = "backoff"     // the exponential back-off
	DelayRetryAfter = "retry_after" // the server's Retry-After
	DelayQueue      = "queue"       // room under the account's in-flight limit
)

// The reasons an in-flight limit has its value (LimitReasonKey).
const (
	LimitDecreased = "code_11" // decreased on a code 11 answer
	LimitIncreased = "success" // increased on an accepted send
	LimitRelaxed   = "relaxed" // dropped after a quiet period: no limit
	LimitInitial   = "initial" // the first limit, after the account's first code 11
)
