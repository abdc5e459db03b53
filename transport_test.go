package resilient

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/resilient-sms/resilient/notificoretest"
	rc "github.com/resilient-sms/resilient/resilientconv"
)

const (
	smsNoRef   = `{"destination":"phone","originator":"Acme","body":"Hello","msisdn":"+35790000001"}`
	smsWithRef = `{"destination":"phone","originator":"Acme","body":"Hello","msisdn":"+35790000001","reference":"ref1"}`
	bulkRefs   = `{"destination":"phones","originator":"Acme","body":"Hi","phones":[{"msisdn":"+35790000001","reference":"a1"},{"msisdn":"+35790000002","reference":"a2"},{"msisdn":"+35790000003","reference":"a3"}]}`
	bulkNoRef  = `{"destination":"phones","originator":"Acme","body":"Hi","phones":[{"msisdn":"+35790000001","reference":"a1"},{"msisdn":"+35790000002"},{"msisdn":"+35790000003","reference":"a3"}]}`
)

func newTestTransport(t *testing.T, clk clock, opts ...Option) *Transport {
	return NewTransport(baseTransport(t), append([]Option{withClock(clk)}, opts...)...)
}

func TestThrottledTwiceThenSuccess(t *testing.T) {
	srv := newServer(t)
	srv.Script(notificoretest.Fault{Code: 11}, notificoretest.Fault{Code: 11, CodeString: true})
	clk := newFakeClock()
	rt := newTestTransport(t, clk)
	resp, err := send(t, rt, http.MethodPut, srv.RESTURL()+"/sms/create", smsNoRef)
	if err != nil {
		t.Fatal(err)
	}
	body := readAll(t, resp)
	if !strings.Contains(body, `"error":0`) || resp.StatusCode != 200 {
		t.Errorf("final answer %d %s, want success", resp.StatusCode, body)
	}
	log := srv.Log()
	if len(log) != 3 {
		t.Fatalf("server saw %d requests, want 3", len(log))
	}
	for i, r := range log {
		if string(r.Body) != smsNoRef {
			t.Errorf("attempt %d sent body %q, want the original", i+1, r.Body)
		}
	}
	if srv.Accepted() != 1 {
		t.Errorf("accepted %d messages, want 1", srv.Accepted())
	}
	if w := clk.Waits(); len(w) != 2 || w[0] <= 0 || w[1] <= 0 {
		t.Errorf("waits %v, want two back-offs", w)
	}
}

func TestPermanentInHTTP200ReturnsAtOnce(t *testing.T) {
	srv := newServer(t)
	raw := `{"error":21,"errorDescription":"invalid phone number","extra":[1,2,3]}`
	srv.Script(notificoretest.Fault{Body: raw})
	rt := newTestTransport(t, newFakeClock())
	resp, err := send(t, rt, http.MethodPost, srv.RESTURL()+"/sms/create", smsNoRef)
	if err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, resp); got != raw || resp.StatusCode != 200 {
		t.Errorf("body %q status %d, want %q untouched", got, resp.StatusCode, raw)
	}
	if srv.Requests() != 1 {
		t.Errorf("%d attempts, want 1", srv.Requests())
	}
	out, ok := OutcomeOf(resp)
	if !ok || out.Class != ClassPermanent || out.Code != 21 {
		t.Errorf("OutcomeOf = %+v, %v", out, ok)
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	tests := []struct {
		name, value string
		min         time.Duration
	}{
		{"seconds", "1", time.Second},
		{"http-date", "", 3 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			clk := newFakeClock()
			f := notificoretest.Fault{Status: 503, RetryAfter: tt.value}
			if tt.value == "" {
				// The server's clock is a day behind ours: only the Date
				// header makes this a 3 s wait.
				serverNow := clk.Now().Add(-24 * time.Hour)
				f.RetryAfter = serverNow.Add(3 * time.Second).Format(http.TimeFormat)
				f.Header = http.Header{"Date": {serverNow.Format(http.TimeFormat)}}
			}
			srv.Script(f)
			rt := newTestTransport(t, clk, WithBackoff(Backoff{Initial: time.Millisecond, Jitter: -1}))
			resp, err := send(t, rt, http.MethodGet, srv.RESTURL()+"/common/balance", "")
			if err != nil {
				t.Fatal(err)
			}
			readAll(t, resp)
			if w := clk.Waits(); len(w) != 1 || w[0] < tt.min || w[0] > tt.min+time.Second {
				t.Errorf("waits %v, want one of at least %v", w, tt.min)
			}
			if resp.StatusCode != 200 || srv.Requests() != 2 {
				t.Errorf("status %d after %d requests", resp.StatusCode, srv.Requests())
			}
		})
	}
}

