package resilient

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
)

// acceptedBulk answers two recipients, both accepted.
const acceptedBulk = `{"task_id":"7","result":[{"error":0,"errorDescription":"No errors","reference":"r1","id":"10","price":0.02},` +
	`{"error":"0","errorDescription":"No errors","reference":"r2","id":"11","price":0.02}],"total_price":0.04}`

var acceptedRecipientsWant = []Recipient{{Reference: "r1", ID: "10"}, {Reference: "r2", ID: "11"}}

// TestAcceptedAllWaits holds that a bulk answer is left pending (its
// recipients read when asked for) only where reading them could change
// nothing the Transport decides, and that the outcome read later is the
// one the recipients give.
func TestAcceptedAllWaits(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		body      string
		rules     func(*ruleSet)
		pending   bool
		class     Class
		ambiguous bool
		want      []Recipient // nil: compare the count only
		n         int
	}{
		{"200 all accepted", 200, acceptedBulk, nil, true, ClassSuccess, false, acceptedRecipientsWant, 2},
		{"201 all accepted", 201, acceptedBulk, nil, true, ClassSuccess, false, acceptedRecipientsWant, 2},
		{"500 all accepted: the status decides", 500, acceptedBulk, nil, false, ClassTransient, true, acceptedRecipientsWant, 2},
		{"a status rule makes 200 transient", 200, acceptedBulk, func(rs *ruleSet) {
			rs.statuses[200] = Rule{Class: ClassTransient}
		}, false, ClassTransient, true, acceptedRecipientsWant, 2},
		{"a rule of code 0 makes it transient", 200, acceptedBulk, func(rs *ruleSet) {
			rs.codes[0] = Rule{Class: ClassTransient}
		}, false, ClassTransient, false, nil, 2},
		{"a status rule marks 200 a duplicate", 200, acceptedBulk, func(rs *ruleSet) {
			rs.statuses[200] = Rule{Class: ClassSuccess, Duplicate: true}
		}, false, ClassSuccess, false, acceptedRecipientsWant, 2},
		{"a rule of code 0 marks it a duplicate", 200, acceptedBulk, func(rs *ruleSet) {
			rs.codes[0] = Rule{Class: ClassSuccess, Duplicate: true}
		}, false, ClassSuccess, false, acceptedRecipientsWant, 2},
		{"one recipient refused", 200, `{"result":[{"error":0,"reference":"r1"},{"error":11,"reference":"r2"}]}`, nil,
			false, ClassTransient, true, nil, 2},
		{"an escape: the full parse", 200, `{"result":[{"error":0,"reference":"r\u0031","id":"10"},{"error":0,"reference":"r2","id":"11"}]}`, nil,
			false, ClassSuccess, false, []Recipient{{Reference: "r1", ID: "10"}, {Reference: "r2", ID: "11"}}, 2},
		{"no array: a plain success", 200, `{"error":0,"id":"1"}`, nil, false, ClassSuccess, false, nil, 0},
		{"an empty result array", 200, `{"result":[]}`, nil, false, ClassSuccess, false, nil, 0},
		{"result not an array", 200, `{"result":{"error":0,"id":"1"}}`, nil, false, ClassSuccess, false, nil, 0},
		{"top-level error beside accepted recipients", 200, `{"error":8,"result":[{"error":0,"id":"1"}]}`, nil,
			true, ClassSuccess, false, []Recipient{{ID: "1"}}, 1},
		{"truncated", 200, acceptedBulk[:len(acceptedBulk)-1], nil, false, ClassSuccess, false, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := newRuleSet(Policy{}.withDefaults())
			if tt.rules != nil {
				tt.rules(&rs)
				rs.finish(Policy{}.withDefaults())
			}
			out, rule := rs.classifyResponse(tt.status, []byte(tt.body), false)
			if out.pending != tt.pending {
				t.Fatalf("pending = %v, want %v", out.pending, tt.pending)
			}
			if out.pending && out.Recipients != nil {
				t.Fatalf("a pending outcome holds %d recipients already", len(out.Recipients))
			}
			read, _ := rs.classifyRead(tt.status, []byte(tt.body), false)
			if read.pending || read.Class != tt.class || rule.Class != tt.class || read.Ambiguous != tt.ambiguous || len(read.Recipients) != tt.n {
				t.Fatalf("read %v ambiguous %v pending %v with %d recipients (rule %v), want %v %v with %d",
					read.Class, read.Ambiguous, read.pending, len(read.Recipients), rule.Class, tt.class, tt.ambiguous, tt.n)
			}
			if tt.want != nil && !slices.Equal(read.Recipients, tt.want) {
				t.Fatalf("recipients %+v, want %+v", read.Recipients, tt.want)
			}
			// The full parse under the same rules agrees.
			if full := rs.recipients(parseAnswer([]byte(tt.body)).items); len(read.Recipients) > 0 && !slices.Equal(read.Recipients, full) {
				t.Fatalf("recipients %+v; the full parse reads %+v", read.Recipients, full)
			}
		})
	}
}

