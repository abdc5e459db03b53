package notificoretest

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

const unauthorized = `{"message":"Unauthorized","errors":[]}`

// decodeToken splits a JWT-shaped token and decodes its header and claims.
func decodeToken(t *testing.T, tok string) (header string, c claims) {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q has %d parts, want 3", tok, len(parts))
	}
	h, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		t.Fatalf("header: %v", err)
	}
	p, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("payload: %v", err)
	}
	if err := json.Unmarshal(p, &c); err != nil {
		t.Fatalf("payload %s: %v", p, err)
	}
	if !strings.Contains(string(p), `"roles":[]`) {
		t.Errorf("payload %s has no empty roles", p)
	}
	if sig, err := base64.RawURLEncoding.DecodeString(parts[2]); err != nil || len(sig) == 0 {
		t.Errorf("signature %q: %v", parts[2], err)
	}
	return string(h), c
}

func TestAPI2TokenClaims(t *testing.T) {
	srv := Start(t, WithKey("live_a"), WithKey("live_b"), WithBlocked("live_c"))
	tests := []struct {
		key string
		id  int
	}{
		{"live_a", 1}, {"live_b", 2}, {"live_c", 3}, {"live_a", 1},
	}
	seen := make(map[string]bool)
	for _, tt := range tests {
		tok := login(t, srv, tt.key)
		if seen[tok] {
			t.Errorf("%s: token %q issued twice", tt.key, tok)
		}
		seen[tok] = true
		h, c := decodeToken(t, tok)
		if h != `{"typ":"JWT","alg":"RS256"}` {
			t.Errorf("%s: header %s", tt.key, h)
		}
		if c.ID != tt.id || c.Subject != strconv.Itoa(tt.id) || c.ExpiresAt-c.IssuedAt != 3600 || c.IssuedAt == 0 {
			t.Errorf("%s: claims %+v, want id %d", tt.key, c, tt.id)
		}
	}
}

// An open server numbers accounts as it first sees them.
func TestAPI2TokenOpenServer(t *testing.T) {
	srv := Start(t)
	srv.SetBalance("first", 5)
	for i, key := range []string{"first", "second", "first"} {
		_, c := decodeToken(t, login(t, srv, key))
		if want := []int{1, 2, 1}[i]; c.ID != want {
			t.Errorf("%s: id %d, want %d", key, c.ID, want)
		}
	}
}

func TestAPI2Refresh(t *testing.T) {
	srv := Start(t, WithKey("live_a"), WithBlocked("live_b"))
	tokA := login(t, srv, "live_a")
	tests := []struct {
		name   string
		method string
		token  string
		status int
		body   string // exact body when not 200
	}{
		{"valid", http.MethodPost, tokA, 200, ""},
		{"blocked account", http.MethodPost, login(t, srv, "live_b"), 200, ""},
		{"no token", http.MethodPost, "", 401, unauthorized},
		{"unknown token", http.MethodPost, "nope", 401, unauthorized},
		{"tampered token", http.MethodPost, tokA + "x", 401, unauthorized},
		{"wrong method", http.MethodGet, tokA, 405, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, raw := api2Raw(t, srv, tt.method, "/auth/refresh", tt.token, nil)
			if status != tt.status || (tt.body != "" && raw != tt.body) {
				t.Fatalf("got %d %s, want %d %s", status, raw, tt.status, tt.body)
			}
			if status != 200 {
				return
			}
			var ans loginAnswer
			if err := json.Unmarshal([]byte(raw), &ans); err != nil || ans.Bearer == tt.token {
				t.Fatalf("refresh answered %s", raw)
			}
			_, old := decodeToken(t, tt.token)
			_, fresh := decodeToken(t, ans.Bearer)
			if old.ID != fresh.ID {
				t.Fatalf("refresh changed the account from %d to %d", old.ID, fresh.ID)
			}
		})
	}
	// The refreshed token sends; the old one still does too.
	_, raw := api2Raw(t, srv, http.MethodPost, "/auth/refresh", tokA, nil)
	var ans loginAnswer
	_ = json.Unmarshal([]byte(raw), &ans)
	for _, tok := range []string{ans.Bearer, tokA} {
		if status, m := api2(t, srv, "/campaigns/sms/send", tok, map[string]any{"phones": []string{"37060000001"}, "text": "x"}); status != 200 {
			t.Fatalf("send with %q: %d %v", tok, status, m)
		}
	}
	if msgs := srv.Messages(); len(msgs) != 2 || msgs[0].APIKey != "live_a" || msgs[1].APIKey != "live_a" {
		t.Fatalf("Messages() = %+v", msgs)
	}
}

func TestAPI2OpaqueTokens(t *testing.T) {
	srv := Start(t, WithOpaqueTokens())
	tok := login(t, srv, "k")
	if strings.Count(tok, ".") == 2 || tok == login(t, srv, "k") {
		t.Fatalf("token %q looks like a JWT or repeats", tok)
	}
	status, raw := api2Raw(t, srv, http.MethodPost, "/auth/refresh", tok, nil)
	var ans loginAnswer
	if status != 200 || json.Unmarshal([]byte(raw), &ans) != nil || strings.Count(ans.Bearer, ".") == 2 {
		t.Fatalf("refresh: %d %s", status, raw)
	}
	if status, m := api2(t, srv, "/campaigns/sms/send", ans.Bearer, map[string]any{"phones": []string{"37060000001"}, "text": "x"}); status != 200 {
		t.Fatalf("send: %d %v", status, m)
	}
}

// The Authorization header is read in the forms clients send.
func TestBearerForms(t *testing.T) {
	tests := []struct{ header, want string }{
		{"Bearer abc", "abc"},
		{"bearer abc", "abc"},
		{"Bearer: abc", "abc"},
		{"Bearer  abc ", "abc"},
		{"Bearerabc", ""},
		{"Basic abc", ""},
		{"Bear", ""},
		{"", ""},
	}
	for _, tt := range tests {
		r, _ := http.NewRequest(http.MethodGet, "http://x/", nil)
		r.Header.Set("Authorization", tt.header)
		if got := bearer(r); got != tt.want {
			t.Errorf("bearer(%q) = %q, want %q", tt.header, got, tt.want)
		}
	}
}
