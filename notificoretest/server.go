package notificoretest

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"
)

// Server is a fake Notificore API served by an httptest.Server on a loopback
// address. API 1.0 is under URL+"/rest" and API 2.0 under URL+"/api".
//
// A Server is built and started by NewServer; the zero Server is not usable.
// All its methods are safe for concurrent use, also while requests are being
// served. Call Close when done with it.
type Server struct {
	// URL is the root of the server, such as "http://127.0.0.1:PORT",
	// without a trailing slash.
	URL string

	ts        *httptest.Server
	done      chan struct{} // closed by Close: ends every wait
	closeOnce sync.Once

	mu          sync.Mutex
	open        bool // no key was registered: every non-empty key is valid
	accounts    map[string]*account
	tokens      map[string]string // API 2.0 bearer token -> API key
	faults      []Fault
	log         []Received
	records     []*record
	requests    int
	lastID      int
	lastTask    int
	inFlight    int
	maxInFlight int
	processing  time.Duration
	onInFlight  func(n int) // test hook, called with s.mu held
	onHandled   func()      // test hook, called when a handler returns
}

// Received is one request as the server saw it, recorded by Server.Log.
type Received struct {
	Method string
	// Path is the URL path, such as "/rest/sms/create".
	Path string
	// APIKey is the raw X-API-KEY header.
	APIKey string
	// Authorization is the raw Authorization header.
	Authorization string
	// Body is the request body as read; nil when it was empty or was not
	// read (a ResetBeforeBody fault).
	Body []byte
	// Header is a copy of every request header, such as a propagated
	// Traceparent.
	Header http.Header
	// Fault is true when the request consumed a scripted Fault.
	Fault bool
}

// Message is one message the server accepted, recorded by Server.Messages.
type Message struct {
	// Kind is "sms", "viber" or "hlr".
	Kind string
	// ID is the id the server gave the message: a decimal number, larger
	// for every message accepted later.
	ID string
	// Reference is the client's reference; "" when none was given.
	Reference string
	// MSISDN is the phone number as sent.
	MSISDN string
	// APIKey is the key of the account that sent the message.
	APIKey string
}

// NewServer starts and returns a fake Notificore API configured by opts.
// The caller must call Close when done with it.
func NewServer(opts ...Option) *Server {
	var c config
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	s := &Server{
		done:        make(chan struct{}),
		open:        len(c.accounts) == 0,
		accounts:    c.accounts,
		tokens:      make(map[string]string),
		maxInFlight: c.maxInFlight,
		processing:  c.processing,
	}
	if s.accounts == nil {
		s.accounts = make(map[string]*account)
	}
	s.ts = httptest.NewUnstartedServer(http.HandlerFunc(s.serveHTTP))
	s.ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	s.ts.Start()
	s.URL = s.ts.URL
	return s
}

// Close shuts the server down: it ends every wait in progress (Delay,
// processing time), closes every connection, and returns once every
// goroutine the server started has ended. Creates still being processed are
// dropped. Close may be called more than once. After Close, the inspection
// methods (Requests, Accepted, Log, Messages) still report what happened.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.done)
		_ = s.ts.Listener.Close()
		s.ts.CloseClientConnections()
		s.ts.Close()
	})
}

// RESTURL returns the base URL of API 1.0: URL + "/rest".
func (s *Server) RESTURL() string { return s.URL + "/rest" }

// Client returns an HTTP client configured for the server. Its idle
// connections are closed by Close.
func (s *Server) Client() *http.Client { return s.ts.Client() }

// Requests returns the number of requests received so far, on every path,
// including those answered by a fault.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// Accepted returns the number of messages accepted so far: SMS, Viber
// recipients and HLR requests, over every account and both APIs.
func (s *Server) Accepted() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.records)
}

// InFlight returns the number of messages being processed right now (see
// WithProcessingTime).
func (s *Server) InFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inFlight
}

// Log returns a copy of every request received so far, in arrival order.
func (s *Server) Log() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Received, len(s.log))
	for i, r := range s.log {
		r.Body = append([]byte(nil), r.Body...)
		r.Header = r.Header.Clone()
		if len(r.Body) == 0 {
			r.Body = nil
		}
		out[i] = r
	}
	return out
}

// Messages returns a copy of every message accepted so far, in the order
// they were accepted.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, len(s.records))
	for i, r := range s.records {
		out[i] = r.Message
	}
	return out
}

// wait waits for d, and reports false if the client went away or the server
// was closed first.
func (s *Server) wait(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
	case <-s.done:
	}
	return false
}
