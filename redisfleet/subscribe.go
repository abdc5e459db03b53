package redisfleet

import (
	"slices"
	"sync/atomic"
	"time"

	"github.com/resilient-sms/resilient"
)

type subscriber struct {
	apply   func(resilient.AccountFact)
	stopped atomic.Bool
}

// batch is what a load from Redis found.
type batch struct {
	facts   []resilient.AccountFact
	present map[string]bool // accounts Redis holds a fact of
	since   time.Time       // when the load began
	same    bool            // the server is the one of the previous session
}

// Subscribe starts delivering the facts of the other instances to apply.
// Before it returns, it gives apply every open in force that this Fleet
// knows of (every open Redis holds, once Loaded is closed), so that a
// Transport made after Loaded fails fast from its first call; then every
// newer fact as it arrives, one at a time, in the order of their At per
// account. It never delivers this instance's own facts, a fact older than
// one already delivered for the same account, or an open whose Until has
// passed. After a reconnect it delivers what changed meanwhile: the closes
// Redis holds with the instance that made them, and an open Redis no longer
// holds at all (nor the close that ended it, whose key expired) as a close
// with Instance "", since which instance closed it is not known.
//
// stop ends the delivery; a call of apply under way may still finish after
// it returns. stop may be called from apply; Subscribe may not.
func (f *Fleet) Subscribe(apply func(resilient.AccountFact)) (stop func()) {
	s := &subscriber{apply: apply}
	if f.closedFlag.Load() {
		return func() {}
	}
	f.deliverMu.Lock()
	for _, fact := range f.mem.opens(time.Now()) {
		apply(fact)
	}
	f.subMu.Lock()
	f.subs = append(f.subs, s)
	f.subMu.Unlock()
	f.deliverMu.Unlock()
	return func() {
		s.stopped.Store(true)
		f.subMu.Lock()
		f.subs = slices.DeleteFunc(f.subs, func(x *subscriber) bool { return x == s })
		f.subMu.Unlock()
	}
}

// onMessage takes a message from Redis; it never blocks the connection.
func (f *Fleet) onMessage(b []byte) {
	select {
	case f.inbox <- b:
	default:
		f.tel.factDropped(false)
		select {
		case f.resync <- struct{}{}:
		default:
		}
	}
}

// dispatch is the one goroutine that delivers facts, so that subscribers
// see them in order.
func (f *Fleet) dispatch() {
	defer f.wg.Done()
	for {
		select {
		case <-f.ctx.Done():
			return
		case b := <-f.inbox:
			if fact, err := decode(b); err == nil && fact.Instance != f.self {
				f.take(fact, time.Now())
			}
		case bt := <-f.batches:
			f.applyBatch(bt)
		}
	}
}

// take delivers fact if it is in force and newer than what is known.
func (f *Fleet) take(fact resilient.AccountFact, now time.Time) {
	if fact.Open && !fact.Until.After(now) {
		return
	}
	f.deliverMu.Lock()
	defer f.deliverMu.Unlock()
	if !f.mem.put(fact, false, false, "", now, f.o.closedKeep) {
		return
	}
	f.tel.factReceived()
	f.deliver(fact)
}

func (f *Fleet) applyBatch(bt batch) {
	now := time.Now()
	for _, fact := range bt.facts {
		if fact.Instance != f.self {
			f.take(fact, now)
		}
	}
	if bt.same {
		f.deliverMu.Lock()
		for _, open := range f.mem.vanished(bt.present, bt.since, now) {
			closed := resilient.AccountFact{Account: open.Account, At: now}
			if f.mem.put(closed, false, false, "", now, f.o.closedKeep) {
				f.deliver(closed)
			}
		}
		f.deliverMu.Unlock()
	}
	f.loadedOnce.Do(func() { close(f.loaded) })
}

// deliver gives fact to every subscriber; deliverMu is held, so that a new
// subscriber gets each fact once, either in its first opens or here.
func (f *Fleet) deliver(fact resilient.AccountFact) {
	f.subMu.Lock()
	subs := slices.Clone(f.subs)
	f.subMu.Unlock()
	for _, s := range subs {
		if !s.stopped.Load() {
			s.apply(fact)
		}
	}
}
