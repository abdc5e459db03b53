package redisfleet

import (
	"sync"
	"time"

	"github.com/resilient-sms/resilient"
)

// memory is what a Fleet remembers per account: the newest fact it
// published or received. It orders facts (an older one never replaces a
// newer one), keeps the writes that Redis has not taken yet, and holds the
// opens in force that a restarted Redis is re-seeded with.
type memory struct {
	mu sync.Mutex
	m  map[string]*entry
}

type entry struct {
	fact    resilient.AccountFact
	own     bool      // published by this instance
	pending bool      // not yet written to Redis
	queued  bool      // its account waits in the writer's queue
	learned time.Time // when this instance took it in (its own clock)
	keep    time.Time // when it may be forgotten
	release string    // the probe lease grant its write releases; "" for none
}

func newMemory() *memory { return &memory{m: map[string]*entry{}} }

// put records f when it is newer than what is known of its account, and
// reports whether it was. pending marks a fact still to be written, and
// release the lease grant its write releases (a pending fact it replaces
// passes its own on when release is "").
func (m *memory) put(f resilient.AccountFact, own, pending bool, release string, now time.Time, closedKeep time.Duration) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.m[f.Account]
	if e != nil && !f.At.After(e.fact.At) {
		return false
	}
	keep := now.Add(closedKeep)
	if f.Open {
		keep = f.Until
	} else if e != nil && e.fact.Open && e.fact.Until.After(keep) {
		// Remember a close as long as the open it ended, so that a late
		// copy of that open is known to be stale.
		keep = e.fact.Until
	}
	queued := e != nil && e.queued
	if release == "" && pending && e != nil && e.pending {
		release = e.release
	}
	m.m[f.Account] = &entry{fact: f, own: own, pending: pending, queued: queued, learned: now, keep: keep, release: release}
	return true
}

// queue marks account's pending fact as queued and reports whether it
// needs queueing: it is pending and not queued yet.
func (m *memory) queue(account string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.m[account]
	if e == nil || !e.pending || e.queued {
		return false
	}
	e.queued = true
	return true
}

// unqueue clears the queued mark of account: the writer took it, or the
// queue had no room.
func (m *memory) unqueue(account string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e := m.m[account]; e != nil {
		e.queued = false
	}
}

// get returns a copy of the entry of account.
func (m *memory) get(account string) (entry, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.m[account]
	if e == nil {
		return entry{}, false
	}
	return *e, true
}

// written clears the pending mark of account's fact if it is still the one
// written at at.
func (m *memory) written(account string, at time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e := m.m[account]; e != nil && e.fact.At.Equal(at) {
		e.pending = false
		e.release = ""
	}
}

// pendingAccounts returns the accounts whose facts are still to be written.
func (m *memory) pendingAccounts() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for a, e := range m.m {
		if e.pending {
			out = append(out, a)
		}
	}
	return out
}

// markAllPending marks every fact still in force to be written again:
// Redis restarted empty and the fleet re-seeds it. A close counts as long as
// it is remembered, so that an open re-seeded by an instance that missed
// the close is ordered against it.
func (m *memory) markAllPending(now time.Time) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, e := range m.m {
		if (e.fact.Open && e.fact.Until.After(now)) || (!e.fact.Open && e.keep.After(now)) {
			e.pending = true
			n++
		}
	}
	return n
}

// opens returns the opens in force that other instances published: what a
// new subscriber must know of.
func (m *memory) opens(now time.Time) []resilient.AccountFact {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []resilient.AccountFact
	for _, e := range m.m {
		if !e.own && e.fact.Open && e.fact.Until.After(now) {
			out = append(out, e.fact)
		}
	}
	return out
}

// vanished returns the opens in force, taken in before since, that are
// not among present: Redis no longer holds them, so they were closed while
// this instance was not listening.
func (m *memory) vanished(present map[string]bool, since, now time.Time) []resilient.AccountFact {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []resilient.AccountFact
	for a, e := range m.m {
		if e.fact.Open && !e.pending && e.fact.Until.After(now) && e.learned.Before(since) && !present[a] {
			out = append(out, e.fact)
		}
	}
	return out
}

// prune forgets what no longer matters, pending writes included: once an
// open's time is over, Redis has let its key expire anyway.
func (m *memory) prune(now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for a, e := range m.m {
		if !e.keep.After(now) {
			delete(m.m, a)
		}
	}
}
