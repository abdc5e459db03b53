package resilient

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
)

// Attribute keys the Transport adds to spans, events and metrics beside the
// HTTP semantic conventions. None of them ever holds a credential, a phone
// number, a message text or a reference.
const (
	AttrCode        = "notificore.code"        // the Notificore API 1.0 code
	AttrDescription = "notificore.description" // its description, or the API 2.0 message
	AttrClass       = "notificore.class"       // success, transient, permanent, account
	AttrOperation   = "notificore.operation"   // e.g. sms.create, balance
	AttrAttempt     = "resilient.attempt"      // 1-based attempt number
	AttrAttempts    = "resilient.attempts"     // attempts a call made
	AttrReason      = "resilient.reason"       // why a retry or a stop happened
	AttrDelay       = "resilient.delay"        // a retry's delay, in seconds
	AttrDelaySource = "resilient.delay_source" // backoff or retry_after
	AttrScope       = "resilient.circuit.scope"
	AttrFrom        = "resilient.circuit.from"
	AttrTo          = "resilient.circuit.to"
	AttrRetryAt     = "resilient.circuit.retry_at" // when an open circuit lets a probe through
)

// Names of the span events on a RoundTrip span.
const (
	EventRetryScheduled  = "retry scheduled"
	EventGaveUp          = "gave up"
	EventFailedFast      = "failed fast"
	EventCircuitChanged  = "circuit state changed"
	EventAcceptedEarlier = "accepted earlier"
)

// requestAttrs are the semconv attributes every span of a call shares.
func requestAttrs(req *http.Request) []attribute.KeyValue {
	host, port := serverOf(req.URL)
	attrs := make([]attribute.KeyValue, 0, 4)
	attrs = append(attrs, semconv.HTTPRequestMethodKey.String(methodOf(req.Method)), semconv.ServerAddress(host))
	if port > 0 {
		attrs = append(attrs, semconv.ServerPort(port))
	}
	return attrs
}

// outcomeAttrs describe an outcome.
func outcomeAttrs(out *Outcome) []attribute.KeyValue {
	attrs := make([]attribute.KeyValue, 0, 8)
	attrs = append(attrs, attribute.String(AttrClass, out.Class.String()))
	if out.Code != 0 {
		attrs = append(attrs, attribute.Int(AttrCode, out.Code))
	}
	if d := out.Description; d != "" && out.Code != 0 {
		// Only descriptions of API codes: they are Notificore's fixed texts.
		if known := CodeDescription(out.Code); known != "" {
			d = known
		}
		attrs = append(attrs, attribute.String(AttrDescription, d))
	} else if d != "" {
		if _, known := ClassOfMessage(d); known {
			attrs = append(attrs, attribute.String(AttrDescription, d))
		}
	}
	return attrs
}

// serverOf returns the host and the port, explicit or the scheme's.
func serverOf(u *url.URL) (string, int) {
	host, p := u.Hostname(), u.Port()
	if p == "" {
		switch u.Scheme {
		case "https":
			return host, 443
		case "http":
			return host, 80
		}
		return host, 0
	}
	port, _ := strconv.Atoi(p)
	return host, port
}

// methodOf maps a method to its semconv value; unknown methods are _OTHER.
func methodOf(m string) string {
	switch m {
	case "", http.MethodGet:
		return http.MethodGet
	case http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodHead,
		http.MethodPatch, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "_OTHER"
}

// spanMethod is an attempt span's name: the method, or HTTP when unknown.
func spanMethod(m string) string {
	if mm := methodOf(m); mm != "_OTHER" {
		return mm
	}
	return "HTTP"
}

// operationName names a call's span after the Notificore operation its path
// reveals (sms.create, viber.create, hlr.create, balance, sms.get, ...), or
// the method when the path is not a Notificore one.
func operationName(req *http.Request) string {
	p := strings.Trim(req.URL.Path, "/")
	for _, prefix := range []string{"rest/", "api/", "v1.0/"} {
		if i := strings.Index(p, prefix); i >= 0 {
			p = p[i+len(prefix):]
			break
		}
	}
	seg := strings.Split(p, "/")
	switch {
	case len(seg) == 2 && seg[0] == "common" && seg[1] == "balance":
		return "balance"
	case len(seg) == 2 && seg[0] == "auth" && seg[1] == "login":
		return "auth.login"
	case len(seg) >= 2 && (seg[0] == "sms" || seg[0] == "viber" || seg[0] == "hlr" || seg[0] == "stat"):
		switch seg[1] {
		case "create", "prices", "list":
			return seg[0] + "." + seg[1]
		case "reference":
			return seg[0] + ".get_by_reference"
		case "task":
			return seg[0] + ".task"
		}
		return seg[0] + ".get"
	case len(seg) >= 3 && seg[0] == "campaigns":
		return "campaigns." + seg[1] + "." + seg[2]
	case len(seg) >= 2 && seg[0] == "2fa":
		return "otp"
	case len(seg) >= 1 && (seg[0] == "contacts" || seg[0] == "groups"):
		return seg[0]
	}
	return spanMethod(req.Method)
}

// redactURL is url.full without secrets: no user info, every query value
// REDACTED, and the path segment after "reference" (a client reference)
// REDACTED.
func redactURL(u *url.URL) string {
	r := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}
	if u.User != nil {
		r.User = url.UserPassword("REDACTED", "REDACTED")
	}
	if seg := strings.Split(r.Path, "/"); len(seg) > 1 {
		for i := 0; i+1 < len(seg); i++ {
			if seg[i] == "reference" {
				seg[i+1] = "REDACTED"
			}
		}
		r.Path = strings.Join(seg, "/")
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			q[k] = []string{"REDACTED"}
		}
		r.RawQuery = q.Encode()
	}
	return r.String()
}

// retryCause is a retry's low-cardinality cause: network, code_N or http_N.
func retryCause(out *Outcome) string {
	switch {
	case out.Err != nil:
		return "network"
	case out.Code != 0:
		return "code_" + strconv.Itoa(out.Code)
	}
	return "http_" + strconv.Itoa(out.StatusCode)
}
