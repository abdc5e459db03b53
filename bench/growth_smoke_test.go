package bench

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/resilient-sms/resilient"
)

// The premises of BenchmarkGrowth, checked small.

func TestBulkPointsClassify(t *testing.T) {
	for _, n := range GrowthBulk {
		req, _ := http.NewRequest(http.MethodPut, "http://127.0.0.1:1/rest/sms/create", strings.NewReader(BulkCreate(n)))
		req.Header["X-Api-Key"] = []string{Key}
		resp, err := Resilient(newStub(bulkBody(n))).RoundTrip(req)
		if err != nil {
			t.Fatalf("%d recipients: %v", n, err)
		}
		out, ok := resilient.OutcomeOf(resp)
		drain(resp)
		if !ok || out.Class != resilient.ClassSuccess || len(out.Recipients) != n {
			t.Errorf("%d recipients: outcome %+v", n, out)
		}
	}
}

func TestFailingAccountsFailFast(t *testing.T) {
	fail := []string{"f1", "f2", "f3"}
	wm := warm(fail)
	req := newCreate("http://127.0.0.1:1/rest/sms/create")
	for _, k := range fail {
		req.Header["X-Api-Key"] = []string{k}
		if _, err := wm.rt.RoundTrip(req); !errors.Is(err, resilient.ErrCircuitOpen) {
			t.Errorf("%s: %v, want ErrCircuitOpen", k, err)
		}
	}
	req.Header["X-Api-Key"] = []string{"h1"}
	resp, err := wm.rt.RoundTrip(req)
	if err != nil {
		t.Fatalf("a healthy account beside failing ones: %v", err)
	}
	drain(resp)
}

func TestLibFrame(t *testing.T) {
	for fn, want := range map[string]bool{
		"github.com/resilient-sms/resilient.(*Transport).RoundTrip":            true,
		"github.com/resilient-sms/resilient/resilientconv.Foo":                 true,
		"github.com/resilient-sms/resilient/bench.(*stub).RoundTrip":           false,
		"github.com/resilient-sms/resilient/notificoretest.(*Server).serve":    false,
		"github.com/resilient-sms/resilientx.F":                                false,
		"go.opentelemetry.io/otel/sdk/trace.(*batchSpanProcessor).enqueueDrop": false,
	} {
		if got := libFrame(fn); got != want {
			t.Errorf("libFrame(%s) = %v", fn, got)
		}
	}
}
