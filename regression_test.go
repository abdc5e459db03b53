package resilient_test

// Black-box regression tests of the correctness fixes of issue 9: each one
// failed before its fix. They use the exported API only.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/resilient-sms/resilient"
	"github.com/resilient-sms/resilient/notificoretest"
)

const (
	issue9Campaign    = `{"phones":[{"number":"35790000001"}],"sender":"A","text":"x"}`
	issue9CampaignRef = `{"phones":[{"number":"35790000001","reference_id":"c1"},{"number":"35790000002","reference_id":"c2"}],"sender":"A","text":"x"}`
	issue9SMSNoRef    = `{"destination":"phone","originator":"Acme","body":"Hello","msisdn":"+35790000001"}`
	issue9SMSWithRef  = `{"destination":"phone","originator":"Acme","body":"Hello","msisdn":"+35790000001","reference":"ref1"}`
	issue9BulkNoRef   = `{"destination":"phones","originator":"Acme","body":"Hi","phones":[{"msisdn":"+35790000001"},{"msisdn":"+35790000002"}]}`
)

// issue9Fast keeps retries fast: no fake clock is exported.
var issue9Fast = resilient.WithBackoff(resilient.Backoff{Initial: time.Millisecond})

type issue9RT func(*http.Request) (*http.Response, error)

func (f issue9RT) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// issue9Base is a real http.Transport whose idle connections close with the test.
func issue9Base(t *testing.T) *http.Transport {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return tr
}

func issue9Response(status int, body string) *http.Response {
	return &http.Response{StatusCode: status, Status: fmt.Sprint(status, " ", http.StatusText(status)),
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{"Content-Type": {"application/json"}},
		Body:   io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body))}
}

func issue9Req(t *testing.T, method, url, body string) *http.Request {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func issue9Read(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading body: %v", err)
	}
	return string(b)
}

// issue9Login trades key for a bearer token through rt.
func issue9Login(t *testing.T, rt http.RoundTripper, srv *notificoretest.Server, key string) string {
	t.Helper()
	resp, err := rt.RoundTrip(issue9Req(t, http.MethodPost, srv.API2URL()+"/auth/login", `{"api_key":"`+key+`"}`))
	if err != nil {
		t.Fatalf("login %s: %v", key, err)
	}
	var tok struct{ Bearer string }
	body := issue9Read(t, resp)
	if err := json.Unmarshal([]byte(body), &tok); err != nil || tok.Bearer == "" {
		t.Fatalf("login %s: %d %s", key, resp.StatusCode, body)
	}
	return tok.Bearer
}

func issue9Bearer(t *testing.T, rt http.RoundTripper, url, tok, body string) (*http.Response, error) {
	t.Helper()
	req := issue9Req(t, http.MethodPost, url, body)
	req.Header.Set("Authorization", "Bearer "+tok)
	return rt.RoundTrip(req)
}

// a. API 2.0's 429 "Too many duplicate request detected" on a first attempt
// is returned at once, never resent.
func TestIssue9DuplicateRequest429OnFirstAttemptNotResent(t *testing.T) {
	srv := notificoretest.Start(t, notificoretest.WithDuplicateWindow(time.Hour))
	rt := resilient.NewTransport(issue9Base(t), issue9Fast)
	tok := issue9Login(t, rt, srv, "test_k")
	url := srv.API2URL() + "/campaigns/sms/send"
	resp, err := issue9Bearer(t, rt, url, tok, issue9Campaign)
	if err != nil {
		t.Fatal(err)
	}
	if body := issue9Read(t, resp); resp.StatusCode != 200 {
		t.Fatalf("first send %d %s", resp.StatusCode, body)
	}
	before := srv.Requests()
	resp, err = issue9Bearer(t, rt, url, tok, issue9Campaign)
	if err != nil {
		t.Fatal(err)
	}
	body := issue9Read(t, resp)
	if got := srv.Requests() - before; got != 1 {
		t.Errorf("the copy reached the server %d times, want 1 (never resent)", got)
	}
	if resp.StatusCode != http.StatusTooManyRequests || body != `{"message":"Too many duplicate request detected"}` {
		t.Errorf("answer %d %s, want the 429 untouched", resp.StatusCode, body)
	}
	if srv.Accepted() != 1 {
		t.Errorf("accepted %d, want 1", srv.Accepted())
	}
}

