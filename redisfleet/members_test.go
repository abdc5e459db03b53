package redisfleet

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/resilient-sms/resilient"
	"github.com/resilient-sms/resilient/notificoretest"
)

// The helpers of the tests that run the Fleet under real Transports, as an
// application does: every member of a fleet has its own Fleet (its own
// Redis connections) and a Transport over it, sending real messages to the
// fake Notificore API.

// member is one instance of a fleet.
type member struct {
	name   string
	fleet  *Fleet
	client *http.Client
	wire   *wireLog
	events *circuitLog
}

// newMember puts a Transport over f, with a circuit listener and a log of
// what it sends, and code 8 opening the account for openFor.
func newMember(t testing.TB, f *Fleet, openFor time.Duration, opts ...resilient.Option) *member {
	t.Helper()
	base := &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: time.Minute}
	t.Cleanup(base.CloseIdleConnections)
	w := newWireLog(f.Instance(), base)
	ev := newCircuitLog()
	opts = append([]resilient.Option{
		resilient.WithFleet(f),
		resilient.WithCircuitListener(ev.add),
		resilient.WithCodeRule(8, resilient.Rule{Class: resilient.ClassAccount, OpenFor: openFor}),
	}, opts...)
	return &member{name: f.Instance(), fleet: f, wire: w, events: ev,
		client: &http.Client{Transport: resilient.NewTransport(w, opts...)}}
}

// threeMembers makes members a, b and c, each over a Fleet of its own on
// addr made with opts, and waits until the three Fleets have loaded.
func threeMembers(t testing.TB, addr string, openFor time.Duration, opts ...Option) []*member {
	t.Helper()
	var members []*member
	for _, name := range []string{"a", "b", "c"} {
		members = append(members, newMember(t, newFleet(t, addr, name, opts...), openFor))
	}
	waitLoaded(t, fleetsOf(members)...)
	return members
}

// reply is what a caller was told.
type reply struct {
	ref      string
	at       time.Time // when the call began
	id       string    // the id of the accepted message
	code     int       // the answer's API 1.0 code
	status   int
	failFast *resilient.CircuitOpenError
	err      error
	took     time.Duration
}

func (r reply) accepted() bool { return r.err == nil && r.failFast == nil && r.code == 0 && r.id != "" }

func (r reply) String() string {
	switch {
	case r.failFast != nil:
		return "failed fast: " + r.failFast.Error()
	case r.err != nil:
		return "error: " + r.err.Error()
	}
	return fmt.Sprintf("HTTP %d, code %d, id %q", r.status, r.code, r.id)
}

// phone and text are what every test message carries: neither may reach
// Redis.
const (
	testPhone = "+37060012345"
	testText  = "Your code is 482913"
)

// send sends one SMS with reference ref through m's Transport.
func (m *member) send(ctx context.Context, srv *notificoretest.Server, key, ref string) reply {
	body := fmt.Sprintf(`{"destination":"phone","originator":"Shop","body":%q,"msisdn":%q,"reference":%q}`, testText, testPhone, ref)
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, srv.RESTURL()+"/sms/create", strings.NewReader(body))
	if err != nil {
		return reply{ref: ref, err: err}
	}
	req.Header.Set("X-API-KEY", key)
	start := time.Now()
	resp, err := m.client.Do(req)
	r := reply{ref: ref, at: start}
	if err != nil {
		r.took = time.Since(start)
		if !errors.As(err, &r.failFast) {
			r.err = err
		}
		return r
	}
	b, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	r.took, r.status, r.err = time.Since(start), resp.StatusCode, err
	var v struct {
		Error  int `json:"error"`
		Result struct {
			Error int    `json:"error"`
			ID    string `json:"id"`
		} `json:"result"`
	}
	if err := json.Unmarshal(b, &v); err != nil && r.err == nil {
		r.err = fmt.Errorf("answer %s: %w", b, err)
	}
	r.code, r.id = v.Error, v.Result.ID
	if r.code == 0 {
		r.code = v.Result.Error
	}
	return r
}

