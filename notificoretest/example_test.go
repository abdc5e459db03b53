package notificoretest_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/resilient-sms/resilient/notificoretest"
)

const sms = `{"destination":"phone","originator":"Shop","body":"Your code is 1234","msisdn":"+37060000001","reference":"order42"}`

func Example() {
	srv := notificoretest.NewServer(notificoretest.WithKey("test_key"))
	defer srv.Close()

	fmt.Println(put(srv, "/sms/create", "test_key", sms))
	fmt.Println(put(srv, "/sms/create", "wrong_key", sms))
	fmt.Println("requests:", srv.Requests(), "accepted:", srv.Accepted())
	// Output:
	// 200 {"result":{"error":0,"errorDescription":"No errors","reference":"order42","id":"1","price":0.02,"currency":"EUR"}}
	// 200 {"error":1,"errorDescription":"invalid key"}
	// requests: 2 accepted: 1
}

func ExampleServer_Script() {
	srv := notificoretest.NewServer()
	defer srv.Close()

	srv.Script(
		notificoretest.Fault{Path: "/sms/create", Code: 11, CodeString: true, RetryAfter: "2"},
		notificoretest.Fault{Path: "/sms/create", Status: http.StatusBadGateway, Body: "<html>Bad Gateway</html>"},
	)
	fmt.Println(put(srv, "/sms/create", "test_key", sms))
	fmt.Println(put(srv, "/sms/create", "test_key", sms))
	fmt.Println(put(srv, "/sms/create", "test_key", sms))
	// Output:
	// 200 {"error":"11","errorDescription":"maximum number of messages processed simultaneously for sending has been exceeded"}
	// 502 <html>Bad Gateway</html>
	// 200 {"result":{"error":0,"errorDescription":"No errors","reference":"order42","id":"1","price":0.02,"currency":"EUR"}}
}

// A resend of a create whose answer was lost finds its reference taken.
func ExampleReset_afterProcessing() {
	srv := notificoretest.NewServer()
	defer srv.Close()

	srv.Script(notificoretest.Fault{Reset: notificoretest.ResetAfterProcessing})
	fmt.Println(put(srv, "/sms/create", "test_key", sms))
	fmt.Println("accepted:", srv.Accepted())
	fmt.Println(put(srv, "/sms/create", "test_key", sms))
	// Output:
	// transport error
	// accepted: 1
	// 200 {"error":23,"errorDescription":"SMS with such ID is already present"}
}

func ExampleFault_recipients() {
	srv := notificoretest.NewServer()
	defer srv.Close()

	srv.Script(notificoretest.Fault{Recipients: map[int]int{1: 21}})
	fmt.Println(put(srv, "/sms/create", "test_key", `{"destination":"phones","body":"hi","phones":[`+
		`{"msisdn":"37060000001","reference":"a1"},{"msisdn":"37060000002","reference":"a2"}]}`))
	// Output:
	// 200 {"task_id":"1","result":[{"error":0,"errorDescription":"No errors","reference":"a1","id":"1","price":0.02,"currency":"EUR"},{"error":21,"errorDescription":"invalid phone number","reference":"a2"}],"total_price":0.02,"currency":"EUR"}
}

func ExampleWithBalance() {
	srv := notificoretest.NewServer(notificoretest.WithBalance("test_key", 1))
	defer srv.Close()

	put(srv, "/sms/create", "test_key", sms)
	fmt.Println(put(srv, "/sms/create", "test_key", strings.Replace(sms, "order42", "order43", 1)))

	srv.SetBalance("test_key", 100)
	req, _ := http.NewRequest(http.MethodGet, srv.RESTURL()+"/common/balance", nil)
	req.Header.Set("X-API-KEY", "test_key")
	resp, err := srv.Client().Do(req)
	if err != nil {
		return
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	fmt.Println(string(b))
	// Output:
	// 200 {"error":8,"errorDescription":"not enough funds"}
	// {"amount":"2.00","currency":"EUR","limit":"0"}
}

func ExampleServer_Log() {
	srv := notificoretest.NewServer()
	defer srv.Close()

	srv.Script(notificoretest.Fault{Status: http.StatusServiceUnavailable})
	put(srv, "/sms/create", "test_key", sms)
	put(srv, "/sms/create", "test_key", sms)
	for _, r := range srv.Log() {
		fmt.Println(r.Method, r.Path, r.APIKey, r.Fault)
	}
	for _, m := range srv.Messages() {
		fmt.Println(m.Kind, m.ID, m.Reference, m.MSISDN)
	}
	// Output:
	// PUT /rest/sms/create test_key true
	// PUT /rest/sms/create test_key false
	// sms 1 order42 +37060000001
}