// b. A referenced API 2.0 send reset after processing is resent, and the
// duplicate answer is turned into a success.
func TestIssue9API2ReferencedResendAfterReset(t *testing.T) {
	srv := notificoretest.Start(t)
	rt := resilient.NewTransport(issue9Base(t), issue9Fast)
	tok := issue9Login(t, rt, srv, "test_k")
	srv.Script(notificoretest.Fault{Path: "/campaigns/sms/send", Reset: notificoretest.ResetAfterProcessing})
	resp, err := issue9Bearer(t, rt, srv.API2URL()+"/campaigns/sms/send", tok, issue9CampaignRef)
	if n := len(srv.Messages()); n != 2 {
		t.Errorf("server accepted %d messages, want 2 (once each)", n)
	}
	if err != nil {
		t.Fatalf("error %v, want a success rewritten from the duplicate answer", err)
	}
	body := issue9Read(t, resp)
	out, _ := resilient.OutcomeOf(resp)
	if resp.StatusCode != 200 || resp.Header.Get(resilient.AcceptedEarlierHeader) == "" || out.Class != resilient.ClassSuccess {
		t.Errorf("answer %d %s %v, outcome %+v; want a success marked %s", resp.StatusCode, body, resp.Header, out, resilient.AcceptedEarlierHeader)
	}
	if got := srv.Requests() - 1; got != 2 {
		t.Errorf("%d sends reached the server, want 2", got)
	}
}

// c. A top-level {"message":"Unavailable for your account status","errors":[]}
// on HTTP 403 opens the account circuit.
func TestIssue9TopLevelAccountMessageOn403OpensCircuit(t *testing.T) {
	srv := notificoretest.Start(t)
	rt := resilient.NewTransport(issue9Base(t), issue9Fast)
	tok := issue9Login(t, rt, srv, "test_k")
	srv.Script(notificoretest.Fault{Path: "/campaigns/sms/send", Status: http.StatusForbidden,
		Shape: notificoretest.ShapeAPI2Message, Description: "Unavailable for your account status"})
	url := srv.API2URL() + "/campaigns/sms/send"
	resp, err := issue9Bearer(t, rt, url, tok, issue9Campaign)
	if err != nil {
		t.Fatal(err)
	}
	body := issue9Read(t, resp)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, `"message":"Unavailable for your account status"`) {
		t.Fatalf("first send %d %s", resp.StatusCode, body)
	}
	before := srv.Requests()
	resp, err = issue9Bearer(t, rt, url, tok, issue9Campaign)
	if err == nil {
		issue9Read(t, resp)
	}
	if !errors.Is(err, resilient.ErrCircuitOpen) {
		t.Errorf("next call %v (status %v), want ErrCircuitOpen", err, statusOf(resp))
	}
	if got := srv.Requests() - before; got != 0 {
		t.Errorf("server saw %d requests, want 0", got)
	}
}

func statusOf(resp *http.Response) any {
	if resp == nil {
		return nil
	}
	return resp.StatusCode
}

// d. Logins of two different keys are different accounts.
func TestIssue9LoginsOfDifferentKeysAreDifferentAccounts(t *testing.T) {
	srv := notificoretest.Start(t)
	srv.Script(notificoretest.Fault{Path: "/auth/login", APIKey: "test_a", Status: http.StatusPaymentRequired,
		Shape: notificoretest.ShapeAPI2Message, Description: "Unavailable for your account status"})
	rt := resilient.NewTransport(issue9Base(t), issue9Fast)
	resp, err := rt.RoundTrip(issue9Req(t, http.MethodPost, srv.API2URL()+"/auth/login", `{"api_key":"test_a"}`))
	if err != nil {
		t.Fatal(err)
	}
	if body := issue9Read(t, resp); resp.StatusCode != http.StatusPaymentRequired {
		t.Fatalf("login of A %d %s, want 402", resp.StatusCode, body)
	}
	resp, err = rt.RoundTrip(issue9Req(t, http.MethodPost, srv.API2URL()+"/auth/login", `{"api_key":"test_b"}`))
	if err != nil {
		t.Fatalf("login of B: %v, want it to go through", err)
	}
	if body := issue9Read(t, resp); resp.StatusCode != 200 || !strings.Contains(body, "bearer") {
		t.Errorf("login of B %d %s", resp.StatusCode, body)
	}
}