func TestCancelDuringBackoff(t *testing.T) {
	srv := newServer(t)
	srv.Script(notificoretest.Fault{Code: 11})
	clk := newFakeClock()
	clk.block = true
	clk.waiting = make(chan time.Duration, 1)
	rt := newTestTransport(t, clk)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		resp, err := sendCtx(t, ctx, rt, http.MethodPut, srv.RESTURL()+"/sms/create", smsNoRef, testKey)
		if resp != nil {
			resp.Body.Close()
			err = errors.New("got a response")
		}
		done <- err
	}()
	<-clk.waiting
	// The fake clock's wait ends only on the context: that the call returns
	// at all shows the cancel, and nothing else, ended its back-off.
	cancel()
	err := <-done
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
	var e *Error
	if !errors.As(err, &e) || e.Reason != rc.ReasonCanceled || e.Attempts != 1 || e.Outcome.Code != 11 {
		t.Errorf("error %#v, want *Error with reason canceled after 1 attempt", e)
	}
}

func TestResetAfterProcessing(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		wantErr   bool
		requests  int
		wantWrite bool
	}{
		{"no reference is not resent", smsNoRef, true, 1, false},
		{"reference is resent and accepted earlier", smsWithRef, false, 2, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			srv.Script(notificoretest.Fault{Reset: notificoretest.ResetAfterProcessing})
			rt := newTestTransport(t, newFakeClock())
			resp, err := send(t, rt, http.MethodPut, srv.RESTURL()+"/sms/create", tt.body)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error %v, want error %v", err, tt.wantErr)
			}
			if srv.Accepted() != 1 || srv.Requests() != tt.requests {
				t.Errorf("server accepted %d after %d requests, want 1 after %d", srv.Accepted(), srv.Requests(), tt.requests)
			}
			if err != nil {
				var e *Error
				if !errors.As(err, &e) || e.Reason != rc.ReasonUnsafe || !e.Outcome.Ambiguous {
					t.Errorf("error %v, want *Error with reason unsafe", err)
				}
				return
			}
			body := readAll(t, resp)
			out, _ := OutcomeOf(resp)
			if out.Class != ClassSuccess || !out.AcceptedEarlier {
				t.Errorf("outcome %+v, want success accepted earlier", out)
			}
			if !strings.Contains(body, `"error":0`) || !strings.Contains(body, `"reference":"ref1"`) || resp.Header.Get(AcceptedEarlierHeader) != "1" {
				t.Errorf("answer %s %v, want a rewritten success", body, resp.Header)
			}
		})
	}
}

func TestResetBeforeBody(t *testing.T) {
	// The client cannot tell a reset before the server read the body from
	// one after: both are ambiguous, resent only when referenced.
	for _, tt := range []struct {
		body     string
		requests int
	}{{smsNoRef, 1}, {smsWithRef, 2}} {
		srv := newServer(t)
		srv.Script(notificoretest.Fault{Reset: notificoretest.ResetBeforeBody})
		rt := newTestTransport(t, newFakeClock())
		resp, err := send(t, rt, http.MethodPut, srv.RESTURL()+"/sms/create", tt.body)
		if err == nil {
			readAll(t, resp)
		}
		if srv.Requests() != tt.requests || srv.Accepted() != tt.requests-1 {
			t.Errorf("%d requests, %d accepted; want %d, %d", srv.Requests(), srv.Accepted(), tt.requests, tt.requests-1)
		}
	}
}