// wireLog is the base of a member's Transport: it records every request
// that left for the server, when, and what came back.
type wireLog struct {
	instance string
	base     http.RoundTripper
	mu       sync.Mutex
	sent     []sent
	watchers []chan struct{}
}

// sent is one request that reached the server.
type sent struct {
	instance   string
	key        string
	path       string
	start, end time.Time
	code       int // the API 1.0 code of the answer; -1 without one
}

func newWireLog(instance string, base http.RoundTripper) *wireLog {
	return &wireLog{instance: instance, base: base}
}

// watch has ch signalled after every request.
func (w *wireLog) watch(ch chan struct{}) {
	w.mu.Lock()
	w.watchers = append(w.watchers, ch)
	w.mu.Unlock()
}

func (w *wireLog) RoundTrip(req *http.Request) (*http.Response, error) {
	s := sent{instance: w.instance, key: req.Header.Get("X-API-KEY"), path: req.URL.Path, start: time.Now(), code: -1}
	resp, err := w.base.RoundTrip(req)
	if err == nil {
		var b []byte
		b, err = io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(b))
		s.code = apiCode(b)
		if err != nil {
			resp = nil
		}
	}
	s.end = time.Now()
	w.mu.Lock()
	w.sent = append(w.sent, s)
	watchers := w.watchers
	w.mu.Unlock()
	for _, ch := range watchers {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
	return resp, err
}

func (w *wireLog) all() []sent {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.sent)
}

// apiCode reads the API 1.0 code of an answer: the top-level one, else the
// single result's; -1 when there is neither.
func apiCode(b []byte) int {
	var v struct {
		Error  json.RawMessage `json:"error"`
		Result struct {
			Error json.RawMessage `json:"error"`
		} `json:"result"`
	}
	if json.Unmarshal(b, &v) != nil {
		return -1
	}
	code := -1
	for _, raw := range []json.RawMessage{v.Error, v.Result.Error} {
		if n, err := strconv.Atoi(strings.Trim(string(raw), `"`)); err == nil && (n != 0 || code < 0) {
			code = n
		}
	}
	return code
}

// sentTo returns what every member sent with key, by time of sending.
func sentTo(key string, members ...*member) []sent {
	var out []sent
	for _, m := range members {
		for _, s := range m.wire.all() {
			if s.key == key {
				out = append(out, s)
			}
		}
	}
	slices.SortFunc(out, func(a, b sent) int { return a.start.Compare(b.start) })
	return out
}

// circuitLog records the account-circuit changes a Transport reports.
type circuitLog struct {
	mu     sync.Mutex
	evs    []seenEvent
	notify chan struct{}
}

type seenEvent struct {
	resilient.CircuitEvent
	seen time.Time
}

func newCircuitLog() *circuitLog { return &circuitLog{notify: make(chan struct{}, 1)} }

func (l *circuitLog) add(ev resilient.CircuitEvent) {
	if ev.Scope != resilient.ScopeAccount {
		return
	}
	now := time.Now()
	l.mu.Lock()
	l.evs = append(l.evs, seenEvent{ev, now})
	l.mu.Unlock()
	select {
	case l.notify <- struct{}{}:
	default:
	}
}

func (l *circuitLog) all() []seenEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.evs)
}

// wait waits until an event after since satisfies match and returns the
// first such.
func (l *circuitLog) wait(t testing.TB, within time.Duration, what string, since time.Time, match func(seenEvent) bool) seenEvent {
	t.Helper()
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	for {
		for _, ev := range l.all() {
			if !ev.seen.Before(since) && match(ev) {
				return ev
			}
		}
		select {
		case <-l.notify:
		case <-deadline.C:
			t.Fatalf("no %s within %v; saw %+v", what, within, l.all())
		}
	}
}

