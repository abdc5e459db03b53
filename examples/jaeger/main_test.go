package main

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/resilient-sms/resilient/examples/internal/jaegertest"
	"github.com/resilient-sms/resilient/examples/internal/scenario"
	"github.com/resilient-sms/resilient/resilientconv"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TestJaeger runs the example against a real Jaeger and checks what Jaeger
// stored: the span tree of each step, the decisions as span logs, the
// Notificore tags, and that nothing secret or personal was exported.
func TestJaeger(t *testing.T) {
	j := jaegertest.Start(t) // stopped by its t.Cleanup, also on failure
	service := "resilient-e2e-" + strings.ToLower(rand.Text()[:10])

	var stdout, stderr bytes.Buffer
	err := run(t.Context(), []string{"-endpoint", j.OTLPEndpoint, "-service", service, "-query", j.QueryURL}, &stdout, &stderr)
	t.Log("\n" + stdout.String() + stderr.String())
	if err != nil {
		t.Fatal(err)
	}

	// One link per step, and as many spans as the summary says: a root
	// span per step, a RoundTrip span per call, a CLIENT span per attempt.
	links := printedLinks(t, stdout.String(), j.QueryURL)
	m := regexp.MustCompile(`(?m)^summary: (\d+) calls, (\d+) attempts`).FindStringSubmatch(stdout.String())
	if m == nil {
		t.Fatal("no summary line")
	}
	calls, _ := strconv.Atoi(m[1])
	attempts, _ := strconv.Atoi(m[2])
	if calls != len(links) {
		t.Fatalf("%d calls but %d links", calls, len(links))
	}
	j.WaitTraces(t, service, len(links), 30*time.Second)
	traces := waitSpans(t, j, service, len(links)+calls+attempts, 30*time.Second)

	steps := map[string]*stepTrace{}
	for _, tr := range traces {
		st := newStepTrace(t, tr)
		if want, ok := links[st.root.OperationName]; !ok || want != tr.TraceID {
			t.Errorf("trace %s of step %q: printed link %q", tr.TraceID, st.root.OperationName, want)
		}
		steps[st.root.OperationName] = st
		for _, s := range tr.Spans {
			if got := tr.Processes[s.ProcessID].ServiceName; got != service {
				t.Errorf("span %s: service %q, want %q", s.OperationName, got, service)
			}
		}
		st.checkShape(t)
	}
	if len(steps) != len(links) {
		t.Fatalf("%d distinct steps stored, %d printed", len(steps), len(links))
	}
	step := func(name string) *stepTrace {
		t.Helper()
		st := steps[name]
		if st == nil {
			t.Fatalf("no trace of step %q", name)
		}
		return st
	}

	t.Run("code 11 twice", func(t *testing.T) {
		st := step("sms: code 11 twice")
		rt := st.call
		wantTags(t, rt, map[string]any{"notificore.operation": "sms.create", string(resilientconv.AttemptsKey): int64(3)})
		noTag(t, rt, "error")
		if rt.OperationName != "sms.create" {
			t.Errorf("RoundTrip span %q, want sms.create", rt.OperationName)
		}
		if len(st.attempts) != 3 {
			t.Fatalf("%d attempt spans, want 3", len(st.attempts))
		}
		for i, a := range st.attempts {
			wantTags(t, a, map[string]any{string(resilientconv.AttemptKey): int64(i + 1), "http.request.method": "PUT"})
			if a.OperationName != "PUT" {
				t.Errorf("attempt %d: operation %q, want PUT", i+1, a.OperationName)
			}
			if i == 0 {
				noTag(t, a, "http.request.resend_count")
			} else {
				wantTags(t, a, map[string]any{"http.request.resend_count": int64(i)})
			}
		}
		for _, a := range st.attempts[:2] {
			wantTags(t, a, map[string]any{
				string(resilientconv.CodeKey): int64(11), string(resilientconv.ClassKey): "transient",
				"error": true, "otel.status_code": "ERROR", "error.type": "notificore_11",
			})
		}
		wantTags(t, st.attempts[2], map[string]any{string(resilientconv.ClassKey): "success", "http.response.status_code": int64(200)})
		noTag(t, st.attempts[2], "error")
		noTag(t, st.attempts[2], string(resilientconv.CodeKey))

		retries := logs(rt, resilientconv.EventRetryScheduled)
		if len(retries) != 2 {
			t.Fatalf("%d %q logs, want 2: %v", len(retries), resilientconv.EventRetryScheduled, rt.Logs)
		}
		for i, f := range retries {
			wantFields(t, f, map[string]any{
				string(resilientconv.AttemptKey): int64(i + 1), string(resilientconv.CauseKey): "code_11", string(resilientconv.CodeKey): int64(11),
				string(resilientconv.ClassKey): "transient", string(resilientconv.DelaySourceKey): resilientconv.DelayQueue,
			})
			if d, ok := f[string(resilientconv.DelayKey)].(float64); !ok || d <= 0 {
				t.Errorf("retry %d: %s = %v, want a positive number of seconds", i+1, string(resilientconv.DelayKey), f[string(resilientconv.DelayKey)])
			}
		}
		// After the account's first code 11, each retry waits in the
		// account's queue: a queued event follows each retry.
		queued := logs(rt, resilientconv.EventQueued)
		if len(queued) != 2 || len(rt.Logs) != 4 {
			t.Errorf("%d logs on the RoundTrip span, want the 2 retries and 2 waits in the queue: %v", len(rt.Logs), rt.Logs)
		}
		for i, f := range queued {
			if d, ok := f[string(resilientconv.DelayKey)].(float64); !ok || d <= 0 || f[string(resilientconv.LimitKey)] == nil {
				t.Errorf("wait %d: %v, want a positive wait and the limit", i+1, f)
			}
		}
	})

	t.Run("failed fast", func(t *testing.T) {
		for name, op := range map[string]string{"sms (low account) again": "sms.create", "balance (low account) again": "balance"} {
			st := step(name)
			rt := st.call
			if rt.OperationName != op {
				t.Errorf("%s: RoundTrip span %q, want %s", name, rt.OperationName, op)
			}
			if len(st.attempts) != 0 {
				t.Errorf("%s: %d attempt spans, want none", name, len(st.attempts))
			}
			wantTags(t, rt, map[string]any{"error": true, "error.type": "circuit_open", string(resilientconv.AttemptsKey): int64(0)})
			ff := logs(rt, resilientconv.EventFailedFast)
			if len(ff) != 1 {
				t.Fatalf("%s: %d %q logs, want 1: %v", name, len(ff), resilientconv.EventFailedFast, rt.Logs)
			}
			wantFields(t, ff[0], map[string]any{
				string(resilientconv.CodeKey): int64(8), string(resilientconv.ClassKey): "account", string(resilientconv.ScopeKey): "account",
			})
			if _, err := time.Parse(time.RFC3339Nano, fmt.Sprint(ff[0][string(resilientconv.RetryAtKey)])); err != nil {
				t.Errorf("%s: %s: %v", name, string(resilientconv.RetryAtKey), err)
			}
		}
	})

	t.Run("circuit opens", func(t *testing.T) {
		st := step("sms (low account): no funds")
		wantTags(t, st.call, map[string]any{"error": true, string(resilientconv.CodeKey): int64(8), string(resilientconv.ClassKey): "account"})
		ch := logs(st.call, resilientconv.EventCircuitChanged)
		if len(ch) != 1 {
			t.Fatalf("%d %q logs, want 1: %v", len(ch), resilientconv.EventCircuitChanged, st.call.Logs)
		}
		wantFields(t, ch[0], map[string]any{
			string(resilientconv.ScopeKey): "account", string(resilientconv.FromKey): "closed", string(resilientconv.ToKey): "open", string(resilientconv.CodeKey): int64(8),
		})
		if g := logs(st.call, resilientconv.EventGaveUp); len(g) != 1 {
			t.Errorf("%d %q logs, want 1", len(g), resilientconv.EventGaveUp)
		} else {
			wantFields(t, g[0], map[string]any{string(resilientconv.ReasonKey): "account", string(resilientconv.AttemptKey): int64(1)})
		}
	})

	t.Run("accepted earlier", func(t *testing.T) {
		st := step("sms bulk: 1 of 3 gets code 11")
		if len(st.attempts) != 2 {
			t.Fatalf("%d attempt spans, want 2", len(st.attempts))
		}
		if r := logs(st.call, resilientconv.EventRetryScheduled); len(r) != 1 {
			t.Errorf("%d %q logs, want 1", len(r), resilientconv.EventRetryScheduled)
		} else {
			wantFields(t, r[0], map[string]any{string(resilientconv.CauseKey): "code_11", string(resilientconv.AttemptKey): int64(1)})
		}
		ae := logs(st.call, resilientconv.EventAcceptedEarlier)
		if len(ae) != 1 {
			t.Fatalf("%d %q logs, want 1: %v", len(ae), resilientconv.EventAcceptedEarlier, st.call.Logs)
		}
		wantFields(t, ae[0], map[string]any{string(resilientconv.AttemptKey): int64(2), string(resilientconv.MessagesKey): int64(2), string(resilientconv.CodeKey): int64(23)})
		noTag(t, st.call, "error")
	})

	t.Run("Retry-After", func(t *testing.T) {
		st := step("viber: 503, Retry-After: 1")
		if st.call.OperationName != "viber.create" || len(st.attempts) != 2 {
			t.Fatalf("RoundTrip span %q with %d attempts, want viber.create with 2", st.call.OperationName, len(st.attempts))
		}
		wantTags(t, st.attempts[0], map[string]any{"http.response.status_code": int64(503), "error": true, string(resilientconv.ClassKey): "transient"})
		r := logs(st.call, resilientconv.EventRetryScheduled)
		if len(r) != 1 {
			t.Fatalf("%d %q logs, want 1", len(r), resilientconv.EventRetryScheduled)
		}
		wantFields(t, r[0], map[string]any{string(resilientconv.DelayKey): float64(1), string(resilientconv.DelaySourceKey): "retry_after", string(resilientconv.CauseKey): "http_503"})
	})

	t.Run("redaction", func(t *testing.T) {
		checkRedacted(t, j, service)
	})
}

