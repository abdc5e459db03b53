package resilient

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
)

// bulkCreateRefs is a bulk create whose every message names a reference, so
// that an ambiguous answer to it is resent.
const bulkCreateRefs = `{"destination":"phones","phones":[{"msisdn":"1","reference":"r1"},{"msisdn":"2","reference":"r2"}]}`

const createURL = "http://notificore.test/rest/sms/create"

// classifyBeforeWaiting is the eager reading of an answer: classifyResponse
// under rules for which no status waits and without the shape memo, every
// recipient read at once and each element on its own.
func classifyBeforeWaiting(rs *ruleSet, status int, body []byte, unread bool) (Outcome, Rule) {
	eager := *rs
	eager.waits, eager.items = [len(eager.waits)]uint64{}, nil
	return eager.classifyResponse(status, body, unread)
}

// shapedBodies are bulk answers of several shapes: accepted ones of
// different element shapes and slot lengths, near misses, refusals.
var shapedBodies = []string{
	acceptedBulk,
	memoBulk,
	strings.ReplaceAll(memoBulk, `"ref`, `"a-much-longer-reference-`),
	strings.ReplaceAll(memoBulk, `"ref1"`, `null`),
	strings.ReplaceAll(memoBulk, `"ref1"`, `""`),
	strings.ReplaceAll(memoBulk, `"ref1"`, `"r\"1"`),
	strings.ReplaceAll(memoBulk, `"ref1"`, `"r1","error":8,"x":"y"`),
	strings.ReplaceAll(memoBulk, `"ref1"`, `"r1\u0031"`),
	strings.ReplaceAll(memoBulk, `"ref1"`, `"ré"`),
	strings.ReplaceAll(memoBulk, `"ref1"`, `"[1]"`),
	strings.ReplaceAll(memoBulk, `"ref1"`, `12`),
	strings.ReplaceAll(memoBulk, `"1001"`, `"1001","id":null`),
	strings.ReplaceAll(memoBulk, `"1001"`, `"1001","reference":"again"`),
	strings.Replace(memoBulk, `"error":0`, `"error":5`, 1),
	strings.Replace(memoBulk, `"error":0`, `"error":23`, 1),
	strings.Replace(memoBulk, `"error":0`, `"error":"0"`, 1),
	strings.Replace(memoBulk, `"error":0`, `"error":00`, 1),
	strings.Replace(memoBulk, `"error":0`, `"error":0.0`, 1),
	strings.Replace(memoBulk, `"error":0`, `"error":-0`, 1),
	strings.Replace(memoBulk, `"error":0,`, ``, 1),
	strings.ReplaceAll(memoBulk, `"error":0,`, ``),
	strings.Replace(memoBulk, `"price":0.02}`, `"price":0.02},{}`, 1),
	strings.Replace(memoBulk, `"price":0.02}`, `"price":0.02,"price":{"error":8}}`, 1),
	strings.Replace(memoBulk, `{"error":0`, `{"Error":0`, 1),
	strings.Replace(memoBulk, `{"error":0`, `{"ERROR":11`, 1),
	strings.Replace(memoBulk, `"reference"`, `"REFERENCE"`, 1),
	strings.Replace(memoBulk, `"id"`, `"Id"`, 1),
	strings.Replace(memoBulk, `"result"`, `"Result"`, 1),
	memoBulk + `x`,
	memoBulk[:len(memoBulk)-1],
	strings.Replace(memoBulk, `],"total_price"`, `],"result":{"error":8},"total_price"`, 1),
	strings.Replace(memoBulk, `],"total_price"`, `],"result":[{"error":2}],"total_price"`, 1),
	strings.Replace(memoBulk, `{"task_id":"7",`, `{"task_id":"7","result":[{"error":2}],`, 1),
	strings.Replace(memoBulk, `{"task_id":"7",`, `{"error":8,"errorDescription":"Invalid key",`, 1),
	`{"result":[{"error":0,"reference":"a","id":"1"},{"error":0,"reference":"b","id":"2"}]}`,
	`{"result":[{"error":0,"reference":"a","id":"1"},{"error":11,"reference":"b"}]}`,
	`{"result":[{"error":0,"reference":"a","id":"1"},{"error":0,"reference":"b","id":"2","id":"3"}]}`,
	`{"result":[{"error":0,"reference":"a","reference":null,"id":"1"},{"error":0,"reference":"b","reference":null,"id":"2"}]}`,
	`{"result":[{"error":0,"reference":null,"reference":"a","id":"1"},{"error":0,"reference":null,"reference":"b","id":"2"}]}`,
	`{"result":[{"error":0,"reference":"a","id":"1","x":{"error":8}},{"error":0,"reference":"b","id":"2","x":{"error":8}}]}`,
	`{"result":[{"error":0,"reference":"a","id":"1","x":{"y":[1,2,{"z":"w"}]}}]}`,
	`{"result":[{"error":0,"reference":"a","id":"1","x":"]},{\"error\":8"}]}`,
	`{"result":[{"reference":"a","id":"1"},{"error":0,"reference":"b","id":"2"}]}`,
	`{"result":[{"reference":"a","id":"1"}]}`,
	`{"result":[{"error":0}]}`,
	`{"result":[{"error":"0"}]}`,
	`{"result":[{"error":0},{"error":0},{"error":0}]}`,
	`{"result":[{"error":0}, {"error":0} ,{"error":0}]}`,
	"{\"result\":[\n {\"error\":0,\"reference\":\"a\",\"id\":\"1\"},\n {\"error\":0,\"reference\":\"b\",\"id\":\"2\"}\n]}",
	`{"result":[{"error":0,"reference":"a","id":"1"},]}`,
	`{"result":[]}`,
	`{"result":[{"error":0,"id":"1"}]}`,
	`{"result":{"error":0,"id":"1"}}`,
	`{"error":0,"id":"1"}`,
	`{"message":"Validation failed","errors":["x"]}`,
}

