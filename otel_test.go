package resilient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/resilient-sms/resilient/notificoretest"
	rc "github.com/resilient-sms/resilient/resilientconv"
)

type recorder struct {
	spans  *tracetest.SpanRecorder
	tp     *sdktrace.TracerProvider
	reader *sdkmetric.ManualReader
	mp     *sdkmetric.MeterProvider
}

func newRecorder(t *testing.T) *recorder {
	r := &recorder{spans: tracetest.NewSpanRecorder(), reader: sdkmetric.NewManualReader()}
	r.tp = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(r.spans))
	r.mp = sdkmetric.NewMeterProvider(sdkmetric.WithReader(r.reader))
	t.Cleanup(func() {
		r.tp.Shutdown(context.Background())
		r.mp.Shutdown(context.Background())
	})
	return r
}

func (r *recorder) options() []Option {
	return []Option{WithTracerProvider(r.tp), WithMeterProvider(r.mp), WithPropagators(propagation.TraceContext{})}
}

func attr(kvs []attribute.KeyValue, key attribute.Key) (attribute.Value, bool) {
	for _, kv := range kvs {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return attribute.Value{}, false
}

func (r *recorder) metrics(t *testing.T) map[string]metricdata.Aggregation {
	var rm metricdata.ResourceMetrics
	if err := r.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]metricdata.Aggregation{}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != rc.ScopeName {
			t.Errorf("scope %q", sm.Scope.Name)
		}
		for _, m := range sm.Metrics {
			out[m.Name] = m.Data
		}
	}
	return out
}

func TestTraceRetries(t *testing.T) {
	rec := newRecorder(t)
	srv := newServer(t)
	srv.Script(notificoretest.Fault{Code: 11}, notificoretest.Fault{Code: 11})
	rt := newTestTransport(t, newFakeClock(), rec.options()...)
	resp, err := send(t, rt, http.MethodPut, srv.RESTURL()+"/sms/create", smsWithRef)
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, resp)

	spans := rec.spans.Ended()
	if len(spans) != 4 {
		t.Fatalf("%d spans, want 4", len(spans))
	}
	call := spans[3]
	if call.Name() != "sms.create" || call.SpanKind() != trace.SpanKindInternal || call.Status().Code == codes.Error {
		t.Errorf("call span %q kind %v status %v", call.Name(), call.SpanKind(), call.Status())
	}
	if v, _ := attr(call.Attributes(), rc.AttemptsKey); v.AsInt64() != 3 {
		t.Errorf("attempts attribute %v", v)
	}
	for _, k := range []attribute.Key{"http.request.method", "server.address", "server.port", rc.OperationKey, rc.ClassKey} {
		if _, ok := attr(call.Attributes(), k); !ok {
			t.Errorf("call span lacks %s", k)
		}
	}
	for i, s := range spans[:3] {
		if s.Name() != "PUT" || s.SpanKind() != trace.SpanKindClient || s.Parent().SpanID() != call.SpanContext().SpanID() {
			t.Errorf("attempt %d: %q kind %v parent %v", i, s.Name(), s.SpanKind(), s.Parent().SpanID())
		}
		resends, ok := attr(s.Attributes(), "http.request.resend_count")
		if (i == 0) == ok || (ok && resends.AsInt64() != int64(i)) {
			t.Errorf("attempt %d: resend_count %v %v", i, resends, ok)
		}
		code, _ := attr(s.Attributes(), rc.CodeKey)
		class, _ := attr(s.Attributes(), rc.ClassKey)
		status, _ := attr(s.Attributes(), "http.response.status_code")
		if status.AsInt64() != 200 {
			t.Errorf("attempt %d: status code %v", i, status)
		}
		if i < 2 {
			et, _ := attr(s.Attributes(), "error.type")
			if code.AsInt64() != 11 || class.AsString() != "transient" || s.Status().Code != codes.Error || et.AsString() != "notificore_11" {
				t.Errorf("attempt %d: code %v class %v status %v error.type %v", i, code, class, s.Status(), et)
			}
		} else if class.AsString() != "success" || s.Status().Code == codes.Error {
			t.Errorf("attempt %d: class %v status %v", i, class, s.Status())
		}
		for _, k := range []attribute.Key{"http.request.method", "server.address", "server.port", "url.full"} {
			if _, ok := attr(s.Attributes(), k); !ok {
				t.Errorf("attempt %d lacks %s", i, k)
			}
		}
	}
	var retries int
	for _, ev := range call.Events() {
		if ev.Name == rc.EventRetryScheduled {
			retries++
			d, _ := attr(ev.Attributes, rc.DelayKey)
			src, _ := attr(ev.Attributes, rc.DelaySourceKey)
			reason, _ := attr(ev.Attributes, rc.ReasonKey)
			cause, _ := attr(ev.Attributes, rc.CauseKey)
			// After its first code 11 the account has an in-flight limit: a
			// refused call waits in its queue, at most a back-off's time.
			if d.AsFloat64() <= 0 || src.AsString() != rc.DelayQueue || reason.AsString() != "transient" || cause.AsString() != "code_11" {
				t.Errorf("retry event %v", ev.Attributes)
			}
		}
	}
	if retries != 2 {
		t.Errorf("%d retry events, want 2", retries)
	}
	// Each attempt carried its own span's context to the server.
	for i, r := range srv.Log() {
		if want := spans[i].SpanContext().SpanID().String(); !strings.Contains(r.Header.Get("Traceparent"), want) {
			t.Errorf("attempt %d sent traceparent %q, want span %s", i, r.Header.Get("Traceparent"), want)
		}
	}

	m := rec.metrics(t)
	hist, _ := m["http.client.request.duration"].(metricdata.Histogram[float64])
	var count uint64
	for _, dp := range hist.DataPoints {
		count += dp.Count
		if dp.Sum < 0 {
			t.Errorf("negative duration %v", dp.Sum)
		}
	}
	if len(hist.DataPoints) != 2 || count != 3 {
		t.Errorf("duration histogram: %d points, %d attempts; want 2 (with and without error.type), 3", len(hist.DataPoints), count)
	}
	outcomes, _ := m["resilient.outcomes"].(metricdata.Sum[int64])
	got := map[string]int64{}
	for _, dp := range outcomes.DataPoints {
		c, _ := dp.Attributes.Value(rc.ClassKey)
		code, _ := dp.Attributes.Value(rc.CodeKey)
		got[c.AsString()+"/"+code.AsString()] = dp.Value
	}
	if fmt.Sprint(got) != "map[success/0:1 transient/11:2]" {
		t.Errorf("outcomes %v", got)
	}
	retriesM, _ := m["resilient.retries"].(metricdata.Sum[int64])
	if len(retriesM.DataPoints) != 1 || retriesM.DataPoints[0].Value != 2 {
		t.Errorf("retries %+v", retriesM)
	}
}

