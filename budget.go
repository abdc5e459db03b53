package resilient

import (
	"sync"
	"sync/atomic"
)

// budgetScale is the fixed-point scale of budget tokens.
const budgetScale = 1000

// budget is one host's retry budget: a token bucket in thousandths of a token
// that calls fill and retries drain. It is safe for concurrent use.
type budget struct {
	tokens atomic.Int64
	earn   int64 // per call
	max    int64
}

// deposit credits one call.
func (b *budget) deposit() {
	for {
		cur := b.tokens.Load()
		next := min(cur+b.earn, b.max)
		if next == cur || b.tokens.CompareAndSwap(cur, next) {
			return
		}
	}
}

// withdraw spends one retry's token, reporting false when none is left.
func (b *budget) withdraw() bool {
	for {
		cur := b.tokens.Load()
		if cur < budgetScale {
			return false
		}
		if b.tokens.CompareAndSwap(cur, cur-budgetScale) {
			return true
		}
	}
}

// budgets holds a budget per host. The number of hosts a client talks to is
// small and fixed, so entries are never evicted.
type budgets struct {
	cfg   RetryBudget
	mu    sync.RWMutex
	hosts map[string]*budget
}

// get returns host's budget, or nil when budgets are disabled.
func (bs *budgets) get(host string) *budget {
	if bs.cfg.Ratio < 0 {
		return nil
	}
	bs.mu.RLock()
	b := bs.hosts[host]
	bs.mu.RUnlock()
	if b != nil {
		return b
	}
	bs.mu.Lock()
	defer bs.mu.Unlock()
	if b = bs.hosts[host]; b == nil {
		b = &budget{earn: int64(bs.cfg.Ratio * budgetScale), max: int64(bs.cfg.Burst) * budgetScale}
		b.tokens.Store(b.max)
		if bs.hosts == nil {
			bs.hosts = map[string]*budget{}
		}
		bs.hosts[host] = b
	}
	return b
}
