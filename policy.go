package resilient

import (
	"time"

	"github.com/cenkalti/backoff/v4"
)

// Policy holds the numbers that drive a Transport's retries. The zero value
// of every field means its default, so Policy{} is the default policy.
type Policy struct {
	// MaxAttempts is the number of attempts (not retries) a call may make;
	// default 4. 1 disables retries. A code 11 answer (or a 429) to an
	// attempt that the account's in-flight limit let through counts as none,
	// for up to MaxAttempts-1 such answers: the limit learns from it and
	// the retry waits for room, so a call makes at most 2×MaxAttempts-1
	// attempts.
	MaxAttempts int
	// Backoff shapes the delays between attempts.
	Backoff Backoff
	// MaxRetryAfter caps the wait a server's Retry-After may impose on one
	// retry; default 60s. A longer Retry-After waits this long.
	MaxRetryAfter time.Duration
	// Budget limits retries per host so that an outage cannot multiply traffic.
	Budget RetryBudget
	// MaxBodyBytes bounds how much of a response body is read to classify it;
	// default 256 KiB. A larger body is handed back unread and classified by
	// its status alone.
	MaxBodyBytes int64
	// MaxRequestBodyBytes bounds how much of a request body without GetBody
	// is buffered to resend it; default 1 MiB. A larger body is sent once
	// and never resent.
	MaxRequestBodyBytes int64
}

// Backoff shapes exponential delays with jitter: attempt n waits about
// Initial·Multiplier^(n-1), capped at Max, randomised by ±Jitter. The zero
// value of every field means its default.
type Backoff struct {
	// Initial is the first delay; default 500ms.
	Initial time.Duration
	// Max caps the delay before jitter; default 30s.
	Max time.Duration
	// Multiplier grows the delay each retry; default 1.5.
	Multiplier float64
	// Jitter is the randomisation factor in (0, 1]; default 0.5. A negative
	// value disables jitter.
	Jitter float64
}

// RetryBudget caps retries per host as a fraction of calls, in the manner of
// the SRE book's per-client retry budget: every call earns Ratio of a token,
// every retry spends one, and at most Burst tokens are held. Retries of code
// 11 (the API's throttling answer, a refusal that processed nothing) are paced
// by back-off and do not spend tokens. The zero value means the defaults.
type RetryBudget struct {
	// Ratio is the tokens each call earns; default 0.1, i.e. retries stay
	// under about 10% of calls once the burst is spent. A negative value
	// disables the budget.
	Ratio float64
	// Burst is the tokens a host starts with and may hold; default 10.
	Burst int
}

// Rule overrides what a Transport does with the outcomes it matches: a code,
// an API 2.0 message, an HTTP status or a class (see WithCodeRule and its
// siblings). Class always applies: ClassTransient retries, ClassPermanent and
// ClassSuccess return at once, ClassAccount returns and opens the account's
// circuit. Zero values of the other fields keep the Policy's numbers, field
// by field (a Rule's Backoff{Initial: time.Second} keeps the Policy's Max,
// Multiplier and Jitter).
type Rule struct {
	// Class is the class matching outcomes take.
	Class Class
	// MaxAttempts replaces Policy.MaxAttempts for matching outcomes.
	MaxAttempts int
	// Backoff replaces Policy.Backoff for matching outcomes.
	Backoff Backoff
	// OpenFor is how long an account-level outcome keeps the account's
	// circuit open; 0 means the default for its code.
	OpenFor time.Duration
	// Duplicate marks what the rule matches as the server's refusal of a
	// copy of something it already holds: a client reference it knows
	// (codes 23, 43 and 63, a rejected API 2.0 reference_id) or a request
	// it received moments ago (API 2.0's 429 "Too many duplicate request
	// detected"), which are the default duplicates. Answering a resend of a
	// call whose earlier attempt may have been processed, a duplicate means
	// that attempt was accepted: a success, rewritten as AcceptedEarlierHeader
	// describes. Otherwise Class applies.
	Duplicate bool
}

// Policy defaults.
const (
	defaultMaxAttempts   = 4
	defaultInitial       = 500 * time.Millisecond
	defaultMaxInterval   = 30 * time.Second
	defaultMultiplier    = 1.5
	defaultJitter        = 0.5
	defaultMaxRetryAfter = time.Minute
	defaultBudgetRatio   = 0.1
	defaultBudgetBurst   = 10
	defaultMaxBody       = 256 << 10
	defaultMaxReqBody    = 1 << 20
)

// withDefaults returns p with every zero field set to its default.
func (p Policy) withDefaults() Policy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = defaultMaxAttempts
	}
	p.Backoff = p.Backoff.withDefaults()
	if p.MaxRetryAfter <= 0 {
		p.MaxRetryAfter = defaultMaxRetryAfter
	}
	if p.Budget.Ratio == 0 {
		p.Budget.Ratio = defaultBudgetRatio
	}
	if p.Budget.Burst <= 0 {
		p.Budget.Burst = defaultBudgetBurst
	}
	if p.MaxBodyBytes <= 0 {
		p.MaxBodyBytes = defaultMaxBody
	}
	if p.MaxRequestBodyBytes <= 0 {
		p.MaxRequestBodyBytes = defaultMaxReqBody
	}
	return p
}

func (b Backoff) withDefaults() Backoff {
	if b.Initial <= 0 {
		b.Initial = defaultInitial
	}
	if b.Max <= 0 {
		b.Max = defaultMaxInterval
	}
	if b.Max < b.Initial {
		b.Max = b.Initial
	}
	if b.Multiplier < 1 {
		b.Multiplier = defaultMultiplier
	}
	switch {
	case b.Jitter == 0:
		b.Jitter = defaultJitter
	case b.Jitter < 0:
		b.Jitter = 0
	case b.Jitter > 1:
		b.Jitter = 1
	}
	return b
}

// inherit fills b's zero fields from p, field by field.
func (b Backoff) inherit(p Backoff) Backoff {
	if b.Initial <= 0 {
		b.Initial = p.Initial
	}
	if b.Max <= 0 {
		b.Max = p.Max
	}
	if b.Multiplier == 0 {
		b.Multiplier = p.Multiplier
	}
	if b.Jitter == 0 {
		b.Jitter = p.Jitter
		if b.Jitter == 0 {
			b.Jitter = -1 // the Policy's jitter is off
		}
	}
	return b.withDefaults()
}

// newBackOff returns a fresh exponential back-off for one call: the
// generator is not safe for concurrent use, so calls never share one.
func (b Backoff) newBackOff() *backoff.ExponentialBackOff {
	bo := &backoff.ExponentialBackOff{
		InitialInterval:     b.Initial,
		RandomizationFactor: b.Jitter,
		Multiplier:          b.Multiplier,
		MaxInterval:         b.Max,
		MaxElapsedTime:      0, // the caller's context bounds the call
		Stop:                backoff.Stop,
		Clock:               backoff.SystemClock,
	}
	bo.Reset()
	return bo
}
