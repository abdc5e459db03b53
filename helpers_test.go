package resilient

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/resilient-sms/resilient/notificoretest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// fakeClock stands in for the wall clock: waits end at once (or, when
// block is set, only on the context), and every wait asked for is recorded.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waits   []time.Duration
	block   bool
	blocked []chan time.Time   // the waits block holds, until Release
	waiting chan time.Duration // receives each wait when set
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func (c *fakeClock) After(d time.Duration) (<-chan time.Time, func() bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waits = append(c.waits, d)
	ch := make(chan time.Time, 1)
	if c.waiting != nil {
		c.waiting <- d
	}
	if !c.block {
		c.now = c.now.Add(d)
		ch <- c.now
	} else {
		c.blocked = append(c.blocked, ch)
	}
	return ch, func() bool { return true }
}

// Release ends every wait that block holds, without moving the time.
func (c *fakeClock) Release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, ch := range c.blocked {
		ch <- c.now
	}
	c.blocked = nil
}

func (c *fakeClock) Waits() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.waits...)
}

const testKey = "test_key1"

// send makes one call through rt with X-API-KEY set.
func send(t *testing.T, rt http.RoundTripper, method, url, body string) (*http.Response, error) {
	t.Helper()
	return sendCtx(t, context.Background(), rt, method, url, body, testKey)
}

func sendCtx(t *testing.T, ctx context.Context, rt http.RoundTripper, method, url, body, key string) (*http.Response, error) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = bytes.NewBufferString(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("X-API-KEY", key)
	}
	return (&http.Client{Transport: rt}).Do(req)
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading body: %v", err)
	}
	return string(b)
}

func newServer(t *testing.T, opts ...notificoretest.Option) *notificoretest.Server {
	t.Helper()
	s := notificoretest.NewServer(opts...)
	t.Cleanup(s.Close)
	return s
}

// baseTransport is a fresh http.Transport whose idle connections close with
// the test.
func baseTransport(t *testing.T) *http.Transport {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return tr
}

// response returns an answer with status and body, for fake base
// transports; hdr holds header names and values in turn.
func response(status int, body string, hdr ...string) *http.Response {
	h := http.Header{"Content-Type": {"application/json"}}
	for i := 0; i+1 < len(hdr); i += 2 {
		h.Set(hdr[i], hdr[i+1])
	}
	return &http.Response{StatusCode: status, Status: http.StatusText(status), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: h, Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body))}
}

// newCall returns a request with the test's context, body and X-API-KEY.
func newCall(t *testing.T, method, url, body, key string) *http.Request {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("X-API-KEY", key)
	}
	return req
}

// classifyRead is classifyResponse with the recipients of a pending outcome
// read, as OutcomeOf hands them back.
func (rs *ruleSet) classifyRead(status int, body []byte, unread bool) (Outcome, Rule) {
	o, r := rs.classifyResponse(status, body, unread)
	rb := responseBody{outcome: o, bulk: body}
	return rb.final(), r
}
