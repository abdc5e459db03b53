package scenario

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	"github.com/resilient-sms/resilient"
	"github.com/resilient-sms/resilient/bench"
	"github.com/resilient-sms/resilient/notificoretest"
)

// ThrottleRule is the rule the transport under test gets for code 11 in
// the goodput scenario. By default code 11 is already transient and exempt
// from the retry budget, but a call makes at most 4 attempts; a sender that
// must not lose a message under a cap it shares with 63 others needs far
// more, paced by a short jittered back-off since the server refuses at once
// and slots free up within the processing time.
var ThrottleRule = resilient.Rule{
	Class:       resilient.ClassTransient,
	MaxAttempts: 50,
	Backoff:     resilient.Backoff{Initial: time.Millisecond, Max: 50 * time.Millisecond},
}

// GoodputClients are the clients of the goodput scenario. go-retryablehttp
// retries by status and cannot see code 11 in a 200 answer; it gets a
// CheckRetry that reads the body and retries code 11 (else its
// DefaultRetryPolicy), which is what its users write. "matched" gives it
// the same attempts and the same delay bounds as the transport under test;
// "defaults" keeps RetryMax 4 and its waits divided by bench.DelayScale.
var GoodputClients = []Client{
	{"resilient", "code 11 rule: 50 attempts, back-off 1–50 ms with jitter",
		func(b http.RoundTripper) http.RoundTripper {
			return bench.Resilient(b, resilient.WithCodeRule(11, ThrottleRule))
		}},
	{"resilient, ×2 back-off", "as resilient, with DefaultBackoff's multiplier 2 in place of 1.5",
		func(b http.RoundTripper) http.RoundTripper {
			r := ThrottleRule
			r.Backoff.Multiplier = 2
			return bench.Resilient(b, resilient.WithCodeRule(11, r))
		}},
	{"retryablehttp, matched", "CheckRetry on code 11, RetryMax 49, waits 1–50 ms (DefaultBackoff, no jitter)",
		func(b http.RoundTripper) http.RoundTripper {
			c := bench.RetryableHTTPClient(b)
			c.CheckRetry = retryCode11
			c.RetryMax = ThrottleRule.MaxAttempts - 1
			c.RetryWaitMin, c.RetryWaitMax = ThrottleRule.Backoff.Initial, ThrottleRule.Backoff.Max
			return &retryablehttp.RoundTripper{Client: c}
		}},
	{"retryablehttp, defaults", "CheckRetry on code 11, RetryMax 4, waits 2–60 ms",
		func(b http.RoundTripper) http.RoundTripper {
			c := bench.RetryableHTTPClient(b)
			c.CheckRetry = retryCode11
			return &retryablehttp.RoundTripper{Client: c}
		}},
}

// retryCode11 is DefaultRetryPolicy that also retries an HTTP 200 answer
// carrying code 11. It reads the body and puts an equal one back.
func retryCode11(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if err == nil && ctx.Err() == nil && resp != nil && resp.StatusCode == http.StatusOK {
		b, rerr := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(b))
		if c, ok := Code(b); rerr == nil && ok && c == 11 {
			return true, nil
		}
	}
	return retryablehttp.DefaultRetryPolicy(ctx, resp, err)
}

// GoodputConfig sizes the goodput scenario.
type GoodputConfig struct {
	Messages    int           // messages to send, each with its own reference
	Senders     int           // goroutines sharing them
	MaxInFlight int           // the server's cap (notificoretest.WithMaxInFlight)
	Processing  time.Duration // how long each create is in flight
}

// Capacity is the most messages per second the cap lets through.
func (g GoodputConfig) Capacity() float64 { return float64(g.MaxInFlight) / g.Processing.Seconds() }

// Goodput is what one client achieved against the cap.
type Goodput struct {
	Client     string
	Note       string
	Config     GoodputConfig
	Accepted   int           // distinct messages the server accepted
	Duplicates int           // messages accepted more than once
	Lost       int           // messages the server never accepted
	Misreports int           // messages whose call's answer disagrees with the server
	Attempts   int           // requests the server received
	Elapsed    time.Duration // wall time until every sender was done
}

// Rate is accepted messages per second.
func (g Goodput) Rate() float64 { return float64(g.Accepted) / g.Elapsed.Seconds() }

// Fraction is Rate as a fraction of the cap's capacity.
func (g Goodput) Fraction() float64 { return g.Rate() / g.Config.Capacity() }

// RunGoodput has cfg.Senders goroutines share cfg.Messages single SMS
// creates, each with its own reference, through c, against a fake server
// that holds each create in flight for cfg.Processing and refuses with code
// 11 any create that would put more than cfg.MaxInFlight messages in
// flight. It then compares what the callers were told with what the server
// accepted.
func RunGoodput(c Client, cfg GoodputConfig) Goodput {
	srv := notificoretest.NewServer(
		notificoretest.WithMaxInFlight(cfg.MaxInFlight),
		notificoretest.WithProcessingTime(cfg.Processing))
	defer srv.Close()
	base := bench.NewBareTransport()
	defer base.CloseIdleConnections()
	client := &http.Client{Transport: c.New(base)}
	url := srv.RESTURL() + "/sms/create"

	told := make([]bool, cfg.Messages) // the caller was told: accepted
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range cfg.Senders {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= cfg.Messages {
					return
				}
				told[i] = send(context.Background(), client, url, ref(i))
			}
		})
	}
	wg.Wait()
	g := Goodput{Client: c.Name, Note: c.Note, Config: cfg, Elapsed: time.Since(start), Attempts: srv.Requests()}

	seen := make(map[string]int, cfg.Messages)
	for _, m := range srv.Messages() {
		seen[m.Reference]++
	}
	for i := range cfg.Messages {
		n := seen[ref(i)]
		switch {
		case n == 0:
			g.Lost++
		default:
			g.Accepted++
			g.Duplicates += n - 1
		}
		if told[i] != (n > 0) {
			g.Misreports++
		}
	}
	return g
}
