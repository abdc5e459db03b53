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
