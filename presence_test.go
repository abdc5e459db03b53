package resilient

import (
	"strconv"
	"sync"
	"testing"
)

func testAccount(i int) account { return fingerprint("key", "k"+strconv.Itoa(i)) }

func TestPresenceNeverMissesAndRarelyErrs(t *testing.T) {
	for _, n := range []int{1, 64, 1000, 100_000} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			p := newPresence(n)
			for i := range n {
				p.add(testAccount(i))
			}
			for i := range n {
				if !p.has(testAccount(i)) {
					t.Fatalf("account %d added, not found", i)
				}
			}
			if p.crowded(n) {
				t.Errorf("crowded right after being sized for %d", n)
			}
			const others = 100_000
			maybe := 0
			for i := n; i < n+others; i++ {
				if p.has(testAccount(i)) {
					maybe++
				}
			}
			// 16 bits per account: about 1 in 16 of the others, never 1 in 8.
			if rate := float64(maybe) / others; rate > 1.0/8 {
				t.Errorf("%d accounts: %.3f of the others may hold state", n, rate)
			}
			if got, want := len(p.words)*64, max(1024, 16*n); got < want || got >= 2*want {
				t.Errorf("%d bits for %d accounts, want [%d, %d)", got, n, want, 2*want)
			}
		})
	}
}

func TestPresenceCrowded(t *testing.T) {
	p := newPresence(64) // 1024 bits
	cases := []struct {
		accounts, set int
		want          bool
	}{
		{64, 64, false},
		{65, 65, true},   // too small for 65
		{10, 128, false}, // an eighth set
		{10, 129, true},  // more: accounts that left
	}
	for _, tc := range cases {
		p.set = tc.set
		if got := p.crowded(tc.accounts); got != tc.want {
			t.Errorf("crowded(%d) with %d set = %v, want %v", tc.accounts, tc.set, got, tc.want)
		}
	}
}

// TestRegistryFilterHoldsEveryState churns accounts through a small bound
// from several goroutines, some opening, some forgetting, some only looking,
// and checks that every state in the registry is in its filter, and that a
// state a goroutine added is found by its next lookup unless it was dropped.
func TestRegistryFilterHoldsEveryState(t *testing.T) {
	cs := newCircuits(circuitConfig{maxCircuits: 500}, RetryBudget{}, nil, realClock{})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 3000 {
				a := testAccount(g*1_000_000 + i)
				s := cs.account(a, true)
				if got := cs.account(a, false); got != nil && got != s {
					t.Errorf("account %d: another state found", i)
				}
				if i%3 == 0 {
					cs.forget(a, s) // empty: dropped
				}
				cs.account(testAccount(-i), false) // a lookup that finds nothing
			}
		})
	}
	wg.Wait()
	p := cs.present.Load()
	n := 0
	cs.accts.rangeAll(func(a account, _ *acctState) bool {
		n++
		if !p.has(a) {
			t.Errorf("account %v in the registry, not in its filter", a)
		}
		return true
	})
	if n == 0 || n > 500 {
		t.Errorf("%d states held, bound 500", n)
	}
	if 8*p.set > len(p.words)*64 {
		t.Errorf("the filter was left crowded: %d of %d bits", p.set, len(p.words)*64)
	}
}
