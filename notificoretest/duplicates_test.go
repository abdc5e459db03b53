package notificoretest_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/resilient-sms/resilient/notificoretest"
)

const duplicate = `429 {"message":"Too many duplicate request detected"}`

// The window runs from the original's arrival, is per account, path and
// body, and is not extended by refused copies.
func TestDuplicateWindow(t *testing.T) {
	const d = time.Minute
	clk := newManualClock(epoch)
	srv := notificoretest.Start(t, notificoretest.WithDuplicateWindow(d), notificoretest.WithClock(clk))
	a, b := login2(srv, "a"), login2(srv, "b")
	const plain = `{"phones":["37060000001"],"text":"hi"}`
	steps := []struct {
		name    string
		advance time.Duration
		token   string
		path    string
		body    string
		want    string // "STATUS" or the exact answer
	}{
		{"original", 0, a, "/campaigns/sms/send", plain, "200"},
		{"copy at once", 0, a, "/campaigns/sms/send", plain, duplicate},
		{"other body", 0, a, "/campaigns/sms/send", strings.Replace(plain, "hi", "ho", 1), "200"},
		{"other account", 0, b, "/campaigns/sms/send", plain, "200"},
		{"other path", 0, a, "/campaigns/viber/send", plain, "200"},
		{"copy just inside", d - time.Nanosecond, a, "/campaigns/sms/send", plain, duplicate},
		{"copy at the end is a new original", time.Nanosecond, a, "/campaigns/sms/send", plain, "200"},
		{"copy of the new original", d / 2, a, "/campaigns/sms/send", plain, duplicate},
		{"logins are never copies", 0, "", "/auth/login", `{"api_key":"a"}`, "200"},
		{"nor refreshes", 0, a, "/auth/refresh", "", "200"},
	}
	for _, st := range steps {
		clk.Advance(st.advance)
		got := post2(srv, st.path, st.token, st.body)
		if !strings.Contains(st.want, " ") {
			got, _, _ = strings.Cut(got, " ")
		}
		if got != st.want {
			t.Fatalf("%s: got %s, want %s", st.name, got, st.want)
		}
	}
	if srv.Accepted() != 5 {
		t.Fatalf("Accepted() = %d, want 5", srv.Accepted())
	}
}

// Every API 2.0 send is subject to the window; GETs and the server's
// default are not.
func TestDuplicateWindowEndpoints(t *testing.T) {
	bodies := map[string]string{
		"/campaigns/sms/send":            `{"phones":["37060000001"],"text":"x"}`,
		"/campaigns/sms/send-individual": `{"messages":[{"phone":"37060000001","text":"a"}]}`,
		"/campaigns/viber/send":          `{"phones":["37060000001"],"text":"x"}`,
		"/messages/send":                 `{"channels":["sms"],"phone":{"number":"37060000001"},"sms":{"text":"x"}}`,
		"/2fa/authentications/otp":       `{"recipient":"37060000001","channel":"sms"}`,
	}
	for _, window := range []time.Duration{time.Hour, 0, -time.Hour} {
		srv := notificoretest.Start(t, notificoretest.WithDuplicateWindow(window))
		tok := login2(srv, "k")
		for path, body := range bodies {
			first, second := post2(srv, path, tok, body), post2(srv, path, tok, body)
			if !strings.HasPrefix(first, "20") {
				t.Fatalf("window %v %s: first %s", window, path, first)
			}
			if (second == duplicate) != (window > 0) {
				t.Fatalf("window %v %s: second %s", window, path, second)
			}
		}
		for range 2 {
			if status, raw, _ := call2(srv, http.MethodGet, "/accounts/balance", tok, ""); status != 200 {
				t.Fatalf("window %v: balance %d %s", window, status, raw)
			}
		}
	}
}

// An original counts from its arrival, whatever happens to it next; a
// request the window never saw does not.
func TestDuplicateWindowOriginals(t *testing.T) {
	const body = `{"phones":[{"number":"37060000001","reference_id":"r1"}],"text":"x"}`
	tests := []struct {
		name   string
		opts   []notificoretest.Option
		fault  *notificoretest.Fault
		token  string // key to log in, "-" for a bad token
		first  string // status of the original
		second string // the copy's status or answer
	}{
		{"reset after processing", nil, &notificoretest.Fault{Reset: notificoretest.ResetAfterProcessing}, "k", "transport error", duplicate},
		{"refused for funds", []notificoretest.Option{notificoretest.WithBalance("k", 0)}, nil, "k", "402", duplicate},
		{"blocked", []notificoretest.Option{notificoretest.WithBlocked("k")}, nil, "k", "402", duplicate},
		{"answer adjusted by a fault", nil, &notificoretest.Fault{Status: 202}, "k", "202", duplicate},
		{"answer replaced by a fault", nil, &notificoretest.Fault{Status: 503}, "k", "503", "200"},
		{"reset before the body", nil, &notificoretest.Fault{Reset: notificoretest.ResetBeforeBody}, "k", "transport error", "200"},
		{"no account", nil, nil, "-", "401", "401"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := append([]notificoretest.Option{notificoretest.WithDuplicateWindow(time.Hour)}, tt.opts...)
			srv := notificoretest.Start(t, opts...)
			tok := "bad"
			if tt.token != "-" {
				tok = login2(srv, tt.token)
			}
			if tt.fault != nil {
				srv.Script(*tt.fault)
			}
			if got := status2(srv, "/campaigns/sms/send", tok, body); got != tt.first {
				t.Fatalf("original: %s, want %s", got, tt.first)
			}
			got := post2(srv, "/campaigns/sms/send", tok, body)
			if !strings.Contains(tt.second, " ") {
				got, _, _ = strings.Cut(got, " ")
			}
			if got != tt.second {
				t.Fatalf("copy: %s, want %s", got, tt.second)
			}
		})
	}
}

// A copy that arrives while the original is still being processed is
// refused at once.
func TestDuplicateWhileProcessing(t *testing.T) {
	clk := newManualClock(epoch)
	srv := notificoretest.Start(t, notificoretest.WithDuplicateWindow(time.Minute),
		notificoretest.WithProcessingTime(time.Hour), notificoretest.WithClock(clk))
	tok := login2(srv, "k")
	done := make(chan string, 1)
	go func() { done <- status2(srv, "/campaigns/sms/send", tok, smsBody) }()
	clk.WaitForWaiters(1)
	if got := post2(srv, "/campaigns/sms/send", tok, smsBody); got != duplicate {
		t.Fatalf("copy during processing: %s", got)
	}
	clk.Advance(time.Hour)
	if got := <-done; got != "200" {
		t.Fatalf("original: %s", got)
	}
	if srv.Accepted() != 1 {
		t.Fatalf("Accepted() = %d", srv.Accepted())
	}
}

// Of many identical requests at once, exactly one is processed.
func TestDuplicateConcurrent(t *testing.T) {
	srv := notificoretest.Start(t, notificoretest.WithDuplicateWindow(time.Hour))
	tok := login2(srv, "k")
	var mu sync.Mutex
	got := make(map[string]int)
	var wg sync.WaitGroup
	for range 30 {
		wg.Go(func() {
			s := status2(srv, "/campaigns/sms/send", tok, smsBody)
			mu.Lock()
			got[s]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if got["200"] != 1 || got["429"] != 29 || srv.Accepted() != 1 {
		t.Fatalf("statuses %v, Accepted %d", got, srv.Accepted())
	}
}
