package resilient

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/resilient-sms/resilient/notificoretest"
	rc "github.com/resilient-sms/resilient/resilientconv"
)

func TestLocalRequestErrorsAreNeutral(t *testing.T) {
	srv := newServer(t)
	rt := newTestTransport(t, newFakeClock(), WithHostCircuit(HostCircuit{MinRequests: 5}))
	for range 20 {
		req := newCall(t, http.MethodPut, srv.RESTURL()+"/sms/create", smsNoRef, testKey)
		req.Header.Set("X-Trace", "bad\nvalue") // net/http refuses to write it
		_, err := rt.RoundTrip(req)
		var e *Error
		if !errors.As(err, &e) || e.Reason != rc.ReasonLocal || e.Attempts != 1 || !e.Outcome.Local {
			t.Fatalf("error %v, want a local error after 1 attempt", err)
		}
	}
	if srv.Requests() != 0 {
		t.Errorf("server saw %d requests", srv.Requests())
	}
	resp, err := send(t, rt, http.MethodPut, srv.RESTURL()+"/sms/create", smsNoRef)
	if err != nil {
		t.Fatalf("a valid call after them: %v (the host circuit must not open)", err)
	}
	readAll(t, resp)
}

func TestRecipientsWinOverTopLevelCode(t *testing.T) {
	tests := []struct {
		name     string
		answers  []string // in turn
		body     string
		sends    int
		class    Class
		wantBody string // the final body, when it is rewritten
	}{
		{"11 beside accepted recipients is a success", []string{
			`{"error":11,"result":[{"error":0,"id":"1"},{"error":0,"id":"2"}]}`}, bulkNoRef, 1, ClassSuccess, ""},
		{"wrapped single success beside a top-level 11", []string{
			`{"error":11,"result":{"error":0,"id":"5"}}`}, smsNoRef, 1, ClassSuccess, ""},
		{"a refused recipient survives accepted-earlier", []string{
			`{"error":5}`, `{"error":23,"result":[{"error":23,"reference":"a1"},{"error":21,"reference":"a2"}]}`},
			`{"destination":"phones","phones":[{"msisdn":"1","reference":"a1"},{"msisdn":"2","reference":"a2"}]}`, 2, ClassPermanent,
			`{"error":23,"result":[{"error":0,"errorDescription":"accepted earlier","reference":"a1"},{"error":21,"reference":"a2"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n atomic.Int32
			base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
				i := int(n.Add(1)) - 1
				return response(200, tt.answers[min(i, len(tt.answers)-1)]), nil
			})
			rt := NewTransport(base, withClock(newFakeClock()))
			resp, err := rt.RoundTrip(newCall(t, http.MethodPut, "https://api.test/rest/sms/create", tt.body, testKey))
			if err != nil {
				t.Fatal(err)
			}
			body := readAll(t, resp)
			out, _ := OutcomeOf(resp)
			if int(n.Load()) != tt.sends || out.Class != tt.class {
				t.Errorf("%d sends, class %v; want %d, %v (%+v)", n.Load(), out.Class, tt.sends, tt.class, out)
			}
			if tt.wantBody != "" && body != tt.wantBody {
				t.Errorf("body %s, want %s", body, tt.wantBody)
			}
		})
	}
}

// stalledBody is a request body whose producer never writes: reading it
// blocks until it is closed.
func stalledBody() io.ReadCloser {
	pr, _ := io.Pipe()
	return pr
}

func TestCancellationReturnsInEveryPhase(t *testing.T) {
	const deadline = 50 * time.Millisecond // the cancellation comes then
	tests := []struct {
		name string
		base roundTripFunc
		body func() io.ReadCloser
	}{
		{"while reading a body without GetBody", func(r *http.Request) (*http.Response, error) {
			return response(200, `{}`), nil
		}, stalledBody},
		{"while the base is in flight", func(r *http.Request) (*http.Response, error) {
			<-r.Context().Done()
			return nil, r.Context().Err()
		}, nil},
		{"while backing off", func(r *http.Request) (*http.Response, error) {
			return response(200, `{"error":11}`), nil
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rt := NewTransport(tt.base)
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				time.AfterFunc(deadline, cancel)
				req, _ := http.NewRequestWithContext(ctx, http.MethodPut, "https://api.test/rest/sms/create", nil)
				if tt.body != nil {
					req.Body = tt.body()
				}
				start := time.Now()
				resp, err := rt.RoundTrip(req)
				if elapsed := time.Since(start); elapsed > deadline {
					t.Errorf("returned after %v, want within %v", elapsed, deadline)
				}
				if resp != nil || !errors.Is(err, context.Canceled) {
					t.Errorf("got %v, %v; want the context's error", resp, err)
				}
			})
		})
	}
}

func TestOutcomeThroughWrappedBodies(t *testing.T) {
	srv := newServer(t)
	srv.Script(notificoretest.Fault{Code: 21})
	rt := newTestTransport(t, newFakeClock())
	client := &http.Client{Transport: rt, Timeout: time.Minute} // net/http wraps the body
	resp, err := client.Do(newCall(t, http.MethodPut, srv.RESTURL()+"/sms/create", smsNoRef, testKey))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if _, isOurs := resp.Body.(*responseBody); isOurs {
		t.Fatal("the body is not wrapped: the test tests nothing")
	}
	if out, ok := OutcomeOf(resp); !ok || out.Code != 21 || out.Class != ClassPermanent {
		t.Errorf("OutcomeOf = %+v, %v", out, ok)
	}
	wrapped := *resp
	wrapped.Body = struct{ io.ReadCloser }{resp.Body} // a middleware's wrapper
	if out, ok := OutcomeOf(&wrapped); !ok || out.Code != 21 {
		t.Errorf("through a middleware: %+v, %v", out, ok)
	}
	if !strings.Contains(readAll(t, resp), `"error":21`) {
		t.Error("body lost")
	}
}

func TestOutcomeOfFailFastAnswers(t *testing.T) {
	srv := newServer(t, notificoretest.WithBalance(testKey, 0))
	rt := newTestTransport(t, newFakeClock(), WithFailFastAnswers())
	for i := range 2 {
		resp, err := send(t, rt, http.MethodPut, srv.RESTURL()+"/sms/create", smsNoRef)
		if err != nil {
			t.Fatal(err)
		}
		readAll(t, resp)
		out, ok := OutcomeOf(resp)
		if !ok || out.Code != 8 || out.Class != ClassAccount || (i == 1) != (resp.Header.Get(FailFastHeader) != "") {
			t.Errorf("call %d: %+v %v %v", i, out, ok, resp.Header)
		}
	}
}