// e. X-API-KEY written by hand as "X-API-KEY" (non-canonical map key).
func TestIssue9NonCanonicalAPIKeyHeader(t *testing.T) {
	srv := notificoretest.Start(t, notificoretest.WithBalance("test_a", 0), notificoretest.WithKey("test_b"))
	rt := resilient.NewTransport(issue9Base(t), issue9Fast)
	sendRaw := func(key string) (*http.Response, error) {
		req := issue9Req(t, http.MethodPut, srv.RESTURL()+"/sms/create", issue9SMSNoRef)
		req.Header["X-API-KEY"] = []string{key} // as written by hand, not canonical
		return rt.RoundTrip(req)
	}
	resp, err := sendRaw("test_a")
	if err != nil {
		t.Fatal(err)
	}
	if body := issue9Read(t, resp); !strings.Contains(body, `"error":8`) {
		t.Fatalf("key A: %d %s, want code 8", resp.StatusCode, body)
	}
	before := srv.Requests()
	resp, err = sendRaw("test_b")
	if err != nil {
		t.Fatalf("key B: %v, want it to go through", err)
	}
	issue9Read(t, resp)
	if srv.Requests()-before != 1 {
		t.Errorf("key B reached the server %d times", srv.Requests()-before)
	}
}

// f. The account survives a new token obtained through another Transport.
func TestIssue9AccountSurvivesNewToken(t *testing.T) {
	srv := notificoretest.Start(t, notificoretest.WithBlocked("test_k"))
	rt := resilient.NewTransport(issue9Base(t), issue9Fast)
	url := srv.API2URL() + "/campaigns/sms/send"
	t1 := issue9Login(t, rt, srv, "test_k")
	resp, err := issue9Bearer(t, rt, url, t1, issue9Campaign)
	if err != nil {
		t.Fatal(err)
	}
	if body := issue9Read(t, resp); resp.StatusCode != http.StatusPaymentRequired {
		t.Fatalf("send with T1 %d %s, want 402", resp.StatusCode, body)
	}
	t2 := issue9Login(t, resilient.NewTransport(issue9Base(t), issue9Fast), srv, "test_k")
	if t2 == t1 {
		t.Fatal("the second login returned the same token: the test tests nothing")
	}
	before := srv.Requests()
	resp, err = issue9Bearer(t, rt, url, t2, issue9Campaign)
	if err == nil {
		issue9Read(t, resp)
	}
	if !errors.Is(err, resilient.ErrCircuitOpen) {
		t.Errorf("send with T2: %v (status %v), want ErrCircuitOpen", err, statusOf(resp))
	}
	if got := srv.Requests() - before; got != 0 {
		t.Errorf("server saw %d requests of the blocked account", got)
	}
}

// g. 32 concurrent first failures open the account circuit once.
func TestIssue9ConcurrentFirstFailuresOpenOnce(t *testing.T) {
	const n = 32
	var arrived sync.WaitGroup
	arrived.Add(n)
	release := make(chan struct{})
	base := issue9RT(func(r *http.Request) (*http.Response, error) {
		arrived.Done()
		<-release // every call is in flight before any answer comes
		return issue9Response(200, `{"error":8,"errorDescription":"not enough funds"}`), nil
	})
	var mu sync.Mutex
	var events []resilient.CircuitEvent
	rt := resilient.NewTransport(base, issue9Fast, resilient.WithCircuitListener(func(ev resilient.CircuitEvent) {
		mu.Lock()
		events = append(events, ev)
		mu.Unlock()
	}))
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := issue9Req(t, http.MethodPut, "https://api.test/rest/sms/create", issue9SMSNoRef)
			req.Header.Set("X-API-KEY", "test_k")
			resp, err := rt.RoundTrip(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
		}()
	}
	arrived.Wait()
	close(release)
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	opens := 0
	var all []string
	for _, ev := range events {
		if fmt.Sprint(ev.From) == "closed" && fmt.Sprint(ev.To) == "open" {
			opens++
		}
		all = append(all, fmt.Sprintf("%s %v>%v", ev.Scope, ev.From, ev.To))
	}
	if opens != 1 || len(events) != 1 {
		t.Errorf("%d closed>open among %d events %v; want exactly one event, closed>open", opens, len(events), all)
	}
}

