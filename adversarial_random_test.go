package resilient

import (
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

var randomPieces = []string{
	`{"error":0}`, `{"error":11}`, `{"error":"11"}`, `{"error":5}`, `{"error":8}`, `{"error":2}`, `{"error":23}`,
	`{"error":"43"}`, `{"error":63,"errorDescription":"x"}`, `{"error":21}`, `{"error":1.5}`, `{"error":[1]}`,
	`{"result":[{"error":0,"id":"1","reference":"a1"},{"error":11,"reference":"a2"}]}`,
	`{"result":[{"error":23,"reference":"a1"},{"error":0,"reference":"a2","id":"3"}]}`,
	`{"result":[{"error":5},"x",null,7]}`, `{"result":{"error":23}}`, `{"result":{"error":"0","id":"2"}}`,
	`{"message":"Too many duplicate request detected"}`, `{"message":"Unavailable for your account status"}`,
	`{"message":"The given data was invalid.","errors":{"phones.0.reference_id":["The reference id has already been taken."]}}`,
	`{"errors":[{"message":"Too Many Requests"}]}`, `{"data":{"id":1}}`, `<html>oops</html>`, ``, `null`, `[]`,
	`{"error":`, `{"error":11,"error":0}`, "{\"error\":\"\x01\"}", `{"error":8,"deep":[[[[[[[[[[[[]]]]]]]]]]]]}`,
	`{"ERROR":"9"}`, `{"\u0065rror":2}`, "\xef\xbb\xbf{\"error\":8}", `{"error":0}{"error":8}`, `  {"error":5}  `,
}

var randomStatuses = []int{200, 200, 200, 201, 204, 301, 400, 401, 402, 404, 408, 409, 422, 429, 500, 501, 502, 503, 504, 599}

var randomRetryAfter = []string{"", "", "1", "0", "-5", "1e3", "0x10", "99999999999999999999", "2.5",
	"Wed, 21 Oct 2015 07:28:00 GMT", "Fri, 31 Dec 9999 23:59:59 GMT", "soon", " 3 "}

var randomRequests = []string{smsNoRef, smsWithRef, bulkRefs, bulkNoRef, ``, `not json`,
	`{"phones":[{"number":"1","reference_id":"r1"}],"text":"x"}`, `{"recipient":"1","channel":"sms"}`}

// Random answers through a base transport: no panic, every error is one of
// the Transport's, and an answer that was not rewritten is handed back byte
// for byte as the base gave it last.
func TestAdversarialRandomAnswers(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		var last string
		var lastResp *http.Response
		sends := 0
		base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
			sends++
			if r.Body != nil {
				io.Copy(io.Discard, r.Body)
				r.Body.Close()
			}
			if rng.IntN(12) == 0 {
				return nil, errors.New("connection reset by peer")
			}
			last = randomPieces[rng.IntN(len(randomPieces))]
			if rng.IntN(4) == 0 {
				last += randomPieces[rng.IntN(len(randomPieces))]
			}
			status := randomStatuses[rng.IntN(len(randomStatuses))]
			resp := response(status, last, "Retry-After", randomRetryAfter[rng.IntN(len(randomRetryAfter))])
			switch rng.IntN(4) {
			case 0:
				resp.ContentLength = -1
			case 1:
				resp.Header = nil
			}
			lastResp = resp
			return resp, nil
		})
		opts := []Option{withClock(newFakeClock()), WithHostCircuit(HostCircuit{Disabled: true})}
		if i%5 == 0 {
			opts = append(opts, WithFailFastAnswers())
		}
		rt := NewTransport(base, opts...)
		method := []string{http.MethodPut, http.MethodPost, http.MethodGet}[rng.IntN(3)]
		path := []string{"/rest/sms/create", "/rest/viber/create", "/api/campaigns/sms/send", "/api/2fa/authentications/otp", "/rest/common/balance"}[rng.IntN(5)]
		body := randomRequests[rng.IntN(len(randomRequests))]
		for call := range 2 { // the second call may meet an open account circuit
			sends, last, lastResp = 0, "", nil
			resp, err := rt.RoundTrip(newCall(t, method, "https://api.test"+path, body, testKey))
			if err != nil {
				var e *Error
				var coe *CircuitOpenError
				if resp != nil || !errors.As(err, &e) && !errors.As(err, &coe) {
					t.Fatalf("case %d/%d: %v, %T %v", i, call, resp, err, err)
				}
				continue
			}
			got, rerr := io.ReadAll(resp.Body)
			resp.Body.Close()
			if rerr != nil {
				t.Fatalf("case %d/%d: reading: %v", i, call, rerr)
			}
			if sends > 2*4-1 { // code 11 answers under the in-flight limit spare up to 3 attempts
				t.Fatalf("case %d/%d: %d sends, want at most 7", i, call, sends)
			}
			switch {
			case resp.Header.Get(FailFastHeader) != "":
				if sends != 0 {
					t.Fatalf("case %d/%d: a fail-fast answer after %d sends", i, call, sends)
				}
			case resp.Header.Get(AcceptedEarlierHeader) != "":
				if sends < 2 {
					t.Fatalf("case %d/%d: accepted earlier on a first attempt: %s", i, call, got)
				}
			case string(got) != last:
				t.Fatalf("case %d/%d: body %q, base gave %q", i, call, got, last)
			case resp.StatusCode != lastResp.StatusCode:
				t.Fatalf("case %d/%d: status %d, base gave %d", i, call, resp.StatusCode, lastResp.StatusCode)
			}
			if out, ok := OutcomeOf(resp); !ok || out.Class < ClassSuccess || out.Class > ClassAccount {
				t.Fatalf("case %d/%d: outcome %+v %v", i, call, out, ok)
			}
		}
	}
}

