package resilient

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/resilient-sms/resilient/notificoretest"
)

func TestAccountCircuit(t *testing.T) {
	const other = "test_other"
	srv := newServer(t, notificoretest.WithBalance(testKey, 0), notificoretest.WithKey(other))
	clk := newFakeClock()
	var events []CircuitEvent
	rt := newTestTransport(t, clk, WithCircuitListener(func(ev CircuitEvent) { events = append(events, ev) }))
	create := srv.RESTURL() + "/sms/create"

	// Code 8 opens the account's circuit.
	resp, err := send(t, rt, http.MethodPut, create, smsNoRef)
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, resp)
	if out, _ := OutcomeOf(resp); out.Code != 8 || out.Class != ClassAccount {
		t.Fatalf("first call: outcome %+v, want code 8", out)
	}
	// The next 1000 calls of the account fail fast without reaching the server.
	for i := range 1000 {
		resp, err := send(t, rt, http.MethodPut, create, smsNoRef)
		if resp != nil {
			resp.Body.Close()
			t.Fatalf("call %d got a response", i)
		}
		var coe *CircuitOpenError
		if !errors.Is(err, ErrCircuitOpen) || !errors.As(err, &coe) {
			t.Fatalf("call %d: error %v, want ErrCircuitOpen", i, err)
		}
		if coe.Scope != ScopeAccount || coe.Code != 8 || !coe.Until.Equal(clk.Now().Add(defaultOpenFor[8])) {
			t.Fatalf("call %d: %+v", i, coe)
		}
		var ue *url.Error
		if !errors.As(err, &ue) || coe.ErrorType() != "circuit_open" || !strings.Contains(err.Error(), "code 8: not enough funds") {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if srv.Requests() != 1 {
		t.Fatalf("server saw %d requests, want 1", srv.Requests())
	}
	// Another key on the same host still goes through.
	resp, err = sendCtx(t, context.Background(), rt, http.MethodPut, create, smsNoRef, other)
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, resp)
	if srv.Requests() != 2 || srv.Accepted() != 1 {
		t.Fatalf("other key: %d requests, %d accepted", srv.Requests(), srv.Accepted())
	}

	// After the open time one probe goes through; it fails (still no funds)
	// and re-opens the circuit.
	clk.Advance(defaultOpenFor[8])
	resp, err = send(t, rt, http.MethodPut, create, smsNoRef)
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, resp)
	if srv.Requests() != 3 {
		t.Fatalf("probe: %d requests, want 3", srv.Requests())
	}
	if _, err := send(t, rt, http.MethodPut, create, smsNoRef); !errors.Is(err, ErrCircuitOpen) {
		t.Fatalf("after failed probe: %v, want fail fast", err)
	}

	// Funds arrive; the next probe succeeds and closes the circuit.
	srv.SetBalance(testKey, 10)
	clk.Advance(defaultOpenFor[8])
	for i := range 3 {
		resp, err := send(t, rt, http.MethodPut, create, smsNoRef)
		if err != nil {
			t.Fatalf("call %d after recovery: %v", i, err)
		}
		readAll(t, resp)
	}
	if srv.Accepted() != 4 {
		t.Errorf("accepted %d, want 4", srv.Accepted())
	}
	var got []string
	for _, ev := range events {
		got = append(got, ev.From.String()+">"+ev.To.String())
	}
	want := "closed>open open>half-open half-open>open open>half-open half-open>closed"
	if g := strings.Join(got, " "); g != want {
		t.Errorf("events %q, want %q", g, want)
	}
}

func TestAccountOpenTimes(t *testing.T) {
	tests := []struct {
		name  string
		opts  []Option
		fault notificoretest.Fault
		want  time.Duration
	}{
		{"blocked", nil, notificoretest.Fault{Code: 2}, defaultOpenFor[2]},
		{"funds", nil, notificoretest.Fault{Code: 8}, defaultOpenFor[8]},
		{"rule", []Option{WithCodeRule(8, Rule{Class: ClassAccount, OpenFor: time.Hour})}, notificoretest.Fault{Code: 8}, time.Hour},
		{"api2 message", nil, notificoretest.Fault{Status: 402, Shape: notificoretest.ShapeAPI2, Description: "Unavailable for your account status"}, time.Minute},
		{"account default", []Option{WithAccountCircuit(AccountCircuit{OpenFor: 3 * time.Minute})}, notificoretest.Fault{Status: 402}, 3 * time.Minute},
		{"custom message", []Option{WithMessageRule("Tariff not found", Rule{Class: ClassAccount, OpenFor: 7 * time.Minute})},
			notificoretest.Fault{Status: 400, Shape: notificoretest.ShapeAPI2, Description: "Tariff not found"}, 7 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			srv.Script(tt.fault)
			clk := newFakeClock()
			rt := newTestTransport(t, clk, tt.opts...)
			resp, err := send(t, rt, http.MethodPost, srv.RESTURL()+"/sms/create", smsNoRef)
			if err != nil {
				t.Fatal(err)
			}
			readAll(t, resp)
			_, err = send(t, rt, http.MethodPost, srv.RESTURL()+"/sms/create", smsNoRef)
			var coe *CircuitOpenError
			if !errors.As(err, &coe) || coe.Until.Sub(clk.Now()) != tt.want {
				t.Fatalf("error %v, want open for %v", err, tt.want)
			}
		})
	}
}

