package redisfleet

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/resilient-sms/resilient"
	"github.com/resilient-sms/resilient/redisfleet/redistest"
)

// The measurements behind the choice of client (see doc.go):
//
//	go test -run '^$' -bench . -benchtime 200x ./redisfleet   # propagation
//	go test -run '^$' -bench Fault -benchtime 1x ./redisfleet  # outages
//
// Each compares the same Fleet over rueidis with Pub/Sub (the one New
// uses), go-redis with Pub/Sub, and rueidis with broadcast client-side
// tracking instead of Pub/Sub.

type variant struct {
	name string
	dial func(reads *atomic.Int64) dialer
}

var variants = []variant{
	{"rueidis-pubsub", func(*atomic.Int64) dialer { return dialRueidis }},
	{"goredis-pubsub", func(*atomic.Int64) dialer { return dialGoRedis }},
	{"rueidis-tracking", dialTracking},
}

// countingSession counts the commands a session sends per fact: writes and
// leases (reads after invalidations are counted by the tracking session).
type countingSession struct {
	session
	n *atomic.Int64
}

func (s countingSession) write(ctx context.Context, ops []writeOp) []error {
	s.n.Add(int64(len(ops)))
	return s.session.write(ctx, ops)
}

func counting(d dialer, n *atomic.Int64) dialer {
	return func(ctx context.Context, cfg Config, k keys) (session, error) {
		s, err := d(ctx, cfg, k)
		if err != nil {
			return nil, err
		}
		return countingSession{s, n}, nil
	}
}

// trio starts three instances of v on addr; a publishes, b and c apply.
func trio(b *testing.B, v variant, addr string, cmds *atomic.Int64) (a *Fleet, rb, rc *recorder, fleets []*Fleet) {
	b.Helper()
	for _, name := range []string{"a", "b", "c"} {
		fleets = append(fleets, newFleet(b, addr, name, withDialer(counting(v.dial(cmds), cmds))))
	}
	waitLoaded(b, fleets...)
	return fleets[0], subscribe(b, fleets[1]), subscribe(b, fleets[2]), fleets
}

func percentile(ds []time.Duration, p float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(float64(len(s))*p+0.5) - 1
	return s[max(0, min(i, len(s)-1))]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// BenchmarkPropagation measures the time from Publish on one instance to
// apply on both others (the later of the two), one fact per iteration,
// and the commands sent per fact by the whole fleet.
func BenchmarkPropagation(b *testing.B) {
	for _, v := range variants {
		b.Run(v.name, func(b *testing.B) {
			srv := redistest.Start(b)
			var cmds atomic.Int64
			a, rb, rc, _ := trio(b, v, srv.Addr(), &cmds)
			cmds.Store(0)
			var lat []time.Duration
			for i := 0; b.Loop(); i++ {
				fact := openFact(fingerprint(fmt.Sprintf("propagation-%d", i)), 10*time.Second)
				start := time.Now()
				a.Publish(fact)
				gb := rb.wait(b, 5*time.Second, "the fact on b", isOpen(fact.Account, fact.At))
				gc := rc.wait(b, 5*time.Second, "the fact on c", isOpen(fact.Account, fact.At))
				lat = append(lat, max(appliedAt(rb, gb).Sub(start), appliedAt(rc, gc).Sub(start)))
			}
			b.StopTimer()
			b.ReportMetric(ms(percentile(lat, 0.50)), "p50-ms")
			b.ReportMetric(ms(percentile(lat, 0.99)), "p99-ms")
			b.ReportMetric(float64(cmds.Load())/float64(len(lat)), "cmds/fact")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// appliedAt returns when r was given fact.
func appliedAt(r *recorder, fact resilient.AccountFact) time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, f := range r.facts {
		if f == fact {
			return r.times[i]
		}
	}
	return time.Time{}
}

// BenchmarkFault measures, per client, how a fleet lives through Redis
// paused for 5 s and Redis killed and restarted: how long the receiving
// instance took to notice (or whether it did), and how long after Redis
// returned a fact published during the outage reached it.
func BenchmarkFault(b *testing.B) {
	for _, v := range variants {
		for _, fault := range []string{"pause", "restart"} {
			b.Run(v.name+"/"+fault, func(b *testing.B) {
				for b.Loop() {
					noticed, converged := faultRun(b, v, fault)
					b.ReportMetric(ms(noticed), "noticed-ms")
					b.ReportMetric(ms(converged), "converged-ms")
					b.ReportMetric(0, "ns/op")
				}
			})
		}
	}
}

// faultRun returns how long b took to notice the outage (-1 ms when it did
// not) and how long after Redis returned b applied the fact a published
// meanwhile.
func faultRun(b *testing.B, v variant, fault string) (noticed, converged time.Duration) {
	srv := redistest.Start(b)
	var cmds atomic.Int64
	a, rb, _, fleets := trio(b, v, srv.Addr(), &cmds)
	start := time.Now()
	if fault == "pause" {
		srv.Pause()
	} else {
		srv.Kill()
	}
	y := openFact(fingerprint("fault-"+v.name+fault), 30*time.Second)
	a.Publish(y)
	noticed = -time.Millisecond
	outage := time.NewTimer(5 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
wait:
	for {
		select {
		case <-outage.C:
			break wait
		case <-tick.C:
			if noticed < 0 && !fleets[1].Stats().Connected {
				noticed = time.Since(start)
			}
		}
	}
	tick.Stop()
	if fault == "pause" {
		srv.Resume()
	} else {
		srv.Restart()
	}
	back := time.Now()
	rb.wait(b, 30*time.Second, "the fact published during the outage", isOpen(y.Account, y.At))
	converged = time.Since(back)
	for _, f := range fleets {
		_ = f.Close()
	}
	return noticed, converged
}
