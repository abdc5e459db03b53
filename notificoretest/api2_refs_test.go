package notificoretest

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// taken is the default answer to a reused reference_id in field.
func taken(field string) string {
	return `{"message":"The given data was invalid.","errors":{"` + field + `":["The reference id has already been taken."]}}`
}

// sendBody returns a body for path carrying one message per reference.
func sendBody(path string, refs ...string) string {
	var parts []string
	for i, r := range refs {
		n := fmt.Sprintf("3706000000%d", i)
		switch path {
		case "/campaigns/sms/send-individual":
			parts = append(parts, fmt.Sprintf(`{"phone":%q,"text":"t","reference_id":%q}`, n, r))
		default:
			parts = append(parts, fmt.Sprintf(`{"number":%q,"reference_id":%q}`, n, r))
		}
	}
	switch path {
	case "/campaigns/sms/send-individual":
		return `{"messages":[` + strings.Join(parts, ",") + `]}`
	case "/messages/send":
		return `{"channels":["sms"],"phone":` + parts[0] + `,"sms":{"text":"t"}}`
	}
	return `{"phones":[` + strings.Join(parts, ",") + `],"text":"t"}`
}

func TestAPI2ReferenceIDTaken(t *testing.T) {
	tests := []struct {
		path  string
		field func(i int) string
	}{
		{"/campaigns/sms/send", func(i int) string { return fmt.Sprintf("phones.%d.reference_id", i) }},
		{"/campaigns/viber/send", func(i int) string { return fmt.Sprintf("phones.%d.reference_id", i) }},
		{"/campaigns/sms/send-individual", func(i int) string { return fmt.Sprintf("messages.%d.reference_id", i) }},
		{"/messages/send", func(int) string { return "phone.reference_id" }},
	}
	for _, tt := range tests {
		t.Run(strings.TrimPrefix(tt.path, "/"), func(t *testing.T) {
			srv := Start(t)
			a, b := login(t, srv, "a"), login(t, srv, "b")
			multi := tt.path != "/messages/send"
			steps := []struct {
				token  string
				refs   []string
				status int
				want   string // exact body when refused
				multi  bool   // the step needs an endpoint with several messages
			}{
				{token: a, refs: []string{"r1"}, status: 200},
				{token: a, refs: []string{"r1"}, status: 422, want: taken(tt.field(0))},
				{token: b, refs: []string{"r1"}, status: 200}, // each account has its own
				{token: a, refs: []string{"r2", "r1"}, status: 422, want: taken(tt.field(1)), multi: true},
				{token: a, refs: []string{"r3", "r3"}, status: 422, want: taken(tt.field(1)), multi: true},
				{token: a, refs: []string{"r2"}, status: 200}, // nothing of the refused ones was kept
			}
			accepted := 0
			for i, st := range steps {
				if st.multi && !multi {
					continue
				}
				status, raw := api2Raw(t, srv, http.MethodPost, tt.path, st.token, sendBody(tt.path, st.refs...))
				if status != st.status || (st.want != "" && raw != st.want) {
					t.Fatalf("step %d: %d %s\nwant %d %s", i, status, raw, st.status, st.want)
				}
				if status == 200 {
					accepted += len(st.refs)
				}
				if srv.Accepted() != accepted {
					t.Fatalf("step %d: Accepted() = %d, want %d", i, srv.Accepted(), accepted)
				}
			}
		})
	}
}

// API 2.0 reference_ids are one space over its kinds, apart from API 1.0's.
func TestAPI2ReferenceIDSpaces(t *testing.T) {
	srv := Start(t)
	tok := login(t, srv, "k")
	if status, raw := api2Raw(t, srv, http.MethodPost, "/campaigns/sms/send", tok, sendBody("/campaigns/sms/send", "same")); status != 200 {
		t.Fatalf("sms: %d %s", status, raw)
	}
	if status, raw := api2Raw(t, srv, http.MethodPost, "/campaigns/viber/send", tok, sendBody("/campaigns/viber/send", "same")); status != 422 {
		t.Fatalf("viber with an sms reference_id: %d %s", status, raw)
	}
	a := send(t, srv.Client(), http.MethodPut, srv.RESTURL()+"/sms/create", "k", single("37060000001", "same"))
	if wrappedCode(t, a) != 0 {
		t.Fatalf("API 1.0 with an API 2.0 reference_id: %s", a.raw)
	}
	if status, _ := api2Raw(t, srv, http.MethodPost, "/messages/send", tok, sendBody("/messages/send", "other")); status != 200 {
		t.Fatal("a fresh reference_id was refused")
	}
}

func TestWithReferenceIDRejection(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   string
		wantSt int
		ctype  string
	}{
		{"status and body", 409, `{"errors":[{"message":"Duplicate reference_id"}]}`, `{"errors":[{"message":"Duplicate reference_id"}]}`, 409, "application/json"},
		{"plain text", 400, "duplicate", "duplicate", 400, "text/plain"},
		{"status only", 409, "", taken("phones.0.reference_id"), 409, "application/json"},
		{"body only", 0, `{"message":"dup"}`, `{"message":"dup"}`, 422, "application/json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := Start(t, WithReferenceIDRejection(tt.status, tt.body))
			tok := login(t, srv, "k")
			body := sendBody("/campaigns/sms/send", "r1")
			api2Raw(t, srv, http.MethodPost, "/campaigns/sms/send", tok, body)
			req, _ := http.NewRequest(http.MethodPost, srv.API2URL()+"/campaigns/sms/send", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			a := readAnswer(t, resp)
			if a.status != tt.wantSt || string(a.raw) != tt.want || !strings.HasPrefix(a.header.Get("Content-Type"), tt.ctype) {
				t.Fatalf("got %d %q %s, want %d %q %s", a.status, a.header.Get("Content-Type"), a.raw, tt.wantSt, tt.ctype, tt.want)
			}
			if srv.Accepted() != 1 {
				t.Fatalf("Accepted() = %d, want 1", srv.Accepted())
			}
		})
	}
}

// Concurrent sends of one reference_id: exactly one is accepted, also while
// the first is still in flight.
func TestAPI2ReferenceIDConcurrent(t *testing.T) {
	srv := Start(t, WithProcessingTime(5*time.Millisecond))
	tok := login(t, srv, "k")
	var mu sync.Mutex
	got := make(map[int]int)
	var wg sync.WaitGroup
	for i := range 30 {
		wg.Go(func() {
			// Distinct sender names keep the bodies apart.
			body := fmt.Sprintf(`{"phones":[{"number":"37060000001","reference_id":"once"}],"text":"t","sender":"s%d"}`, i)
			status, _ := api2Raw(t, srv, http.MethodPost, "/campaigns/sms/send", tok, body)
			mu.Lock()
			got[status]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if got[200] != 1 || got[422] != 29 || srv.Accepted() != 1 {
		t.Fatalf("statuses %v, Accepted %d", got, srv.Accepted())
	}
}
