package redisfleet

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/rueidis"
	"github.com/resilient-sms/resilient"
	"github.com/resilient-sms/resilient/redisfleet/redistest"
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
	if v, _ := do(t, insp, "GET", key).ToString(); !strings.HasPrefix(v, winner.Load().(string)+"#") {
		t.Errorf("%s holds %q, want a grant of the winner %q", key, v, winner.Load())
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

// TestLeaseScript holds the scripts to what the lease promises: a free key
// is granted, a key of another instance is not, a key of the same instance
// is granted again with the new grant's token; a fact's write releases the
// lease only while the key still holds the grant it names.
func TestLeaseScript(t *testing.T) {
	srv := redistest.Start(t)
	prefix := testPrefix(t)
	k := keys{prefix: prefix}
	s, err := dialRueidis(context.Background(), Config{Addr: srv.Addr()}, k)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	insp := inspector(t, srv.Addr())
	acct := fingerprint("account-lease-script")
	key := k.lease(acct)
	holder := func() string { v, _ := do(t, insp, "GET", key).ToString(); return v }
	for i, step := range []struct {
		token, instance string
		want            bool
		holder          string
	}{
		{"a#1", "a", true, "a#1"},
		{"b#1", "b", false, "a#1"},
		{"a#2", "a", true, "a#2"}, // re-entrant
		{"a#2#1", "a#2", false, "a#2"},
		{"a#1#1", "a#1", false, "a#2"},
		{"a#3", "a", true, "a#3"},
	} {
		ok, err := s.lease(ctx, key, step.token, step.instance, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if ok != step.want || holder() != step.holder {
			t.Errorf("step %d: %s asks with %s: granted %v, key holds %q; want %v, %q", i, step.instance, step.token, ok, holder(), step.want, step.holder)
		}
	}
	if pttl, _ := do(t, insp, "PTTL", key).AsInt64(); pttl <= 0 || pttl > 5000 {
		t.Errorf("PTTL %s = %d, want within (0, 5000] ms", key, pttl)
	}
	do(t, insp, "SET", prefix+"lease:"+fingerprint("account-other"), "b#7")

	write := func(release string, open bool) {
		t.Helper()
		f := openFact(acct, 2*time.Second)
		f.Open = open
		payload, err := encode(f, "a")
		if err != nil {
			t.Fatal(err)
		}
		op := writeOp{key: k.account(acct), payload: payload, ttl: 2 * time.Second, at: f.At.UnixMicro(), leaseKey: key, release: release}
		if open {
			op.leaseTTL = 2 * time.Second
		}
		if errs := s.write(ctx, []writeOp{op}); errs[0] != nil {
			t.Fatal(errs[0])
		}
	}
	pttl := func() int64 { n, _ := do(t, insp, "PTTL", key).AsInt64(); return n }
	write("a#2", false) // an older grant's release: the newer grant stays
	if h := holder(); h != "a#3" {
		t.Errorf("a release of a#2 left %q, want a#3 untouched", h)
	}
	write("", false)
	if h := holder(); h != "a#3" {
		t.Errorf("a write without a release left %q, want a#3 untouched", h)
	}
	write("a#3", true) // a re-opening: the lease ends when it does
	if h, n := holder(), pttl(); h != "a#3" || n <= 0 || n > 2000 {
		t.Errorf("after a re-opening for 2 s the lease holds %q for %d ms, want a#3 for at most 2000 ms", h, n)
	}
	if ok, _ := s.lease(ctx, key, "b#1", "b", time.Second); ok {
		t.Error("b was granted the lease of an account re-opened by a's probe")
	}
	write("a#3", false) // a close: the lease ends now
	if h := holder(); h != "" {
		t.Errorf("the close left the lease holding %q, want it gone", h)
	}
	if ok, _ := s.lease(ctx, key, "b#2", "b", time.Second); !ok {
		t.Error("b was refused a released lease")
	}
}

// TestLeaseReleasedByOutcome: the instance that holds the lease publishes
// the probe's outcome, which ends the lease, in Redis and in the instance,
// rather than at the end of its TTL: a re-opening when it ends (and the
// same instance may take the lease again), a close at once.
func TestLeaseReleasedByOutcome(t *testing.T) {
	srv := redistest.Start(t)
	wait := WithLeaseWait(5 * time.Second)
	a, b := newFleet(t, srv.Addr(), "a", wait), newFleet(t, srv.Addr(), "b", wait)
	waitLoaded(t, a, b)
	insp := inspector(t, srv.Addr())
	acct := fingerprint("account-lease-release")
	key := testPrefix(t) + "lease:" + acct
	leaseFor := func(f *Fleet, ttl time.Duration) bool {
		t.Helper()
		got := make(chan bool, 1)
		f.Lease(acct, ttl, func(ok bool) { got <- ok })
		select {
		case ok := <-got:
			return ok
		case <-time.After(10 * time.Second):
			t.Fatal("Lease did not answer")
			return false
		}
	}

	if !leaseFor(a, 10*time.Second) {
		t.Fatal("a was refused a free lease")
	}
	if leaseFor(a, time.Second) || leaseFor(b, time.Second) {
		t.Fatal("a lease held by a was granted again before its outcome")
	}
	// The probe failed: a publishes the re-opening, shorter than the lease,
	// which now ends with it; b may not take it meanwhile, a may.
	a.Publish(openFact(acct, 2*time.Second))
	eventually(t, 5*time.Second, "the lease cut to the re-opening", func() bool {
		n, err := do(t, insp, "PTTL", key).AsInt64()
		return err == nil && n > 0 && n <= 2000
	})
	if leaseFor(b, time.Second) {
		t.Fatal("b was granted the lease during a's re-opening")
	}
	if !leaseFor(a, 10*time.Second) {
		t.Fatal("a was refused its next probe after its re-opening")
	}
	// The probe succeeded: the close releases the lease, and b may take it.
	a.Publish(resilient.AccountFact{Account: acct, At: time.Now()})
	eventually(t, 5*time.Second, "the lease's release by the close", func() bool {
		return rueidis.IsRedisNil(do(t, insp, "GET", key).Error())
	})
	if !leaseFor(b, time.Second) {
		t.Fatal("b was refused a released lease")
	}
	// A fact of a's does not release b's lease.
	a.Publish(openFact(acct, time.Second))
	marker := openFact(fingerprint("account-lease-marker"), time.Second)
	a.Publish(marker)
	eventually(t, 5*time.Second, "the marker in Redis", func() bool { return holds(t, srv.Addr(), testPrefix(t), marker) })
	if v, _ := do(t, insp, "GET", key).ToString(); !strings.HasPrefix(v, "b#") {
		t.Errorf("after a's fact the lease holds %q, want b's grant", v)
	}
	if n := a.Stats().LocalLeases + b.Stats().LocalLeases; n != 0 {
		t.Errorf("%d leases granted without Redis while Redis was up", n)
	}
}
