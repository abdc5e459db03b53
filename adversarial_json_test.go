package resilient

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

func defaultRules() ruleSet {
	rs := newRuleSet(Policy{}.withDefaults())
	rs.finish(Policy{}.withDefaults())
	return rs
}

// Every spelling below means the same to encoding/json (and so to the SDKs)
// as the plain form its class names.
func TestAdversarialJSONCodeEncodings(t *testing.T) {
	rs := defaultRules()
	for _, tt := range []struct {
		body  string
		class Class
		code  int
	}{
		{`{"error":11}`, ClassTransient, 11},
		{`{"error":"11"}`, ClassTransient, 11},
		{`{"error":11.0}`, ClassTransient, 11},
		{`{"error":1.1e1}`, ClassTransient, 11},
		{`{"error":1100E-2}`, ClassTransient, 11},
		{`{"error":0.11e2}`, ClassTransient, 11},
		{`{"error":1.1e2}`, ClassPermanent, 110}, // a float parse that rounds off reads 110.00000000000001
		{`{"error":2.3e2}`, ClassPermanent, 230},
		{`{"error":0.8e1}`, ClassAccount, 8},
		{`{"error":2.00000000000000000001}`, ClassAccount, 2}, // nearest float64 is 2, as encoding/json reads it
		{`{"error":"\u0031\u0031"}`, ClassTransient, 11},
		{`{"\u0065rror":11}`, ClassTransient, 11},
		{`{"ERROR":11}`, ClassTransient, 11},
		{`{"eRrOr":"8"}`, ClassAccount, 8},
		{" \r\n\t{ \"error\" :\n 8 } \n", ClassAccount, 8},
		{`{"error":0,"error":8}`, ClassAccount, 8},
		{`{"error":8,"error":0}`, ClassSuccess, 0},
		{`{"error":8,"Error":"0"}`, ClassSuccess, 0},
		{`{"error":-0}`, ClassSuccess, 0},
		{`{"error":0.0e0}`, ClassSuccess, 0},
		{`{"error":"0"}`, ClassSuccess, 0},
		{`{"error":null}`, ClassSuccess, 0},
		{`{"error":""}`, ClassSuccess, 0},
		{`{"error":false}`, ClassSuccess, 0},
		{`{"error":true}`, ClassPermanent, -1},
		{`{"error":[8]}`, ClassPermanent, -1},
		{`{"error":{"code":8}}`, ClassPermanent, -1},
		{`{"error":8.5}`, ClassPermanent, -1},
		{`{"error":1e400}`, ClassPermanent, -1},
		{`{"error":"eight"}`, ClassPermanent, -1},
		{`{"x":"\"error\":0","error":2}`, ClassAccount, 2},
		{`{"note":"error","error":2}`, ClassAccount, 2},
		{`{"error":0,"result":{"error":"2"}}`, ClassAccount, 2},
		{`{"r\u0065sult":{"error":2}}`, ClassAccount, 2},
		{`{"RESULT":[{"error":0,"id":"1"},{"ERROR":"9"}]}`, ClassAccount, 9},
		{`{"error":0,"result":[{"error":0},{"error":"5"}]}`, ClassTransient, 5},
		{`{"error":0,"x":{"error":8}}`, ClassSuccess, 0},
		{`{"data":{"error":8,"message":"Unavailable for your account status"}}`, ClassSuccess, 0},
		{`{"error":9,"pad":"` + strings.Repeat(`\"`, 5000) + `"}`, ClassAccount, 9},
		{`{"error":9,"deep":` + strings.Repeat(`[`, 2000) + strings.Repeat(`]`, 2000) + `}`, ClassAccount, 9},
		{`{"error":9,"s":"ſ K é ☃ \ud83d\ude00"}`, ClassAccount, 9},
	} {
		out, _ := rs.classifyRead(200, []byte(tt.body), false)
		if out.Class != tt.class || out.Code != tt.code {
			name := tt.body
			if len(name) > 80 {
				name = name[:80] + "..."
			}
			t.Errorf("%s: class %v code %d, want %v %d", name, out.Class, out.Code, tt.class, tt.code)
		}
	}
}