func sameOutcome(a, b Outcome) bool {
	a.pending, b.pending = false, false
	return reflect.DeepEqual(a, b)
}

// TestPendingClassifyMatchesEager classifies every body, under several rule
// sets and statuses, as the eager reading does and as OutcomeOf hands it
// back now: the same outcome and rule.
func TestPendingClassifyMatchesEager(t *testing.T) {
	ruleSets := map[string][]Option{
		"defaults":             nil,
		"code 0 transient":     {WithCodeRule(0, Rule{Class: ClassTransient})},
		"code 0 duplicate":     {WithCodeRule(0, Rule{Class: ClassSuccess, Duplicate: true})},
		"status 200 transient": {WithStatusRule(200, Rule{Class: ClassTransient})},
		"status 200 success":   {WithStatusRule(200, Rule{Class: ClassSuccess, MaxAttempts: 2})},
		"status 200 duplicate": {WithStatusRule(200, Rule{Class: ClassSuccess, Duplicate: true})},
		"success class rule":   {WithClassRule(ClassSuccess, Rule{Class: ClassSuccess, MaxAttempts: 3})},
		"code 11 permanent":    {WithCodeRule(11, Rule{Class: ClassPermanent})},
	}
	for name, opts := range ruleSets {
		t.Run(name, func(t *testing.T) {
			shared := NewTransport(http.DefaultTransport, opts...).rules // one memo across every body
			eager := NewTransport(http.DefaultTransport, opts...).rules
			for round := range 3 {
				for _, status := range []int{200, 201, 202, 302, 400, 500} {
					for _, s := range shapedBodies {
						body := []byte(s)
						want, wantRule := classifyBeforeWaiting(&eager, status, body, false)
						got, gotRule := shared.classifyRead(status, body, false)
						if !sameOutcome(got, want) || !reflect.DeepEqual(gotRule, wantRule) {
							t.Fatalf("round %d, %d %s:\n got %+v rule %+v\nwant %+v rule %+v", round, status, s, got, gotRule, want, wantRule)
						}
					}
				}
			}
		})
	}
}

