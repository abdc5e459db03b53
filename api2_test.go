package resilient

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/resilient-sms/resilient/notificoretest"
	rc "github.com/resilient-sms/resilient/resilientconv"
)

const (
	api2Campaign    = `{"phones":[{"number":"35790000001"}],"sender":"Acme","text":"Hello"}`
	api2CampaignRef = `{"phones":[{"number":"35790000001","reference_id":"c1"},{"number":"35790000002","reference_id":"c2"}],"sender":"Acme","text":"Hello"}`
	api2OTP         = `{"recipient":"35790000001","channel":"sms","sender":"Acme","template_id":"12"}`
)

// login trades key for a bearer token through rt.
func login(t *testing.T, rt http.RoundTripper, srv *notificoretest.Server, key string) string {
	t.Helper()
	resp, err := sendCtx(t, t.Context(), rt, http.MethodPost, srv.API2URL()+"/auth/login", `{"api_key":"`+key+`"}`, "")
	if err != nil {
		t.Fatal(err)
	}
	var tok struct{ Bearer string }
	if err := json.Unmarshal([]byte(readAll(t, resp)), &tok); err != nil || tok.Bearer == "" {
		t.Fatalf("login %d: %v", resp.StatusCode, err)
	}
	return tok.Bearer
}

// sendBearer makes one API 2.0 call through rt with a bearer token.
func sendBearer(t *testing.T, rt http.RoundTripper, url, token, body string) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	return (&http.Client{Transport: rt}).Do(req)
}

func TestClassifyAPI2Shapes(t *testing.T) {
	rs := newRuleSet(Policy{}.withDefaults())
	tests := []struct {
		name      string
		status    int
		body      string
		class     Class
		duplicate bool
	}{
		{"top-level account message on 403", 403, `{"message":"Unavailable for your account status","errors":[]}`, ClassAccount, false},
		{"account message in a list of strings", 400, `{"message":"The given data was invalid.","errors":["Unavailable for your account status"]}`, ClassAccount, false},
		{"older shape", 403, `{"errors":[{"message":"Unavailable for your account status"}]}`, ClassAccount, false},
		{"message in another case", 400, `{"MESSAGE":"unavailable for your account status"}`, ClassAccount, false},
		{"duplicate request", 429, `{"message":"Too many duplicate request detected"}`, ClassPermanent, true},
		{"plain 429 stays transient", 429, `{"message":"Too Many Requests","errors":[]}`, ClassTransient, false},
		{"rejected reference_id", 422, `{"message":"The given data was invalid.","errors":{"phones.0.reference_id":["The reference id has already been taken."]}}`, ClassPermanent, true},
		{"reference_id named in the message", 422, `{"message":"Duplicate reference_id"}`, ClassPermanent, true},
		{"reference_id too long is no duplicate", 422, `{"message":"The given data was invalid.","errors":{"phones.0.reference_id":["The reference id may not be greater than 32 characters."]}}`, ClassPermanent, false},
		{"reference_id characters are no duplicate", 422, `{"message":"The given data was invalid.","errors":{"phones.0.reference_id":["The reference id may only contain letters and numbers."]}}`, ClassPermanent, false},
		{"reference_id on another status is no duplicate", 400, `{"message":"reference_id already exists"}`, ClassPermanent, false},
		{"field errors without reference_id", 422, `{"message":"The given data was invalid.","errors":{"phones.0.number":["too long"]}}`, ClassPermanent, false},
		{"unknown message falls back to the status", 503, `{"message":"maintenance"}`, ClassTransient, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, rule := rs.classifyRead(tt.status, []byte(tt.body), false)
			if out.Class != tt.class || rule.Duplicate != tt.duplicate {
				t.Errorf("class %v duplicate %v, want %v %v (%+v)", out.Class, rule.Duplicate, tt.class, tt.duplicate, out)
			}
		})
	}
}

func TestAPI2AccountMessageOpensCircuit(t *testing.T) {
	for _, shape := range []notificoretest.Shape{notificoretest.ShapeAPI2Message, notificoretest.ShapeAPI2} {
		srv := newServer(t)
		srv.Script(notificoretest.Fault{Path: "/campaigns/sms/send", Status: http.StatusForbidden, Shape: shape, Description: "Unavailable for your account status"})
		rt := newTestTransport(t, newFakeClock())
		tok := login(t, rt, srv, testKey)
		for i := range 3 {
			resp, err := sendBearer(t, rt, srv.API2URL()+"/campaigns/sms/send", tok, api2Campaign)
			if i == 0 {
				if err != nil {
					t.Fatal(err)
				}
				readAll(t, resp)
				continue
			}
			if !errors.Is(err, ErrCircuitOpen) {
				t.Fatalf("shape %v, call %d: %v, want a fail-fast", shape, i, err)
			}
		}
		if srv.Requests() != 2 { // the login and the first send
			t.Errorf("shape %v: server saw %d requests", shape, srv.Requests())
		}
	}
}

