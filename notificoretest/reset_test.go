package notificoretest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// freshClient never reuses a connection, so that net/http does not retry a
// request that failed on a reused one.
func freshClient(t *testing.T) *http.Client {
	tr := &http.Transport{DisableKeepAlives: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

func TestReset(t *testing.T) {
	tests := []struct {
		name     string
		fault    Fault
		accepted int
		logged   bool // whether the body was read and logged
	}{
		{"before body", Fault{Reset: ResetBeforeBody}, 0, false},
		{"before body after delay", Fault{Reset: ResetBeforeBody, Delay: time.Millisecond}, 0, false},
		{"after processing", Fault{Reset: ResetAfterProcessing}, 1, true},
		{"after processing ignores code", Fault{Reset: ResetAfterProcessing, Code: 11}, 1, true},
		{"after processing with recipients", Fault{Reset: ResetAfterProcessing, Recipients: map[int]int{0: 21}}, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := NewServer()
			defer srv.Close()
			srv.Script(tt.fault)
			hc := freshClient(t)
			body := single("37060000001", "r1")
			if a, err := trySend(hc, http.MethodPut, srv.RESTURL()+"/sms/create", "k", body); err == nil {
				t.Fatalf("no error; got %d %s", a.status, a.raw)
			}
			if srv.Accepted() != tt.accepted || srv.Requests() != 1 {
				t.Fatalf("Accepted %d Requests %d, want %d 1", srv.Accepted(), srv.Requests(), tt.accepted)
			}
			log := srv.Log()
			if !log[0].Fault || (log[0].Body != nil) != tt.logged {
				t.Fatalf("Log()[0] = %+v", log[0])
			}
			// The next request is served normally; a resend of a processed
			// request finds its reference taken.
			a := send(t, hc, http.MethodPut, srv.RESTURL()+"/sms/create", "k", body)
			want := 0
			if tt.accepted > 0 {
				want = 23
			}
			if got := topOrWrapped(t, a); got != want {
				t.Fatalf("resend: %s, want code %d", a.raw, want)
			}
		})
	}
}

// reset falls back to an HTTP 502 when the writer cannot be hijacked.
func TestResetWithoutHijacker(t *testing.T) {
	rec := httptest.NewRecorder()
	reset(rec)
	if rec.Code != http.StatusBadGateway || rec.Header().Get("Connection") != "close" {
		t.Fatalf("got %d %v", rec.Code, rec.Header())
	}
}

// A client that gives up during a Delay ends the wait at once.
func TestFaultDelayHonoursClient(t *testing.T) {
	srv := NewServer()
	defer srv.Close()
	handled := make(chan struct{}, 1)
	srv.mu.Lock()
	srv.onHandled = func() { handled <- struct{}{} }
	srv.mu.Unlock()
	srv.Script(Fault{Delay: time.Hour, Code: 11})

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.RESTURL()+"/common/balance", nil)
	if resp, err := srv.Client().Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("no error from a request delayed by an hour")
	}
	select {
	case <-handled:
	case <-time.After(time.Minute):
		t.Fatal("handler still waiting after the client went away")
	}
}

// Close ends a request still waiting for its processing time; the create is
// dropped.
func TestCloseDuringProcessing(t *testing.T) {
	srv := NewServer(WithProcessingTime(time.Hour))
	inFlight := make(chan int, 4)
	srv.mu.Lock()
	srv.onInFlight = func(n int) { inFlight <- n }
	srv.mu.Unlock()

	errc := make(chan error, 1)
	go func() {
		_, err := trySend(srv.Client(), http.MethodPut, srv.RESTURL()+"/sms/create", "k", single("37060000001", ""))
		errc <- err
	}()
	if n := <-inFlight; n != 1 {
		t.Fatalf("in flight %d, want 1", n)
	}
	srv.Close()
	if err := <-errc; err == nil {
		t.Error("client got an answer from a closed server")
	}
	if srv.Accepted() != 0 || srv.InFlight() != 0 {
		t.Fatalf("Accepted %d InFlight %d after Close, want 0 0", srv.Accepted(), srv.InFlight())
	}
	srv.Close() // a second Close is harmless
}
