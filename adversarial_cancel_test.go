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
)

// ctxBody serves data, then blocks until ctx ends, as net/http's bodies do
// when the server goes quiet.
type ctxBody struct {
	ctx  context.Context
	data *strings.Reader
}

func (b *ctxBody) Read(p []byte) (int, error) {
	if b.data.Len() > 0 {
		return b.data.Read(p)
	}
	<-b.ctx.Done()
	return 0, b.ctx.Err()
}

func (b *ctxBody) Close() error { return nil }

func quietAfter(r *http.Request, status int, data string) *http.Response {
	return &http.Response{StatusCode: status, Header: http.Header{}, ContentLength: -1,
		Body: &ctxBody{ctx: r.Context(), data: strings.NewReader(data)}}
}

// cancelWithin runs one call in a bubble whose context is canceled after
// deadline (it has no deadline of its own, so every wait starts), and checks that RoundTrip returned then, with the context's
// error or with an answer whose body ends with it.
func cancelWithin(t *testing.T, deadline time.Duration, rt func() *Transport, prepare func(*Transport), req func(context.Context) *http.Request) {
	t.Helper()
	synctest.Test(t, func(t *testing.T) {
		tr := rt()
		if prepare != nil {
			prepare(tr)
		}
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		time.AfterFunc(deadline, cancel)
		start := time.Now()
		resp, err := tr.RoundTrip(req(ctx))
		elapsed := time.Since(start)
		if resp != nil {
			_, err = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		if elapsed > deadline {
			t.Errorf("returned %v after the call began, want within %v", elapsed, deadline)
		}
		if !errors.Is(err, context.Canceled) {
			t.Errorf("error %v, want the context's", err)
		}
	})
}

func smsRequest(ctx context.Context) *http.Request {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPut, "https://api.test/rest/sms/create", strings.NewReader(smsWithRef))
	req.Header.Set("X-API-KEY", testKey)
	return req
}

func TestAdversarialCancelInEveryPhase(t *testing.T) {
	const deadline = 50 * time.Millisecond
	t.Run("reading the answer's body", func(t *testing.T) {
		cancelWithin(t, deadline, func() *Transport {
			return NewTransport(roundTripFunc(func(r *http.Request) (*http.Response, error) {
				return quietAfter(r, 200, `{"result":{"error":`), nil
			}))
		}, nil, smsRequest)
	})
	t.Run("a long Retry-After", func(t *testing.T) {
		cancelWithin(t, deadline, func() *Transport {
			return NewTransport(roundTripFunc(func(r *http.Request) (*http.Response, error) {
				return response(503, ``, "Retry-After", "60"), nil
			}))
		}, nil, smsRequest)
	})
	t.Run("draining a discarded oversized answer", func(t *testing.T) {
		cancelWithin(t, deadline, func() *Transport {
			return NewTransport(roundTripFunc(func(r *http.Request) (*http.Response, error) {
				return quietAfter(r, 503, strings.Repeat("x", 300<<10)), nil
			}))
		}, nil, smsRequest)
	})
	t.Run("the account probe", func(t *testing.T) {
		var opened atomic.Bool
		cancelWithin(t, deadline, func() *Transport {
			return NewTransport(roundTripFunc(func(r *http.Request) (*http.Response, error) {
				switch {
				case opened.CompareAndSwap(false, true):
					return response(200, `{"error":8}`), nil
				case strings.HasSuffix(r.URL.Path, "/balance"):
					<-r.Context().Done()
					return nil, r.Context().Err()
				case r.Context().Err() != nil:
					return nil, r.Context().Err()
				}
				return response(200, `{"result":{"error":0}}`), nil
			}), WithAccountCircuit(AccountCircuit{Probe: BalanceProbe}))
		}, func(tr *Transport) {
			resp, err := tr.RoundTrip(smsRequest(context.Background()))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			time.Sleep(2 * time.Minute) // past the open time: the next call probes
		}, smsRequest)
	})
	t.Run("a request body whose writer stalls", func(t *testing.T) {
		cancelWithin(t, deadline, func() *Transport {
			return NewTransport(roundTripFunc(func(r *http.Request) (*http.Response, error) {
				return response(200, `{"error":11}`), nil
			}))
		}, nil, func(ctx context.Context) *http.Request {
			req := smsRequest(ctx)
			pr, pw := io.Pipe()
			go func() {
				io.WriteString(pw, smsWithRef)
				<-ctx.Done()
				pw.CloseWithError(ctx.Err())
			}()
			req.Body, req.GetBody = pr, nil
			return req
		})
	})
}

// After a cancellation in any phase the Transport holds nothing: the next
// call with a live context goes through.
func TestAdversarialCancelLeavesNothingHeld(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var calls atomic.Int32
		rt := NewTransport(roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if calls.Add(1) <= 5 {
				return quietAfter(r, 200, `{"error":`), nil
			}
			return response(200, `{"result":{"error":0}}`), nil
		}), WithHostCircuit(HostCircuit{MinRequests: 1, FailureRatio: 0.01}))
		for range 5 {
			ctx, cancel := context.WithTimeout(t.Context(), time.Millisecond)
			resp, err := rt.RoundTrip(smsRequest(ctx))
			if err == nil {
				io.ReadAll(resp.Body)
				resp.Body.Close()
			}
			cancel()
		}
		resp, err := rt.RoundTrip(smsRequest(t.Context()))
		if err != nil {
			t.Fatalf("after five cancellations: %v", err)
		}
		if body := readAll(t, resp); body != `{"result":{"error":0}}` {
			t.Errorf("body %q", body)
		}
	})
}

// A wait that would pass the context's deadline is not started: the last
// answer comes back at once, whole.
func TestAdversarialCancelDeadlineShorterThanTheWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var sends atomic.Int32
		rt := NewTransport(roundTripFunc(func(r *http.Request) (*http.Response, error) {
			sends.Add(1)
			return response(503, `{"message":"Service Unavailable"}`, "Retry-After", "30"), nil
		}))
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		start := time.Now()
		resp, err := rt.RoundTrip(smsRequest(ctx))
		if err != nil {
			t.Fatal(err)
		}
		if body := readAll(t, resp); time.Since(start) != 0 || sends.Load() != 1 || body != `{"message":"Service Unavailable"}` {
			t.Errorf("after %v and %d sends: %d %q", time.Since(start), sends.Load(), resp.StatusCode, body)
		}
	})
}
