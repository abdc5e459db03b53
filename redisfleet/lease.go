package redisfleet

import (
	"context"
	"time"
)

// Lease asks for the right to send the one half-open probe of account
// across the fleet, for ttl: SET <prefix>lease:<account> <instance> NX PX
// ttl, in the background. granted is called exactly once: with the answer
// of Redis; with true at once when Redis is out of reach, and with true
// when Redis does not answer within the lease wait (WithLeaseWait), so that
// instances without Redis probe on their own. Within one instance, one
// caller per ttl gets true: later callers, and callers while the question is
// still with Redis, get false.
func (f *Fleet) Lease(account string, ttl time.Duration, granted func(bool)) {
	ttl = max(ttl, time.Millisecond)
	now := time.Now()
	f.leaseMu.Lock()
	if until, ok := f.leases[account]; (ok && until.After(now)) || f.inflight[account] {
		f.leaseMu.Unlock()
		f.tel.lease(false, false)
		granted(false)
		return
	}
	s := f.current()
	if f.closed || s == nil || !validAccount(account) {
		f.grantLocally(account, now, ttl, granted)
		return
	}
	select {
	case f.leaseSem <- struct{}{}:
	default:
		f.grantLocally(account, now, ttl, granted)
		return
	}
	f.inflight[account] = true
	f.wg.Add(1)
	f.leaseMu.Unlock()
	go func() {
		defer f.wg.Done()
		ctx, cancel := context.WithTimeout(f.ctx, f.o.leaseWait)
		ok, err := s.lease(ctx, f.k.lease(account), f.self, ttl)
		cancel()
		<-f.leaseSem
		local := err != nil
		ok = ok || local
		f.leaseMu.Lock()
		delete(f.inflight, account)
		if ok {
			f.leases[account] = time.Now().Add(ttl)
		}
		f.leaseMu.Unlock()
		f.tel.lease(ok, local)
		granted(ok)
	}()
}

// grantLocally grants the lease without Redis; leaseMu is held and
// released.
func (f *Fleet) grantLocally(account string, now time.Time, ttl time.Duration, granted func(bool)) {
	f.leases[account] = now.Add(ttl)
	f.leaseMu.Unlock()
	f.tel.lease(true, true)
	granted(true)
}

// pruneLeases forgets the leases whose time is over.
func (f *Fleet) pruneLeases(now time.Time) {
	f.leaseMu.Lock()
	defer f.leaseMu.Unlock()
	for a, until := range f.leases {
		if !until.After(now) {
			delete(f.leases, a)
		}
	}
}