// opened and closed match the events of an account circuit opening and
// closing, because of the fact of instance (or of a call of its own, "").
func opened(instance string, code int) func(seenEvent) bool {
	return func(ev seenEvent) bool {
		return ev.To == resilient.StateOpen && ev.Instance == instance && ev.Code == code
	}
}

func closed(instance string) func(seenEvent) bool {
	return func(ev seenEvent) bool { return ev.To == resilient.StateClosed && ev.Instance == instance }
}

// waitFor waits on notify until cond holds, for state of this process that
// signals its changes.
func waitFor(t testing.TB, within time.Duration, what string, notify <-chan struct{}, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	for !cond() {
		select {
		case <-notify:
		case <-deadline.C:
			t.Fatalf("%s did not happen within %v", what, within)
		}
	}
}

// ledger is what the callers of a run were told, to hold against what the
// server accepted.
type ledger struct {
	mu      sync.Mutex
	replies []reply
}

func (l *ledger) add(r reply) {
	l.mu.Lock()
	l.replies = append(l.replies, r)
	l.mu.Unlock()
}

func (l *ledger) all() []reply {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.replies)
}

// checkMessages holds the server's messages of key against what the callers
// were told: every message accepted once, under the id its caller got, and
// nothing accepted that a caller was told was not (a fail-fast, an error
// code, or an error).
func checkMessages(t testing.TB, srv *notificoretest.Server, key string, replies []reply) (accepted int) {
	t.Helper()
	told := map[string]reply{}
	for _, r := range replies {
		if _, dup := told[r.ref]; dup {
			t.Fatalf("reference %s used twice by the test", r.ref)
		}
		told[r.ref] = r
	}
	seen := map[string]bool{}
	for _, m := range srv.Messages() {
		if m.APIKey != key {
			continue
		}
		if seen[m.Reference] {
			t.Errorf("message %s accepted twice", m.Reference)
		}
		seen[m.Reference] = true
		r, ok := told[m.Reference]
		switch {
		case !ok:
			t.Errorf("the server accepted %s, which no caller sent", m.Reference)
		case !r.accepted():
			t.Errorf("the server accepted %s (id %s), but its caller was told %v", m.Reference, m.ID, r)
		case r.id != m.ID:
			t.Errorf("the server accepted %s as id %s, its caller was told id %s", m.Reference, m.ID, r.id)
		}
	}
	for ref, r := range told {
		if r.accepted() {
			accepted++
			if !seen[ref] {
				t.Errorf("%s was lost: its caller was told it was accepted (id %s), the server has no such message", ref, r.id)
			}
		}
	}
	return accepted
}

// crowd is callers sending through members until stopped: n per member,
// each sending one SMS after the other with key, references unique, and
// pausing a millisecond after a fail-fast (a sender's pace, not a busy
// loop).
type crowd struct {
	stopping atomic.Bool
	wg       sync.WaitGroup
	book     ledger
}

func startCrowd(srv *notificoretest.Server, key string, n int, members ...*member) *crowd {
	c := &crowd{}
	for _, m := range members {
		for g := range n {
			c.wg.Add(1)
			go func() {
				defer c.wg.Done()
				for i := 0; !c.stopping.Load(); i++ {
					r := m.send(context.Background(), srv, key, fmt.Sprintf("%s%dn%d", m.name, g, i))
					c.book.add(r)
					if r.failFast != nil {
						time.Sleep(time.Millisecond)
					}
				}
			}()
		}
	}
	return c
}

// stop stops the callers and waits for them: a call that does not return
// within the watchdog fails the test, which is how a call blocked on Redis
// shows.
func (c *crowd) stop(t testing.TB) []reply {
	t.Helper()
	c.stopping.Store(true)
	done := make(chan struct{})
	go func() { c.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("a call did not return within 30 s")
	}
	return c.book.all()
}

func fleetsOf(members []*member) []*Fleet {
	var out []*Fleet
	for _, m := range members {
		out = append(out, m.fleet)
	}
	return out
}
