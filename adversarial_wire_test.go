package resilient

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	rc "github.com/resilient-sms/resilient/resilientconv"
)

func TestAdversarialWireResetMidBodyIsNotResentWithoutReference(t *testing.T) {
	const partial = `{"result":{"error":0,"id":"1`
	srv := newRawServer(t, func(c net.Conn, n int, _ *http.Request) {
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 60\r\n\r\n"+partial)
		time.Sleep(10 * time.Millisecond)
		resetConn(c)
	})
	rt := wireTransport(t)
	resp, err := rt.RoundTrip(newCall(t, http.MethodPut, srv.url("/rest/sms/create"), smsNoRef, testKey))
	if err != nil {
		t.Fatalf("the answer was lost: %v", err)
	}
	b, rerr := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != partial || rerr == nil {
		t.Errorf("body %q, read error %v; want the bytes received and then the error", b, rerr)
	}
	if got := srv.n.Load(); got != 1 {
		t.Errorf("server saw %d requests of an unreferenced create, want 1", got)
	}
	if out, _ := OutcomeOf(resp); !out.Ambiguous || out.Class != ClassTransient {
		t.Errorf("outcome %+v, want ambiguous transient", out)
	}
}

func TestAdversarialWireResetMidBodyResendsReferencedAsAcceptedEarlier(t *testing.T) {
	srv := newRawServer(t, func(c net.Conn, n int, _ *http.Request) {
		if n == 1 {
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 60\r\n\r\n{\"result\":")
			time.Sleep(10 * time.Millisecond)
			resetConn(c)
			return
		}
		writeAnswer(c, `{"error":23,"errorDescription":"SMS with such ID is already present"}`)
	})
	rt := wireTransport(t)
	resp, err := rt.RoundTrip(newCall(t, http.MethodPut, srv.url("/rest/sms/create"), smsWithRef, testKey))
	if err != nil {
		t.Fatal(err)
	}
	body := readAll(t, resp)
	if resp.Header.Get(AcceptedEarlierHeader) != "1" || !strings.Contains(body, `"error":0`) || !strings.Contains(body, `"ref1"`) {
		t.Errorf("answer %s %v, want accepted earlier", body, resp.Header)
	}
	if srv.n.Load() != 2 {
		t.Errorf("server saw %d requests, want 2", srv.n.Load())
	}
}

func TestAdversarialWireResetBeforeAnswer(t *testing.T) {
	for _, tt := range []struct {
		name, method, path, body string
		requests                 int32
	}{
		{"unreferenced create is sent once", http.MethodPut, "/rest/sms/create", smsNoRef, 1},
		{"a read is retried", http.MethodGet, "/rest/common/balance", "", 4},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := newRawServer(t, func(c net.Conn, _ int, _ *http.Request) { resetConn(c) })
			rt := wireTransport(t, WithHostCircuit(HostCircuit{Disabled: true}))
			resp, err := rt.RoundTrip(newCall(t, tt.method, srv.url(tt.path), tt.body, testKey))
			if resp != nil {
				resp.Body.Close()
				t.Fatal("a response out of nothing")
			}
			var e *Error
			if !errors.As(err, &e) || e.Attempts != int(tt.requests) || e.Outcome.Err == nil {
				t.Fatalf("error %v, want an *Error after %d attempts", err, tt.requests)
			}
			if got := srv.n.Load(); got != tt.requests {
				t.Errorf("server saw %d requests, want %d", got, tt.requests)
			}
		})
	}
}

