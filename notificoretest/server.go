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
// address. API 1.0 is under URL+"/rest" (RESTURL) and API 2.0 under
// URL+"/api" (API2URL).
//
// A Server is built and started by NewServer, NewTLSServer, Start or
// StartTLS; the zero Server is not usable. All its methods are safe for
// concurrent use, also while requests are being served. Call Close when done
// with it (Start and StartTLS do so through the test's cleanup).
type Server struct {
	// URL is the root of the server, such as "http://127.0.0.1:PORT" (or
	// "https://..." for NewTLSServer), without a trailing slash.
	URL string

	ts        *httptest.Server
	done      chan struct{} // closed by Close: ends every wait
	closeOnce sync.Once

	// Set by NewServer and never changed.
	clock        Clock
	opaqueTokens bool
	dupWindow    time.Duration
	refReject    *reply

	mu          sync.Mutex
	open        bool // no key was registered: every non-empty key is valid
	accounts    map[string]*account
	tokens      map[string]token // API 2.0 bearer token -> what it stands for
	faults      []Fault
	log         []Received
	records     []*record
	requests    int
	lastID      int
	lastTask    int
	lastAccount int
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
	// Kind is "sms", "viber" or "hlr" for API 1.0; "sms", "viber" or
	// "otp" for API 2.0 (a /api/messages/send whose first channel is
	// "rcs", "voice" or "telegram" has that channel as its Kind).
	Kind string
	// ID is the id the server gave the message: a decimal number, larger
	// for every message accepted later; for an OTP, the UUID its answer
	// carries.
	ID string
	// Reference is the client's reference (API 1.0 "reference", API 2.0
	// "reference_id"); "" when none was given. An OTP has none.
	Reference string
	// MSISDN is the phone number as sent.
	MSISDN string
	// APIKey is the key of the account that sent the message.
	APIKey string
}

// NewServer starts and returns a fake Notificore API on a plain HTTP
// loopback address, configured by opts. The caller must call Close when done
// with it.
func NewServer(opts ...Option) *Server {
	s := newServer(opts)
	s.ts.Start()
	s.URL = s.ts.URL
	return s
}

// NewTLSServer is like NewServer but serves HTTPS, with the self-signed
// certificate of httptest. Client returns a client that trusts it.
func NewTLSServer(opts ...Option) *Server {
	s := newServer(opts)
	s.ts.StartTLS()
	s.URL = s.ts.URL
	return s
}

// newServer builds a Server and its unstarted httptest.Server.
func newServer(opts []Option) *Server {
	var c config
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	s := &Server{
		done:         make(chan struct{}),
		clock:        c.clock,
		opaqueTokens: c.opaqueTokens,
		dupWindow:    c.dupWindow,
		refReject:    c.refReject,
		open:         len(c.accounts) == 0,
		accounts:     c.accounts,
		tokens:       make(map[string]token),
		maxInFlight:  c.maxInFlight,
		processing:   c.processing,
	}
	if s.clock == nil {
		s.clock = wallClock{}
	}
	if s.accounts == nil {
		s.accounts = make(map[string]*account)
	}
	for _, key := range c.order {
		s.numberLocked(s.accounts[key])
	}
	s.ts = httptest.NewUnstartedServer(s.Handler())
	s.ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	return s
}

// Handler returns the fake API as an http.Handler, for mounting in a server
// of your own (use http.StripPrefix to serve it under a prefix). It serves
// /rest/... and /api/... and shares all state with s: accounts, faults, the
// log. Close still ends its waits, but closes only s's own listener and
// connections.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

// Close shuts the server down: it ends every wait in progress (Delay,
// processing time), closes every connection, and returns once every
// goroutine the server started has ended. Creates still being processed are
// dropped. Close may be called more than once. After Close, the inspection
// methods (Requests, Accepted, Log, Messages, Pending) still report what
// happened.
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

// API2URL returns the base URL of API 2.0: URL + "/api". Paths of the
// published API 2.0 spec, such as "/api/auth/login", are under URL, so a
// client given API2URL appends "/auth/login".
func (s *Server) API2URL() string { return s.URL + "/api" }

// Client returns an HTTP client configured for the server; for a server
// built by NewTLSServer or StartTLS it trusts the server's certificate. Its
// idle connections are closed by Close.
func (s *Server) Client() *http.Client { return s.ts.Client() }
