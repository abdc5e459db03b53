package notificoretest

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestTLSServer(t *testing.T) {
	srv := StartTLS(t, WithKey("k"))
	if !strings.HasPrefix(srv.URL, "https://") || srv.API2URL() != srv.URL+"/api" || srv.RESTURL() != srv.URL+"/rest" {
		t.Fatalf("URL %q API2URL %q RESTURL %q", srv.URL, srv.API2URL(), srv.RESTURL())
	}
	if a := send(t, srv.Client(), http.MethodPut, srv.RESTURL()+"/sms/create", "k", single("37060000001", "r1")); wrappedCode(t, a) != 0 {
		t.Fatalf("API 1.0 over TLS: %s", a.raw)
	}
	if status, m := api2(t, srv, "/campaigns/sms/send", login(t, srv, "k"), map[string]any{"phones": []string{"37060000001"}, "text": "x"}); status != 200 {
		t.Fatalf("API 2.0 over TLS: %d %v", status, m)
	}
	// A plain client does not trust the certificate.
	if _, err := trySend(&http.Client{Transport: &http.Transport{}}, http.MethodGet, srv.RESTURL()+"/common/balance", "k", nil); err == nil {
		t.Fatal("an untrusting client got an answer")
	}
}

// Resets work over TLS too: the client sees a transport error.
func TestTLSReset(t *testing.T) {
	for _, r := range []Reset{ResetBeforeBody, ResetAfterProcessing} {
		srv := StartTLS(t)
		srv.Script(Fault{Reset: r})
		tr := srv.Client().Transport.(*http.Transport).Clone()
		tr.DisableKeepAlives = true
		t.Cleanup(tr.CloseIdleConnections)
		hc := &http.Client{Transport: tr}
		if a, err := trySend(hc, http.MethodPut, srv.RESTURL()+"/sms/create", "k", single("37060000001", "r1")); err == nil {
			t.Fatalf("reset %d: got %d %s", r, a.status, a.raw)
		}
		if want := map[Reset]int{ResetBeforeBody: 0, ResetAfterProcessing: 1}[r]; srv.Accepted() != want {
			t.Fatalf("reset %d: Accepted() = %d, want %d", r, srv.Accepted(), want)
		}
	}
}

// The handler mounted in another server shares the fake's state.
func TestHandlerMounted(t *testing.T) {
	srv := Start(t, WithKey("k"))
	outer := httptest.NewServer(http.StripPrefix("/notificore", srv.Handler()))
	defer outer.Close()
	a := send(t, outer.Client(), http.MethodPut, outer.URL+"/notificore/rest/sms/create", "k", single("37060000001", "r1"))
	if wrappedCode(t, a) != 0 {
		t.Fatalf("mounted: %s", a.raw)
	}
	// The reference is now taken on the fake's own address too.
	a = send(t, srv.Client(), http.MethodPut, srv.RESTURL()+"/sms/create", "k", single("37060000001", "r1"))
	if topCode(t, a) != 23 {
		t.Fatalf("direct: %s", a.raw)
	}
	if log := srv.Log(); len(log) != 2 || log[0].Path != "/rest/sms/create" || srv.Accepted() != 1 {
		t.Fatalf("Log() = %+v, Accepted %d", log, srv.Accepted())
	}
	if a := send(t, outer.Client(), http.MethodGet, outer.URL+"/notificore/elsewhere", "k", nil); a.status != 404 {
		t.Fatalf("unknown path: %d", a.status)
	}
}

// Start and StartTLS close the server when the test ends.
func TestStartCleanup(t *testing.T) {
	for _, start := range []func(testing.TB, ...Option) *Server{Start, StartTLS} {
		var srv *Server
		t.Run("sub", func(t *testing.T) {
			srv = start(t, WithKey("k"))
			if a := send(t, srv.Client(), http.MethodGet, srv.RESTURL()+"/common/balance", "k", nil); a.status != 200 {
				t.Fatalf("status %d", a.status)
			}
		})
		select {
		case <-srv.done:
		default:
			t.Fatal("server still open after its test ended")
		}
		if _, err := trySend(srv.Client(), http.MethodGet, srv.RESTURL()+"/common/balance", "k", nil); err == nil {
			t.Fatal("a closed server answered")
		}
		if srv.Requests() != 1 {
			t.Fatalf("Requests() = %d after Close", srv.Requests())
		}
	}
}
