package resilient

import (
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/resilient-sms/resilient/notificoretest"
	rc "github.com/resilient-sms/resilient/resilientconv"
)

func TestConcurrentFirstFailuresOpenOnce(t *testing.T) {
	const n = 32
	var arrived sync.WaitGroup
	arrived.Add(n)
	release := make(chan struct{})
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		arrived.Done()
		<-release // every call is in flight before any answer comes
		return response(200, `{"error":8,"errorDescription":"not enough funds"}`), nil
	})
	clk := newFakeClock()
	var mu sync.Mutex
	var events []CircuitEvent
	rt := NewTransport(base, withClock(clk), WithCircuitListener(func(ev CircuitEvent) {
		mu.Lock()
		events = append(events, ev)
		mu.Unlock()
	}))
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			resp, err := rt.RoundTrip(newCall(t, http.MethodPut, "https://api.test/rest/sms/create", smsNoRef, testKey))
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
		})
	}
	arrived.Wait()
	close(release)
	wg.Wait()
	if len(events) != 1 || events[0].From != StateClosed || events[0].To != StateOpen {
		t.Fatalf("events %+v, want one closed>open", events)
	}
	_, err := rt.RoundTrip(newCall(t, http.MethodPut, "https://api.test/rest/sms/create", smsNoRef, testKey))
	var e *CircuitOpenError
	if !errors.As(err, &e) || !e.Until.Equal(events[0].Until) {
		t.Errorf("fail-fast %v, want until %v", err, events[0].Until)
	}
}

func TestFailFastsDuringAFailingProbe(t *testing.T) {
	// Run with -race: fail-fasts read the opening while the probe re-opens.
	var answering atomic.Bool
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		answering.Store(true)
		return response(200, `{"error":2}`), nil
	})
	clk := newFakeClock()
	rt := NewTransport(base, withClock(clk))
	call := func() {
		resp, err := rt.RoundTrip(newCall(t, http.MethodGet, "https://api.test/rest/common/balance", "", testKey))
		if err == nil {
			resp.Body.Close()
		} else if !errors.Is(err, ErrCircuitOpen) {
			t.Error(err)
		}
	}
	call()
	for range 20 {
		clk.Advance(defaultOpenFor[2])
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for range 20 {
					call()
				}
			})
		}
		wg.Wait()
	}
	if !answering.Load() {
		t.Fatal("no call reached the base")
	}
}

func TestCircuitOpeningDuringBackoffKeepsTheAnswer(t *testing.T) {
	srv := newServer(t)
	clk := newFakeClock()
	clk.block = true
	clk.waiting = make(chan time.Duration, 1)
	rt := newTestTransport(t, clk, WithHostCircuit(HostCircuit{MinRequests: 2}))
	srv.Script(notificoretest.Fault{Status: 500, Body: `{"error":5,"errorDescription":"unknown error"}`},
		notificoretest.Fault{Status: 500})
	type got struct {
		resp *http.Response
		err  error
	}
	done := make(chan got, 1)
	go func() {
		resp, err := send(t, rt, http.MethodPut, srv.RESTURL()+"/sms/create", smsWithRef)
		done <- got{resp, err}
	}()
	<-clk.waiting // the referenced create got its 500 and waits to resend
	// Another call's failure opens the host's circuit meanwhile.
	resp, err := sendCtx(t, t.Context(), rt, http.MethodGet, srv.RESTURL()+"/common/balance", "", "test_other")
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, resp)
	clk.Release()
	g := <-done
	if g.err != nil {
		t.Fatalf("error %v, want the last answer", g.err)
	}
	body := readAll(t, g.resp)
	out, _ := OutcomeOf(g.resp)
	if g.resp.StatusCode != 500 || body != `{"error":5,"errorDescription":"unknown error"}` || out.Code != 5 {
		t.Errorf("answer %d %s (%+v), want the 500 untouched", g.resp.StatusCode, body, out)
	}
	if srv.Requests() != 2 {
		t.Errorf("server saw %d requests, want 2", srv.Requests())
	}
}