func TestAdversarialWireTruncatedBodies(t *testing.T) {
	for _, tt := range []struct {
		name, head, sent, want string
	}{
		{"content-length longer than the body", "Content-Length: 100\r\n", `{"error":0,"amount":`, `{"error":0,"amount":`},
		{"chunked body that stops", "Transfer-Encoding: chunked\r\n", "5\r\n{\"err\r\n3\r\nor\"", `{"error"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := newRawServer(t, func(c net.Conn, _ int, _ *http.Request) {
				io.WriteString(c, "HTTP/1.1 200 OK\r\n"+tt.head+"\r\n"+tt.sent)
				c.Close()
			})
			rt := wireTransport(t, WithMaxAttempts(2), WithHostCircuit(HostCircuit{Disabled: true}))
			resp, err := rt.RoundTrip(newCall(t, http.MethodGet, srv.url("/rest/common/balance"), "", testKey))
			if err != nil {
				t.Fatalf("answer lost: %v", err)
			}
			b, rerr := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(b) != tt.want || !errors.Is(rerr, io.ErrUnexpectedEOF) {
				t.Errorf("body %q, %v; want %q and io.ErrUnexpectedEOF", b, rerr, tt.want)
			}
			if srv.n.Load() != 2 {
				t.Errorf("server saw %d requests, want 2 (a read is retried)", srv.n.Load())
			}
		})
	}
}

func TestAdversarialWireInformationalAnswers(t *testing.T) {
	srv := newRawServer(t, func(c net.Conn, n int, _ *http.Request) {
		io.WriteString(c, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n")
		if n == 1 {
			writeAnswer(c, `{"error":11}`)
			return
		}
		writeAnswer(c, `{"result":{"error":0,"id":"7"}}`)
	})
	rt := wireTransport(t)
	resp, err := rt.RoundTrip(newCall(t, http.MethodPut, srv.url("/rest/sms/create"), smsNoRef, testKey))
	if err != nil {
		t.Fatal(err)
	}
	if body := readAll(t, resp); resp.StatusCode != 200 || body != `{"result":{"error":0,"id":"7"}}` || srv.n.Load() != 2 {
		t.Errorf("status %d body %s after %d requests", resp.StatusCode, body, srv.n.Load())
	}
}

func TestAdversarialWireCancelWhileServerIsSilent(t *testing.T) {
	for _, stall := range []string{"before the headers", "inside the body"} {
		t.Run(stall, func(t *testing.T) {
			srv := newRawServer(t, func(c net.Conn, _ int, _ *http.Request) {
				if stall == "inside the body" {
					io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"error\":")
				}
				// and nothing more until the test ends
			})
			var events atomic.Int32
			rt := wireTransport(t, WithHostCircuit(HostCircuit{MinRequests: 1, FailureRatio: 0.1}),
				WithCircuitListener(func(CircuitEvent) { events.Add(1) }))
			for range 3 {
				ctx, cancel := context.WithTimeout(t.Context(), 30*time.Millisecond)
				start := time.Now()
				resp, err := rt.RoundTrip(newCall(t, http.MethodPut, srv.url("/rest/sms/create"), smsNoRef, testKey).WithContext(ctx))
				if resp != nil {
					_, err = io.ReadAll(resp.Body)
					resp.Body.Close()
				}
				cancel()
				if d := time.Since(start); d > 3*time.Second { // a watchdog, not a latency bound
					t.Fatalf("returned after %v", d)
				}
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("error %v, want the context's", err)
				}
				var e *Error
				if errors.As(err, &e) && e.Reason != rc.ReasonCanceled {
					t.Errorf("reason %v, want canceled", e.Reason)
				}
			}
			if events.Load() != 0 || srv.n.Load() != 3 {
				t.Errorf("%d circuit events, %d requests; want 0 and 3 (cancellations are neutral)", events.Load(), srv.n.Load())
			}
		})
	}
}

func TestAdversarialWireMalformedAnswers(t *testing.T) {
	for _, garbage := range []string{
		"HTTP/1.1 2OO OK\r\n\r\n",
		"SMTP ready\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: -4\r\n\r\n{}",
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
		"HTTP/1.1 200 OK\r\nBad Header Line\r\n\r\n",
	} {
		srv := newRawServer(t, func(c net.Conn, _ int, _ *http.Request) {
			io.WriteString(c, garbage)
			c.Close()
		})
		rt := wireTransport(t)
		resp, err := rt.RoundTrip(newCall(t, http.MethodPut, srv.url("/rest/sms/create"), smsNoRef, testKey))
		if err == nil {
			_, err = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		if err == nil {
			t.Errorf("%q: no error", garbage)
		}
		if srv.n.Load() != 1 {
			t.Errorf("%q: %d sends of an unreferenced create, want 1", garbage, srv.n.Load())
		}
	}
}

// A 503 that closes the connection, to a request that expects
// 100-continue, refused it unprocessed: it is resent.
func TestAdversarialWire503ThenCloseIsResent(t *testing.T) {
	srv := newRawServer(t, func(c net.Conn, n int, _ *http.Request) {
		if n == 1 {
			io.WriteString(c, "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
			c.Close()
			return
		}
		writeAnswer(c, `{"result":{"error":0,"id":"5"}}`)
	})
	rt := wireTransport(t)
	req := newCall(t, http.MethodPut, srv.url("/rest/sms/create"), smsNoRef, testKey)
	req.Header.Set("Expect", "100-continue")
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	if body := readAll(t, resp); body != `{"result":{"error":0,"id":"5"}}` || srv.n.Load() != 2 {
		t.Errorf("%q after %d requests", body, srv.n.Load())
	}
}
