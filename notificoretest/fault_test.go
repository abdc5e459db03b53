package notificoretest

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// Faults that replace the answer: nothing is processed.
func TestFaultReplacesAnswer(t *testing.T) {
	tests := []struct {
		name   string
		fault  Fault
		status int
		body   string // exact body, or a prefix when it ends with "*"
		ctype  string // Content-Type prefix
		header [2]string
	}{
		{name: "code", fault: Fault{Code: 11}, status: 200,
			body: `{"error":11,"errorDescription":"maximum number of messages processed simultaneously for sending has been exceeded"}`, ctype: "application/json"},
		{name: "code as string", fault: Fault{Code: 11, CodeString: true}, status: 200,
			body: `{"error":"11","errorDescription":"maximum number of messages processed simultaneously for sending has been exceeded"}`},
		{name: "wrapped with description", fault: Fault{Code: 5, Shape: ShapeWrapped, Description: "boom"}, status: 200,
			body: `{"result":{"error":5,"errorDescription":"boom"}}`},
		{name: "code with status", fault: Fault{Code: 8, Status: 500}, status: 500,
			body: `{"error":8,"errorDescription":"not enough funds"}`},
		{name: "unknown code", fault: Fault{Code: 999}, status: 200, body: `{"error":999,"errorDescription":""}`},
		{name: "api2 message", fault: Fault{Shape: ShapeAPI2, Description: "Tariff not found", Status: 404}, status: 404,
			body: `{"errors":[{"message":"Tariff not found"}]}`, ctype: "application/json"},
		{name: "api2 status only", fault: Fault{Shape: ShapeAPI2, Status: 503}, status: 503,
			body: `{"errors":[{"message":"Service Unavailable"}]}`},
		{name: "api2 spec message", fault: Fault{Shape: ShapeAPI2Message, Description: "Tariff not found", Status: 404}, status: 404,
			body: `{"message":"Tariff not found","errors":[]}`, ctype: "application/json"},
		{name: "api2 spec status only", fault: Fault{Shape: ShapeAPI2Message, Status: 503}, status: 503,
			body: `{"message":"Service Unavailable","errors":[]}`},
		{name: "api2 spec with code", fault: Fault{Shape: ShapeAPI2Message, Code: 8, Status: 402}, status: 402,
			body: `{"message":"not enough funds","errors":[]}`},
		{name: "api2 fields default field", fault: Fault{Shape: ShapeAPI2Fields, Description: "Invalid phone number format", Status: 422}, status: 422,
			body: `{"message":"The given data was invalid.","errors":{"phones.0.number":["Invalid phone number format"]}}`},
		{name: "api2 fields field only", fault: Fault{Shape: ShapeAPI2Fields, Field: "phones.1.reference_id", Status: 422}, status: 422,
			body: `{"message":"The given data was invalid.","errors":{"phones.1.reference_id":["The phones.1.reference_id is invalid."]}}`},
		{name: "api2 fields field without status", fault: Fault{Shape: ShapeAPI2Fields, Field: "text"}, status: 200,
			body: `{"message":"The given data was invalid.","errors":{"text":["The text is invalid."]}}`},
		{name: "status only", fault: Fault{Status: 503}, status: 503, body: "<html>*", ctype: "text/html"},
		{name: "raw html", fault: Fault{Status: 502, Body: "<html><body>Bad Gateway</body></html>"}, status: 502,
			body: "<html><body>Bad Gateway</body></html>", ctype: "text/html"},
		{name: "truncated json", fault: Fault{Body: `{"result":{"error":`}, status: 200, body: `{"result":{"error":`, ctype: "application/json"},
		{name: "body with own content type", fault: Fault{Body: "oops", Header: http.Header{"content-type": {"text/x-custom"}}}, status: 200,
			body: "oops", ctype: "text/x-custom"},
		{name: "retry after", fault: Fault{Status: 429, RetryAfter: "7"}, status: 429, body: "<html>*", header: [2]string{"Retry-After", "7"}},
		{name: "retry after date", fault: Fault{Code: 11, RetryAfter: "Wed, 21 Oct 2015 07:28:00 GMT"}, status: 200, body: `{"error":11,*`,
			header: [2]string{"Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT"}},
		{name: "extra header", fault: Fault{Code: 1, Header: http.Header{"X-Request-Id": {"abc"}}}, status: 200, body: `{"error":1,*`,
			header: [2]string{"X-Request-Id", "abc"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := NewServer()
			defer srv.Close()
			srv.Script(tt.fault)
			a := send(t, srv.Client(), http.MethodPut, srv.RESTURL()+"/sms/create", "k", single("37060000001", "r1"))
			if a.status != tt.status {
				t.Errorf("status %d, want %d", a.status, tt.status)
			}
			if p, ok := strings.CutSuffix(tt.body, "*"); ok {
				if !strings.HasPrefix(string(a.raw), p) {
					t.Errorf("body %s, want prefix %s", a.raw, p)
				}
			} else if string(a.raw) != tt.body {
				t.Errorf("body %s, want %s", a.raw, tt.body)
			}
			if ct := a.header.Get("Content-Type"); !strings.HasPrefix(ct, tt.ctype) {
				t.Errorf("Content-Type %q, want %q", ct, tt.ctype)
			}
			if tt.header[0] != "" && a.header.Get(tt.header[0]) != tt.header[1] {
				t.Errorf("%s: %q, want %q", tt.header[0], a.header.Get(tt.header[0]), tt.header[1])
			}
			if srv.Accepted() != 0 || srv.Requests() != 1 {
				t.Errorf("Accepted %d Requests %d, want 0 1", srv.Accepted(), srv.Requests())
			}
			if log := srv.Log(); len(log) != 1 || !log[0].Fault || len(log[0].Body) == 0 {
				t.Errorf("Log() = %+v", log)
			}
		})
	}
}

