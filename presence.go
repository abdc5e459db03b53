package resilient

import (
	"math/bits"
	"sync/atomic"
)

// presence is a filter of the accounts that hold state: one bit per slot,
// set for every account in the registry (and for some that have left it),
// so that a call to an account holding nothing learns so from one load
// rather than from a walk of the registry's map, whose nodes miss the caches
// once it holds many accounts. It never says no for an account in the
// registry; for others it says maybe about once in sixteen, at most once in
// eight before it is rebuilt. It holds no pointers: the collector does not
// scan it. Readers take no lock; its writer holds the registry's addMu.
type presence struct {
	words []atomic.Uint64
	shift uint // 64 - log2 of the number of bits
	set   int  // bits set, written under addMu
}

// newPresence returns an empty filter sized for n accounts: 16 bits each,
// at least 1024.
func newPresence(n int) *presence {
	nbits := uint(max(1024, 16*n))
	lg := uint(bits.Len(nbits - 1))
	return &presence{words: make([]atomic.Uint64, (1<<lg)/64), shift: 64 - lg}
}

// slot returns the word and bit of a.
func (p *presence) slot(a account) (int, uint64) {
	h := uint64(a) * 0x9e3779b97f4a7c15 >> p.shift
	return int(h >> 6), 1 << (h & 63)
}

// has reports whether a may hold state: false means it holds none.
func (p *presence) has(a account) bool {
	w, m := p.slot(a)
	return p.words[w].Load()&m != 0
}

// add sets a's bit.
func (p *presence) add(a account) {
	w, m := p.slot(a)
	if p.words[w].Load()&m == 0 {
		p.words[w].Or(m)
		p.set++
	}
}

// crowded reports whether the filter should be rebuilt for n accounts: too
// small for them, or too many bits set (of accounts that have left).
func (p *presence) crowded(n int) bool {
	nbits := len(p.words) * 64
	return 16*n > nbits || 8*p.set > nbits
}
