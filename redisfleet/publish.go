package redisfleet

import (
	"context"
	"errors"
	"time"

	"github.com/resilient-sms/resilient"
)

// Publish hands a fact of this instance to the others. It returns at once:
// the fact is remembered and queued for a background writer that stores it
// under <prefix>acct:<account> with a TTL that ends at its Until (a closed
// fact, with one that ends when this instance forgets it: a minute, or the
// end of the open it closed if that is later) and publishes it. When the queue is full, or Redis
// out of reach, the fact waits in memory for the next sweep or reconnect,
// and only its newest state per account is written. A fact older than one
// already known of its account, an open whose Until has passed, and a fact
// whose Account is not a fingerprint are dropped.
func (f *Fleet) Publish(fact resilient.AccountFact) {
	if f.closedFlag.Load() {
		return
	}
	now := time.Now()
	if fact.At.IsZero() {
		fact.At = now
	}
	fact.Instance = f.self
	if !validAccount(fact.Account) || len(fact.Message) > maxMessage {
		f.tel.factDropped(true)
		return
	}
	if fact.Open && !fact.Until.After(now) {
		return
	}
	// A fact of an account whose probe lease this instance holds is the
	// probe's outcome: its write ends the lease (a close at once, an open
	// when the open ends), so that the next probe, this instance's or
	// another's, need not wait for the lease's TTL.
	token, held := f.heldToken(fact.Account)
	if !f.mem.put(fact, true, true, token, now, f.o.closedKeep) {
		return
	}
	if held {
		f.dropLease(fact.Account, token)
	}
	f.enqueue(fact.Account)
}

// enqueue queues account for the writer unless it waits there already,
// or counts a drop: its fact stays pending in memory for the next sweep.
func (f *Fleet) enqueue(account string) bool {
	if !f.mem.queue(account) {
		return true
	}
	select {
	case f.writes <- account:
		return true
	default:
		f.mem.unqueue(account)
		f.tel.factDropped(true)
		return false
	}
}

// maxBatch bounds the facts written in one round trip.
const maxBatch = 128

// writer writes what is queued, in batches of one round trip each: a slow
// Redis slows the fleet's agreement, never a Publish.
func (f *Fleet) writer() {
	defer f.wg.Done()
	accounts := make([]string, 0, maxBatch)
	for {
		select {
		case <-f.ctx.Done():
			return
		case a := <-f.writes:
			accounts = append(accounts[:0], a)
		more:
			for len(accounts) < maxBatch {
				select {
				case a := <-f.writes:
					accounts = append(accounts, a)
				default:
					break more
				}
			}
			for _, a := range accounts {
				f.mem.unqueue(a)
			}
			if s := f.current(); s != nil {
				if err := f.writePending(s, accounts); err != nil {
					f.report(s)
				}
			}
		}
	}
}

// writePending writes the newest facts of accounts that are still pending,
// in one round trip, and returns the first error.
func (f *Fleet) writePending(s session, accounts []string) error {
	ops := make([]writeOp, 0, len(accounts))
	facts := make([]entry, 0, len(accounts))
	now := time.Now()
	for _, a := range accounts {
		e, ok := f.mem.get(a)
		if !ok || !e.pending {
			continue
		}
		// An open's key ends with its open time (truncated, so that it
		// never outlives it); a close's, which orders a late or re-seeded
		// copy of the open it ended, as long as this instance remembers it.
		end := e.keep
		if e.fact.Open {
			end = e.fact.Until
		}
		ttl := end.Sub(now).Truncate(time.Millisecond)
		if ttl <= 0 {
			f.mem.written(a, e.fact.At)
			continue
		}
		payload, err := encode(e.fact, e.fact.Instance)
		if err != nil {
			f.mem.written(a, e.fact.At)
			continue
		}
		op := writeOp{key: f.k.account(a), payload: payload, ttl: ttl, at: e.fact.At.UnixMicro(),
			leaseKey: f.k.lease(a), release: e.release}
		if e.fact.Open {
			// The lease ends with the re-opening: the next probe is due then.
			op.leaseTTL = ttl
		}
		ops = append(ops, op)
		facts = append(facts, e)
	}
	if len(ops) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(f.ctx, f.cfg.ioTimeout())
	errs := s.write(ctx, ops)
	cancel()
	var first error
	for i, err := range errs {
		var rej *rejectedError
		if errors.As(err, &rej) {
			// Redis refuses this fact (a key of another type under the
			// prefix, say): trying again would not help.
			f.mem.written(facts[i].fact.Account, facts[i].fact.At)
			f.tel.factRejected(err)
			continue
		}
		if err != nil {
			if first == nil {
				first = err
			}
			continue
		}
		f.mem.written(facts[i].fact.Account, facts[i].fact.At)
		if facts[i].own {
			f.tel.factPublished()
		}
	}
	return first
}
