package notificoretest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
)

func TestBalance(t *testing.T) {
	tests := []struct {
		name   string
		opts   []Option
		key    string
		amount string // "" when an error code is expected
		code   int
	}{
		{name: "open server", key: "any", amount: "1000000.00"},
		{name: "limited", opts: []Option{WithBalance("k", 625)}, key: "k", amount: "12.50"},
		{name: "empty", opts: []Option{WithBalance("k", 0)}, key: "k", amount: "0.00"},
		{name: "missing key", opts: []Option{WithKey("k")}, code: 1},
		{name: "unknown key", opts: []Option{WithKey("k")}, key: "other", code: 1},
		{name: "blocked", opts: []Option{WithBlocked("k")}, key: "k", code: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := NewServer(tt.opts...)
			defer srv.Close()
			a := send(t, srv.Client(), http.MethodGet, srv.RESTURL()+"/common/balance", tt.key, nil)
			if a.status != http.StatusOK {
				t.Fatalf("status %d, want 200", a.status)
			}
			if tt.amount == "" {
				if got := topCode(t, a); got != tt.code {
					t.Fatalf("code %d, want %d: %s", got, tt.code, a.raw)
				}
				return
			}
			if _, has := a.obj["error"]; has {
				t.Errorf("balance answer has an error field: %s", a.raw)
			}
			if a.obj["amount"] != tt.amount || a.obj["currency"] != "EUR" || a.obj["limit"] != "0" {
				t.Errorf("got %s, want amount %q EUR limit 0", a.raw, tt.amount)
			}
		})
	}
}

func TestSMSSingleAccepted(t *testing.T) {
	for _, method := range []string{http.MethodPut, http.MethodPost} {
		t.Run(method, func(t *testing.T) {
			srv := NewServer(WithKey("k"))
			defer srv.Close()
			a := send(t, srv.Client(), method, srv.RESTURL()+"/sms/create", "k", single("+37060000001", "r1"))
			want := `{"result":{"error":0,"errorDescription":"No errors","reference":"r1","id":"1","price":0.02,"currency":"EUR"}}`
			if a.status != http.StatusOK || string(a.raw) != want {
				t.Fatalf("got %d %s\nwant 200 %s", a.status, a.raw, want)
			}
			msgs := srv.Messages()
			if len(msgs) != 1 || msgs[0] != (Message{Kind: "sms", ID: "1", Reference: "r1", MSISDN: "+37060000001", APIKey: "k"}) {
				t.Fatalf("Messages() = %+v", msgs)
			}
			if srv.Accepted() != 1 || srv.Requests() != 1 {
				t.Fatalf("Accepted %d Requests %d, want 1 1", srv.Accepted(), srv.Requests())
			}
		})
	}
}

// The official Go SDK sends JSON labelled multipart/form-data.
func TestContentTypeIgnored(t *testing.T) {
	srv := NewServer()
	defer srv.Close()
	body, _ := json.Marshal(single("37060000001", ""))
	req, _ := http.NewRequest(http.MethodPut, srv.RESTURL()+"/sms/create", bytes.NewReader(body))
	req.Header.Set("X-API-KEY", "test_key")
	req.Header.Set("Content-Type", "multipart/form-data")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if srv.Accepted() != 1 {
		t.Fatalf("Accepted() = %d, want 1", srv.Accepted())
	}
	log := srv.Log()
	if len(log) != 1 || log[0].APIKey != "test_key" || !bytes.Equal(log[0].Body, body) || log[0].Method != http.MethodPut || log[0].Path != "/rest/sms/create" {
		t.Fatalf("Log() = %+v", log)
	}
}

