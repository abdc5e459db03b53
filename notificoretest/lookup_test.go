package notificoretest

import (
	"net/http"
	"testing"
	"time"
)

func TestLookup(t *testing.T) {
	srv := NewServer()
	defer srv.Close()
	hc, url := srv.Client(), srv.RESTURL()
	firstItem(t, send(t, hc, http.MethodPut, url+"/sms/create", "k", bulk(phone{"37060000001", "s1"})))
	firstItem(t, send(t, hc, http.MethodPut, url+"/viber/create", "k", viber("hi", phone{"37060000002", "v1"})))
	firstItem(t, send(t, hc, http.MethodPut, url+"/hlr/create", "k", hlr(phone{"37060000003", "h1"})))
	// ids are given in order: sms 1, viber 2, hlr 3.
	tests := []struct {
		name, key, path string
		msisdn          string // "" when not found
		notFound        int
	}{
		{"sms by id", "k", "/sms/1", "37060000001", 0},
		{"sms by reference", "k", "/sms/reference/s1", "37060000001", 0},
		{"viber by id", "k", "/viber/2", "37060000002", 0},
		{"viber by reference", "k", "/viber/reference/v1", "37060000002", 0},
		{"hlr by id", "k", "/hlr/3", "37060000003", 0},
		{"hlr by reference", "k", "/hlr/reference/h1", "37060000003", 0},
		{"sms wrong kind", "k", "/sms/2", "", 20},
		{"viber missing", "k", "/viber/reference/nope", "", 40},
		{"hlr missing", "k", "/hlr/99", "", 60},
		{"other account", "other", "/sms/1", "", 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := send(t, hc, http.MethodGet, url+tt.path, tt.key, nil)
			if a.status != http.StatusOK {
				t.Fatalf("status %d", a.status)
			}
			if tt.msisdn == "" {
				n, isString, ok := codeOf(a.obj)
				if !ok || !isString || n != tt.notFound {
					t.Fatalf("got %s, want string code \"%d\"", a.raw, tt.notFound)
				}
				if a.obj["errorDescription"] != descriptions[tt.notFound] {
					t.Fatalf("description %v", a.obj["errorDescription"])
				}
				return
			}
			if _, has := a.obj["error"]; has {
				t.Errorf("found message has an error field: %s", a.raw)
			}
			if a.obj["msisdn"] != tt.msisdn || a.obj["status"] != "delivered" || a.obj["currency"] != "EUR" {
				t.Errorf("got %s", a.raw)
			}
			ti, _ := a.obj["time_in"].(string)
			if _, err := time.Parse("2006-01-02 15:04:05", ti); err != nil {
				t.Errorf("time_in %q: %v", ti, err)
			}
		})
	}
}
