package resilient

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

const benchAnswer = `{"result":{"error":0,"errorDescription":"No errors","reference":"r1","id":"213","price":0.02,"currency":"EUR"}}`

var benchBody = []byte(`{"destination":"phone","originator":"Acme","body":"Hello","msisdn":"+35790000001","reference":"r1"}`)

func benchServer(b *testing.B) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, benchAnswer)
	}))
	b.Cleanup(srv.Close)
	return srv
}

func tunedTransport(b *testing.B) *http.Transport {
	tr := &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: time.Minute}
	b.Cleanup(tr.CloseIdleConnections)
	return tr
}

// BenchmarkHappyPath compares one 2xx code-0 answer through a bare tuned
// http.Transport with the same through a Transport over it, in one run.
func BenchmarkHappyPath(b *testing.B) {
	srv := benchServer(b)
	for _, bc := range []struct {
		name string
		rt   func(*http.Transport) http.RoundTripper
	}{
		{"bare", func(t *http.Transport) http.RoundTripper { return t }},
		{"resilient", func(t *http.Transport) http.RoundTripper { return NewTransport(t) }},
		{"resilient-nocircuits", func(t *http.Transport) http.RoundTripper {
			return NewTransport(t, WithAccountCircuit(AccountCircuit{Disabled: true}), WithHostCircuit(HostCircuit{Disabled: true}))
		}},
		{"resilient-sdktracing", func(t *http.Transport) http.RoundTripper {
			tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(tracetest.NewNoopExporter()))
			b.Cleanup(func() { tp.Shutdown(context.Background()) })
			return NewTransport(t, WithTracerProvider(tp))
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			client := &http.Client{Transport: bc.rt(tunedTransport(b))}
			url := srv.URL + "/rest/sms/create"
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req, _ := http.NewRequest(http.MethodPut, url, bytes.NewReader(benchBody))
					req.Header.Set("X-API-KEY", "live_bench")
					resp, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			})
		})
	}
}

// BenchmarkFailFast measures a call that an open account circuit stops.
func BenchmarkFailFast(b *testing.B) {
	rt := NewTransport(roundTripFunc(func(*http.Request) (*http.Response, error) {
		return response(200, `{"error":8,"errorDescription":"not enough funds"}`), nil
	}))
	req, _ := http.NewRequest(http.MethodGet, "https://api.test/rest/common/balance", nil)
	req.Header.Set("X-API-KEY", "live_broke")
	if resp, err := rt.RoundTrip(req); err == nil {
		resp.Body.Close()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := rt.RoundTrip(req); err == nil {
			b.Fatal("no fail fast")
		}
	}
}

// BenchmarkClassify measures the classification of a 200-byte error body
// and of a 50-recipient bulk answer.
func BenchmarkClassify(b *testing.B) {
	var bulk strings.Builder
	bulk.WriteString(`{"task_id":"6","result":[`)
	for i := range 50 {
		if i > 0 {
			bulk.WriteString(",")
		}
		fmt.Fprintf(&bulk, `{"error":0,"errorDescription":"No errors","reference":"ref%d","id":"%d","price":0.02,"currency":"EUR"}`, i, 1000+i)
	}
	bulk.WriteString(`],"total_price":1.0,"currency":"EUR"}`)
	errBody := `{"error":"21","errorDescription":"invalid phone number","details":"` + strings.Repeat("x", 120) + `"}`
	rs := newRuleSet(Policy{}.withDefaults())
	for _, bc := range []struct{ name, body string }{{"error200B", errBody}, {"bulk50", bulk.String()}} {
		body := []byte(bc.body)
		resp := response(200, bc.body)
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				rs.classifyResponse(resp.StatusCode, body, false)
			}
		})
	}
}
