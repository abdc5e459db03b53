package redisfleet

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

const scopeName = "github.com/resilient-sms/resilient/redisfleet"

// Attribute keys of the Fleet's spans and metrics.
const (
	AttrDirection = "resilient.fleet.direction" // out (to Redis) or in (from Redis)
	AttrLease     = "resilient.fleet.lease"     // granted, denied or local
	AttrOutage    = "resilient.fleet.outage"    // seconds without Redis
	AttrReseeded  = "resilient.fleet.reseeded"  // facts written back
)

// telemetry counts what a Fleet does and says when it loses and regains
// Redis: once per outage, never per fact.
type telemetry struct {
	log    *slog.Logger
	tracer trace.Tracer

	published, received, dropped, disconnects, localLeases atomic.Uint64
	connected                                              atomic.Bool
	lastRejectLog                                          atomic.Int64

	mPublished, mReceived, mDropped, mDisconnects, mLeases metric.Int64Counter
	reg                                                    metric.Registration

	down      bool // owned by the supervisor
	downSince time.Time
}

var (
	dirOut     = metric.WithAttributeSet(attribute.NewSet(attribute.String(AttrDirection, "out")))
	dirIn      = metric.WithAttributeSet(attribute.NewSet(attribute.String(AttrDirection, "in")))
	leaseOK    = metric.WithAttributeSet(attribute.NewSet(attribute.String(AttrLease, "granted")))
	leaseNo    = metric.WithAttributeSet(attribute.NewSet(attribute.String(AttrLease, "denied")))
	leaseLocal = metric.WithAttributeSet(attribute.NewSet(attribute.String(AttrLease, "local")))
)

func newTelemetry(o options) *telemetry {
	t := &telemetry{log: o.logger}
	if t.log == nil {
		t.log = slog.New(slog.DiscardHandler)
	}
	tp := o.tracer
	if tp == nil {
		tp = tracenoop.NewTracerProvider()
	}
	t.tracer = tp.Tracer(scopeName)
	mp := o.meter
	if mp == nil {
		mp = noop.NewMeterProvider()
	}
	m := mp.Meter(scopeName)
	t.mPublished, _ = m.Int64Counter("resilient.fleet.facts.published", metric.WithUnit("{fact}"),
		metric.WithDescription("Facts this instance wrote to Redis."))
	t.mReceived, _ = m.Int64Counter("resilient.fleet.facts.received", metric.WithUnit("{fact}"),
		metric.WithDescription("Facts of other instances applied."))
	t.mDropped, _ = m.Int64Counter("resilient.fleet.facts.dropped", metric.WithUnit("{fact}"),
		metric.WithDescription("Facts dropped by a full queue, by direction."))
	t.mDisconnects, _ = m.Int64Counter("resilient.fleet.disconnects", metric.WithUnit("{outage}"),
		metric.WithDescription("Times this instance lost Redis."))
	t.mLeases, _ = m.Int64Counter("resilient.fleet.leases", metric.WithUnit("{lease}"),
		metric.WithDescription("Probe leases asked for, by result."))
	g, _ := m.Int64ObservableGauge("resilient.fleet.connected", metric.WithUnit("1"),
		metric.WithDescription("1 while this instance reaches Redis, 0 otherwise."))
	t.reg, _ = m.RegisterCallback(func(_ context.Context, obs metric.Observer) error {
		v := int64(0)
		if t.connected.Load() {
			v = 1
		}
		obs.ObserveInt64(g, v)
		return nil
	}, g)
	return t
}

func (t *telemetry) close() {
	if t.reg != nil {
		_ = t.reg.Unregister()
	}
}

func (t *telemetry) factPublished() {
	t.published.Add(1)
	t.mPublished.Add(context.Background(), 1)
}

func (t *telemetry) factReceived() {
	t.received.Add(1)
	t.mReceived.Add(context.Background(), 1)
}

func (t *telemetry) factDropped(out bool) {
	t.dropped.Add(1)
	if out {
		t.mDropped.Add(context.Background(), 1, dirOut)
	} else {
		t.mDropped.Add(context.Background(), 1, dirIn)
	}
}

// factRejected counts a fact Redis refused and logs why, at most once a
// minute.
func (t *telemetry) factRejected(err error) {
	t.factDropped(true)
	now := time.Now().UnixNano()
	if last := t.lastRejectLog.Load(); now-last < int64(time.Minute) || !t.lastRejectLog.CompareAndSwap(last, now) {
		return
	}
	t.log.Warn("redisfleet: Redis refused a fact", slog.String("error", err.Error()))
}

func (t *telemetry) lease(granted, local bool) {
	switch {
	case local:
		t.localLeases.Add(1)
		t.mLeases.Add(context.Background(), 1, leaseLocal)
	case granted:
		t.mLeases.Add(context.Background(), 1, leaseOK)
	default:
		t.mLeases.Add(context.Background(), 1, leaseNo)
	}
}

// lost says that Redis is out of reach, once per outage: the first failed
// dial at start counts as an outage too.
func (t *telemetry) lost(err error) {
	t.connected.Store(false)
	if t.down {
		return
	}
	t.down, t.downSince = true, time.Now()
	t.disconnects.Add(1)
	t.mDisconnects.Add(context.Background(), 1)
	_, span := t.tracer.Start(context.Background(), "resilient.fleet.disconnected",
		trace.WithSpanKind(trace.SpanKindInternal))
	span.RecordError(err)
	span.End()
	t.log.Warn("redisfleet: Redis out of reach; each instance keeps its own circuits until it is back",
		slog.String("error", err.Error()))
}

// regained says that Redis answers again after an outage.
func (t *telemetry) regained(reseeded int) {
	t.connected.Store(true)
	if !t.down {
		return
	}
	outage := time.Since(t.downSince)
	t.down = false
	_, span := t.tracer.Start(context.Background(), "resilient.fleet.reconnected",
		trace.WithSpanKind(trace.SpanKindInternal),
		trace.WithAttributes(attribute.Float64(AttrOutage, outage.Seconds()), attribute.Int(AttrReseeded, reseeded)))
	span.End()
	t.log.Info("redisfleet: Redis reachable again; facts resynced",
		slog.Duration("outage", outage), slog.Int("reseeded", reseeded))
}
