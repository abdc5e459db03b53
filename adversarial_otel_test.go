package resilient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// Secrets that must never reach telemetry, each distinctive enough to
// search for.
const (
	secretKey   = "live_Zq8secretKEY77"
	secretPhone = "+35799887766"
	secretText  = "TopSecretMessageText"
	secretRef   = "RefSecret9931"
	secretToken = "eyJsecret.tokenPart.QQsig"
)

// Many goroutines share one traced Transport over a misbehaving base:
// no race, no panic, and no secret in any span, event or metric.
func TestAdversarialOtelConcurrentMisbehaviour(t *testing.T) {
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(5, 6))
	pick := func(n int) int { mu.Lock(); defer mu.Unlock(); return rng.IntN(n) }
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if r.Body != nil {
			io.Copy(io.Discard, r.Body)
			r.Body.Close()
		}
		echo := `{"error":21,"errorDescription":"invalid phone ` + secretPhone + ` ` + secretText + `","reference":"` + secretRef + `"}`
		switch pick(9) {
		case 0:
			return nil, errors.New("dial tcp: lookup " + secretKey)
		case 1:
			return response(200, `{"error":0}`), errors.New("both at once")
		case 2:
			return &http.Response{StatusCode: 503, Body: io.NopCloser(strings.NewReader(echo))}, nil
		case 3:
			return response(200, `{"message":"`+secretText+`","errors":["`+secretRef+`"]}`, "Retry-After", "1"), nil
		case 4:
			return response(200, `{"result":[{"error":23,"reference":"`+secretRef+`"},{"error":11,"errorDescription":"`+secretPhone+`"}]}`), nil
		case 5:
			return response(200, echo), nil
		case 6:
			return response(402, `{"message":"Unavailable for your account status"}`), nil
		case 7:
			return response(200, `{"error":5,"errorDescription":"`+secretText+`"}`), nil
		}
		return response(200, `{"result":{"error":0,"id":"1"}}`), nil
	})
	rt := NewTransport(base, withClock(newFakeClock()), WithTracerProvider(tp), WithMeterProvider(mp),
		WithPropagators(propagation.TraceContext{}), WithAccountCircuit(AccountCircuit{Probe: BalanceProbe}))
	body := `{"destination":"phone","originator":"Acme","body":"` + secretText + `","msisdn":"` + secretPhone + `","reference":"` + secretRef + `"}`
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 60 {
				var req *http.Request
				if (g+i)%3 == 0 {
					req = newCall(t, http.MethodPost, "https://api.test/api/campaigns/sms/send?ref="+secretRef, body, "")
					req.Header.Set("Authorization", "Bearer "+secretToken)
				} else {
					req = newCall(t, http.MethodPut, "https://api.test/rest/sms/create?phone="+secretPhone, body, secretKey)
				}
				before := req.Header.Clone()
				resp, err := rt.RoundTrip(req)
				if err == nil {
					io.ReadAll(resp.Body)
					resp.Body.Close()
				}
				if fmt.Sprint(req.Header) != fmt.Sprint(before) {
					t.Errorf("the caller's request headers changed: %v -> %v", before, req.Header)
				}
			}
		})
	}
	wg.Wait()
	var all strings.Builder
	for _, s := range spans.Ended() {
		fmt.Fprintf(&all, "%s %v %v %v\n", s.Name(), s.Attributes(), s.Events(), s.Status())
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&all, "%+v", rm)
	dump := all.String()
	if !strings.Contains(dump[strings.LastIndex(dump, "{Resource"):], "resilient.outcomes") {
		t.Error("metrics missing from the dump")
	}
	if len(spans.Ended()) == 0 {
		t.Fatal("no spans: the test tests nothing")
	}
	for _, s := range []string{secretKey, secretPhone, secretText, secretRef, secretToken, "tokenPart"} {
		if i := strings.Index(dump, s); i >= 0 {
			t.Errorf("%q reached telemetry: ...%s...", s, dump[max(i-120, 0):min(i+40, len(dump))])
		}
	}
}