func TestHostCircuit(t *testing.T) {
	srv := newServer(t)
	for range 20 {
		srv.Script(notificoretest.Fault{Status: 503, RetryAfter: "45"})
	}
	clk := newFakeClock()
	rt := newTestTransport(t, clk, WithMaxAttempts(1), WithHostCircuit(HostCircuit{MinRequests: 10}))
	for i := range 10 {
		resp, err := send(t, rt, http.MethodGet, srv.RESTURL()+"/common/balance", "")
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		readAll(t, resp)
	}
	_, err := send(t, rt, http.MethodGet, srv.RESTURL()+"/common/balance", "")
	var coe *CircuitOpenError
	if !errors.As(err, &coe) || coe.Scope != ScopeHost || coe.StatusCode != 503 {
		t.Fatalf("error %v, want the host circuit open", err)
	}
	// Retry-After (45 s) outlasts the default 10 s.
	if d := coe.Until.Sub(clk.Now()); d != 45*time.Second {
		t.Errorf("open for %v, want 45s", d)
	}
	// Another account on the same host fails fast too.
	if _, err := sendCtx(t, context.Background(), rt, http.MethodGet, srv.RESTURL()+"/common/balance", "", "test_other"); !errors.Is(err, ErrCircuitOpen) {
		t.Errorf("other key: %v", err)
	}
	if srv.Requests() != 10 {
		t.Errorf("%d requests, want 10", srv.Requests())
	}
}

func TestPermanentNeverOpens(t *testing.T) {
	srv := newServer(t)
	for range 30 {
		srv.Script(notificoretest.Fault{Code: 21}, notificoretest.Fault{Code: 1})
	}
	rt := newTestTransport(t, newFakeClock(), WithHostCircuit(HostCircuit{MinRequests: 5}))
	for i := range 60 {
		resp, err := send(t, rt, http.MethodPost, srv.RESTURL()+"/sms/create", smsNoRef)
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		readAll(t, resp)
	}
	if srv.Requests() != 60 {
		t.Errorf("%d requests, want 60", srv.Requests())
	}
}

func TestRetriesStopWhenCircuitOpens(t *testing.T) {
	srv := newServer(t)
	for range 10 {
		srv.Script(notificoretest.Fault{Status: 502})
	}
	rt := newTestTransport(t, newFakeClock(), WithMaxAttempts(10), WithHostCircuit(HostCircuit{MinRequests: 3}))
	resp, err := send(t, rt, http.MethodGet, srv.RESTURL()+"/common/balance", "")
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, resp)
	if resp.StatusCode != 502 || srv.Requests() != 3 {
		t.Errorf("status %d after %d requests, want the 3rd 502", resp.StatusCode, srv.Requests())
	}
}

func TestFailFastAnswers(t *testing.T) {
	srv := newServer(t, notificoretest.WithBalance(testKey, 0))
	clk := newFakeClock()
	rt := newTestTransport(t, clk, WithFailFastAnswers())
	for i := range 2 {
		resp, err := send(t, rt, http.MethodPut, srv.RESTURL()+"/sms/create", smsNoRef)
		if err != nil {
			t.Fatal(err)
		}
		body := readAll(t, resp)
		if !strings.Contains(body, `"error":8`) || resp.StatusCode != 200 {
			t.Errorf("call %d: %d %s", i, resp.StatusCode, body)
		}
		if got := resp.Header.Get(FailFastHeader); (i == 1) != (got == "account") {
			t.Errorf("call %d: %s = %q", i, FailFastHeader, got)
		}
		if i == 1 && resp.Header.Get("Retry-After") != "61" {
			t.Errorf("Retry-After %q", resp.Header.Get("Retry-After"))
		}
	}
	if srv.Requests() != 1 {
		t.Errorf("%d requests, want 1", srv.Requests())
	}
}

