package notificoretest

import (
	"net/http"
	"slices"
	"testing"
)

func TestKeys(t *testing.T) {
	tests := []struct {
		name string
		opts []Option
		key  string
		code int
	}{
		{name: "open accepts any key", key: "whatever", code: 0},
		{name: "open refuses empty key", key: "", code: 1},
		{name: "registered key", opts: []Option{WithKey("live_a")}, key: "live_a", code: 0},
		{name: "unregistered key", opts: []Option{WithKey("live_a")}, key: "live_b", code: 1},
		{name: "blocked key", opts: []Option{WithKey("live_a"), WithBlocked("live_a")}, key: "live_a", code: 2},
		{name: "nil option ignored", opts: []Option{nil}, key: "x", code: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := NewServer(tt.opts...)
			defer srv.Close()
			a := send(t, srv.Client(), http.MethodPut, srv.RESTURL()+"/sms/create", tt.key, single("37060000001", ""))
			var got int
			if tt.code == 0 {
				got = wrappedCode(t, a)
			} else {
				got = topCode(t, a)
			}
			if got != tt.code || a.status != http.StatusOK {
				t.Fatalf("got %d %s, want code %d in HTTP 200", a.status, a.raw, tt.code)
			}
		})
	}
}

// SetBalance and SetBlocked on an open server register the key but leave
// every other key valid.
func TestSettersKeepServerOpen(t *testing.T) {
	srv := NewServer()
	defer srv.Close()
	srv.SetBalance("a", 0)
	srv.SetBlocked("b", true)
	hc, url := srv.Client(), srv.RESTURL()+"/sms/create"
	if got := topCode(t, send(t, hc, http.MethodPut, url, "a", single("37060000001", ""))); got != 8 {
		t.Errorf("key a: code %d, want 8", got)
	}
	if got := topCode(t, send(t, hc, http.MethodPut, url, "b", single("37060000001", ""))); got != 2 {
		t.Errorf("key b: code %d, want 2", got)
	}
	if got := wrappedCode(t, send(t, hc, http.MethodPut, url, "c", single("37060000001", ""))); got != 0 {
		t.Errorf("key c: code %d, want 0", got)
	}
}

func TestBalanceRunsOut(t *testing.T) {
	srv := NewServer(WithBalance("k", 3))
	defer srv.Close()
	hc, url := srv.Client(), srv.RESTURL()
	// 2 of 3 spent.
	a := send(t, hc, http.MethodPut, url+"/sms/create", "k", bulk(phone{"37060000001", "a"}, phone{"37060000002", "b"}))
	if got := codes(t, a); !slices.Equal(got, []int{0, 0}) {
		t.Fatalf("first bulk: %v", got)
	}
	// Needs 2, has 1: refused whole.
	a = send(t, hc, http.MethodPut, url+"/viber/create", "k", viber("hi", phone{"37060000003", "c"}, phone{"37060000004", "d"}))
	if got := topCode(t, a); got != 8 {
		t.Fatalf("second: code %d, want 8: %s", got, a.raw)
	}
	// Failed recipients cost nothing: one valid, one invalid fits in 1.
	a = send(t, hc, http.MethodPut, url+"/hlr/create", "k", hlr(phone{"37060000003", "c"}, phone{"bad", "d"}))
	if got := codes(t, a); !slices.Equal(got, []int{0, 61}) {
		t.Fatalf("third: %v: %s", got, a.raw)
	}
	a = send(t, hc, http.MethodPut, url+"/sms/create", "k", single("37060000005", "e"))
	if got := topCode(t, a); got != 8 {
		t.Fatalf("fourth: code %d, want 8", got)
	}
	if srv.Accepted() != 3 {
		t.Fatalf("Accepted() = %d, want 3", srv.Accepted())
	}
	// Recovery.
	srv.SetBalance("k", 1)
	a = send(t, hc, http.MethodPut, url+"/sms/create", "k", single("37060000005", "e"))
	if got := wrappedCode(t, a); got != 0 {
		t.Fatalf("after SetBalance: code %d, want 0", got)
	}
}

