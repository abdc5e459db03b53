package resilient

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

func TestClassifyResponse(t *testing.T) {
	rs := newRuleSet(Policy{}.withDefaults())
	rs.finish(Policy{}.withDefaults())
	tests := []struct {
		name      string
		status    int
		body      string
		class     Class
		code      int
		ambiguous bool
		desc      string
		nrec      int
	}{
		{"top number", 200, `{"error": 20, "errorDescription": "SMS not found"}`, ClassPermanent, 20, false, "SMS not found", 0},
		{"top string", 200, `{"error":"40","errorDescription":"Message not found"}`, ClassPermanent, 40, false, "Message not found", 0},
		{"wrapped success", 200, `{"result":{"error":0,"errorDescription":"No errors","reference":"r1","id":"213","price":0.23,"currency":"EUR"}}`, ClassSuccess, 0, false, "", 0},
		{"wrapped error", 200, `{"result":{"error":21,"errorDescription":"invalid phone number"}}`, ClassPermanent, 21, false, "invalid phone number", 0},
		{"unwrapped strings", 200, `{"error":"0","id":"22125","reference":"r1","price":"5.02","currency":"RUB"}`, ClassSuccess, 0, false, "", 0},
		{"bulk ok", 200, `{"task_id":"6","result":[{"error":0,"id":"1","reference":"r1"},{"error":"0","id":"2","reference":"r2"}],"total_price":0.46}`, ClassSuccess, 0, false, "", 2},
		{"bulk partial 11", 200, `{"task_id":"6","result":[{"error":0,"id":"1","reference":"r1"},{"error":11,"errorDescription":"busy","reference":"r2"}]}`, ClassTransient, 11, true, "busy", 2},
		{"bulk all 11", 200, `{"result":[{"error":11,"reference":"r1"},{"error":"11","reference":"r2"}]}`, ClassTransient, 11, false, "", 2},
		{"bulk permanent and account", 200, `{"result":[{"error":21,"reference":"r1"},{"error":8,"reference":"r2"}]}`, ClassAccount, 8, false, "", 2},
		{"no error field", 200, `{"originator":"x","body":"y","sent":3}`, ClassSuccess, 0, false, "", 0},
		{"stats", 200, `{"error":0,"result":[{"date":"2026-01-01","count":3}]}`, ClassSuccess, 0, false, "", 0},
		{"api2 account", 402, `{"errors":[{"message":"Unavailable for your account status"}]}`, ClassAccount, 0, false, "Unavailable for your account status", 0},
		{"api2 permanent", 400, `{"errors":[{"message":"Invalid phone number format"}]}`, ClassPermanent, 0, false, "Invalid phone number format", 0},
		{"api2 unknown on 503", 503, `{"errors":[{"message":"try later"}]}`, ClassTransient, 0, false, "try later", 0},
		{"code 11", 200, `{"error":11}`, ClassTransient, 11, false, CodeDescription(11), 0},
		{"code 5", 200, `{"error":"5"}`, ClassTransient, 5, true, "unknown error", 0},
		{"code 8", 200, `{"error":8,"errorDescription":"not enough funds"}`, ClassAccount, 8, false, "not enough funds", 0},
		{"code 1 on 2xx", 200, `{"error":1,"errorDescription":"invalid key"}`, ClassPermanent, 1, false, "invalid key", 0},
		{"unknown code", 200, `{"error":777}`, ClassPermanent, 777, false, "", 0},
		{"reserved code", 200, `{"error":88}`, ClassPermanent, 88, false, "reserved for future use", 0},
		{"code wrong type", 200, `{"error":{"x":1}}`, ClassPermanent, -1, false, "", 0},
		{"code true", 200, `{"error":true}`, ClassPermanent, -1, false, "", 0},
		{"code false", 200, `{"error":false}`, ClassSuccess, 0, false, "", 0},
		{"code null", 200, `{"error":null}`, ClassSuccess, 0, false, "", 0},
		{"code empty string", 200, `{"error":""}`, ClassSuccess, 0, false, "", 0},
		{"code float", 200, `{"error":11.0}`, ClassTransient, 11, false, CodeDescription(11), 0},
		{"description wrong type", 200, `{"error":21,"errorDescription":42}`, ClassPermanent, 21, false, "42", 0},
		{"html 502", 502, `<html><body>Bad Gateway</body></html>`, ClassTransient, 0, true, "", 0},
		{"html 200", 200, `<html>ok</html>`, ClassSuccess, 0, false, "", 0},
		{"truncated json 200", 200, `{"error":0,"result":{"id":`, ClassSuccess, 0, false, "", 0},
		{"truncated json 400", 400, `{"error":`, ClassPermanent, 0, false, "", 0},
		{"404 html", 404, `<html>404</html>`, ClassPermanent, 0, false, "", 0},
		{"402 empty", 402, ``, ClassAccount, 0, false, "", 0},
		{"429", 429, ``, ClassTransient, 0, false, "", 0},
		{"503", 503, `{}`, ClassTransient, 0, false, "", 0},
		{"500", 500, ``, ClassTransient, 0, true, "", 0},
		{"504", 504, ``, ClassTransient, 0, true, "", 0},
		{"501", 501, ``, ClassPermanent, 0, false, "", 0},
		{"408", 408, ``, ClassTransient, 0, false, "", 0},
		{"500 with code 0", 500, `{"error":0}`, ClassTransient, 0, true, "", 0},
		{"302", 302, ``, ClassSuccess, 0, false, "", 0},
		{"array body", 200, `[1,2]`, ClassSuccess, 0, false, "", 0},
		{"91 not ready", 200, `{"error":91}`, ClassTransient, 91, false, "File not ready", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := response(tt.status, tt.body)
			out, rule := rs.classifyRead(resp.StatusCode, []byte(tt.body), false)
			if out.Class != tt.class || out.Code != tt.code || out.Ambiguous != tt.ambiguous || len(out.Recipients) != tt.nrec {
				t.Errorf("got class %v code %d ambiguous %v recipients %d; want %v %d %v %d",
					out.Class, out.Code, out.Ambiguous, len(out.Recipients), tt.class, tt.code, tt.ambiguous, tt.nrec)
			}
			if tt.desc != "" && out.Description != tt.desc {
				t.Errorf("description %q, want %q", out.Description, tt.desc)
			}
			if rule.Class != out.Class || rule.MaxAttempts != defaultMaxAttempts {
				t.Errorf("rule %+v does not match class %v", rule, out.Class)
			}
		})
	}
}

