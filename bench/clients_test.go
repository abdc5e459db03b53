package bench

import (
	"errors"
	"net/http"
	"testing"

	"github.com/resilient-sms/resilient"
	"github.com/resilient-sms/resilient/notificoretest"
)

// TestVariantsAnswer checks that every client of the happy path reaches the
// server and hands back its answer, so that no benchmark measures a
// failure.
func TestVariantsAnswer(t *testing.T) {
	srv := NewHappyServer()
	defer srv.Close()
	tp := NewTracerProvider()
	defer Shutdown(tp)
	for _, v := range Variants {
		base := NewBareTransport()
		client := &http.Client{Transport: v.New(base, tp)}
		for range 3 {
			if err := call(client, srv.URL+"/rest/sms/create"); err != nil {
				t.Errorf("%s: %v", v.Name, err)
			}
		}
		base.CloseIdleConnections()
	}
}

// TestClassifyAnswers checks that the transport classifies the answers of
// BenchmarkClassify as intended, with one attempt each.
func TestClassifyAnswers(t *testing.T) {
	want := map[string]resilient.Class{
		"success": resilient.ClassSuccess, "error200": resilient.ClassPermanent, "bulk50": resilient.ClassSuccess,
	}
	for _, a := range Answers {
		resp, err := Resilient(newStub(a.Body)).RoundTrip(newCreate("http://127.0.0.1:1/rest/sms/create"))
		if err != nil {
			t.Fatalf("%s: %v", a.Name, err)
		}
		out, ok := resilient.OutcomeOf(resp)
		drain(resp)
		if !ok || out.Class != want[a.Name] {
			t.Errorf("%s: outcome %+v, want class %v", a.Name, out, want[a.Name])
		}
		if a.Name == "bulk50" && len(out.Recipients) != 50 {
			t.Errorf("bulk50: %d recipients", len(out.Recipients))
		}
	}
	if len(ErrorBody) != 200 {
		t.Errorf("ErrorBody is %d bytes", len(ErrorBody))
	}
}

// TestAccountCircuitFailsFast checks the premise of BenchmarkFailFast: a
// code 8 answer opens the account circuit.
func TestAccountCircuitFailsFast(t *testing.T) {
	srv := notificoretest.NewServer(notificoretest.WithBalance(Key, 0))
	defer srv.Close()
	base := NewBareTransport()
	defer base.CloseIdleConnections()
	rt := Resilient(base)
	url := srv.RESTURL() + "/sms/create"
	resp, err := rt.RoundTrip(newCreate(url))
	if err != nil {
		t.Fatal(err)
	}
	drain(resp)
	if _, err := rt.RoundTrip(newCreate(url)); !errors.Is(err, resilient.ErrCircuitOpen) {
		t.Fatalf("second call: %v, want ErrCircuitOpen", err)
	}
	if n := srv.Requests(); n != 1 {
		t.Errorf("the server got %d requests, want 1", n)
	}
}
