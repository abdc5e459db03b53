package bench

import (
	"errors"
	"net/http"
	"testing"

	"github.com/resilient-sms/resilient"
	"github.com/resilient-sms/resilient/notificoretest"
)

// BenchmarkFailFast measures a call that an open circuit stops before any
// network I/O. The transport's account circuit is opened by a real code 8
// (not enough funds) answer of the fake server, which holds it open for a
// minute; "resilient" returns the error, "resilient+answers" the
// synthesized answer of WithFailFastAnswers. "failsafe" is the documented
// failsafehttp composition with its breaker forced open: its retry policy
// retries the breaker's refusal, without I/O either.
func BenchmarkFailFast(b *testing.B) {
	srv := notificoretest.NewServer(notificoretest.WithBalance(Key, 0))
	defer srv.Close()
	url := srv.RESTURL() + "/sms/create"
	base := NewBareTransport()
	defer base.CloseIdleConnections()

	fs, breaker := FailsafeWithBreaker(base)
	breaker.Open()
	rts := []struct {
		name string
		rt   http.RoundTripper
	}{
		{"resilient", openAccount(b, Resilient(base), url)},
		{"resilient+answers", openAccount(b, Resilient(base, resilient.WithFailFastAnswers()), url)},
		{"failsafe", fs},
	}
	for _, r := range rts {
		b.Run(r.name, func(b *testing.B) {
			req := newCreate(url)
			b.ReportAllocs()
			for b.Loop() {
				resp, err := r.rt.RoundTrip(req)
				if err == nil {
					if resp.Header.Get(resilient.FailFastHeader) == "" {
						b.Fatal("a call went through")
					}
					drain(resp)
				}
			}
		})
	}
}

// openAccount sends one create through rt, whose code 8 answer opens the
// account circuit of Key, and checks that the next call fails fast.
func openAccount(b *testing.B, rt http.RoundTripper, url string) http.RoundTripper {
	resp, err := rt.RoundTrip(newCreate(url))
	if err != nil {
		b.Fatal(err)
	}
	drain(resp)
	resp, err = rt.RoundTrip(newCreate(url))
	switch {
	case errors.Is(err, resilient.ErrCircuitOpen):
	case err == nil && resp.Header.Get(resilient.FailFastHeader) != "":
		drain(resp)
	default:
		b.Fatalf("the account circuit did not open: %v", err)
	}
	return rt
}
