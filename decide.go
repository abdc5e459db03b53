package resilient

import (
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/resilient-sms/resilient/resilientconv"
)

// decision is what decide chose for one attempt's outcome.
type decision struct {
	retry  bool
	delay  time.Duration
	source string // a resilientconv.Delay... value
	reason resilientconv.Reason
	// fallback bounds a retry's wait in the queue: the back-off it replaces.
	fallback time.Duration
}

// decideInput is everything decide looks at.
type decideInput struct {
	out        *Outcome
	rule       Rule          // the effective rule of the outcome
	attempt    int           // attempts made so far, 1-based
	resendSafe bool          // the body can be replayed and a resend cannot send a message twice
	backoff    time.Duration // the back-off generator's next delay
	maxRA      time.Duration // Policy.MaxRetryAfter
	timeLeft   time.Duration // until the context's deadline; negative: none
	queue      bool          // a retry waits for room under the in-flight limit, not for a back-off
}

// decide is the pure decision step: from an attempt's outcome and the
// call's state it chooses to return or to retry after a delay.
func decide(in decideInput) decision {
	o := in.out
	switch {
	case o.Canceled:
		return decision{reason: resilientconv.ReasonCanceled}
	case o.Class == ClassSuccess && o.AcceptedEarlier:
		return decision{reason: resilientconv.ReasonAcceptedEarlier}
	case o.Class == ClassSuccess:
		return decision{reason: resilientconv.ReasonSuccess}
	case o.Local:
		return decision{reason: resilientconv.ReasonLocal}
	case o.Class == ClassPermanent:
		return decision{reason: resilientconv.ReasonPermanent}
	case o.Class == ClassAccount:
		return decision{reason: resilientconv.ReasonAccount}
	case in.attempt >= in.rule.MaxAttempts:
		return decision{reason: resilientconv.ReasonAttempts}
	case !in.resendSafe:
		return decision{reason: resilientconv.ReasonUnsafe}
	}
	d := decision{retry: true, delay: in.backoff, source: resilientconv.DelayBackoff, reason: resilientconv.ReasonTransient}
	if in.queue {
		d.delay, d.source, d.fallback = 0, resilientconv.DelayQueue, max(in.backoff, 1)
	}
	if ra := min(o.RetryAfter, in.maxRA); ra > d.delay {
		d.delay, d.source = ra, resilientconv.DelayRetryAfter
	}
	if in.timeLeft >= 0 && d.delay >= in.timeLeft {
		return decision{delay: d.delay, source: d.source, reason: resilientconv.ReasonDeadline}
	}
	return d
}

// retryDelays is a call's back-off generator, made for the rule of its
// first retry and made anew when a later retry's rule has other numbers.
type retryDelays struct {
	bo    *backoff.ExponentialBackOff
	shape Backoff
}

// next returns the next back-off delay under b.
func (r *retryDelays) next(b Backoff) time.Duration {
	if r.bo == nil || r.shape != b {
		r.bo, r.shape = b.newBackOff(), b
	}
	return r.bo.NextBackOff()
}
