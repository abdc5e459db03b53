package bench

import (
	"io"
	"net/http"
	"time"

	"github.com/failsafe-go/failsafe-go/circuitbreaker"
	"github.com/failsafe-go/failsafe-go/failsafehttp"
	"github.com/hashicorp/go-retryablehttp"
	"github.com/resilient-sms/resilient"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/trace"
)

// DelayScale divides the retry delays of every library alike in the
// measured scenarios, so that the whole suite runs in minutes: 500 ms of a
// library's default becomes 1 ms. Attempts per call, the figure the
// scenarios report, do not depend on it.
const DelayScale = 500

// Resilient returns the transport under test over base, with its default
// back-off (500 ms, at most 30 s) divided by DelayScale and opts after it.
// Every other default stays: four attempts, the retry budget, the account
// and host circuits.
func Resilient(base http.RoundTripper, opts ...resilient.Option) *resilient.Transport {
	scaled := resilient.WithBackoff(resilient.Backoff{
		Initial: 500 * time.Millisecond / DelayScale,
		Max:     30 * time.Second / DelayScale,
	})
	return resilient.NewTransport(base, append([]resilient.Option{scaled}, opts...)...)
}

// RetryableHTTPClient returns a go-retryablehttp client over base as its
// README recommends (NewClient, then StandardClient or its RoundTripper):
// its defaults (RetryMax 4, DefaultRetryPolicy, DefaultBackoff), its waits
// (1 s to 30 s) divided by DelayScale, and its logger off, as the projects
// that use it in production do (its default logs every request to stderr).
func RetryableHTTPClient(base http.RoundTripper) *retryablehttp.Client {
	c := retryablehttp.NewClient()
	c.HTTPClient.Transport = base
	c.Logger = nil
	c.RetryWaitMin /= DelayScale
	c.RetryWaitMax /= DelayScale
	return c
}

// RetryableHTTP is RetryableHTTPClient as an http.RoundTripper.
func RetryableHTTP(base http.RoundTripper) http.RoundTripper {
	return &retryablehttp.RoundTripper{Client: RetryableHTTPClient(base)}
}

// Failsafe returns failsafe-go's failsafehttp round tripper over base with
// the two policies its HTTP documentation composes: the retry policy of
// failsafehttp.NewRetryPolicyBuilder with its defaults (3 attempts; 429 and
// 5xx but 501 and network errors retried; no delay unless Retry-After asks)
// outside a circuit breaker built as the documentation shows (opened by
// 429 answers, held open for their Retry-After).
func Failsafe(base http.RoundTripper) http.RoundTripper {
	rt, _ := FailsafeWithBreaker(base)
	return rt
}

// FailsafeWithBreaker is Failsafe that also returns its circuit breaker.
func FailsafeWithBreaker(base http.RoundTripper) (http.RoundTripper, circuitbreaker.CircuitBreaker[*http.Response]) {
	retry := failsafehttp.NewRetryPolicyBuilder().Build()
	breaker := circuitbreaker.NewBuilder[*http.Response]().
		HandleIf(func(resp *http.Response, _ error) bool {
			return resp != nil && resp.StatusCode == http.StatusTooManyRequests
		}).
		WithDelayFunc(failsafehttp.DelayFunc).
		Build()
	return failsafehttp.NewRoundTripper(base, retry, breaker), breaker
}

// OTel puts otelhttp on top of rt, as users trace a peer that has no
// tracing of its own, with tp and Propagator.
func OTel(rt http.RoundTripper, tp trace.TracerProvider) http.RoundTripper {
	return otelhttp.NewTransport(rt, otelhttp.WithTracerProvider(tp), otelhttp.WithPropagators(Propagator))
}

// Variant is one client of the happy-path comparison.
type Variant struct {
	// Name is the sub-benchmark's name.
	Name string
	// Traced reports that the client traces its calls.
	Traced bool
	// Control marks a variant that is no client of its own but an
	// experiment (on the floor, or on the transport's own options), shown
	// apart in the results.
	Control bool
	// New builds the client's round tripper over base; tp is the tracer
	// provider of traced variants.
	New func(base http.RoundTripper, tp trace.TracerProvider) http.RoundTripper
}

// Variants are the clients of the happy-path comparison, untraced first.
// "bare" is the floor; the traced peers are the untraced ones under
// otelhttp, while the transport under test traces itself.
var Variants = []Variant{
	{Name: "bare", New: func(b http.RoundTripper, _ trace.TracerProvider) http.RoundTripper { return b }},
	{Name: "resilient", New: func(b http.RoundTripper, _ trace.TracerProvider) http.RoundTripper { return Resilient(b) }},
	{Name: "retryablehttp", New: func(b http.RoundTripper, _ trace.TracerProvider) http.RoundTripper { return RetryableHTTP(b) }},
	{Name: "failsafe", New: func(b http.RoundTripper, _ trace.TracerProvider) http.RoundTripper { return Failsafe(b) }},
	{Name: "otelhttp", Traced: true, New: func(b http.RoundTripper, tp trace.TracerProvider) http.RoundTripper { return OTel(b, tp) }},
	{Name: "resilient+tracing", Traced: true, New: func(b http.RoundTripper, tp trace.TracerProvider) http.RoundTripper {
		return Resilient(b, resilient.WithTracerProvider(tp), resilient.WithPropagators(Propagator))
	}},
	{Name: "retryablehttp+otelhttp", Traced: true, New: func(b http.RoundTripper, tp trace.TracerProvider) http.RoundTripper {
		return OTel(RetryableHTTP(b), tp)
	}},
	{Name: "failsafe+otelhttp", Traced: true, New: func(b http.RoundTripper, tp trace.TracerProvider) http.RoundTripper {
		return OTel(Failsafe(b), tp)
	}},
	{Name: "resilient/limit-off", Control: true, New: func(b http.RoundTripper, _ trace.TracerProvider) http.RoundTripper {
		return Resilient(b, resilient.WithInFlightLimit(resilient.InFlightLimit{Disabled: true}))
	}},
	{Name: "bare+opaque-body", Control: true, New: func(b http.RoundTripper, _ trace.TracerProvider) http.RoundTripper {
		return hiddenBody{b}
	}},
	{Name: "bare+pass-through", Control: true, New: func(b http.RoundTripper, _ trace.TracerProvider) http.RoundTripper {
		return passThrough{b}
	}},
}

// passThrough is the control of a layer: a RoundTripper that only calls the
// bare transport. It shows what any wrapper costs before it does anything.
type passThrough struct{ base http.RoundTripper }

func (p passThrough) RoundTrip(req *http.Request) (*http.Response, error) {
	return p.base.RoundTrip(req)
}

// hiddenBody is the control of the happy path: the bare transport, with
// each request's body wrapped in a type net/http does not know, as a
// wrapper that tracks reads does. net/http then writes the headers and the
// body apart. It shows what that alone costs.
type hiddenBody struct{ base http.RoundTripper }

func (h hiddenBody) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return h.base.RoundTrip(req)
	}
	r := *req
	r.Body = opaqueBody{req.Body}
	return h.base.RoundTrip(&r)
}

// opaqueBody hides the type of the body it wraps.
type opaqueBody struct{ io.ReadCloser }
