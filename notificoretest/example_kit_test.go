package notificoretest_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/resilient-sms/resilient/notificoretest"
)

func ExampleNewTLSServer() {
	srv := notificoretest.NewTLSServer(notificoretest.WithKey("test_key"))
	defer srv.Close()

	fmt.Println(strings.SplitN(srv.URL, ":", 2)[0])
	fmt.Println(put(srv, "/sms/create", "test_key", sms)) // srv.Client() trusts the certificate
	// Output:
	// https
	// 200 {"result":{"error":0,"errorDescription":"No errors","reference":"order42","id":"1","price":0.02,"currency":"EUR"}}
}

// Mount the fake API in a server of your own, here under /notificore/.
func ExampleServer_Handler() {
	srv := notificoretest.NewServer()
	defer srv.Close()
	mux := http.NewServeMux()
	mux.Handle("/notificore/", http.StripPrefix("/notificore", srv.Handler()))
	mux.HandleFunc("/health", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "ok") })
	outer := httptest.NewServer(mux)
	defer outer.Close()

	req, _ := http.NewRequest(http.MethodGet, outer.URL+"/notificore/rest/common/balance", nil)
	req.Header.Set("X-API-KEY", "test_key")
	resp, err := outer.Client().Do(req)
	if err != nil {
		return
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(string(b))
	fmt.Println(srv.Log()[0].Path)
	// Output:
	// {"amount":"1000000.00","currency":"EUR","limit":"0"}
	// /rest/common/balance
}

// A fault scoped to one account and one method leaves every other request
// alone.
func ExampleFault_scoped() {
	srv := notificoretest.NewServer()
	defer srv.Close()

	srv.Script(notificoretest.Fault{APIKey: "key_b", Method: http.MethodPut, Code: 8})
	fmt.Println(put(srv, "/sms/create", "key_a", sms))
	fmt.Println(get(srv, "/common/balance", "key_b"))
	fmt.Println(put(srv, "/sms/create", "key_b", sms))
	// Output:
	// 200 {"result":{"error":0,"errorDescription":"No errors","reference":"order42","id":"1","price":0.02,"currency":"EUR"}}
	// 200 {"amount":"1000000.00","currency":"EUR","limit":"0"}
	// 200 {"error":8,"errorDescription":"not enough funds"}
}

// Only the head of the queue can match: here a fault for an account that
// never calls holds back the next one. Pending shows what is stuck.
func ExampleServer_Pending() {
	srv := notificoretest.NewServer()
	defer srv.Close()

	srv.Script(
		notificoretest.Fault{APIKey: "nobody", Code: 5},
		notificoretest.Fault{Code: 11},
	)
	fmt.Println(put(srv, "/sms/create", "test_key", sms))
	for _, f := range srv.Pending() {
		fmt.Printf("pending: APIKey %q Code %d\n", f.APIKey, f.Code)
	}
	// Output:
	// 200 {"result":{"error":0,"errorDescription":"No errors","reference":"order42","id":"1","price":0.02,"currency":"EUR"}}
	// pending: APIKey "nobody" Code 5
	// pending: APIKey "" Code 11
}

// A fake clock (manualClock, defined in this package's tests) decides when
// a create held for its processing time completes: no sleeping.
func ExampleWithClock() {
	clk := newManualClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	srv := notificoretest.NewServer(
		notificoretest.WithClock(clk),
		notificoretest.WithProcessingTime(time.Minute),
	)
	defer srv.Close()

	done := make(chan string)
	go func() { done <- put(srv, "/sms/create", "test_key", sms) }()
	clk.WaitForWaiters(1) // the create is being processed
	fmt.Println("in flight:", srv.InFlight(), "accepted:", srv.Accepted())
	clk.Advance(time.Minute)
	fmt.Println(<-done)
	fmt.Println(get(srv, "/sms/1", "test_key")) // time_in is on the fake clock
	// Output:
	// in flight: 1 accepted: 0
	// 200 {"result":{"error":0,"errorDescription":"No errors","reference":"order42","id":"1","price":0.02,"currency":"EUR"}}
	// 200 {"id":"1","msisdn":"+37060000001","reference":"order42","time_in":"2026-03-01 12:01:00","status":"delivered","price":0.02,"currency":"EUR"}
}

// exampleT stands in for the *testing.T of a test; the testing package runs
// the cleanups when a real test ends.
type exampleT struct {
	testing.TB // only Helper and Cleanup are called
	cleanups   []func()
}

func (t *exampleT) Helper()          {}
func (t *exampleT) Cleanup(f func()) { t.cleanups = append(t.cleanups, f) }

func (t *exampleT) end() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
}

// In a test, Start replaces NewServer and the deferred Close:
//
//	func TestSend(t *testing.T) {
//		srv := notificoretest.Start(t, notificoretest.WithKey("test_key"))
//		...
//	}
func ExampleStart() {
	t := &exampleT{}
	srv := notificoretest.Start(t, notificoretest.WithKey("test_key"))
	fmt.Println(put(srv, "/sms/create", "test_key", sms))

	t.end() // the test is over: the server is closed
	fmt.Println(put(srv, "/sms/create", "test_key", sms))
	// Output:
	// 200 {"result":{"error":0,"errorDescription":"No errors","reference":"order42","id":"1","price":0.02,"currency":"EUR"}}
	// transport error
}