func TestBulkPartialThrottle(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		requests int
		accepted int
		class    Class
	}{
		{"all referenced: resent", bulkRefs, 2, 3, ClassSuccess},
		{"one unreferenced: not resent", bulkNoRef, 1, 2, ClassTransient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			srv.Script(notificoretest.Fault{Recipients: map[int]int{1: 11}})
			rt := newTestTransport(t, newFakeClock())
			resp, err := send(t, rt, http.MethodPut, srv.RESTURL()+"/sms/create", tt.body)
			if err != nil {
				t.Fatal(err)
			}
			body := readAll(t, resp)
			if srv.Requests() != tt.requests || srv.Accepted() != tt.accepted {
				t.Errorf("%d requests, %d accepted; want %d, %d", srv.Requests(), srv.Accepted(), tt.requests, tt.accepted)
			}
			out, _ := OutcomeOf(resp)
			if out.Class != tt.class || len(out.Recipients) != 3 {
				t.Fatalf("outcome %+v", out)
			}
			if tt.class != ClassSuccess {
				if !out.Ambiguous || out.Code != 11 {
					t.Errorf("outcome %+v, want ambiguous code 11", out)
				}
				return
			}
			for i, want := range []bool{true, false, true} {
				rc := out.Recipients[i]
				if rc.AcceptedEarlier != want || rc.Class != ClassSuccess || rc.ID == "" {
					t.Errorf("recipient %d: %+v, want accepted earlier %v with an id", i, rc, want)
				}
			}
			if strings.Contains(body, `"error":23`) || resp.Header.Get(AcceptedEarlierHeader) != "2" {
				t.Errorf("answer not rewritten: %s", body)
			}
		})
	}
}

func TestDuplicateOnFirstAttemptIsPermanent(t *testing.T) {
	srv := newServer(t)
	rt := newTestTransport(t, newFakeClock())
	for i, want := range []int{0, 23} {
		resp, err := send(t, rt, http.MethodPut, srv.RESTURL()+"/sms/create", smsWithRef)
		if err != nil {
			t.Fatal(err)
		}
		readAll(t, resp)
		out, _ := OutcomeOf(resp)
		if out.Code != want || out.AcceptedEarlier {
			t.Errorf("call %d: outcome %+v, want code %d", i, out, want)
		}
	}
	if srv.Requests() != 2 {
		t.Errorf("%d requests, want 2", srv.Requests())
	}
}

func TestGivesUpAfterMaxAttempts(t *testing.T) {
	srv := newServer(t)
	for range 5 {
		srv.Script(notificoretest.Fault{Status: 503, Body: "<html>down</html>"})
	}
	clk := newFakeClock()
	rt := newTestTransport(t, clk, WithMaxAttempts(3))
	resp, err := send(t, rt, http.MethodGet, srv.RESTURL()+"/common/balance", "")
	if err != nil {
		t.Fatal(err)
	}
	if body := readAll(t, resp); resp.StatusCode != 503 || body != "<html>down</html>" {
		t.Errorf("final %d %q, want the last 503 untouched", resp.StatusCode, body)
	}
	if srv.Requests() != 3 || len(clk.Waits()) != 2 {
		t.Errorf("%d requests, %d waits; want 3, 2", srv.Requests(), len(clk.Waits()))
	}
}

func TestDeadlineStopsWithLastAnswer(t *testing.T) {
	srv := newServer(t)
	srv.Script(notificoretest.Fault{Status: 503, RetryAfter: "30"})
	clk := newFakeClock()
	rt := newTestTransport(t, clk)
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	// The fake clock says the deadline is 10 s away.
	clk.now = time.Now().Add(time.Hour - 10*time.Second)
	resp, err := sendCtx(t, ctx, rt, http.MethodGet, srv.RESTURL()+"/common/balance", "", testKey)
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, resp)
	if resp.StatusCode != 503 || srv.Requests() != 1 || len(clk.Waits()) != 0 {
		t.Errorf("status %d after %d requests and waits %v; want the 503 at once", resp.StatusCode, srv.Requests(), clk.Waits())
	}
}

