package notificoretest

import (
	"bytes"
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
	// ShapeAPI2 is the API 2.0 error: {"errors":[{"message":"..."}]}, with
	// the Fault's Description as the message.
	ShapeAPI2
)

// Reset selects whether, and when, a Fault drops the connection instead of
// answering.
type Reset int

const (
	// ResetNone answers normally. It is the zero Reset.
	ResetNone Reset = iota
	// ResetBeforeBody closes the connection with a TCP RST as soon as the
	// request headers are in, before the body is read: nothing is
	// processed and nothing is accepted.
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
// it has a Body, a non-zero Code, a Description with ShapeAPI2, or a Status
// of 300 or more. Otherwise the request is processed normally and the fault
// only adjusts the answer: Status (if set) replaces the status, Header and
// RetryAfter are added, CodeString turns every error code in the body into
// a string, and Recipients overrides per-recipient results of a create.
type Fault struct {
	// Path limits the fault to requests whose URL path ends with it, such as
	// "/sms/create". "" matches any request.
	Path string
	// Status is the HTTP status to answer with; 0 means the status of the
	// normal answer (200 for a replaced one). A Status of 300 or more with
	// no Code and no Body answers a small HTML page for that status
	// (ShapeAPI2: an API 2.0 error with the status text).
	Status int
	// Code is the API 1.0 error code to answer in the body; 0 means none.
	Code int
	// CodeString writes error codes as JSON strings ("11") rather than
	// numbers, in a replaced answer and in a normal one alike.
	CodeString bool
	// Description is the errorDescription (ShapeAPI2: the message). The
	// default is the published description of Code.
	Description string
	// Shape is the layout of the error body.
	Shape Shape
	// Recipients maps the index of a recipient in a create request (SMS
	// phones, Viber recipients in order across messages, HLR items) to the
	// code that recipient gets. Listed recipients are not accepted; the
	// others are processed normally, and the answer keeps its normal shape.
	// For a single SMS, index 0 turns the answer into a top-level error.
	// A code of 0 leaves that recipient alone.
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
	// Delay is how long to wait before answering (or resetting). A normal
	// answer is computed first, so a delayed request is still processed;
	// the wait ends early if the client goes away or the server is closed,
	// and the answer is then dropped.
	Delay time.Duration
	// Reset drops the connection instead of answering; see Reset.
	Reset Reset
}

// Script appends faults to the server's queue. Each incoming request whose
// path matches the fault at the head of the queue consumes it and is
// answered as that fault says; a request that does not match leaves the
// queue alone and is answered normally. Script is safe to call while
// requests are being served.
func (s *Server) Script(faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range faults {
		f.Header = f.Header.Clone()
		if f.Recipients != nil {
			r := make(map[int]int, len(f.Recipients))
			for k, v := range f.Recipients {
				r[k] = v
			}
			f.Recipients = r
		}
		s.faults = append(s.faults, f)
	}
}

// popFaultLocked removes and returns the head fault if it matches path.
// The caller holds s.mu.
func (s *Server) popFaultLocked(path string) *Fault {
	if len(s.faults) == 0 || !strings.HasSuffix(path, s.faults[0].Path) {
		return nil
	}
	f := s.faults[0]
	s.faults[0] = Fault{}
	s.faults = s.faults[1:]
	return &f
}

// replaces reports whether f answers by itself instead of the normal answer.
func (f *Fault) replaces() bool {
	return f.Body != "" || f.Code != 0 || f.Status >= 300 ||
		(f.Shape == ShapeAPI2 && f.Description != "")
}

// answer builds the answer of a fault that replaces the normal one.
func (f *Fault) answer() reply {
	status := f.Status
	if status == 0 {
		status = http.StatusOK
	}
	if f.Body != "" {
		ct := "application/json"
		if t := bytes.TrimSpace([]byte(f.Body)); len(t) == 0 || (t[0] != '{' && t[0] != '[') {
			ct = http.DetectContentType([]byte(f.Body))
		}
		return reply{status: status, header: http.Header{"Content-Type": {ct}}, body: []byte(f.Body)}
	}
	desc := f.Description
	if desc == "" {
		desc = describe(f.Code)
	}
	if f.Shape == ShapeAPI2 {
		if desc == "" || (f.Code == 0 && f.Description == "") {
			desc = http.StatusText(status)
		}
		return api2Error(status, desc)
	}
	if f.Code == 0 {
		return htmlReply(status)
	}
	top := topError{Error: code{n: f.Code, str: f.CodeString}, Description: desc}
	if f.Shape == ShapeWrapped {
		return jsonReply(status, wrappedError{Result: top})
	}
	return jsonReply(status, top)
}

// adjust applies the fault's status and headers to an answer.
func (f *Fault) adjust(r reply) reply {
	if f == nil {
		return r
	}
	if r.header == nil {
		r.header = make(http.Header)
	}
	if f.Status != 0 && !f.replaces() {
		r.status = f.Status
	}
	for k, v := range f.Header {
		r.header[http.CanonicalHeaderKey(k)] = append([]string(nil), v...)
	}
	if f.RetryAfter != "" {
		r.header.Set("Retry-After", f.RetryAfter)
	}
	return r
}
