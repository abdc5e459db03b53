package redisfleet

import (
	"context"
	"time"

	"github.com/resilient-sms/resilient"
)

// Publish hands a fact of this instance to the others. It returns at once:
// the fact is remembered and queued for a background writer that stores it
// under <prefix>acct:<account> with a TTL that ends at its Until (a closed
// fact deletes the key) and publishes it. When the queue is full, or Redis
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
	if !f.mem.put(fact, true, true, now, f.o.closedKeep) {
		return
	}
	f.enqueue(fact.Account)
}

// enqueue queues account for the writer, or counts a drop: its fact stays
// pending in memory.
func (f *Fleet) enqueue(account string) bool {
	select {
	case f.writes <- account:
		return true
	default:
		f.tel.factDropped(true)
		return false
	}
}

func (f *Fleet) writer() {
	defer f.wg.Done()
	for {
		select {
		case <-f.ctx.Done():
			return
		case a := <-f.writes:
			if s := f.current(); s != nil {
				if err := f.writeOne(s, a); err != nil {
					f.report(s)
				}
			}
		}
	}
}

// writeOne writes the newest fact of account if it is still pending.
func (f *Fleet) writeOne(s session, account string) error {
	e, ok := f.mem.get(account)
	if !ok || !e.pending {
		return nil
	}
	var ttl time.Duration
	if e.fact.Open {
		ttl = time.Until(e.fact.Until).Truncate(time.Millisecond)
		if ttl <= 0 {
			f.mem.written(account, e.fact.At)
			return nil
		}
	}
	payload, err := encode(e.fact, e.fact.Instance)
	if err != nil {
		f.mem.written(account, e.fact.At)
		return nil
	}
	ctx, cancel := context.WithTimeout(f.ctx, f.cfg.ioTimeout())
	_, err = s.write(ctx, f.k.account(account), payload, ttl, e.fact.At.UnixMicro())
	cancel()
	if err != nil {
		return err
	}
	f.mem.written(account, e.fact.At)
	if e.own {
		f.tel.factPublished()
	}
	return nil
}
