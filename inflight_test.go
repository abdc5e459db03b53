package resilient

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
)

// TestCallSentBeforeTheLimitMakesRoom: a call sent before its account's
// limit began holds nothing of it, yet its accepted end makes room at the
// server, so a refused retry waiting in the queue goes at once rather than
// after its back-off.
func TestCallSentBeforeTheLimitMakesRoom(t *testing.T) {
	// tracked: another account already holds state when the slow call is
	// admitted, so that its admission looks its own account up and finds
	// nothing, which its record must not take for still true.
	for _, tracked := range []bool{false, true} {
		t.Run(fmt.Sprintf("tracked=%v", tracked), func(t *testing.T) { testCallSentBeforeTheLimit(t, tracked) })
	}
}

func testCallSentBeforeTheLimit(t *testing.T, tracked bool) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		var sends atomic.Int64
		var refused atomic.Bool
		base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if r.Header.Get("X-API-KEY") == "other_k" {
				return response(200, `{"error":8,"errorDescription":"not enough funds"}`), nil
			}
			sends.Add(1)
			b, _ := io.ReadAll(r.Body)
			switch {
			case bytes.Contains(b, []byte("slow")):
				<-release
				return response(200, `{"result":{"error":0,"id":"1"}}`), nil
			case refused.CompareAndSwap(false, true):
				return response(200, `{"error":11}`), nil
			}
			return response(200, `{"result":{"error":0,"id":"2"}}`), nil
		})
		rt := NewTransport(base, WithInFlightLimit(InFlightLimit{Initial: 1}))
		send := func(text string) <-chan *http.Response {
			done := make(chan *http.Response, 1)
			go func() {
				req, _ := http.NewRequest(http.MethodPut, "https://api.test/rest/sms/create",
					strings.NewReader(`{"destination":"phone","msisdn":"+37060000001","body":"`+text+`"}`))
				req.Header.Set("X-API-KEY", "test_k")
				resp, err := rt.RoundTrip(req)
				if err != nil {
					t.Error(err)
				}
				done <- resp
			}()
			return done
		}
		if tracked {
			req, _ := http.NewRequest(http.MethodPut, "https://api.test/rest/sms/create", strings.NewReader(`{}`))
			req.Header.Set("X-API-KEY", "other_k")
			if resp, err := rt.RoundTrip(req); err == nil {
				resp.Body.Close()
			}
			if !rt.circuits.tracking() {
				t.Fatal("the other account holds no state")
			}
		}
		slow := send("slow")
		synctest.Wait() // in flight, before the account has a limit
		fast := send("fast")
		synctest.Wait() // refused: the limit begins, and the retry waits in the queue
		if n := sends.Load(); n != 2 {
			t.Fatalf("%d sends before the slow call ends, want 2", n)
		}
		close(release)
		synctest.Wait()
		if n := sends.Load(); n != 3 {
			t.Fatalf("%d sends when the slow call has ended, want 3: its end made no room", n)
		}
		for _, ch := range []<-chan *http.Response{slow, fast} {
			if out, _ := OutcomeOf(<-ch); out.Class != ClassSuccess {
				t.Errorf("outcome %v, want success", out.Class)
			}
		}
	})
}

// TestRefusalsUnderTheLimitSpareAttempts: a code 11 (or 429) answer to a
// send the account's in-flight limit let through uses up none of the
// rule's attempts, for up to MaxAttempts-1 such answers; the first one,
// which starts the limit, counts.
func TestRefusalsUnderTheLimitSpareAttempts(t *testing.T) {
	tests := []struct {
		name        string
		maxAttempts int
		refusals    int  // answers refused before the first accepted one
		status429   bool // refused with HTTP 429 rather than code 11
		noLimit     bool
		sends       int
		accepted    bool
	}{
		{"under the attempts", 4, 3, false, false, 4, true},
		{"three spared", 4, 6, false, false, 7, true},
		{"past the spared ones", 4, 7, false, false, 7, false},
		{"one attempt spares none", 1, 1, false, false, 1, false},
		{"two attempts spare one", 2, 2, false, false, 3, true},
		{"two attempts, past the spared one", 2, 3, false, false, 3, false},
		{"429 spared too", 4, 5, true, false, 6, true},
		{"no limit spares none", 4, 4, false, true, 4, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var sends atomic.Int64
				base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
					io.Copy(io.Discard, r.Body)
					switch n := sends.Add(1); {
					case int(n) > tt.refusals:
						return response(200, `{"result":{"error":0,"id":"1"}}`), nil
					case tt.status429:
						return response(http.StatusTooManyRequests, `{}`), nil
					}
					return response(200, `{"error":11}`), nil
				})
				opts := []Option{WithMaxAttempts(tt.maxAttempts)}
				if tt.noLimit {
					opts = append(opts, WithInFlightLimit(InFlightLimit{Disabled: true}))
				}
				rt := NewTransport(base, opts...)
				req, _ := http.NewRequest(http.MethodPut, "https://api.test/rest/sms/create",
					strings.NewReader(`{"destination":"phone","msisdn":"+37060000001","body":"hi"}`))
				req.Header.Set("X-API-KEY", "test_k")
				resp, err := rt.RoundTrip(req)
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				out, _ := OutcomeOf(resp)
				if n := sends.Load(); int(n) != tt.sends || (out.Class == ClassSuccess) != tt.accepted {
					t.Fatalf("%d sends, outcome %v code %d; want %d sends, accepted %v", n, out.Class, out.Code, tt.sends, tt.accepted)
				}
			})
		})
	}
}
