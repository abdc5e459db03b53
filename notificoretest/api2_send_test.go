package notificoretest

import (
	"encoding/json"
	"net/http"
	"regexp"
	"testing"
)

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// Every API 2.0 send endpoint accepts its documented body and records one
// message per phone.
func TestAPI2SendsAccepted(t *testing.T) {
	tests := []struct {
		name   string
		path   string
		body   string
		status int
		kind   string
		msgs   []Message // Kind, MSISDN and Reference only
	}{
		{"sms objects with numbers", "/campaigns/sms/send",
			`{"phones":[{"number":37060000001,"reference_id":"a1"},{"number":"37060000002"}],"sender":"Shop","text":"hi"}`,
			200, "sms", []Message{{MSISDN: "37060000001", Reference: "a1"}, {MSISDN: "37060000002"}}},
		{"sms plain list", "/campaigns/sms/send", `{"phones":["+37060000001",37060000002],"text":"hi"}`,
			200, "sms", []Message{{MSISDN: "+37060000001"}, {MSISDN: "37060000002"}}},
		{"sms individual", "/campaigns/sms/send-individual",
			`{"messages":[{"phone":37060000001,"text":"a","sender":"Shop","reference_id":"i1"},{"phone":"37060000002","text":"b","sender":"Shop"}]}`,
			200, "sms", []Message{{MSISDN: "37060000001", Reference: "i1"}, {MSISDN: "37060000002"}}},
		{"viber", "/campaigns/viber/send", `{"phones":[{"number":"37060000001","reference_id":"v1"}],"text":"hi","sender":"Notify"}`,
			200, "viber", []Message{{MSISDN: "37060000001", Reference: "v1"}}},
		{"message sms", "/messages/send", `{"channels":["sms"],"phone":{"number":"37060000001","reference_id":"m1"},"sms":{"sender":"test","text":"Hello!"}}`,
			200, "sms", []Message{{MSISDN: "37060000001", Reference: "m1"}}},
		{"message viber", "/messages/send", `{"channels":["viber","sms"],"phone":{"number":37060000001},"viber":{"text":"hi"}}`,
			200, "viber", []Message{{MSISDN: "37060000001"}}},
		{"message leading zero", "/messages/send", `{"channels":["sms"],"phone":{"number":"0037060000001"},"sms":{"text":"x"}}`,
			200, "sms", []Message{{MSISDN: "0037060000001"}}},
		{"message rcs", "/messages/send", `{"channels":["rcs"],"phone":{"number":"37060000001"},"rcs":{"sender":"r","cards":[]}}`,
			200, "rcs", []Message{{MSISDN: "37060000001"}}},
		{"otp", "/2fa/authentications/otp", `{"recipient":"61401629754","channel":"sms","sender":"SENDER","template_id":"12","code_lifetime":60}`,
			201, "otp", []Message{{MSISDN: "61401629754"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := Start(t, WithKey("k"))
			status, raw := api2Raw(t, srv, http.MethodPost, tt.path, login(t, srv, "k"), tt.body)
			if status != tt.status {
				t.Fatalf("status %d, want %d: %s", status, tt.status, raw)
			}
			var m map[string]any
			if err := json.Unmarshal([]byte(raw), &m); err != nil {
				t.Fatalf("not JSON: %s", raw)
			}
			msgs := srv.Messages()
			if len(msgs) != len(tt.msgs) {
				t.Fatalf("Messages() = %+v, want %d", msgs, len(tt.msgs))
			}
			for i, got := range msgs {
				want := tt.msgs[i]
				if got.Kind != tt.kind || got.MSISDN != want.MSISDN || got.Reference != want.Reference || got.APIKey != "k" || got.ID == "" {
					t.Errorf("message %d = %+v, want kind %s %+v", i, got, tt.kind, want)
				}
			}
			if tt.kind == "otp" {
				if m["id"] != msgs[0].ID || !uuidRE.MatchString(msgs[0].ID) || m["status"] != "pending" ||
					m["recipient"] != "61401629754" || m["code_lifetime"] != 60.0 {
					t.Fatalf("otp answer %s, message %+v", raw, msgs[0])
				}
				return
			}
			data, _ := m["data"].(map[string]any)
			if _, ok := data["id"].(float64); !ok {
				t.Fatalf("no data.id in %s", raw)
			}
			if tt.path == "/messages/send" && (data["status"] != "accepted" || data["type"] != tt.kind || data["phone"] == nil) {
				t.Fatalf("message answer %s", raw)
			}
		})
	}
}

// Bad bodies are refused whole, with the exact API 2.0 error.
func TestAPI2SendsRefused(t *testing.T) {
	const (
		badList  = `{"message":"Invalid list of the phone number","errors":[]}`
		badPhone = `{"message":"Invalid phone number format","errors":[]}`
		noText   = `{"message":"The text field is required.","errors":[]}`
	)
	long := `"ref456789012345678901234567890123"` // 33 characters
	tests := []struct {
		name, path, body string
		want             string
	}{
		{"sms malformed", "/campaigns/sms/send", `{"phones":[`, badList},
		{"sms no phones", "/campaigns/sms/send", `{"phones":[],"text":"x"}`, badList},
		{"sms no text", "/campaigns/sms/send", `{"phones":["37060000001"]}`, noText},
		{"sms bad phone", "/campaigns/sms/send", `{"phones":["37060000001",{"number":"12"}],"text":"x"}`, badPhone},
		{"sms null phone", "/campaigns/sms/send", `{"phones":[null],"text":"x"}`, badPhone},
		{"sms ref too long", "/campaigns/sms/send", `{"phones":["37060000001",{"number":"37060000002","reference_id":` + long + `}],"text":"x"}`,
			`{"message":"The given data was invalid.","errors":{"phones.1.reference_id":["The reference id may not be greater than 32 characters."]}}`},
		{"sms ref not alphanumeric", "/campaigns/sms/send", `{"phones":[{"number":"37060000001","reference_id":"a-1"}],"text":"x"}`,
			`{"message":"The given data was invalid.","errors":{"phones.0.reference_id":["The reference id may only contain letters and numbers."]}}`},
		{"individual no messages", "/campaigns/sms/send-individual", `{"messages":[]}`, badList},
		{"individual no text", "/campaigns/sms/send-individual", `{"messages":[{"phone":"37060000001","text":"a"},{"phone":"37060000002"}]}`, noText},
		{"individual bad phone", "/campaigns/sms/send-individual", `{"messages":[{"phone":"x","text":"a"}]}`, badPhone},
		{"individual bad ref", "/campaigns/sms/send-individual", `{"messages":[{"phone":"37060000001","text":"a","reference_id":"a b"}]}`,
			`{"message":"The given data was invalid.","errors":{"messages.0.reference_id":["The reference id may only contain letters and numbers."]}}`},
		{"viber no text", "/campaigns/viber/send", `{"phones":[{"number":"37060000001"}]}`, noText},
		{"viber bad phone", "/campaigns/viber/send", `{"phones":[{"number":"abc"}],"text":"x"}`, badPhone},
		{"message malformed", "/messages/send", `{`, `{"message":"The given data was invalid.","errors":[]}`},
		{"message no channels", "/messages/send", `{"phone":{"number":"37060000001"},"sms":{"text":"x"}}`,
			`{"message":"The given data was invalid.","errors":{"channels":["The channels field is required."]}}`},
		{"message unknown channel", "/messages/send", `{"channels":["sms","fax"],"phone":{"number":"37060000001"},"sms":{"text":"x"}}`,
			`{"message":"The given data was invalid.","errors":{"channels.1":["The selected channels.1 is invalid."]}}`},
		{"message bad phone", "/messages/send", `{"channels":["sms"],"phone":{"number":"1"},"sms":{"text":"x"}}`, badPhone},
		{"message no text", "/messages/send", `{"channels":["sms"],"phone":{"number":"37060000001"},"viber":{"text":"x"}}`, noText},
		{"message bad ref", "/messages/send", `{"channels":["sms"],"phone":{"number":"37060000001","reference_id":` + long + `},"sms":{"text":"x"}}`,
			`{"message":"The given data was invalid.","errors":{"phone.reference_id":["The reference id may not be greater than 32 characters."]}}`},
		{"otp malformed", "/2fa/authentications/otp", `[]`, `{"message":"The given data was invalid.","errors":[]}`},
		{"otp bad recipient", "/2fa/authentications/otp", `{"recipient":"+","channel":"sms"}`, badPhone},
		{"otp bad channel", "/2fa/authentications/otp", `{"recipient":"61401629754","channel":"mail"}`,
			`{"message":"The given data was invalid.","errors":{"channel":["The value you selected is not a valid choice."]}}`},
	}
	srv := Start(t)
	tok := login(t, srv, "k")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, raw := api2Raw(t, srv, http.MethodPost, tt.path, tok, tt.body)
			if status != http.StatusUnprocessableEntity || raw != tt.want {
				t.Fatalf("got %d %s\nwant 422 %s", status, raw, tt.want)
			}
		})
	}
	if srv.Accepted() != 0 {
		t.Fatalf("Accepted() = %d after refusals", srv.Accepted())
	}
}

