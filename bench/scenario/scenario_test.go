package scenario

import (
	"testing"
	"time"

	"github.com/resilient-sms/resilient/bench"
)

// The tests run every scenario small, for correctness only: they check the
// counts, never a timing.

func TestOutageCountsAttempts(t *testing.T) {
	for _, c := range OutageClients {
		a := Outage(c, 40, 4)
		if a.Calls != 40 || a.Attempts < 1 {
			t.Errorf("%s: %+v", c.Name, a)
		}
		if c.Name == "bare" && a.Attempts != a.Calls {
			t.Errorf("bare sent %d requests for %d calls", a.Attempts, a.Calls)
		}
	}
}

func TestGoodputAccountsForEveryMessage(t *testing.T) {
	cfg := GoodputConfig{Messages: 200, Senders: 8, MaxInFlight: 4, Processing: time.Millisecond}
	for _, c := range GoodputClients[:2] {
		g := RunGoodput(c, cfg)
		if g.Accepted+g.Lost != cfg.Messages || g.Duplicates != 0 || g.Misreports != 0 {
			t.Errorf("%s: %+v", c.Name, g)
		}
	}
}

func TestCode(t *testing.T) {
	for body, want := range map[string]int{
		`{"error":11,"errorDescription":"x"}`:    11,
		`{"error":"8"}`:                          8,
		`{"result":{"error":0,"id":"1"}}`:        0,
		`{"result":{"error":21}}`:                21,
		`{"error":0,"result":{"error":"23"}}`:    23,
		`{"task_id":"1","result":[{"error":0}]}`: -1,
	} {
		got, ok := Code([]byte(body))
		if !ok {
			got = -1
		}
		if got != want {
			t.Errorf("Code(%s) = %d, want %d", body, got, want)
		}
	}
}

func TestWritesPerCallOfBare(t *testing.T) {
	tp := bench.NewTracerProvider()
	defer bench.Shutdown(tp)
	if w := WritesPerCall(bench.Variants[0], tp, 20); w != 1 {
		t.Errorf("bare: %.2f writes per call, want 1", w)
	}
}

// TestCappedAccountsForEveryMessage runs each adaptive-limit scenario small:
// every message is accounted for, none twice, and the oracle is never
// refused.
func TestCappedAccountsForEveryMessage(t *testing.T) {
	for _, sc := range Scenarios {
		load := sc.Load
		load.Changes = append([]CapChange(nil), load.Changes...)
		load.Processing = 2 * time.Millisecond
		if load.Messages > 0 {
			load.Messages = 300
		} else {
			load.Duration = 300 * time.Millisecond
			for i := range load.Changes {
				load.Changes[i].At /= 30
			}
		}
		for _, c := range sc.Clients {
			if c.Name != Oracle.Name && c.Name != Adaptive.Name && c.Name != FailsafeAdaptive.Name {
				continue
			}
			r := RunCapped(c, load)
			if r.Accepted+r.Lost != r.Messages || r.Duplicates != 0 || r.Misreports != 0 || r.Messages == 0 {
				t.Errorf("%s, %s: %d messages, %d accepted, %d lost, %d duplicates, %d misreported",
					sc.Name, c.Name, r.Messages, r.Accepted, r.Lost, r.Duplicates, r.Misreports)
			}
			if c.Oracle && (r.Refusals != 0 || r.Lost != 0) {
				t.Errorf("%s: the oracle was refused %d times, lost %d", sc.Name, r.Refusals, r.Lost)
			}
			if len(r.PerTransport) != load.transports() {
				t.Errorf("%s, %s: %d Transports counted", sc.Name, c.Name, len(r.PerTransport))
			}
			if load.SampleLimit && c.Name == Adaptive.Name && r.Refusals > 0 && len(r.Limit) == 0 {
				t.Errorf("%s: refused %d times, no limit sampled", sc.Name, r.Refusals)
			}
		}
	}
}

func TestSettleAndJain(t *testing.T) {
	ms := time.Millisecond
	r := CapRun{Load: Load{Changes: []CapChange{{0, 20}, {100 * ms, 5}}}, Elapsed: 200 * ms,
		Limit: []LimitSample{{0, 10}, {20 * ms, 19}, {30 * ms, 25}, {40 * ms, 21}, {110 * ms, 7}, {150 * ms, 6}}}
	got := r.Settling()
	if len(got) != 2 || got[0] != 40*ms || got[1] != 50*ms {
		t.Errorf("Settling = %v, want [40ms 50ms]", got)
	}
	r.Limit = append(r.Limit, LimitSample{190 * ms, 9})
	if got := r.Settling(); got[1] != -1 {
		t.Errorf("a limit that leaves the band settled after %v", got[1])
	}
	if j := (CapRun{PerTransport: []int{10, 10, 10, 10}}).Jain(); j != 1 {
		t.Errorf("Jain of equal shares = %v", j)
	}
	if j := (CapRun{PerTransport: []int{40, 0, 0, 0}}).Jain(); j != 0.25 {
		t.Errorf("Jain of one taking all = %v", j)
	}
}

func TestGateResizes(t *testing.T) {
	g := newGate(2)
	g.acquire(1)
	g.acquire(1)
	resized := make(chan struct{})
	go func() { g.resize(1); close(resized) }()
	select {
	case <-resized:
		t.Fatal("resized below what is held")
	case <-time.After(10 * time.Millisecond):
	}
	g.release(1)
	<-resized
	got := make(chan struct{})
	go func() { g.acquire(1); close(got) }()
	select {
	case <-got:
		t.Fatal("acquired past the new cap")
	case <-time.After(10 * time.Millisecond):
	}
	g.release(1)
	<-got
}

func TestRecipientsSequence(t *testing.T) {
	l := Load{Recipients: 50}
	seen := map[int]bool{}
	for i := range 1000 {
		n := l.recipients(i)
		if n < 1 || n > 50 {
			t.Fatalf("create %d: %d recipients", i, n)
		}
		seen[n] = true
	}
	if len(seen) != 50 {
		t.Errorf("%d sizes of 50 seen", len(seen))
	}
}
