package redisfleet

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/resilient-sms/resilient/redisfleet/internal/redistest"
)

func TestLeaseOnePerFleet(t *testing.T) {
	srv := redistest.Start(t)
	// A wait longer than the default, so that a slow test machine does not
	// turn Redis's answer into a local grant: that is another test.
	wait := WithLeaseWait(5 * time.Second)
	fleets := []*Fleet{newFleet(t, srv.Addr(), "a", wait), newFleet(t, srv.Addr(), "b", wait), newFleet(t, srv.Addr(), "c", wait)}
	waitLoaded(t, fleets...)
	acct := fingerprint("account-lease")

	const perFleet = 20
	var granted, denied atomic.Int32
	var winner atomic.Value
	var answers sync.WaitGroup
	start := make(chan struct{})
	var callers sync.WaitGroup
	for _, f := range fleets {
		for range perFleet {
			callers.Add(1)
			answers.Add(1)
			go func() {
				defer callers.Done()
				<-start
				f.Lease(acct, 2*time.Second, func(ok bool) {
					if ok {
						granted.Add(1)
						winner.Store(f.Instance())
					} else {
						denied.Add(1)
					}
					answers.Done()
				})
			}()
		}
	}
	close(start)
	callers.Wait()
	waitGroup(t, &answers, 5*time.Second, "every lease answered")
	for _, f := range fleets {
		if n := f.Stats().LocalLeases; n != 0 {
			t.Errorf("%s granted %d leases without Redis while Redis was up", f.Instance(), n)
		}
	}
	if g, d := granted.Load(), denied.Load(); g != 1 || d != 3*perFleet-1 {
		t.Fatalf("granted %d, denied %d; want exactly one grant in the fleet", g, d)
	}

	insp := inspector(t, srv.Addr())
	key := testPrefix(t) + "lease:" + acct
	if v, _ := do(t, insp, "GET", key).ToString(); v != winner.Load() {
		t.Errorf("%s holds %q, want the winner %q", key, v, winner.Load())
	}
	if pttl, _ := do(t, insp, "PTTL", key).AsInt64(); pttl <= 0 || pttl > 2000 {
		t.Errorf("PTTL %s = %d, want within (0, 2000] ms", key, pttl)
	}
}

func TestLeaseWithoutRedisGrantsAtOnce(t *testing.T) {
	srv := redistest.Start(t)
	addr := srv.Addr()
	srv.Kill()
	f := newFleet(t, addr, "a")
	acct := fingerprint("account-lease-down")
	got := make(chan bool, 2)
	f.Lease(acct, time.Second, func(ok bool) { got <- ok })
	f.Lease(acct, time.Second, func(ok bool) { got <- ok })
	// Both calls answered before they returned.
	if first, second := <-got, <-got; !first || second {
		t.Fatalf("leases without Redis: %v, %v; want the first granted on its own, the second denied", first, second)
	}
	if n := f.Stats().LocalLeases; n != 1 {
		t.Errorf("LocalLeases = %d, want 1", n)
	}
}

// waitGroup waits for wg with a deadline.
func waitGroup(t testing.TB, wg *sync.WaitGroup, within time.Duration, what string) {
	t.Helper()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(within):
		t.Fatalf("%s: not within %v", what, within)
	}
}
