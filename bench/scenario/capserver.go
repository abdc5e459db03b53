package scenario

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/resilient-sms/resilient/notificoretest"
)

// code11Body is the fake's answer to a create over its cap, word for word.
const code11Body = `{"error":11,"errorDescription":"maximum number of messages processed simultaneously for sending has been exceeded"}`

// capServer is the server of the capped scenarios: a notificoretest.Server
// behind an observer that times every create and every code 11 answer.
// When the cap never changes it is the fake's own (WithMaxInFlight); when
// it changes during the run the observer holds it, with the fake's rule (a
// create whose messages would put more than the cap in flight is refused at
// once with code 11, nothing of it accepted), since the fake's cap is fixed
// at its start.
type capServer struct {
	fake  *notificoretest.Server
	srv   *httptest.Server
	start time.Time
	own   bool // the observer holds the cap

	cap atomic.Int64

	mu       sync.Mutex
	inflight int             // messages in flight under the observer's cap
	creates  []time.Duration // arrival of every create, since start
	refusals []time.Duration // every code 11 answer, since start
}

func newCapServer(load Load) *capServer {
	s := &capServer{own: len(load.Changes) > 0}
	opts := []notificoretest.Option{notificoretest.WithProcessingTime(load.Processing)}
	if !s.own {
		opts = append(opts, notificoretest.WithMaxInFlight(load.Cap))
	}
	s.cap.Store(int64(load.Cap))
	s.fake = notificoretest.NewServer(opts...)
	inner := s.fake.Handler()
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.serve(w, r, inner)
	}))
	return s
}

func (s *capServer) url() string { return s.srv.URL + "/rest/sms/create" }

func (s *capServer) close() {
	s.srv.Close()
	s.fake.Close()
}

func (s *capServer) serve(w http.ResponseWriter, r *http.Request, inner http.Handler) {
	if !strings.HasSuffix(r.URL.Path, "/create") {
		inner.ServeHTTP(w, r)
		return
	}
	at := time.Since(s.start)
	s.mu.Lock()
	s.creates = append(s.creates, at)
	s.mu.Unlock()
	if s.own {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		n := max(recipientsOf(body), 1)
		s.mu.Lock()
		if s.inflight+n > int(s.cap.Load()) {
			s.refusals = append(s.refusals, at)
			s.mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, code11Body)
			return
		}
		s.inflight += n
		s.mu.Unlock()
		defer func() {
			s.mu.Lock()
			s.inflight -= n
			s.mu.Unlock()
		}()
	}
	cw := &sniffer{ResponseWriter: w}
	inner.ServeHTTP(cw, r)
	if bytes.HasPrefix(cw.head, []byte(`{"error":11,`)) {
		s.mu.Lock()
		s.refusals = append(s.refusals, at)
		s.mu.Unlock()
	}
}

// setCap changes the observer's cap.
func (s *capServer) setCap(n int) { s.cap.Store(int64(n)) }

// sniffer keeps the first bytes of an answer.
type sniffer struct {
	http.ResponseWriter
	head []byte
}

func (c *sniffer) Write(p []byte) (int, error) {
	if len(c.head) < 16 {
		c.head = append(c.head, p[:min(len(p), 16-len(c.head))]...)
	}
	return c.ResponseWriter.Write(p)
}

// recipientsOf counts the "phones" of a bulk create; 0 for a single one.
func recipientsOf(body []byte) int {
	var b struct {
		Phones []json.RawMessage `json:"phones"`
	}
	if json.Unmarshal(body, &b) != nil {
		return 0
	}
	return len(b.Phones)
}

// gate is the oracle's semaphore: weighted by messages, first come first
// served, resized when the cap changes. A create larger than the cap goes
// when nothing is held (the server refuses it anyway).
type gate struct {
	mu    sync.Mutex
	cap   int
	held  int
	queue []*gateWaiter
	drain chan struct{} // closed when held falls to the cap, during a resize
}

type gateWaiter struct {
	w     int
	ready chan struct{}
}

func newGate(n int) *gate { return &gate{cap: n} }

func (g *gate) fits(w int) bool { return g.held == 0 || g.held+w <= g.cap }

func (g *gate) acquire(w int) {
	g.mu.Lock()
	if len(g.queue) == 0 && g.fits(w) {
		g.held += w
		g.mu.Unlock()
		return
	}
	q := &gateWaiter{w: w, ready: make(chan struct{})}
	g.queue = append(g.queue, q)
	g.mu.Unlock()
	<-q.ready
}

func (g *gate) release(w int) {
	g.mu.Lock()
	g.held -= w
	g.wakeLocked()
	g.mu.Unlock()
}

func (g *gate) wakeLocked() {
	for len(g.queue) > 0 && g.fits(g.queue[0].w) {
		q := g.queue[0]
		g.queue = g.queue[1:]
		g.held += q.w
		close(q.ready)
	}
	if g.drain != nil && g.held <= g.cap {
		close(g.drain)
		g.drain = nil
	}
}

// resize sets the cap to n and, when it shrinks, waits until no more than n
// messages are held, so that the server's cap may follow without refusing
// what the oracle let through under the old one.
func (g *gate) resize(n int) {
	g.mu.Lock()
	g.cap = n
	var drain chan struct{}
	if g.held > n {
		drain = make(chan struct{})
		g.drain = drain
	}
	g.wakeLocked()
	g.mu.Unlock()
	if drain != nil {
		<-drain
	}
}

// oracle is the semaphore of exactly the cap in front of the bare
// transport: it knows what the others must learn.
type oracle struct {
	g    *gate
	base http.RoundTripper
}

type weightKey struct{}

func (o oracle) RoundTrip(req *http.Request) (*http.Response, error) {
	w, _ := req.Context().Value(weightKey{}).(int)
	w = max(w, 1)
	o.g.acquire(w)
	defer o.g.release(w)
	return o.base.RoundTrip(req)
}
