package resilient

import (
	"context"
	"sync"
	"time"

	rc "github.com/resilient-sms/resilient/resilientconv"
)

// limiter is one account's in-flight limit and the queue of the calls that
// wait for room under it. It is safe for concurrent use.
type limiter struct {
	cfg InFlightLimit

	mu sync.Mutex
	learner
	why       string // why the limit has its value: a resilientconv.Limit... value
	inflight  int    // messages admitted and not yet answered
	queue     []*waiter
	lastCode  time.Time // the last code 11
	abandoned bool      // the limit ended: its calls go unlimited
}

// waiter is a call waiting for room.
type waiter struct {
	weight  int
	refused bool          // a retry of code 11: it waits for a call to end accepted
	ready   chan struct{} // closed when room was made for it
	granted bool
}

// ticket is what an admitted call holds of its account's limit.
type ticket struct {
	l      *limiter
	weight int
	gen    uint64
	at     time.Time
}

// limitView is what the telemetry reports of a limit.
type limitView struct {
	limit  int
	why    string
	waited time.Duration
}

func newLimiter(cfg InFlightLimit, now time.Time) *limiter {
	return &limiter{cfg: cfg, learner: newLearner(cfg, now), why: rc.LimitInitial, lastCode: now}
}

// fits reports whether weight more messages may go now. Called with mu held.
func (l *limiter) fits(weight int) bool {
	return l.inflight == 0 || float64(l.inflight+weight) <= l.limit
}

// acquire admits a call of weight messages, waiting in the queue while the
// limit has no room for it. A retry of code 11 (refused > 0) goes first in
// the queue and waits for one of the account's calls in flight to end
// accepted, the room the cap refused it, or for refused at most: then it
// goes anyway, as after a back-off. It fails at once when the queue is full
// or the wait would pass ctx's deadline, and when ctx ends first.
func (l *limiter) acquire(ctx context.Context, weight int, refused time.Duration, cl clock) (ticket, limitView, error) {
	now := cl.Now()
	l.mu.Lock()
	if l.abandoned || len(l.queue) == 0 && l.fits(weight) && refused == 0 {
		t := l.admitLocked(weight, now)
		l.mu.Unlock()
		return t, limitView{}, nil
	}
	view := limitView{limit: int(l.limit), why: l.why}
	if len(l.queue) >= l.cfg.MaxQueue {
		l.mu.Unlock()
		return ticket{}, view, &Error{Reason: rc.ReasonQueueFull, Err: ErrInFlightLimit}
	}
	if dl, ok := ctx.Deadline(); ok && dl.Sub(now) < l.estimateLocked(weight) {
		l.mu.Unlock()
		return ticket{}, view, &Error{Reason: rc.ReasonDeadline, Err: ErrInFlightLimit}
	}
	w := &waiter{weight: weight, refused: refused > 0, ready: make(chan struct{})}
	var timeout <-chan time.Time
	if refused > 0 {
		var stop func() bool
		timeout, stop = cl.After(refused)
		defer stop()
		l.queue = append([]*waiter{w}, l.queue...)
	} else {
		l.queue = append(l.queue, w)
	}
	l.mu.Unlock()
	for waiting := true; waiting; {
		select {
		case <-w.ready:
			waiting = false
		case <-timeout:
			// No call ended accepted in a back-off's time: from now on any
			// room will do.
			timeout = nil
			l.mu.Lock()
			w.refused = false
			l.wakeLocked(false)
			l.mu.Unlock()
		case <-ctx.Done():
			l.mu.Lock()
			if !w.granted {
				l.removeLocked(w)
				l.mu.Unlock()
				return ticket{}, view, &Error{Reason: rc.ReasonCanceled, Err: ctx.Err()}
			}
			l.mu.Unlock()
			waiting = false
		}
	}
	at := cl.Now()
	view.waited = at.Sub(now)
	return ticket{l: l, weight: weight, gen: l.genOf(), at: at}, view, nil
}

func (l *limiter) genOf() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.gen
}

func (l *limiter) admitLocked(weight int, now time.Time) ticket {
	if l.abandoned {
		return ticket{}
	}
	l.inflight += weight
	return ticket{l: l, weight: weight, gen: l.gen, at: now}
}

// estimateLocked is how long a call of weight messages would wait for room.
func (l *limiter) estimateLocked(weight int) time.Duration {
	ahead := weight
	for _, w := range l.queue {
		ahead += w.weight
	}
	return time.Duration(float64(ahead) / l.limit * float64(l.hold))
}

func (l *limiter) removeLocked(w *waiter) {
	for i, x := range l.queue {
		if x == w {
			l.queue = append(l.queue[:i], l.queue[i+1:]...)
			return
		}
	}
}

// release ends ticket t's call, which was refused by the cap (throttled),
// accepted (accepted), or neither, and lets waiting calls in while there is
// room. It reports the limit when it changed.
func (t ticket) release(throttled, accepted bool, now time.Time) (limitView, bool) {
	l := t.l
	if l == nil {
		return limitView{}, false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.abandoned {
		return limitView{}, false
	}
	l.inflight -= t.weight
	before := int(l.limit)
	switch {
	case throttled:
		// A refusal says the limit is too high only of a call sent a round
		// trip after the last decrease: the calls in flight then were still
		// the server's.
		l.lastCode = now
		if t.gen == l.gen && l.hold > 0 && t.at.Sub(l.lastCut) >= l.hold {
			l.cut(now, l.inflight)
			l.why = rc.LimitDecreased
		}
	case accepted:
		l.grow(t, now)
		if int(l.limit) != before {
			l.why = rc.LimitIncreased
		}
	}
	l.wakeLocked(throttled)
	return limitView{limit: int(l.limit), why: l.why}, int(l.limit) != before
}

// poke tells the limit that a call of its account sent before the limit
// began, of weight messages, has ended accepted, making room at the server.
func (l *limiter) poke(weight int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.abandoned {
		l.credit(weight)
		l.wakeLocked(false)
	}
}

// wakeLocked lets waiting calls in, in order, while there is room. A
// refused call waits for room the server made: the end of a call that was
// not itself refused.
func (l *limiter) wakeLocked(throttled bool) {
	for len(l.queue) > 0 && l.fits(l.queue[0].weight) && (!l.queue[0].refused || !throttled) {
		w := l.queue[0]
		l.queue = l.queue[1:]
		l.inflight += w.weight
		w.granted = true
		close(w.ready)
	}
}

// quiet reports, and marks, a limit that has seen no code 11 for the quiet
// period and holds no queue: it ends, and its calls go unlimited.
func (l *limiter) quiet(now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.abandoned && len(l.queue) == 0 && now.Sub(l.lastCode) >= l.cfg.Quiet {
		l.abandoned, l.why = true, rc.LimitRelaxed
	}
	return l.abandoned
}
