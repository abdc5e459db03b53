package redisfleet

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/resilient-sms/resilient"
	"github.com/resilient-sms/resilient/redisfleet/redistest"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// converge is how soon after Redis returns every instance must agree.
const converge = 5 * time.Second

// hammer publishes from a goroutine until stop is closed and returns the
// longest Publish call it saw; a watchdog fails the test if the goroutine
// does not finish, which is how a blocked Publish would show.
func hammer(t *testing.T, f *Fleet, stop <-chan struct{}) func() time.Duration {
	t.Helper()
	var longest atomic.Int64
	done := make(chan struct{})
	accounts := make([]string, 16)
	for i := range accounts {
		accounts[i] = fingerprint(fmt.Sprintf("hammer-%s-%d", f.Instance(), i))
	}
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			fact := openFact(accounts[i%len(accounts)], 20*time.Second)
			start := time.Now()
			f.Publish(fact)
			if d := time.Since(start); int64(d) > longest.Load() {
				longest.Store(int64(d))
			}
			if i%64 == 63 {
				time.Sleep(time.Millisecond) // a sender's pace, not a busy loop
			}
		}
	}()
	return func() time.Duration {
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("a Publish call did not return")
		}
		return time.Duration(longest.Load())
	}
}

// leaseWithin asks for a lease and waits for the answer under a watchdog,
// returning it and how long it took.
func leaseWithin(t *testing.T, f *Fleet, account string) (bool, time.Duration) {
	t.Helper()
	got := make(chan bool, 1)
	start := time.Now()
	f.Lease(account, time.Second, func(ok bool) { got <- ok })
	select {
	case ok := <-got:
		return ok, time.Since(start)
	case <-time.After(10 * time.Second):
		t.Fatal("Lease did not answer")
		return false, 0
	}
}

// leaseUnderLoad keeps a publishing (hammer), publishes an open of the
// account named account from a, and checks that b is granted its lease
// while Redis is as during says ("while Redis is paused"). It returns the
// open and a function that stops the publishing and returns the longest
// Publish call.
func leaseUnderLoad(t *testing.T, a, b *Fleet, account, during string) (resilient.AccountFact, func() time.Duration) {
	t.Helper()
	stop := make(chan struct{})
	longest := hammer(t, a, stop)
	y := openFact(fingerprint(account), 30*time.Second)
	a.Publish(y)
	ok, took := leaseWithin(t, b, y.Account)
	if !ok {
		t.Errorf("a lease %s was denied", during)
	}
	t.Logf("lease %s answered in %v", during, took)
	return y, func() time.Duration { close(stop); return longest() }
}

// holds reports whether Redis holds fact as the fact of its account.
func holds(t testing.TB, addr, prefix string, fact resilient.AccountFact) bool {
	c := inspector(t, addr)
	v, err := do(t, c, "GET", prefix+"acct:"+fact.Account).AsBytes()
	if err != nil {
		return false
	}
	got, err := decode(v)
	return err == nil && got.At.Equal(fact.At)
}

// warnings counts the warnings logged.
type warnings struct {
	slog.Handler
	n *atomic.Int32
}

func (w warnings) Enabled(context.Context, slog.Level) bool { return true }

func (w warnings) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelWarn {
		w.n.Add(1)
	}
	return nil
}

func countingLogger() (*slog.Logger, *atomic.Int32) {
	n := &atomic.Int32{}
	return slog.New(warnings{Handler: slog.DiscardHandler, n: n}), n
}