// h. A request net/http refuses (an invalid header value) is not retried and
// does not count against the host circuit.
func TestIssue9LocalRequestErrorNotRetriedNorCounted(t *testing.T) {
	srv := notificoretest.Start(t, notificoretest.WithKey("test_k"))
	realTr := issue9Base(t)
	var calls atomic.Int32
	base := issue9RT(func(r *http.Request) (*http.Response, error) {
		calls.Add(1)
		return realTr.RoundTrip(r)
	})
	rt := resilient.NewTransport(base, issue9Fast, resilient.WithHostCircuit(resilient.HostCircuit{MinRequests: 5}))
	bad := func() error {
		req := issue9Req(t, http.MethodGet, srv.RESTURL()+"/common/balance", "")
		req.Header.Set("X-API-KEY", "test_k")
		req.Header.Set("X-Trace", "bad\nvalue") // net/http refuses to write it
		resp, err := rt.RoundTrip(req)
		if err == nil {
			issue9Read(t, resp)
			return errors.New("no error")
		}
		return err
	}
	if err := bad(); err == nil {
		t.Fatal("the invalid request got no error")
	}
	if got := calls.Load(); got != 1 {
		t.Errorf("the invalid request went through the base %d times, want 1 (not retried)", got)
	}
	for range 29 {
		bad()
	}
	if srv.Requests() != 0 {
		t.Errorf("server saw %d requests, want 0", srv.Requests())
	}
	req := issue9Req(t, http.MethodGet, srv.RESTURL()+"/common/balance", "")
	req.Header.Set("X-API-KEY", "test_k")
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatalf("a valid call after 30 invalid ones: %v (the host circuit must not open)", err)
	}
	if body := issue9Read(t, resp); resp.StatusCode != 200 {
		t.Errorf("valid call %d %s", resp.StatusCode, body)
	}
}

// i. Accepted recipients win over a top-level code 11.
func TestIssue9RecipientsWinOverTopLevel11(t *testing.T) {
	var n atomic.Int32
	base := issue9RT(func(r *http.Request) (*http.Response, error) {
		n.Add(1)
		return issue9Response(200, `{"error":11,"result":[{"error":0,"id":"1"},{"error":0,"id":"2"}]}`), nil
	})
	rt := resilient.NewTransport(base, issue9Fast)
	req := issue9Req(t, http.MethodPut, "https://api.test/rest/sms/create", issue9BulkNoRef)
	req.Header.Set("X-API-KEY", "test_k")
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	issue9Read(t, resp)
	out, _ := resilient.OutcomeOf(resp)
	if n.Load() != 1 || out.Class != resilient.ClassSuccess {
		t.Errorf("%d sends, class %v (%+v); want 1 send, success", n.Load(), out.Class, out)
	}
}

