package resilient

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/trace"

	"github.com/resilient-sms/resilient/notificoretest"
)

// logRecord is one record a recordingHandler kept.
type logRecord struct {
	level   slog.Level
	msg     string
	attrs   map[string]string
	traceID trace.TraceID // what a trace-aware handler reads from the context
}

// recordingHandler keeps every record at or above its level, as otelslog
// would: with the trace id of the span in the record's context.
type recordingHandler struct {
	level slog.Level
	mu    sync.Mutex
	recs  []logRecord
}

func (h *recordingHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h *recordingHandler) Handle(ctx context.Context, r slog.Record) error {
	rec := logRecord{level: r.Level, msg: r.Message, attrs: map[string]string{},
		traceID: trace.SpanContextFromContext(ctx).TraceID()}
	r.Attrs(func(a slog.Attr) bool {
		rec.attrs[a.Key] = a.Value.String()
		return true
	})
	h.mu.Lock()
	h.recs = append(h.recs, rec)
	h.mu.Unlock()
	return nil
}

func (h *recordingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *recordingHandler) WithGroup(string) slog.Handler      { return h }

func (h *recordingHandler) records() []logRecord {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.recs)
}

// logScenario runs calls that make every kind of decision: retries, an
// accepted-earlier resend, an account circuit opening, fail-fasts, a
// permanent answer.
func logScenario(t *testing.T, opts ...Option) {
	srv := newServer(t, notificoretest.WithKey(testKey), notificoretest.WithBalance("test_poor", 0))
	srv.Script(notificoretest.Fault{Code: 11}, notificoretest.Fault{Reset: notificoretest.ResetAfterProcessing})
	rt := newTestTransport(t, newFakeClock(), opts...)
	calls := []struct{ key, body string }{
		{testKey, smsWithRef}, // 11, then a reset, then 23: accepted earlier
		{"test_poor", smsNoRef}, {"test_poor", smsNoRef},
		{testKey, `{"destination":"phone","msisdn":"+35790000009x","body":"Hi secret text"}`},
	}
	for _, c := range calls {
		resp, err := sendCtx(t, t.Context(), rt, http.MethodPut, srv.RESTURL()+"/sms/create", c.body, c.key)
		if err == nil {
			readAll(t, resp)
		}
	}
}

func TestLoggerRecordsEveryTracedDecision(t *testing.T) {
	rec := newRecorder(t)
	h := &recordingHandler{level: slog.LevelDebug}
	logScenario(t, append(rec.options(), WithLogger(slog.New(h)))...)
	var events []string
	spanTrace := map[string][]trace.TraceID{}
	for _, s := range rec.spans.Ended() {
		for _, ev := range s.Events() {
			keys := make([]string, 0, len(ev.Attributes))
			for _, kv := range ev.Attributes {
				keys = append(keys, string(kv.Key))
			}
			slices.Sort(keys)
			events = append(events, ev.Name+" "+strings.Join(keys, ","))
			spanTrace[ev.Name] = append(spanTrace[ev.Name], s.SpanContext().TraceID())
		}
	}
	var logged []string
	for _, r := range h.records() {
		keys := make([]string, 0, len(r.attrs))
		for k := range r.attrs {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		logged = append(logged, r.msg+" "+strings.Join(keys, ","))
		if want := spanTrace[r.msg]; !slices.Contains(want, r.traceID) {
			t.Errorf("record %q: trace id %v, want one of the call spans' %v", r.msg, r.traceID, want)
		}
	}
	slices.Sort(events)
	slices.Sort(logged)
	if !slices.Equal(events, logged) {
		t.Errorf("log records\n%s\nwant the span events\n%s", strings.Join(logged, "\n"), strings.Join(events, "\n"))
	}
	for _, want := range []string{"retry scheduled", "accepted earlier", "circuit state changed", "failed fast", "gave up"} {
		if !slices.ContainsFunc(logged, func(s string) bool { return strings.HasPrefix(s, want+" ") }) {
			t.Errorf("no %q record", want)
		}
	}
}

func TestLoggerLevelsAndRedaction(t *testing.T) {
	h := &recordingHandler{level: slog.LevelDebug}
	logScenario(t, WithLogger(slog.New(h))) // no tracer: the records stand alone
	levels := map[string]slog.Level{}
	var all strings.Builder
	for _, r := range h.records() {
		key := r.msg
		if r.msg == "circuit state changed" || r.msg == "gave up" {
			key += " " + r.attrs["resilient.circuit.to"] + r.attrs["resilient.reason"]
		}
		levels[key] = r.level
		fmt.Fprintln(&all, r.msg, r.attrs)
	}
	want := map[string]slog.Level{
		"retry scheduled":            slog.LevelDebug,
		"failed fast":                slog.LevelDebug,
		"accepted earlier":           slog.LevelInfo,
		"circuit state changed open": slog.LevelWarn,
		"gave up account":            slog.LevelWarn,
		"gave up permanent":          slog.LevelInfo,
	}
	for k, l := range want {
		if got, ok := levels[k]; !ok || got != l {
			t.Errorf("%s: level %v (recorded %v), want %v", k, got, ok, l)
		}
	}
	for _, secret := range []string{testKey, "test_poor", "+3579", "35790000009", "secret text", "ref1"} {
		if strings.Contains(all.String(), secret) {
			t.Errorf("the records hold %q:\n%s", secret, all.String())
		}
	}
}

func TestLoggerOffCostsNothing(t *testing.T) {
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) { return response(200, `{"error":11}`), nil })
	allocs := func(opts ...Option) float64 {
		rt := NewTransport(base, append([]Option{withClock(newFakeClock()), WithMaxAttempts(3),
			WithInFlightLimit(InFlightLimit{Disabled: true})}, opts...)...)
		req, _ := http.NewRequest(http.MethodGet, "https://api.test/rest/sms/1", nil)
		// The mean over many calls, not testing.AllocsPerRun's floor: the
		// race detector's pools drop a quarter of what is put back, at
		// random, which moves the floor by one from one run to the next
		// but the mean by a few hundredths.
		const calls = 2000
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for range calls {
			resp, _ := rt.RoundTrip(req)
			resp.Body.Close()
		}
		runtime.ReadMemStats(&after)
		return float64(after.Mallocs-before.Mallocs) / calls
	}
	without := allocs()
	for name, opts := range map[string][]Option{
		"nil logger":     {WithLogger(nil)},
		"disabled level": {WithLogger(slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelError})))},
	} {
		if got := allocs(opts...); math.Abs(got-without) >= 0.5 {
			t.Errorf("%s: %.2f allocations per call, want %.2f as without a logger", name, got, without)
		}
	}
}

func BenchmarkLogger(b *testing.B) {
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) { return response(200, `{"error":11}`), nil })
	for _, bc := range []struct {
		name string
		log  *slog.Logger
	}{
		{"none", nil},
		{"disabled", slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelError}))},
		{"debug", slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelDebug}))},
	} {
		b.Run(bc.name, func(b *testing.B) {
			rt := NewTransport(base, withClock(newFakeClock()), WithMaxAttempts(3), WithLogger(bc.log),
				WithInFlightLimit(InFlightLimit{Disabled: true}))
			req, _ := http.NewRequest(http.MethodGet, "https://api.test/rest/sms/1", nil)
			b.ReportAllocs()
			for b.Loop() {
				resp, _ := rt.RoundTrip(req)
				resp.Body.Close()
			}
		})
	}
}
