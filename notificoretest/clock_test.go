package notificoretest_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/resilient-sms/resilient/notificoretest"
)

var epoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const smsBody = `{"phones":[{"number":"37060000001","reference_id":"c1"}],"text":"hi"}`

// A fake clock releases a create held for its processing time exactly when
// it is advanced past it, and the answer shows the fake time.
func TestClockReleasesProcessing(t *testing.T) {
	tests := []struct {
		name string
		send func(srv *notificoretest.Server) string
		want string // a substring of the answer
	}{
		{"API 1.0", func(srv *notificoretest.Server) string {
			return put(srv, "/sms/create", "k", sms)
		}, `"id":"1"`},
		{"API 2.0", func(srv *notificoretest.Server) string {
			return post2(srv, "/campaigns/sms/send", login2(srv, "k"), smsBody)
		}, `"created_at":"2026-03-01 12:01:00"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newManualClock(epoch)
			srv := notificoretest.Start(t, notificoretest.WithProcessingTime(time.Minute), notificoretest.WithClock(clk))
			done := make(chan string, 1)
			go func() { done <- tt.send(srv) }()
			clk.WaitForWaiters(1)
			for _, step := range []time.Duration{0, time.Minute - time.Nanosecond} {
				clk.Advance(step)
				if srv.InFlight() != 1 || srv.Accepted() != 0 {
					t.Fatalf("after %v: InFlight %d Accepted %d, want 1 0", step, srv.InFlight(), srv.Accepted())
				}
			}
			clk.Advance(time.Nanosecond)
			if got := <-done; !strings.HasPrefix(got, "200 ") || !strings.Contains(got, tt.want) {
				t.Fatalf("answer %s, want 200 with %s", got, tt.want)
			}
			if srv.InFlight() != 0 || srv.Accepted() != 1 {
				t.Fatalf("InFlight %d Accepted %d, want 0 1", srv.InFlight(), srv.Accepted())
			}
		})
	}
}

// A Fault's Delay runs on the clock too.
func TestClockReleasesDelay(t *testing.T) {
	clk := newManualClock(epoch)
	srv := notificoretest.Start(t, notificoretest.WithClock(clk))
	srv.Script(notificoretest.Fault{Delay: time.Hour, Status: http.StatusServiceUnavailable})
	done := make(chan string, 1)
	go func() { done <- get(srv, "/common/balance", "k") }()
	clk.WaitForWaiters(1)
	clk.Advance(time.Hour)
	if got := <-done; !strings.HasPrefix(got, "503 ") {
		t.Fatalf("answer %s", got)
	}
}

// claimsOf decodes the payload of a JWT-shaped token.
func claimsOf(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q", tok)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	var c map[string]any
	if err != nil || json.Unmarshal(b, &c) != nil {
		t.Fatalf("payload of %q: %v", tok, err)
	}
	return c
}

// Tokens carry the clock's time and expire an hour later on it.
func TestClockTokenExpiry(t *testing.T) {
	clk := newManualClock(epoch)
	srv := notificoretest.Start(t, notificoretest.WithClock(clk))
	tok := login2(srv, "k")
	c := claimsOf(t, tok)
	if c["iat"] != float64(epoch.Unix()) || c["exp"] != float64(epoch.Add(time.Hour).Unix()) {
		t.Fatalf("claims %v", c)
	}
	steps := []struct {
		advance time.Duration
		path    string
		body    string
		status  int
	}{
		{time.Hour - time.Second, "/campaigns/sms/send", `{"phones":["37060000001"],"text":"a"}`, 200},
		{0, "/accounts/balance", "", 200},
		{time.Second, "/campaigns/sms/send", `{"phones":["37060000001"],"text":"b"}`, 401},
		{0, "/auth/refresh", "", 401},
		{0, "/accounts/balance", "", 401},
	}
	for i, st := range steps {
		clk.Advance(st.advance)
		method := http.MethodPost
		if st.path == "/accounts/balance" {
			method = http.MethodGet
		}
		status, raw, err := call2(srv, method, st.path, tok, st.body)
		if err != nil || status != st.status {
			t.Fatalf("step %d %s: %d %s %v, want %d", i, st.path, status, raw, err, st.status)
		}
	}
	if fresh := login2(srv, "k"); claimsOf(t, fresh)["iat"] != float64(epoch.Add(time.Hour).Unix()) ||
		status2(srv, "/campaigns/sms/send", fresh, `{"phones":["37060000001"],"text":"c"}`) != "200" {
		t.Fatal("a new login after expiry does not work")
	}
}

func TestClockOpaqueTokensDoNotExpire(t *testing.T) {
	clk := newManualClock(epoch)
	srv := notificoretest.Start(t, notificoretest.WithClock(clk), notificoretest.WithOpaqueTokens())
	tok := login2(srv, "k")
	clk.Advance(1000 * time.Hour)
	if got := status2(srv, "/campaigns/sms/send", tok, smsBody); got != "200" {
		t.Fatalf("send with an old opaque token: %s", got)
	}
}