// TestPendingMemoAcrossBodies remembers the first element of one body and
// reads another by it: every pair reads as the eager reading reads it.
func TestPendingMemoAcrossBodies(t *testing.T) {
	rs := newRuleSet(Policy{}.withDefaults())
	for _, prior := range shapedBodies {
		for _, s := range shapedBodies {
			m := new(itemMemo)
			p := []byte(prior)
			m.accepted(p)
			clear(p)
			rs.items = m
			body := []byte(s)
			got, _ := rs.classifyRead(200, body, false)
			want, _ := classifyBeforeWaiting(&rs, 200, body, false)
			if !sameOutcome(got, want) {
				t.Fatalf("with %s remembered, %s:\n got %+v\nwant %+v", prior, s, got, want)
			}
			if m.accepted(body) != quickAccepted(body) {
				t.Fatalf("with %s remembered, accepted(%s) differs from quickAccepted", prior, s)
			}
		}
	}
}

// answerSequence answers each attempt in turn with the next response.
func answerSequence(answers ...func() *http.Response) (http.RoundTripper, *int) {
	var mu sync.Mutex
	sent := new(int)
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if r.Body != nil {
			io.Copy(io.Discard, r.Body)
			r.Body.Close()
		}
		mu.Lock()
		a := answers[min(*sent, len(answers)-1)]
		*sent++
		mu.Unlock()
		resp := a()
		resp.Request = r
		return resp, nil
	}), sent
}

// TestPendingResendAfterAmbiguous resends a bulk create after an ambiguous
// 500; the second answer accepted every recipient. Under the default rules,
// and under a rule that marks the success of a status (or every success) a
// duplicate, it is a plain success, its body untouched: the recipients
// decide, and code 0 is no duplicate.
func TestPendingResendAfterAmbiguous(t *testing.T) {
	for name, opt := range map[string]Option{
		"default rules": nil,
		"status rule":   WithStatusRule(200, Rule{Class: ClassSuccess, Duplicate: true}),
		"class rule":    WithClassRule(ClassSuccess, Rule{Class: ClassSuccess, Duplicate: true}),
	} {
		t.Run(name, func(t *testing.T) {
			base, sent := answerSequence(
				func() *http.Response { return response(500, `{}`) },
				func() *http.Response { return response(200, acceptedBulk) },
			)
			opts := []Option{withClock(newFakeClock())}
			if opt != nil {
				opts = append(opts, opt)
			}
			resp, err := NewTransport(base, opts...).RoundTrip(newCall(t, http.MethodPost, createURL, bulkCreateRefs, testKey))
			if err != nil {
				t.Fatal(err)
			}
			body := readAll(t, resp)
			out, _ := OutcomeOf(resp)
			if *sent != 2 || body != acceptedBulk || resp.Header.Get(AcceptedEarlierHeader) != "" || out.AcceptedEarlier ||
				out.Class != ClassSuccess || !slices.Equal(out.Recipients, acceptedRecipientsWant) {
				t.Fatalf("%d sends, header %q, body %s, outcome %+v", *sent, resp.Header.Get(AcceptedEarlierHeader), body, out)
			}
		})
	}
}

// TestPendingAcceptedBulkWithAPIErrors: WithAPIErrors hands an all-accepted
// bulk answer back as a response, with its recipients.
func TestPendingAcceptedBulkWithAPIErrors(t *testing.T) {
	base, _ := answerSequence(func() *http.Response { return response(200, acceptedBulk) })
	resp, err := NewTransport(base, WithAPIErrors()).RoundTrip(newCall(t, http.MethodPost, createURL, bulkCreateRefs, testKey))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out, ok := OutcomeOf(resp); !ok || out.Class != ClassSuccess || !slices.Equal(out.Recipients, acceptedRecipientsWant) {
		t.Fatalf("outcome %v %+v", ok, out)
	}
}