func TestHalfOpenAdmitsOneProbe(t *testing.T) {
	srv := newServer(t, notificoretest.WithBalance(testKey, 0))
	clk := newFakeClock()
	sending := make(chan struct{}, 10)
	var hold atomic.Bool // the base holds a request until its context ends
	inner := baseTransport(t)
	rt := NewTransport(roundTripFunc(func(r *http.Request) (*http.Response, error) {
		sending <- struct{}{}
		if hold.Load() {
			<-r.Context().Done()
			return nil, r.Context().Err()
		}
		return inner.RoundTrip(r)
	}), withClock(clk))
	resp, err := send(t, rt, http.MethodPut, srv.RESTURL()+"/sms/create", smsNoRef)
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, resp)
	<-sending
	srv.SetBalance(testKey, 100)
	clk.Advance(time.Hour)
	// The probe is held in flight while 20 others try.
	hold.Store(true)
	ctx, cancel := context.WithCancel(context.Background())
	probe := make(chan error, 1)
	go func() {
		_, err := sendCtx(t, ctx, rt, http.MethodPut, srv.RESTURL()+"/sms/create", smsNoRef, testKey)
		probe <- err
	}()
	<-sending // the probe is in flight
	for i := range 20 {
		_, err := send(t, rt, http.MethodPut, srv.RESTURL()+"/sms/create", smsNoRef)
		var coe *CircuitOpenError
		if !errors.As(err, &coe) || !coe.Until.IsZero() || !strings.Contains(err.Error(), "probe in flight") {
			t.Fatalf("call %d: %v, want fail fast with a probe in flight", i, err)
		}
	}
	// The probe is cancelled: neutral, so the next call probes again and
	// closes the circuit.
	cancel()
	if err := <-probe; !errors.Is(err, context.Canceled) {
		t.Fatalf("probe: %v", err)
	}
	hold.Store(false)
	for range 2 {
		resp, err = send(t, rt, http.MethodPut, srv.RESTURL()+"/sms/create", smsNoRef)
		if err != nil {
			t.Fatalf("after cancelled probe: %v", err)
		}
		readAll(t, resp)
		<-sending
	}
	if len(sending) != 0 || srv.Requests() != 3 || srv.Accepted() != 2 {
		t.Errorf("%d requests, %d accepted; want 3, 2", srv.Requests(), srv.Accepted())
	}
}

func TestCircuitsConcurrent(t *testing.T) {
	var sent atomic.Int64
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		sent.Add(1)
		if strings.HasSuffix(r.Header.Get("X-API-KEY"), "7") {
			return response(200, `{"error":8}`), nil
		}
		if sent.Load()%5 == 0 {
			return response(503, ``), nil
		}
		return response(200, `{"result":{"error":0}}`), nil
	})
	rt := NewTransport(base, WithAccountCircuit(AccountCircuit{MaxCircuits: 100}), WithBackoff(Backoff{Initial: time.Microsecond}))
	var wg sync.WaitGroup
	for g := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				key := "k" + fmt.Sprint((g*200+i)%500)
				if g%4 == 0 {
					key = "shared7"
				}
				req, _ := http.NewRequest(http.MethodGet, "http://api.test/rest/common/balance", nil)
				req.Header.Set("X-API-KEY", key)
				resp, err := rt.RoundTrip(req)
				if err == nil {
					resp.Body.Close()
				} else if !errors.Is(err, ErrCircuitOpen) {
					t.Errorf("unexpected error %v", err)
				}
			}
		}()
	}
	wg.Wait()
	if n := rt.circuits.nAccts.Load(); n > 100 {
		t.Errorf("%d circuits kept, bound 100", n)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestAccountProbe(t *testing.T) {
	srv := newServer(t, notificoretest.WithBlocked(testKey))
	clk := newFakeClock()
	rt := newTestTransport(t, clk, WithAccountCircuit(AccountCircuit{Probe: BalanceProbe}))
	create := srv.RESTURL() + "/sms/create"
	resp, err := send(t, rt, http.MethodPut, create, smsNoRef)
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, resp)
	if out, _ := OutcomeOf(resp); out.Code != 2 {
		t.Fatalf("first call: %+v", out)
	}
	paths := func() string {
		var p []string
		for _, r := range srv.Log() {
			p = append(p, r.Method+" "+strings.TrimPrefix(r.Path, "/rest"))
		}
		return strings.Join(p, ", ")
	}
	// Still blocked: the probe, not the create, meets code 2; the call fails fast.
	clk.Advance(defaultOpenFor[2])
	if _, err := send(t, rt, http.MethodPut, create, smsNoRef); !errors.Is(err, ErrCircuitOpen) {
		t.Fatalf("blocked probe: %v, want fail fast", err)
	}
	if got, want := paths(), "PUT /sms/create, GET /common/balance"; got != want {
		t.Fatalf("server saw %s, want %s", got, want)
	}
	// Unblocked: the probe succeeds, the circuit closes, the create goes.
	srv.SetBlocked(testKey, false)
	clk.Advance(defaultOpenFor[2])
	resp, err = send(t, rt, http.MethodPut, create, smsNoRef)
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, resp)
	if got, want := paths(), "PUT /sms/create, GET /common/balance, GET /common/balance, PUT /sms/create"; got != want || srv.Accepted() != 1 {
		t.Fatalf("server saw %s (accepted %d), want %s", got, srv.Accepted(), want)
	}
}

func TestBalanceProbe(t *testing.T) {
	req, _ := http.NewRequest(http.MethodPut, "https://api.test/v1/rest/sms/create?x=1", strings.NewReader("{}"))
	req.Header.Set("X-API-KEY", "live_k")
	p, err := BalanceProbe(req)
	if err != nil || p.Method != http.MethodGet || p.URL.String() != "https://api.test/v1/rest/common/balance" || p.Header.Get("X-API-KEY") != "live_k" {
		t.Errorf("probe %v %v", p, err)
	}
	req.Header.Del("X-API-KEY")
	if p, err := BalanceProbe(req); p != nil || err != nil {
		t.Errorf("without a key: %v %v", p, err)
	}
}
