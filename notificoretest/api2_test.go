package notificoretest

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"
)

// api2 POSTs body (a string verbatim, anything else as JSON) to an API 2.0
// path with an optional bearer token and returns the status and the JSON
// object answered, failing the test when the answer is not JSON.
func api2(t *testing.T, srv *Server, path, token string, body any) (int, map[string]any) {
	t.Helper()
	status, raw := api2Raw(t, srv, http.MethodPost, path, token, body)
	var m map[string]any
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		t.Fatalf("%s: not JSON: %s", path, raw)
	}
	return status, m
}

// api2Raw sends body (a string verbatim, anything else as JSON; nil: no
// body) with method to an API 2.0 path and returns the status and the raw
// answer.
func api2Raw(t *testing.T, srv *Server, method, path, token string, body any) (int, string) {
	t.Helper()
	rd, err := requestBody(body)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(method, srv.API2URL()+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

func login(t *testing.T, srv *Server, key string) string {
	t.Helper()
	status, m := api2(t, srv, "/auth/login", "", map[string]string{"api_key": key})
	token, _ := m["bearer"].(string)
	if status != http.StatusOK || token == "" {
		t.Fatalf("login %q: %d %v", key, status, m)
	}
	return token
}

// message returns the message of an API 2.0 error in the spec's shape,
// {"message":"...","errors":[]}, or "" for any other body.
func message(m map[string]any) string {
	errs, ok := m["errors"].([]any)
	if !ok || len(errs) != 0 {
		return ""
	}
	s, _ := m["message"].(string)
	return s
}

func TestAPI2Login(t *testing.T) {
	srv := NewServer(WithKey("live_a"), WithBlocked("live_b"))
	defer srv.Close()
	tests := []struct {
		name   string
		body   any
		status int
	}{
		{"valid", map[string]string{"api_key": "live_a"}, 200},
		{"blocked key still logs in", map[string]string{"api_key": "live_b"}, 200},
		{"unknown key", map[string]string{"api_key": "live_c"}, 401},
		{"empty key", map[string]string{}, 401},
		{"malformed", `{"api_key":`, 401},
	}
	for _, tt := range tests {
		status, m := api2(t, srv, "/auth/login", "", tt.body)
		if status != tt.status {
			t.Errorf("%s: status %d, want %d", tt.name, status, tt.status)
		}
		if status == 401 && message(m) != "Unauthorized" {
			t.Errorf("%s: %v", tt.name, m)
		}
	}
	if a, b := login(t, srv, "live_a"), login(t, srv, "live_a"); a == b {
		t.Errorf("two logins gave the same token %q", a)
	}
}

func TestAPI2Send(t *testing.T) {
	srv := NewServer(WithKey("live_a"), WithBalance("live_poor", 1), WithBlocked("live_b"))
	defer srv.Close()
	tokA, tokPoor, tokB := login(t, srv, "live_a"), login(t, srv, "live_poor"), login(t, srv, "live_b")
	two := map[string]any{"phones": []string{"+37060000001", "+37060000002"}, "text": "hi"}
	tests := []struct {
		name    string
		token   string
		body    any
		status  int
		message string
	}{
		{"accepted", tokA, two, 200, ""},
		{"no token", "", two, 401, "Unauthorized"},
		{"unknown token", "nope", two, 401, "Unauthorized"},
		{"not enough funds", tokPoor, two, 402, "Unavailable for your account status"},
		{"blocked", tokB, two, 402, "Unavailable for your account status"},
		{"invalid phone", tokA, map[string]any{"phones": []string{"+1"}, "text": "hi"}, 422, "Invalid phone number format"},
		{"no phones", tokA, map[string]any{"text": "hi"}, 422, "Invalid list of the phone number"},
		{"malformed", tokA, `{"phones":[`, 422, "Invalid list of the phone number"},
		{"empty text", tokA, map[string]any{"phones": []string{"+37060000001"}}, 422, "The text field is required."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := srv.Accepted()
			status, m := api2(t, srv, "/campaigns/sms/send", tt.token, tt.body)
			if status != tt.status {
				t.Fatalf("status %d, want %d: %v", status, tt.status, m)
			}
			if tt.message != "" {
				if got := message(m); got != tt.message {
					t.Fatalf("message %q, want %q", got, tt.message)
				}
				if srv.Accepted() != before {
					t.Fatalf("Accepted() moved from %d to %d on an error", before, srv.Accepted())
				}
				return
			}
			data, _ := m["data"].(map[string]any)
			if _, ok := data["id"].(float64); !ok {
				t.Fatalf("no data.id in %v", m)
			}
			if srv.Accepted() != before+2 {
				t.Fatalf("Accepted() = %d, want %d", srv.Accepted(), before+2)
			}
		})
	}
	msgs := srv.Messages()
	if len(msgs) != 2 || msgs[0].Kind != "sms" || msgs[0].APIKey != "live_a" || msgs[1].MSISDN != "+37060000002" {
		t.Fatalf("Messages() = %+v", msgs)
	}
	if log := srv.Log(); log[len(log)-1].Authorization != "Bearer "+tokA {
		t.Fatalf("Authorization not logged: %+v", log[len(log)-1])
	}
}
