package resilient

import (
	"sync"
	"testing"
)

// spread returns n accounts: small numbers, as a Fleet may report them,
// which the shards must spread too.
func spread(n int) []account {
	as := make([]account, n)
	for i := range as {
		as[i] = account(i + 1)
	}
	return as
}

func TestAcctMap(t *testing.T) {
	var am acctMap
	a, s, other := testAccount(1), new(acctState), new(acctState)
	if got, ok := am.load(a); ok || got != nil {
		t.Fatalf("zero map: load = %p, %v", got, ok)
	}
	steps := []struct {
		name string
		do   func() (*acctState, bool)
		want *acctState
		ok   bool
	}{
		{"store", func() (*acctState, bool) { return am.loadOrStore(a, s) }, s, false},
		{"store again keeps the first", func() (*acctState, bool) { return am.loadOrStore(a, other) }, s, true},
		{"load", func() (*acctState, bool) { return am.load(a) }, s, true},
		{"delete another state", func() (*acctState, bool) { return nil, am.compareAndDelete(a, other) }, nil, false},
		{"still there", func() (*acctState, bool) { return am.load(a) }, s, true},
		{"delete it", func() (*acctState, bool) { return nil, am.compareAndDelete(a, s) }, nil, true},
		{"gone", func() (*acctState, bool) { return am.load(a) }, nil, false},
		{"delete again", func() (*acctState, bool) { return nil, am.compareAndDelete(a, s) }, nil, false},
		{"delete a missing one as nil", func() (*acctState, bool) { return nil, am.compareAndDelete(a, nil) }, nil, false},
		{"store after delete", func() (*acctState, bool) { return am.loadOrStore(a, other) }, other, false},
	}
	for _, st := range steps {
		if got, ok := st.do(); got != st.want || ok != st.ok {
			t.Fatalf("%s: got %p, %v; want %p, %v", st.name, got, ok, st.want, st.ok)
		}
	}
}

func TestAcctMapRange(t *testing.T) {
	var am acctMap
	as := spread(1000)
	shards := map[*acctShard]bool{}
	for _, a := range as {
		am.loadOrStore(a, new(acctState))
		shards[am.shard(a)] = true
	}
	if len(shards) != acctShards {
		t.Fatalf("1000 accounts fill %d shards of %d", len(shards), acctShards)
	}
	seen := 0
	am.rangeAll(func(account, *acctState) bool { seen++; return seen < 10 })
	if seen != 10 {
		t.Errorf("a range told to stop at 10 saw %d", seen)
	}
	seen = 0
	am.rangeAll(func(a account, s *acctState) bool { // f changes the map: no deadlock
		if !am.compareAndDelete(a, s) {
			t.Errorf("could not delete %v from inside a range", a)
		}
		seen++
		return true
	})
	if seen != len(as) {
		t.Errorf("range saw %d of %d", seen, len(as))
	}
	for _, a := range as {
		if _, ok := am.load(a); ok {
			t.Fatalf("%v still held", a)
		}
	}
}

func TestAcctMapConcurrent(t *testing.T) {
	var am acctMap
	as := spread(64)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 4000 {
				a := as[(i*(g+1))%len(as)]
				s, _ := am.loadOrStore(a, new(acctState))
				if got, ok := am.load(a); ok && got == nil {
					t.Error("a held account's state is nil")
					return
				}
				if i%3 == g%3 {
					am.compareAndDelete(a, s)
				}
				if i%97 == 0 {
					am.rangeAll(func(account, *acctState) bool { return true })
				}
			}
		})
	}
	wg.Wait()
}
