package resilient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
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
func classifyError(ctx context.Context, r *http.Request, err error, netHTTP bool) Outcome {
	o := Outcome{Class: ClassTransient, Err: err}
	if ctx.Err() != nil {
		o.Canceled = true
		return o
	}
	if unsendable(r, netHTTP) {
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

// unsendable reports whether net/http refuses to write r whole, so that the
// server cannot have processed it: no URL, header map or host, a scheme it
// does not speak (when the base is net/http's; another base knows its own
// schemes), an invalid method, header, trailer, Host or request target, or
// a body shorter or longer than its ContentLength. It runs only after a
// failure.
func unsendable(r *http.Request, netHTTP bool) bool {
	if r.URL == nil || r.Header == nil || r.URL.Host == "" && r.Host == "" {
		return true
	}
	if s := r.URL.Scheme; s != "http" && s != "https" {
		return netHTTP
	}
	if strings.IndexFunc(r.URL.RequestURI(), isControl) >= 0 || !lengthMatches(r) {
		return true
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

func isControl(c rune) bool { return c < 0x20 || c == 0x7f }

// lengthMatches reports whether a replayable body has the ContentLength its
// request announces.
func lengthMatches(r *http.Request) bool {
	if r.ContentLength <= 0 || r.GetBody == nil {
		return true
	}
	rc, err := r.GetBody()
	if err != nil {
		return true
	}
	defer rc.Close()
	n, err := io.Copy(io.Discard, io.LimitReader(rc, r.ContentLength+1))
	return err != nil || n == r.ContentLength
}
