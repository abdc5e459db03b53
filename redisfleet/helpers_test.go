package redisfleet

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/redis/rueidis"
	"github.com/resilient-sms/resilient"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fingerprint derives an account fingerprint of the Transport's form: 16
// hexadecimal digits of a hash of the account's identity.
func fingerprint(identity string) string {
	sum := sha256.Sum256([]byte(identity))
	return hex.EncodeToString(sum[:8])
}

// newFleet starts a Fleet named name on addr, closed by the test's cleanup.
func newFleet(t testing.TB, addr, name string, opts ...Option) *Fleet {
	t.Helper()
	f, err := New(Config{Addr: addr}, append([]Option{WithInstance(name), WithPrefix(testPrefix(t))}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return f
}

// testPrefix gives each test its own keys.
func testPrefix(t testing.TB) string { return "rf-test:" + t.Name() + ":" }

// waitLoaded waits until every fleet has loaded from Redis.
func waitLoaded(t testing.TB, fleets ...*Fleet) {
	t.Helper()
	for _, f := range fleets {
		select {
		case <-f.Loaded():
		case <-time.After(5 * time.Second):
			t.Fatalf("%s did not load within 5 s", f.Instance())
		}
	}
}

// threeFleets makes Fleets a, b and c on addr, as newFleet does, and waits
// until all three have loaded.
func threeFleets(t testing.TB, addr string) (a, b, c *Fleet) {
	t.Helper()
	a, b, c = newFleet(t, addr, "a"), newFleet(t, addr, "b"), newFleet(t, addr, "c")
	waitLoaded(t, a, b, c)
	return a, b, c
}

// recorder collects the facts a subscriber is given.
type recorder struct {
	mu     sync.Mutex
	facts  []resilient.AccountFact
	times  []time.Time
	notify chan struct{}
}

func subscribe(t testing.TB, f *Fleet) *recorder {
	t.Helper()
	r := &recorder{notify: make(chan struct{}, 1)}
	stop := f.Subscribe(r.apply)
	t.Cleanup(stop)
	return r
}

func (r *recorder) apply(fact resilient.AccountFact) {
	r.mu.Lock()
	r.facts = append(r.facts, fact)
	r.times = append(r.times, time.Now())
	r.mu.Unlock()
	select {
	case r.notify <- struct{}{}:
	default:
	}
}

func (r *recorder) all() []resilient.AccountFact {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]resilient.AccountFact(nil), r.facts...)
}

// wait waits until some fact satisfies match and returns it.
func (r *recorder) wait(t testing.TB, within time.Duration, what string, match func(resilient.AccountFact) bool) resilient.AccountFact {
	t.Helper()
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	for {
		for _, f := range r.all() {
			if match(f) {
				return f
			}
		}
		select {
		case <-r.notify:
		case <-deadline.C:
			t.Fatalf("no %s within %v; got %+v", what, within, r.all())
		}
	}
}

func isOpen(account string, at time.Time) func(resilient.AccountFact) bool {
	return func(f resilient.AccountFact) bool { return f.Account == account && f.Open && f.At.Equal(at) }
}

func isClosed(account string) func(resilient.AccountFact) bool {
	return func(f resilient.AccountFact) bool { return f.Account == account && !f.Open }
}

// openFact is what a Transport publishes when code 8 opens an account.
func openFact(account string, openFor time.Duration) resilient.AccountFact {
	now := time.Now().Truncate(time.Microsecond)
	return resilient.AccountFact{Account: account, Open: true, Class: resilient.ClassAccount,
		Code: 8, StatusCode: 200, Until: now.Add(openFor), At: now}
}

// eventually polls cond until it holds, for state that has no notification
// (what Redis holds).
func eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not happen within %v", what, within)
		}
		<-tick.C
	}
}

// inspector is a plain client for looking at what Redis holds.
func inspector(t testing.TB, addr string) rueidis.Client {
	t.Helper()
	// No keep-alive PINGs of its own: they would count in the
	// measurements of what the Fleet sends.
	c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{addr}, DisableCache: true, DisableRetry: true,
		Dialer: net.Dialer{KeepAlive: -1}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func do(t testing.TB, c rueidis.Client, args ...string) rueidis.RedisResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return c.Do(ctx, c.B().Arbitrary(args...).Build())
}
