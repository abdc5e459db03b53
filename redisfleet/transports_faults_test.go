package redisfleet

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/resilient-sms/resilient/notificoretest"
	"github.com/resilient-sms/resilient/redisfleet/redistest"
)

// The faults of Redis under real Transports: killed and restarted, paused
// for 5 s, slow. Callers send real messages all along; no call may wait on
// Redis, no message may be lost or sent twice, and the fleet must agree
// again within 5 s of Redis returning. The tests assert watchdogs only; the
// figures (latencies before, during and after the fault, convergence) are
// logged, and BenchmarkTransportFaults reports them.

// callWatchdog is the longest a call may take while Redis misbehaves: far
// above any call's latency, far below what waiting on Redis would cost (the
// 2 s I/O timeout, or the 5 s pause).
const callWatchdog = time.Second

// latencies summarises call durations.
type latencies struct {
	n             int
	p50, p99, max time.Duration
}

func summarise(ds []time.Duration) latencies {
	if len(ds) == 0 {
		return latencies{}
	}
	return latencies{n: len(ds), p50: percentile(ds, 0.50), p99: percentile(ds, 0.99), max: slices.Max(ds)}
}

func (l latencies) String() string {
	return fmt.Sprintf("%d calls, p50 %v, p99 %v, max %v", l.n, l.p50.Round(time.Microsecond), l.p99.Round(time.Microsecond), l.max.Round(time.Microsecond))
}

// faultFigures is what one run of a fault measured.
type faultFigures struct {
	before, during, after latencies // the calls that reached the server, by when they began
	failFast              latencies // the calls of the probing accounts, fail-fasts and probes
	openSeen              time.Duration
	converged             time.Duration // from Redis back to b and c applying a's open
	heard                 time.Duration // from Redis back to every instance hearing every other's re-opening
	accepted, calls       int
	localLeases           uint64
}

func (f faultFigures) String() string {
	return fmt.Sprintf("before: %v\nduring: %v\nafter:  %v\nprobing accounts: %v\n"+
		"a's code 2 reached b and c %v after a's call, %v after Redis was back; every re-opening heard %v after; "+
		"%d of %d calls accepted, %d leases granted without Redis",
		f.before, f.during, f.after, f.failFast, f.openSeen.Round(time.Millisecond), f.converged.Round(time.Millisecond),
		f.heard.Round(time.Millisecond), f.accepted, f.calls, f.localLeases)
}

