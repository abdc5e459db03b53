package resilient

import (
	"bytes"
	"net/http"
	"strconv"
	"time"
)

// Class is what an attempt's outcome means for the caller: success, a
// transient failure worth retrying, a permanent failure to return at once, or
// an account-level failure that stops every call of the account.
type Class int

// The classes of an Outcome.
const (
	// ClassSuccess is a 2xx answer (or 1xx/3xx) with no error code, or code 0.
	ClassSuccess Class = iota
	// ClassTransient is a failure that may pass: codes 5, 11 and 91, HTTP
	// 408, 429, 500, 502, 503 and 504, and network failures.
	ClassTransient
	// ClassPermanent is a failure that repeats on every resend: invalid key,
	// invalid phone number, bad payload, unknown codes, other 4xx.
	ClassPermanent
	// ClassAccount is a failure of the whole account: codes 2, 8 and 9, HTTP
	// 402 and the API 2.0 message "Unavailable for your account status".
	ClassAccount
)

var classNames = [...]string{"success", "transient", "permanent", "account"}

// String returns "success", "transient", "permanent" or "account".
func (c Class) String() string {
	if c >= 0 && int(c) < len(classNames) {
		return classNames[c]
	}
	return "class(" + strconv.Itoa(int(c)) + ")"
}

// Outcome is what the classification of one attempt found. The zero value is
// a success with no code.
type Outcome struct {
	// Class is the outcome's class after any rule of the Transport applied.
	Class Class
	// Code is the Notificore API 1.0 code that decided the class: the
	// deciding recipient's in a bulk answer, else the wrapped single
	// result's, else the top-level code. It is 0 when the answer carried
	// none, -1 when it carried a malformed one.
	Code int
	// Description is the answer's errorDescription, or the API 2.0 message
	// that decided the class; for a transport failure it is empty. It is the
	// server's text: the Transport never records it in telemetry.
	Description string
	// StatusCode is the HTTP status received, 0 when no response came.
	StatusCode int
	// Err is the transport error, nil when a response was received.
	Err error
	// Ambiguous reports that the failed request may still have been
	// processed (a reset after the body was written, 500/502/504, code 5, a
	// bulk answer that accepted some recipients): it is resent only when the
	// request is idempotent.
	Ambiguous bool
	// Canceled reports that the caller's context ended the attempt. It is
	// never retried and counts as neither success nor failure for circuits.
	Canceled bool
	// Local reports a request that never left the process: the base
	// transport refused it as it is (an invalid header, say). It is
	// permanent for the call and neutral for the circuits.
	Local bool
	// AcceptedEarlier reports a duplicate answer (23, 43, 63, a rejected
	// reference_id, API 2.0's "Too many duplicate request detected", or any
	// Rule marked Duplicate) to a resend whose earlier attempt may have
	// been processed: that attempt was accepted, so this is a success.
	AcceptedEarlier bool
	// Unread reports that the body was not classified: it was larger than
	// the Transport's bound, or unreadable. The status alone decided.
	Unread bool
	// RetryAfter is the wait the server asked for (Retry-After, seconds or
	// HTTP-date relative to the response's Date), uncapped; 0 if none.
	RetryAfter time.Duration
	// Recipients are the per-recipient results of a bulk answer, in the
	// order the answer lists them; nil for other answers.
	Recipients []Recipient

	dupOf int // the reference_id fields an API 2.0 duplicate names; 0: the whole request
	// pending reports a bulk answer that accepted every recipient, whose
	// Recipients are read from its body when OutcomeOf asks for them.
	pending bool
}

// Recipient is one element of a bulk create answer's result array.
type Recipient struct {
	// Code is the element's error code (0 when accepted, -1 when malformed).
	Code int
	// Description is the element's errorDescription; empty for a success.
	Description string
	// Reference is the client reference the element names, if any.
	Reference string
	// ID is the id Notificore gave the accepted message, if any.
	ID string
	// Class is the element's class after the Transport's rules.
	Class Class
	// AcceptedEarlier reports a duplicate-reference answer for a recipient
	// that an earlier attempt of the same call may have created.
	AcceptedEarlier bool
}

// classifyStatus returns the class of an HTTP status with no body code, and
// whether a failure with it may have been processed (ambiguous).
func classifyStatus(status int) (Class, bool) {
	switch {
	case status < 400:
		return ClassSuccess, false
	case status == http.StatusPaymentRequired:
		return ClassAccount, false
	case status == http.StatusRequestTimeout, status == http.StatusTooManyRequests,
		status == http.StatusServiceUnavailable:
		return ClassTransient, false
	case status == http.StatusInternalServerError, status == http.StatusBadGateway,
		status == http.StatusGatewayTimeout:
		return ClassTransient, true
	case status < 500, status == http.StatusNotImplemented,
		status == http.StatusHTTPVersionNotSupported, status == http.StatusNetworkAuthenticationRequired:
		return ClassPermanent, false
	default:
		return ClassTransient, true
	}
}