// A Retry-After of any spelling never makes a wait longer than the cap.
func TestAdversarialRandomRetryAfterIsCapped(t *testing.T) {
	for _, ra := range append(randomRetryAfter, "9223372036", "1e308", strconv.Itoa(1<<62), strings.Repeat("9", 400)) {
		clk := newFakeClock()
		rt := NewTransport(roundTripFunc(func(*http.Request) (*http.Response, error) {
			return response(503, ``, "Retry-After", ra), nil
		}), withClock(clk), WithMaxAttempts(2))
		resp, err := rt.RoundTrip(newCall(t, http.MethodGet, "https://api.test/rest/common/balance", "", testKey))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		for _, w := range clk.Waits() {
			if w < 0 || w > defaultMaxRetryAfter {
				t.Errorf("Retry-After %q: waited %v", ra, w)
			}
		}
	}
}

// After any answer that may mean the message went out, an unreferenced
// create is never sent again, whatever comes before it.
func TestAdversarialRandomAmbiguityStopsUnreferencedResends(t *testing.T) {
	ambiguous := []func() (*http.Response, error){
		func() (*http.Response, error) { return response(500, ``), nil },
		func() (*http.Response, error) { return response(502, `<html>`), nil },
		func() (*http.Response, error) { return response(504, `{"message":"Gateway Timeout"}`), nil },
		func() (*http.Response, error) { return response(599, ``), nil },
		func() (*http.Response, error) { return response(200, `{"error":"5"}`), nil },
		func() (*http.Response, error) {
			return response(200, `{"result":[{"error":0,"id":"1"},{"error":11}]}`), nil
		},
		func() (*http.Response, error) { return response(200, `{"result":[{"error":11},{"error":5}]}`), nil },
		func() (*http.Response, error) { return nil, errors.New("read: connection reset by peer") },
		func() (*http.Response, error) { return nil, io.ErrUnexpectedEOF },
	}
	safe := []func() (*http.Response, error){
		func() (*http.Response, error) { return response(200, `{"error":11}`), nil },
		func() (*http.Response, error) { return response(503, ``), nil },
		func() (*http.Response, error) { return response(429, `{"message":"Too Many Requests"}`), nil },
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 500 {
		lead := rng.IntN(3) // never-processed answers before the ambiguous one
		amb := ambiguous[rng.IntN(len(ambiguous))]
		sends, after := 0, 0
		base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
			sends++
			if sends <= lead {
				return safe[rng.IntN(len(safe))]()
			}
			if sends > lead+1 {
				after++
			}
			return amb()
		})
		rt := NewTransport(base, withClock(newFakeClock()), WithMaxAttempts(6), WithRetryBudget(RetryBudget{Ratio: -1}),
			WithHostCircuit(HostCircuit{Disabled: true}))
		method := []string{http.MethodPut, http.MethodPost}[i%2]
		body := []string{smsNoRef, bulkNoRef, `{"phones":["1"],"text":"x"}`, `{"recipient":"1","channel":"sms"}`}[rng.IntN(4)]
		path := []string{"/rest/sms/create", "/api/campaigns/sms/send", "/api/2fa/authentications/otp"}[rng.IntN(3)]
		resp, err := rt.RoundTrip(newCall(t, method, "https://api.test"+path, body, testKey))
		if err == nil {
			resp.Body.Close()
		}
		if after != 0 || sends != lead+1 {
			t.Fatalf("case %d: %d sends with %d never-processed first, %d after the ambiguous answer", i, sends, lead, after)
		}
	}
}
