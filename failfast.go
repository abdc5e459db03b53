package resilient

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ErrCircuitOpen is the errors.Is target of every fail-fast: RoundTrip
// returned without network I/O because a circuit of the call is open.
var ErrCircuitOpen = errors.New("resilient: circuit open")

// FailFastHeader marks an answer that WithFailFastAnswers synthesized
// locally; its value is the scope of the open circuit.
const FailFastHeader = "X-Resilient-Fail-Fast"

// CircuitOpenError is the error of a fail-fast. errors.Is(err,
// ErrCircuitOpen) holds for it, also through the *url.Error of
// http.Client.Do, and errors.As finds it there. The calls stopped by one
// opening of a circuit share one CircuitOpenError: treat it as read-only.
type CircuitOpenError struct {
	// Scope is the circuit's scope: ScopeAccount or ScopeHost.
	Scope Scope
	// Host is the host the circuit guards.
	Host string
	// Class, Code and StatusCode describe the outcome that opened the
	// circuit, and Description with the code's published description or
	// the documented API 2.0 message; never other server text.
	Class       Class
	Code        int
	Description string
	StatusCode  int
	// Until is when the circuit lets a probe through. It is zero while a
	// probe is in flight (half-open).
	Until time.Time
	// Instance names the fleet instance that saw the answer (see Fleet);
	// "" when this Transport saw it.
	Instance string
}

// Error says which circuit is open, what opened it and until when.
func (e *CircuitOpenError) Error() string {
	var b strings.Builder
	b.WriteString("resilient: " + string(e.Scope) + " circuit open")
	if e.Host != "" {
		b.WriteString(" for " + e.Host)
	}
	switch {
	case e.Code != 0:
		b.WriteString(" (code " + strconv.Itoa(e.Code))
		if e.Description != "" {
			b.WriteString(": " + e.Description)
		}
		b.WriteString(")")
	case e.Description != "":
		b.WriteString(" (" + e.Description + ")")
	case e.StatusCode != 0:
		b.WriteString(" (HTTP " + strconv.Itoa(e.StatusCode) + ")")
	}
	if e.Until.IsZero() {
		b.WriteString(", probe in flight")
	} else {
		b.WriteString(" until " + e.Until.UTC().Format(time.RFC3339))
	}
	return b.String()
}

// Is reports whether target is ErrCircuitOpen.
func (e *CircuitOpenError) Is(target error) bool { return target == ErrCircuitOpen }

// ErrorType returns "circuit_open", the error.type of a fail-fast in traces.
func (e *CircuitOpenError) ErrorType() string { return "circuit_open" }

// response synthesizes the answer WithFailFastAnswers returns: the status
// and Notificore-shaped body of the answer that opened the circuit, with the
// code as a JSON number (the official Go SDK reads it into an int), marked
// by FailFastHeader. A circuit opened without a code answers code 5.
func (e *CircuitOpenError) response(req *http.Request, now time.Time) *http.Response {
	status := e.StatusCode
	if status == 0 {
		status = http.StatusServiceUnavailable
	}
	var v any
	switch {
	case e.Code == 0 && e.Description != "":
		v = map[string]any{"message": e.Description, "errors": []string{}}
	case e.Code != 0:
		v = map[string]any{"error": e.Code, "errorDescription": e.Description}
	default:
		v = map[string]any{"error": 5, "errorDescription": CodeDescription(5)}
	}
	body, _ := json.Marshal(v)
	h := http.Header{
		"Content-Type": {"application/json"},
		FailFastHeader: {string(e.Scope)},
	}
	if !e.Until.IsZero() {
		secs := int(e.Until.Sub(now)/time.Second) + 1
		h.Set("Retry-After", strconv.Itoa(max(secs, 1)))
	}
	rb := &responseBody{outcome: Outcome{Class: e.Class, Code: e.Code, Description: e.Description, StatusCode: status}}
	rb.r.Reset(body)
	return &http.Response{
		Status:        strconv.Itoa(status) + " " + http.StatusText(status),
		StatusCode:    status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		Body:          rb,
		ContentLength: int64(len(body)),
		Request:       req,
	}
}

// CircuitEvent is a state change of a circuit, handed to the listener of
// WithCircuitListener and traced as a span event.
type CircuitEvent struct {
	// Scope and Host name the circuit; an account circuit's Host is the host
	// of the call that changed it.
	Scope Scope
	Host  string
	// From and To are the states before and after the change.
	From, To CircuitState
	// Class and Code describe the outcome that opened the circuit (To is
	// StateOpen).
	Class Class
	Code  int
	// Until is when an opened circuit lets a probe through.
	Until time.Time
	// At is when the change happened.
	At time.Time
	// Instance names the fleet instance whose fact caused the change; ""
	// when a call of this Transport caused it, or when the fleet delivered
	// a close without knowing which instance made it.
	Instance string
}

// openCircuit returns the fail-fast error of a call whose account circuit is
// open, found before the call is made, when the call records no telemetry:
// a fail-fast then costs a lookup. Logins, whose account is in their body,
// and every other case take the call's own path. It returns the account and
// its state as it found them, for the call to go on with.
func (t *Transport) openCircuit(req *http.Request) (*CircuitOpenError, acctLookup) {
	cs := t.circuits
	if !cs.tracking() || isLogin(req.URL.Path) || t.tel.records(req.Context()) {
		return nil, acctLookup{}
	}
	l := cs.lookup(t.ids.of(req, nil))
	if l.s == nil {
		return nil, l
	}
	if o := l.s.circuit.st.Load(); o != nil && t.clock.Now().Before(o.until) {
		return o.err(), acctLookup{}
	}
	return nil, l
}

// acctLookup is an account and its state (nil when it has none) as a step of a
// call found them, handed to the next step so that it need not look again.
type acctLookup struct {
	acct account
	s    *acctState
	done bool   // the lookup was made
	made uint64 // the registry's count of states made, before the lookup
}

// failedFast ends a call that openCircuit stopped.
func (t *Transport) failedFast(req *http.Request, e *CircuitOpenError) (*http.Response, error) {
	if req.Body != nil {
		req.Body.Close()
	}
	t.tel.m.failFast(e)
	if t.circuits.cfg.answers {
		return e.response(req, t.clock.Now()), nil
	}
	return nil, e
}
