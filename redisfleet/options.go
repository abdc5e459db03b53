package redisfleet

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"time"

	"github.com/cenkalti/backoff/v4"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// An Option configures a Fleet.
type Option func(*options)

type options struct {
	prefix     string
	instance   string
	logger     *slog.Logger
	tracer     trace.TracerProvider
	meter      metric.MeterProvider
	backOff    func() backoff.BackOff
	queue      int
	leaseWait  time.Duration
	closedKeep time.Duration
	dial       dialer
}

func defaultOptions() options {
	return options{
		prefix:     "resilient:",
		queue:      1024,
		leaseWait:  100 * time.Millisecond,
		closedKeep: time.Minute,
		backOff:    defaultBackOff,
	}
}

// WithPrefix sets the prefix of every key and channel the Fleet uses in
// Redis; "resilient:" by default. Instances share facts only with the
// instances that use the same prefix.
func WithPrefix(p string) Option { return func(o *options) { o.prefix = p } }

// WithInstance names this instance in the facts it publishes and in the
// leases it holds; host-pid-random by default. Names must differ between
// instances, or they would ignore each other's facts as their own.
func WithInstance(name string) Option { return func(o *options) { o.instance = name } }

// WithLogger sets where the Fleet says that it lost or regained Redis (once
// per outage) and what it dropped; nothing is logged by default.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithTracerProvider records a short span when the Fleet loses Redis and
// another when it regains it; none by default.
func WithTracerProvider(tp trace.TracerProvider) Option { return func(o *options) { o.tracer = tp } }

// WithMeterProvider records the Fleet's metrics (see Fleet); none by
// default.
func WithMeterProvider(mp metric.MeterProvider) Option { return func(o *options) { o.meter = mp } }

// WithBackOff sets the delays between attempts to reach Redis again; new
// is called once per outage. By default the delays grow from 50 ms to at
// most 1 s, with jitter, and never stop.
func WithBackOff(newBackOff func() backoff.BackOff) Option {
	return func(o *options) { o.backOff = newBackOff }
}

// WithQueue bounds the facts waiting to be written and the messages
// waiting to be applied; 1024 by default. A full queue drops (and counts)
// rather than waits.
func WithQueue(n int) Option { return func(o *options) { o.queue = n } }

// WithLeaseWait bounds how long Lease waits for Redis before it grants the
// lease on its own; 100 ms by default.
func WithLeaseWait(d time.Duration) Option { return func(o *options) { o.leaseWait = d } }

func defaultBackOff() backoff.BackOff {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = 50 * time.Millisecond
	b.MaxInterval = time.Second
	b.MaxElapsedTime = 0
	b.Reset()
	return b
}

func defaultInstance() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "host"
	}
	if len(host) > 64 {
		host = host[:64]
	}
	return fmt.Sprintf("%s-%d-%08x", host, os.Getpid(), rand.Uint32())
}

// withDialer replaces the Redis client, for the measurements that compare
// clients.
func withDialer(d dialer) Option { return func(o *options) { o.dial = d } }
