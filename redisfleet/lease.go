package redisfleet

import (
	"context"
	"strconv"
	"time"
)

// heldLease is a probe lease this instance holds.
type heldLease struct {
	until time.Time
	token string // the grant's token in Redis; "" for a grant made without Redis
}

// Lease asks for the right to send the one half-open probe of account
// across the fleet, for ttl: in the background, it sets
// <prefix>lease:<account> to a token of this grant ("<instance>#<n>") for
// ttl unless another instance holds it. Publishing the outcome of the
// probe ends the lease: a close at once, an open (the probe failed and the
// account re-opened) when that open ends, so that the next probe is not held
// up by the TTL and yet nobody probes before its time. The lease is
// re-entrant: an instance that still holds it from an earlier grant is
// granted it again.
//
// granted is called exactly once: with the answer of Redis; with true at
// once when Redis is out of reach, and with true when Redis does not answer
// within the lease wait (WithLeaseWait), so that instances without Redis
// probe on their own. Within one instance, one caller per ttl gets true:
// later callers, and callers while the question is still with Redis, get
// false, until the lease ends or is released.
func (f *Fleet) Lease(account string, ttl time.Duration, granted func(bool)) {
	ttl = max(ttl, time.Millisecond)
	now := time.Now()
	f.leaseMu.Lock()
	if l, ok := f.leases[account]; (ok && l.until.After(now)) || f.inflight[account] {
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
	f.leaseSeq++
	token := f.self + "#" + strconv.FormatUint(f.leaseSeq, 10)
	f.inflight[account] = true
	f.wg.Add(1)
	f.leaseMu.Unlock()
	go func() {
		defer f.wg.Done()
		ctx, cancel := context.WithTimeout(f.ctx, f.o.leaseWait)
		ok, err := s.lease(ctx, f.k.lease(account), token, f.self, ttl)
		cancel()
		<-f.leaseSem
		local := err != nil
		ok = ok || local
		f.leaseMu.Lock()
		delete(f.inflight, account)
		if ok {
			// A grant Redis did not confirm may still have been made: keep
			// its token, so that the release finds it.
			f.leases[account] = heldLease{until: time.Now().Add(ttl), token: token}
		}
		f.leaseMu.Unlock()
		f.tel.lease(ok, local)
		granted(ok)
	}()
}

// grantLocally grants the lease without Redis; leaseMu is held and
// released.
func (f *Fleet) grantLocally(account string, now time.Time, ttl time.Duration, granted func(bool)) {
	f.leases[account] = heldLease{until: now.Add(ttl)}
	f.leaseMu.Unlock()
	f.tel.lease(true, true)
	granted(true)
}

// heldToken returns the token of account's lease when this instance holds
// it, and whether it does.
func (f *Fleet) heldToken(account string) (string, bool) {
	f.leaseMu.Lock()
	defer f.leaseMu.Unlock()
	l, ok := f.leases[account]
	return l.token, ok
}

// dropLease forgets account's lease if it is still the grant of token:
// this instance published the probe's outcome.
func (f *Fleet) dropLease(account, token string) {
	f.leaseMu.Lock()
	defer f.leaseMu.Unlock()
	if l, ok := f.leases[account]; ok && l.token == token {
		delete(f.leases, account)
	}
}

// pruneLeases forgets the leases whose time is over.
func (f *Fleet) pruneLeases(now time.Time) {
	f.leaseMu.Lock()
	defer f.leaseMu.Unlock()
	for a, l := range f.leases {
		if !l.until.After(now) {
			delete(f.leases, a)
		}
	}
}
