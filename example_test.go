package resilient_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/resilient-sms/resilient"
	"github.com/resilient-sms/resilient/notificoretest"
)

func put(client *http.Client, url, key, body string) (*http.Response, error) {
	req, _ := http.NewRequest(http.MethodPut, url, strings.NewReader(body))
	req.Header.Set("X-API-KEY", key)
	return client.Do(req)
}

// A Transport wraps an existing client's transport in one line. Code 11
// (too many messages in flight) is retried with back-off; the caller sees
// only the final answer.
func ExampleNewTransport() {
	srv := notificoretest.NewServer()
	defer srv.Close()
	srv.Script(notificoretest.Fault{Code: 11}, notificoretest.Fault{Code: 11, CodeString: true})

	client := &http.Client{Transport: resilient.NewTransport(nil,
		resilient.WithBackoff(resilient.Backoff{Initial: time.Millisecond}))}

	resp, err := put(client, srv.RESTURL()+"/sms/create", "test_key",
		`{"destination":"phone","originator":"Acme","body":"Hello","msisdn":"+35790000001","reference":"order42"}`)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	out, _ := resilient.OutcomeOf(resp)
	fmt.Println("requests seen by the server:", srv.Requests())
	fmt.Println("final outcome:", out.Class)
	// Output:
	// requests seen by the server: 3
	// final outcome: success
}

// An invalid phone number arrives as code 21 in an HTTP 200: it comes back at
// once, body intact.
func ExampleOutcomeOf() {
	srv := notificoretest.NewServer()
	defer srv.Close()
	client := &http.Client{Transport: resilient.NewTransport(nil)}

	resp, err := put(client, srv.RESTURL()+"/sms/create", "test_key",
		`{"destination":"phone","originator":"Acme","body":"Hello","msisdn":"12"}`)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	out, _ := resilient.OutcomeOf(resp)
	fmt.Println(resp.StatusCode, string(body))
	fmt.Println(out.Class, out.Code, srv.Requests())
	// Output:
	// 200 {"error":21,"errorDescription":"invalid phone number"}
	// permanent 21 1
}

// Not enough funds (code 8) opens the account's circuit: later calls of the
// account fail fast, without network I/O, with an error that says why and
// until when.
func ExampleErrCircuitOpen() {
	srv := notificoretest.NewServer(notificoretest.WithBalance("live_acme", 0))
	defer srv.Close()
	client := &http.Client{Transport: resilient.NewTransport(nil)}
	body := `{"destination":"phone","originator":"Acme","body":"Hi","msisdn":"+35790000001"}`

	resp, err := put(client, srv.RESTURL()+"/sms/create", "live_acme", body)
	if err == nil {
		resp.Body.Close()
	}
	_, err = put(client, srv.RESTURL()+"/sms/create", "live_acme", body)
	var open *resilient.CircuitOpenError
	if errors.Is(err, resilient.ErrCircuitOpen) && errors.As(err, &open) {
		fmt.Println(open.Scope, open.Code, open.Description)
		fmt.Println("open for about", time.Until(open.Until).Round(time.Minute))
	}
	fmt.Println("requests seen by the server:", srv.Requests())
	// Output:
	// account 8 not enough funds
	// open for about 1m0s
	// requests seen by the server: 1
}

// Rules change what happens to one code: here code 5 (unknown error) is
// never resent, and code 11 gets more attempts with a longer back-off.
func ExampleWithCodeRule() {
	srv := notificoretest.NewServer()
	defer srv.Close()
	srv.Script(notificoretest.Fault{Code: 5})
	client := &http.Client{Transport: resilient.NewTransport(nil,
		resilient.WithCodeRule(5, resilient.Rule{Class: resilient.ClassPermanent}),
		resilient.WithCodeRule(11, resilient.Rule{Class: resilient.ClassTransient, MaxAttempts: 8,
			Backoff: resilient.Backoff{Initial: 2 * time.Second, Max: time.Minute}}),
	)}
	resp, err := put(client, srv.RESTURL()+"/sms/create", "test_key",
		`{"destination":"phone","originator":"Acme","body":"Hi","msisdn":"+35790000001","reference":"r1"}`)
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	out, _ := resilient.OutcomeOf(resp)
	fmt.Println(out.Code, out.Class, srv.Requests())
	// Output:
	// 5 permanent 1
}

// Every RoundTrip is one INTERNAL span named for the Notificore operation,
// with a CLIENT span per attempt and an event for each decision.
func ExampleWithTracerProvider() {
	srv := notificoretest.NewServer()
	defer srv.Close()
	srv.Script(notificoretest.Fault{Status: http.StatusServiceUnavailable})
	spans := tracetest.NewSpanRecorder()
	tp := trace.NewTracerProvider(trace.WithSpanProcessor(spans))
	defer tp.Shutdown(context.Background())

	client := &http.Client{Transport: resilient.NewTransport(nil,
		resilient.WithTracerProvider(tp),
		resilient.WithBackoff(resilient.Backoff{Initial: time.Millisecond}))}
	req, _ := http.NewRequest(http.MethodGet, srv.RESTURL()+"/common/balance", nil)
	req.Header.Set("X-API-KEY", "test_key")
	resp, err := client.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	for _, s := range spans.Ended() {
		fmt.Printf("%s %s", s.SpanKind(), s.Name())
		for _, ev := range s.Events() {
			fmt.Printf(" [%s]", ev.Name)
		}
		fmt.Println()
	}
	// Output:
	// client GET
	// client GET
	// internal balance [retry scheduled]
}
