package resilient

import (
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/resilient-sms/resilient/resilientconv"
)

// snippetLimit bounds the copy of a body an Error keeps.
const snippetLimit = 1 << 10

// Error is the error RoundTrip returns when a call ends with no answer to
// hand back (a transport failure, a context that ended during a back-off, a
// request body that could not be read) and, with WithAPIErrors, when it ends
// on a permanent or account-level answer. errors.Is and errors.As see
// through it to Err.
type Error struct {
	// Attempts is the number of attempts the call made.
	Attempts int
	// Reason is why the call stopped: one of the resilientconv.Reason
	// constants.
	Reason resilientconv.Reason
	// Outcome is the classification of the last attempt.
	Outcome Outcome
	// Err is the transport or context error; nil for an API answer.
	Err error
	// Body is up to 1 KiB of the answer's body, for an API answer.
	Body []byte
}

// Error describes the last outcome and why the call stopped.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("resilient: ")
	switch {
	case e.Err != nil:
		b.WriteString(e.Err.Error())
	case e.Outcome.Code != 0:
		b.WriteString("notificore error ")
		b.WriteString(strconv.Itoa(e.Outcome.Code))
		if e.Outcome.Description != "" {
			b.WriteString(" (" + e.Outcome.Description + ")")
		}
	case e.Outcome.Description != "":
		b.WriteString("notificore error \"" + e.Outcome.Description + "\"")
	default:
		b.WriteString("HTTP " + strconv.Itoa(e.Outcome.StatusCode))
	}
	b.WriteString(" [" + e.Outcome.Class.String())
	if e.Reason != "" {
		b.WriteString(", " + string(e.Reason))
	}
	b.WriteString(", " + strconv.Itoa(e.Attempts) + " attempt")
	if e.Attempts != 1 {
		b.WriteString("s")
	}
	b.WriteString("]")
	return b.String()
}

// Unwrap returns Err.
func (e *Error) Unwrap() error { return e.Err }

// Timeout reports whether Err is a timeout, so that *url.Error's Timeout
// keeps working through a Transport.
func (e *Error) Timeout() bool {
	var ne net.Error
	return errors.As(e.Err, &ne) && ne.Timeout()
}

// ErrorType returns a low-cardinality name of the error for traces: the
// outcome's class, or "canceled".
func (e *Error) ErrorType() string {
	if e.Reason == resilientconv.ReasonCanceled {
		return "canceled"
	}
	return e.Outcome.Class.String()
}

// snippet copies up to snippetLimit bytes of an answer's body.
func snippet(resp *http.Response) []byte {
	if rb, ok := resp.Body.(*responseBody); ok && rb.rest == nil && rb.err == nil {
		b := make([]byte, min(rb.r.Len(), snippetLimit))
		rb.r.ReadAt(b, 0)
		return b
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, snippetLimit))
	return b
}
