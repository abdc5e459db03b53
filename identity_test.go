package resilient

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/resilient-sms/resilient/notificoretest"
)

// jwt returns an unsigned JWT-shaped token with the given claims.
func jwt(claims string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"typ":"JWT","alg":"RS256"}`)) + "." + enc([]byte(claims)) + ".c2ln"
}

func TestIdentityOf(t *testing.T) {
	ids := newIdentities(nil)
	mk := func(header http.Header, path, body string) account {
		req, _ := http.NewRequest(http.MethodPost, "https://one-api.test"+path, strings.NewReader(body))
		req.Header = header
		return ids.of(req, func() []byte { return []byte(body) })
	}
	key := func(name, v string) http.Header { return http.Header{name: {v}} }
	a := mk(key("X-Api-Key", "live_a"), "/rest/sms/create", "")
	tests := []struct {
		name string
		got  account
		same bool
	}{
		{"same key", mk(key("X-Api-Key", "live_a"), "/rest/common/balance", ""), true},
		{"header in upper case", mk(key("X-API-KEY", "live_a"), "/rest/sms/create", ""), true},
		{"header in lower case", mk(key("x-api-key", "live_a"), "/rest/sms/create", ""), true},
		{"login names the key in its body", mk(http.Header{}, "/api/auth/login", `{"api_key":"live_a"}`), true},
		{"another key", mk(key("X-API-KEY", "live_b"), "/rest/sms/create", ""), false},
		{"another key's login", mk(http.Header{}, "/api/auth/login", `{"api_key":"live_b"}`), false},
		{"an unknown token", mk(key("Authorization", "Bearer opaque"), "/api/campaigns/sms/send", ""), false},
	}
	for _, tt := range tests {
		if (tt.got == a) != tt.same || tt.got == 0 {
			t.Errorf("%s: account %v, same as live_a: %v, want %v", tt.name, tt.got, tt.got == a, tt.same)
		}
	}
	if none := mk(http.Header{}, "/rest/sms/create", ""); none != 0 {
		t.Errorf("no credential: account %v, want none", none)
	}

	// Tokens: learned from the login that returned them, else the JWT's
	// subject (or BSG's id), else the token itself.
	ids.learn("t1", "one-api.test", a)
	bearer := func(tok string) account { return mk(key("authorization", "bearer "+tok), "/api/x", "") }
	sub7a, sub7b := bearer(jwt(`{"sub":"7","iat":1}`)), bearer(jwt(`{"sub":"7","iat":2}`))
	id7 := bearer(jwt(`{"id":7,"iat":3}`))
	for name, ok := range map[string]bool{
		"learned token":                     bearer("t1") == a,
		"two tokens of one subject":         sub7a == sub7b && sub7a != 0,
		"BSG's id claim":                    id7 == sub7a,
		"another subject":                   bearer(jwt(`{"sub":"8"}`)) != sub7a,
		"another issuer":                    bearer(jwt(`{"sub":"7","iss":"other"}`)) != sub7a,
		"opaque tokens differ":              bearer("o1") != bearer("o2"),
		"a token holds nothing of its text": !strings.Contains(fmt.Sprint(bearer("o1")), "o1"),
	} {
		if !ok {
			t.Errorf("%s: no", name)
		}
	}

	custom := newIdentities(func(r *http.Request) string { return r.Header.Get("Tenant") })
	req, _ := http.NewRequest(http.MethodGet, "https://api.test/rest/common/balance", nil)
	req.Header.Set("Tenant", "t-1")
	req.Header.Set("X-API-KEY", "live_a")
	if got := custom.of(req, nil); got == 0 || got == a {
		t.Errorf("custom key: %v", got)
	}
}

func TestTokenMemoryIsBounded(t *testing.T) {
	ids := newIdentities(nil)
	for i := range tokenMemory + 100 {
		ids.learn(fmt.Sprint("tok", i), "", account(i+1))
	}
	n := 0
	ids.tokens.Range(func(any, any) bool { n++; return true })
	if n != tokenMemory {
		t.Errorf("%d tokens remembered, want %d", n, tokenMemory)
	}
	if got := ids.ofToken(fmt.Sprint("tok", tokenMemory+99), ""); got != account(tokenMemory+100) {
		t.Errorf("newest token: %v", got)
	}
}

func TestAccountSurvivesNewTokens(t *testing.T) {
	const other = "test_other"
	srv := newServer(t, notificoretest.WithBlocked(testKey), notificoretest.WithKey(other))
	rt := newTestTransport(t, newFakeClock())
	send2 := func(tok string) error {
		resp, err := sendBearer(t, rt, srv.API2URL()+"/campaigns/sms/send", tok, api2Campaign)
		if err == nil {
			readAll(t, resp)
		}
		return err
	}
	first := login(t, rt, srv, testKey)
	if err := send2(first); err != nil {
		t.Fatal(err) // 402: opens the account's circuit
	}
	// A login elsewhere gives the account a new token: it fails fast here
	// too, known by its subject.
	fresh := login(t, newTestTransport(t, newFakeClock()), srv, testKey)
	before := srv.Requests()
	if err := send2(fresh); !errors.Is(err, ErrCircuitOpen) {
		t.Errorf("a new token: %v, want a fail-fast", err)
	}
	// The account's own calls for a token fail fast as well.
	if _, err := sendBearer(t, rt, srv.API2URL()+"/auth/refresh", first, ""); !errors.Is(err, ErrCircuitOpen) {
		t.Errorf("refresh: %v, want a fail-fast", err)
	}
	if _, err := sendCtx(t, t.Context(), rt, http.MethodPost, srv.API2URL()+"/auth/login", `{"api_key":"`+testKey+`"}`, ""); !errors.Is(err, ErrCircuitOpen) {
		t.Errorf("login: %v, want a fail-fast", err)
	}
	if srv.Requests() != before {
		t.Errorf("server saw %d requests of the blocked account", srv.Requests()-before)
	}
	// Another key's login and sends go on.
	if err := send2(login(t, rt, srv, other)); err != nil {
		t.Errorf("other account: %v", err)
	}
}

func TestLoginsOfDifferentKeysAreDifferentAccounts(t *testing.T) {
	const other = "test_other"
	srv := newServer(t)
	srv.Script(notificoretest.Fault{Path: "/auth/login", APIKey: testKey, Status: http.StatusPaymentRequired,
		Shape: notificoretest.ShapeAPI2Message, Description: "Unavailable for your account status"})
	rt := newTestTransport(t, newFakeClock())
	resp, err := sendCtx(t, t.Context(), rt, http.MethodPost, srv.API2URL()+"/auth/login", `{"api_key":"`+testKey+`"}`, "")
	if err != nil {
		t.Fatal(err)
	}
	if readAll(t, resp); resp.StatusCode != http.StatusPaymentRequired {
		t.Fatalf("first login %d", resp.StatusCode)
	}
	if tok := login(t, rt, srv, other); tok == "" {
		t.Error("another key's login failed")
	}
	if _, err := sendCtx(t, t.Context(), rt, http.MethodPost, srv.API2URL()+"/auth/login", `{"api_key":"`+testKey+`"}`, ""); !errors.Is(err, ErrCircuitOpen) {
		t.Errorf("the blocked key's next login: %v, want a fail-fast", err)
	}
}

func TestAPIKeyHeaderInAnyCase(t *testing.T) {
	srv := newServer(t, notificoretest.WithBalance("test_a", 0), notificoretest.WithKey("test_b"))
	rt := newTestTransport(t, newFakeClock())
	sendRaw := func(key string) error {
		req, _ := http.NewRequest(http.MethodPut, srv.RESTURL()+"/sms/create", strings.NewReader(smsNoRef))
		req.Header["X-API-KEY"] = []string{key} // as written by hand, not canonical
		resp, err := rt.RoundTrip(req)
		if err == nil {
			readAll(t, resp)
		}
		return err
	}
	if err := sendRaw("test_a"); err != nil { // code 8
		t.Fatal(err)
	}
	if err := sendRaw("test_b"); err != nil {
		t.Errorf("another tenant: %v, want it to go through", err)
	}
	if err := sendRaw("test_a"); !errors.Is(err, ErrCircuitOpen) {
		t.Errorf("the tenant without funds: %v, want a fail-fast", err)
	}
}

// FuzzJWTSubject reads untrusted bearer tokens: never a panic, and an
// account only from a token with a subject.
func FuzzJWTSubject(f *testing.F) {
	for _, s := range []string{jwt(`{"sub":"7"}`), jwt(`{"id":208}`), "a.b.c", "..", "a." + strings.Repeat("A", 5000) + ".c", jwt(`[1]`), jwt(`{"sub":{}}`)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		sub, _ := jwtSubject(tok)
		if a := subjectOf(tok, "h"); (a != 0) != (sub != "") {
			t.Fatalf("subject %q, account %v", sub, a)
		}
	})
}

// TestRefreshKeepsAccount checks that the opaque token a refresh answers
// belongs to the account of the token it refreshed, as a login's belongs to
// the key in its body: an account circuit opened under the key stops calls
// made with either token, and not a token never seen.
func TestRefreshKeepsAccount(t *testing.T) {
	const key = "live_refresh"
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if r.Body != nil {
			io.Copy(io.Discard, r.Body)
			r.Body.Close()
		}
		switch {
		case strings.HasSuffix(r.URL.Path, "/auth/login"):
			return response(200, `{"bearer":"opaque-1"}`), nil
		case strings.HasSuffix(r.URL.Path, "/auth/refresh"):
			return response(200, `{"bearer":"opaque-2"}`), nil
		}
		return response(200, `{"error":8,"errorDescription":"not enough funds"}`), nil
	})
	rt := NewTransport(base, withClock(newFakeClock()))
	const api2 = "https://api.test/api/v2"
	do := func(method, url, body, bearer, apiKey string) error {
		req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		if apiKey != "" {
			req.Header.Set("X-API-KEY", apiKey)
		}
		resp, err := rt.RoundTrip(req)
		if err == nil {
			readAll(t, resp)
		}
		return err
	}
	if err := do(http.MethodPost, api2+"/auth/login", `{"api_key":"`+key+`"}`, "", ""); err != nil {
		t.Fatal(err)
	}
	if err := do(http.MethodPost, api2+"/auth/refresh", "", "opaque-1", ""); err != nil {
		t.Fatal(err)
	}
	// Code 8 to the key's call opens the account's circuit.
	if err := do(http.MethodPut, "https://api.test/rest/sms/create", `{}`, "", key); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		token    string
		wantFast bool
	}{{"opaque-1", true}, {"opaque-2", true}, {"opaque-3", false}} {
		err := do(http.MethodGet, api2+"/balance", "", tc.token, "")
		if got := errors.Is(err, ErrCircuitOpen); got != tc.wantFast {
			t.Errorf("token %s: %v, want a fail-fast %v", tc.token, err, tc.wantFast)
		}
	}
}
