// Command quickstart wraps an http.Client in a resilient.Transport and sends
// a realistic mix of Notificore calls to a fake Notificore API on loopback,
// which meets them with the faults the real one has: code 11 throttling,
// errors in HTTP 200 answers, per-recipient codes in bulk answers, a
// connection dropped after the work was done, a 503 with Retry-After, an
// account out of funds. It prints every decision the Transport made, read
// from its OpenTelemetry trace, and a summary.
//
// Then it shows how to put the Transport under the official notificore-go
// SDK, which builds a bare http.Client for every call: by replacing
// http.DefaultTransport.
//
// Run it from the repository root:
//
//	go run ./examples/quickstart
//
// It exits with status 1 when the Transport does not do what the scenario
// expects of it, such as sending a message twice.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/resilient-sms/resilient"
	"github.com/resilient-sms/resilient/examples/internal/scenario"
	"github.com/resilient-sms/resilient/notificoretest"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := run(ctx, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		cancel()
		os.Exit(1)
	}
}

// run runs the scenario, then the SDK demonstration, writing to w.
func run(ctx context.Context, w io.Writer) error {
	srv := notificoretest.NewServer() // a fake Notificore API on 127.0.0.1
	defer srv.Close()

	// The spans of the Transport are where its decisions are told; the
	// scenario reads them back with a span processor of its own. Add an
	// exporter here (sdktrace.WithBatcher) to see them in a tracing UI too.
	tp := sdktrace.NewTracerProvider()
	defer tp.Shutdown(context.Background())

	// The one line: every call through client is classified, resent when
	// that is both useful and safe, stopped by open circuits, and traced.
	client := &http.Client{Transport: resilient.NewTransport(nil, resilient.WithTracerProvider(tp))}

	sum, err := scenario.Run(ctx, w, client, srv, tp)
	fmt.Fprintln(w, sum)
	if err != nil {
		return err
	}
	fmt.Fprintln(w)
	return underSDK(w, srv)
}

// underSDK installs a Transport where the official notificore-go SDK picks
// it up and sends three messages the way that SDK does.
func underSDK(w io.Writer, srv *notificoretest.Server) error {
	// The SDK builds a bare &http.Client{} for every call, so the only way in
	// is http.DefaultTransport. Save the original and pass it as the base,
	// never whatever http.DefaultTransport is at the time: once it has been
	// replaced, a Transport built over it sends through the resilient
	// Transport (each of its attempts retried again underneath, and circuits
	// counted twice), and a wrapper that reads http.DefaultTransport on every
	// request would call itself forever. The saved original is also what
	// restores the process afterwards.
	//
	// WithFailFastAnswers, because the SDK calls log.Fatal on any error of
	// client.Do: with the default fail-fast mode an open circuit would
	// surface as resilient.ErrCircuitOpen and end the program. With it, a
	// fail-fast is answered locally in the API's own shape, e.g.
	// {"error":8,"errorDescription":"not enough funds"}, which the SDK
	// decodes and hands back like any answer of the API. (Failures no
	// Transport can turn into an answer, such as a server unreachable on
	// every attempt, still reach the SDK as errors.)
	saved := http.DefaultTransport
	http.DefaultTransport = resilient.NewTransport(saved, resilient.WithFailFastAnswers())
	defer func() { http.DefaultTransport = saved }()

	const key = "test_sdk"
	srv.SetBalance(key, 1)
	srv.Script(notificoretest.Fault{Path: "/sms/create", Code: 11})

	fmt.Fprintln(w, "notificore-go style calls, through http.DefaultTransport = resilient.NewTransport(saved, resilient.WithFailFastAnswers()):")
	for i, c := range []struct {
		label, msisdn, ref     string
		wantCode, wantRequests int
	}{
		{"sdk: code 11 once", "+37060000101", "qssdk1", 0, 2},
		{"sdk: no funds", "+37060000102", "qssdk2", 8, 1},
		{"sdk: again", "+37060000103", "qssdk3", 8, 0},
	} {
		before := srv.Requests()
		ans, err := sdkSendSMS(srv.RESTURL(), key, sdkSMS{
			Destination: "phone", Originator: "Shop", Body: "Your order has shipped", MSISDN: c.msisdn, Reference: c.ref,
		})
		if err != nil {
			// The SDK would have called log.Fatal here.
			return fmt.Errorf("%s: the SDK would have called log.Fatal: %w", c.label, err)
		}
		requests := srv.Requests() - before
		fmt.Fprintf(w, "%-18s  %-10s  the SDK reads %s\n", c.label, scenario.Plural(requests, "request"), ans)
		if ans.code() != c.wantCode || requests != c.wantRequests {
			return fmt.Errorf("%s (#%d): error %d after %d requests, want error %d after %d",
				c.label, i+1, ans.code(), requests, c.wantCode, c.wantRequests)
		}
	}
	fmt.Fprintln(w, "the last answer was made locally by the open account circuit: no request, and no transport error for the SDK to log.Fatal on")
	if n := srv.Accepted(); n == 0 {
		return errors.New("the SDK's first message was not accepted")
	}
	return nil
}

// sdkSMS is the body of a single SMS create, as the SDK marshals it.
type sdkSMS struct {
	Destination string `json:"destination"`
	Originator  string `json:"originator"`
	Body        string `json:"body"`
	MSISDN      string `json:"msisdn"`
	Reference   string `json:"reference"`
}

// sdkAnswer is the answer as the SDK decodes it: the code is an int, top
// level for errors and inside "result" for a single create.
type sdkAnswer struct {
	Error            int    `json:"error"`
	ErrorDescription string `json:"errorDescription"`
	Result           struct {
		Error            int    `json:"error"`
		ErrorDescription string `json:"errorDescription"`
		ID               string `json:"id"`
	} `json:"result"`
}

func (a sdkAnswer) code() int {
	if a.Error != 0 {
		return a.Error
	}
	return a.Result.Error
}

func (a sdkAnswer) String() string {
	if a.Error != 0 {
		return fmt.Sprintf("error %d (%s)", a.Error, a.ErrorDescription)
	}
	return fmt.Sprintf("error %d, id %s", a.Result.Error, a.Result.ID)
}

// sdkSendSMS sends one SMS the way the official notificore-go SDK does: a
// new bare http.Client per call (so http.DefaultTransport), PUT with a JSON
// body under a multipart Content-Type, the key in X-API-KEY. Where the SDK
// calls log.Fatal on a transport error, this returns it.
func sdkSendSMS(baseURL, key string, msg sdkSMS) (sdkAnswer, error) {
	var ans sdkAnswer
	body, err := json.Marshal(msg)
	if err != nil {
		return ans, err
	}
	req, err := http.NewRequest(http.MethodPut, baseURL+"/sms/create", bytes.NewReader(body))
	if err != nil {
		return ans, err
	}
	req.Header.Set("X-API-KEY", key)
	req.Header.Set("Content-Type", "multipart/form-data")
	client := &http.Client{}
	resp, err := client.Do(req)
	if err != nil {
		return ans, err // the SDK: log.Fatal(err)
	}
	defer resp.Body.Close()
	err = json.NewDecoder(resp.Body).Decode(&ans)
	return ans, err
}
