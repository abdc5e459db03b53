package scenario

import (
	"bytes"
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.uber.org/goleak"

	"github.com/resilient-sms/resilient"
	"github.com/resilient-sms/resilient/notificoretest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// setup returns a fresh server and a TracerProvider, both closed when the
// test ends.
func setup(t *testing.T) (*notificoretest.Server, *sdktrace.TracerProvider) {
	t.Helper()
	srv := notificoretest.NewServer()
	tp := sdktrace.NewTracerProvider()
	t.Cleanup(func() {
		tp.Shutdown(context.Background())
		srv.Close()
	})
	return srv, tp
}

func TestRun(t *testing.T) {
	srv, tp := setup(t)
	client := &http.Client{Transport: NewTransport(tp)}
	var out bytes.Buffer
	sum, err := Run(t.Context(), &out, client, srv, tp)
	t.Log("\n" + out.String())
	if err != nil {
		t.Fatal(err)
	}
	want := Summary{Calls: 12, Attempts: 14, Requests: 14, Retries: 4, Accepted: 9, FailedFast: 2, Duplicates: 0}
	got := sum
	got.Elapsed = 0
	if got != want {
		t.Errorf("summary\n got %+v\nwant %+v", got, want)
	}
	if sum.Elapsed < time.Second {
		t.Errorf("elapsed %s: the Retry-After: 1 wait alone takes a second", sum.Elapsed)
	}

	// One line per decision, in order, for every call.
	lines := []string{
		`sms: code 11 twice +attempt 1  HTTP 200 +transient  code 11  → retry when the account's in-flight limit has room, within \d+ms`,
		`sms: code 11 twice +attempt 2  HTTP 200 +transient  code 11  → retry when the account's in-flight limit has room, within [\d.]+m?s`,
		`sms: code 11 twice +attempt 3  HTTP 200 +success +→ done`,
		`sms: code 11 twice +result +caller gets HTTP 200: accepted, id 1`,
		`sms: invalid phone +attempt 1  HTTP 200 +permanent  code 21  → returned at once \(permanent\)`,
		`sms: invalid phone +result +caller gets HTTP 200 with error 21 \(invalid phone number\)`,
		`sms bulk: 1 of 3 gets code 11 +attempt 1  HTTP 200 +transient  code 11  → retry when the account's in-flight limit has room, within \d+ms`,
		`sms bulk: 1 of 3 gets code 11 +attempt 2  HTTP 200 +success +→ done: a duplicate reference on a resend means accepted earlier`,
		`sms bulk: 1 of 3 gets code 11 +result +caller gets HTTP 200: 3 of 3 recipients accepted \(2 earlier; X-Resilient-Accepted-Earlier: 2\)`,
		`sms bulk: reset, 1 unreferenced +attempt 1  (conn reset|conn closed) transient +→ not resent: it may have been processed and lacks references`,
		`sms bulk: reset, 1 unreferenced +result +caller gets a \*resilient.Error: transient, unsafe, after 1 attempt`,
		`sms: look up by reference +attempt 1  HTTP 200 +success +→ done`,
		`viber: 503, Retry-After: 1 +attempt 1  HTTP 503 +transient +→ retry in 1s \(Retry-After\)`,
		`viber: 503, Retry-After: 1 +attempt 2  HTTP 200 +success +→ done`,
		`balance \(low account\) +result +caller gets HTTP 200: balance 0.02 EUR`,
		`sms \(low account\) +attempt 1  HTTP 200 +success +→ done`,
		`sms \(low account\): no funds +attempt 1  HTTP 200 +account +code 8 +→ returned at once \(account-level\)`,
		`sms \(low account\): no funds +circuit +account closed → open, probe in 1m0s \(code 8\)`,
		`sms \(low account\) again +failed fast: account circuit open \(code 8\), probe in 1m0s; nothing sent`,
		`sms \(low account\) again +result +caller gets resilient.ErrCircuitOpen at once`,
		`balance \(low account\) again +failed fast: account circuit open \(code 8\), probe in 1m0s; nothing sent`,
		`sms \(main account\) +attempt 1  HTTP 200 +success +→ done`,
	}
	text := out.String()
	for _, l := range lines {
		re := regexp.MustCompile(`(?m)^` + l + `$`)
		loc := re.FindStringIndex(text)
		if loc == nil {
			t.Errorf("no line matches %s", l)
			continue
		}
		text = text[loc[1]:]
	}
}

// resendOnError is the naive retry loop the Transport exists to replace: it
// resends any request that met a transport error.
type resendOnError struct{ base http.RoundTripper }

func (t resendOnError) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err == nil || req.GetBody == nil {
		return resp, err
	}
	body, gerr := req.GetBody()
	if gerr != nil {
		return nil, err
	}
	again := req.Clone(req.Context())
	again.Body = body
	return t.base.RoundTrip(again)
}

// Run must notice a message sent twice.
func TestRunCatchesDuplicate(t *testing.T) {
	srv, tp := setup(t)
	client := &http.Client{Transport: resilient.NewTransport(resendOnError{http.DefaultTransport}, resilient.WithTracerProvider(tp))}
	var out bytes.Buffer
	sum, err := Run(t.Context(), &out, client, srv, tp)
	if err == nil {
		t.Fatalf("Run passed with a naive resend under the Transport:\n%s", out.String())
	}
	t.Log(err)
	if !strings.Contains(err.Error(), "sms bulk: reset, 1 unreferenced") {
		t.Errorf("error %q does not name the step that sent twice", err)
	}
	if sum.Duplicates != 1 {
		t.Errorf("%d duplicates, want 1", sum.Duplicates)
	}
}

// Run must refuse a client that does not trace to the provider it is given.
func TestRunNeedsTraces(t *testing.T) {
	srv, tp := setup(t)
	var out bytes.Buffer
	_, err := Run(t.Context(), &out, srv.Client(), srv, tp)
	if err == nil || !strings.Contains(err.Error(), "RoundTrip spans") {
		t.Fatalf("Run with a plain client: %v", err)
	}
}

func TestRunNeedsFreshServer(t *testing.T) {
	srv, tp := setup(t)
	client := &http.Client{Transport: NewTransport(tp)}
	if _, err := Run(t.Context(), &bytes.Buffer{}, client, srv, tp); err != nil {
		t.Fatal(err)
	}
	_, err := Run(t.Context(), &bytes.Buffer{}, client, srv, tp)
	if err == nil || !strings.Contains(err.Error(), "fresh") {
		t.Fatalf("second Run on the same server: %v", err)
	}
}

func TestDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		412345678 * time.Nanosecond:        "412ms",
		time.Second:                        "1s",
		1126 * time.Millisecond:            "1.13s",
		59994 * time.Millisecond:           "59.99s",
		time.Minute + 400*time.Millisecond: "1m0s",
	} {
		if got := Duration(d); got != want {
			t.Errorf("Duration(%s) = %q, want %q", d, got, want)
		}
	}
}