// runFault runs three instances through one fault of Redis: "kill" (killed,
// restarted empty 2 s later), "pause" (SIGSTOP for 5 s), "slow" (300 ms
// each way for 3 s) or "none" (3 s of nothing, the control). Callers send
// through every instance all along, 4 per instance with an account in funds
// and one per instance with an account of its own out of funds (whose
// circuit probes every 300 ms, asking for the lease). Early in the fault,
// a's call for a blocked account gets code 2.
func runFault(tb testing.TB, fault string) faultFigures {
	tb.Helper()
	rds := redistest.Start(tb)
	addr := rds.Addr()
	var proxy *redistest.Proxy
	if fault == "slow" {
		proxy = redistest.NewProxy(tb, addr)
		addr = proxy.Addr()
	}
	srv := notificoretest.Start(tb)
	const blockedKey = "live_blocked_5e6f708192a3b4c5"
	srv.SetBlocked(blockedKey, true)
	var members []*member
	for _, name := range []string{"a", "b", "c"} {
		members = append(members, newMember(tb, newFleet(tb, addr, name), 300*time.Millisecond))
		srv.SetBalance("live_low_"+name, 0)
	}
	a, b, c := members[0], members[1], members[2]
	waitLoaded(tb, fleetsOf(members)...)

	ok := startCrowd(srv, okKey, 4, members...)
	var probing []*crowd
	for _, m := range members {
		probing = append(probing, startCrowd(srv, "live_low_"+m.name, 1, m))
	}
	// The phases of the run last fixed times, while the calls go on.
	phase := func(d time.Duration) time.Time {
		<-time.After(d)
		return time.Now()
	}
	faultAt := phase(time.Second)
	outage := map[string]time.Duration{"kill": 2 * time.Second, "pause": 5 * time.Second, "slow": 3 * time.Second, "none": 3 * time.Second}[fault]
	switch fault {
	case "kill":
		rds.Kill()
	case "pause":
		rds.Pause()
	case "slow":
		proxy.SetDelay(300 * time.Millisecond)
	}
	openedAt := time.Now()
	if r := a.send(tb.Context(), srv, blockedKey, "blocked1"); r.code != 2 {
		tb.Fatalf("a's call for the blocked account: %v, want code 2", r)
	}
	backAt := phase(outage - time.Since(faultAt))
	switch fault {
	case "kill":
		rds.Restart()
	case "pause":
		rds.Resume()
	case "slow":
		proxy.SetDelay(0)
	}
	var fig faultFigures
	var seen time.Time
	for _, m := range []*member{b, c} {
		ev := m.events.wait(tb, converge+outage, "a's code 2 on "+m.name, openedAt, opened("a", 2))
		seen = later(seen, ev.seen)
	}
	fig.openSeen, fig.converged = seen.Sub(openedAt), max(0, seen.Sub(backAt))
	for _, m := range members {
		for _, o := range members {
			if o != m {
				ev := m.events.wait(tb, converge, o.name+"'s re-opening on "+m.name, backAt, opened(o.name, 8))
				fig.heard = max(fig.heard, ev.seen.Sub(backAt))
			}
		}
	}
	endAt := phase(time.Second)
	replies := ok.stop(tb)
	var before, during, after, ff []time.Duration
	for _, r := range replies {
		if r.err != nil || r.failFast != nil {
			tb.Errorf("a call for an account in funds: %v", r)
			continue
		}
		switch {
		case r.at.Before(faultAt):
			before = append(before, r.took)
		case r.at.Before(backAt):
			during = append(during, r.took)
		case r.at.Before(endAt):
			after = append(after, r.took)
		}
	}
	fig.before, fig.during, fig.after = summarise(before), summarise(during), summarise(after)
	fig.calls = len(replies)
	fig.accepted = checkMessages(tb, srv, okKey, replies)
	for i, p := range probing {
		rs := p.stop(tb)
		for _, r := range rs {
			if r.err != nil || (r.failFast == nil && r.code != 8) {
				tb.Errorf("a call for an account out of funds: %v", r)
			}
			ff = append(ff, r.took)
		}
		fig.calls += len(rs)
		checkMessages(tb, srv, "live_low_"+members[i].name, rs)
	}
	fig.failFast = summarise(ff)
	for _, m := range members {
		fig.localLeases += m.fleet.Stats().LocalLeases
	}
	// b and c fail fast on the blocked account without a request.
	before2 := srv.Requests()
	for _, m := range []*member{b, c} {
		if r := m.send(tb.Context(), srv, blockedKey, "blocked"+m.name); r.failFast == nil || r.failFast.Code != 2 {
			tb.Errorf("%s's call for the blocked account: %v, want a fail-fast on a's code 2", m.name, r)
		}
	}
	if n := srv.Requests() - before2; n != 0 {
		tb.Errorf("b and c sent %d requests for the account a found blocked", n)
	}
	return fig
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func TestTransportsThroughRedisFaults(t *testing.T) {
	for _, fault := range []string{"kill", "pause", "slow"} {
		t.Run(fault, func(t *testing.T) {
			fig := runFault(t, fault)
			t.Logf("Redis %s:\n%v", fault, fig)
			for phase, l := range map[string]latencies{"before": fig.before, "during": fig.during, "after": fig.after, "probing": fig.failFast} {
				if l.max > callWatchdog {
					t.Errorf("a call %s the fault took %v: it waited on Redis", phase, l.max)
				}
				if l.n == 0 {
					t.Errorf("no calls %s the fault", phase)
				}
			}
			if fig.converged > converge {
				t.Errorf("the fleet agreed %v after Redis was back, want within %v", fig.converged, converge)
			}
		})
	}
}

// BenchmarkTransportFaults measures calls through three instances before,
// during and after each fault of Redis, and how soon after Redis is back the
// fleet agrees again; "none" is the same run without a fault, to read the
// others against:
//
//	go test -run '^$' -bench TransportFaults -benchtime 1x ./redisfleet
func BenchmarkTransportFaults(b *testing.B) {
	for _, fault := range []string{"none", "kill", "pause", "slow"} {
		b.Run(fault, func(b *testing.B) {
			for b.Loop() {
				fig := runFault(b, fault)
				b.ReportMetric(ms(fig.before.p99), "before-p99-ms")
				b.ReportMetric(ms(fig.during.p50), "during-p50-ms")
				b.ReportMetric(ms(fig.during.p99), "during-p99-ms")
				b.ReportMetric(ms(fig.during.max), "during-max-ms")
				b.ReportMetric(ms(fig.after.p99), "after-p99-ms")
				b.ReportMetric(ms(fig.failFast.max), "probing-max-ms")
				b.ReportMetric(ms(fig.converged), "converged-ms")
				b.ReportMetric(ms(fig.heard), "heard-ms")
				b.ReportMetric(0, "ns/op")
			}
		})
	}
}