// fundless makes one traced call on an account without funds, which opens
// its circuit.
func fundless(t *testing.T) (*recorder, *notificoretest.Server, *Transport) {
	rec := newRecorder(t)
	srv := newServer(t, notificoretest.WithBalance(testKey, 0))
	rt := newTestTransport(t, newFakeClock(), rec.options()...)
	resp, err := send(t, rt, http.MethodPut, srv.RESTURL()+"/sms/create", smsNoRef)
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, resp)
	return rec, srv, rt
}

func TestTraceFailFast(t *testing.T) {
	rec, srv, rt := fundless(t)
	rec.spans.Reset()
	if _, err := send(t, rt, http.MethodPut, srv.RESTURL()+"/sms/create", smsNoRef); err == nil {
		t.Fatal("want fail fast")
	}
	spans := rec.spans.Ended()
	if len(spans) != 1 || spans[0].SpanKind() != trace.SpanKindInternal {
		t.Fatalf("spans %v, want only the call span", spans)
	}
	call := spans[0]
	if call.Status().Code != codes.Error {
		t.Errorf("status %v", call.Status())
	}
	if et, _ := attr(call.Attributes(), "error.type"); et.AsString() != "circuit_open" {
		t.Errorf("error.type %v", et)
	}
	var found bool
	for _, ev := range call.Events() {
		if ev.Name == rc.EventFailedFast {
			code, _ := attr(ev.Attributes, rc.CodeKey)
			scope, _ := attr(ev.Attributes, rc.ScopeKey)
			_, hasRetryAt := attr(ev.Attributes, rc.RetryAtKey)
			found = code.AsInt64() == 8 && scope.AsString() == "account" && hasRetryAt
		}
	}
	if !found {
		t.Errorf("no failed-fast event naming code 8 in %v", call.Events())
	}
	m := rec.metrics(t)
	if ff, _ := m["resilient.fail_fasts"].(metricdata.Sum[int64]); len(ff.DataPoints) != 1 || ff.DataPoints[0].Value != 1 {
		t.Errorf("fail_fasts %+v", ff)
	}
	if open, _ := m["resilient.circuits.open"].(metricdata.Sum[int64]); len(open.DataPoints) != 1 || open.DataPoints[0].Value != 1 {
		t.Errorf("circuits.open %+v", open)
	}
}