func TestRedisKilledAndRestarted(t *testing.T) {
	srv := redistest.Start(t)
	addr, prefix := srv.Addr(), testPrefix(t)
	logA, warnA := countingLogger()
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	a := newFleet(t, addr, "a", WithLogger(logA), WithTracerProvider(tp))
	b := newFleet(t, addr, "b")
	c := newFleet(t, addr, "c")
	waitLoaded(t, a, b, c)
	ra, rb, rc := subscribe(t, a), subscribe(t, b), subscribe(t, c)
	// x comes from an instance that is gone by the restart: only those that
	// received it can re-seed it.
	p := newFleet(t, addr, "p")
	waitLoaded(t, p)
	x := openFact(fingerprint("account-x"), 30*time.Second)
	p.Publish(x)
	for _, r := range []*recorder{ra, rb, rc} {
		r.wait(t, converge, "x", isOpen(x.Account, x.At))
	}
	_ = p.Close()

	srv.Kill()
	stop := make(chan struct{})
	longest := hammer(t, a, stop)
	y := openFact(fingerprint("account-y"), 30*time.Second)
	a.Publish(y)
	eventually(t, converge, "b noticing the outage", func() bool { return !b.Stats().Connected })
	if ok, took := leaseWithin(t, b, y.Account); !ok {
		t.Error("a lease without Redis was denied")
	} else {
		t.Logf("lease without Redis answered in %v", took)
	}
	srv.Restart()
	restarted := time.Now()
	close(stop)
	t.Logf("longest Publish call during the outage: %v", longest())

	rb.wait(t, converge, "y on b", isOpen(y.Account, y.At))
	rc.wait(t, converge, "y on c", isOpen(y.Account, y.At))
	eventually(t, converge, "Redis re-seeded with x and y", func() bool {
		return holds(t, addr, prefix, x) && holds(t, addr, prefix, y)
	})
	t.Logf("converged %v after the restart", time.Since(restarted).Round(time.Millisecond))
	d := newFleet(t, addr, "d")
	rd := subscribe(t, d)
	rd.wait(t, converge, "x on a new instance", isOpen(x.Account, x.At))
	rd.wait(t, converge, "y on a new instance", isOpen(y.Account, y.At))

	for _, f := range []*Fleet{a, b, c} {
		eventually(t, converge, f.Instance()+" reconnected", func() bool { return f.Stats().Connected })
		if n := f.Stats().Disconnects; n != 1 {
			t.Errorf("%s counted %d outages, want 1", f.Instance(), n)
		}
	}
	if n := warnA.Load(); n != 1 {
		t.Errorf("a warned %d times about one outage, want once", n)
	}
	names := map[string]int{}
	for _, s := range spans.Ended() {
		names[s.Name()]++
	}
	if names["resilient.fleet.disconnected"] != 1 || names["resilient.fleet.reconnected"] != 1 {
		t.Errorf("spans %v, want one disconnected and one reconnected", names)
	}
}

func TestRedisPaused(t *testing.T) {
	srv := redistest.Start(t)
	addr, prefix := srv.Addr(), testPrefix(t)
	a, b, c := threeFleets(t, addr)
	rb, rc := subscribe(t, b), subscribe(t, c)

	srv.Pause()
	paused := time.NewTimer(5 * time.Second)
	y, stopHammer := leaseUnderLoad(t, a, b, "account-paused", "while Redis is paused")
	<-paused.C
	srv.Resume()
	resumed := time.Now()
	t.Logf("longest Publish call during the pause: %v", stopHammer())

	rb.wait(t, converge, "y on b", isOpen(y.Account, y.At))
	rc.wait(t, converge, "y on c", isOpen(y.Account, y.At))
	eventually(t, converge, "Redis holding y", func() bool { return holds(t, addr, prefix, y) })
	t.Logf("converged %v after SIGCONT", time.Since(resumed).Round(time.Millisecond))
}

func TestSlowRedis(t *testing.T) {
	srv := redistest.Start(t)
	proxy := redistest.NewProxy(t, srv.Addr())
	a := newFleet(t, proxy.Addr(), "a")
	b := newFleet(t, proxy.Addr(), "b")
	waitLoaded(t, a, b)
	rb := subscribe(t, b)

	proxy.SetDelay(300 * time.Millisecond) // 600 ms a round trip
	y, stopHammer := leaseUnderLoad(t, a, b, "account-slow", "over a slow Redis")
	rb.wait(t, converge, "y on b over a slow Redis", isOpen(y.Account, y.At))
	t.Logf("longest Publish call over a slow Redis: %v", stopHammer())
	proxy.SetDelay(0)
	z := openFact(fingerprint("account-fast-again"), 30*time.Second)
	a.Publish(z)
	rb.wait(t, converge, "z on b", isOpen(z.Account, z.At))
}

func TestRedisDownAtStart(t *testing.T) {
	srv := redistest.Start(t)
	addr := srv.Addr()
	srv.Kill()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer func() { _ = mp.Shutdown(context.Background()) }()
	a := newFleet(t, addr, "a", WithMeterProvider(mp))
	x := openFact(fingerprint("account-down-at-start"), 30*time.Second)
	a.Publish(x)
	if ok, _ := leaseWithin(t, a, x.Account); !ok {
		t.Error("a lease without Redis was denied")
	}
	eventually(t, converge, "a few failed dials", func() bool { return a.Stats().Disconnects == 1 })
	select {
	case <-a.Loaded():
		t.Fatal("Loaded closed without Redis")
	default:
	}

	srv.Restart()
	waitLoaded(t, a)
	b := newFleet(t, addr, "b")
	rb := subscribe(t, b)
	rb.wait(t, converge, "the open a learned while Redis was down", isOpen(x.Account, x.At))

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					got[m.Name] += p.Value
				}
			case metricdata.Gauge[int64]:
				for _, p := range d.DataPoints {
					got[m.Name] = p.Value
				}
			}
		}
	}
	if got["resilient.fleet.disconnects"] != 1 || got["resilient.fleet.connected"] != 1 ||
		got["resilient.fleet.facts.published"] < 1 {
		t.Errorf("metrics %v, want one outage, connected now, the fact published", got)
	}
	if n := a.Stats().Disconnects; n != 1 {
		t.Errorf("Disconnects = %d, want 1 for one outage however many dials failed", n)
	}
}