func TestClassifyRecipientsKeepDetails(t *testing.T) {
	rs := newRuleSet(Policy{}.withDefaults())
	body := `{"task_id":"6","result":[{"error":0,"errorDescription":"No errors","reference":"r1","id":"213","price":0.23},{"error":43,"errorDescription":"External ID already exists","reference":"r19"}]}`
	out, _ := rs.classifyRead(200, []byte(body), false)
	want := []Recipient{
		{Code: 0, Reference: "r1", ID: "213", Class: ClassSuccess},
		{Code: 43, Description: "External ID already exists", Reference: "r19", Class: ClassPermanent},
	}
	if fmt.Sprint(out.Recipients) != fmt.Sprint(want) {
		t.Errorf("recipients %+v, want %+v", out.Recipients, want)
	}
	if out.Class != ClassPermanent || out.Code != 43 {
		t.Errorf("class %v code %d", out.Class, out.Code)
	}
}

// Ids and references arrive as strings and as numbers: an integer reads as
// written, any other number as its nearest float64, without a fraction when
// it has none.
func TestClassifyRecipientNumberIDs(t *testing.T) {
	rs := newRuleSet(Policy{}.withDefaults())
	for _, tt := range []struct{ raw, want string }{
		{`12`, "12"},
		{`-3`, "-3"},
		{`1.1e2`, "110"},
		{`2.3e2`, "230"},
		{`12.5`, "12.5"},
		{`1e20`, "1e+20"},
		{`9007199254740993`, "9007199254740993"}, // beyond float64's integers
		{`-0`, "-0"},
		{`1.0`, "1"},
	} {
		body := `{"result":[{"error":0,"id":` + tt.raw + `,"reference":` + tt.raw + `},{"error":0,"id":"x"}]}`
		out, _ := rs.classifyRead(200, []byte(body), false)
		if len(out.Recipients) != 2 || out.Recipients[0].ID != tt.want || out.Recipients[0].Reference != tt.want {
			t.Errorf("id %s: recipients %+v, want ID and Reference %q", tt.raw, out.Recipients, tt.want)
		}
	}
}

func TestClassifyUnread(t *testing.T) {
	rs := newRuleSet(Policy{}.withDefaults())
	out, _ := rs.classifyRead(200, nil, true)
	if out.Class != ClassSuccess || !out.Unread {
		t.Errorf("got %+v", out)
	}
	out, _ = rs.classifyRead(503, nil, true)
	if out.Class != ClassTransient || !out.Unread {
		t.Errorf("got %+v", out)
	}
}