func TestTraceFirstCallEvents(t *testing.T) {
	rec, _, _ := fundless(t)
	call := rec.spans.Ended()[1]
	var names []string
	for _, ev := range call.Events() {
		names = append(names, ev.Name)
	}
	if strings.Join(names, ",") != rc.EventCircuitChanged+","+rc.EventGaveUp {
		t.Errorf("events %v", names)
	}
	if call.Status().Code != codes.Error {
		t.Errorf("a call ending on code 8 has status %v", call.Status())
	}
}

func TestPropagation(t *testing.T) {
	rec := newRecorder(t)
	srv := newServer(t)
	rt := newTestTransport(t, newFakeClock(), rec.options()...)
	resp, err := send(t, rt, http.MethodGet, srv.RESTURL()+"/common/balance", "")
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, resp)
	attempt := rec.spans.Ended()[0]
	tp := srv.Log()[0].Header.Get("Traceparent")
	if want := attempt.SpanContext().SpanID().String(); !strings.Contains(tp, want) {
		t.Errorf("traceparent %q, want the attempt span %s", tp, want)
	}
}

func TestRedaction(t *testing.T) {
	const (
		key    = "live_SECRETKEY123"
		token  = "Bearer eyJSECRETTOKEN"
		phone  = "35790000042"
		text   = "Your code is 777111"
		ref    = "secretref9"
		hidden = "qsecret"
	)
	rec := newRecorder(t)
	srv := newServer(t, notificoretest.WithBalance(key, 1))
	srv.Script(notificoretest.Fault{Code: 11}, notificoretest.Fault{Status: 500})
	rt := newTestTransport(t, newFakeClock(), rec.options()...)
	body := `{"destination":"phone","originator":"Acme","body":"` + text + `","msisdn":"+` + phone + `","reference":"` + ref + `"}`
	ctx := context.Background()
	for _, c := range []struct{ method, path, body, key string }{
		{http.MethodPut, "/sms/create", body, key},
		{http.MethodPut, "/sms/create", body, key}, // 23 then account-level 8
		{http.MethodGet, "/sms/reference/" + ref + "?msisdn=" + phone + "&x=" + hidden, "", key},
		{http.MethodGet, "/viber/reference/" + ref, "", token},
	} {
		k := c.key
		req, _ := http.NewRequestWithContext(ctx, c.method, srv.RESTURL()+c.path, strings.NewReader(c.body))
		if strings.HasPrefix(k, "Bearer") {
			req.Header.Set("Authorization", k)
		} else {
			req.Header.Set("X-API-KEY", k)
		}
		resp, err := rt.RoundTrip(req)
		if err == nil {
			readAll(t, resp)
		}
	}
	var all strings.Builder
	for _, s := range rec.spans.Ended() {
		fmt.Fprintf(&all, "%s %v %v\n", s.Name(), s.Attributes(), s.Status())
		for _, ev := range s.Events() {
			fmt.Fprintf(&all, "%s %v\n", ev.Name, ev.Attributes)
		}
	}
	var rm metricdata.ResourceMetrics
	rec.reader.Collect(ctx, &rm)
	fmt.Fprintf(&all, "%+v", rm)
	dump := all.String()
	for _, secret := range []string{"SECRETKEY", "SECRETTOKEN", phone, text, "777111", ref, hidden} {
		if strings.Contains(dump, secret) {
			t.Errorf("telemetry contains %q", secret)
		}
	}
	if !strings.Contains(dump, "REDACTED") {
		t.Error("no redacted url.full recorded")
	}
}

func TestNoProviderRecordsNothing(t *testing.T) {
	srv := newServer(t)
	rt := newTestTransport(t, newFakeClock())
	resp, err := send(t, rt, http.MethodGet, srv.RESTURL()+"/common/balance", "")
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, resp)
	if tp := srv.Log()[0].Header.Get("Traceparent"); tp != "" {
		t.Errorf("traceparent %q without a provider", tp)
	}
}