func TestSMSValidation(t *testing.T) {
	many := make([]phone, 51)
	for i := range many {
		many[i] = phone{MSISDN: "37060000001"}
	}
	tests := []struct {
		name  string
		body  any
		top   int   // expected top-level code, or 0
		items []int // expected per-recipient codes of a bulk answer
	}{
		{name: "malformed JSON", body: `{"destination":"phone",`, top: 24},
		{name: "not an object", body: `[1,2]`, top: 24},
		{name: "empty text", body: map[string]any{"destination": "phone", "msisdn": "37060000001"}, top: 26},
		{name: "empty msisdn", body: single("", ""), top: 21},
		{name: "letters in msisdn", body: single("3706000abc1", ""), top: 21},
		{name: "short msisdn", body: single("123456", ""), top: 21},
		{name: "long msisdn", body: single("1234567890123456", ""), top: 21},
		{name: "numeric msisdn", body: `{"destination":"phone","body":"x","msisdn":37060000001}`},
		{name: "long reference", body: single("37060000001", strings.Repeat("a", 33)), top: 27},
		{name: "bad reference", body: single("37060000001", "a-b"), top: 27},
		{name: "unknown destination", body: map[string]any{"destination": "group", "body": "x"}, top: 7},
		{name: "bulk too many", body: bulk(many...), top: 12},
		{name: "bulk empty", body: bulk(), top: 3},
		{name: "bulk empty text", body: map[string]any{"destination": "phones", "phones": []phone{{MSISDN: "37060000001"}}}, top: 26},
		{name: "bulk per recipient", body: bulk(phone{"37060000001", "a1"}, phone{"bad", "a2"}, phone{"37060000003", "a-3"}), items: []int{0, 21, 27}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := NewServer()
			defer srv.Close()
			a := send(t, srv.Client(), http.MethodPost, srv.RESTURL()+"/sms/create", "k", tt.body)
			if a.status != http.StatusOK {
				t.Fatalf("status %d: %s", a.status, a.raw)
			}
			switch {
			case tt.items != nil:
				if got := codes(t, a); !slices.Equal(got, tt.items) {
					t.Fatalf("codes %v, want %v: %s", got, tt.items, a.raw)
				}
			case tt.top != 0:
				if got := topCode(t, a); got != tt.top {
					t.Fatalf("code %d, want %d: %s", got, tt.top, a.raw)
				}
				if srv.Accepted() != 0 {
					t.Fatalf("Accepted() = %d after a refused request", srv.Accepted())
				}
			default:
				if got := wrappedCode(t, a); got != 0 {
					t.Fatalf("code %d, want 0: %s", got, a.raw)
				}
			}
		})
	}
}

func TestSMSBulkShape(t *testing.T) {
	srv := NewServer()
	defer srv.Close()
	a := send(t, srv.Client(), http.MethodPut, srv.RESTURL()+"/sms/create", "k",
		bulk(phone{"37060000001", "r1"}, phone{"37060000002", "r1"}, phone{"37060000003", ""}))
	want := `{"task_id":"1","result":[` +
		`{"error":0,"errorDescription":"No errors","reference":"r1","id":"1","price":0.02,"currency":"EUR"},` +
		`{"error":23,"errorDescription":"SMS with such ID is already present","reference":"r1"},` +
		`{"error":0,"errorDescription":"No errors","reference":"","id":"2","price":0.02,"currency":"EUR"}` +
		`],"total_price":0.04,"currency":"EUR"}`
	if string(a.raw) != want {
		t.Fatalf("got  %s\nwant %s", a.raw, want)
	}
	if srv.Accepted() != 2 {
		t.Fatalf("Accepted() = %d, want 2", srv.Accepted())
	}
}

