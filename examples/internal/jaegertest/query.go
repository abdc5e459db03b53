package jaegertest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"
)

// searchLimit is the maximum number of traces one [Jaeger.Traces] call returns.
const searchLimit = 1000

// Trace is one trace as returned by Jaeger's /api/traces JSON API.
type Trace struct {
	TraceID   string             `json:"traceID"`
	Spans     []Span             `json:"spans"`
	Processes map[string]Process `json:"processes"`
}

// Process is the emitting process (OTLP resource) of spans, keyed in
// [Trace.Processes] by [Span.ProcessID].
type Process struct {
	ServiceName string `json:"serviceName"`
	Tags        []KV   `json:"tags"`
}

// Span is one span of a [Trace]. StartTime is in microseconds since the Unix
// epoch and Duration in microseconds.
type Span struct {
	TraceID       string `json:"traceID"`
	SpanID        string `json:"spanID"`
	OperationName string `json:"operationName"`
	References    []Ref  `json:"references"`
	StartTime     int64  `json:"startTime"`
	Duration      int64  `json:"duration"`
	Tags          []KV   `json:"tags"`
	Logs          []Log  `json:"logs"`
	ProcessID     string `json:"processID"`
}

// Ref is a span reference; RefType is "CHILD_OF" or "FOLLOWS_FROM".
type Ref struct {
	RefType string `json:"refType"`
	TraceID string `json:"traceID"`
	SpanID  string `json:"spanID"`
}

// KV is a typed tag or log field. Type is one of "string", "bool", "int64",
// "float64" or "binary", and Value holds a string, bool, int64, float64 or
// []byte accordingly.
type KV struct {
	Key   string `json:"key"`
	Type  string `json:"type"`
	Value any    `json:"value"`
}

// Log is a span log; OTLP span events become logs whose field "event" holds
// the event name. Timestamp is in microseconds since the Unix epoch.
type Log struct {
	Timestamp int64 `json:"timestamp"`
	Fields    []KV  `json:"fields"`
}

// UnmarshalJSON decodes a KV, converting Value to the Go type named by Type.
func (kv *KV) UnmarshalJSON(b []byte) error {
	var raw struct {
		Key   string          `json:"key"`
		Type  string          `json:"type"`
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	kv.Key, kv.Type = raw.Key, raw.Type
	var err error
	switch raw.Type {
	case "int64":
		kv.Value, err = decode[int64](raw.Value)
	case "float64":
		kv.Value, err = decode[float64](raw.Value)
	case "bool":
		kv.Value, err = decode[bool](raw.Value)
	case "binary":
		var s string
		if s, err = decode[string](raw.Value); err == nil {
			kv.Value, err = base64.StdEncoding.DecodeString(s)
		}
	default:
		kv.Value, err = decode[any](raw.Value)
	}
	if err != nil {
		return fmt.Errorf("tag %q of type %q: %w", raw.Key, raw.Type, err)
	}
	return nil
}

// decode unmarshals b into a T.
func decode[T any](b []byte) (T, error) {
	var v T
	err := json.Unmarshal(b, &v)
	return v, err
}

// Tag returns the value of the span tag key and whether it is present.
func (s Span) Tag(key string) (any, bool) {
	for _, kv := range s.Tags {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return nil, false
}

// Parent returns the span ID of the first CHILD_OF reference (the OTLP
// parent), or "" for a root span.
func (s Span) Parent() string {
	for _, r := range s.References {
		if r.RefType == "CHILD_OF" {
			return r.SpanID
		}
	}
	return ""
}

// Traces returns the stored traces of service, newest first, at most 1000.
func (j *Jaeger) Traces(ctx context.Context, service string) ([]Trace, error) {
	q := url.Values{"service": {service}, "limit": {fmt.Sprint(searchLimit)}}
	u := j.QueryURL + "/api/traces?" + q.Encode()
	body, code, err := j.get(ctx, u)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	var res struct {
		Data   []Trace `json:"data"`
		Errors []struct {
			Code int    `json:"code"`
			Msg  string `json:"msg"`
		} `json:"errors"`
	}
	if code != http.StatusOK {
		return nil, fmt.Errorf("GET %s: status %d: %.500s", u, code, body)
	}
	if err := json.Unmarshal(body, &res); err != nil {
		return nil, fmt.Errorf("GET %s: decode: %w", u, err)
	}
	if len(res.Errors) > 0 {
		return res.Data, fmt.Errorf("GET %s: %d: %s", u, res.Errors[0].Code, res.Errors[0].Msg)
	}
	return res.Data, nil
}

// WaitTraces polls until at least n traces of service are stored and returns
// them; it fails the test after timeout. Ingestion is asynchronous, and a
// trace counts as soon as any of its spans is stored, so export all spans of
// a trace in one flush before waiting.
func (j *Jaeger) WaitTraces(t testing.TB, service string, n int, timeout time.Duration) []Trace {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	var (
		traces []Trace
		err    error
	)
	for {
		traces, err = j.Traces(ctx, service)
		if err == nil && len(traces) >= n {
			return traces
		}
		select {
		case <-ctx.Done():
			t.Fatalf("jaegertest: %d of %d traces of service %q after %v (last error: %v)",
				len(traces), n, service, timeout, err)
			return nil
		case <-time.After(200 * time.Millisecond):
		}
	}
}