// j. A request body without GetBody that never yields: the call returns as
// soon as its context is canceled, with the context's error. In a synctest
// bubble "as soon as" is exact: nothing but the cancel can end the wait.
func TestIssue9StalledBodyCancellation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		base := issue9RT(func(r *http.Request) (*http.Response, error) {
			return issue9Response(200, `{}`), nil
		})
		rt := resilient.NewTransport(base, issue9Fast)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		pr, pw := io.Pipe() // the writer never writes
		defer pw.Close()    // releases the body's reader at the end
		req, err := http.NewRequestWithContext(ctx, http.MethodPut, "https://api.test/rest/sms/create", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Body = pr
		req.Header.Set("X-API-KEY", "test_k")
		type result struct {
			resp *http.Response
			err  error
		}
		done := make(chan result, 1)
		go func() {
			resp, err := rt.RoundTrip(req)
			done <- result{resp, err}
		}()
		synctest.Wait()
		select {
		case r := <-done:
			t.Fatalf("returned before the cancel: %v, %v", statusOf(r.resp), r.err)
		default:
		}
		cancel()
		synctest.Wait()
		select {
		case r := <-done:
			if r.resp != nil {
				r.resp.Body.Close()
			}
			if r.resp != nil || !errors.Is(r.err, context.Canceled) {
				t.Errorf("got %v, %v; want the context's error", statusOf(r.resp), r.err)
			}
		default:
			t.Fatal("RoundTrip still blocked after its context was canceled: it hangs on the body")
		}
	})
}

// k. A referenced create answered 500 while the host circuit opens during
// its back-off: the caller gets the 500 answer. The bubble's clock holds the
// back-off still until the other call has opened the circuit.
func TestIssue9CircuitOpeningDuringBackoffKeepsAnswer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const answer = `{"error":5,"errorDescription":"unknown error"}`
		var n atomic.Int32
		base := issue9RT(func(r *http.Request) (*http.Response, error) {
			n.Add(1)
			return issue9Response(500, answer), nil
		})
		rt := resilient.NewTransport(base, resilient.WithHostCircuit(resilient.HostCircuit{MinRequests: 2}),
			resilient.WithBackoff(resilient.Backoff{Initial: 200 * time.Millisecond, Jitter: -1}))
		type result struct {
			resp *http.Response
			err  error
		}
		done := make(chan result, 1)
		go func() {
			req := issue9Req(t, http.MethodPut, "https://api.test/rest/sms/create", issue9SMSWithRef)
			req.Header.Set("X-API-KEY", "test_a")
			resp, err := rt.RoundTrip(req)
			done <- result{resp, err}
		}()
		synctest.Wait() // the first call has its 500 and backs off
		if n.Load() != 1 {
			t.Fatalf("base saw %d requests before the back-off, want 1", n.Load())
		}
		// Another key's call fails too, and opens the host circuit.
		req := issue9Req(t, http.MethodGet, "https://api.test/rest/common/balance", "")
		req.Header.Set("X-API-KEY", "test_b")
		if resp, err := rt.RoundTrip(req); err == nil {
			issue9Read(t, resp)
		}
		r := <-done
		if r.err != nil {
			t.Fatalf("error %v, want the last (500) answer", r.err)
		}
		body := issue9Read(t, r.resp)
		if r.resp.StatusCode != 500 || body != answer {
			t.Errorf("answer %d %s, want the 500 untouched", r.resp.StatusCode, body)
		}
		if n.Load() != 2 {
			t.Errorf("base saw %d requests, want 2", n.Load())
		}
	})
}

// l. Span status descriptions (and attributes, events) carry no server text.
func TestIssue9SpansHoldNoServerText(t *testing.T) {
	const phone = "35790000001"
	sr := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
	t.Cleanup(func() { tp.Shutdown(context.Background()) })
	srv := notificoretest.Start(t)
	srv.Script(notificoretest.Fault{Code: 21, Description: "invalid phone number " + phone})
	rt := resilient.NewTransport(issue9Base(t), issue9Fast, resilient.WithTracerProvider(tp))
	req := issue9Req(t, http.MethodPut, srv.RESTURL()+"/sms/create", issue9SMSNoRef)
	req.Header.Set("X-API-KEY", "test_k")
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	if body := issue9Read(t, resp); !strings.Contains(body, phone) {
		t.Fatalf("the fault did not answer: %s", body)
	}
	spans := sr.Ended()
	if len(spans) == 0 {
		t.Fatal("no spans recorded")
	}
	for _, s := range spans {
		var texts []string
		texts = append(texts, "status: "+s.Status().Description)
		for _, a := range s.Attributes() {
			texts = append(texts, "attr "+string(a.Key)+"="+a.Value.String())
		}
		for _, ev := range s.Events() {
			texts = append(texts, "event "+ev.Name)
			for _, a := range ev.Attributes {
				texts = append(texts, "event attr "+string(a.Key)+"="+a.Value.String())
			}
		}
		for _, txt := range texts {
			if strings.Contains(txt, phone) {
				t.Errorf("span %q holds the server's text: %s", s.Name(), txt)
			}
		}
	}
}

