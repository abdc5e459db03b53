package resilient_test

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/resilient-sms/resilient"
	"github.com/resilient-sms/resilient/notificoretest"
)

// A decision in the logs: the record's message is the span event's name,
// its attributes the event's.
func ExampleWithLogger() {
	srv := notificoretest.NewServer()
	defer srv.Close()
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{} // a fixed output for the example
			}
			return a
		},
	}))
	client := &http.Client{Transport: resilient.NewTransport(nil, resilient.WithLogger(logger))}
	resp, err := put(client, srv.RESTURL()+"/sms/create", "test_key",
		`{"destination":"phone","originator":"Acme","body":"Hello","msisdn":"12"}`)
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	// Output:
	// level=INFO msg="gave up" notificore.class=permanent notificore.code=21 notificore.description="invalid phone number" resilient.attempt=1 resilient.reason=permanent
}

// Tenants that share one API key can be told apart by a header of their
// own: each is its own account, for circuits and in-flight limits.
func ExampleWithAccountKey() {
	srv := notificoretest.NewServer()
	defer srv.Close()
	srv.Script(notificoretest.Fault{Code: 8})
	client := &http.Client{Transport: resilient.NewTransport(nil,
		resilient.WithAccountKey(func(r *http.Request) string { return r.Header.Get("X-Tenant") }))}
	send := func(tenant string) error {
		req, _ := http.NewRequest(http.MethodPut, srv.RESTURL()+"/sms/create",
			strings.NewReader(`{"destination":"phone","originator":"Acme","body":"Hi","msisdn":"+35790000001"}`))
		req.Header.Set("X-API-KEY", "test_shared")
		req.Header.Set("X-Tenant", tenant)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	send("alpha") // not enough funds: alpha's circuit opens
	fmt.Println("alpha again:", errors.Is(send("alpha"), resilient.ErrCircuitOpen))
	fmt.Println("beta:", send("beta"))
	// Output:
	// alpha again: true
	// beta: <nil>
}

// An account whose cap on messages in flight refuses sends with code 11
// gets a limit learned from those answers: its calls wait their turn
// rather than being refused again.
func ExampleWithInFlightLimit() {
	srv := notificoretest.NewServer(notificoretest.WithMaxInFlight(2), notificoretest.WithProcessingTime(10*time.Millisecond))
	defer srv.Close()
	client := &http.Client{Transport: resilient.NewTransport(nil,
		resilient.WithInFlightLimit(resilient.InFlightLimit{Initial: 2}),
		resilient.WithCodeRule(11, resilient.Rule{Class: resilient.ClassTransient, MaxAttempts: 20}))}
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Go(func() {
			resp, err := put(client, srv.RESTURL()+"/sms/create", "test_key",
				fmt.Sprintf(`{"destination":"phone","originator":"Acme","body":"Hi","msisdn":"+3579000%04d","reference":"r%d"}`, i, i))
			if err != nil {
				fmt.Println(err)
				return
			}
			resp.Body.Close()
		})
	}
	wg.Wait()
	fmt.Println("accepted:", srv.Accepted())
	// Output:
	// accepted: 12
}

// memoryFleet is a Fleet within one process, for the example: Publish
// hands a fact to the other members at once.
type memoryFleet struct {
	mu      *sync.Mutex
	members *[]*memoryFleet
	name    string
	apply   func(resilient.AccountFact)
}

func newMemoryFleet(names ...string) []*memoryFleet {
	var mu sync.Mutex
	members := new([]*memoryFleet)
	for _, n := range names {
		*members = append(*members, &memoryFleet{mu: &mu, members: members, name: n})
	}
	return *members
}

func (f *memoryFleet) Publish(fact resilient.AccountFact) {
	fact.Instance = f.name
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, m := range *f.members {
		if m != f && m.apply != nil {
			m.apply(fact)
		}
	}
}

func (f *memoryFleet) Subscribe(apply func(resilient.AccountFact)) func() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.apply = apply
	return func() {}
}

func (f *memoryFleet) Lease(_ string, _ time.Duration, granted func(bool)) { granted(true) }

// Two instances share their account circuits: what one learns, the other
// knows at once. The module redisfleet does this over Redis.
func ExampleWithFleet() {
	srv := notificoretest.NewServer(notificoretest.WithBalance("test_key", 0))
	defer srv.Close()
	fleet := newMemoryFleet("a", "b")
	a := &http.Client{Transport: resilient.NewTransport(nil, resilient.WithFleet(fleet[0]))}
	b := &http.Client{Transport: resilient.NewTransport(nil, resilient.WithFleet(fleet[1]))}
	body := `{"destination":"phone","originator":"Acme","body":"Hi","msisdn":"+35790000001"}`

	resp, err := put(a, srv.RESTURL()+"/sms/create", "test_key", body) // code 8 at a
	if err == nil {
		resp.Body.Close()
	}
	_, err = put(b, srv.RESTURL()+"/sms/create", "test_key", body)
	var e *resilient.CircuitOpenError
	fmt.Println(errors.As(err, &e), e.Code, e.Instance)
	fmt.Println("requests:", srv.Requests())
	// Output:
	// true 8 a
	// requests: 1
}