func TestBlockedEverywhere(t *testing.T) {
	srv := NewServer(WithKey("k"))
	defer srv.Close()
	srv.SetBlocked("k", true)
	hc, url := srv.Client(), srv.RESTURL()
	calls := []struct {
		method, path string
		body         any
	}{
		{http.MethodGet, "/common/balance", nil},
		{http.MethodPut, "/sms/create", single("37060000001", "")},
		{http.MethodPut, "/viber/create", viber("hi", phone{"37060000001", ""})},
		{http.MethodPut, "/hlr/create", hlr(phone{"37060000001", "h"})},
		{http.MethodGet, "/sms/1", nil},
		{http.MethodGet, "/viber/reference/x", nil},
	}
	for _, c := range calls {
		a := send(t, hc, c.method, url+c.path, "k", c.body)
		if got := topCode(t, a); got != 2 {
			t.Errorf("%s %s: code %d, want 2: %s", c.method, c.path, got, a.raw)
		}
	}
	srv.SetBlocked("k", false)
	if got := wrappedCode(t, send(t, hc, http.MethodPut, url+"/sms/create", "k", single("37060000001", ""))); got != 0 {
		t.Fatalf("after unblocking: code %d, want 0", got)
	}
}

func TestDuplicateReferences(t *testing.T) {
	tests := []struct {
		kind  string
		body  func(ref string) any
		check func(t *testing.T, a answer) int
		dup   int
	}{
		{"sms single", func(r string) any { return single("37060000001", r) }, topOrWrapped, 23},
		{"sms bulk", func(r string) any { return bulk(phone{"37060000001", r}) }, firstItem, 23},
		{"viber", func(r string) any { return viber("hi", phone{"37060000001", r}) }, firstItem, 43},
		{"hlr", func(r string) any { return hlr(phone{"37060000001", r}) }, firstItem, 63},
	}
	paths := map[string]string{"sms single": "/sms/create", "sms bulk": "/sms/create", "viber": "/viber/create", "hlr": "/hlr/create"}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			srv := NewServer()
			defer srv.Close()
			hc, url := srv.Client(), srv.RESTURL()+paths[tt.kind]
			steps := []struct {
				key, ref string
				want     int
			}{
				{"a", "ref1", 0},
				{"a", "ref1", tt.dup}, // reused by the same account
				{"b", "ref1", 0},      // another account has its own references
				{"a", "ref2", 0},
			}
			for i, st := range steps {
				if got := tt.check(t, send(t, hc, http.MethodPut, url, st.key, tt.body(st.ref))); got != st.want {
					t.Fatalf("step %d: code %d, want %d", i, got, st.want)
				}
			}
			if srv.Accepted() != 3 {
				t.Fatalf("Accepted() = %d, want 3", srv.Accepted())
			}
		})
	}
}

// A reference used by one kind is free for the others.
func TestReferencesPerKind(t *testing.T) {
	srv := NewServer()
	defer srv.Close()
	hc, url := srv.Client(), srv.RESTURL()
	firstItem(t, send(t, hc, http.MethodPut, url+"/sms/create", "k", bulk(phone{"37060000001", "same"})))
	if got := firstItem(t, send(t, hc, http.MethodPut, url+"/viber/create", "k", viber("x", phone{"37060000001", "same"}))); got != 0 {
		t.Fatalf("viber: code %d, want 0", got)
	}
	if got := firstItem(t, send(t, hc, http.MethodPut, url+"/hlr/create", "k", hlr(phone{"37060000001", "same"}))); got != 0 {
		t.Fatalf("hlr: code %d, want 0", got)
	}
}

func topOrWrapped(t *testing.T, a answer) int {
	t.Helper()
	if _, ok := a.obj["error"]; ok {
		return topCode(t, a)
	}
	return wrappedCode(t, a)
}

func firstItem(t *testing.T, a answer) int {
	t.Helper()
	c := codes(t, a)
	if len(c) != 1 {
		t.Fatalf("want one result element: %s", a.raw)
	}
	return c[0]
}