// TestOutcomeOfReadsPendingRecipients sends bulk creates through the
// Transport and reads their outcomes the ways a caller does: from the body
// the Transport handed back, from a body an http.Client with a Timeout
// wrapped, before and after reading the body, and from a compressed answer.
func TestOutcomeOfReadsPendingRecipients(t *testing.T) {
	gz := func(s string) []byte {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		w.Write([]byte(s))
		w.Close()
		return b.Bytes()
	}
	tests := []struct {
		name      string
		body      []byte
		encoding  string
		timeout   bool // a client with a Timeout, which wraps the body
		readFirst bool // the caller reads the body before asking
		pending   bool // the recipients wait (a decoded answer's are read at once, its copy dropped)
	}{
		{"plain", []byte(acceptedBulk), "", false, false, true},
		{"read first", []byte(acceptedBulk), "", false, true, true},
		{"client timeout", []byte(acceptedBulk), "", true, false, true},
		{"client timeout, read first", []byte(acceptedBulk), "", true, true, true},
		{"gzip", gz(acceptedBulk), "gzip", false, false, false},
		{"gzip, read first", gz(acceptedBulk), "gzip", true, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
				resp := response(200, string(tt.body))
				if tt.encoding != "" {
					resp.Header.Set("Content-Encoding", tt.encoding)
				}
				resp.Request = r
				return resp, nil
			})
			c := &http.Client{Transport: NewTransport(base)}
			if tt.timeout {
				c.Timeout = 1 << 40
			}
			req := newCall(t, http.MethodPost, "http://notificore.test/rest/sms/create", `{"destination":"phones","phones":[{"msisdn":"1","reference":"r1"},{"msisdn":"2","reference":"r2"}]}`, testKey)
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			rb, _ := resp.Request.Context().Value(outcomeKey{}).(*responseBody)
			if rb == nil || rb.outcome.pending != tt.pending || (rb.bulk != nil) != tt.pending {
				t.Fatalf("the answer's outcome waits: %v, holding %d bytes; want %v", rb.outcome.pending, len(rb.bulk), tt.pending)
			}
			var got []byte
			if tt.readFirst {
				if got, err = io.ReadAll(resp.Body); err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
			}
			out, ok := OutcomeOf(resp)
			if !ok || out.Class != ClassSuccess || out.pending || !slices.Equal(out.Recipients, acceptedRecipientsWant) {
				t.Fatalf("OutcomeOf = %v, %+v; want success with %+v", ok, out, acceptedRecipientsWant)
			}
			again, _ := OutcomeOf(resp)
			if &again.Recipients[0] != &out.Recipients[0] {
				t.Fatal("a second OutcomeOf read the recipients again")
			}
			if rb.bulk != nil {
				t.Fatal("the body read for the recipients is still held")
			}
			if !tt.readFirst {
				if got, err = io.ReadAll(resp.Body); err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
			}
			if !bytes.Equal(got, tt.body) {
				t.Fatalf("body %q, want the answer as sent, %q", got, tt.body)
			}
		})
	}
}

// TestOutcomeOfPendingConcurrent asks for a pending outcome from many
// goroutines at once: one read, shared by all (the race detector watches).
func TestOutcomeOfPendingConcurrent(t *testing.T) {
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return response(200, acceptedBulk), nil
	})
	resp, err := NewTransport(base).RoundTrip(newCall(t, http.MethodPost, "http://notificore.test/rest/sms/create", `{}`, testKey))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	const n = 16
	outs := make([]Outcome, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { outs[i], _ = OutcomeOf(resp) })
	}
	wg.Wait()
	for i, o := range outs {
		if len(o.Recipients) != 2 || &o.Recipients[0] != &outs[0].Recipients[0] {
			t.Fatalf("goroutine %d read %+v, not the shared recipients", i, o.Recipients)
		}
	}
}

// TestPendingAfterRefusedRecipients resends a bulk create whose first answer
// refused a recipient; the all-accepted second answer is the call's outcome,
// its recipients read when asked for.
func TestPendingAfterRefusedRecipients(t *testing.T) {
	answers := []string{
		`{"result":[{"error":0,"reference":"r1","id":"10"},{"error":11,"errorDescription":"Too many","reference":"r2"}]}`,
		acceptedBulk,
	}
	var sent int
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		io.Copy(io.Discard, r.Body)
		a := answers[min(sent, len(answers)-1)]
		sent++
		return response(200, a), nil
	})
	tr := NewTransport(base, withClock(newFakeClock()))
	resp, err := tr.RoundTrip(newCall(t, http.MethodPost, "http://notificore.test/rest/sms/create",
		`{"destination":"phones","phones":[{"msisdn":"1","reference":"r1"},{"msisdn":"2","reference":"r2"}]}`, testKey))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := OutcomeOf(resp)
	if sent != 2 || out.Class != ClassSuccess || out.AcceptedEarlier || !slices.Equal(out.Recipients, acceptedRecipientsWant) {
		t.Fatalf("%d sends, outcome %+v", sent, out)
	}
	if b, _ := io.ReadAll(resp.Body); !strings.Contains(string(b), `"reference":"r2","id":"11"`) {
		t.Fatalf("body %s", b)
	}
}

// TestMayWaitNoted holds the statuses a Transport notes to the rules they
// come from, for every status and several rule sets.
func TestMayWaitNoted(t *testing.T) {
	sets := [][]Option{
		nil,
		{WithCodeRule(0, Rule{Class: ClassTransient})},
		{WithCodeRule(0, Rule{Class: ClassSuccess, Duplicate: true})},
		{WithStatusRule(200, Rule{Class: ClassTransient}), WithStatusRule(399, Rule{Class: ClassSuccess, Duplicate: true})},
		{WithStatusRule(302, Rule{Class: ClassSuccess, MaxAttempts: 2}), WithClassRule(ClassSuccess, Rule{Class: ClassSuccess, Duplicate: true})},
	}
	for n, opts := range sets {
		rs := NewTransport(http.DefaultTransport, opts...).rules
		waiting := 0
		for status := -1; status <= 600; status++ {
			if got, want := rs.mayWait(status), rs.mayWaitAt(status); got != want {
				t.Fatalf("rule set %d, status %d: noted %v, the rules say %v", n, status, got, want)
			} else if got {
				waiting++
			}
		}
		t.Logf("rule set %d: %d statuses wait", n, waiting)
	}
}