// TestPendingOversizedBulk: a bulk answer larger than MaxBodyBytes is
// classified by its status alone, as before, and handed back whole.
func TestPendingOversizedBulk(t *testing.T) {
	for _, cl := range []int64{int64(len(acceptedBulk)), -1} {
		t.Run(fmt.Sprint("content length ", cl), func(t *testing.T) {
			base, _ := answerSequence(func() *http.Response {
				r := response(200, acceptedBulk)
				r.ContentLength = cl
				return r
			})
			resp, err := NewTransport(base, WithPolicy(Policy{MaxBodyBytes: 64})).RoundTrip(newCall(t, http.MethodPost, createURL, bulkCreateRefs, testKey))
			if err != nil {
				t.Fatal(err)
			}
			body := readAll(t, resp)
			out, _ := OutcomeOf(resp)
			if body != acceptedBulk || !out.Unread || out.Recipients != nil || out.Class != ClassSuccess {
				t.Fatalf("body %s, outcome %+v", body, out)
			}
		})
	}
}

// errAfterBody reads its bytes, then fails.
type errAfterBody struct {
	r   *strings.Reader
	err error
}

func (b *errAfterBody) Read(p []byte) (int, error) {
	if b.r.Len() == 0 {
		return 0, b.err
	}
	return b.r.Read(p)
}

func (b *errAfterBody) Close() error { return nil }

// TestPendingReadErrorAfterBulk: an all-accepted bulk answer whose read
// fails after its last byte is a transient, ambiguous failure with no
// recipients, as before, and hands back the bytes and the error.
func TestPendingReadErrorAfterBulk(t *testing.T) {
	boom := errors.New("connection reset")
	base, _ := answerSequence(func() *http.Response {
		r := response(200, "")
		r.Body = &errAfterBody{r: strings.NewReader(acceptedBulk), err: boom}
		return r
	})
	resp, err := NewTransport(base, WithMaxAttempts(1)).RoundTrip(newCall(t, http.MethodPost, createURL, bulkCreateRefs, testKey))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, rerr := io.ReadAll(resp.Body)
	out, _ := OutcomeOf(resp)
	if string(b) != acceptedBulk || !errors.Is(rerr, boom) || out.Class != ClassTransient || !out.Ambiguous ||
		out.Recipients != nil || !errors.Is(out.Err, boom) {
		t.Fatalf("body %s (%v), outcome %+v", b, rerr, out)
	}
}

