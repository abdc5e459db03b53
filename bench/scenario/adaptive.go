package scenario

import (
	"bytes"
	"io"
	"net/http"
	"time"

	"github.com/failsafe-go/failsafe-go/adaptivelimiter"
	"github.com/failsafe-go/failsafe-go/failsafehttp"
	"github.com/resilient-sms/resilient"
	"github.com/resilient-sms/resilient/bench"
	"go.opentelemetry.io/otel/metric"
)

// The clients of the capped scenarios. Every one but the plain defaults has
// the code 11 rule of ThrottleRule (or its peers' equivalent) and delays
// divided by bench.DelayScale.
var (
	Oracle = CapClient{Name: "oracle", Oracle: true,
		Note: "a semaphore of exactly the cap (weighted by recipients) in front of the bare transport"}
	Adaptive = CapClient{Name: "resilient", Note: "adaptive in-flight limit (the default), code 11 rule",
		New: func(b http.RoundTripper, mp metric.MeterProvider) http.RoundTripper {
			return bench.Resilient(b, resilient.WithCodeRule(11, ThrottleRule), resilient.WithMeterProvider(mp))
		}}
	AdaptiveDefaults = CapClient{Name: "resilient, plain defaults",
		Note: "NewTransport(base) as it comes: adaptive limit, 4 attempts, 500 ms back-off not scaled",
		New: func(b http.RoundTripper, mp metric.MeterProvider) http.RoundTripper {
			return resilient.NewTransport(b, resilient.WithMeterProvider(mp))
		}}
	BackoffOnly = CapClient{Name: "resilient, back-off only", Note: "InFlightLimit{Disabled: true}, code 11 rule",
		New: func(b http.RoundTripper, mp metric.MeterProvider) http.RoundTripper {
			return bench.Resilient(b, resilient.WithCodeRule(11, ThrottleRule),
				resilient.WithInFlightLimit(resilient.InFlightLimit{Disabled: true}), resilient.WithMeterProvider(mp))
		}}
	BackoffOnlyDefaults = CapClient{Name: "resilient, back-off only, plain defaults",
		Note: "NewTransport(base, WithInFlightLimit(InFlightLimit{Disabled: true})): 4 attempts, 500 ms back-off not scaled",
		New: func(b http.RoundTripper, mp metric.MeterProvider) http.RoundTripper {
			return resilient.NewTransport(b, resilient.WithInFlightLimit(resilient.InFlightLimit{Disabled: true}), resilient.WithMeterProvider(mp))
		}}
	FailsafeAdaptive = CapClient{Name: "failsafe, adaptive limiter",
		Note: "retry policy (code 11 and ErrExceeded, 50 attempts, back-off 1–50 ms, jitter 0.5) around adaptivelimiter as documented (limits 1–100 from 20, queueing 2–3)",
		New:  func(b http.RoundTripper, _ metric.MeterProvider) http.RoundTripper { return FailsafeAdaptiveLimiter(b) }}
	RetryableMatched = CapClient{Name: "retryablehttp, matched", Note: "CheckRetry on code 11, RetryMax 49, waits 1–50 ms",
		New: func(b http.RoundTripper, _ metric.MeterProvider) http.RoundTripper { return GoodputClients[2].New(b) }}
	RetryableDefaults = CapClient{Name: "retryablehttp, defaults", Note: "CheckRetry on code 11, RetryMax 4, waits 2–60 ms",
		New: func(b http.RoundTripper, _ metric.MeterProvider) http.RoundTripper { return GoodputClients[3].New(b) }}
)

// FailsafeAdaptiveLimiter is failsafe-go's adaptive limiter composed with
// its retry policy over base, as its documentation shows: the limiter built
// as the adaptive limiter page's example (limits 1 to 100 starting at 20,
// recent window 1–30 s of at least 50 samples, baseline 10, queueing from 2
// to 3 times the limit), inside failsafehttp's retry policy, which handles
// the limiter's ErrExceeded too (the composition page's advice for outer
// policies) and code 11, with ThrottleRule's attempts and delay bounds.
func FailsafeAdaptiveLimiter(base http.RoundTripper) http.RoundTripper {
	limiter := adaptivelimiter.NewBuilder[*http.Response]().
		WithLimits(1, 100, 20).
		WithRecentWindow(time.Second, 30*time.Second, 50).
		WithBaselineWindow(10).
		WithQueueing(2, 3).
		Build()
	retry := failsafehttp.NewRetryPolicyBuilder().
		HandleIf(func(resp *http.Response, err error) bool { return err == nil && isCode11(resp) }).
		HandleErrors(adaptivelimiter.ErrExceeded).
		WithMaxAttempts(ThrottleRule.MaxAttempts).
		WithBackoff(ThrottleRule.Backoff.Initial, ThrottleRule.Backoff.Max).
		WithJitterFactor(0.5).
		Build()
	return failsafehttp.NewRoundTripper(base, retry, limiter)
}

// isCode11 reports whether resp is an HTTP 200 carrying code 11, putting
// back a body equal to the one it read.
func isCode11(resp *http.Response) bool {
	if resp == nil || resp.StatusCode != http.StatusOK {
		return false
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	c, ok := Code(b)
	return err == nil && ok && c == 11
}

// Issue 11's scenarios, sized for scripts/bench.sh.
var (
	// ThrottleLoad is the goodput scenario: 64 senders share 20 000 single
	// creates under a cap of 20 in flight, 10 ms each.
	ThrottleLoad = Load{Messages: 20000, Senders: 64, Cap: 20, Processing: 10 * time.Millisecond, SampleLimit: true}
	// ChangingLoad changes the cap from 20 to 5 to 40, every 3 s.
	ChangingLoad = Load{Duration: 9 * time.Second, Senders: 64, Cap: 20, Processing: 10 * time.Millisecond,
		Changes: []CapChange{{0, 20}, {3 * time.Second, 5}, {6 * time.Second, 40}}, SampleLimit: true}
	// SharedLoad has four Transports of 16 senders each share the cap of
	// one account for 5 s.
	SharedLoad = Load{Duration: 5 * time.Second, Senders: 16, Transports: 4, Cap: 20, Processing: 10 * time.Millisecond}
	// BulkLoad mixes creates of 1 to 50 recipients under a cap of 100
	// messages for 5 s.
	BulkLoad = Load{Duration: 5 * time.Second, Senders: 64, Recipients: 50, Cap: 100, Processing: 10 * time.Millisecond, SampleLimit: true}
)

// The clients of each scenario, the oracle first.
var (
	ThrottleClients = []CapClient{Oracle, Adaptive, AdaptiveDefaults, BackoffOnly, BackoffOnlyDefaults, FailsafeAdaptive, RetryableMatched}
	ChangingClients = []CapClient{Oracle, Adaptive, BackoffOnly, FailsafeAdaptive}
	SharedClients   = []CapClient{Oracle, Adaptive, BackoffOnly}
	BulkClients     = []CapClient{Oracle, Adaptive, BackoffOnly}
)
