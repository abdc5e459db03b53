package scenario

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/failsafe-go/failsafe-go/circuitbreaker"
	"github.com/failsafe-go/failsafe-go/failsafehttp"
	"github.com/resilient-sms/resilient"
	"github.com/resilient-sms/resilient/bench"
	"github.com/resilient-sms/resilient/notificoretest"
)

// Client is one client of a scenario.
type Client struct {
	// Name identifies the client in the results.
	Name string
	// Note says how it is configured.
	Note string
	// New builds its round tripper over base.
	New func(base http.RoundTripper) http.RoundTripper
}

// OutageClients are the clients of the outage scenario, each with its
// defaults (delays divided by bench.DelayScale). The last one is not a
// documented setup: failsafe-go with its breaker opened by 5xx too, to show
// what a breaker does once a user configures it so.
var OutageClients = []Client{
	{"bare", "no retries", func(b http.RoundTripper) http.RoundTripper { return b }},
	{"resilient", "defaults: 4 attempts, retry budget, host circuit",
		func(b http.RoundTripper) http.RoundTripper { return bench.Resilient(b) }},
	{"resilient, host circuit off", "defaults but HostCircuit.Disabled: the retry budget alone",
		func(b http.RoundTripper) http.RoundTripper {
			return bench.Resilient(b, resilient.WithHostCircuit(resilient.HostCircuit{Disabled: true}))
		}},
	{"retryablehttp", "defaults: RetryMax 4", bench.RetryableHTTP},
	{"failsafe", "documented composition: retry defaults (3 attempts), breaker on 429", bench.Failsafe},
	{"failsafe, breaker on 5xx", "not the documented setup: breaker opened by 5 failures (429, 5xx)", failsafeBreaker5xx},
}

// failsafeBreaker5xx is bench.Failsafe with a breaker that also counts 5xx
// answers, opening after 5 consecutive failures for its default minute.
func failsafeBreaker5xx(base http.RoundTripper) http.RoundTripper {
	retry := failsafehttp.NewRetryPolicyBuilder().Build()
	breaker := circuitbreaker.NewBuilder[*http.Response]().
		HandleIf(func(resp *http.Response, err error) bool {
			return err != nil || (resp != nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500))
		}).
		WithFailureThreshold(5).
		WithDelayFunc(failsafehttp.DelayFunc).
		Build()
	return failsafehttp.NewRoundTripper(base, retry, breaker)
}

// Amplification is what one client did to a server in an outage.
type Amplification struct {
	Client   string
	Note     string
	Calls    int           // logical calls made
	Workers  int           // goroutines making them
	Attempts int           // requests the server received
	Elapsed  time.Duration // wall time of all the calls
}

// Ratio is attempts per logical call.
func (a Amplification) Ratio() float64 { return float64(a.Attempts) / float64(a.Calls) }

// Outage makes calls single SMS creates through c, from workers goroutines,
// to a fake server that answers every request 503 with an HTML page (a
// proxy in front of a down API), and counts the requests the server got.
func Outage(c Client, calls, workers int) Amplification {
	srv := notificoretest.NewServer()
	defer srv.Close()
	faults := make([]notificoretest.Fault, calls*8) // more than any client sends
	for i := range faults {
		faults[i] = notificoretest.Fault{Status: http.StatusServiceUnavailable}
	}
	srv.Script(faults...)

	base := bench.NewBareTransport()
	defer base.CloseIdleConnections()
	client := &http.Client{Transport: c.New(base)}
	url := srv.RESTURL() + "/sms/create"

	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1))
				if i > calls {
					return
				}
				send(context.Background(), client, url, ref(i))
			}
		})
	}
	wg.Wait()
	return Amplification{Client: c.Name, Note: c.Note, Calls: calls, Workers: workers, Attempts: srv.Requests(), Elapsed: time.Since(start)}
}
