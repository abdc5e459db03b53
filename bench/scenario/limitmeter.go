package scenario

import (
	"context"
	"sync"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
)

// limitRecorder is a meter provider that keeps every value recorded on the
// resilient.inflight.limit gauge, with the time it was recorded, and drops
// every other measurement: it samples the limit exactly when it changes,
// at the cost of one append.
type limitRecorder struct {
	noop.MeterProvider
	start time.Time

	mu      sync.Mutex
	samples []LimitSample
}

func (r *limitRecorder) Meter(string, ...metric.MeterOption) metric.Meter { return limitMeter{rec: r} }

func (r *limitRecorder) record(v int64) {
	at := time.Since(r.start)
	r.mu.Lock()
	r.samples = append(r.samples, LimitSample{At: at, Limit: int(v)})
	r.mu.Unlock()
}

func (r *limitRecorder) taken() []LimitSample {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]LimitSample(nil), r.samples...)
}

type limitMeter struct {
	noop.Meter
	rec *limitRecorder
}

func (m limitMeter) Int64Gauge(name string, _ ...metric.Int64GaugeOption) (metric.Int64Gauge, error) {
	if name != "resilient.inflight.limit" {
		return noop.Int64Gauge{}, nil
	}
	return limitGauge{rec: m.rec}, nil
}

type limitGauge struct {
	noop.Int64Gauge
	rec *limitRecorder
}

func (g limitGauge) Enabled(context.Context) bool { return true }

func (g limitGauge) Record(_ context.Context, v int64, _ ...metric.RecordOption) { g.rec.record(v) }
