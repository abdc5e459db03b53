package resilient

import (
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// A storm of concurrent 503s opens the host circuit once; answers of calls
// sent before the opening, healthy or not, arriving after it, neither close
// nor re-open it; after the open time exactly one probe goes.
func TestAdversarialHostCircuitStorm(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const n = 40
		clk := newFakeClock()
		var mode atomic.Int32 // 0: storm, 1: late healthy answers, 2: healthy
		var arrived sync.WaitGroup
		arrived.Add(n)
		release := make(chan struct{})
		var probes atomic.Int32
		probeGate := make(chan struct{})
		base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
			switch mode.Load() {
			case 0:
				arrived.Done()
				<-release
				return response(503, `{"message":"Service Unavailable"}`), nil
			case 1:
				return response(200, `{"result":{"error":0}}`), nil
			}
			probes.Add(1)
			<-probeGate
			return response(200, `{"result":{"error":0}}`), nil
		})
		var ev events
		rt := NewTransport(base, withClock(clk), WithMaxAttempts(1), WithCircuitListener(ev.add),
			WithHostCircuit(HostCircuit{MinRequests: 10, OpenFor: 10 * time.Second}))
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				resp, err := rt.RoundTrip(newCall(t, http.MethodGet, "https://api.test/rest/common/balance", "", testKey))
				if err != nil {
					t.Errorf("a storm call: %v", err)
					return
				}
				readAll(t, resp)
			})
		}
		arrived.Wait()
		close(release)
		wg.Wait()
		if got := ev.count(ScopeHost, StateOpen); got != 1 {
			t.Fatalf("host circuit opened %d times, want once (%+v)", got, ev.all)
		}
		mode.Store(1)
		for range 5 {
			if _, err := rt.RoundTrip(newCall(t, http.MethodGet, "https://api.test/rest/common/balance", "", testKey)); !errors.Is(err, ErrCircuitOpen) {
				t.Fatalf("while open: %v", err)
			}
		}
		clk.Advance(11 * time.Second)
		mode.Store(2)
		var fast atomic.Int32
		for range n {
			wg.Go(func() {
				resp, err := rt.RoundTrip(newCall(t, http.MethodGet, "https://api.test/rest/common/balance", "", testKey))
				if errors.Is(err, ErrCircuitOpen) {
					fast.Add(1)
					return
				}
				if err != nil {
					t.Error(err)
					return
				}
				readAll(t, resp)
			})
		}
		// Every call has either failed fast or is the probe, held at the gate.
		synctest.Wait()
		close(probeGate)
		wg.Wait()
		if probes.Load() != 1 || fast.Load() != n-1 {
			t.Errorf("%d probes, %d fail-fasts; want 1 and %d", probes.Load(), fast.Load(), n-1)
		}
		if ev.count(ScopeHost, StateClosed) != 1 {
			t.Errorf("events %+v, want one close", ev.all)
		}
	})
}

// Answers of calls admitted before an account circuit opened do not move it:
// a late success does not close it, a late code 8 does not re-open it.
func TestAdversarialHostCircuitLateAnswersDoNotMoveTheAccount(t *testing.T) {
	clk := newFakeClock()
	gate := make(chan struct{})
	var inFlight sync.WaitGroup
	inFlight.Add(2)
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		switch r.Header.Get("X-Role") {
		case "opener":
			return response(200, `{"error":8}`), nil
		case "late-ok":
			inFlight.Done()
			<-gate
			return response(200, `{"result":{"error":0}}`), nil
		case "late-8":
			inFlight.Done()
			<-gate
			return response(200, `{"error":8}`), nil
		}
		return response(200, `{"result":{"error":0}}`), nil
	})
	var ev events
	rt := NewTransport(base, withClock(clk), WithCircuitListener(ev.add))
	call := func(role string) (*http.Response, error) {
		req := newCall(t, http.MethodPut, "https://api.test/rest/sms/create", smsNoRef, testKey)
		req.Header.Set("X-Role", role)
		return rt.RoundTrip(req)
	}
	var wg sync.WaitGroup
	for _, role := range []string{"late-ok", "late-8"} {
		wg.Go(func() {
			if resp, err := call(role); err == nil {
				resp.Body.Close()
			}
		})
	}
	inFlight.Wait()
	resp, err := call("opener")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	close(gate)
	wg.Wait()
	if _, err := call(""); !errors.Is(err, ErrCircuitOpen) {
		t.Errorf("after the late answers: %v, want the circuit still open", err)
	}
	if ev.count(ScopeAccount, StateOpen) != 1 || ev.count(ScopeAccount, StateClosed) != 0 {
		t.Errorf("events %+v, want one opening", ev.all)
	}
}