// stepTrace is the stored trace of one step: its root span, the RoundTrip
// span under it and the attempt spans under that, by attempt number.
type stepTrace struct {
	trace    jaegertest.Trace
	root     jaegertest.Span
	call     jaegertest.Span
	attempts []jaegertest.Span
}

func newStepTrace(t *testing.T, tr jaegertest.Trace) *stepTrace {
	t.Helper()
	st := &stepTrace{trace: tr}
	var roots []jaegertest.Span
	for _, s := range tr.Spans {
		if s.Parent() == "" {
			roots = append(roots, s)
		}
	}
	if len(roots) != 1 {
		t.Fatalf("trace %s: %d root spans, want 1", tr.TraceID, len(roots))
	}
	st.root = roots[0]
	calls := children(tr, st.root.SpanID)
	if len(calls) != 1 {
		t.Fatalf("step %q: %d spans under the root, want the RoundTrip span", st.root.OperationName, len(calls))
	}
	st.call = calls[0]
	st.attempts = children(tr, st.call.SpanID)
	slices.SortFunc(st.attempts, func(a, b jaegertest.Span) int {
		return int(tagInt(a, string(resilientconv.AttemptKey)) - tagInt(b, string(resilientconv.AttemptKey)))
	})
	return st
}

// checkShape checks what every step's trace has in common: an INTERNAL
// RoundTrip span of the library's scope under the step's span, CLIENT
// attempt spans under it, numbered from 1, named after the method, with an
// error exactly when the attempt failed.
func (st *stepTrace) checkShape(t *testing.T) {
	t.Helper()
	name := st.root.OperationName
	if n := 2 + len(st.attempts); n != len(st.trace.Spans) {
		t.Errorf("step %q: %d spans, want %d (root, RoundTrip, attempts)", name, len(st.trace.Spans), n)
	}
	wantTags(t, st.root, map[string]any{"otel.scope.name": scenario.TracerName})
	wantTags(t, st.call, map[string]any{"span.kind": "internal", "otel.scope.name": resilientconv.ScopeName})
	wantChildOf(t, st.call, st.root)
	for i, a := range st.attempts {
		wantTags(t, a, map[string]any{"span.kind": "client", "otel.scope.name": resilientconv.ScopeName, string(resilientconv.AttemptKey): int64(i + 1)})
		wantChildOf(t, a, st.call)
		method, _ := a.Tag("http.request.method")
		if a.OperationName != method {
			t.Errorf("step %q attempt %d: operation %q, method %v", name, i+1, a.OperationName, method)
		}
		class, _ := a.Tag(string(resilientconv.ClassKey))
		_, isErr := a.Tag("error")
		if isErr != (class != "success") {
			t.Errorf("step %q attempt %d: class %v, error tag %v", name, i+1, class, isErr)
		}
		if u, _ := a.Tag("url.full"); !strings.HasPrefix(fmt.Sprint(u), "http://127.0.0.1:") {
			t.Errorf("step %q attempt %d: url.full %v", name, i+1, u)
		}
	}
}

