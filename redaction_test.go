package resilient

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/resilient-sms/resilient/notificoretest"
)

// spanTexts returns every text the recorded spans hold: names, status
// descriptions, attributes and events.
func (r *recorder) spanTexts() string {
	var b strings.Builder
	for _, s := range r.spans.Ended() {
		fmt.Fprintln(&b, s.Name(), s.Status().Description, s.Attributes())
		for _, ev := range s.Events() {
			fmt.Fprintln(&b, ev.Name, ev.Attributes)
		}
	}
	return b.String()
}

func TestTelemetryHoldsNoServerText(t *testing.T) {
	const phone = "35790000001"
	echo := "invalid phone number " + phone
	tests := []struct {
		name  string
		opts  []Option
		fault notificoretest.Fault
		calls int
	}{
		{"permanent code", nil, notificoretest.Fault{Code: 21, Description: echo}, 1},
		{"permanent code as an API error", []Option{WithAPIErrors()}, notificoretest.Fault{Code: 21, Description: echo}, 1},
		{"account code, then a fail-fast", nil, notificoretest.Fault{Code: 8, Description: "no funds for " + phone}, 2},
		{"account code, then a fail-fast answer", []Option{WithFailFastAnswers(), WithAPIErrors()}, notificoretest.Fault{Code: 8, Description: "no funds for " + phone}, 2},
		{"undocumented API 2.0 message", nil, notificoretest.Fault{Status: 402, Shape: notificoretest.ShapeAPI2Message, Description: "blocked: " + phone}, 2},
		{"transient, then given up", []Option{WithMaxAttempts(2)}, notificoretest.Fault{Status: 503, Body: "<html>" + phone + "</html>"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t)
			srv := newServer(t)
			srv.Script(tt.fault, tt.fault)
			rt := newTestTransport(t, newFakeClock(), append(rec.options(), tt.opts...)...)
			for range tt.calls {
				resp, err := send(t, rt, http.MethodPut, srv.RESTURL()+"/sms/create", smsNoRef)
				if err == nil {
					readAll(t, resp)
				}
			}
			if texts := rec.spanTexts(); strings.Contains(texts, phone) {
				t.Errorf("telemetry holds the server's text:\n%s", texts)
			}
		})
	}
}

func TestUndocumentedCodesShareOneSeries(t *testing.T) {
	rec := newRecorder(t)
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return response(200, `{"error":`+r.URL.Query().Get("code")+`}`), nil
	})
	rt := NewTransport(base, append(rec.options(), withClock(newFakeClock()))...)
	for code := 1000; code < 1300; code++ {
		resp, err := rt.RoundTrip(newCall(t, http.MethodGet, fmt.Sprint("https://api.test/rest/sms/1?code=", code), "", testKey))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	h := rec.metrics(t)["http.client.request.duration"].(metricdata.Histogram[float64])
	types := map[string]bool{}
	for _, dp := range h.DataPoints {
		v, _ := dp.Attributes.Value("error.type")
		types[v.AsString()] = true
	}
	if len(types) != 1 || !types["notificore_other"] {
		t.Errorf("error.type values %v, want one shared value", types)
	}
}

func TestURLCache(t *testing.T) {
	urls := []string{
		"https://api.notificore.com/rest/sms/create",
		"https://api.notificore.com/rest/sms/create",
		"http://api.notificore.com/rest/sms/create",
		"https://api2.notificore.com/rest/sms/create",
		"https://api.notificore.com/rest/sms/create?x=1",
		"https://user:secret@api.notificore.com/rest/sms/create",
		"https://api.notificore.com/rest/sms/reference/r-42",
		"https://api.notificore.com/rest/sms/create#frag",
		"https://api.notificore.com/rest/sms/a%2Fb",
		"https://api.notificore.com/rest/sms/a b",
		"https://api.notificore.com/rest/sms/create?",
		"https://api.notificore.com/rest/sms/create",
	}
	var c urlCache
	for round := range 20 { // every eighth miss takes the place
		for i, raw := range urls {
			u, err := url.Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := c.full(u), redactURL(u); got != want {
				t.Fatalf("round %d, %d: full(%q) = %q, want %q", round, i, raw, got, want)
			}
		}
	}
	var fresh urlCache
	u, _ := url.Parse(urls[0])
	fresh.full(u) // the first miss takes the place
	if n := testing.AllocsPerRun(100, func() { fresh.full(u) }); n != 0 {
		t.Errorf("a remembered URL costs %v allocations, want 0", n)
	}
	other, _ := url.Parse(urls[3])
	for range 7 { // the next seven do not
		fresh.full(other)
	}
	if n := testing.AllocsPerRun(100, func() { fresh.full(u) }); n != 0 {
		t.Errorf("after seven other URLs, the remembered one costs %v allocations, want 0", n)
	}
	if fresh.full(other); fresh.full(other) != redactURL(other) || testing.AllocsPerRun(10, func() { fresh.full(other) }) != 0 {
		t.Error("the eighth miss in a row did not take the place")
	}
}

func TestURLCacheConcurrent(t *testing.T) {
	var c urlCache
	var us []*url.URL
	for _, raw := range []string{"https://api.notificore.com/rest/sms/create", "https://api.notificore.com/rest/common/balance",
		"https://one.test/a", "https://two.test/a", "https://api.notificore.com/rest/sms/create?x=1"} {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		us = append(us, u)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 2000 {
				u := us[(g+i*(g+1))%len(us)]
				if got, want := c.full(u), redactURL(u); got != want {
					t.Errorf("full(%v) = %q, want %q", u, got, want)
					return
				}
			}
		})
	}
	wg.Wait()
}