func TestClassifyRules(t *testing.T) {
	rs := newRuleSet(Policy{})
	rs.codes[21] = Rule{Class: ClassTransient, MaxAttempts: 2}
	rs.codes[11] = Rule{Class: ClassTransient, MaxAttempts: 9, Backoff: Backoff{Initial: time.Second}}
	rs.messages[normMessage("Tariff not found")] = Rule{Class: ClassAccount}
	rs.statuses[418] = Rule{Class: ClassTransient}
	rs.classes[ClassPermanent] = Rule{Class: ClassPermanent, MaxAttempts: 1}
	p := Policy{}.withDefaults()
	rs.finish(p)
	tests := []struct {
		status   int
		body     string
		class    Class
		attempts int
		initial  time.Duration
	}{
		{200, `{"error":21}`, ClassTransient, 2, defaultInitial},
		{200, `{"error":11}`, ClassTransient, 9, time.Second},
		{400, `{"errors":[{"message":" tariff NOT found "}]}`, ClassAccount, defaultMaxAttempts, defaultInitial},
		{418, ``, ClassTransient, defaultMaxAttempts, defaultInitial},
		{200, `{"error":26}`, ClassPermanent, 1, defaultInitial},
		{200, `{"result":[{"error":0},{"error":11}]}`, ClassTransient, 9, time.Second},
	}
	for i, tt := range tests {
		out, rule := rs.classifyRead(tt.status, []byte(tt.body), false)
		if out.Class != tt.class || rule.MaxAttempts != tt.attempts || rule.Backoff.Initial != tt.initial {
			t.Errorf("case %d: class %v attempts %d initial %v; want %v %d %v", i, out.Class, rule.MaxAttempts, rule.Backoff.Initial, tt.class, tt.attempts, tt.initial)
		}
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestClassifyError(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	bg := context.Background()
	tests := []struct {
		name                string
		ctx                 context.Context
		err                 error
		class               Class
		ambiguous, canceled bool
	}{
		{"dial refused", bg, &net.OpError{Op: "dial", Err: errors.New("connection refused")}, ClassTransient, false, false},
		{"dns", bg, &net.DNSError{Err: "no such host", Name: "x"}, ClassTransient, false, false},
		{"reset", bg, &net.OpError{Op: "read", Err: errors.New("connection reset by peer")}, ClassTransient, true, false},
		{"eof", bg, io.EOF, ClassTransient, true, false},
		{"timeout", bg, timeoutErr{}, ClassTransient, true, false},
		{"caller canceled", canceled, context.Canceled, ClassTransient, false, true},
		{"unknown authority", bg, fmt.Errorf("tls: %w", x509.UnknownAuthorityError{}), ClassPermanent, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := classifyError(tt.ctx, validRequest, tt.err, true)
			if out.Class != tt.class || out.Ambiguous != tt.ambiguous || out.Canceled != tt.canceled || out.Err != tt.err {
				t.Errorf("got %+v", out)
			}
		})
	}
}

func TestClassOf(t *testing.T) {
	want := map[Class][]int{
		ClassSuccess:   {0},
		ClassAccount:   {2, 8, 9},
		ClassTransient: {5, 11, 91},
		ClassPermanent: {1, 3, 4, 6, 7, 10, 12, 20, 21, 23, 26, 41, 43, 61, 63, 88, 89, 93, 99, -1, 1000},
	}
	for class, codes := range want {
		for _, code := range codes {
			if got := ClassOf(code); got != class {
				t.Errorf("ClassOf(%d) = %v, want %v", code, got, class)
			}
		}
	}
	for code, info := range apiCodes {
		if info.desc == "" {
			t.Errorf("code %d has no description", code)
		}
	}
	if c, ok := ClassOfMessage("  UNAVAILABLE for your account status"); c != ClassAccount || !ok {
		t.Errorf("ClassOfMessage = %v %v", c, ok)
	}
	if c, ok := ClassOfMessage("something new"); c != ClassPermanent || ok {
		t.Errorf("unknown message = %v %v", c, ok)
	}
	for c, s := range map[Class]string{ClassSuccess: "success", ClassTransient: "transient", ClassPermanent: "permanent", ClassAccount: "account", Class(9): "class(9)"} {
		if c.String() != s {
			t.Errorf("%d.String() = %q", int(c), c.String())
		}
	}
}

func TestQuickSuccess(t *testing.T) {
	for body, want := range map[string]bool{
		`{"result":{"error":0,"errorDescription":"No errors","id":"213"}}`: true,
		`{"error":"0","id":"22125"}`:                                       true,
		`{ "error" : 0 }`:                                                  true,
		`{"amount":"12.50","currency":"EUR"}`:                              true,
		`{"type":"error"}`:                                                 false,
		`{"error":11}`:                                                     false,
		`{"error":0.5}`:                                                    false,
		`{"error":0`:                                                       false,
		`{"error":"11"}`:                                                   false,
		`{"result":[{"error":0}]}`:                                         false,
		`{"errors":[]}`:                                                    false,
		`{"error":0,"error":21}`:                                           false,
		`<html>`:                                                           false,
		``:                                                                 false,
	} {
		if got := quickSuccess([]byte(body)); got != want {
			t.Errorf("quickSuccess(%s) = %v, want %v", body, got, want)
		}
	}
}

// validRequest is a request net/http would write as it is.
var validRequest, _ = http.NewRequest(http.MethodGet, "https://api.test/rest/common/balance", nil)
