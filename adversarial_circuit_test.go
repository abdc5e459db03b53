package resilient

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// events collects circuit events safely.
type events struct {
	mu  sync.Mutex
	all []CircuitEvent
}

func (e *events) add(ev CircuitEvent) { e.mu.Lock(); e.all = append(e.all, ev); e.mu.Unlock() }

func (e *events) count(sc Scope, to CircuitState) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, ev := range e.all {
		if ev.Scope == sc && ev.To == to {
			n++
		}
	}
	return n
}

func TestAdversarialCircuitConcurrentFirstFailures(t *testing.T) {
	const n = 40
	var arrived sync.WaitGroup
	arrived.Add(n)
	release := make(chan struct{})
	var sent atomic.Int32
	base := roundTripFunc(func(*http.Request) (*http.Response, error) {
		sent.Add(1)
		arrived.Done()
		<-release
		return response(200, `{"error":8,"errorDescription":"not enough funds"}`), nil
	})
	var ev events
	rt := NewTransport(base, withClock(newFakeClock()), WithCircuitListener(ev.add))
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			resp, err := rt.RoundTrip(newCall(t, http.MethodPut, "https://api.test/rest/sms/create", smsNoRef, testKey))
			if err != nil {
				errs <- err
				return
			}
			if out, _ := OutcomeOf(resp); out.Code != 8 {
				errs <- errors.New("lost the code-8 answer")
			}
			readAll(t, resp)
		})
	}
	arrived.Wait()
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := ev.count(ScopeAccount, StateOpen); got != 1 {
		t.Errorf("account circuit opened %d times, want once", got)
	}
	if _, err := rt.RoundTrip(newCall(t, http.MethodPut, "https://api.test/rest/sms/create", smsNoRef, testKey)); !errors.Is(err, ErrCircuitOpen) {
		t.Errorf("after the opening: %v, want a fail-fast", err)
	}
	if sent.Load() != n {
		t.Errorf("%d sends, want %d", sent.Load(), n)
	}
}

func TestAdversarialCircuitNeutralOutcomesNeverOpen(t *testing.T) {
	for _, tt := range []struct {
		name string
		base roundTripFunc
		ctx  func() (context.Context, context.CancelFunc)
	}{
		{"code 11", func(*http.Request) (*http.Response, error) { return response(200, `{"error":11}`), nil }, nil},
		{"code 11 as a padded string", func(*http.Request) (*http.Response, error) { return response(200, `{"error":" 11 "}`), nil }, nil},
		{"code 11 in a wrapped result", func(*http.Request) (*http.Response, error) {
			return response(200, `{"result":{"error":11}}`), nil
		}, nil},
		{"code 11 for every recipient", func(*http.Request) (*http.Response, error) {
			return response(200, `{"result":[{"error":11},{"error":"11"}]}`), nil
		}, nil},
		{"code 11 in an HTTP 503", func(*http.Request) (*http.Response, error) { return response(503, `{"error":11}`), nil }, nil},
		{"permanent answers", func(*http.Request) (*http.Response, error) { return response(404, `<html>`), nil }, nil},
		{"cancellation in flight", func(r *http.Request) (*http.Response, error) {
			<-r.Context().Done()
			return nil, r.Context().Err()
		}, func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), time.Millisecond)
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var ev events
			rt := NewTransport(tt.base, withClock(newFakeClock()), WithMaxAttempts(1),
				WithHostCircuit(HostCircuit{MinRequests: 5, FailureRatio: 0.2}), WithCircuitListener(ev.add))
			for range 30 {
				req := newCall(t, http.MethodPut, "https://api.test/rest/sms/create", smsNoRef, testKey)
				if tt.ctx != nil {
					ctx, cancel := tt.ctx()
					req = req.WithContext(ctx)
					defer cancel()
				}
				resp, err := rt.RoundTrip(req)
				if errors.Is(err, ErrCircuitOpen) {
					t.Fatal("a circuit opened")
				}
				if resp != nil {
					resp.Body.Close()
				}
			}
			if len(ev.all) != 0 {
				t.Errorf("circuit events %+v", ev.all)
			}
		})
	}
}

// openAccount returns a Transport whose account circuit for testKey is open
// after a code 8, over base, which answers code 8 on the first call.
func openAccount(t *testing.T, clk *fakeClock, base roundTripFunc) *Transport {
	t.Helper()
	var first atomic.Bool
	rt := NewTransport(roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if first.CompareAndSwap(false, true) {
			return response(200, `{"error":8}`), nil
		}
		return base(r)
	}), withClock(clk), WithMaxAttempts(1))
	resp, err := rt.RoundTrip(newCall(t, http.MethodPut, "https://api.test/rest/sms/create", smsNoRef, testKey))
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, resp)
	return rt
}

func TestAdversarialCircuitProbeSlotIsFreedByEveryEnding(t *testing.T) {
	for _, tt := range []struct {
		name string
		base roundTripFunc
	}{
		{"canceled probe", func(r *http.Request) (*http.Response, error) {
			<-r.Context().Done()
			return nil, r.Context().Err()
		}},
		{"throttled probe", func(*http.Request) (*http.Response, error) { return response(200, `{"error":11}`), nil }},
		{"transient probe", func(*http.Request) (*http.Response, error) { return response(503, ``), nil }},
		{"probe refused locally", func(r *http.Request) (*http.Response, error) {
			return nil, errors.New("net/http: invalid header field value")
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			clk := newFakeClock()
			var healthy atomic.Bool
			rt := openAccount(t, clk, func(r *http.Request) (*http.Response, error) {
				if healthy.Load() {
					return response(200, `{"result":{"error":0}}`), nil
				}
				return tt.base(r)
			})
			clk.Advance(2 * time.Minute)
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Millisecond)
			defer cancel()
			req := newCall(t, http.MethodPut, "https://api.test/rest/sms/create", smsNoRef, testKey).WithContext(ctx)
			if tt.name == "probe refused locally" {
				req.Header.Set("X-Bad", "a\x00b")
			}
			if resp, err := rt.RoundTrip(req); err == nil {
				resp.Body.Close()
			} else if errors.Is(err, ErrCircuitOpen) {
				t.Fatalf("the probe itself failed fast: %v", err)
			}
			healthy.Store(true)
			resp, err := rt.RoundTrip(newCall(t, http.MethodPut, "https://api.test/rest/sms/create", smsNoRef, testKey))
			if err != nil {
				t.Fatalf("the next call after the probe ended: %v", err)
			}
			readAll(t, resp)
		})
	}
}

func TestAdversarialCircuitHalfOpenLetsOneThrough(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clk := newFakeClock()
		var inBase atomic.Int32
		gate := make(chan struct{})
		rt := openAccount(t, clk, func(*http.Request) (*http.Response, error) {
			inBase.Add(1)
			<-gate
			return response(200, `{"result":{"error":0}}`), nil
		})
		clk.Advance(2 * time.Minute)
		const n = 30
		var wg sync.WaitGroup
		var fast atomic.Int32
		for range n {
			wg.Go(func() {
				resp, err := rt.RoundTrip(newCall(t, http.MethodPut, "https://api.test/rest/sms/create", smsNoRef, testKey))
				var coe *CircuitOpenError
				if errors.As(err, &coe) {
					fast.Add(1)
					return
				}
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
			})
		}
		// Every call has either failed fast or is the probe, held at the gate.
		synctest.Wait()
		close(gate)
		wg.Wait()
		if inBase.Load() != 1 || fast.Load() != n-1 {
			t.Errorf("%d probes reached the base, %d failed fast; want 1 and %d", inBase.Load(), fast.Load(), n-1)
		}
	})
}