// checkRedacted fetches everything Jaeger returns about service and looks
// for every API key, phone number, message text and reference the scenario
// sends.
func checkRedacted(t *testing.T, j *jaegertest.Jaeger, service string) {
	t.Helper()
	var stored strings.Builder
	for _, u := range []string{
		j.QueryURL + "/api/traces?" + url.Values{"service": {service}, "limit": {"1000"}}.Encode(),
		j.QueryURL + "/api/services/" + url.PathEscape(service) + "/operations",
		j.QueryURL + "/api/operations?" + url.Values{"service": {service}}.Encode(),
	} {
		body := get(t, u)
		stored.Write(body)
		stored.WriteByte('\n')
		// The strings once more, decoded: an escaped "+" or quote would
		// hide a value from the search in the raw text.
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			t.Fatalf("GET %s: %v", u, err)
		}
		walkStrings(v, func(s string) { stored.WriteString(s); stored.WriteByte('\n') })
	}
	text := stored.String()
	if !strings.Contains(text, "sms.create") || !strings.Contains(text, "REDACTED") {
		t.Fatalf("the traces fetched lack sms.create or the redacted reference path:\n%.2000s", text)
	}

	n := needles(t)
	for _, s := range n {
		if strings.Contains(text, s) {
			i := strings.Index(text, s)
			t.Errorf("%q is stored in Jaeger: ...%s...", s, text[max(i-200, 0):min(i+200, len(text))])
		}
	}
	t.Logf("searched %d bytes for %d values", len(text), len(n))
}

