package notificoretest_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/resilient-sms/resilient/notificoretest"
)

// Log in to API 2.0, send an SMS campaign with the token, and see what the
// server accepted.
func ExampleServer_API2URL() {
	srv := notificoretest.NewServer(notificoretest.WithKey("test_key"))
	defer srv.Close()

	resp, err := srv.Client().Post(srv.API2URL()+"/auth/login", "application/json",
		strings.NewReader(`{"api_key":"test_key"}`))
	if err != nil {
		return
	}
	var login struct {
		Bearer string `json:"bearer"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&login)
	resp.Body.Close()

	// The token is JWT-shaped; its claims name the account.
	payload, _ := base64.RawURLEncoding.DecodeString(strings.Split(login.Bearer, ".")[1])
	var claims struct {
		IAT int64  `json:"iat"`
		Exp int64  `json:"exp"`
		ID  int    `json:"id"`
		Sub string `json:"sub"`
	}
	_ = json.Unmarshal(payload, &claims)
	fmt.Println("account", claims.ID, claims.Sub, "valid for", claims.Exp-claims.IAT, "s")

	req, _ := http.NewRequest(http.MethodPost, srv.API2URL()+"/campaigns/sms/send", strings.NewReader(
		`{"phones":[{"number":37060000001,"reference_id":"order42"}],"sender":"Shop","text":"Your code is 1234"}`))
	req.Header.Set("Authorization", "Bearer "+login.Bearer)
	resp, err = srv.Client().Do(req)
	if err != nil {
		return
	}
	var ans struct {
		Data struct {
			ID          int    `json:"id"`
			Status      string `json:"status"`
			MessageType string `json:"message_type"`
		} `json:"data"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&ans)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, ans.Data.ID, ans.Data.Status, ans.Data.MessageType)

	for _, m := range srv.Messages() {
		fmt.Println(m.Kind, m.ID, m.Reference, m.MSISDN)
	}
	// Output:
	// account 1 1 valid for 3600 s
	// 200 1 creation sms
	// sms 1 order42 37060000001
}

// A resend of a send whose reference_id was accepted is refused as a whole.
// WithReferenceIDRejection swaps that answer for another one.
func ExampleWithReferenceIDRejection() {
	const body = `{"phones":[{"number":"37060000001","reference_id":"a1"},{"number":"37060000002","reference_id":"order42"}],"text":"hi"}`
	for _, opts := range [][]notificoretest.Option{
		nil,
		{notificoretest.WithReferenceIDRejection(http.StatusConflict, `{"errors":[{"message":"Duplicate reference_id"}]}`)},
	} {
		srv := notificoretest.NewServer(opts...)
		tok := login2(srv, "test_key")
		post2(srv, "/campaigns/sms/send", tok, `{"phones":[{"number":"37060000009","reference_id":"order42"}],"text":"hi"}`)
		fmt.Println(post2(srv, "/campaigns/sms/send", tok, body))
		fmt.Println("accepted:", srv.Accepted())
		srv.Close()
	}
	// Output:
	// 422 {"message":"The given data was invalid.","errors":{"phones.1.reference_id":["The reference id has already been taken."]}}
	// accepted: 1
	// 409 {"errors":[{"message":"Duplicate reference_id"}]}
	// accepted: 1
}

// A copy of a recent request is refused with the spec's 429, also when the
// original's answer was lost.
func ExampleWithDuplicateWindow() {
	srv := notificoretest.NewServer(notificoretest.WithDuplicateWindow(time.Minute))
	defer srv.Close()
	tok := login2(srv, "test_key")

	srv.Script(notificoretest.Fault{Reset: notificoretest.ResetAfterProcessing})
	fmt.Println(post2(srv, "/campaigns/sms/send", tok, `{"phones":["37060000001"],"text":"hi"}`))
	fmt.Println(post2(srv, "/campaigns/sms/send", tok, `{"phones":["37060000001"],"text":"hi"}`))
	fmt.Println("accepted:", srv.Accepted())
	// Output:
	// transport error
	// 429 {"message":"Too many duplicate request detected"}
	// accepted: 1
}

// The three API 2.0 error layouts a Fault can answer with.
func ExampleShape() {
	srv := notificoretest.NewServer()
	defer srv.Close()
	tok := login2(srv, "test_key")

	srv.Script(
		notificoretest.Fault{Shape: notificoretest.ShapeAPI2, Status: 400, Description: "Tariff not found"},
		notificoretest.Fault{Shape: notificoretest.ShapeAPI2Message, Status: 400, Description: "Tariff not found"},
		notificoretest.Fault{Shape: notificoretest.ShapeAPI2Fields, Status: 422, Description: "Invalid phone number format"},
	)
	for range 3 {
		fmt.Println(post2(srv, "/campaigns/sms/send", tok, `{"phones":["37060000001"],"text":"hi"}`))
	}
	// Output:
	// 400 {"errors":[{"message":"Tariff not found"}]}
	// 400 {"message":"Tariff not found","errors":[]}
	// 422 {"message":"The given data was invalid.","errors":{"phones.0.number":["Invalid phone number format"]}}
}
