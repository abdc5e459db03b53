package notificoretest

import (
	"net/http"
	"strings"
	"testing"
)

// Faults scoped by APIKey and Method match only their requests, on both
// APIs and on logins.
func TestFaultScope(t *testing.T) {
	type call struct {
		name, method, path, key string // key: X-API-KEY, or the account of the bearer token
		bearer                  bool
		body                    string
	}
	createA := call{"create a", http.MethodPut, "/rest/sms/create", "a", false, `{"msisdn":"37060000001","body":"x"}`}
	createB := call{"create b", http.MethodPut, "/rest/sms/create", "b", false, `{"msisdn":"37060000001","body":"x"}`}
	balanceB := call{"balance b", http.MethodGet, "/rest/common/balance", "b", false, ""}
	sendA := call{"send a", http.MethodPost, "/api/campaigns/sms/send", "a", true, `{"phones":["37060000001"],"text":"x"}`}
	sendB := call{"send b", http.MethodPost, "/api/campaigns/sms/send", "b", true, `{"phones":["37060000001"],"text":"x"}`}
	loginA := call{"login a", http.MethodPost, "/api/auth/login", "", false, `{"api_key":"a"}`}
	loginB := call{"login b", http.MethodPost, "/api/auth/login", "", false, `{"api_key":"b"}`}
	tests := []struct {
		name  string
		fault Fault
		calls []call // the last one consumes the fault; the others do not
	}{
		{"api key on API 1.0", Fault{APIKey: "b", Status: 503}, []call{createA, sendA, createB}},
		{"api key on a bearer token", Fault{APIKey: "b", Status: 503}, []call{sendA, loginA, createA, sendB}},
		{"api key on a login", Fault{APIKey: "b", Status: 503}, []call{loginA, sendA, loginB}},
		{"api key and path on a login", Fault{APIKey: "b", Path: "/auth/login", Status: 503}, []call{loginA, sendB, createB, loginB}},
		{"method", Fault{Method: "GET", Status: 503}, []call{createB, sendA, balanceB}},
		{"method in any case", Fault{Method: "put", Status: 503}, []call{balanceB, createA}},
		{"api key and method", Fault{APIKey: "b", Method: http.MethodGet, Status: 503}, []call{createB, createA, balanceB}},
		{"empty scope matches anything", Fault{Status: 503}, []call{loginA}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := Start(t)
			tokens := map[string]string{"a": login(t, srv, "a"), "b": login(t, srv, "b")}
			srv.Script(tt.fault)
			for i, c := range tt.calls {
				req, _ := http.NewRequest(c.method, srv.URL+c.path, strings.NewReader(c.body))
				switch {
				case c.bearer:
					req.Header.Set("Authorization", "Bearer "+tokens[c.key])
				case c.key != "":
					req.Header.Set("X-API-KEY", c.key)
				}
				resp, err := srv.Client().Do(req)
				if err != nil {
					t.Fatalf("%s: %v", c.name, err)
				}
				a := readAnswer(t, resp)
				last := i == len(tt.calls)-1
				if (a.status == 503) != last {
					t.Fatalf("%s: status %d (call %d of %d)", c.name, a.status, i+1, len(tt.calls))
				}
				if n := len(srv.Pending()); n != map[bool]int{false: 1, true: 0}[last] {
					t.Fatalf("%s: %d faults pending", c.name, n)
				}
			}
		})
	}
}

// A scoped fault with ResetBeforeBody on a login resets after reading the
// body (the key is in it), and nothing is processed.
func TestFaultLoginResetBeforeBody(t *testing.T) {
	srv := Start(t)
	srv.Script(Fault{APIKey: "b", Reset: ResetBeforeBody})
	hc := freshClient(t)
	for _, key := range []string{"a", "b"} {
		resp, err := hc.Post(srv.API2URL()+"/auth/login", "application/json", strings.NewReader(`{"api_key":"`+key+`"}`))
		if err == nil {
			resp.Body.Close()
		}
		if (err != nil) != (key == "b") {
			t.Fatalf("login %s: error %v", key, err)
		}
	}
	log := srv.Log()
	if len(log) != 2 || log[0].Fault || !log[1].Fault || string(log[1].Body) != `{"api_key":"b"}` {
		t.Fatalf("Log() = %+v", log)
	}
	srv.mu.Lock()
	n := len(srv.tokens)
	srv.mu.Unlock()
	if n != 1 {
		t.Fatalf("%d tokens issued, want 1", n)
	}
}

// Only the head of the queue matches: a head that never matches holds back
// the rest, and Pending shows it.
func TestPending(t *testing.T) {
	srv := Start(t)
	if p := srv.Pending(); len(p) != 0 {
		t.Fatalf("Pending() = %+v on a new server", p)
	}
	srv.Script(
		Fault{APIKey: "nobody", Status: 503, Header: http.Header{"X-A": {"1"}}, Recipients: map[int]int{0: 21}},
		Fault{Code: 5},
	)
	for range 3 {
		a := send(t, srv.Client(), http.MethodGet, srv.RESTURL()+"/common/balance", "k", nil)
		if a.status != 200 || a.obj["amount"] == nil {
			t.Fatalf("a held-back fault answered: %d %s", a.status, a.raw)
		}
	}
	p := srv.Pending()
	if len(p) != 2 || p[0].APIKey != "nobody" || p[1].Code != 5 {
		t.Fatalf("Pending() = %+v", p)
	}
	// Pending returns copies.
	p[0].Header.Set("X-A", "changed")
	p[0].Recipients[0] = 99
	if q := srv.Pending(); q[0].Header.Get("X-A") != "1" || q[0].Recipients[0] != 21 {
		t.Fatalf("Pending() shares state: %+v", q[0])
	}
	// Once the head matches, the next fault is up.
	if a := send(t, srv.Client(), http.MethodGet, srv.RESTURL()+"/common/balance", "nobody", nil); a.status != 503 {
		t.Fatalf("head fault: %d", a.status)
	}
	if a := send(t, srv.Client(), http.MethodGet, srv.RESTURL()+"/common/balance", "k", nil); topCode(t, a) != 5 {
		t.Fatalf("second fault: %s", a.raw)
	}
	if p := srv.Pending(); len(p) != 0 {
		t.Fatalf("Pending() = %+v after both matched", p)
	}
}

// Nil options of either kind are ignored.
func TestNilOptions(t *testing.T) {
	srv := Start(t, nil, optionFunc(nil), WithClock(nil))
	if _, ok := srv.clock.(wallClock); !ok {
		t.Fatalf("clock %T, want the wall clock", srv.clock)
	}
	if a := send(t, srv.Client(), http.MethodPut, srv.RESTURL()+"/sms/create", "k", single("37060000001", "")); wrappedCode(t, a) != 0 {
		t.Fatalf("got %s", a.raw)
	}
}