// Faults that only adjust a normal answer: the request is processed.
func TestFaultAdjustsAnswer(t *testing.T) {
	tests := []struct {
		name   string
		fault  Fault
		status int
		body   string
		header [2]string
	}{
		{name: "status", fault: Fault{Status: 202}, status: 202,
			body: `{"result":{"error":0,"errorDescription":"No errors","reference":"r1","id":"1","price":0.02,"currency":"EUR"}}`},
		{name: "code string", fault: Fault{CodeString: true}, status: 200,
			body: `{"result":{"error":"0","errorDescription":"No errors","reference":"r1","id":"1","price":0.02,"currency":"EUR"}}`},
		{name: "retry after", fault: Fault{RetryAfter: "3"}, status: 200, header: [2]string{"Retry-After", "3"},
			body: `{"result":{"error":0,"errorDescription":"No errors","reference":"r1","id":"1","price":0.02,"currency":"EUR"}}`},
		{name: "description alone is ignored", fault: Fault{Description: "x"}, status: 200,
			body: `{"result":{"error":0,"errorDescription":"No errors","reference":"r1","id":"1","price":0.02,"currency":"EUR"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := NewServer()
			defer srv.Close()
			srv.Script(tt.fault)
			a := send(t, srv.Client(), http.MethodPost, srv.RESTURL()+"/sms/create", "k", single("37060000001", "r1"))
			if a.status != tt.status || string(a.raw) != tt.body {
				t.Errorf("got %d %s\nwant %d %s", a.status, a.raw, tt.status, tt.body)
			}
			if tt.header[0] != "" && a.header.Get(tt.header[0]) != tt.header[1] {
				t.Errorf("%s: %q, want %q", tt.header[0], a.header.Get(tt.header[0]), tt.header[1])
			}
			if srv.Accepted() != 1 {
				t.Errorf("Accepted() = %d, want 1", srv.Accepted())
			}
		})
	}
}

func TestFaultRecipients(t *testing.T) {
	twoMessages := map[string]any{"messages": []map[string]any{
		{"to": []phone{{"37060000001", "v1"}, {"37060000002", "v2"}}, "text": "a"},
		{"to": []phone{{"37060000003", "v3"}, {"37060000004", "v4"}}, "text": "b"},
	}}
	tests := []struct {
		name       string
		path       string
		recipients map[int]int
		body       any
		want       []int
		top        int
		accepted   int
	}{
		{name: "sms bulk", path: "/sms/create", recipients: map[int]int{1: 21, 2: 11},
			body: bulk(phone{"37060000001", "a"}, phone{"37060000002", "b"}, phone{"37060000003", "c"}, phone{"37060000004", "a"}),
			want: []int{0, 21, 11, 23}, accepted: 1},
		{name: "viber across messages", path: "/viber/create", recipients: map[int]int{2: 41},
			body: twoMessages, want: []int{0, 0, 41, 0}, accepted: 3},
		{name: "hlr", path: "/hlr/create", recipients: map[int]int{0: 63},
			body: hlr(phone{"37060000001", "h1"}, phone{"37060000002", "h2"}), want: []int{63, 0}, accepted: 1},
		{name: "zero code and out of range ignored", path: "/hlr/create", recipients: map[int]int{0: 0, 5: 61},
			body: hlr(phone{"37060000001", "h1"}), want: []int{0}, accepted: 1},
		{name: "single sms", path: "/sms/create", recipients: map[int]int{0: 11},
			body: single("37060000001", "s1"), top: 11},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := NewServer()
			defer srv.Close()
			srv.Script(Fault{Path: tt.path, Recipients: tt.recipients})
			a := send(t, srv.Client(), http.MethodPut, srv.RESTURL()+tt.path, "k", tt.body)
			if tt.top != 0 {
				if got := topCode(t, a); got != tt.top {
					t.Fatalf("code %d, want %d", got, tt.top)
				}
			} else if got := codes(t, a); !slices.Equal(got, tt.want) {
				t.Fatalf("codes %v, want %v: %s", got, tt.want, a.raw)
			}
			if srv.Accepted() != tt.accepted {
				t.Fatalf("Accepted() = %d, want %d", srv.Accepted(), tt.accepted)
			}
		})
	}
}

// Recipients and CodeString together: per-recipient codes become strings.
func TestFaultRecipientsAsStrings(t *testing.T) {
	srv := NewServer()
	defer srv.Close()
	srv.Script(Fault{Recipients: map[int]int{1: 43}, CodeString: true})
	a := send(t, srv.Client(), http.MethodPut, srv.RESTURL()+"/viber/create", "k",
		viber("hi", phone{"37060000001", "v1"}, phone{"37060000002", "v2"}))
	want := `{"result":[{"error":"0","errorDescription":"No errors","reference":"v1","id":"1","price":0.02,"currency":"EUR"},` +
		`{"error":"43","errorDescription":"Viber message with this ID already exists","reference":"v2"}],"currency":"EUR","total_price":0.02}`
	if string(a.raw) != want {
		t.Fatalf("got  %s\nwant %s", a.raw, want)
	}
}

// The queue is FIFO; a request that does not match the head leaves it.
func TestScriptQueue(t *testing.T) {
	srv := NewServer()
	defer srv.Close()
	srv.Script(Fault{Path: "/sms/create", Code: 11}, Fault{Code: 5})
	hc, url := srv.Client(), srv.RESTURL()
	steps := []struct {
		method, path string
		body         any
		code         int  // expected top-level code, -1: none
		fault        bool // whether the request consumed a fault
	}{
		{http.MethodGet, "/common/balance", nil, -1, false},
		{http.MethodPut, "/sms/create", single("37060000001", ""), 11, true},
		{http.MethodGet, "/common/balance", nil, 5, true},
		{http.MethodGet, "/common/balance", nil, -1, false},
	}
	for i, st := range steps {
		a := send(t, hc, st.method, url+st.path, "k", st.body)
		n, _, ok := codeOf(a.obj)
		if (st.code == -1) == ok || (ok && n != st.code) {
			t.Fatalf("step %d: %s, want code %d", i, a.raw, st.code)
		}
	}
	log := srv.Log()
	for i, st := range steps {
		if log[i].Fault != st.fault || log[i].Path != "/rest"+st.path {
			t.Errorf("Log()[%d] = %+v", i, log[i])
		}
	}
	if srv.Requests() != 4 || srv.Accepted() != 0 {
		t.Fatalf("Requests %d Accepted %d, want 4 0", srv.Requests(), srv.Accepted())
	}
}

func TestFaultDelay(t *testing.T) {
	srv := NewServer()
	defer srv.Close()
	const d = 30 * time.Millisecond
	srv.Script(Fault{Delay: d})
	start := time.Now()
	a := send(t, srv.Client(), http.MethodPut, srv.RESTURL()+"/sms/create", "k", single("37060000001", ""))
	if elapsed := time.Since(start); elapsed < d {
		t.Errorf("answered after %v, before the %v delay", elapsed, d)
	}
	if wrappedCode(t, a) != 0 || srv.Accepted() != 1 {
		t.Fatalf("got %s, Accepted %d", a.raw, srv.Accepted())
	}
}