func TestProbeOnTheRetryPath(t *testing.T) {
	srv := newServer(t)
	clk := newFakeClock()
	clk.block = true
	clk.waiting = make(chan time.Duration, 1)
	rt := newTestTransport(t, clk, WithAccountCircuit(AccountCircuit{Probe: BalanceProbe}))
	srv.Script(notificoretest.Fault{Status: 503, APIKey: testKey})
	done := make(chan error, 1)
	go func() {
		resp, err := send(t, rt, http.MethodPut, srv.RESTURL()+"/sms/create", smsNoRef)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	<-clk.waiting // 503: the create waits to resend
	// Meanwhile the account answers code 8 to another call, and the open time passes.
	srv.Script(notificoretest.Fault{Path: "/sms/reference/x", Code: 8})
	resp, err := send(t, rt, http.MethodGet, srv.RESTURL()+"/sms/reference/x", "")
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, resp)
	clk.Advance(defaultOpenFor[8])
	clk.Release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, r := range srv.Log() {
		paths = append(paths, r.Method+" "+strings.TrimPrefix(r.Path, "/rest"))
	}
	want := "PUT /sms/create, GET /sms/reference/x, GET /common/balance, PUT /sms/create"
	if got := strings.Join(paths, ", "); got != want {
		t.Errorf("server saw %s, want %s", got, want)
	}
}

func TestGaveUpBecauseTheCircuitOpened(t *testing.T) {
	rec := newRecorder(t)
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) { return response(503, ``), nil })
	rt := NewTransport(base, append(rec.options(), withClock(newFakeClock()), WithHostCircuit(HostCircuit{MinRequests: 1}))...)
	resp, err := rt.RoundTrip(newCall(t, http.MethodGet, "https://api.test/rest/common/balance", "", testKey))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 {
		t.Errorf("status %d", resp.StatusCode)
	}
	var reason string
	for _, s := range rec.spans.Ended() {
		for _, ev := range s.Events() {
			if ev.Name == rc.EventGaveUp {
				v, _ := attr(ev.Attributes, rc.ReasonKey)
				reason = v.AsString()
			}
		}
	}
	if reason != string(rc.ReasonCircuitOpen) {
		t.Errorf("gave up for %q, want circuit_open", reason)
	}
}

// TestHostStates checks that each host name has one state, whichever way
// host finds it: the one host alone, or the map once there are more.
func TestHostStates(t *testing.T) {
	cs := newCircuits(circuitConfig{}, RetryBudget{}, nil, realClock{})
	seen := map[string]*hostState{}
	steps := []struct {
		name     string
		wantOnly string // the host held alone after the step; "" for none
	}{
		{"a", "a"}, {"a", "a"}, {"b", ""}, {"a", ""}, {"b", ""}, {"c", ""}, {"a", ""},
	}
	for i, st := range steps {
		h := cs.host(st.name)
		if h == nil || h.name != st.name {
			t.Fatalf("step %d: host(%q) = %v", i, st.name, h)
		}
		if prev, ok := seen[st.name]; ok && prev != h {
			t.Fatalf("step %d: host(%q) made a second state", i, st.name)
		}
		seen[st.name] = h
		only := ""
		if o := cs.only.Load(); o != nil {
			only = o.name
		}
		if only != st.wantOnly {
			t.Fatalf("step %d: the host held alone is %q, want %q", i, only, st.wantOnly)
		}
	}
	// A name equal to the one host's but in other memory finds it too.
	cs = newCircuits(circuitConfig{}, RetryBudget{}, nil, realClock{})
	h := cs.host("api.example")
	if cs.host(strings.Clone("api.example")) != h {
		t.Fatal("an equal name in other memory found another state")
	}
}

// TestHostStatesConcurrent checks that callers racing on new hosts agree on
// one state per name.
func TestHostStatesConcurrent(t *testing.T) {
	cs := newCircuits(circuitConfig{}, RetryBudget{}, nil, realClock{})
	names := []string{"a", "b", "a", "c", "b", "a"}
	got := make([][]*hostState, 8)
	var wg sync.WaitGroup
	for g := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, n := range names {
				got[g] = append(got[g], cs.host(n))
			}
		}()
	}
	wg.Wait()
	for g := range got {
		for i := range names {
			if got[g][i] != got[0][i] || got[g][i].name != names[i] {
				t.Fatalf("caller %d, name %q: states differ", g, names[i])
			}
		}
	}
	if cs.only.Load() != nil {
		t.Fatal("the host held alone is still set with three hosts")
	}
}