// Token, blocking, balance and the in-flight cap apply to every endpoint.
func TestAPI2SendsAccount(t *testing.T) {
	const (
		status402 = `{"message":"Unavailable for your account status","errors":[]}`
		status429 = `{"message":"Too Many Requests","errors":[]}`
	)
	bodies := map[string]string{
		"/campaigns/sms/send":            `{"phones":["37060000001","37060000002"],"text":"x"}`,
		"/campaigns/sms/send-individual": `{"messages":[{"phone":"37060000001","text":"a"},{"phone":"37060000002","text":"b"}]}`,
		"/campaigns/viber/send":          `{"phones":["37060000001","37060000002"],"text":"x"}`,
		"/messages/send":                 `{"channels":["sms"],"phone":{"number":"37060000001"},"sms":{"text":"x"}}`,
		"/2fa/authentications/otp":       `{"recipient":"37060000001","channel":"viber"}`,
	}
	srv := Start(t, WithKey("ok"), WithBlocked("blocked"), WithBalance("poor", 0), WithMaxInFlight(1), WithKey("capped"))
	tokens := map[string]string{"blocked": login(t, srv, "blocked"), "poor": login(t, srv, "poor")}
	for path, body := range bodies {
		tests := []struct {
			name, token string
			status      int
			want        string
		}{
			{"no token", "", 401, unauthorized},
			{"unknown token", "x.y.z", 401, unauthorized},
			{"blocked", tokens["blocked"], 402, status402},
			{"no funds", tokens["poor"], 402, status402},
		}
		for _, tt := range tests {
			if status, raw := api2Raw(t, srv, http.MethodPost, path, tt.token, body); status != tt.status || raw != tt.want {
				t.Errorf("%s %s: %d %s, want %d %s", path, tt.name, status, raw, tt.status, tt.want)
			}
		}
	}
	// Two messages never fit under a cap of one; one does.
	capped := login(t, srv, "capped")
	for _, path := range []string{"/campaigns/sms/send", "/campaigns/sms/send-individual", "/campaigns/viber/send"} {
		if status, raw := api2Raw(t, srv, http.MethodPost, path, capped, bodies[path]); status != 429 || raw != status429 {
			t.Errorf("%s over the cap: %d %s", path, status, raw)
		}
	}
	if status, raw := api2Raw(t, srv, http.MethodPost, "/messages/send", capped, bodies["/messages/send"]); status != 200 {
		t.Errorf("one message under the cap: %d %s", status, raw)
	}
	if srv.Accepted() != 1 {
		t.Fatalf("Accepted() = %d, want 1", srv.Accepted())
	}
}