func TestDuplicateRequestOnFirstAttemptIsPermanent(t *testing.T) {
	srv := newServer(t, notificoretest.WithDuplicateWindow(time.Hour))
	rt := newTestTransport(t, newFakeClock())
	tok := login(t, rt, srv, testKey)
	url := srv.API2URL() + "/campaigns/sms/send"
	resp, err := sendBearer(t, rt, url, tok, api2Campaign)
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, resp)
	// The caller sends the same campaign again: the server refuses the copy.
	resp, err = sendBearer(t, rt, url, tok, api2Campaign)
	if err != nil {
		t.Fatal(err)
	}
	body := readAll(t, resp)
	if resp.StatusCode != http.StatusTooManyRequests || body != `{"message":"Too many duplicate request detected"}` {
		t.Errorf("answer %d %s, want the 429 untouched", resp.StatusCode, body)
	}
	if out, _ := OutcomeOf(resp); out.Class != ClassPermanent || out.AcceptedEarlier {
		t.Errorf("outcome %+v, want permanent", out)
	}
	if srv.Accepted() != 1 || srv.Requests() != 3 {
		t.Errorf("accepted %d after %d requests, want 1 after 3 (never resent)", srv.Accepted(), srv.Requests())
	}
}

func TestAPI2ResendAfterReset(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		window   time.Duration
		requests int // sends that reached the server
		accepted bool
	}{
		{"referenced, answered 429 duplicate", api2CampaignRef, time.Hour, 2, true},
		{"referenced, answered 422 reference_id", api2CampaignRef, 0, 2, true},
		{"unreferenced is not resent", api2Campaign, time.Hour, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, notificoretest.WithDuplicateWindow(tt.window))
			rt := newTestTransport(t, newFakeClock())
			tok := login(t, rt, srv, testKey)
			srv.Script(notificoretest.Fault{Path: "/campaigns/sms/send", Reset: notificoretest.ResetAfterProcessing})
			resp, err := sendBearer(t, rt, srv.API2URL()+"/campaigns/sms/send", tok, tt.body)
			if got := srv.Requests() - 1; got != tt.requests {
				t.Errorf("%d sends reached the server, want %d", got, tt.requests)
			}
			if n := len(srv.Messages()); n != strings.Count(tt.body, "number") {
				t.Errorf("server accepted %d messages", n)
			}
			if !tt.accepted {
				var e *Error
				if !errors.As(err, &e) || e.Reason != rc.ReasonUnsafe {
					t.Errorf("error %v, want unsafe", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			body := readAll(t, resp)
			out, _ := OutcomeOf(resp)
			if resp.StatusCode != 200 || body != `{"data":{}}` || resp.Header.Get(AcceptedEarlierHeader) != "2" || !out.AcceptedEarlier || out.Class != ClassSuccess {
				t.Errorf("answer %d %s %v, outcome %+v; want a rewritten success for 2 messages", resp.StatusCode, body, resp.Header, out)
			}
		})
	}
}

func TestOTPIsNeverResentAfterAmbiguity(t *testing.T) {
	srv := newServer(t)
	rt := newTestTransport(t, newFakeClock())
	tok := login(t, rt, srv, testKey)
	srv.Script(notificoretest.Fault{Path: "/2fa/authentications/otp", Reset: notificoretest.ResetAfterProcessing})
	_, err := sendBearer(t, rt, srv.API2URL()+"/2fa/authentications/otp", tok, api2OTP)
	var e *Error
	if !errors.As(err, &e) || e.Reason != rc.ReasonUnsafe || srv.Requests() != 2 {
		t.Errorf("error %v after %d requests, want unsafe after the login and one send", err, srv.Requests())
	}
}

func TestPlain429IsRetried(t *testing.T) {
	srv := newServer(t)
	rt := newTestTransport(t, newFakeClock())
	tok := login(t, rt, srv, testKey)
	srv.Script(notificoretest.Fault{Path: "/campaigns/sms/send", Status: 429, Shape: notificoretest.ShapeAPI2Message, Description: "Too Many Requests"})
	resp, err := sendBearer(t, rt, srv.API2URL()+"/campaigns/sms/send", tok, api2Campaign)
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, resp)
	if resp.StatusCode != 200 || srv.Requests() != 3 || srv.Accepted() != 1 {
		t.Errorf("status %d after %d requests (%d accepted), want a retried success", resp.StatusCode, srv.Requests(), srv.Accepted())
	}
}
