package resilient

import (
	"errors"
	"net/http"
	"strings"
	"time"
)

// ErrInFlightLimit is the errors.Is target of a call that its account's
// in-flight limit turned away before anything was sent: its queue was full,
// or the wait for room would have passed the call's deadline. The *Error's
// Reason says which.
var ErrInFlightLimit = errors.New("resilient: no room under the account's in-flight limit")

// InFlightLimit configures the adaptive in-flight limits. Code 11 says that
// an account has more messages in flight than its cap; from an account's
// first code 11 on, a limit on its messages in flight (a request counts as
// many messages as it has recipients) holds its sends (creates of API 1.0,
// sends of API 2.0; never reads) to what the cap takes. The limit doubles
// each round trip until the first code 11, then falls on a code 11 to what
// the server holds of the account's messages (by a tenth at most, once per
// round trip: refusals of sends made under the old limit do not shrink it
// again), probes above it by at most one message per round trip (slower
// while the cap stays put), never admits less than one request, and ends
// after a quiet period without code 11. Calls over the limit wait their turn
// in a queue, in order; retries of code 11 wait there for room rather than
// for a timer. An account that never answers code 11 has no limit and pays
// nothing for it. The zero value means the defaults.
type InFlightLimit struct {
	// Disabled turns the limits off: code 11 is retried after a back-off.
	Disabled bool
	// Initial is the limit, in messages, after an account's first code 11;
	// default 10.
	Initial int
	// Max caps the limit; 0 means no cap.
	Max int
	// Quiet is how long without code 11 ends an account's limit; default 1m.
	Quiet time.Duration
	// MaxQueue bounds the calls waiting for room per account; default 1000.
	// A call past it fails at once with ErrInFlightLimit.
	MaxQueue int
}

func (l InFlightLimit) withDefaults() InFlightLimit {
	if l.Initial <= 0 {
		l.Initial = 10
	}
	if l.Quiet <= 0 {
		l.Quiet = time.Minute
	}
	if l.MaxQueue <= 0 {
		l.MaxQueue = 1000
	}
	return l
}

// sendsMessages reports whether a request puts messages in flight, which
// the account's in-flight limit holds: the creates of API 1.0 (SMS, Viber,
// Number Verifier) and the sends of API 2.0 (campaigns, messages, OTP);
// never reads.
func sendsMessages(req *http.Request) bool {
	p := strings.TrimSuffix(req.URL.Path, "/")
	if strings.HasSuffix(p, "/create") {
		return strings.HasSuffix(p, "/sms/create") || strings.HasSuffix(p, "/viber/create") || strings.HasSuffix(p, "/hlr/create")
	}
	last := p[strings.LastIndexByte(p, '/')+1:]
	return strings.Contains(p, "/api/") && (strings.HasPrefix(last, "send") || last == "otp" || last == "resend")
}

// throttle reports whether an outcome is the cap's refusal: code 11, or an
// HTTP 429 that refuses no duplicate (API 2.0 has no code 11). The request
// was refused unprocessed by a healthy server.
func throttle(out *Outcome, rule Rule) bool {
	return throttled(out.Code) || out.Code == 0 && out.StatusCode == http.StatusTooManyRequests && !rule.Duplicate && !out.AcceptedEarlier
}

// limiter returns the in-flight limit of the call's account when the call
// sends messages and the account has one; a limit whose quiet period has
// passed ends here.
func (c *call) limiter() *limiter {
	cs := c.t.circuits
	if c.t.limits.Disabled || !cs.tracking() || !sendsMessages(c.req) {
		return nil
	}
	a := c.account()
	s := c.lookup().s
	if s == nil {
		return nil
	}
	l := s.limit.Load()
	if l != nil && l.quiet(c.t.clock.Now()) {
		s.limit.CompareAndSwap(l, nil)
		cs.forget(a, s)
		return nil
	}
	return l
}

// weight is the number of messages the call's request sends, at least one.
func (c *call) weight() int {
	return max(countRecipients(c.bodyBytes()), 1)
}

// take waits for room under the account's in-flight limit for the next
// attempt, and returns what it holds of the limit.
func (c *call) take() (ticket, error) {
	l := c.limiter()
	if l == nil {
		return ticket{}, nil
	}
	w := c.weight()
	t, view, err := l.acquire(c.ctx, w, c.refusedFor, c.t.clock)
	if err != nil || view.waited > 0 {
		c.t.tel.queued(c.tel, view, w, err)
	}
	return t, err
}

// settle gives back what the attempt held of the limit, with its outcome,
// and starts the account's limit on its first code 11. s is the account's
// state as the attempt's record found it.
func (c *call) settle(t ticket, s *acctState, r *result, now time.Time) {
	thr := throttle(&r.out, r.rule)
	if t.l != nil {
		if view, changed := t.release(thr, r.out.Class == ClassSuccess, now); changed {
			c.t.tel.limited(view)
		}
		return
	}
	if c.t.limits.Disabled || !thr && !c.t.circuits.tracking() || !sendsMessages(c.req) {
		return
	}
	if !thr { // a call sent before its account's limit began
		if s != nil {
			if l := s.limit.Load(); l != nil && r.out.Class == ClassSuccess {
				l.poke(c.weight())
			}
		}
		return
	}
	a := c.account()
	if s := c.t.circuits.account(a, true); s != nil && s.limit.Load() == nil {
		l := newLimiter(c.t.limits, now)
		if s.limit.CompareAndSwap(nil, l) {
			if other := c.t.circuits.pin(a, s); other != nil {
				other.adopt(s)
			}
			c.t.tel.limited(limitView{limit: int(l.limit), why: l.why})
		}
	}
}

// queueable reports whether a refused call waits in its account's queue
// for room, rather than for a back-off: the account has an in-flight limit.
func (c *call) queueable() bool {
	return c.limiter() != nil
}