func TestOperationNames(t *testing.T) {
	for path, want := range map[string]string{
		"/rest/sms/create": "sms.create", "/rest/viber/create": "viber.create", "/rest/hlr/create": "hlr.create",
		"/rest/common/balance": "balance", "/rest/sms/123": "sms.get", "/rest/sms/reference/r1": "sms.get_by_reference",
		"/rest/sms/task/6": "sms.task", "/rest/sms/prices/2": "sms.prices", "/v1.0/viber/9": "viber.get",
		"/api/auth/login": "auth.login", "/api/campaigns/sms/send": "campaigns.sms.send", "/api/2fa/authentications/otp": "otp",
		"/rest/stat/list": "stat.list", "/elsewhere": "GET",
	} {
		req, _ := http.NewRequest(http.MethodGet, "https://api.test"+path, nil)
		if got := operationName(req); got != want {
			t.Errorf("operationName(%s) = %q, want %q", path, got, want)
		}
	}
}

func TestTraceAcceptedEarlier(t *testing.T) {
	rec := newRecorder(t)
	srv := newServer(t)
	srv.Script(notificoretest.Fault{Recipients: map[int]int{1: 11}})
	rt := newTestTransport(t, newFakeClock(), rec.options()...)
	resp, err := send(t, rt, http.MethodPut, srv.RESTURL()+"/sms/create", bulkRefs)
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, resp)
	spans := rec.spans.Ended()
	if len(spans) != 3 {
		t.Fatalf("%d spans", len(spans))
	}
	second, call := spans[1], spans[2]
	if class, _ := attr(second.Attributes(), rc.ClassKey); class.AsString() != "success" || second.Status().Code == codes.Error {
		t.Errorf("resend span: class %v status %v, want a success", class, second.Status())
	}
	var found bool
	for _, ev := range call.Events() {
		if ev.Name == rc.EventAcceptedEarlier {
			code, _ := attr(ev.Attributes, rc.CodeKey)
			n, _ := attr(ev.Attributes, rc.MessagesKey)
			found = code.AsInt64() == 23 && n.AsInt64() == 2
		}
	}
	if !found || call.Status().Code == codes.Error {
		t.Errorf("events %v status %v, want accepted earlier for 2 messages with code 23", call.Events(), call.Status())
	}
}

func TestTransportErrorType(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want string
	}{
		{timeoutErr{}, "timeout"},
		{&net.OpError{Op: "read", Err: syscall.ECONNRESET}, "connection_reset"},
		{&net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, "connection_refused"},
		{fmt.Errorf("x: %w", io.EOF), "eof"},
		{&net.DNSError{Err: "no such host"}, "dns"},
		{errors.New("odd"), "*errors.errorString"},
	} {
		if got := transportErrorType(tt.err); got != tt.want {
			t.Errorf("transportErrorType(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

// startSampler records the attributes each span is started with.
type startSampler struct {
	seen chan sdktrace.SamplingParameters
}

func (s startSampler) ShouldSample(p sdktrace.SamplingParameters) sdktrace.SamplingResult {
	s.seen <- p
	return sdktrace.SamplingResult{Decision: sdktrace.RecordAndSample}
}

func (startSampler) Description() string { return "start attributes" }

// TestSamplersSeeTheRequest checks what a sampler sees when a call's spans
// start: the call span's name, the operation, and the attempt span's
// request attributes, which semantic conventions ask for at start.
func TestSamplersSeeTheRequest(t *testing.T) {
	s := startSampler{make(chan sdktrace.SamplingParameters, 8)}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(s))
	t.Cleanup(func() { tp.Shutdown(context.Background()) })
	srv := newServer(t)
	rt := newTestTransport(t, newFakeClock(), WithTracerProvider(tp))
	resp, err := send(t, rt, http.MethodPut, srv.RESTURL()+"/sms/create", smsWithRef)
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, resp)
	call, attempt := <-s.seen, <-s.seen
	if call.Name != "sms.create" || call.Kind != trace.SpanKindInternal {
		t.Errorf("call span started as %q, kind %v", call.Name, call.Kind)
	}
	if attempt.Kind != trace.SpanKindClient {
		t.Errorf("attempt span started as kind %v", attempt.Kind)
	}
	for _, k := range []attribute.Key{"http.request.method", "server.address", "server.port", "url.full"} {
		if _, ok := attr(attempt.Attributes, k); !ok {
			t.Errorf("the attempt span started without %s", k)
		}
	}
}
