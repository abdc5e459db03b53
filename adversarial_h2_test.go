package resilient

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// h2Server starts an HTTPS server speaking HTTP/2 with handler, and
// returns it with a Transport over its client's transport.
func h2Server(t *testing.T, handler http.HandlerFunc, opts ...Option) (*httptest.Server, *Transport) {
	t.Helper()
	srv := httptest.NewUnstartedServer(handler)
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	base := srv.Client().Transport.(*http.Transport)
	t.Cleanup(base.CloseIdleConnections)
	return srv, NewTransport(base, append([]Option{withClock(newFakeClock())}, opts...)...)
}

func TestAdversarialH2StreamResetAfterReadingTheBody(t *testing.T) {
	for _, tt := range []struct {
		name  string
		body  string
		sends int32
	}{
		{"unreferenced", smsNoRef, 1},
		{"referenced", smsWithRef, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var n atomic.Int32
			srv, rt := h2Server(t, func(w http.ResponseWriter, r *http.Request) {
				io.ReadAll(r.Body)
				if r.ProtoMajor != 2 {
					t.Errorf("protocol %s", r.Proto)
				}
				if n.Add(1) == 1 {
					panic(http.ErrAbortHandler) // RST_STREAM after the server took the message
				}
				io.WriteString(w, `{"error":23,"errorDescription":"SMS with such ID is already present"}`)
			})
			resp, err := rt.RoundTrip(newCall(t, http.MethodPut, srv.URL+"/rest/sms/create", tt.body, testKey))
			if n.Load() != tt.sends {
				t.Errorf("server saw %d sends, want %d", n.Load(), tt.sends)
			}
			if tt.sends == 1 {
				var e *Error
				if resp != nil || !errors.As(err, &e) || !e.Outcome.Ambiguous {
					t.Errorf("got %v, %v; want an ambiguous *Error", resp, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if body := readAll(t, resp); resp.Header.Get(AcceptedEarlierHeader) != "1" || !strings.Contains(body, `"error":0`) {
				t.Errorf("answer %s %v, want accepted earlier", body, resp.Header)
			}
		})
	}
}

func TestAdversarialH2BodyCutShort(t *testing.T) {
	const partial = `{"result":[{"error":0,"id":"1"},`
	srv, rt := h2Server(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, partial)
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	})
	resp, err := rt.RoundTrip(newCall(t, http.MethodPut, srv.URL+"/rest/sms/create", bulkNoRef, testKey))
	if err != nil {
		t.Fatalf("answer lost: %v", err)
	}
	b, rerr := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != partial || rerr == nil {
		t.Errorf("body %q, %v; want the bytes received and the stream's error", b, rerr)
	}
}

func TestAdversarialH2CancelDuringASlowBody(t *testing.T) {
	stop := make(chan struct{})
	srv, rt := h2Server(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"error":`)
		w.(http.Flusher).Flush()
		select {
		case <-stop:
		case <-r.Context().Done():
		}
	})
	defer close(stop)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Millisecond)
	defer cancel()
	start := time.Now()
	resp, err := rt.RoundTrip(newCall(t, http.MethodGet, srv.URL+"/rest/common/balance", "", testKey).WithContext(ctx))
	if resp != nil {
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if d := time.Since(start); d > 3*time.Second { // a watchdog
		t.Fatalf("returned after %v", d)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v, want the context's", err)
	}
}

func TestAdversarialH2ConcurrentMixedAnswers(t *testing.T) {
	answers := []string{`{"error":11}`, `{"error":"21"}`, `{"result":{"error":0,"id":"9"}}`, `{"result":[{"error":0},{"error":11}]}`}
	var n atomic.Int32
	srv, rt := h2Server(t, func(w http.ResponseWriter, r *http.Request) {
		io.ReadAll(r.Body)
		i := int(n.Add(1))
		if i%7 == 0 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, answers[i%len(answers)])
	}, WithRetryBudget(RetryBudget{Ratio: -1}), WithHostCircuit(HostCircuit{Disabled: true}))
	var wg sync.WaitGroup
	for i := range 60 {
		wg.Go(func() {
			body := []string{smsNoRef, smsWithRef, bulkRefs}[i%3]
			resp, err := rt.RoundTrip(newCall(t, http.MethodPut, srv.URL+"/rest/sms/create", body, testKey))
			if err != nil {
				t.Error(err)
				return
			}
			got := readAll(t, resp)
			out, ok := OutcomeOf(resp)
			if !ok || got == "" && resp.StatusCode != http.StatusServiceUnavailable {
				t.Errorf("outcome %+v %v, body %q", out, ok, got)
			}
		})
	}
	wg.Wait()
}
