package resilient

import (
	"math"
	"time"
)

// learner is what an in-flight limit has learned of its account's cap: the
// limit's value and the arithmetic that moves it. A limiter holds one and
// calls its methods with its mu held.
type learner struct {
	limit    float64
	max      float64       // InFlightLimit.Max; 0 for none
	gen      uint64        // bumped by every decrease
	lastCut  time.Time     // the last decrease (or the limit's start)
	hold     time.Duration // moving average of an accepted call's time in flight; 0 until one
	accepted float64       // messages accepted, decaying by e every littleSpan holds (see decay)
	acceptAt time.Time     // when accepted was last brought up to date
	starting bool          // no decrease yet: the limit doubles each round trip
	ceiling  float64       // the limit the last decrease set
	step     float64       // messages the limit grows by per round trip after the start
}

func newLearner(cfg InFlightLimit, now time.Time) learner {
	return learner{limit: float64(cfg.Initial), max: float64(cfg.Max), lastCut: now, starting: true, step: 1}
}

// grow raises the limit after call t ended accepted: by the call's weight
// while the limit is starting (it doubles each round trip), by step
// messages per round trip after, and it finds the cap again, doubling, once
// the limit is well past the last refusal. It also updates the round trip's
// moving average and the count of accepted messages.
func (a *learner) grow(t ticket, now time.Time) {
	if d := now.Sub(t.at); a.hold == 0 {
		a.hold = max(d, 1)
	} else {
		a.hold += (d - a.hold) / 8
	}
	a.decay(now)
	a.accepted += float64(t.weight)
	if a.starting {
		a.limit += float64(t.weight)
	} else {
		a.limit += a.step * float64(t.weight) / a.limit
		switch {
		case a.limit > a.ceiling*1.25+1: // well past the last refusal: the cap grew; find it again
			a.step, a.starting = 1, true
		case a.limit > a.ceiling+1:
			a.step = 1
		}
	}
	if a.max > 0 {
		a.limit = min(a.limit, a.max)
	}
}

// cut decreases the limit after a refusal to what the server holds of
// the account's messages (the refused one was one too many): the inflight
// messages, or fewer, as Little's law estimates from the messages accepted
// in about the last round trip; by a tenth at most, as one round trip's
// count is noisy, but for the first decrease, which keeps at least half of
// what the last round of doubling reached. A decrease that lands where the
// last one did finds the cap steady: the limit then probes above it more
// slowly (half as fast each time, down to a quarter of a message per round
// trip), as fast as before once it passes it, and doubles again each round
// trip once it is a quarter past it: the cap grew.
func (a *learner) cut(now time.Time, inflight int) {
	a.decay(now)
	held := min(float64(inflight), a.accepted/littleSpan)
	if a.starting {
		a.limit = max(1, held, a.limit/2) // what the last round trip of doubling took
	} else {
		a.limit = max(1, held, a.limit*0.9) // a tenth at most: one round trip's count is noisy
	}
	if !a.starting && a.limit >= a.ceiling-1 && a.limit <= a.ceiling+1 {
		a.step = max(a.step/2, 0.25)
	} else {
		a.step = 1
	}
	a.ceiling = a.limit
	a.starting = false
	a.gen++
	a.lastCut = now
}

// credit counts weight messages accepted that no ticket of the limit
// carried: a call sent before the limit began.
func (a *learner) credit(weight int) {
	a.accepted += float64(weight)
}

// decay brings the decaying count of accepted messages up to now. Over
// littleSpan round trips, divided by littleSpan, it is at a steady rate
// about the messages the server holds (Little's law).
func (a *learner) decay(now time.Time) {
	if a.hold > 0 && now.After(a.acceptAt) {
		a.accepted *= math.Exp(-float64(now.Sub(a.acceptAt)) / float64(littleSpan*a.hold))
	}
	a.acceptAt = now
}

// littleSpan is how many round trips the count of accepted messages spans.
const littleSpan = 1