func TestAPI2Balance(t *testing.T) {
	srv := Start(t, WithKey("open"), WithBalance("poor", 625), WithBlocked("blocked"))
	tests := []struct {
		name, token string
		status      int
		want        string
	}{
		{"unlimited", login(t, srv, "open"), 200, `{"data":{"amount":1000000,"balance":1000000,"credit":0,"currency":"EUR"}}`},
		{"limited", login(t, srv, "poor"), 200, `{"data":{"amount":12.5,"balance":12.5,"credit":0,"currency":"EUR"}}`},
		{"blocked", login(t, srv, "blocked"), 402, `{"message":"Unavailable for your account status","errors":[]}`},
		{"no token", "", 401, unauthorized},
	}
	for _, tt := range tests {
		if status, raw := api2Raw(t, srv, http.MethodGet, "/accounts/balance", tt.token, nil); status != tt.status || raw != tt.want {
			t.Errorf("%s: %d %s, want %d %s", tt.name, status, raw, tt.status, tt.want)
		}
	}
	if status, _ := api2Raw(t, srv, http.MethodPost, "/accounts/balance", tests[0].token, "{}"); status != 405 {
		t.Errorf("POST balance: %d, want 405", status)
	}
	if status, _ := api2Raw(t, srv, http.MethodPost, "/campaigns/sms/send-groups", tests[0].token, "{}"); status != 404 {
		t.Errorf("unknown path: %d, want 404", status)
	}
}