func gzipped(s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

// TestPendingGzipBulk: a compressed all-accepted bulk answer reads its
// recipients from the decoded bytes and hands back the bytes as sent.
func TestPendingGzipBulk(t *testing.T) {
	z := gzipped(acceptedBulk)
	base, _ := answerSequence(func() *http.Response {
		return response(200, string(z), "Content-Encoding", "gzip")
	})
	resp, err := NewTransport(base).RoundTrip(newCall(t, http.MethodPost, createURL, bulkCreateRefs, testKey))
	if err != nil {
		t.Fatal(err)
	}
	body := readAll(t, resp)
	out, _ := OutcomeOf(resp)
	if body != string(z) || out.Class != ClassSuccess || !slices.Equal(out.Recipients, acceptedRecipientsWant) {
		t.Fatalf("outcome %+v", out)
	}
}

// TestPendingGzipBulkReleasesDecodedCopy: once OutcomeOf has read the
// recipients of a compressed bulk answer, the response no longer holds the
// decoded copy of the answer, which the eager reading never kept.
func TestPendingGzipBulkReleasesDecodedCopy(t *testing.T) {
	big := `{"result":[` + strings.Repeat(`{"error":0,"errorDescription":"No errors","reference":"r","id":"1","price":0.02},`, 1000) +
		`{"error":0,"id":"2"}]}`
	z := gzipped(big)
	base, _ := answerSequence(func() *http.Response {
		return response(200, string(z), "Content-Encoding", "gzip")
	})
	resp, err := NewTransport(base).RoundTrip(newCall(t, http.MethodPost, createURL, bulkCreateRefs, testKey))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := OutcomeOf(resp)
	if len(out.Recipients) != 1001 {
		t.Fatalf("%d recipients", len(out.Recipients))
	}
	rb := resp.Body.(*responseBody)
	if len(rb.bulk) > rb.r.Len() {
		t.Fatalf("the response holds %d decoded bytes beside its %d bytes as sent after the recipients were read", len(rb.bulk), rb.r.Len())
	}
}

// TestPendingClientTimeoutAndBodyReadConcurrent reads the body of an answer
// wrapped by an http.Client with a Timeout while other goroutines ask for
// its outcome (the race detector watches).
func TestPendingClientTimeoutAndBodyReadConcurrent(t *testing.T) {
	base, _ := answerSequence(func() *http.Response { return response(200, acceptedBulk) })
	c := &http.Client{Transport: NewTransport(base), Timeout: 1 << 40}
	resp, err := c.Do(newCall(t, http.MethodPost, createURL, bulkCreateRefs, testKey))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var wg sync.WaitGroup
	var body []byte
	wg.Go(func() { body, _ = io.ReadAll(resp.Body) })
	outs := make([]Outcome, 8)
	for i := range outs {
		wg.Go(func() { outs[i], _ = OutcomeOf(resp) })
	}
	wg.Wait()
	if string(body) != acceptedBulk {
		t.Fatalf("body %s", body)
	}
	for i, o := range outs {
		if !slices.Equal(o.Recipients, acceptedRecipientsWant) || o.pending {
			t.Fatalf("goroutine %d: %+v", i, o)
		}
	}
}

// TestPendingFailFastAnswerOutcome: the synthesized answer of an open
// circuit carries its outcome as before.
func TestPendingFailFastAnswerOutcome(t *testing.T) {
	base, _ := answerSequence(func() *http.Response { return response(200, `{"error":2,"errorDescription":"x"}`) })
	tr := NewTransport(base, withClock(newFakeClock()), WithFailFastAnswers())
	resp, err := tr.RoundTrip(newCall(t, http.MethodPost, createURL, bulkCreateRefs, testKey))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = tr.RoundTrip(newCall(t, http.MethodPost, createURL, bulkCreateRefs, testKey))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, ok := OutcomeOf(resp)
	if !ok || resp.Header.Get(FailFastHeader) == "" || out.Class != ClassAccount || out.Code != 2 || out.Recipients != nil {
		t.Fatalf("outcome %v %+v", ok, out)
	}
}

// TestPendingConcurrentShapes sends answers of several shapes through one
// Transport from many goroutines: each caller gets the outcome of the eager
// reading (and the race detector watches the shared memo).
func TestPendingConcurrentShapes(t *testing.T) {
	eager := newRuleSet(Policy{}.withDefaults())
	var bodies []string
	var want []Outcome
	for _, s := range shapedBodies {
		// Answers that open no circuit, so that every call is answered.
		if o, _ := classifyBeforeWaiting(&eager, 200, []byte(s), false); o.Class == ClassSuccess || o.Class == ClassPermanent {
			bodies, want = append(bodies, s), append(want, o)
		}
	}
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		io.Copy(io.Discard, r.Body)
		var i int
		fmt.Sscanf(r.Header.Get("X-Body"), "%d", &i)
		resp := response(200, bodies[i])
		resp.Request = r
		return resp, nil
	})
	tr := NewTransport(base, WithMaxAttempts(1))
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for k := range 200 {
				i := (g*7 + k) % len(bodies)
				req := newCall(t, http.MethodPost, createURL, bulkCreateRefs, fmt.Sprint("key", g))
				req.Header.Set("X-Body", fmt.Sprint(i))
				resp, err := tr.RoundTrip(req)
				if err != nil {
					t.Error(err)
					return
				}
				out, _ := OutcomeOf(resp)
				resp.Body.Close()
				w := want[i]
				w.RetryAfter = out.RetryAfter
				if !sameOutcome(out, w) {
					t.Errorf("%s:\n got %+v\nwant %+v", bodies[i], out, w)
					return
				}
			}
		})
	}
	wg.Wait()
}
