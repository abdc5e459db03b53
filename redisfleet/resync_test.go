package redisfleet

import (
	"fmt"
	"testing"
	"time"

	"github.com/resilient-sms/resilient"
	"github.com/resilient-sms/resilient/redisfleet/redistest"
)

// TestResyncDeliversCloseMissed cuts one instance off while another closes
// an account: when it is back, Redis holds the close, and it is told of it
// and of who made it; when the close's key has gone too (expired), it is
// told of a close with no instance, since Redis no longer holds the open.
func TestResyncDeliversCloseMissed(t *testing.T) {
	for _, expired := range []bool{false, true} {
		t.Run(fmt.Sprintf("expired=%v", expired), func(t *testing.T) {
			srv := redistest.Start(t)
			proxy := redistest.NewProxy(t, srv.Addr())
			a := newFleet(t, srv.Addr(), "a")
			b := newFleet(t, proxy.Addr(), "b")
			waitLoaded(t, a, b)
			rb := subscribe(t, b)
			x := openFact(fingerprint("account-missed-close"), 30*time.Second)
			a.Publish(x)
			rb.wait(t, converge, "x on b", isOpen(x.Account, x.At))

			proxy.Cut()
			eventually(t, converge, "b noticing the cut", func() bool { return !b.Stats().Connected })
			closed := resilient.AccountFact{Account: x.Account, At: time.Now().Truncate(time.Microsecond)}
			a.Publish(closed)
			eventually(t, converge, "the close reaching Redis", func() bool { return holds(t, srv.Addr(), testPrefix(t), closed) })
			want := "a"
			if expired {
				do(t, inspector(t, srv.Addr()), "DEL", testPrefix(t)+"acct:"+x.Account)
				want = ""
			}
			proxy.Restore()
			got := rb.wait(t, converge, "the missed close on b", isClosed(x.Account))
			if got.Instance != want {
				t.Errorf("the close found by the resync names instance %q, want %q", got.Instance, want)
			}
		})
	}
}

// TestCloseDuringRestartConverges: Redis restarts empty while an account is
// open everywhere, and an instance closes it during the outage. An instance
// that comes back only after the closer has written the close must learn
// it, even though it remembers the open and re-seeds it: the close held by
// Redis orders the re-seeded open, which is refused.
func TestCloseDuringRestartConverges(t *testing.T) {
	srv := redistest.Start(t)
	addr, prefix := srv.Addr(), testPrefix(t)
	proxy := redistest.NewProxy(t, addr)
	a := newFleet(t, addr, "a")
	c := newFleet(t, proxy.Addr(), "c")
	p := newFleet(t, addr, "p")
	waitLoaded(t, a, c, p)
	ra, rc := subscribe(t, a), subscribe(t, c)
	x := openFact(fingerprint("account-closed-in-outage"), 30*time.Second)
	p.Publish(x)
	ra.wait(t, converge, "x on a", isOpen(x.Account, x.At))
	rc.wait(t, converge, "x on c", isOpen(x.Account, x.At))
	_ = p.Close()

	proxy.Cut()
	srv.Kill()
	eventually(t, converge, "a and c noticing the outage", func() bool { return !a.Stats().Connected && !c.Stats().Connected })
	closed := resilient.AccountFact{Account: x.Account, At: time.Now().Truncate(time.Microsecond)}
	a.Publish(closed)
	srv.Restart()
	eventually(t, converge, "a writing the close to the new server", func() bool { return holds(t, addr, prefix, closed) })
	back := time.Now()
	proxy.Restore()
	got := rc.wait(t, converge, "the close on c", isClosed(x.Account))
	t.Logf("c learned the close %v after it reconnected", time.Since(back).Round(time.Millisecond))
	if got.Instance != "a" {
		t.Errorf("c was given a close by %q, want a", got.Instance)
	}
	eventually(t, converge, "c reconnected and re-seeded", func() bool { return c.Stats().Connected })
	marker := openFact(fingerprint("account-restart-marker"), 10*time.Second)
	c.Publish(marker)
	ra.wait(t, converge, "c's marker on a", isOpen(marker.Account, marker.At))
	if !holds(t, addr, prefix, closed) {
		t.Error("c's re-seeding replaced the close in Redis with the open it remembered")
	}
	for _, f := range ra.all() {
		if f.Account == x.Account && f.Open && f.At.After(closed.At) {
			t.Errorf("a was given an open after the close: %+v", f)
		}
	}
}

// TestFullQueueDropsThenSweeps floods a one-slot queue over a slow Redis:
// Publish counts the drops and returns, and the sweep writes every fact.
func TestFullQueueDropsThenSweeps(t *testing.T) {
	srv := redistest.Start(t)
	proxy := redistest.NewProxy(t, srv.Addr())
	a := newFleet(t, proxy.Addr(), "a", WithQueue(1))
	b := newFleet(t, srv.Addr(), "b")
	waitLoaded(t, a, b)
	rb := subscribe(t, b)
	proxy.SetDelay(50 * time.Millisecond)
	var facts []resilient.AccountFact
	for i := range 50 {
		f := openFact(fingerprint(fmt.Sprintf("flood-%d", i)), 30*time.Second)
		facts = append(facts, f)
		a.Publish(f)
	}
	if a.Stats().Dropped == 0 {
		t.Error("a one-slot queue took 50 facts without a drop")
	}
	for _, f := range facts {
		rb.wait(t, converge, "every flooded fact on b", isOpen(f.Account, f.At))
	}
}

// TestRefusedFactKeepsTheConnection writes a fact whose key holds another
// type: Redis refuses it, and the Fleet neither retries it nor reconnects.
func TestRefusedFactKeepsTheConnection(t *testing.T) {
	srv := redistest.Start(t)
	insp := inspector(t, srv.Addr())
	x := openFact(fingerprint("account-wrong-type"), 30*time.Second)
	do(t, insp, "HSET", testPrefix(t)+"acct:"+x.Account, "f", "v")
	a := newFleet(t, srv.Addr(), "a")
	b := newFleet(t, srv.Addr(), "b")
	waitLoaded(t, a, b)
	rb := subscribe(t, b)
	a.Publish(x)
	t.Cleanup(func() { t.Logf("final %+v", a.Stats()) })
	eventually(t, converge, "the refusal counted", func() bool { return a.Stats().Dropped >= 1 })
	y := openFact(fingerprint("account-after-refusal"), 30*time.Second)
	a.Publish(y)
	rb.wait(t, converge, "the next fact", isOpen(y.Account, y.At))
	if s := a.Stats(); s.Disconnects != 0 || !s.Connected {
		t.Errorf("a refused fact broke the connection: %+v", s)
	}
}