func TestAdversarialJSONAPI2Messages(t *testing.T) {
	rs := defaultRules()
	const acct = "Unavailable for your account status"
	for _, tt := range []struct {
		status int
		body   string
		class  Class
	}{
		{402, `{"message":"` + acct + `","errors":[]}`, ClassAccount},
		{403, `{"message":"` + acct + `"}`, ClassAccount},
		{200, `{"message":"` + acct + `"}`, ClassAccount},
		{400, `{"message":"UNAVAILABLE FOR YOUR ACCOUNT STATUS"}`, ClassAccount},
		{400, `{"message":"  ` + acct + `\n"}`, ClassAccount},
		{400, `{"MESSAGE":"` + acct + `"}`, ClassAccount},
		{400, `{"m\u0065ssage":"Unavailable\u0020for your account st\u0061tus"}`, ClassAccount},
		{400, `{"errors":[{"message":"` + acct + `"}]}`, ClassAccount},
		{400, `{"errors":[{"Message":"` + acct + `"}]}`, ClassAccount},
		{400, `{"errors":["` + acct + `"]}`, ClassAccount},
		{422, `{"message":"The given data was invalid.","errors":{"phones":["` + acct + `"]}}`, ClassAccount},
		{400, `{"message":"Unauthorized","errors":[{"message":"` + acct + `"}]}`, ClassAccount},
		{400, `{"message":"a","message":"` + acct + `"}`, ClassAccount},
		{400, `{"message":"` + acct + `","message":"Invalid phone number format"}`, ClassPermanent},
		{503, `{"message":"Service Unavailable"}`, ClassTransient},
		{429, `{"message":"Too Many Requests","errors":[]}`, ClassTransient},
		{429, `{"message":"too many duplicate request detected"}`, ClassPermanent},
		{401, `{"message":["` + acct + `"]}`, ClassPermanent},
		{402, `{"message":null}`, ClassAccount},
	} {
		out, _ := rs.classifyRead(tt.status, []byte(tt.body), false)
		if out.Class != tt.class {
			t.Errorf("%d %s: class %v, want %v", tt.status, tt.body, out.Class, tt.class)
		}
	}
}

// A 429 duplicate answered to a resend of a call whose earlier attempt may
// have been processed becomes 200 {"data":{}}, in every spelling.
func TestAdversarialJSONDuplicateSpellingsAfterAmbiguity(t *testing.T) {
	for _, dup := range []string{
		`{"message":"Too many duplicate request detected"}`,
		`{"MESSAGE":"  TOO MANY DUPLICATE REQUEST DETECTED "}`,
		`{"errors":[{"message":"Too many duplicate request detected"}]}`,
		`{"message":"Too many duplicate request det\u0065cted","errors":[]}`,
	} {
		var n atomic.Int32
		base := roundTripFunc(func(*http.Request) (*http.Response, error) {
			if n.Add(1) == 1 {
				return response(502, `<html>bad gateway</html>`), nil
			}
			return response(429, dup), nil
		})
		rt := NewTransport(base, withClock(newFakeClock()))
		req := newCall(t, http.MethodPost, "https://api.test/api/campaigns/sms/send",
			`{"phones":[{"number":"35790000001","reference_id":"r1"}],"text":"x"}`, "")
		req.Header.Set("Authorization", "Bearer tok")
		resp, err := rt.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		if body := readAll(t, resp); resp.StatusCode != 200 || body != `{"data":{}}` || resp.Header.Get(AcceptedEarlierHeader) != "1" {
			t.Errorf("%s: %d %s %v, want 200 {\"data\":{}} accepted earlier", dup, resp.StatusCode, body, resp.Header)
		}
	}
}

// An unreferenced send is never resent after an ambiguous answer, however
// its body spells the reference it lacks.
func TestAdversarialJSONUnreferencedBodiesAreNotResent(t *testing.T) {
	for _, body := range []string{
		`{"destination":"phone","msisdn":"+35790000001","body":"x"}`,
		`{"destination":"phone","msisdn":"+35790000001","reference":""}`,
		`{"destination":"phone","msisdn":"+35790000001","reference":null}`,
		`{"destination":"phone","msisdn":"+35790000001","reference":["r"]}`,
		`{"destination":"phone","msisdn":"+35790000001","reference":"r1","reference":""}`,
		`{"destination":"phones","phones":[{"msisdn":"1","reference":"a"},"+35790000002"]}`,
		`{"destination":"phones","phones":[{"msisdn":"1","reference":"a"},{"msisdn":"2"}]}`,
		`{"to":[{"msisdn":"1","reference":"a"},{"msisdn":"2","reference":{}}],"text":"x"}`,
		`[{"msisdn":"1","reference":"a"},{"msisdn":"2"}]`,
		`{"phones":["35790000001"],"text":"x"}`,
		`{"phones":[{"number":"1","reference_id":"a"},{"number":"2"}],"text":"x"}`,
		`{"messages":[{"phone":"1","reference_id":"a"},{"phone":"2","text":"x"}]}`,
		`{"recipient":"35790000001","channel":"sms"}`,
		`{"group_ids":[1,2],"text":"x"}`,
		`{"destination":"phone","msisdn":"1","reference":"a"`,
		``,
	} {
		var n atomic.Int32
		base := roundTripFunc(func(*http.Request) (*http.Response, error) {
			n.Add(1)
			return response(200, `{"error":5}`), nil
		})
		rt := NewTransport(base, withClock(newFakeClock()))
		resp, err := rt.RoundTrip(newCall(t, http.MethodPost, "https://api.test/rest/sms/create", body, testKey))
		if err != nil {
			t.Fatal(err)
		}
		readAll(t, resp)
		if n.Load() != 1 {
			t.Errorf("%s: sent %d times after code 5, want once", body, n.Load())
		}
	}
}
