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
