package resilient

import "sync"

// acctShards is the number of shards of an acctMap: enough that the
// callers of a few held accounts seldom share one.
const acctShards = 64

// acctMap maps accounts to their states: built-in maps in shards, each
// under a read-write lock. An account held costs the collector one slot of
// a map's table (its key is a number), where a sync.Map's entry, boxed key
// and trie nodes are objects it marks every cycle. The zero acctMap is
// empty and ready; it is safe for concurrent use.
type acctMap struct {
	shards [acctShards]acctShard
}

type acctShard struct {
	mu sync.RWMutex
	m  map[account]*acctState
	_  [64]byte // so that no two shards' locks share a cache line
}

// shard returns a's shard, by the top bits of a multiplied by an odd
// constant: spread whatever the accounts are (fingerprints, or the values
// a Fleet reports).
func (am *acctMap) shard(a account) *acctShard {
	return &am.shards[uint64(a)*0x9e3779b97f4a7c15>>58]
}

// load returns a's state, if any.
func (am *acctMap) load(a account) (*acctState, bool) {
	sh := am.shard(a)
	sh.mu.RLock()
	s, ok := sh.m[a]
	sh.mu.RUnlock()
	return s, ok
}

// loadOrStore returns a's state, or stores s as a's and returns it, with
// whether it was there before.
func (am *acctMap) loadOrStore(a account, s *acctState) (_ *acctState, loaded bool) {
	sh := am.shard(a)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if cur, ok := sh.m[a]; ok {
		return cur, true
	}
	if sh.m == nil {
		sh.m = make(map[account]*acctState)
	}
	sh.m[a] = s
	return s, false
}

// compareAndDelete deletes a's state if it is s, and reports whether it
// did.
func (am *acctMap) compareAndDelete(a account, s *acctState) bool {
	sh := am.shard(a)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if cur, ok := sh.m[a]; !ok || cur != s {
		return false
	}
	delete(sh.m, a)
	return true
}

// rangeAll calls f for the accounts and states of one shard after another,
// until f returns false. Each shard is read under its lock, and f is called
// after, so that f may change the map; like sync.Map's Range, it sees no
// consistent snapshot of the whole.
func (am *acctMap) rangeAll(f func(account, *acctState) bool) {
	var batch []acctEntry
	for i := range am.shards {
		sh := &am.shards[i]
		sh.mu.RLock()
		batch = batch[:0]
		for a, s := range sh.m {
			batch = append(batch, acctEntry{a, s})
		}
		sh.mu.RUnlock()
		for _, e := range batch {
			if !f(e.a, e.s) {
				return
			}
		}
	}
}

type acctEntry struct {
	a account
	s *acctState
}