// The values the scenario sends that must never be exported; see
// internal/scenario/steps.go. needles checks that the list is complete.
var (
	apiKeys = []string{scenario.MainKey, scenario.LowKey}
	msisdns = []string{
		"+37060000001", "+3706", "+37060000002", "+37060000003", "+37060000004", "+37060000005",
		"+37060000006", "+37060000007", "+37060000008", "+37060000009", "+37060000010", "+37060000011",
	}
	references = []string{
		"qsotp1", "qsotp2", "qspromo1", "qspromo2", "qspromo3", "qsship1", "qsviber1", "qslow1", "qslow2", "qslow3", "qsmain1",
	}
	texts = []string{
		"Your code is 4711", "Your code is 0815", "Spring sale starts today", "Your parcel has shipped",
		"Your parcel arrives tomorrow", "Your table is booked", "Your table is ready", "See you soon", "Thanks for your order",
	}
)

// needles returns the strings to search the stored traces for: the values
// above, and each long phone number without its "+" too. It fails the test
// when the scenario's steps.go sends a value the lists miss.
func needles(t *testing.T) []string {
	t.Helper()
	src, err := os.ReadFile("../internal/scenario/steps.go")
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{"": true}
	for _, list := range [][]string{msisdns, references, texts} {
		for _, s := range list {
			known[s] = true
		}
	}
	for _, re := range []string{
		`smsSingle\("([^"]*)", "([^"]*)", "([^"]*)"\)`, // msisdn, reference, text
		`\[2\]string\{"([^"]*)", "([^"]*)"\}`,          // a bulk recipient: msisdn, reference
		`smsBulk\("([^"]*)"`,                           // text
		`"(?:msisdn|reference|text)":"([^"]*)"`,        // in raw JSON bodies
		`/reference/([^"/]+)"`,                         // in paths
		`"(\+\d+)"`,                                    // any phone number literal
	} {
		for _, m := range regexp.MustCompile(re).FindAllStringSubmatch(string(src), -1) {
			for _, v := range m[1:] {
				if !known[v] {
					t.Errorf("steps.go sends %q, which the redaction check does not search for: add it", v)
				}
			}
		}
	}

	out := slices.Concat(apiKeys, msisdns, references, texts)
	for _, p := range msisdns {
		if len(p) > 8 { // shorter digit runs can occur in IDs by chance
			out = append(out, strings.TrimPrefix(p, "+"))
		}
	}
	return out
}

// walkStrings calls f with every string, key or value, in a decoded JSON value.
func walkStrings(v any, f func(string)) {
	switch v := v.(type) {
	case string:
		f(v)
	case []any:
		for _, e := range v {
			walkStrings(e, f)
		}
	case map[string]any:
		for k, e := range v {
			f(k)
			walkStrings(e, f)
		}
	}
}

func get(t *testing.T, u string) []byte {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v: %.500s", u, resp.StatusCode, err, body)
	}
	return body
}