func TestBodyWithoutGetBody(t *testing.T) {
	tests := []struct {
		name     string
		limit    int64
		requests int
	}{
		{"buffered and resent", 0, 2},
		{"too large to buffer: sent once", 10, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			srv.Script(notificoretest.Fault{Code: 11})
			rt := newTestTransport(t, newFakeClock(), WithPolicy(Policy{MaxRequestBodyBytes: tt.limit}))
			req, _ := http.NewRequest(http.MethodPut, srv.RESTURL()+"/sms/create", io.MultiReader(strings.NewReader(smsNoRef)))
			req.Header.Set("X-API-KEY", testKey)
			if req.GetBody != nil {
				t.Fatal("request has GetBody")
			}
			resp, err := rt.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			readAll(t, resp)
			if srv.Requests() != tt.requests {
				t.Errorf("%d requests, want %d", srv.Requests(), tt.requests)
			}
			for _, r := range srv.Log() {
				if string(r.Body) != smsNoRef {
					t.Errorf("sent %q", r.Body)
				}
			}
		})
	}
}

func TestLargeResponsePassesThroughUnread(t *testing.T) {
	srv := newServer(t)
	big := `{"error":11,"pad":"` + strings.Repeat("x", 10<<20) + `"}`
	srv.Script(notificoretest.Fault{Body: big})
	rt := newTestTransport(t, newFakeClock())
	resp, err := send(t, rt, http.MethodGet, srv.RESTURL()+"/common/balance", "")
	if err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, resp); got != big {
		t.Errorf("body of %d bytes, want the %d sent", len(got), len(big))
	}
	out, _ := OutcomeOf(resp)
	if !out.Unread || out.Class != ClassSuccess || srv.Requests() != 1 {
		t.Errorf("outcome %+v after %d requests", out, srv.Requests())
	}
}

func TestAPIErrors(t *testing.T) {
	srv := newServer(t)
	rt := newTestTransport(t, newFakeClock(), WithAPIErrors())
	resp, err := send(t, rt, http.MethodPut, srv.RESTURL()+"/sms/create", `{"destination":"phone","body":"x","msisdn":"12"}`)
	if resp != nil {
		resp.Body.Close()
		t.Fatal("got a response and an error")
	}
	var e *Error
	if !errors.As(err, &e) || e.Outcome.Code != 21 || e.Reason != rc.ReasonPermanent || !strings.Contains(string(e.Body), "21") {
		t.Fatalf("error %v, want *Error for code 21", err)
	}
	if !strings.Contains(e.Error(), "notificore error 21") {
		t.Errorf("message %q", e.Error())
	}
}

func TestNeverSentIsResent(t *testing.T) {
	srv := newServer(t)
	url := srv.RESTURL() + "/sms/create"
	srv.Close()
	clk := newFakeClock()
	rt := newTestTransport(t, clk, WithMaxAttempts(2))
	// Connection refused: never sent, so even a create without references
	// is resent.
	resp, err := send(t, rt, http.MethodPut, url, smsNoRef)
	if resp != nil || err == nil {
		t.Fatalf("resp %v err %v, want an error only", resp, err)
	}
	var e *Error
	if !errors.As(err, &e) || e.Attempts != 2 || e.Reason != rc.ReasonAttempts || e.Outcome.Ambiguous {
		t.Errorf("error %#v", e)
	}
}

type idleCloser struct {
	roundTripFunc
	closed int
}

func (c *idleCloser) CloseIdleConnections() { c.closed++ }

func TestCloseIdleConnectionsReachesBase(t *testing.T) {
	base := &idleCloser{}
	(&http.Client{Transport: NewTransport(base)}).CloseIdleConnections()
	if base.closed != 1 {
		t.Errorf("base closed %d times, want 1", base.closed)
	}
	NewTransport(roundTripFunc(nil)).CloseIdleConnections() // no such method: nothing happens
}

func TestBrokenBaseTransport(t *testing.T) {
	tests := []struct {
		name string
		base roundTripFunc
	}{
		{"nil response, nil error", func(*http.Request) (*http.Response, error) { return nil, nil }},
		{"response and error", func(*http.Request) (*http.Response, error) {
			return response(200, `{"error":0}`), errors.New("both")
		}},
		{"nil body", func(*http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: 503, Header: http.Header{}}, nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt := NewTransport(tt.base, WithMaxAttempts(2), withClock(newFakeClock()))
			req, _ := http.NewRequest(http.MethodGet, "http://api.test/rest/common/balance", nil)
			resp, err := rt.RoundTrip(req)
			if (resp == nil) == (err == nil) {
				t.Fatalf("resp %v, err %v: want exactly one", resp, err)
			}
			if resp != nil {
				resp.Body.Close()
			}
		})
	}
}
