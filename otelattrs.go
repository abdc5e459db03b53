package resilient

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"

	rc "github.com/resilient-sms/resilient/resilientconv"
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
	return appendOutcomeAttrs(make([]attribute.KeyValue, 0, 3), out)
}

// appendOutcomeAttrs appends the class, code and description of an outcome.
func appendOutcomeAttrs(attrs []attribute.KeyValue, out *Outcome) []attribute.KeyValue {
	attrs = append(attrs, rc.ClassKey.String(out.Class.String()))
	if out.Code != 0 {
		attrs = append(attrs, rc.CodeKey.Int(out.Code))
	}
	return appendDescription(attrs, out)
}

// appendDescription appends the outcome's fixed description, if it has
// one.
func appendDescription(attrs []attribute.KeyValue, out *Outcome) []attribute.KeyValue {
	if d := fixedDescription(out); d != "" {
		attrs = append(attrs, rc.DescriptionKey.String(d))
	}
	return attrs
}

// fixedDescription describes an outcome with fixed text only: the code
// table's description of its code, a documented API 2.0 message, or the
// name of its transport failure; never the server's own words, which may
// echo a phone number.
func fixedDescription(out *Outcome) string {
	switch {
	case out.Code != 0:
		return CodeDescription(out.Code)
	case out.Description != "":
		if _, known := ClassOfMessage(out.Description); known {
			return normMessage(out.Description)
		}
	case out.Err != nil:
		return errorType(out)
	}
	return ""
}

// circuitAttrs describe a circuit's change.
func circuitAttrs(ev CircuitEvent) []attribute.KeyValue {
	attrs := []attribute.KeyValue{rc.ScopeKey.String(string(ev.Scope)),
		rc.FromKey.String(ev.From.String()), rc.ToKey.String(ev.To.String())}
	if ev.To == StateOpen {
		attrs = append(attrs, rc.ClassKey.String(ev.Class.String()),
			rc.RetryAtKey.String(ev.Until.UTC().Format(time.RFC3339Nano)))
		if ev.Code != 0 {
			attrs = append(attrs, rc.CodeKey.Int(ev.Code))
		}
	}
	if ev.Instance != "" {
		attrs = append(attrs, rc.InstanceKey.String(ev.Instance))
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
// the method when the path is not a Notificore one. It allocates nothing for
// the API's own operations.
func operationName(req *http.Request) string {
	p := req.URL.Path
	for _, prefix := range [...]string{"/rest/", "/api/", "/v1.0/"} {
		if i := strings.Index(p, prefix); i >= 0 {
			p = p[i+len(prefix):]
			break
		}
	}
	first, rest, _ := strings.Cut(strings.Trim(p, "/"), "/")
	second, rest, _ := strings.Cut(rest, "/")
	switch first {
	case "common":
		if second == "balance" {
			return "balance"
		}
	case "auth":
		if second == "login" {
			return "auth.login"
		}
	case "sms", "viber", "hlr", "stat":
		if op, ok := operations[first+"/"+second]; ok {
			return op
		}
		if second != "" {
			return operations[first]
		}
	case "campaigns":
		if second == "sms" {
			third, _, _ := strings.Cut(rest, "/")
			if op, ok := operations["campaigns/sms/"+third]; ok {
				return op
			}
		}
		return "campaigns"
	case "2fa":
		return "otp"
	case "contacts", "groups":
		return operations[first]
	}
	return spanMethod(req.Method)
}

// operations maps path segments to operation names, so that names are
// constants rather than built per call.
var operations = func() map[string]string {
	m := map[string]string{"contacts": "contacts", "groups": "groups",
		"campaigns/sms/send": "campaigns.sms.send", "campaigns/sms/send-groups": "campaigns.sms.send-groups"}
	for _, kind := range []string{"sms", "viber", "hlr", "stat"} {
		m[kind] = kind + ".get"
		for _, op := range []string{"create", "prices", "list"} {
			m[kind+"/"+op] = kind + "." + op
		}
		m[kind+"/reference"] = kind + ".get_by_reference"
		m[kind+"/task"] = kind + ".task"
	}
	return m
}()

// redactURL is url.full without secrets: no user info, every query value
// REDACTED, and the path segment after "reference" (a client reference)
// REDACTED.
func redactURL(u *url.URL) string {
	if u.User == nil && u.RawQuery == "" && !strings.Contains(u.Path, "reference") && u.Fragment == "" {
		return u.String() // nothing to redact
	}
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

// acceptedAttrs describe an accepted-earlier finding: the duplicate code and
// how many messages it covered.
func acceptedAttrs(out *Outcome, attempt int) []attribute.KeyValue {
	code, n := out.Code, 1
	if out.Recipients != nil {
		n = 0
		for _, rc := range out.Recipients {
			if rc.AcceptedEarlier {
				code, n = rc.Code, n+1
			}
		}
	}
	attrs := []attribute.KeyValue{rc.AttemptKey.Int(attempt), rc.MessagesKey.Int(n)}
	if code != 0 {
		attrs = append(attrs, rc.CodeKey.Int(code))
	}
	return appendDescription(attrs, out)
}

// errorType is an attempt's error.type: the status code for HTTP errors,
// the Notificore code for errors in 2xx answers, a short name for transport
// failures; "" for a success.
func errorType(out *Outcome) string {
	switch {
	case out.Class == ClassSuccess:
		return ""
	case out.Err != nil:
		if out.Canceled {
			return "canceled"
		}
		return transportErrorType(out.Err)
	case out.StatusCode >= 400:
		return strconv.Itoa(out.StatusCode)
	case out.Code != 0:
		return "notificore_" + codeLabel(out.Code)
	}
	return out.Class.String()
}

// transportErrorType names a transport failure with a stable, low-cardinality
// name: timeout, connection_reset, connection_refused, eof, dns, tls, or the
// error's type as semconv names it.
func transportErrorType(err error) string {
	var (
		ne   net.Error
		dns  *net.DNSError
		cert *tls.CertificateVerificationError
		rec  tls.RecordHeaderError
	)
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection_reset"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection_refused"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "eof"
	case errors.As(err, &dns):
		return "dns"
	case errors.As(err, &cert), errors.As(err, &rec):
		return "tls"
	}
	return semconv.ErrorType(err).Value.AsString()
}
