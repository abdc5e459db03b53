package resilient

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"

	"github.com/resilient-sms/resilient/notificoretest"
)

// Concurrent sends through the fake API while it resets connections after
// and before processing, throttles, fails with 5xx and refuses bulk
// recipients: no message is ever accepted twice, every call ends with an
// answer or an *Error, and a call answered with a success has its messages
// accepted exactly once.
func TestAdversarialE2ENeverTwiceUnderFaults(t *testing.T) {
	srv := newServer(t)
	rng := rand.New(rand.NewPCG(7, 8))
	var faults []notificoretest.Fault
	for range 400 {
		switch rng.IntN(8) {
		case 0:
			faults = append(faults, notificoretest.Fault{Reset: notificoretest.ResetAfterProcessing})
		case 1:
			faults = append(faults, notificoretest.Fault{Reset: notificoretest.ResetBeforeBody})
		case 2:
			faults = append(faults, notificoretest.Fault{Code: 11, CodeString: rng.IntN(2) == 0})
		case 3:
			faults = append(faults, notificoretest.Fault{Status: 502})
		case 4:
			faults = append(faults, notificoretest.Fault{Status: 500, Code: 5})
		case 5:
			faults = append(faults, notificoretest.Fault{Recipients: map[int]int{1: 11}})
		default:
			faults = append(faults, notificoretest.Fault{})
		}
	}
	srv.Script(faults...)
	rt := newTestTransport(t, newFakeClock(), WithMaxAttempts(5), WithRetryBudget(RetryBudget{Ratio: -1}),
		WithHostCircuit(HostCircuit{Disabled: true}))
	type sent struct {
		refs    []string
		phones  []string
		success bool
	}
	var mu sync.Mutex
	var calls []sent
	var wg sync.WaitGroup
	for g := range 10 {
		wg.Go(func() {
			for i := range 15 {
				id := fmt.Sprintf("g%di%d", g, i)
				p1, p2 := fmt.Sprintf("+3579%03d%04d", g, 2*i), fmt.Sprintf("+3579%03d%04d", g, 2*i+1)
				var body string
				s := sent{phones: []string{p1}}
				switch i % 3 {
				case 0:
					body = `{"destination":"phone","originator":"Acme","body":"x","msisdn":"` + p1 + `"}`
				case 1:
					body = `{"destination":"phone","originator":"Acme","body":"x","msisdn":"` + p1 + `","reference":"` + id + `"}`
					s.refs = []string{id}
				default:
					body = `{"destination":"phones","originator":"Acme","body":"x","phones":[{"msisdn":"` + p1 + `","reference":"` + id + `a"},{"msisdn":"` + p2 + `","reference":"` + id + `b"}]}`
					s.refs, s.phones = []string{id + "a", id + "b"}, []string{p1, p2}
				}
				resp, err := send(t, rt, http.MethodPut, srv.RESTURL()+"/sms/create", body)
				if err != nil {
					var e *Error
					if !errors.As(err, &e) {
						t.Errorf("%s: %T %v", id, err, err)
					}
				} else {
					io.ReadAll(resp.Body)
					resp.Body.Close()
					out, _ := OutcomeOf(resp)
					s.success = out.Class == ClassSuccess
				}
				mu.Lock()
				calls = append(calls, s)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	perPhone := map[string]int{}
	for _, m := range srv.Messages() {
		perPhone[m.MSISDN]++
	}
	for _, c := range calls {
		for _, p := range c.phones {
			if perPhone[p] > 1 {
				t.Errorf("%s (references %v) was accepted %d times", p, c.refs, perPhone[p])
			}
			if c.success && perPhone[p] != 1 {
				t.Errorf("%s (references %v): a success, but accepted %d times", p, c.refs, perPhone[p])
			}
		}
	}
	t.Logf("%d faults used, %d requests, %d messages accepted", len(faults)-len(srv.Pending()), srv.Requests(), srv.Accepted())
	if len(srv.Pending()) == len(faults) {
		t.Error("no fault was used: the test tests nothing")
	}
}