func TestViberCreate(t *testing.T) {
	tests := []struct {
		name  string
		body  any
		top   int
		items []int
	}{
		{name: "accepted", body: viber("hi", phone{"37060000001", "v1"}, phone{"37060000002", "v2"}), items: []int{0, 0}},
		{name: "invalid phone", body: viber("hi", phone{"12", "v1"}, phone{"37060000002", "v2"}), items: []int{41, 0}},
		{name: "empty text", body: viber("", phone{"37060000001", "v1"}), items: []int{46}},
		{name: "bad reference", body: viber("hi", phone{"37060000001", "v_1"}), items: []int{47}},
		{name: "duplicate in request", body: viber("hi", phone{"37060000001", "v1"}, phone{"37060000002", "v1"}), items: []int{0, 43}},
		{name: "malformed", body: `{"messages":[`, top: 44},
		{name: "no recipients", body: `{"messages":[]}`, top: 3},
		{name: "too many", body: viber("hi", make([]phone, 51)...), top: 12},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := NewServer()
			defer srv.Close()
			a := send(t, srv.Client(), http.MethodPut, srv.RESTURL()+"/viber/create", "k", tt.body)
			if tt.top != 0 {
				if got := topCode(t, a); got != tt.top {
					t.Fatalf("code %d, want %d: %s", got, tt.top, a.raw)
				}
				return
			}
			if got := codes(t, a); !slices.Equal(got, tt.items) {
				t.Fatalf("codes %v, want %v: %s", got, tt.items, a.raw)
			}
			if a.obj["currency"] != "EUR" || a.obj["total_price"] == nil {
				t.Fatalf("missing currency or total_price: %s", a.raw)
			}
		})
	}
}

func TestHLRCreate(t *testing.T) {
	tests := []struct {
		name  string
		body  any
		top   int
		items []int
	}{
		{name: "accepted", body: hlr(phone{"37060000001", "h1"}, phone{"37060000002", "h2"}), items: []int{0, 0}},
		{name: "invalid phone", body: hlr(phone{"x", "h1"}), items: []int{61}},
		{name: "missing reference", body: hlr(phone{"37060000001", ""}), items: []int{62}},
		{name: "bad reference", body: hlr(phone{"37060000001", "h 1"}), items: []int{65}},
		{name: "duplicate in request", body: hlr(phone{"37060000001", "h1"}, phone{"37060000002", "h1"}), items: []int{0, 63}},
		{name: "object instead of array", body: `{"msisdn":"37060000001"}`, top: 64},
		{name: "empty", body: `[]`, top: 3},
		{name: "too many", body: hlr(make([]phone, 51)...), top: 12},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := NewServer()
			defer srv.Close()
			a := send(t, srv.Client(), http.MethodPost, srv.RESTURL()+"/hlr/create", "k", tt.body)
			if tt.top != 0 {
				if got := topCode(t, a); got != tt.top {
					t.Fatalf("code %d, want %d: %s", got, tt.top, a.raw)
				}
				return
			}
			if got := codes(t, a); !slices.Equal(got, tt.items) {
				t.Fatalf("codes %v, want %v: %s", got, tt.items, a.raw)
			}
		})
	}
}

func TestUnknownPathAndMethod(t *testing.T) {
	srv := NewServer()
	defer srv.Close()
	tests := []struct {
		method, path string
		status       int
	}{
		{http.MethodGet, "/nope", http.StatusNotFound},
		{http.MethodGet, "/rest/nope/create", http.StatusNotFound},
		{http.MethodGet, "/rest/sms/a/b/c", http.StatusNotFound},
		{http.MethodGet, "/api/nope", http.StatusNotFound},
		{http.MethodGet, "/rest/sms/create", http.StatusMethodNotAllowed},
		{http.MethodGet, "/rest/sms/123", http.StatusOK}, // a lookup: code 20
		{http.MethodDelete, "/rest/sms/create", http.StatusMethodNotAllowed},
		{http.MethodPost, "/rest/common/balance", http.StatusMethodNotAllowed},
		{http.MethodGet, "/api/auth/login", http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		a := send(t, srv.Client(), tt.method, srv.URL+tt.path, "k", nil)
		if a.status != tt.status {
			t.Errorf("%s %s: status %d, want %d", tt.method, tt.path, a.status, tt.status)
		}
		if tt.status != http.StatusOK && !strings.HasPrefix(a.header.Get("Content-Type"), "text/html") {
			t.Errorf("%s %s: Content-Type %q, want HTML", tt.method, tt.path, a.header.Get("Content-Type"))
		}
	}
	if srv.Requests() != len(tests) {
		t.Fatalf("Requests() = %d, want %d", srv.Requests(), len(tests))
	}
}