// m. error.type on http.client.request.duration is bounded.
func TestIssue9UndocumentedCodesShareOneErrorType(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { mp.Shutdown(context.Background()) })
	base := issue9RT(func(r *http.Request) (*http.Response, error) {
		return issue9Response(200, `{"error":`+r.URL.Query().Get("code")+`}`), nil
	})
	rt := resilient.NewTransport(base, issue9Fast, resilient.WithMeterProvider(mp))
	for code := 1000; code < 1300; code++ {
		req := issue9Req(t, http.MethodGet, fmt.Sprint("https://api.test/rest/sms/1?code=", code), "")
		req.Header.Set("X-API-KEY", "test_k")
		resp, err := rt.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		issue9Read(t, resp)
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	types := map[string]bool{}
	found := false
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != "http.client.request.duration" {
				continue
			}
			found = true
			h, ok := m.Data.(metricdata.Histogram[float64])
			if !ok {
				t.Fatalf("duration is a %T", m.Data)
			}
			for _, dp := range h.DataPoints {
				v, _ := dp.Attributes.Value(attribute.Key("error.type"))
				types[v.String()] = true
			}
		}
	}
	if !found {
		t.Fatal("no http.client.request.duration recorded")
	}
	if len(types) != 1 {
		some := []string{}
		for k := range types {
			if len(some) < 5 {
				some = append(some, k)
			}
		}
		t.Errorf("%d error.type values (e.g. %v), want one shared value", len(types), some)
	}
}

// n. OutcomeOf works under an http.Client with a Timeout (net/http wraps the
// body).
func TestIssue9OutcomeOfThroughClientTimeout(t *testing.T) {
	srv := notificoretest.Start(t)
	srv.Script(notificoretest.Fault{Code: 21})
	rt := resilient.NewTransport(issue9Base(t), issue9Fast)
	client := &http.Client{Transport: rt, Timeout: time.Minute}
	req := issue9Req(t, http.MethodPut, srv.RESTURL()+"/sms/create", issue9SMSNoRef)
	req.Header.Set("X-API-KEY", "test_k")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, ok := resilient.OutcomeOf(resp)
	if !ok || out.Code != 21 || out.Class != resilient.ClassPermanent {
		t.Errorf("OutcomeOf = %+v, %v (body %T); want code 21, permanent, true", out, ok, resp.Body)
	}
	if !strings.Contains(issue9Read(t, resp), `"error":21`) {
		t.Error("body lost")
	}
}

// o. {"Error":11} (the key in another case) in an HTTP 200 is transient.
func TestIssue9ErrorKeyInAnotherCaseIsTransient(t *testing.T) {
	var n atomic.Int32
	base := issue9RT(func(r *http.Request) (*http.Response, error) {
		n.Add(1)
		return issue9Response(200, `{"Error":11}`), nil
	})
	rt := resilient.NewTransport(base, issue9Fast, resilient.WithMaxAttempts(3))
	req := issue9Req(t, http.MethodPut, "https://api.test/rest/sms/create", issue9SMSNoRef)
	req.Header.Set("X-API-KEY", "test_k")
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	issue9Read(t, resp)
	out, _ := resilient.OutcomeOf(resp)
	// The first code 11 starts the account's in-flight limit; the two next,
	// refused sends the limit let through, use up no attempt: 3 + 2 sends.
	if n.Load() != 5 || out.Class != resilient.ClassTransient || out.Code != 11 {
		t.Errorf("%d sends, outcome %+v; want 5 sends (retried), transient code 11", n.Load(), out)
	}
}