// classifyResponse sorts a received answer. body is the bounded read of the
// response body; unread reports that it was not read (or not whole), in which
// case the status alone decides. Per-recipient results decide wherever they
// exist, then a wrapped single result's code, then the top-level code, then
// API 2.0 messages, then the status. It returns the outcome and the rule that
// governs it; the caller adds the Retry-After.
func (rs *ruleSet) classifyResponse(status int, body []byte, unread bool) (Outcome, Rule) {
	o := Outcome{StatusCode: status, Unread: unread}
	if status < 400 && !unread && rs.success.success(body) {
		r := rs.forStatus(status)
		o.Class = r.Class
		return o, r
	}
	checked := false // the quick bulk reader found it not for itself
	if status < 400 && !unread && bytes.IndexByte(body, '[') >= 0 && rs.mayWait(status) {
		if rs.items.accepted(body) {
			r := rs.forStatus(status)
			o.Class, o.pending = r.Class, true
			return o, r
		}
		checked = true
	}
	var a answer
	var rcs []Recipient // the per-recipient results, of a bulk answer
	if !unread {
		quick := false
		if !checked {
			rcs, quick = rs.items.items(body)
		}
		if !quick {
			a = parseAnswer(body)
			if len(a.items) > 0 {
				rcs = rs.recipients(a.items)
			}
		} else if c := rs.forCode(0).Class; c != ClassSuccess { // a rule of code 0
			for i := range rcs {
				rcs[i].Class = c
			}
		}
	}
	var r Rule
	code, desc := a.code, a.desc
	if a.hasSingle {
		code, desc = a.single.code, a.single.desc
	}
	switch {
	case rcs != nil:
		o.Recipients = rcs
		r = rs.aggregate(&o)
	case code.isError():
		o.Code, o.Description = code.code(), desc
		r = rs.forWire(code)
		if o.Description == "" {
			o.Description = CodeDescription(o.Code)
		}
	case len(a.api2.messages) > 0 || a.api2.referenceID:
		o.Description, r = rs.forAPI2(&a.api2, status)
		if r.Duplicate {
			o.dupOf = a.api2.refFields
		}
	default:
		r = rs.forStatus(status)
	}
	o.Class = r.Class
	o.Ambiguous = o.ambiguous()
	return o, r
}

// mayWait reports whether rules make a bulk answer with status that
// accepted every recipient a plain success: code 0 and the status both of
// class success and no duplicate, so that the answer's outcome is that of
// the status and its recipients, alike, can wait until someone asks for
// them (Outcome.pending). It reads what noteWaits noted when the rules
// were built.
func (rs *ruleSet) mayWait(status int) bool {
	if status >= 0 && status < 64*len(rs.waits) {
		return rs.waits[status/64]&(1<<(status%64)) != 0
	}
	return rs.mayWaitAt(status)
}

// mayWaitAt is mayWait, from the rules.
func (rs *ruleSet) mayWaitAt(status int) bool {
	r0, rs0 := rs.forCode(0), rs.forStatus(status)
	return r0.Class == ClassSuccess && !r0.Duplicate && rs0.Class == ClassSuccess && !rs0.Duplicate
}

// recipients returns the per-recipient results of a bulk answer's items.
func (rs *ruleSet) recipients(items []wireItem) []Recipient {
	rcs := make([]Recipient, len(items))
	var last wireCode
	class := rs.forWire(last).Class
	for i, it := range items {
		if it.code != last {
			last, class = it.code, rs.forWire(it.code).Class
		}
		rcs[i] = Recipient{Code: it.code.code(), Description: it.desc, Reference: it.reference, ID: it.id, Class: class}
	}
	return rcs
}

// forWire returns the rule of a code as written; a malformed code is an
// unknown code, and unknown codes are permanent.
func (rs *ruleSet) forWire(c wireCode) Rule {
	if c.bad {
		return rs.forClass(ClassPermanent)
	}
	return rs.forCode(c.n)
}

// aggregate sets o's Code and Description from its most severe recipient
// (account over transient over permanent over success) and returns that
// recipient's rule, or the status's rule when every recipient succeeded.
func (rs *ruleSet) aggregate(o *Outcome) Rule {
	worst := -1
	for i, rc := range o.Recipients {
		if rc.Class != ClassSuccess && (worst < 0 || severity(rc.Class) > severity(o.Recipients[worst].Class)) {
			worst = i
		}
	}
	if worst < 0 {
		o.Code, o.Description = 0, ""
		return rs.forStatus(o.StatusCode)
	}
	w := o.Recipients[worst]
	o.Code, o.Description = w.Code, w.Description
	if r := rs.forCode(w.Code); r.Class == w.Class {
		return r
	}
	return rs.forClass(w.Class) // reconcile changed the recipient's class
}

func severity(c Class) int {
	switch c {
	case ClassAccount:
		return 3
	case ClassTransient:
		return 2
	case ClassPermanent:
		return 1
	}
	return 0
}

// ambiguous reports whether a failed answer may have been processed: code 5,
// a 500/502/504, or a bulk answer that accepted some recipients.
func (o *Outcome) ambiguous() bool {
	if o.Class != ClassTransient {
		return false
	}
	for _, rc := range o.Recipients {
		if rc.Class == ClassSuccess || rc.Code == 5 {
			return true
		}
	}
	if o.Code != 0 {
		return !throttled(o.Code) && o.Code != 91
	}
	_, amb := classifyStatus(o.StatusCode)
	return amb
}
