package resilient

import "sync/atomic"

// budgetScale is the fixed-point scale of budget tokens.
const budgetScale = 1000

// budget is one host's retry budget: a token bucket in thousandths of a token
// that calls fill and retries drain. It is safe for concurrent use and
// lock-free. A budget that was never set up (a negative Ratio) lets every
// retry through.
type budget struct {
	tokens atomic.Int64
	earn   int64 // per call
	max    int64
	off    bool
}

func (b *budget) init(cfg RetryBudget) {
	if cfg.Ratio < 0 {
		b.off = true
		return
	}
	b.earn, b.max = int64(cfg.Ratio*budgetScale), int64(cfg.Burst)*budgetScale
	b.tokens.Store(b.max)
}

// deposit credits one call.
func (b *budget) deposit() {
	for !b.off {
		cur := b.tokens.Load()
		next := min(cur+b.earn, b.max)
		if next == cur || b.tokens.CompareAndSwap(cur, next) {
			return
		}
	}
}

// withdraw spends one retry's token, reporting false when none is left.
func (b *budget) withdraw() bool {
	for !b.off {
		cur := b.tokens.Load()
		if cur < budgetScale {
			return false
		}
		if b.tokens.CompareAndSwap(cur, cur-budgetScale) {
			return true
		}
	}
	return true
}
