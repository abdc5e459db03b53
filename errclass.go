package resilient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"strings"

	"golang.org/x/net/http/httpguts"
)

// classifyError sorts a transport failure of request r. ctx is the caller's
// context. A request net/http refuses to write as it is (an invalid header,
// method or host) never left the process: it is permanent for the call and
// neutral for the circuits. Failures before the request could be written
// (dial, DNS, refused, TLS handshake) are never-sent and safe to resend; every
// other failure may have reached the server, and is ambiguous. (net/http
// itself resends a request with a replayable body when a reused connection
// fails before writing.)
func classifyError(ctx context.Context, r *http.Request, err error) Outcome {
	o := Outcome{Class: ClassTransient, Err: err}
	if ctx.Err() != nil {
		o.Canceled = true
		return o
	}
	if unsendable(r) {
		o.Class, o.Local = ClassPermanent, true
		return o
	}
	var (
		dnsErr  *net.DNSError
		opErr   *net.OpError
		certErr *tls.CertificateVerificationError
		uaErr   x509.UnknownAuthorityError
		hostErr x509.HostnameError
		invErr  x509.CertificateInvalidError
		recErr  tls.RecordHeaderError
	)
	switch {
	case errors.As(err, &certErr), errors.As(err, &uaErr), errors.As(err, &hostErr),
		errors.As(err, &invErr), errors.As(err, &recErr):
		// The server's identity cannot be trusted: retrying cannot help.
		o.Class = ClassPermanent
	case errors.As(err, &dnsErr), errors.As(err, &opErr) && opErr.Op == "dial":
		// Never sent.
	default:
		o.Ambiguous = true
	}
	return o
}

// unsendable reports whether net/http refuses to write r before any byte of
// it leaves the process: no URL or host, a scheme it does not speak, an
// invalid method, header, trailer or Host. It runs only after a failure.
func unsendable(r *http.Request) bool {
	if r.URL == nil || r.URL.Host == "" && r.Host == "" {
		return true
	}
	if s := r.URL.Scheme; s != "http" && s != "https" {
		return false // another base's scheme: it knows its own rules
	}
	if m := r.Method; m != "" && strings.IndexFunc(m, func(c rune) bool { return !httpguts.IsTokenRune(c) }) >= 0 {
		return true
	}
	host := r.Host
	if host == "" {
		host = r.URL.Host
	}
	return !httpguts.ValidHostHeader(host) || !validHeaders(r.Header) || !validHeaders(r.Trailer)
}

func validHeaders(h http.Header) bool {
	for k, vv := range h {
		if !httpguts.ValidHeaderFieldName(k) {
			return false
		}
		for _, v := range vv {
			if !httpguts.ValidHeaderFieldValue(v) {
				return false
			}
		}
	}
	return true
}
