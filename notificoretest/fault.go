package notificoretest

import (
	"maps"
	"net/http"
	"strings"
	"time"
)

// Shape selects the JSON layout of a Fault's error body.
type Shape int

const (
	// ShapeTop is the top-level API 1.0 error:
	// {"error":N,"errorDescription":"..."}. It is the zero Shape.
	ShapeTop Shape = iota
	// ShapeWrapped is the error wrapped the way a single SMS create answers:
	// {"result":{"error":N,"errorDescription":"..."}}.
	ShapeWrapped
	// ShapeAPI2 is the older API 2.0 error layout, which real deployments
	// still send: {"errors":[{"message":"..."}]}, with the Fault's
	// Description as the message.
	ShapeAPI2
	// ShapeAPI2Message is the API 2.0 error of the published spec, the one
	// the server itself answers with: {"message":"...","errors":[]}, with
	// the Fault's Description as the message.
	ShapeAPI2Message
	// ShapeAPI2Fields is the API 2.0 validation error of the published
	// spec: {"message":"The given data was invalid.","errors":{"<Field>":
	// ["<Description>"]}}. Field defaults to "phones.0.number" and
	// Description to "The <Field> is invalid.".
	ShapeAPI2Fields
)

// Reset selects whether, and when, a Fault drops the connection instead of
// answering.
type Reset int

const (
	// ResetNone answers normally. It is the zero Reset.
	ResetNone Reset = iota
	// ResetBeforeBody closes the connection with a TCP RST as soon as the
	// request headers are in, before the body is read: nothing is
	// processed and nothing is accepted. (A fault scoped by APIKey to a
	// login is matched against the api_key in the login's body, so it
	// resets after reading that body, still before processing it.)
	ResetBeforeBody
	// ResetAfterProcessing reads the body and processes the request
	// normally (its messages are accepted), then closes the connection with
	// a TCP RST instead of answering. The client sees an error although the
	// server did the work.
	ResetAfterProcessing
)

// Fault is one scripted misbehaviour of a Server, queued with Server.Script.
// The zero Fault matches any request and answers it normally.
//
// A fault replaces the normal answer, and the request is not processed, when
// it has a Body, a non-zero Code, a Description with one of the API 2.0
// shapes, a Field with ShapeAPI2Fields, or a Status of 300 or more.
// Otherwise the request is processed normally and the fault only adjusts the
// answer: Status (if set) replaces the status, Header and RetryAfter are
// added, CodeString turns every API 1.0 error code in the body into a
// string, and Recipients overrides per-recipient results of an API 1.0
// create.
//
// Faults form a queue, and only its head can match a request: a fault whose
// Path, Method or APIKey no request ever matches stays at the head and
// holds back every fault queued after it. Server.Pending shows what is still
// queued.
type Fault struct {
	// Path limits the fault to requests whose URL path ends with it, such as
	// "/sms/create" or "/campaigns/sms/send". "" matches any path.
	Path string
	// Method limits the fault to requests with this HTTP method, such as
	// "POST" (compared without regard to case). "" matches any method.
	Method string
	// APIKey limits the fault to requests of one account: an API 1.0
	// request whose X-API-KEY header is APIKey, an API 2.0 request whose
	// bearer token was issued for APIKey, or an API 2.0 login whose body
	// carries "api_key": APIKey. "" matches any request.
	APIKey string
	// Status is the HTTP status to answer with; 0 means the status of the
	// normal answer (200 for a replaced one). A Status of 300 or more with
	// no Code and no Body answers a small HTML page for that status (with
	// an API 2.0 shape: an API 2.0 error with the status text).
	Status int
	// Code is the API 1.0 error code to answer in the body; 0 means none.
	Code int
	// CodeString writes error codes as JSON strings ("11") rather than
	// numbers, in a replaced answer and in a normal API 1.0 one alike.
	CodeString bool
	// Description is the errorDescription (API 2.0 shapes: the message, or
	// with ShapeAPI2Fields the field's message). The default is the
	// published description of Code, or else the status text.
	Description string
	// Field is the field that ShapeAPI2Fields reports, such as
	// "phones.0.reference_id"; the default is "phones.0.number". Other
	// shapes ignore it.
	Field string
	// Shape is the layout of the error body.
	Shape Shape
	// Recipients maps the index of a recipient in an API 1.0 create request
	// (SMS phones, Viber recipients in order across messages, HLR items) to
	// the code that recipient gets. Listed recipients are not accepted; the
	// others are processed normally, and the answer keeps its normal shape.
	// For a single SMS, index 0 turns the answer into a top-level error.
	// A code of 0 leaves that recipient alone. API 2.0 sends ignore it.
	Recipients map[int]int
	// RetryAfter, if set, is sent verbatim as the Retry-After header.
	RetryAfter string
	// Header holds extra response headers.
	Header http.Header
	// Body, if set, is sent verbatim as the response body (an HTML error
	// page, truncated JSON, ...). It overrides Code and Shape. Its
	// Content-Type is application/json when it starts with '{' or '[' and
	// is sniffed otherwise, unless Header sets one.
	Body string
	// Delay is how long to wait, on the server's Clock, before answering
	// (or resetting). A normal answer is computed first, so a delayed
	// request is still processed; the wait ends early if the client goes
	// away or the server is closed, and the answer is then dropped.
	Delay time.Duration
	// Reset drops the connection instead of answering; see Reset.
	Reset Reset
}

// Script appends faults to the server's queue. Each incoming request that
// matches the fault at the head of the queue (its Path, Method and APIKey)
// consumes it and is answered as that fault says; a request that does not
// match leaves the queue alone and is answered normally.
//
// Beware: only the head can match. A head fault that no request matches
// holds every later fault back, however well those would match. Use Pending
// to see the queue. Script is safe to call while requests are being served.
func (s *Server) Script(faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range faults {
		s.faults = append(s.faults, f.clone())
	}
}

// clone returns f with its own copies of Header and Recipients.
func (f Fault) clone() Fault {
	f.Header = f.Header.Clone()
	if f.Recipients != nil {
		f.Recipients = maps.Clone(f.Recipients)
	}
	return f
}

// target is what a fault is matched against.
type target struct {
	path, method string
	key          string
	keyKnown     bool // false: faults with an APIKey cannot match yet
}

// matches reports whether f applies to a request described by t.
func (f *Fault) matches(t target) bool {
	if !strings.HasSuffix(t.path, f.Path) {
		return false
	}
	if f.Method != "" && !strings.EqualFold(f.Method, t.method) {
		return false
	}
	return f.APIKey == "" || (t.keyKnown && f.APIKey == t.key)
}

// popFaultLocked removes and returns the head fault if it matches t.
// The caller holds s.mu.
func (s *Server) popFaultLocked(t target) *Fault {
	if len(s.faults) == 0 || !s.faults[0].matches(t) {
		return nil
	}
	f := s.faults[0]
	s.faults[0] = Fault{}
	s.faults = s.faults[1:]
	return &f
}
