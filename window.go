package resilient

import (
	"sync/atomic"
	"time"
)

// windowBuckets is the number of buckets of a host circuit's window.
const windowBuckets = 10

// window counts a host's healthy and failed attempts over a rolling period
// on the Transport's clock, in windowBuckets buckets. It is lock-free: a
// bucket is one word holding the bucket's period number and its two counts,
// updated by compare-and-swap. The zero value counts nothing; set period.
type window struct {
	period  int64 // one bucket's length, in nanoseconds
	buckets [windowBuckets]atomic.Uint64
}

// A bucket word: 24 bits of period number (compared modulo 2^24), then 20
// bits each of healthy and failed counts, which saturate.
const (
	epochBits = 24
	countBits = 20
	countMax  = 1<<countBits - 1
	epochMask = 1<<epochBits - 1
)

func packBucket(epoch, ok, fail uint64) uint64 {
	return epoch&epochMask<<(2*countBits) | ok<<countBits | fail
}

func unpackBucket(w uint64) (epoch, ok, fail uint64) {
	return w >> (2 * countBits), w >> countBits & countMax, w & countMax
}

func newWindow(span time.Duration) window {
	return window{period: max(int64(span)/windowBuckets, 1)}
}

// add counts one attempt at now, a failure or not.
func (w *window) add(now time.Time, failed bool) {
	e := uint64(now.UnixNano()/w.period) & epochMask
	b := &w.buckets[e%windowBuckets]
	for {
		old := b.Load()
		be, ok, fail := unpackBucket(old)
		if be != e {
			ok, fail = 0, 0
		}
		if failed {
			fail = min(fail+1, countMax)
		} else {
			ok = min(ok+1, countMax)
		}
		if b.CompareAndSwap(old, packBucket(e, ok, fail)) {
			return
		}
	}
}

// counts returns the healthy and failed attempts of the window ending at now.
func (w *window) counts(now time.Time) (ok, fail uint64) {
	e := uint64(now.UnixNano()/w.period) & epochMask
	for i := range w.buckets {
		be, o, f := unpackBucket(w.buckets[i].Load())
		if (e-be)&epochMask < windowBuckets {
			ok, fail = ok+o, fail+f
		}
	}
	return ok, fail
}

// reset forgets every count, as a circuit does when it opens or closes.
func (w *window) reset() {
	for i := range w.buckets {
		w.buckets[i].Store(0)
	}
}