// printedLinks returns the trace links run printed, by step name.
func printedLinks(t *testing.T, out, query string) map[string]string {
	t.Helper()
	re := regexp.MustCompile(`(?m)^  (\S.*?) +` + regexp.QuoteMeta(query) + `/trace/([0-9a-f]{32})$`)
	links := map[string]string{}
	for _, m := range re.FindAllStringSubmatch(out, -1) {
		links[m[1]] = m[2]
	}
	if len(links) == 0 {
		t.Fatal("no trace links printed")
	}
	return links
}

// waitSpans polls until the traces of service hold n spans in all: a trace
// is found as soon as one of its spans is stored, and its other spans may
// come in a later export.
func waitSpans(t *testing.T, j *jaegertest.Jaeger, service string, n int, timeout time.Duration) []jaegertest.Trace {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		traces, err := j.Traces(t.Context(), service)
		got := 0
		for _, tr := range traces {
			got += len(tr.Spans)
		}
		if err == nil && got == n {
			return traces
		}
		if err == nil && got > n || time.Now().After(deadline) {
			t.Fatalf("%d spans of service %q stored, want %d (last error: %v)", got, service, n, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// children returns the spans of tr whose parent is id.
func children(tr jaegertest.Trace, id string) []jaegertest.Span {
	var out []jaegertest.Span
	for _, s := range tr.Spans {
		if s.Parent() == id {
			out = append(out, s)
		}
	}
	return out
}

// logs returns the fields of the span's logs of the named event.
func logs(s jaegertest.Span, event string) []map[string]any {
	var out []map[string]any
	for _, l := range s.Logs {
		f := map[string]any{}
		for _, kv := range l.Fields {
			f[kv.Key] = kv.Value
		}
		if f["event"] == event {
			out = append(out, f)
		}
	}
	return out
}

func tagInt(s jaegertest.Span, key string) int64 {
	v, _ := s.Tag(key)
	n, _ := v.(int64)
	return n
}

func wantChildOf(t *testing.T, s, parent jaegertest.Span) {
	t.Helper()
	if len(s.References) != 1 || s.References[0].RefType != "CHILD_OF" || s.References[0].SpanID != parent.SpanID {
		t.Errorf("span %s: references %+v, want CHILD_OF %s (%s)", s.OperationName, s.References, parent.SpanID, parent.OperationName)
	}
}

func wantTags(t *testing.T, s jaegertest.Span, want map[string]any) {
	t.Helper()
	for k, w := range want {
		if got, ok := s.Tag(k); !ok {
			t.Errorf("span %s: no tag %q", s.OperationName, k)
		} else if got != w {
			t.Errorf("span %s: tag %q = %v (%T), want %v (%T)", s.OperationName, k, got, got, w, w)
		}
	}
}

func noTag(t *testing.T, s jaegertest.Span, key string) {
	t.Helper()
	if v, ok := s.Tag(key); ok {
		t.Errorf("span %s: tag %q = %v, want none", s.OperationName, key, v)
	}
}

func wantFields(t *testing.T, f map[string]any, want map[string]any) {
	t.Helper()
	for k, w := range want {
		if got, ok := f[k]; !ok {
			t.Errorf("%q log: no field %q: %v", f["event"], k, f)
		} else if got != w {
			t.Errorf("%q log: %q = %v (%T), want %v (%T)", f["event"], k, got, got, w, w)
		}
	}
}

// TestNoCollector checks that run fails at once, saying why, when nothing
// or something else than an OTLP receiver answers at the endpoint.
func TestNoCollector(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	notOTLP := httptest.NewServer(http.NotFoundHandler())
	defer notOTLP.Close()

	for _, c := range []struct {
		endpoint string
		want     string
	}{
		{closed, "no OTLP collector answered at http://" + closed + "/v1/traces: dial tcp " + closed + ": "},
		{notOTLP.Listener.Addr().String(), "the endpoint " + notOTLP.URL + "/v1/traces refused an empty OTLP export: "},
	} {
		var stdout, stderr bytes.Buffer
		start := time.Now()
		err := run(t.Context(), []string{"-endpoint", c.endpoint}, &stdout, &stderr)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("run with -endpoint %s: %v\nwant an error containing %q", c.endpoint, err, c.want)
		}
		if d := time.Since(start); d > probeTimeout+time.Second {
			t.Errorf("run with -endpoint %s took %s", c.endpoint, d)
		}
		if stdout.Len() != 0 {
			t.Errorf("run with -endpoint %s wrote %q; the scenario must not run", c.endpoint, stdout.String())
		}
	}
}

// TestEnvironment checks that the exporter and run agree on the endpoint the
// OTEL_* variables set, by running against a fake OTLP receiver.
func TestEnvironment(t *testing.T) {
	var (
		mu     sync.Mutex
		paths  []string
		bodies [][]byte
	)
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		paths = append(paths, r.Method+" "+r.URL.Path)
		bodies = append(bodies, body)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer collector.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.URL+"/base")
	t.Setenv("OTEL_SERVICE_NAME", "from-the-environment")

	var stdout, stderr bytes.Buffer
	if err := run(t.Context(), nil, &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s%s", err, stdout.String(), stderr.String())
	}
	want := "exporting traces to " + collector.URL + `/base/v1/traces as service "from-the-environment"`
	if !strings.Contains(stdout.String(), want) {
		t.Errorf("output lacks %q:\n%s", want, stdout.String())
	}
	mu.Lock()
	defer mu.Unlock()
	if len(paths) < 2 { // the empty export, then the spans
		t.Fatalf("the collector received %v", paths)
	}
	for _, p := range paths {
		if p != "POST /base/v1/traces" {
			t.Errorf("the collector received %s, want POST /base/v1/traces", p)
		}
	}
	if !bytes.Contains(bytes.Join(bodies, nil), []byte("from-the-environment")) {
		t.Error("the service name from OTEL_SERVICE_NAME was not exported")
	}
}

// TestParse checks which of the flags and the variables decide.
func TestParse(t *testing.T) {
	for _, c := range []struct {
		name     string
		args     []string
		env      map[string]string
		url      string // the export URL
		exporter string // the URL passed to the exporter; "" to let it read the variables
		service  string
		err      string
	}{{
		name: "defaults",
		url:  "http://localhost:4318/v1/traces", exporter: "http://localhost:4318/v1/traces", service: "resilient-quickstart",
	}, {
		name: "flags",
		args: []string{"-endpoint", "collector:4318", "-insecure=false", "-service", "svc"},
		url:  "https://collector:4318/v1/traces", exporter: "https://collector:4318/v1/traces", service: "svc",
	}, {
		name: "base URL from the environment",
		env:  map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_SERVICE_NAME": "env"},
		url:  "http://collector:4318/v1/traces", service: "env",
	}, {
		name: "traces URL from the environment, used as is",
		env: map[string]string{
			"OTEL_EXPORTER_OTLP_ENDPOINT":        "http://other:4318",
			"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://collector/otlp/traces",
		},
		url: "https://collector/otlp/traces", service: "resilient-quickstart",
	}, {
		name: "traces URL without a path",
		env:  map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318"},
		url:  "http://collector:4318/", service: "resilient-quickstart",
	}, {
		name: "insecure variable over the scheme",
		env:  map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "https://collector:4318", "OTEL_EXPORTER_OTLP_INSECURE": "true"},
		url:  "http://collector:4318/v1/traces", service: "resilient-quickstart",
	}, {
		name: "flags over the environment",
		args: []string{"-endpoint", "127.0.0.1:14318", "-service", "flag"},
		env:  map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_SERVICE_NAME": "env"},
		url:  "http://127.0.0.1:14318/v1/traces", exporter: "http://127.0.0.1:14318/v1/traces", service: "flag",
	}, {
		name: "-insecure over the environment's scheme",
		args: []string{"-insecure"},
		env:  map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "https://collector:4318"},
		url:  "http://collector:4318/v1/traces", exporter: "http://collector:4318/v1/traces", service: "resilient-quickstart",
	}, {
		name: "endpoint as a URL",
		args: []string{"-endpoint", "http://localhost:4318"},
		err:  `-endpoint "http://localhost:4318": want host:port`,
	}, {
		name: "variable without a scheme",
		env:  map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "localhost:4318"},
		err:  `OTEL_EXPORTER_OTLP_ENDPOINT="localhost:4318": want a URL`,
	}, {
		name: "bad query URL",
		args: []string{"-query", "localhost:16686"},
		err:  `-query "localhost:16686": want the base URL`,
	}, {
		name: "arguments",
		args: []string{"extra"},
		err:  `unexpected arguments`,
	}} {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := parse(c.args, io.Discard, func(k string) string { return c.env[k] })
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want one containing %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.target.url != c.url || cfg.target.endpointURL != c.exporter || cfg.service != c.service {
				t.Errorf("got URL %q, exporter URL %q, service %q\nwant %q, %q, %q",
					cfg.target.url, cfg.target.endpointURL, cfg.service, c.url, c.exporter, c.service)
			}
		})
	}
}
