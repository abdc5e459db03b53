package redisfleet

import (
	"fmt"
	"testing"
	"time"

	"github.com/resilient-sms/resilient"
	"github.com/resilient-sms/resilient/redisfleet/internal/redistest"
)

// TestResyncDeliversCloseMissed cuts one instance off while another closes
// an account: when it is back, the same Redis no longer holds the open, and
// it is told of the close.
func TestResyncDeliversCloseMissed(t *testing.T) {
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
	a.Publish(resilient.AccountFact{Account: x.Account, At: time.Now()})
	eventually(t, converge, "the close reaching Redis", func() bool { return !holds(t, srv.Addr(), testPrefix(t), x) })
	proxy.Restore()
	got := rb.wait(t, converge, "the missed close on b", isClosed(x.Account))
	if got.Instance != "" {
		t.Errorf("a close found by a resync names instance %q, want none", got.Instance)
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
