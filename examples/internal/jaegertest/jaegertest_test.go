package jaegertest_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/resilient-sms/resilient/examples/internal/jaegertest"
)

// TestRoundTrip exports a two-span trace over OTLP/HTTP and checks how Jaeger
// stores it: names, parenting, span kinds, attributes, events and errors.
func TestRoundTrip(t *testing.T) {
	j := jaegertest.Start(t)
	ctx := t.Context()

	service := "jaegertest-" + rand.Text()[:12]
	exp, err := otlptracehttp.New(ctx,
		otlptracehttp.WithEndpoint(j.OTLPEndpoint),
		otlptracehttp.WithInsecure(),
	)
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp),
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", service))),
	)
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) }) // t.Context is done by now
	tracer := tp.Tracer("jaegertest")

	pctx, parent := tracer.Start(ctx, "parent", trace.WithSpanKind(trace.SpanKindInternal))
	parent.AddEvent("checkpoint", trace.WithAttributes(attribute.Int("attempt", 2)))
	_, child := tracer.Start(pctx, "child",
		trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(
			attribute.String("peer.name", "gateway"),
			attribute.Int("http.response.status_code", 503),
			attribute.Bool("retryable", true),
			attribute.Float64("ratio", 0.5),
		),
	)
	child.SetStatus(codes.Error, "unavailable")
	child.End()
	parent.End()
	if err := tp.ForceFlush(ctx); err != nil {
		t.Fatal(err)
	}

	traces := j.WaitTraces(t, service, 1, 30*time.Second)
	if len(traces) != 1 {
		t.Fatalf("got %d traces, want 1", len(traces))
	}
	tr := traces[0]
	wantTraceID := parent.SpanContext().TraceID().String()
	if tr.TraceID != wantTraceID {
		t.Errorf("traceID = %s, want %s", tr.TraceID, wantTraceID)
	}
	spans := map[string]jaegertest.Span{}
	for _, s := range tr.Spans {
		spans[s.OperationName] = s
		t.Logf("span %s tags=%v logs=%v", s.OperationName, s.Tags, s.Logs)
	}
	p, ok1 := spans["parent"]
	c, ok2 := spans["child"]
	if !ok1 || !ok2 || len(tr.Spans) != 2 {
		t.Fatalf("want spans parent and child, got %v", tr.Spans)
	}
	if got := tr.Processes[c.ProcessID].ServiceName; got != service {
		t.Errorf("child service = %q, want %q", got, service)
	}

	// Parenting: the child refers to the parent with CHILD_OF.
	if p.SpanID != parent.SpanContext().SpanID().String() {
		t.Errorf("parent spanID = %s, want %s", p.SpanID, parent.SpanContext().SpanID())
	}
	if p.Parent() != "" {
		t.Errorf("parent has parent %q", p.Parent())
	}
	if c.Parent() != p.SpanID || c.References[0].RefType != "CHILD_OF" || c.References[0].TraceID != wantTraceID {
		t.Errorf("child references = %+v, want CHILD_OF %s", c.References, p.SpanID)
	}

	// Tags: span kind, attributes with their types, and the error status.
	wantTags(t, c, map[string]any{
		"span.kind":                 "client",
		"peer.name":                 "gateway",
		"http.response.status_code": int64(503),
		"retryable":                 true,
		"ratio":                     0.5,
		"error":                     true,
		"otel.status_code":          "ERROR",
		"otel.status_description":   "unavailable",
	})
	wantTags(t, p, map[string]any{"span.kind": "internal"})
	if v, ok := p.Tag("error"); ok {
		t.Errorf("parent has error tag %v", v)
	}

	// Events become logs with field event=<name> plus the attributes.
	if len(p.Logs) != 1 {
		t.Fatalf("parent logs = %+v, want 1", p.Logs)
	}
	fields := map[string]any{}
	for _, f := range p.Logs[0].Fields {
		fields[f.Key] = f.Value
	}
	if fields["event"] != "checkpoint" || fields["attempt"] != int64(2) {
		t.Errorf("parent log fields = %v, want event=checkpoint attempt=2", fields)
	}
	if p.Logs[0].Timestamp < p.StartTime || p.Logs[0].Timestamp > p.StartTime+p.Duration {
		t.Errorf("log timestamp %d outside span [%d, +%d]", p.Logs[0].Timestamp, p.StartTime, p.Duration)
	}
}

// TestKVDecode checks the typed decoding of tag values, including binary.
func TestKVDecode(t *testing.T) {
	var kv jaegertest.KV
	if err := kv.UnmarshalJSON([]byte(`{"key":"b","type":"binary","value":"` +
		"AAEC" + `"}`)); err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(kv.Value.([]byte)); got != "000102" {
		t.Errorf("binary value = %s, want 000102", got)
	}
	if err := kv.UnmarshalJSON([]byte(`{"key":"n","type":"int64","value":9007199254740993}`)); err != nil {
		t.Fatal(err)
	}
	if kv.Value != int64(9007199254740993) {
		t.Errorf("int64 value = %v (%T)", kv.Value, kv.Value)
	}
}

// wantTags reports every tag of s that is missing or differs from want.
func wantTags(t *testing.T, s jaegertest.Span, want map[string]any) {
	t.Helper()
	for k, w := range want {
		got, ok := s.Tag(k)
		if !ok {
			t.Errorf("span %s: no tag %q", s.OperationName, k)
		} else if got != w {
			t.Errorf("span %s: tag %q = %v (%T), want %v (%T)", s.OperationName, k, got, got, w, w)
		}
	}
}
